"""Witness for theorem sgd_regret: the regret inequality along actual SGD trajectories.

Claim
-----
For one SGD run (``numerics.solvers.sgd.run_sgd``, step ``eta = STEP_SIZE = B / (L b sqrt T)`` on the output
weights ``z``) and comparators ``z* = (u, 0)`` with ``||u|| <= B``:

1. the theorem's first relation ``(1/T) sum_t E F(z_t, V_t, theta_t) <= B L b / sqrt(T) + E l(u*^T x; y)``,
   compiled by the bridge (:mod:`._statement`; label: the relation as printed), evaluated *pathwise*:
   ``AvgRisk`` at the run's online average loss ``(1/T) sum_t l_t(z_t)`` and ``CompLoss`` at the comparator's
   average loss on the same draws ``(1/T) sum_t l_t(z*)``.  Their expectations over the draws are the
   theorem's quantities (online-to-batch, the proof's first step); the proof bounds their difference,
   the regret, on *every* run, so the relation holds at the per-run values too.  The expectations
   themselves cannot be produced from one run, and so neither can the second relation (``... <= B L b /
   sqrt(T) + F_lin``, for ``u*`` attaining ``F_lin``): it is not evaluated here (``resnet-lemmas sgd``
   estimates the expected risk on a held-out stream, with the Azuma-Hoeffding term
   ``HIGH_PROBABILITY_DEVIATION``, which is unchecked by the kernel).  Every comparator is evaluated; the
   worst is claimed.

Not in the conclusion, and labelled as such (steps and hypotheses of the proof, their formulas the
lemma's own expressions ``REGRET_BOUND``, ``BOUND_ANY_STEP`` lambdified in ``numerics.solvers.sgd``):

2. ``regret <= ||z*||^2 / (2 eta T) + (eta / 2T) sum_t ||g_t||^2`` (pathwise), for every comparator;
3. that pathwise bound ``<= B L b / sqrt T`` (``REGRET_BOUND``);
4. the step size is the one the bound is proven for: ``B^2 / (2 eta T) + eta L^2 b^2 / 2 <= B L b / sqrt T``
   (the pathwise bound with every gradient at its bound ``L b`` and ``||z*|| = B``; by AM-GM it equals the
   theorem's bound exactly at ``eta = B / (L b sqrt T)`` and exceeds it at any other step size);
5. the hypotheses along the path: ``||g_t|| <= L b``, ``||psi_t|| <= b``, ``||z_t|| <= B``, ``|p_t| <= B b`` (so
   ``L``, computed on ``[-B b, B b]``, was the right Lipschitz constant).

Sampling
--------
Per instance (all drawn from the instance seed): a loss (logistic with +-1 targets, or squared with real
targets), sizes ``d, k``, a hidden width, an architecture covered by the theorem (``tweak`` or ``split``),
a pool of ``n`` points ``x`` uniform in a ball of random radius (the population ``D``), a radius ``B``, a
bound ``R_V`` on ``||V||_F``, a horizon ``T`` and a step-size scale for ``V, theta`` (anything is allowed
there); comparators on the sphere ``||u|| = B``, inside the ball, and ``u = 0``.

Tolerance
---------
1-4: ``numerics.solvers.sgd.regret_tolerance`` (float64 summation and projected-update rounding); 4 also
``STEP_ROUNDING eps`` relative; 5: relative ``REL``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.solvers.sgd import (PROJECTION_ROUNDING, REGRET_SAFETY, BoundedUnit, Population, Runs,
                                                feature_bound,
                                                lipschitz_on_range, pathwise_bound, regret_bound,
                                                regret_tolerance, run_sgd, step_size)
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.losses import get_loss

LEMMA = "sgd_regret"
#: The relations of the theorem's conclusion, by position (``proofs/lemmas/sgd_regret.py``); the second
#: (against ``F_lin``, in expectation) is not evaluated (module docstring).
AGAINST_COMPARATOR, AGAINST_F_LIN = range(2)
#: The relations of the conclusion that no claim evaluates, with the reason (``check`` requires every other
#: relation to be evaluated).
UNEVALUATED = {
    AGAINST_F_LIN: "an inequality between expectations over the draws, which one run cannot produce (resnet-lemmas "
                   "sgd estimates them on a held-out stream); the pathwise first relation is evaluated",
}
DEFAULT_INSTANCES = 200
#: Relative allowance of the path hypotheses (float64 norms and projections: a few eps; 1e-12 ~ 4500 eps).
REL = 1e-12
#: Relative rounding allowance of the step-size claim (a handful of products and one square root).
STEP_ROUNDING = 64.0
EPS = np.finfo(np.float64).eps
TOLERANCE = (f"the theorem's relation (compiled by the bridge) at the run's online averages, regret and pathwise "
             f"bound: {REGRET_SAFETY:g} (eps sum_t |terms| + {PROJECTION_ROUNDING:g} eps "
             f"B^2 / eta) (float64 summation and projected-update rounding); step size: {STEP_ROUNDING:g} eps "
             f"relative; path hypotheses: relative {REL:g}")


def _instance(seed: int):
    rng = np.random.default_rng(seed)
    loss = get_loss(("logistic", "squared")[int(rng.integers(2))])
    d, k, width = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 6))
    arch = ("tweak", "split")[int(rng.integers(2))]
    n, T = int(rng.integers(24, 49)), int(rng.integers(8, 49))
    radius = float(rng.uniform(0.5, 1.5))
    direction = rng.normal(size=(n, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    X = radius * direction * rng.random(n)[:, None] ** (1.0 / d)
    beta = rng.normal(size=d)
    if loss.targets == "sign":
        y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-3.0 * X @ beta)), 1.0, -1.0)
    else:
        y = X @ beta + 0.3 * rng.normal(size=n)
    pop = Population(X, y, seed, f"{n} points in a ball of radius {radius:.2f}")
    B, R_V = float(rng.uniform(0.5, 3.0)), float(rng.uniform(0.2, 2.0))
    unit = BoundedUnit(d, k, width)
    b = feature_bound(arch, pop.b_x, R_V, unit.feature_bound)
    L = lipschitz_on_range(loss, B * b, y)
    eta = float(step_size(B, L, b, T))
    theta = unit.init(rng, scale=float(rng.uniform(0.5, 2.0)))
    V = rng.normal(size=(d, k))
    V *= float(rng.uniform(0.0, 1.0)) * R_V / np.linalg.norm(V)
    runs = Runs([arch], np.array([eta]), np.array([eta * float(rng.uniform(0.0, 3.0))]),
                np.array([B]), np.array([R_V]), V[None], theta[None], np.array([0]))
    on_sphere = rng.normal(size=(3, d))
    on_sphere *= B / np.linalg.norm(on_sphere, axis=1, keepdims=True)
    inside = rng.normal(size=(2, d))
    inside *= (B * rng.random(2) / np.linalg.norm(inside, axis=1))[:, None]
    comparators = np.vstack((on_sphere, inside, np.zeros((1, d))))
    train = rng.integers(n, size=(1, T))
    desc = (f"seed {seed}: {arch}, loss {loss.name}, d={d}, k={k}, width {width}, n={n}, T={T}, "
            f"B={B:.3f}, R_V={R_V:.3f}, b={b:.3f}, L={L:.4g}, eta={eta:.4g}")
    return pop, unit, loss, runs, train, comparators, (B, L, b, T), desc


def one(seed: int) -> InstanceResult:
    pop, unit, loss, runs, train, comparators, (B, L, b, T), desc = _instance(seed)
    trace = run_sgd(pop, unit, loss, runs, train, comparators=comparators)
    regret = trace.regret[0]                                     # (K,)
    pathwise = pathwise_bound(trace, runs, comparators)[0]
    tol = float(regret_tolerance(trace, runs)[0])
    bound = float(regret_bound(B, L, b, T))
    eta = float(runs.eta[0])
    j = int(np.argmin(pathwise - regret))
    worst_case = B ** 2 / (2 * eta * T) + eta * (L * b) ** 2 / 2
    constants = {"B_radius": B, "L_lip": L, "b_feat": b, "T_steps": T, "AvgRisk": float(trace.online[0]) / T}
    # the theorem's relation at the run's averages, against every comparator; the worst is claimed
    against = [statement.claim(LEMMA, AGAINST_COMPARATOR,
                               {**constants, "CompLoss": float(trace.comparator[0, i]) / T}, {"rounding": tol},
                               f" (pathwise, at the run's averages; worst of {len(comparators)} comparators)")
               for i in range(len(comparators))]
    claims = [
        min(against, key=lambda claim: claim.margin),
        Claim("regret <= ||z*||^2 / (2 eta T) + eta / (2 T) sum_t ||g_t||^2 (a step of the proof)",
              float(regret[j]), "<=", float(pathwise[j]), {"rounding": tol}),
        Claim("||z*||^2 / (2 eta T) + eta / (2 T) sum_t ||g_t||^2 <= B L b / sqrt(T) (a step of the proof)",
              float(pathwise.max()), "<=", bound, {"rounding": tol}),
        Claim("B^2 / (2 eta T) + eta L^2 b^2 / 2 <= B L b / sqrt(T) (step size)", worst_case, "<=", bound,
              {"rounding": STEP_ROUNDING * EPS * worst_case}),
        Claim("||g_t|| <= L b (hypothesis)", float(trace.max_grad[0]), "<=", L * b, {"rounding": REL * L * b}),
        Claim("||psi_t|| <= b (hypothesis)", float(trace.max_psi[0]), "<=", b, {"rounding": REL * b}),
        Claim("||z_t|| <= B (hypothesis)", float(trace.max_z[0]), "<=", B, {"rounding": REL * B}),
        Claim("|p_t| <= B b (hypothesis)", float(trace.max_pred[0]), "<=", B * b, {"rounding": REL * B * b}),
    ]
    tightest = min(claims[:4], key=lambda c: c.margin)
    return InstanceResult(
        seed, claims=claims,
        description=(f"{desc}; max regret {regret.max():.4g} <= bound {bound:.4g}; tightest: "
                     f"{tightest.label}"),
        values={"bound": bound, "max_regret": float(regret.max()),
                "pathwise_margin": float(np.min(pathwise + tol - regret)),
                "tightness": float(regret.max() / bound) if bound > 0 else float("inf")})


def _details(results):
    ok = [r for r in results if r.values]
    tight = [r.values["tightness"] for r in ok]
    return {"max_regret_over_bound": float(max(tight)) if tight else None,
            "median_regret_over_bound": float(np.median(tight)) if tight else None,
            "median_pathwise_margin": float(np.median([r.values["pathwise_margin"] for r in ok]))
            if ok else None}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("sgd_regret", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one, progress,
                       details=_details)

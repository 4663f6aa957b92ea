"""Witness for example no_skip_bad_minimum: certified local minima worse than ``F_lin`` without a skip
connection.

Claim
-----
Per instance, two certified bad local minima:

1. the residual network without skip, ``p = w^T V f_theta(x)``, on the symmetrised sample
   ``([X; -X], [y; -y])`` (a symmetric loss of the lemma): ``theta`` with a dead first layer, ``w`` random,
   ``V`` corrected so that ``w^T V f_0 = s*`` (the best constant, ``0`` by symmetry).  Claims: the first
   layer is dead (largest pre-activation below minus its rounding bound: every ReLU stays inactive within
   the certified radius, so the prediction is constant there); the constant is the best one up to
   rounding (``E l(s_0; y) - inf_s E l(s; y) <= CONSTANT_ROUNDING_FACTOR n eps (1 + |F|)``, the bracket of ``s*``
   *proven* in Arb balls, :func:`~..no_skip.constant_suboptimality`): a local minimum; and ``F - F_lin > 0``
   *enclosed in Arb balls* (``F - E l(u^T x)`` for the linear benchmark's point ``u``, so no float64
   comparison decides it);
2. the plain two-layer network ``p = v^T relu(A x + beta)`` on the instance's own data (any loss): dead
   first layer, hence ``F = E l(0; y)`` on the certified ball, and ``F - F_lin > 0`` enclosed the same way.

Sampling
--------
``DEFAULT_INSTANCES`` instances: :func:`~..instances.sample_instance` restricted to ReLU units and the
symmetric losses for item 1; for item 2 the losses cycle by seed, ``n`` uniform on ``20..40``, ``d`` on
``2..3``, width ``2..5``, ``A`` standard normal, biases dead by ``MARGIN``.

Tolerance
---------
Dead layer: ``DEAD_ROUNDING_FACTOR (d + 1) eps (1 + max |z|)`` (rounding of a dot product); best constant:
``CONSTANT_ROUNDING_FACTOR n eps (1 + |F|)``; ``F > F_lin``: none (Arb ball, lower end ``> 0``).  Details: how much
worse than ``F_lin`` the minima are, the certified radii, and, as a contrast, ``||grad_w F||`` at the same
point *with* the skip connection (nonzero: not even stationary there).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates import enclosures as arb_
from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.no_skip import (CONSTANT_ROUNDING_FACTOR, DEAD_ROUNDING_FACTOR, TwoLayerNet,
                                                   best_constant, dead_first_layer,
                                                   kill_first_layer, no_skip_local_minimum, symmetrised)
from resnet_lemmas.numerics.models.no_skip import _dead
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses._common import benchmark_point
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.lemmas.no_skip_bad_minimum import SYMMETRIC_LOSSES
from resnet_lemmas.proofs.losses import get_loss

DEFAULT_INSTANCES = 200
#: First-layer biases are set ``MARGIN`` below the smallest value that keeps every unit inactive.
MARGIN = 0.5
#: Losses of the plain two-layer network, cycled by seed.
TWO_LAYER_LOSSES = ("exponential", "logistic", "poisson", "pseudo_huber", "softplus_hinge", "squared")
TOLERANCE = (f"dead first layer: largest pre-activation below -{DEAD_ROUNDING_FACTOR:g} (d + 1) eps (1 + "
             f"max|z|); best constant: E l(s_0; y) - inf_s E l(s; y) <= {CONSTANT_ROUNDING_FACTOR:g} n eps "
             "(1 + |F|) (bracket proven in Arb balls); F > F_lin: Arb enclosure of F - E l(u^T x) for the "
             "benchmark's point u, lower end > 0")


def _worse_than_linear(loss, X, y, predictions) -> tuple[float, object]:
    """Lower end of the Arb ball of ``E l(p; y) - E l(u^T x; y)`` (``u``: the linear benchmark's point)."""
    lin = linear_benchmark(X, y, loss)
    gap = arb_.mean_loss_gap(loss, y, predictions, arb_.linear_predictions(X, benchmark_point(lin)))
    return arb_.lower(gap), lin


def resnet_without_skip(seed: int, rng):
    inst = sample_instance(seed, losses=SYMMETRIC_LOSSES, activations=("relu",))
    base = inst.problem
    X, y = symmetrised(base.X, base.y)
    problem = ResNetProblem(base.unit, X, y, base.loss, skip=False)
    theta = kill_first_layer(base.unit, X, base.unit.init(rng), MARGIN)
    f0 = problem.features(theta)[0]
    w = rng.normal(size=problem.d)
    V = rng.normal(size=(problem.d, problem.k))
    s_star, _, _ = best_constant(problem.loss, y)
    if f0 @ f0 > 0:   # move w^T V f0 to s* along w f0^T (the readout bias makes f0 != 0 a.s.)
        V = V + np.outer(w, f0) * (s_star - w @ V @ f0) / ((w @ w) * (f0 @ f0))
    return inst, problem, w, V, theta


def one(seed: int) -> InstanceResult:
    rng = np.random.default_rng([seed, 7])
    inst, problem, w, V, theta = resnet_without_skip(seed, rng)
    region = dead_first_layer(problem.unit, problem.X, theta)
    cert = no_skip_local_minimum(problem, w, V, theta)
    worse, lin = _worse_than_linear(problem.loss, problem.X, problem.y, problem.predict(w, V, theta))
    claims = [Claim("max first-layer pre-activation < 0 (dead region, no skip)", region.top, "<=",
                    -region.tolerance),
              Claim("E l(s_0; y) - inf_s E l(s; y) <= rounding (best constant, no skip)", cert.delta, "<=",
                    cert.tolerance),
              Claim("F - F_lin > 0 (no skip; Arb enclosure, lower end)", worse, ">=",
                    np.finfo(np.float64).tiny)]
    with_skip = ResNetProblem(problem.unit, problem.X, problem.y, problem.loss, skip=True)
    grad_w_skip = float(np.linalg.norm(with_skip.gradients(w, V, theta).grad_w))

    # plain two-layer network on the instance's raw data (any loss, including poisson)
    raw_loss = get_loss(TWO_LAYER_LOSSES[seed % len(TWO_LAYER_LOSSES)])
    X2, y2 = data_for_loss(rng, raw_loss, int(rng.integers(20, 41)), int(rng.integers(2, 4)))
    h = int(rng.integers(2, 6))
    A = rng.normal(size=(h, X2.shape[1]))
    beta = -(np.max(X2 @ A.T, axis=0) + MARGIN)
    net = TwoLayerNet(X2, y2, raw_loss)
    v = rng.normal(size=h)
    cert2 = net.local_minimum(A, beta, v)
    region2 = _dead(X2 @ A.T + beta, X2)
    worse2, _ = _worse_than_linear(raw_loss, X2, y2, net.predict(A, beta, v))
    claims += [Claim("max first-layer pre-activation < 0 (dead region, two-layer net)", region2.top, "<=",
                     -region2.tolerance),
               Claim("F - F_lin > 0 (two-layer net; Arb enclosure, lower end)", worse2, ">=",
                     np.finfo(np.float64).tiny)]
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description} (symmetrised, no skip): {cert.message}; F - F_lin "
                                       f">= {worse:.4g}; two-layer net ({raw_loss.name}): {cert2.message}; "
                                       f"F - F_lin >= {worse2:.4g}"),
                          values={"resnet_worse_by": worse, "resnet_radius": cert.radius,
                                  "two_layer_worse_by": worse2, "two_layer_radius": cert2.radius,
                                  "grad_w_with_skip": grad_w_skip})


def _details(results):
    vals = [r.values for r in results if "resnet_worse_by" in r.values]
    if not vals:
        return {}
    col = lambda key: np.array([v[key] for v in vals])  # noqa: E731
    return {"certified_bad_minima": int(sum(r.ok and r.checked for r in results)),
            "no_skip_F_minus_F_lin": {"min": float(col("resnet_worse_by").min()),
                                      "median": float(np.median(col("resnet_worse_by")))},
            "two_layer_F_minus_F_lin": {"min": float(col("two_layer_worse_by").min()),
                                        "median": float(np.median(col("two_layer_worse_by")))},
            "min_certified_radius": float(min(col("resnet_radius").min(), col("two_layer_radius").min())),
            "with_skip_min_grad_w_norm_at_same_point": float(col("grad_w_with_skip").min())}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("no_skip_bad_minimum", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)

"""Witness for lemma zero_w_case.

Per instance, at a point ``(0, V, theta)`` with random ``V, theta``:

1. flatness: ``F(0, V, theta) = E l(0; y)`` (slack: float64 rounding of a mean of ``n`` terms);
2. the second derivative of ``t -> F(t u, V - t s u c^T, theta)`` at ``t = 0`` equals
   ``E[l''(0; y) (u^T phi)^2] - 2 s ||u||^2 ||c||^2`` (``c = E[l'(0; y) f_theta(x)]``), where the left side is
   the Richardson-extrapolated derivative (``scipy.differentiate``) of the analytic first derivative
   ``h'(t) = grad_w F . u - s <grad_V F, u c^T>``; slack ``10 * error estimate + 1e3 eps (...)``.

Details record how often ``c != 0`` at ``w = 0`` (then the point is a strict saddle, not a local
minimum: the second derivative is negative for ``s`` beyond the reported threshold).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
TOLERANCE = ("flatness: 64 n eps (1 + |F|); second derivative: 10 * scipy error estimate + "
             "1e3 eps (|h'(0)| + |formula| + 1)")


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 2])
    d, k = problem.d, problem.k
    V = rng.normal(size=(d, k))
    theta = problem.unit.init(rng)
    u = rng.normal(size=d)
    s = float(rng.uniform(0.0, 3.0))
    zero = np.zeros(d)
    F0 = problem.objective(zero, V, theta)
    mean_l0 = float(np.mean(problem.loss.value(np.zeros(problem.n), problem.y)))
    flat_margin = rounding_tolerance(F0, mean_l0, n=problem.n) - abs(F0 - mean_l0)

    g0 = problem.gradients(zero, V, theta)
    c = g0.c
    Fx = problem.features(theta)
    phi = problem.X + Fx @ V.T
    curv0 = problem.loss.curvature(np.zeros(problem.n), problem.y)
    formula = float(np.mean(curv0 * (phi @ u) ** 2) - 2.0 * s * (u @ u) * (c @ c))
    direction_V = -s * np.outer(u, c)

    def h_prime(tt: float) -> float:
        g = problem.gradients(tt * u, V + tt * direction_V, theta)
        return float(g.grad_w @ u + np.sum(g.grad_V * direction_V))

    estimate, err = directional_derivative(lambda x: h_prime(float(x[0])), np.zeros(1), np.ones(1))
    second_margin = derivative_tolerance(err, h_prime(0.0), formula) - abs(estimate - formula)
    c_sq = float(c @ c)
    threshold = float(np.mean(curv0 * (phi @ u) ** 2) / (2.0 * (u @ u) * c_sq)) if c_sq > 0 else np.inf
    return InstanceResult(seed, float(min(flat_margin, second_margin)),
                          f"{inst.description}; F(0,V,theta) - E l(0;y) = {F0 - mean_l0:.2e}; "
                          f"d2 = {estimate:.6g} vs formula {formula:.6g} (s = {s:.3f})",
                          {"c_norm": float(np.sqrt(c_sq)), "negative_beyond_s": threshold})


def _details(results):
    c_norms = [r.values.get("c_norm", 0.0) for r in results]
    return {"points_with_c_nonzero": int(sum(cn > 1e-8 for cn in c_norms)),
            "median_s_threshold_for_negative_curvature":
                float(np.median([r.values.get("negative_beyond_s", np.inf) for r in results]))}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("zero_w_case", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one, progress,
                       details=_details)

"""Witness for lemma residual_gradients: the closed-form gradients equal directional derivatives of F.

Per instance: a sampled (unit, loss, data) and a random point ``(w, V, theta)``; the analytic
``grad_w F = E[r x] + V c``, ``grad_V F = w c^T``, ``grad_theta F`` are compared with Richardson-
extrapolated directional derivatives of ``F`` (``scipy.differentiate``, not forward differences) along
random directions in every block; and the recovery identities ``c = grad_V^T w / ||w||^2``,
``E[r x] = grad_w - V c`` are evaluated.  Margin = ``min(tolerance - discrepancy)``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.certificates.derivatives import gradient_check
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
TOLERANCE = ("directional derivatives: |analytic - extrapolated| <= 10 * scipy error estimate + "
             "1e3 eps (|F| + |analytic| + 1); recovery identities: 64 n eps (1 + magnitudes)")


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 1])
    w, V = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k))
    theta = problem.unit.init(rng)
    check = gradient_check(problem, w, V, theta, rng, directions=1)
    margin = min(c.tolerance - c.discrepancy for c in check.checks)
    g = problem.gradients(w, V, theta)
    c_recovered = g.grad_V.T @ w / (w @ w)
    rx_recovered = g.grad_w - V @ g.c
    for name, got, want in (("c", c_recovered, g.c), ("E[r x]", rx_recovered, g.r_x)):
        tol = rounding_tolerance(np.abs(want).max(), np.abs(got).max(), n=problem.n)
        margin = min(margin, tol - float(np.abs(got - want).max()))
    singular = np.linalg.svd(g.grad_V, compute_uv=False)
    rank_one_residual = float(singular[1]) if singular.size > 1 else 0.0
    return InstanceResult(seed, float(margin), f"{inst.description}; {check}",
                          {"worst_block": check.worst_block, "rank_one_residual": rank_one_residual})


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("residual_gradients", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress,
                       details=lambda rs: {"max_second_singular_value_of_grad_V":
                                           max(r.values.get("rank_one_residual", 0.0) for r in rs)})

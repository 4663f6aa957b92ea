"""Witness for lemma stationarity_consequences, in its quantitative form.

The proof shows ``c = grad_V^T w / ||w||^2`` and ``E[r x] = grad_w - V c``; so at any point with
``w != 0``: ``||c|| = ||grad_V||_F / ||w||`` and ``||E[r x]|| <= ||grad_w|| + ||V||_2 ||c||``.  At a
stationary point both right-hand sides vanish.  Per instance we run a short L-BFGS from a random start
(so points range from far to near stationary), and check both relations; margin = allowed - observed,
allowed including 64 n eps rounding slack.  Details report ``||c||`` and ``||E[r x]||`` at the
near-stationary points, which shrink with the gradient as the lemma says.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.solvers.search import local_minimum_from_seed
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
TOLERANCE = "exact norm relations; slack 64 n eps (1 + magnitudes) for float64 rounding"


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    point = local_minimum_from_seed(problem, seed, maxiter=int(np.random.default_rng(seed).integers(5, 150)))
    w, V = point.w, point.V
    g = problem.gradients(w, V, point.theta)
    norm_w = float(np.linalg.norm(w))
    if norm_w == 0.0:
        return InstanceResult(seed, float("inf"), "w = 0: the lemma assumes w != 0")
    c_norm = float(np.linalg.norm(g.c))
    c_claim = float(np.linalg.norm(g.grad_V)) / norm_w
    rx_norm = float(np.linalg.norm(g.r_x))
    rx_claim = float(np.linalg.norm(g.grad_w)) + float(np.linalg.norm(V, 2)) * c_claim
    tol = rounding_tolerance(c_norm, c_claim, rx_norm, rx_claim, n=problem.n)
    margin = min(tol - abs(c_norm - c_claim), rx_claim + tol - rx_norm)
    return InstanceResult(seed, float(margin),
                          f"{inst.description}; ||c|| = {c_norm:.3e} vs ||grad_V||/||w|| = "
                          f"{c_claim:.3e}; ||E[r x]|| = {rx_norm:.3e} <= {rx_claim:.3e}",
                          {"grad_norm": point.grad_norm, "c_norm": c_norm, "rx_norm": rx_norm})


def _details(results):
    near = [r for r in results if r.values.get("grad_norm", np.inf) <= 1e-6]
    return {"near_stationary_points": len(near),
            "max_c_norm_near_stationary": max((r.values["c_norm"] for r in near), default=None),
            "max_E_rx_norm_near_stationary": max((r.values["rx_norm"] for r in near), default=None)}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("stationarity_consequences", seed, instances or DEFAULT_INSTANCES, TOLERANCE,
                       one, progress, details=_details)

"""Witness for example no_skip_bad_minimum: certified local minima worse than F_lin without a skip connection.

Per instance (``sample_instance`` restricted to ReLU units and the symmetric losses of the lemma):

1. residual network without skip, ``p = w^T V f_theta(x)``, on the symmetrised sample ``([X; -X], [y; -y])``:
   ``theta`` with a dead first layer (margin ``0.5``), ``w`` random, ``V`` random then corrected so that
   ``w^T V f0 = s*``, the best constant (``0`` by symmetry, found by bisection);
   :func:`~..no_skip.no_skip_local_minimum` certifies a local minimum (dead-region radius, constant
   suboptimality ``<= 64 n eps (1 + |F|)``), and ``F - F_lin >= F - F_lin^solver > rounding``;
2. plain two-layer network ``p = v^T relu(A x + beta)`` on the instance's own (unsymmetrised) data, any
   loss: dead first layer (margin ``0.5``) => flat local minimum with ``F = E l(0; y)``, certified worse
   than ``F_lin`` the same way.

Details: how much worse than ``F_lin`` the certified minima are, the certified radii, and, as a contrast,
``||grad_w F||`` at the same point *with* the skip connection (nonzero: not even stationary there).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.no_skip import (TwoLayerNet, best_constant, kill_first_layer, no_skip_local_minimum,
                       symmetrised)
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness
from resnet_lemmas.proofs.losses import get_loss
from resnet_lemmas.proofs.lemmas.no_skip_bad_minimum import SYMMETRIC_LOSSES

DEFAULT_INSTANCES = 200
MARGIN = 0.5
TOLERANCE = ("local minimum: dead first-layer margin > 64 (d + 1) eps (1 + max|z|) and constant "
             "suboptimality <= 64 n eps (1 + |F|); worse than linear: F - F_lin^solver > 64 n eps "
             "(1 + |F| + |F_lin|)")


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
    cert = no_skip_local_minimum(problem, w, V, theta)
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    worse = cert.F - lin.value
    slacks = [cert.tolerance - cert.delta if cert.ok else -1.0 - cert.delta,
              worse - rounding_tolerance(cert.F, lin.value, n=problem.n)]
    with_skip = ResNetProblem(problem.unit, problem.X, problem.y, problem.loss, skip=True)
    grad_w_skip = float(np.linalg.norm(with_skip.gradients(w, V, theta).grad_w))

    # plain two-layer network on the instance's raw data (any loss, including poisson)
    raw_loss = get_loss(sorted(["squared", "logistic", "poisson", "exponential", "pseudo_huber",
                                "softplus_hinge"])[seed % 6])
    X2, y2 = data_for_loss(rng, raw_loss, int(rng.integers(20, 41)), int(rng.integers(2, 4)))
    h = int(rng.integers(2, 6))
    A = rng.normal(size=(h, X2.shape[1]))
    beta = -(np.max(X2 @ A.T, axis=0) + MARGIN)
    net = TwoLayerNet(X2, y2, raw_loss)
    cert2 = net.local_minimum(A, beta, rng.normal(size=h))
    lin2 = linear_benchmark(X2, y2, raw_loss)
    worse2 = cert2.F - lin2.value
    slacks += [cert2.tolerance - cert2.delta if cert2.ok else -1.0,
               worse2 - rounding_tolerance(cert2.F, lin2.value, n=len(y2))]
    return InstanceResult(seed, float(min(slacks)),
                          f"{inst.description} (symmetrised, no skip): {cert.message}; F - F_lin >= "
                          f"{worse:.4g}; two-layer net ({raw_loss.name}): {cert2.message}; F - F_lin >= "
                          f"{worse2:.4g}",
                          {"resnet_worse_by": worse, "resnet_radius": cert.radius,
                           "two_layer_worse_by": worse2, "two_layer_radius": cert2.radius,
                           "grad_w_with_skip": grad_w_skip})


def _details(results):
    vals = [r.values for r in results if "resnet_worse_by" in r.values]
    if not vals:
        return {}
    col = lambda key: np.array([v[key] for v in vals])  # noqa: E731
    return {"certified_bad_minima_no_skip_resnet": int(sum(r.ok for r in results)),
            "no_skip_F_minus_F_lin": {"min": float(col("resnet_worse_by").min()),
                                      "median": float(np.median(col("resnet_worse_by")))},
            "two_layer_F_minus_F_lin": {"min": float(col("two_layer_worse_by").min()),
                                        "median": float(np.median(col("two_layer_worse_by")))},
            "min_certified_radius": float(min(col("resnet_radius").min(), col("two_layer_radius").min())),
            "with_skip_min_grad_w_norm_at_same_point": float(col("grad_w_with_skip").min())}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("no_skip_bad_minimum", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)

"""The main theorem at one point, with a tolerance derived from the point's gradient (not guessed).

:func:`check_point` takes a :class:`~.model.ResNetProblem` and a point ``(w, V, theta)`` — typically
one returned by the local-minimum search — and checks ``F <= F_feat(theta) <= F_lin`` in the form that
holds at *every* point (DESIGN.md section 4, ``numerics.certificates.bounds``):

    F <= E l(a^T x + b^T f_theta(x)) + ||w - a|| ||grad_w F|| + (||a|| ||V||_2 + ||b||) ||grad_V F|| / ||w||

for the certified feature comparator ``(a*, b*)`` (when the feature infimum is not attained: the
solver's base point and ``base + t direction``, ``t`` = 1, 10, 100; the best is kept), plus float64
rounding slack.  At an exact local minimum the gradient terms vanish and this is the theorem.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import BenchmarkResult, feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import gap_bound, rounding_tolerance

TOLERANCE = ("F <= E l(a*^T x + b*^T f) + ||w - a*|| ||grad_w F|| + (||a*|| ||V||_2 + ||b*||) "
             "||grad_V F|| / ||w|| + 64 n eps (1 + |F| + |E l|): the section-4 inequality at the point, "
             "with its own gradient norms; and F_feat <= F_lin + suboptimality bound + rounding")


@dataclass
class PointCheck:
    """Outcome at one point: ``margin >= 0`` iff both relations held (``margin`` = the smaller slack)."""

    F: float
    F_feat: float
    F_lin: float
    gradient_slack: float
    margin: float
    grad_norm: float
    message: str

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.margin) and self.margin >= 0)

    @property
    def beats_linear_by(self) -> float:
        return self.F_lin - self.F


def comparators(bench: BenchmarkResult, size: int):
    """Feature comparators ``[a, b]`` to try: the certified minimiser, else points along the ray."""
    if bench.argmin is not None:
        yield bench.argmin
        return
    base = bench.point if bench.point is not None else np.zeros(size)
    yield base  # any comparator gives a valid inequality; the solver's last point is one
    if bench.direction is not None:
        for scale in (1.0, 10.0, 100.0):
            yield base + scale * bench.direction


def check_point(problem, w, V, theta, linear: BenchmarkResult | None = None) -> PointCheck:
    """Check the main theorem at ``(w (d,), V (d, k), theta (q,))`` of ``problem``."""
    lin = linear if linear is not None else linear_benchmark(problem.X, problem.y, problem.loss)
    Fx = problem.features(theta)
    feat = feature_benchmark(problem.X, Fx, problem.y, problem.loss)
    g = problem.gradients(w, V, theta)
    best, best_slack = -np.inf, np.inf
    # far along a divergent search the norms may overflow to inf: the slack is then vacuous (inf),
    # which the margin reports honestly, so the overflow warning is noise here
    with np.errstate(over="ignore", invalid="ignore"):
        for ab in comparators(feat, problem.d + problem.k):
            a, b = ab[:problem.d], ab[problem.d:]
            E_lq = float(np.mean(problem.loss.value(problem.X @ a + Fx @ b, problem.y)))
            slack = gap_bound(g, w, V, a, b)
            margin = E_lq + slack + rounding_tolerance(g.F, E_lq, n=problem.n) - g.F
            if margin > best:
                best, best_slack = margin, slack
    feat_vs_lin = (lin.value + feat.suboptimality_bound
                   + rounding_tolerance(lin.value, feat.value, n=problem.n) - feat.value)
    grad_norm = float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2)
                              + (g.grad_theta @ g.grad_theta if g.grad_theta is not None else 0.0)))
    message = (f"F = {g.F:.6g}, F_feat = {feat.value:.6g}, F_lin = {lin.value:.6g}, "
               f"gradient slack {best_slack:.2e}, ||grad F|| = {grad_norm:.2e}")
    return PointCheck(float(g.F), float(feat.value), float(lin.value), float(best_slack),
                      float(min(best, feat_vs_lin)), grad_norm, message)

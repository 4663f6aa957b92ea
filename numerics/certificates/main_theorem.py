"""The main theorem at certified local minima, with no gradient slack; and the older bound at any point.

Claims at a certified local minimum (:func:`theorem_claims`)
-----------------------------------------------------------
At a point ``(w, V, theta)`` that :func:`~.local_minimum.certify_local_minimum` certified, with the
benchmarks ``F_lin`` and ``F_feat(theta)`` bracketed from both sides (``[lower, upper]``,
:mod:`~.convex_benchmarks`: ``upper`` the solver's value, ``lower`` a Fenchel dual value):

* ``F <= F_feat``:  ``F(point) <= F_feat.lower + (F_feat bracket width) + (rounding of F)``;
* ``F_feat <= F_lin``:  ``F_feat.lower <= F_lin.lower + (F_lin bracket width) + (rounding of F_lin)``;
* ``F <= F_lin``:  ``F(point) <= F_lin.lower + (F_lin bracket width) + (rounding of F)``;
* ``F_lin bracket`` / ``F_feat bracket``:  ``upper = lower`` within the rounding of the primal mean and
  the solver's own second-order remainder ``||grad G||^2 / lambda_min`` (a benchmark reported too
  large, or a wrong dual, breaks this).

They are made only when both brackets are closed (:func:`brackets_closed`: converged solver, exactly
feasible dual point with a tiny correction); otherwise the point is unchecked, since the width of an
open bracket grows with the solver's error.

These are the theorem's relations (``F(w, V, theta) <= F_feat(theta)``, ``F_feat(theta) <= F_lin``) and their
consequence, coded in NumPy: a fast path for ``verify`` (:func:`certify_end_point`).  The witness evaluates
the theorem's own conclusion through the bridge from the same values and allowances
(:func:`theorem_quantities`); ``tests/numerics/certificates/test_main_theorem.py`` checks both agree.

Each allowance is the certified error of the quantities compared -- the benchmarks' bracket widths and
float64 rounding (:func:`~.hessian.F_rounding`: ``64 n eps (1 + |F|)`` plus the rounding of ``p``
carried through ``l'``) -- never a gradient slack.  Why ``F(point)`` may stand for ``F`` at the local
minimum: at a point with ``w != 0``, ``F(point) - F_feat(theta) = G(w, V^T w) - min G`` (``G(a, b) = E
l(a^T x + b^T f_theta(x))``), the suboptimality of ``(a, b) = (w, V^T w)`` in the convex feature
problem, whose gradient there is ``(E[r x], c) = (grad_w F - V c, grad_V F^T w / ||w||^2)``; the
remainder is therefore *second order* in the certified stationarity (about ``||grad G||^2 / (2
lambda)``), i.e. ``~1e-18 / lambda`` at the relative tolerance ``1e-9`` -- below the rounding allowance,
which is why no slack is added for it (a point that is not stationary, or a wrong ``F``, gradient or
benchmark, shows up as a violation).

The older check (:func:`check_point`, used by ``verify`` until it moves to :func:`certify_end_point`)
holds at *every* point, with a tolerance derived from the point's own gradient; it is a bound, not
the theorem.

:func:`check_point` takes a :class:`~.model.ResNetProblem` and a point ``(w, V, theta)`` — typically
one returned by the local-minimum search — and checks ``F <= F_feat(theta) <= F_lin`` in the form that
holds at *every* point (DESIGN.md section 4, ``numerics.certificates.bounds``):

    F <= E l(a^T x + b^T f_theta(x)) + ||w - a|| ||grad_w F|| + (||a|| ||V||_2 + ||b||) ||grad_V F|| / ||w||

for the certified feature comparator ``(a*, b*)`` (when the feature infimum is not attained: the
solver's base point and ``base + t direction``, ``t`` = 1, 10, 100; the best is kept), plus float64
rounding slack.  At an exact local minimum the gradient terms vanish and this is the theorem.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import BenchmarkResult, feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import gap_bound, rounding_tolerance
from resnet_lemmas.numerics.witnesses.harness import Claim

#: The allowances of :func:`theorem_claims`, in words (the witnesses' TOLERANCE sentences build on it).
CLAIMS_TOLERANCE = (
    "at certified local minima only, no gradient slack: F <= F_feat.lower + F_feat bracket width + "
    "rounding of F; F_feat.lower <= F_lin.lower + F_lin bracket width + rounding of F_lin; F <= "
    "F_lin.lower + F_lin bracket width + rounding of F (rounding of F = 64 n eps (1 + |F|) + 64 K eps "
    "E[|l'(p)| |terms of p|]); brackets [Fenchel dual value, solver value] must close: upper = lower "
    "within 64 n eps (1 + |upper| + |lower|) + the solver's ||grad||^2 / lambda_min.  F(point) stands "
    "for F at the minimum because F(point) - F_feat(theta) = G(w, V^T w) - min G is second order in "
    "the certified stationarity (grad G = (grad_w F - V c, grad_V F^T w / ||w||^2)), ~1e-18 / lambda "
    "at relative tolerance 1e-9, below the rounding allowance")

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


# -- claims at certified local minima -------------------------------------------------------------------
#: The most a closed bracket may be excused beyond rounding by its solver's certified remainder
#: ``||grad||^2 / lambda_min``, relative to ``1 + |value|`` (:func:`bracket_claim`): seven orders above the
#: largest remainder measured on the witnesses' closed brackets (3e-19, 57 brackets, seed 0), far below
#: any difference the theorem's comparisons resolve.
BRACKET_RESOLUTION = 1e-12


def bracket_claim(label: str, bench: BenchmarkResult, n: int) -> Claim | None:
    """``upper = lower`` for a benchmark whose bracket must close (``bench.tight``: converged, and its
    dual point needed only a tiny correction), or ``None`` when it has no such certificate (the width
    is then only the benchmark's uncertainty, allowed where the benchmark is compared)."""
    if not bench.tight:
        return None
    allowance = {"rounding": rounding_tolerance(bench.value, bench.lower, n=n)}
    if np.isfinite(bench.suboptimality_bound) and bench.suboptimality_bound > 0:
        # the solver's certified remainder excuses a width only up to a fixed resolution: a loosened
        # solver tolerance widens the remainder, and with it every comparison against the bracket
        # (red team: GTOL 1e-10 -> 1e-4 verified); measured on closed brackets: at most 3e-19 relative
        cap = BRACKET_RESOLUTION * (1.0 + abs(bench.value))
        allowance[f"solver ||grad||^2 / lambda_min (at most {BRACKET_RESOLUTION:g} (1 + |value|))"] = \
            float(min(bench.suboptimality_bound, cap))
    return Claim(label, bench.value, "=", bench.lower, allowance)


def brackets_closed(*benchmarks: BenchmarkResult | None) -> bool:
    """Every benchmark's bracket is certified to close (``BenchmarkResult.tight``: the solver converged
    and its dual point needed only a tiny correction).  Only then may a bracket width serve as an
    allowance: a stopped solver reports a value too large by its own error, and a width that grows with
    the error a claim should catch is not an allowance (each bracket's closing is itself a claim,
    :func:`bracket_claim`, which bounds the width by rounding and the solver's certified remainder).  A
    point whose benchmarks are not closed is therefore *unchecked*, never passed."""
    return all(b is not None and b.tight for b in benchmarks)


def theorem_quantities(F: float, F_rounding: float, feat: BenchmarkResult, lin: BenchmarkResult,
                       n: int, *, feat_closed: bool = True) -> tuple[dict, dict]:
    """What the claims at a certified local minimum compare: ``(values, allowances)``.

    ``values`` are keyed by the SymPy names of ``proofs/expressions.py``: ``F`` (the value at the point),
    ``F_feat`` and ``F_lin`` (the *lower* ends of the benchmarks' brackets, so each relation is compared
    with a rigorous bound).  ``allowances`` maps each relation, ``"F <= F_feat"``, ``"F_feat <= F_lin"`` and
    the consequence ``"F <= F_lin"``, to its named allowances (bracket widths and float64 rounding, module
    docstring).  Both the witness (through the bridge, on the lemma's own relations) and
    :func:`theorem_claims` (this module's NumPy fast path) are built from them.  A bracket width is an
    allowance only for a closed bracket (:func:`brackets_closed`; ``ValueError`` otherwise): with
    ``feat_closed=False`` only ``F_lin``'s must be closed and ``"F <= F_feat"`` is left out."""
    if not brackets_closed(*((feat, lin) if feat_closed else (lin,))):
        raise ValueError("theorem_quantities needs closed brackets (brackets_closed): the width of an open "
                         f"one is not an allowance (F_feat: {feat.lower_message or feat.message}; "
                         f"F_lin: {lin.lower_message or lin.message})")
    lin_round = rounding_tolerance(lin.value, n=n)
    # a bracket whose float64 upper end lies a rounding error below its exact lower end has width 0
    # here; the bracket claims themselves compare the two ends
    feat_width, lin_width = max(feat.bracket_width, 0.0), max(lin.bracket_width, 0.0)
    values = {"F": float(F), "F_feat": float(feat.lower), "F_lin": float(lin.lower)}
    allowances = {"F <= F_feat": {"F_feat bracket": feat_width, "rounding of F": F_rounding},
                  "F_feat <= F_lin": {"F_lin bracket": lin_width, "rounding of F_lin": lin_round},
                  "F <= F_lin": {"F_lin bracket": lin_width, "rounding of F": F_rounding}}
    if not feat_closed:
        # F_feat's lower end is still a rigorous lower bound (F_feat <= F_lin compares it without its
        # width), but F <= F_feat would need F_feat's width as an allowance: not offered
        del allowances["F <= F_feat"]
    return values, allowances


def theorem_claims(F: float, F_rounding: float, feat: BenchmarkResult, lin: BenchmarkResult, n: int,
                   suffix: str = "") -> list[Claim]:
    """The claims of the module docstring at one certified local minimum with value ``F`` (float64
    rounding bound ``F_rounding``); ``[]`` unless both brackets are closed (:func:`brackets_closed`).  Labels are keyed
    by the SymPy names ``F``, ``F_feat``, ``F_lin`` of ``proofs/expressions.py`` (``suffix`` names the
    point).  The NumPy fast path of the main theorem's relations (``verify`` uses it); the witness
    evaluates the lemma's own relations through the bridge from :func:`theorem_quantities`, and
    ``tests/numerics/certificates/test_main_theorem.py`` checks that both agree."""
    if not brackets_closed(feat, lin):
        return []
    feat_bracket = bracket_claim("F_feat bracket" + suffix, feat, n)
    values, allowances = theorem_quantities(F, F_rounding, feat, lin, n)
    return ([feat_bracket] if feat_bracket is not None else []) + [
        Claim("F <= F_feat" + suffix, values["F"], "<=", values["F_feat"], allowances["F <= F_feat"]),
        Claim("F_feat <= F_lin" + suffix, values["F_feat"], "<=", values["F_lin"], allowances["F_feat <= F_lin"]),
        Claim("F <= F_lin" + suffix, values["F"], "<=", values["F_lin"], allowances["F <= F_lin"]),
    ]


@dataclass
class EndPointCertificate:
    """What :func:`certify_end_point` found at one end point: the local-minimum ``certificate``
    (:class:`~.local_minimum.LocalMinimumCertificate`), the ``claims`` of :func:`theorem_claims` (empty
    unless certified), ``margin`` (their smallest margin; ``nan`` without claims), ``values`` keyed by
    the SymPy names (``F``, ``F_feat``, ``F_lin``, ``w``, ``V``, ``c``, ``E_rx``, ``grad_w``, ``grad_V``) and
    the benchmarks ``feat`` and ``lin``."""

    certificate: object
    claims: list = field(default_factory=list)
    values: dict = field(default_factory=dict)
    feat: BenchmarkResult | None = None
    lin: BenchmarkResult | None = None

    @property
    def status(self) -> str:
        return self.certificate.status

    @property
    def margin(self) -> float:
        return min((c.margin for c in self.claims), default=float("nan"))

    @property
    def ok(self) -> bool:
        """No claim failed (True also when nothing was claimed: see ``status``)."""
        return all(c.margin >= 0 for c in self.claims)


def certify_end_point(problem, w, V, theta, linear: BenchmarkResult | None = None,
                      **certify_options) -> EndPointCertificate:
    """Certify the end point ``(w (d,), V (d, k), theta (q,))`` of a search on ``problem`` (a
    ``ResNetProblem``) as a local minimum (:func:`~.local_minimum.certify_local_minimum`, options passed
    on) and, if it is one, evaluate the main theorem's claims there (:func:`theorem_claims`).  For
    ``verify``: the status says whether the start ended at a certified local minimum; the claims compare
    it with ``F_feat`` and ``F_lin`` without gradient slack."""
    from resnet_lemmas.numerics.certificates.local_minimum import certify_local_minimum

    cert = certify_local_minimum(problem, w, V, theta, **certify_options)
    lin = linear if linear is not None else linear_benchmark(problem.X, problem.y, problem.loss)
    out = EndPointCertificate(cert, lin=lin)
    if not cert.certified:
        return out
    feat = feature_benchmark(problem.X, problem.features(theta), problem.y, problem.loss)
    g = problem.gradients(w, V, theta)
    out.feat = feat
    out.claims = theorem_claims(cert.F, cert.F_rounding, feat, lin, problem.n)
    out.values = {"F": cert.F, "F_feat": [feat.lower, feat.value], "F_lin": [lin.lower, lin.value],
                  "w": np.asarray(w, float).tolist(), "V": np.asarray(V, float).tolist(),
                  "c": g.c.tolist(), "E_rx": g.r_x.tolist(), "grad_w": g.grad_w.tolist(),
                  "grad_V": g.grad_V.tolist()}
    return out


def certify_end_points(problem, points, linear: BenchmarkResult | None = None,
                       **certify_options) -> tuple[list[EndPointCertificate], dict]:
    """:func:`certify_end_point` for each end point ``(w, V, theta)`` in ``points`` (``F_lin`` computed
    once); returns the certificates and the counts by status (``runs`` and each of
    ``local_minimum.STATUSES``), e.g. for ``verify`` to say how many starts ended at certified local
    minima."""
    from resnet_lemmas.numerics.certificates.local_minimum import STATUSES

    lin = linear if linear is not None else linear_benchmark(problem.X, problem.y, problem.loss)
    results = [certify_end_point(problem, w, V, theta, linear=lin, **certify_options) for w, V, theta in points]
    counts = {"runs": len(results), **{status: sum(r.status == status for r in results) for status in STATUSES}}
    return results, counts

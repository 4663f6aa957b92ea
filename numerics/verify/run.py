"""Verify the main theorem on a user's own residual unit and data: the procedure behind ``verify``.

Given a residual unit ``f_theta`` (any object :func:`~.user_units.adapt_unit` accepts, or
``"MODULE:ATTR"``), data ``X (n, d)``, ``y (n,)`` and a convex differentiable loss ``l``,
:func:`verify`:

1. checks the preconditions, each with a clear error: the loss is known, convex and differentiable
   (``proofs.losses.get_loss``) and the targets suit it (0/1 labels for a margin loss are named as
   such, with the map ``2y - 1``); the data are finite with matching shapes; the unit maps ``X`` to a
   finite ``(n, k)`` array at its ``theta0``; a user-supplied ``vjp`` agrees with Richardson
   extrapolation of the unit (:func:`~.user_units.check_vjp`); and the run is affordable: its
   duration, estimated from one measured evaluation, is at most :data:`~.defaults.LONG_RUN_SECONDS`
   unless confirmed (``confirm_long``), and ``restarts <= MAX_RESTARTS`` (:class:`ResourceLimitError`);
2. computes ``F_lin = inf_u E l(u^T x; y)`` with its certificate (:func:`~.benchmarks.linear_benchmark`):
   a minimiser ``u*`` with a suboptimality bound, or -- when the infimum is not attained (separable
   data under a margin loss) -- the exact infimum and the ray ``u_C + t u_S`` approaching it;
3. runs ``restarts`` L-BFGS-B searches on ``F(w, V, theta)`` over all parameters of the user's
   architecture (start seeds :func:`~.search.start_seeds`), each followed by the polish of the main
   theorem's witness when the packed dimension ``N = d + d k + q`` is at most
   :data:`~.defaults.POLISH_MAX_PARAMS` (:func:`~.search.polished_local_minimum`: the Hessian,
   negative-curvature steps, Newton steps to the certificate's relative stationarity ``1e-9``;
   ``maxiter`` bounds all phases together); larger units get L-BFGS-B alone
   (:func:`~.search.local_minimum_from_seed`) and each start says so.  The polish only moves the
   point: the certificate of step 5 is the same, and its steps are visited points like any other;
4. at **every point the search evaluates** (iterates, line-search trials, polish steps) checks, for each linear
   comparator ``u`` (``u*``; or ``u_C + t u_S``, ``t = 0, 1, 10, 100``, when not attained), the
   inequalities of lemma ``approximate_stationarity_bound`` (``numerics.certificates.bounds``)::

       F - E l(u^T x) <= (w - u)^T grad_w F + u^T V c                                 (convexity)
       F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||   (bound)

   each up to the float64 allowance ``64 n eps (1 + |F| + |E l| + ||w - u|| E|r| max_i ||x_i||)``
   (rounding of means of ``n`` terms: :func:`~.bounds.rounding_tolerance`, plus the rounding of
   ``grad_w F = E[r x] + V c``, whose terms have size ``|r| ||x||``);
5. at each start's final point checks the main theorem ``F <= F_feat(theta) <= F_lin`` with the
   tolerance derived from that point's gradient (:func:`~.main_theorem.check_point`).

Verdict, per start: ``violation`` if any check failed (including the theorem's claims at a certified
local minimum); else ``local minimum`` if the end point is a certified local minimum (bounded,
stationary to a relative tolerance, second-order test: :mod:`~..certificates.local_minimum`), where
``F <= F_feat <= F_lin`` held without gradient slack; else ``beats linear`` if ``F < F_lin - s - tol``
(``s`` the certified suboptimality of ``F_lin``'s point, ``tol = 64 n eps (1 + |F| + |F_lin|)``: it
beats the infimum itself); ``ties linear`` if ``F <= F_lin + tol``; else ``saddle`` / ``escaped`` /
``not converged`` (above ``F_lin`` at no certified local minimum: says nothing).  Overall
(:data:`VERDICTS`; ``m`` the number of starts that ended at a certified local minimum, ``K`` the
argument ``require_minima``, default 1):

- ``violated``: some start has a violation;
- ``inconclusive``: no violation, but some start ended above ``F_lin`` at no certified local minimum;
- ``verified``: every start is a certified ``local minimum`` or ended no worse than ``F_lin``, and
  ``m >= max(K, 1)``: the theorem's claims ``F <= F_feat <= F_lin`` were checked, without gradient
  slack, at ``m`` certified local minima and held at each;
- ``too few minima``: as ``verified`` but ``m < K``.  Every start ended no worse than ``F_lin``, which
  by itself says nothing about local minima (an end point below ``F_lin`` is no minimum, and "no bad
  local minimum" is the kernel's theorem, not something such a run adds);
- ``below linear``: the same with ``K = 0`` and ``m = 0``: the caller asked for no certified minimum,
  and the verdict says what was established, that every start ended no worse than ``F_lin``.

``ok`` (exit status 0 of the command, a passing ``assert_no_bad_local_minima``) iff the verdict is
``verified`` or ``below linear`` (:data:`PASSING`).  When ``F_lin`` is an infimum that is not attained,
every finite point has ``F > F_lin`` and no local minimum exists; no start can then count, and the
report says so.  The verdict is decided in one place, :func:`_verdict`.

Diagnostics (they never change the verdict; they say what went wrong and what to do):

- **NaN/inf during the search**: a point where the unit's output, ``F`` or a gradient is not finite
  counts as ``+inf`` for the line search (which then backs off); the first such point of each start
  is recorded with ``||theta||`` there (``StartResult.first_nonfinite``, ``nonfinite_theta_norm``);
- **why a start stopped** (:func:`stop_cause`): the iteration limit, a line-search breakdown
  (L-BFGS-B's ``ABNORMAL``), a step without any decrease, a non-finite start.  Only the iteration
  limit is cured by a larger ``maxiter``, so only then does the report advise it;
- **badly scaled data** (:func:`~.datasets.scale_diagnosis`), with the cure ``standardize=True``
  (``--standardize``: :func:`~.datasets.standardise_features`).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from resnet_lemmas.numerics._blas import single_threaded_blas
from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import first_order_gap, gap_bound, rounding_tolerance
from resnet_lemmas.numerics.data.datasets import scale_diagnosis, standardise_features
from resnet_lemmas.numerics.data.synthetic import DataError, validate_data
from resnet_lemmas.numerics.certificates.main_theorem import CLAIMS_TOLERANCE
from resnet_lemmas.numerics.certificates.main_theorem import TOLERANCE as TOLERANCE_THEOREM
from resnet_lemmas.numerics.certificates.main_theorem import certify_end_point, check_point, comparators
from resnet_lemmas.numerics.certificates.local_minimum import (CERTIFIED, ESCAPED, PARAM_NORM_CAP, SADDLE,
                                                             STATIONARITY_RTOL, curvature_claim)
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.solvers.search import (POLISH_HESSIANS, local_minimum_from_seed,
                                                   polished_local_minimum, start_point, start_seeds)
from resnet_lemmas.numerics.verify.defaults import (GTOL, LONG_RUN_SECONDS, MAX_RESTARTS, MAXITER,
                                                    NOTE_RUN_SECONDS, POLISH_MAX_PARAMS, REQUIRE_MINIMA,
                                                    RESTARTS)
from resnet_lemmas.numerics.verify.user_units import (UnitOutputError, UserUnitError, adapt_unit,
                                                      check_unit_output, check_vjp, load_unit,
                                                      torch_single_threaded)

#: the final-point tolerance sentence, naming the lemma whose inequality it is (users have the lemma,
#: not the design notes the certificate's own sentence cites)
_THEOREM_TOLERANCE = TOLERANCE_THEOREM.replace("the section-4 inequality",
                                               "the inequality of approximate_stationarity_bound")

# Defaults of :func:`verify` (and of the CLI and the pytest plugin), in :mod:`.defaults`: ``maxiter``
# bounds each start's L-BFGS-B iterations; ``gtol`` is the search's stationarity test
# ``max_j |dF/dparam_j| <= gtol``.

STATUSES = ("local minimum", "beats linear", "ties linear", "saddle", "escaped", "not converged",
            "violation")

#: The overall verdicts (module docstring); :attr:`VerifyReport.ok` iff one of :data:`PASSING`.
VERDICTS = ("verified", "below linear", "too few minima", "inconclusive", "violated")
PASSING = ("verified", "below linear")


class VjpError(UserUnitError):
    """The user's ``vjp`` disagrees with the derivative of the unit (finite-difference check)."""


class ResourceLimitError(ValueError):
    """The run would be too long or too large; the message gives the estimate and the ways out."""

    def __init__(self, message: str, estimate_seconds: float = float("nan")):
        super().__init__(message)
        self.estimate_seconds = estimate_seconds


#: Why a start stopped (:func:`stop_cause`); only ``"iteration limit"`` is cured by a larger maxiter.
STOP_CAUSES = ("converged", "iteration limit", "line search", "no decrease", "nonfinite start", "other")


@dataclass
class StartResult:
    """One start of the search, and every check made on it.

    ``F``, ``F_feat`` (feature benchmark at the final ``theta``), ``beats_linear_by = F_lin - F``;
    stationarity at the final point: ``grad_norm_w/V/theta`` (2-norms), ``max_abs_grad``, ``converged``
    (``max_abs_grad <= gtol``), ``eps_bound = max(||grad_w F||, ||grad_V F||) (||w - u|| + ||u|| ||V||_2 /
    ||w||)`` (the bound of lemma ``approximate_stationarity_bound`` on ``F - E l(u^T x)``, ``u`` the linear minimiser or base point);
    ``theorem_margin``/``gradient_slack`` from :func:`~.main_theorem.check_point`; over the visited
    points: ``points_checked``, ``nonfinite_points`` (skipped: ``F`` or a gradient overflowed),
    ``bound_margin``/``convexity_margin`` (the smallest slack of each inequality over all points and
    comparators, ``>= 0`` iff it held everywhere), ``violations`` and the first one (``first_violation``);
    ``stop_cause`` (:func:`stop_cause`), ``first_nonfinite`` (where ``F``, a gradient or the unit's
    output first was NaN/inf, in words) and ``nonfinite_theta_norm`` (``||theta||`` there; NaN if never);
    ``polish``: what the polish after L-BFGS-B did, or why none was tried (:func:`_polish_note`).
    """

    index: int
    seed: int
    status: str
    F: float
    F_feat: float
    beats_linear_by: float
    converged: bool
    max_abs_grad: float
    grad_norm_w: float
    grad_norm_V: float
    grad_norm_theta: float
    eps_bound: float
    param_norm: float
    nit: int
    theorem_margin: float
    gradient_slack: float
    points_checked: int
    nonfinite_points: int
    bound_margin: float
    convexity_margin: float
    violations: int
    first_violation: str
    optimiser_message: str
    message: str
    seconds: float
    stop_cause: str = ""
    first_nonfinite: str = ""
    nonfinite_theta_norm: float = float("nan")
    certificate: str = ""
    certificate_message: str = ""
    claims_margin: float = float("nan")
    claims: list = field(default_factory=list)
    polish: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "violation"


@dataclass
class VerifyReport:
    """Everything :func:`verify` found.  ``verdict`` one of :data:`VERDICTS` (module docstring); ``ok``
    iff it is ``verified`` or ``below linear`` (:data:`PASSING`); ``require_minima`` the number of
    certified local minima asked for, ``certified_minima`` the number examined (starts whose status is
    ``local minimum``).  ``diagnostics``: sentences on what went wrong (badly scaled data, NaN/inf met
    by a start, line-search breakdowns); ``advice``: what to do next, derived from the causes (never
    "raise maxiter" unless the iteration limit stopped a start); ``estimate_seconds``: the
    duration estimated before the search.  ``to_json()`` gives the same as one JSON-ready dict (non-finite floats as the
    strings ``"inf"``/``"-inf"``/``"nan"``)."""

    verdict: str
    summary: str
    seed: int
    restarts: int
    loss: str
    data: str
    n: int
    d: int
    k: int
    q: int
    unit: str
    F_lin: float
    linear_attained: bool
    linear_message: str
    linear_grad_norm: float
    linear_suboptimality_bound: float
    linear_n_separated: int
    starts: list = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    vjp_check: str = ""
    tolerance: str = ""
    seconds: float = 0.0
    diagnostics: list = field(default_factory=list)
    advice: str = ""
    estimate_seconds: float = float("nan")
    require_minima: int = 1

    @property
    def ok(self) -> bool:
        return self.verdict in PASSING

    @property
    def certified_minima(self) -> int:
        return sum(1 for r in self.starts if r.status == "local minimum")

    @property
    def counts(self) -> dict:
        return {s: sum(1 for r in self.starts if r.status == s) for s in STATUSES}

    @property
    def worst_theorem_margin(self) -> float:
        return min((r.theorem_margin for r in self.starts), default=float("nan"))

    @property
    def worst_bound_margin(self) -> float:
        return min((r.bound_margin for r in self.starts), default=float("nan"))

    def to_json(self) -> dict:
        out = asdict(self)
        out["ok"] = self.ok
        out["counts"] = self.counts
        out["certified_minima"] = self.certified_minima
        out["worst_theorem_margin"] = self.worst_theorem_margin
        out["worst_bound_margin"] = self.worst_bound_margin
        return _jsonable(out)

    def text(self) -> str:
        """A human-readable report (what the CLI prints and the pytest plugin shows on failure)."""
        lines = [
            f"resnet-lemmas verify: {self.verdict.upper()}: {self.summary}",
            f"  unit: {self.unit}; k = {self.k}, q = {self.q}",
            f"  data: {self.data} (n = {self.n}, d = {self.d}); loss: {self.loss}; seed {self.seed}, "
            f"{self.restarts} restarts, maxiter {self.settings.get('maxiter')}, gtol {self.settings.get('gtol')}; "
            f"certified local minima: {self.certified_minima} examined, {self.require_minima} required",
            f"  F_lin = {self.F_lin:.10g} ({'attained' if self.linear_attained else 'NOT attained'}): "
            f"{self.linear_message}",
        ]
        if self.vjp_check:
            lines.append(f"  vjp check: {self.vjp_check}")
        header = (f"  {'start':>5} {'seed':>10} {'status':<14} {'F':>12} {'F_lin - F':>11} {'F_feat':>12} "
                  f"{'max|grad|':>9} {'end point':<11} {'thm margin':>10} {'bound margin':>12} "
                  f"{'points':>6}")
        lines += [header, "  " + "-" * (len(header) - 2)]
        for r in self.starts:
            margin = r.claims_margin if r.certificate == CERTIFIED else r.theorem_margin
            lines.append(f"  {r.index:>5} {r.seed:>10} {r.status:<14} {r.F:>12.6g} {r.beats_linear_by:>11.3g} "
                         f"{r.F_feat:>12.6g} {r.max_abs_grad:>9.2e} {r.certificate:<11} {margin:>10.3g} "
                         f"{r.bound_margin:>12.3g} {r.points_checked:>6}")
        for r in self.starts:
            if r.status in ("violation", "not converged", "saddle", "escaped"):
                lines.append(f"  start {r.index} (seed {r.seed}): {r.message}")
        for line in self.diagnostics:
            lines.append(f"  diagnosis: {line}")
        if self.advice:
            lines.append(f"  advice: {self.advice}")
        lines.append(f"  tolerances: {self.tolerance}")
        lines.append(f"  {self.seconds:.1f} s")
        return "\n".join(lines)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if np.isfinite(value) else str(value)
    return value


# -- monitoring every point the search visits ------------------------------------------------------
class _Monitor:
    """Stands in for a :class:`~.model.ResNetProblem` in the search: delegates everything to it, checks
    the inequalities of ``approximate_stationarity_bound`` (module docstring, step 4) at every
    ``fun_and_grad`` call, and records the first point where something was not finite."""

    def __init__(self, problem: ResNetProblem, comps: list[tuple[np.ndarray, float]]):
        self._problem = problem
        self._comps = comps
        self._zeros_k = np.zeros(problem.k)
        self._x_max = float(np.max(np.linalg.norm(problem.X, axis=1)))
        self.reset()

    def reset(self):
        self.points = 0
        self.nonfinite = 0
        self.bound_margin = float("inf")
        self.convexity_margin = float("inf")
        self.violations = 0
        self.first_violation = ""
        self.first_nonfinite = ""
        self.nonfinite_theta_norm = float("nan")

    def __getattr__(self, name):
        return getattr(self._problem, name)

    def _unit_nonfinite(self, theta) -> str:
        """``""`` if the unit's output at ``theta`` is finite, else what is wrong with it."""
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(self._problem.unit(self._problem.X, theta), dtype=np.float64)
            except Exception as exc:  # the caller re-raises the original error with context
                return f"calling the unit raised {type(exc).__name__}: {exc}"
        bad = ~np.isfinite(out)
        if not bad.any():
            return ""
        rows = int(np.sum(bad.reshape(out.shape[0], -1).any(axis=1)))
        return f"the unit returned NaN/inf ({int(bad.sum())} entries, {rows} of {out.shape[0]} rows)"

    def _record_nonfinite(self, w, V, theta, what: str) -> None:
        self.nonfinite += 1
        if not self.first_nonfinite:
            self.nonfinite_theta_norm = float(np.linalg.norm(theta))
            self.first_nonfinite = (
                f"{what} at ||theta|| = {self.nonfinite_theta_norm:.4g} (||w|| = "
                f"{np.linalg.norm(w):.3g}, ||V|| = {np.linalg.norm(V):.3g}; evaluation "
                f"{self.points + self.nonfinite} of this start)")

    def observe(self, w, V, g, theta=None) -> None:
        if not (np.isfinite(g.F) and np.all(np.isfinite(g.grad_w)) and np.all(np.isfinite(g.grad_V))):
            what = self._unit_nonfinite(theta) if theta is not None else ""
            if not what:
                what = ("F is not finite (the loss overflowed)" if not np.isfinite(g.F)
                        else "the gradient in (w, V) is not finite")
            self._record_nonfinite(w, V, theta if theta is not None else np.zeros(0), what)
            return
        self.points += 1
        n = self._problem.n
        r_scale = float(np.mean(np.abs(g.r))) * self._x_max
        for u, E_l_u in self._comps:
            gap = g.F - E_l_u
            first = first_order_gap(g, w, V, u, self._zeros_k)
            bound = gap_bound(g, w, V, u, self._zeros_k)
            tol = rounding_tolerance(g.F, E_l_u, float(np.linalg.norm(w - u)) * r_scale, n=n)
            m_first = first + tol - gap
            m_bound = bound + tol - gap if np.isfinite(bound) else float("inf")
            self.convexity_margin = min(self.convexity_margin, m_first)
            self.bound_margin = min(self.bound_margin, m_bound)
            if not (m_first >= 0 and m_bound >= 0):
                self.violations += 1
                if not self.first_violation:
                    self.first_violation = (
                        f"at evaluation {self.points}: F - E l(u^T x) = {gap:.6g} exceeds "
                        + (f"the first-order term {first:.6g}" if m_first < 0 else f"the bound {bound:.6g}")
                        + f" by {-min(m_first, m_bound):.3g} (tolerance {tol:.2e}, ||w|| = "
                        f"{np.linalg.norm(w):.3g})")

    def fun_and_grad(self, flat):
        w, V, theta = self._problem.unpack(flat)
        try:
            g = self._problem.gradients(w, V, theta)
        except UserUnitError as exc:
            if isinstance(exc, UnitOutputError) and "NaN/inf" in str(exc):
                # numeric differentiation met NaN/inf next to theta: a non-finite region, like NaN here
                self._record_nonfinite(w, V, theta, "the unit returns NaN/inf next to this theta "
                                                    "(found while differentiating it numerically)")
                return np.inf, np.zeros_like(flat)
            raise
        except Exception as exc:
            what = self._unit_nonfinite(theta)
            if what.startswith("the unit returned NaN/inf"):
                # e.g. numeric derivatives of a NaN output fail inside SciPy: the cause is the NaN
                self._record_nonfinite(w, V, theta, what)
                return np.inf, np.zeros_like(flat)
            raise UnitOutputError(
                f"evaluating F and its gradient during the search failed at ||theta|| = "
                f"{np.linalg.norm(theta):.4g}: {type(exc).__name__}: {exc}") from exc
        self.observe(w, V, g, theta)
        if g.grad_theta is None:
            raise TypeError("the unit has no vjp")
        return g.F, np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))


# -- the procedure --------------------------------------------------------------------------------
def _resolve_loss(loss):
    from resnet_lemmas.proofs.losses import get_loss

    if isinstance(loss, str):
        return get_loss(loss)      # UnknownLossError / NonConvexLossError / NonDifferentiableLossError
    loss.convexity  # noqa: B018  (a Loss object: raises unless convexity is proven)
    return loss


def _linear_comparators(lin, X, y, loss) -> list[tuple[np.ndarray, float]]:
    out = []
    for u in comparators(lin, X.shape[1]):
        with np.errstate(over="ignore"):
            E_l = float(np.mean(loss.value(X @ u, y)))
        if np.isfinite(E_l):
            out.append((np.asarray(u, dtype=np.float64), E_l))
    return out


def _certify(problem, res, lin):
    """The end point's certificate (:func:`~..certificates.main_theorem.certify_end_point`); a point
    where ``F`` or a derivative is not finite, or where the certificate cannot be computed, is
    ``unconverged`` with the reason (it decides nothing; it is never a pass)."""
    from resnet_lemmas.numerics.certificates.local_minimum import UNCONVERGED, LocalMinimumCertificate
    from resnet_lemmas.numerics.certificates.main_theorem import EndPointCertificate

    def undecided(why):
        cert = LocalMinimumCertificate(UNCONVERGED, float(res.F), float(res.param_norm), float("nan"),
                                       float("nan"), float("nan"), message=why)
        return EndPointCertificate(cert, lin=lin)

    if not (np.isfinite(res.F) and np.all(np.isfinite(problem.pack(res.w, res.V, res.theta)))):
        return undecided("F or the parameters are not finite at the end point")
    try:
        # the descent probe refuses degenerate saddles that pass the second-order test (a zero-initialised
        # branch at theta = 0, red team)
        end = certify_end_point(problem, res.w, res.V, res.theta, linear=lin,
                                probe=(PROBE_STARTS, PROBE_ITERATIONS, res.seed))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        return undecided(f"the local-minimum certificate could not be computed ({exc})")
    if end.status == CERTIFIED and end.claims:
        # the certificate's smallest and largest curvatures against derivatives extrapolated from the
        # gradient alone (as the main witness does): a wrong Hessian code would count saddles as minima
        for top, name in ((False, "d^T H d (lambda_min)"), (True, "d^T H d (lambda_max)")):
            claim = curvature_claim(problem, res.w, res.V, res.theta, end.certificate, label=name, top=top)
            end.claims += [claim] if claim is not None else []
    return end


#: The descent probe's settings in verify (:func:`~..certificates.local_minimum.descent_probe`): starts at
#: distance ``0.01 (1 + ||z||)`` in random directions, each followed by at most ``PROBE_ITERATIONS``
#: L-BFGS-B iterations while it stays within twice that distance.
PROBE_STARTS, PROBE_ITERATIONS = 4, 100


def _start_status(F, F_lin, n, violations, certificate: str, claims_ok: bool,
                  suboptimality: float = 0.0, claims_checked: bool = True) -> str:
    """Status of a start (module docstring).  ``F_lin`` is the benchmark's value, an upper bound on the
    infimum by at most ``suboptimality`` (its certificate): "beats" must beat the infimum itself.
    ``certificate`` is the end point's class, one of :data:`~..certificates.local_minimum.STATUSES`
    (``CERTIFIED = "certified local minimum"``, ``SADDLE``, ``ESCAPED = "escaped to infinity"``,
    ``UNCONVERGED``; the constants, never retyped: a mistyped ``"certified"`` once made the status
    ``local minimum`` unreachable); ``claims_ok`` says whether the main theorem's
    claims held there (no gradient slack; only checked at a certified local minimum)."""
    tol = rounding_tolerance(F, F_lin, n=n)
    if violations or not claims_ok:
        return "violation"
    # a certified minimum whose benchmarks' brackets did not close had no claims evaluated: it is
    # judged like any other end point against F_lin, never counted as a checked local minimum
    if certificate == CERTIFIED and claims_checked:
        return "local minimum"
    if F < F_lin - suboptimality - tol:
        return "beats linear"
    if F <= F_lin + tol:
        return "ties linear"
    return {SADDLE: "saddle", ESCAPED: "escaped"}.get(certificate, "not converged")


def _check_user_vjp(problem, unit, seed) -> str:
    """A user-supplied ``vjp`` must be the derivative of the unit (:func:`~.user_units.check_vjp` at
    the first start's ``theta``); torch's autograd and the numeric vjp are not re-checked."""
    if not _has_user_vjp(problem, unit):
        return ""
    _, _, theta = start_point(problem, start_seeds(seed, 1)[0])
    passed, message = check_vjp(unit, problem.X, theta, np.random.default_rng(seed))
    if not passed:
        raise VjpError(f"the unit's vjp is wrong: {message} at the first start's theta; fix "
                       "vjp(X, theta, G) = sum_i J_theta(x_i)^T g_i (shape (q,)), or remove it to use "
                       "numeric derivatives")
    return message


def _has_user_vjp(problem, unit) -> bool:
    """The unit's ``vjp`` is the user's own (torch's autograd and the numeric vjp are not re-checked)."""
    return getattr(unit, "vjp_source", "") == "user" and problem.q > 0


def _user_vjp_at(problem, unit, theta, seed) -> str:
    """``""`` when the unit has no user-supplied ``vjp`` or it is the derivative of the unit at ``theta``
    (:func:`~.user_units.check_vjp`); otherwise why not (for a start certified there)."""
    if not _has_user_vjp(problem, unit):
        return ""
    passed, message = check_vjp(unit, problem.X, theta, np.random.default_rng(seed))
    return "" if passed else (f"the unit's vjp is wrong at this certified point: {message}; the certificate "
                              "rests on it")


def _check_targets(loss, y) -> None:
    """``loss.check_targets(y)``, with the usual mistake named: 0/1 labels for a margin loss."""
    from resnet_lemmas.proofs.losses import LossError

    if getattr(loss, "targets", "") == "sign":
        values = np.unique(y)
        if np.all(np.isin(values, (0.0, 1.0))) and 0.0 in values:
            zeros = int(np.sum(y == 0.0))
            raise LossError(f"loss {loss.name!r}: labels must be -1/+1; found 0/1 labels ({zeros} zeros, "
                            f"{y.size - zeros} ones); map them with 2y-1 (y = 2 * y - 1)")
        outside = values[~np.isin(values, (-1.0, 1.0))]
        if outside.size:
            raise LossError(f"loss {loss.name!r}: labels must be -1/+1; found {outside.size} other "
                            f"value(s), e.g. {outside[:5].tolist()}, in "
                            f"{int(np.sum(~np.isin(y, (-1.0, 1.0))))} of {y.size} rows")
    loss.check_targets(y)


def stop_cause(res, maxiter: int) -> str:
    """Why a start's L-BFGS-B run stopped (one of :data:`STOP_CAUSES`), from its ``converged`` flag,
    iteration count and SciPy's message.  ``ftol = 0`` in the search, so "relative reduction" means a
    step that did not lower ``F`` at all; SciPy's ``ABNORMAL`` (``ABNORMAL_TERMINATION_IN_LNSRCH`` in
    older versions) is a line search that found no acceptable step."""
    message = str(res.message).upper()
    if res.converged:
        return "converged"
    if "NOT FINITE AT THE START" in message:
        return "nonfinite start"
    if res.nit >= maxiter or "ITERATIONS REACHED LIMIT" in message or "EVALUATIONS EXCEEDS" in message:
        return "iteration limit"
    if "ABNORMAL" in message:
        return "line search"
    if "RELATIVE REDUCTION" in message:
        return "no decrease"
    return "other"


def _measure_evaluation(monitor, problem, seed, init_scale) -> float:
    """Seconds of one evaluation of ``F`` and its gradient (with the monitor's checks) at the first
    start's point: the smaller of two timings, so a one-off delay does not inflate the estimate."""
    flat = problem.pack(*start_point(problem, start_seeds(seed, 1)[0], init_scale))
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):
            monitor.fun_and_grad(flat)
        best = min(best, time.perf_counter() - t0)
    monitor.reset()
    return best


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:,.3g} h"


def verify(residual, X, y, loss="squared", *, restarts: int = RESTARTS, seed: int = 0,
           maxiter: int = MAXITER, gtol: float = GTOL, init_scale: float = 1.0, data_name: str = "",
           standardize: bool = False, confirm_long: bool = False, require_minima: int = REQUIRE_MINIMA,
           progress: Callable[[int, int, StartResult | None], None] | None = None,
           note: Callable[[str], None] | None = None) -> VerifyReport:
    """Run the verification procedure of the module docstring and return its :class:`VerifyReport`.

    ``residual``: a unit object (NumPy unit, ``torch.nn.Module``, adapted unit) or ``"MODULE:ATTR"``;
    ``X (n, d)``, ``y (n,)``; ``loss``: a registered loss name or a ``proofs.losses.Loss``.
    ``standardize``: replace ``X`` by :func:`~.datasets.standardise_features` ``(X)`` first.
    ``confirm_long``: run even when the estimated duration exceeds :data:`~.defaults.LONG_RUN_SECONDS`.
    ``require_minima``: the verdict is ``verified`` only if at least ``max(require_minima, 1)`` starts
    ended at certified local minima (``too few minima`` otherwise; ``0`` accepts a run without any, whose
    verdict is then ``below linear``); at most ``restarts``.
    ``progress(done, total, start_result)`` is called before the first start (``None``) and after each;
    ``note(sentence)`` receives warnings found before the search (badly scaled data, a long estimate).
    Raises (before any search) :class:`~.user_units.UserUnitError` / :class:`VjpError` for a bad unit,
    :class:`~.data.DataError` for bad data, ``proofs.losses.LossError`` for a bad loss or targets,
    :class:`ResourceLimitError` for a run that is too large or (unconfirmed) too long.
    """
    t0 = time.perf_counter()
    if not isinstance(restarts, (int, np.integer)) or restarts < 1:
        raise ValueError(f"restarts must be a positive integer; got {restarts!r}")
    if restarts > MAX_RESTARTS:
        raise ResourceLimitError(f"restarts = {restarts:,} is more than {MAX_RESTARTS:,} (each start keeps "
                                 "its row in the report); run several batches with different seeds")
    if not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ValueError(f"maxiter must be a positive integer; got {maxiter!r}")
    if not gtol > 0:
        raise ValueError(f"gtol must be positive; got {gtol!r}")
    if not isinstance(require_minima, (int, np.integer)) or isinstance(require_minima, bool) \
            or not 0 <= require_minima <= restarts:
        raise ValueError(f"require_minima must be an integer from 0 to restarts = {restarts} (each start "
                         f"ends at one point, so at most {restarts} certified local minima can be "
                         f"examined); got {require_minima!r}")
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed must be an integer >= 0 (NumPy's SeedSequence); got {seed!r}")
    loss = _resolve_loss(loss)
    X, y = validate_data(X, y)
    _check_targets(loss, y)
    if standardize:
        X = standardise_features(X)
    diagnostics = []
    scaling = scale_diagnosis(X)
    if scaling.badly_scaled:
        diagnostics.append(scaling.problem)
        if note is not None:
            note(scaling.problem)
    unit = load_unit(residual) if isinstance(residual, str) else adapt_unit(residual)
    with single_threaded_blas(), torch_single_threaded():
        k = check_unit_output(unit, X)
        problem = ResNetProblem(unit, X, y, loss)
        vjp_check = _check_user_vjp(problem, unit, seed)
        lin = linear_benchmark(X, y, loss)
        comps = _linear_comparators(lin, X, y, loss)
        u_ref = comps[0][0] if comps else np.zeros(problem.d)
        monitor = _Monitor(problem, comps)
        per_evaluation = _measure_evaluation(monitor, problem, seed, init_scale)
        polish = problem.n_params <= POLISH_MAX_PARAMS
        # a polished start may also compute up to POLISH_HESSIANS dense Hessians of 4 N gradient
        # evaluations each (the difference Hessian's cost; counted even for units with an exact one)
        hessian_evaluations = POLISH_HESSIANS * 4 * problem.n_params if polish else 0
        estimate = restarts * (maxiter + hessian_evaluations) * per_evaluation
        how = (f"{restarts:,} restarts x (up to {maxiter:,} iterations"
               + (f" + up to {hessian_evaluations:,} gradients for the polish's Hessians" if polish else "")
               + f") x {per_evaluation * 1e3:.3g} ms per evaluation of F and its gradient, measured")
        if estimate > LONG_RUN_SECONDS and not confirm_long:
            raise ResourceLimitError(
                f"this run could take about {_duration(estimate)} ({how}), more than the "
                f"{_duration(LONG_RUN_SECONDS)} limit; lower --restarts or --maxiter, use --subsample, "
                "or confirm with --yes", estimate)
        if estimate > NOTE_RUN_SECONDS and note is not None:
            note(f"this run may take up to about {_duration(estimate)} ({how}; starts that converge "
                 "earlier cost less)")
        seeds = start_seeds(seed, restarts)
        starts: list[StartResult] = []
        if progress is not None:
            progress(0, restarts, None)
        for index, start_seed in enumerate(seeds):
            ts = time.perf_counter()
            monitor.reset()
            if polish:
                res = polished_local_minimum(monitor, start_seed, init_scale=init_scale, gtol=gtol,
                                             maxiter=maxiter, newton_rtol=STATIONARITY_RTOL,
                                             norm_cap=PARAM_NORM_CAP)
            else:
                res = local_minimum_from_seed(monitor, start_seed, init_scale=init_scale, gtol=gtol,
                                              maxiter=maxiter)
            with np.errstate(over="ignore", invalid="ignore"):
                g = problem.gradients(res.w, res.V, res.theta)
                pc = check_point(problem, res.w, res.V, res.theta, linear=lin)
                end = _certify(problem, res, lin)
            flat_grad = np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))
            eps = max(res.grad_norm_w, res.grad_norm_V)
            norm_w = float(np.linalg.norm(res.w))
            eps_bound = (eps * (np.linalg.norm(res.w - u_ref)
                                + np.linalg.norm(u_ref) * np.linalg.norm(res.V, 2) / norm_w)
                         if norm_w > 0 else float("inf"))
            status = _start_status(res.F, lin.value, problem.n, monitor.violations, end.status, end.ok,
                                   lin.suboptimality_bound, claims_checked=bool(end.claims))
            vjp_at_end = _user_vjp_at(problem, unit, res.theta, start_seed) if status == "local minimum" else ""
            if vjp_at_end:
                # a certified minimum rests on the gradient in theta: a user's vjp that is wrong here (it
                # was checked at the first start's theta only) makes the certificate worthless
                status = "violation"
            cause = stop_cause(res, maxiter)
            polish_note = _polish_note(res, problem.n_params, polish)
            message = _start_message(status, res, pc, monitor, lin, maxiter, cause, scaling,
                                     end.certificate.message)
            if vjp_at_end:
                message = f"violation: {vjp_at_end}"
            if status != "local minimum":
                message += f" ({polish_note})"
            starts.append(StartResult(
                index=index, seed=start_seed, status=status, F=res.F, F_feat=pc.F_feat,
                beats_linear_by=lin.value - res.F, converged=res.converged,
                max_abs_grad=float(np.max(np.abs(flat_grad), initial=0.0)),
                grad_norm_w=res.grad_norm_w, grad_norm_V=res.grad_norm_V,
                grad_norm_theta=res.grad_norm_theta, eps_bound=float(eps_bound),
                param_norm=res.param_norm, nit=res.nit, theorem_margin=pc.margin,
                gradient_slack=pc.gradient_slack, points_checked=monitor.points,
                nonfinite_points=monitor.nonfinite, bound_margin=monitor.bound_margin,
                convexity_margin=monitor.convexity_margin, violations=monitor.violations,
                first_violation=monitor.first_violation, optimiser_message=res.message,
                message=message, seconds=time.perf_counter() - ts, stop_cause=cause,
                first_nonfinite=monitor.first_nonfinite,
                nonfinite_theta_norm=monitor.nonfinite_theta_norm, certificate=end.status,
                certificate_message=end.certificate.message, claims_margin=float(end.margin),
                claims=[c.to_json() for c in end.claims], polish=polish_note))
            if progress is not None:
                progress(index + 1, restarts, starts[-1])
    verdict, summary = _verdict(starts, lin, require_minima)
    diagnostics += _search_diagnostics(starts, maxiter)
    advice = _advice(verdict, starts, scaling)
    tolerance = (f"visited points: F - E l(u^T x) <= first-order term and <= the bound of "
                 f"approximate_stationarity_bound, each + "
                 f"64 n eps (1 + |F| + |E l| + ||w - u|| E|r| max||x||); final points: a local minimum "
                 f"is certified (numerics/certificates/local_minimum.py) and there {CLAIMS_TOLERANCE}; "
                 f"elsewhere the bound {_THEOREM_TOLERANCE} is reported as a bound; status: "
                 f"|F - F_lin| <= 64 n eps (1 + |F| + |F_lin|) is a tie")
    unit_text = unit.describe() if hasattr(unit, "describe") else type(unit).__name__
    data_text = (data_name or "arrays") + (" (X standardised)" if standardize else "")
    return VerifyReport(
        verdict=verdict, summary=summary, seed=int(seed), restarts=int(restarts), loss=loss.name,
        data=data_text, n=problem.n, d=problem.d, k=k, q=problem.q, unit=unit_text,
        F_lin=lin.value, linear_attained=lin.attained, linear_message=lin.message,
        linear_grad_norm=lin.grad_norm, linear_suboptimality_bound=lin.suboptimality_bound,
        linear_n_separated=lin.n_separated, starts=starts,
        settings={"maxiter": int(maxiter), "gtol": float(gtol), "init_scale": float(init_scale),
                  "polish": bool(polish), "polish_max_params": int(POLISH_MAX_PARAMS),
                  "standardize": bool(standardize), "start_seeds": [int(s) for s in seeds]},
        vjp_check=vjp_check, tolerance=tolerance, seconds=time.perf_counter() - t0,
        diagnostics=diagnostics, advice=advice, estimate_seconds=float(estimate),
        require_minima=int(require_minima))


def _polish_note(res, n_params: int, polish: bool) -> str:
    """What the polish after L-BFGS-B did (from the search's message), or why none was tried."""
    if not polish:
        return (f"no polish tried: N = d + d k + q = {n_params} parameters > {POLISH_MAX_PARAMS} "
                f"(POLISH_MAX_PARAMS: each dense Hessian costs about 4 N gradient evaluations)")
    notes = [part for part in str(res.message).split("; ") if part.startswith(("polish", "no polish"))]
    return notes[0] if notes else "no polish: the start was not optimised"


def _nonfinite_text(monitor_or_start) -> str:
    count = getattr(monitor_or_start, "nonfinite", None)
    if count is None:
        count = monitor_or_start.nonfinite_points
    return (f"NaN/inf at {count} evaluated point(s), first: {monitor_or_start.first_nonfinite}"
            if count else "")


def _start_message(status, res, pc, monitor, lin, maxiter, cause, scaling, end_message="") -> str:
    """One start's outcome in words, with the cause of a stop that decided nothing."""
    nonfinite = _nonfinite_text(monitor)
    if status == "violation":
        if monitor.violations:
            return (f"{monitor.violations} visited points violate the inequalities of "
                    f"approximate_stationarity_bound; first: {monitor.first_violation}")
        return (f"the main theorem fails at a certified local minimum: F = {res.F:.10g}, "
                f"F_lin = {lin.value:.10g} (claims without gradient slack)")
    if status == "local minimum":
        return (f"a certified local minimum (bounded, stationary, second-order test, no descent nearby) where the main "
                f"theorem holds without gradient slack: F = {res.F:.6g} <= F_feat <= F_lin = "
                f"{lin.value:.6g}")
    if status == "saddle":
        return (f"ended at a certified saddle (negative curvature) above F_lin (F - F_lin = "
                f"{res.F - lin.value:.3g}): not a local minimum, so it decides nothing; the bound of "
                f"approximate_stationarity_bound held there (gradient slack {pc.gradient_slack:.3g})")
    if status == "escaped":
        return (f"escaped to infinity ({end_message}); F - F_lin = {res.F - lin.value:.3g}: no local "
                "minimum there (the infimum is approached, not attained)")
    if status == "not converged":
        why = (" -- the linear infimum is not attained, so no finite point reaches it; a local minimum "
               "would have to be certified" if not lin.attained else "")
        where = (f"with F = {res.F:.6g} > F_lin = {lin.value:.6g} and no certified local minimum there "
                 f"({end_message}; the bound of approximate_stationarity_bound gives F - F_lin <= its "
                 f"gradient slack {pc.gradient_slack:.3g}, a bound, not the theorem; ||params|| = "
                 f"{res.param_norm:.3g}){why}")
        if cause == "converged":
            return (f"L-BFGS-B converged (max|grad| <= gtol) but the point is not a certified local "
                    f"minimum: {where}")
        if cause == "iteration limit":
            text = f"stopped at the iteration limit ({res.nit} iterations, maxiter {maxiter}) {where}"
            if scaling.badly_scaled:
                return text + ("; the data are badly scaled, which makes L-BFGS-B creep: rerun with "
                               "--standardize (and raise maxiter only if that is not enough)")
            return text + "; raise maxiter (--maxiter) to decide"
        if cause == "nonfinite start":
            return (f"F or its gradient is not finite at the start point ({nonfinite or res.message}); "
                    "the start was not optimised")
        stopped = (f"stopped after {res.nit} of at most {maxiter} iterations because the line search "
                   f"broke down (L-BFGS-B: {res.message})" if cause == "line search" else
                   f"stopped after {res.nit} of at most {maxiter} iterations because a step did not "
                   f"lower F at all (L-BFGS-B: {res.message})" if cause == "no decrease" else
                   f"stopped after {res.nit} of at most {maxiter} iterations (L-BFGS-B: {res.message})")
        if nonfinite:
            hint = (f"the search met {nonfinite}; it cannot move past points where the unit is not "
                    "finite: make f_theta finite for every theta (e.g. clip its inputs), or start "
                    "closer (init_scale)")
        elif scaling.badly_scaled:
            hint = ("the data are badly scaled (see the diagnosis): rerun with --standardize "
                    "(standardize=True)")
        else:
            hint = ("usual causes: badly scaled data (try --standardize), a gradient that does not match "
                    "F away from theta0 (a wrong vjp), or an F that is not smooth; another --seed may "
                    "also get past it")
        return f"{stopped} {where}; raising maxiter will not help: {hint}"
    return f"{status}: F_lin - F = {lin.value - res.F:.3g}"


def _verdict(starts, lin, require_minima: int = REQUIRE_MINIMA) -> tuple[str, str]:
    """The verdict (one of :data:`VERDICTS`) and its summary sentence: the one place where the starts'
    statuses are judged (module docstring).  The summary says exactly what the run established: how
    many certified local minima were examined, against how many required.  Causes and advice are added
    apart (:func:`_advice`)."""
    counts = {s: sum(1 for r in starts if r.status == s) for s in STATUSES}
    total = len(starts)
    points = sum(r.points_checked for r in starts)
    infimum = "" if lin.attained else (
        f" Note: F_lin = {lin.value:.6g} is an infimum that no linear predictor attains "
        f"({lin.message.split(';')[0]}); every start is compared with that infimum, which no finite "
        "point reaches: a start counts only if it beats it or is certified stationary.")
    if counts["violation"]:
        return "violated", (f"{counts['violation']} of {total} starts violate a check (see below): "
                            "the theorem's inequalities failed numerically, so a precondition is broken "
                            "(e.g. the unit is not a deterministic function of x) or the numerics are "
                            f"wrong.{infimum}")
    minima = counts["local minimum"]
    good = minima + counts["beats linear"] + counts["ties linear"]
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    required = f"require_minima = {require_minima}"
    checked = (f"the approximate_stationarity_bound inequalities held at all {points} visited "
               f"points.{infimum}")
    if good < total:
        undecided = total - good
        return "inconclusive", (
            f"{minima} of {total} starts ended at certified local minima (bounded, stationary, "
            f"second-order test), where F <= F_feat <= F_lin held without gradient slack; {undecided} of "
            f"{total} starts ended above F_lin at no certified local minimum ({parts}): they do not "
            "decide the question (the bound of approximate_stationarity_bound held there, but it is a "
            f"bound, not the theorem); no check failed at the {points} visited points.{infimum}")
    if minima >= max(require_minima, 1):
        others = total - minima
        rest = (f"; the other {others} start(s) ended no worse than the best linear predictor ({parts})"
                if others else "")
        return "verified", (
            f"F <= F_feat <= F_lin held without gradient slack at each of the {minima} certified local "
            f"minima examined (bounded, stationary, second-order test, no descent nearby; {required}){rest}; {checked} "
            "This checks the theorem at the minima the search reached; that no local minimum is worse "
            "than linear is the kernel's theorem, not a result of this run.")
    where = "below F_lin" if counts["ties linear"] == 0 else "no worse than F_lin (below or tied)"
    ended = f"every start ended {where} ({parts}), but {minima} certified local minima were examined"
    nothing = ("an end point below F_lin that is not a certified local minimum says nothing about local "
               "minima")
    if minima < require_minima:
        return "too few minima", f"{ended}, fewer than {required}: {nothing}; {checked}"
    return "below linear", f"{ended} ({required} asks for none): {nothing}; {checked}"


def _search_diagnostics(starts, maxiter) -> list[str]:
    """Sentences on what the search met: NaN/inf, and why the undecided starts stopped."""
    out = []
    for r in starts:
        if r.nonfinite_points:
            out.append(f"start {r.index} met {_nonfinite_text(r)}")
    undecided = [r for r in starts if r.status in ("not converged", "saddle", "escaped")]
    for cause in ("line search", "no decrease", "iteration limit", "nonfinite start", "other"):
        hit = [r for r in undecided if r.stop_cause == cause]
        if hit:
            nits = sorted(r.nit for r in hit)
            span = f"{nits[0]}" if nits[0] == nits[-1] else f"{nits[0]}-{nits[-1]}"
            out.append(f"{len(hit)} undecided start(s) stopped by {cause} after {span} of at most "
                       f"{maxiter} iterations")
    return out


def _advice(verdict, starts, scaling) -> str:
    """What to do next, from the causes: ``--standardize`` for badly scaled data, a finite unit for
    NaN/inf, ``--maxiter`` only when the iteration limit stopped an undecided start."""
    if verdict == "too few minima":
        minima = sum(1 for r in starts if r.status == "local minimum")
        return (f"{minima} of {len(starts)} starts ended at a certified local minimum (stationary to a relative "
                "1e-9, second-order test passed); the others stopped no worse than F_lin at points that "
                "are not certified minima: raise --maxiter (or lower --gtol) so that the starts converge, "
                "add --restarts, or pass --require-minima 0 (require_minima=0) to accept a run that shows "
                "only that every start ended no worse than F_lin")
    if verdict != "inconclusive":
        return ""
    undecided = [r for r in starts if r.status in ("not converged", "saddle", "escaped")]
    causes = {r.stop_cause for r in undecided}
    steps = []
    if scaling.badly_scaled:
        steps.append("rerun with --standardize (standardize=True in Python; the data are badly scaled)")
    if any(r.nonfinite_points for r in undecided):
        steps.append("make the unit finite for every theta (the search met NaN/inf)")
    if causes & {"line search", "no decrease", "other"} and not steps:
        steps.append("the line search broke down, which more iterations do not cure: check the "
                     "unit's vjp away from theta0 and the scale of the data, or try another --seed")
    if "iteration limit" in causes:
        steps.append("raise maxiter (--maxiter; starts hit the iteration limit)" if not scaling.badly_scaled
                     else "then raise maxiter (--maxiter) if starts still hit the iteration limit")
    return "; ".join(steps)


__all__ = ["verify", "VerifyReport", "StartResult", "VjpError", "ResourceLimitError", "stop_cause",
           "VERDICTS", "PASSING", "REQUIRE_MINIMA", "RESTARTS", "MAXITER", "GTOL", "MAX_RESTARTS", "LONG_RUN_SECONDS", "STOP_CAUSES", "DataError",
           "UserUnitError"]

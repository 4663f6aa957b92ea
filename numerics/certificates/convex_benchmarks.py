"""Convex benchmarks with optimality certificates.

- Linear benchmark (design card section 1): ``F_lin = inf_u E[l(u^T x; y)]``.
- Feature benchmark: ``F_feat(theta) = inf_{a,b} E[l(a^T x + b^T f_theta(x); y)]`` (the same problem on the
  stacked design ``z = [x, f_theta(x)]``), and in general ``inf_u G(u)``, ``G(u) = E[l(u^T z; y)]``.

``G`` is convex with gradient ``Z^T l'(Z u; y) / n`` and Hessian ``Z^T diag(l''(Z u; y)) Z / n``.

Method
------
1. *Recession analysis* (when the infimum can fail to be attained).  For the margin losses
   (``targets == "sign"``, ``infimum_attained == False``: logistic, exponential, softplus_hinge)
   ``l(m) -> 0`` as the margin ``m = y u^T z -> +inf``, so ``G`` decreases without end along any ``u`` with
   all margins ``>= 0``.  One linear program (``scipy.optimize.linprog``, HiGHS),
   ``max sum_i s_i  s.t.  y_i z_i^T u >= s_i,  0 <= s_i <= 1``,
   finds the set ``S = {i : s_i = 1}`` of points that some ``u_S`` separates with positive margin while
   keeping margin ``>= 0`` on all others (and ``= 0`` on the rest, by maximality of ``S``).

   - ``S`` = everything: the data are linearly separable; ``inf G = 0`` (for these losses
     ``inf_m l(m) = 0``), approached along ``u_S`` and **not attained**.
   - ``S`` empty: ``G`` is coercive on the row space of ``Z``; the infimum is attained.
   - otherwise: adding ``t u_S`` drives the terms in ``S`` to their infimum without changing the
     others, so ``inf G = (1/n) [ sum_{i in S} inf l + min_u sum_{i not in S} l(y_i u^T z_i) ]``, and the
     remaining problem is coercive on its row space; **not attained**.

   *Shortcut for many points* (margin losses, more than ``2 SUBSAMPLE_ROWS`` of them): the LP is
   first solved on ``SUBSAMPLE_ROWS`` evenly spaced rows ``T`` (doubled while inconclusive).  If it
   finds ``S_T`` empty and ``rank M_T = rank M`` (``M`` the rows ``y_i z_i``), then ``S`` is empty: by
   Stiemke's alternative, ``S_T`` empty means some ``lambda > 0`` has ``M_T^T lambda = 0``, so
   ``M u >= 0`` gives ``M_T u >= 0``, ``0 = lambda^T M_T u`` forces ``M_T u = 0``, and equal ranks give
   ``M u = 0`` -- no point can be separated.  (Otherwise the LP runs on all rows.)  HiGHS's cost grew
   about as ``n^1.6`` on such LPs (measured: 0.1 s at 10^3 rows, 5 s at 10^4), the shortcut's is that
   of a few thousand rows plus one SVD.
   The same applies to count losses with zero counts (``poisson``: ``l(p; 0) = e^p -> 0`` as
   ``p -> -inf``): there ``S`` collects zero-count points pushed to ``-inf`` by a ``u`` with ``z_i^T u = 0``
   on all positive counts.  ``inf l`` on ``S`` is taken as ``l`` at ``|p| = 1e3`` (exactly ``0.0`` in
   float64 for every registered loss).
2. *Newton solve* of the coercive part with ``scipy.optimize.minimize(method="trust-exact")`` using the
   exact Hessian, finished by a few pure Newton steps judged by ``||grad G||`` (:func:`_newton_polish`), in coordinates of the row space of ``Z`` (from a thin SVD; singular values
   ``<= max(n, p) eps s_max`` are dropped), so rank-deficient designs are handled and the Hessian is
   positive definite there.  The solve stops when ``||grad G|| <= gtol * max(1, ||grad G(0)||)``.

Certificates
------------
``grad_norm = ||grad G||`` at the returned point (for a non-attained infimum: the gradient of the
coercive part, which is the limit of ``grad G`` along ``point + t direction``).  ``suboptimality_bound``
is ``||g||^2 / lambda_min``, ``lambda_min`` the smallest eigenvalue of the Hessian on the row space at the
returned point.  If ``G`` is ``mu``-strongly convex on the segment to the minimiser, ``G - inf G <=
||g||^2 / (2 mu)``; taking ``mu = lambda_min / 2`` gives the stated bound, so **assumption: the Hessian
does not lose more than half its smallest eigenvalue within distance ``2 ||g|| / lambda_min`` of the
point** (exact for the squared loss, whose Hessian is constant; for the other smooth losses the
distance is ~1e-10 and ``l''`` is continuous).  It is ``inf`` when the solve did not converge or
``lambda_min <= 0``.

Two-sided bracket (the certificate the witnesses use)
-----------------------------------------------------
``upper = value``: ``G`` at the returned point (or its limit along the returned ray), an upper bound on
the infimum.  ``lower``: a Fenchel dual value, which does not assume what it proves.  For every ``s``
with ``Z^T s = 0`` *exactly*, Fenchel-Young ``l(t; y) >= s t - l*(s; y)`` summed over the sample gives

    inf_u (1/n) sum_i l(z_i^T u; y_i)  >=  D(s) = -(1/n) sum_i l*(s_i; y_i)      (weak duality),

whatever ``u`` the solver returned and whether or not the infimum is attained.  The dual point is
built from the solver's point: ``s_i = l'(z_i^T u)`` (zero on the separated points ``S``, where
``l*(0; y) = -inf_p l(p; y)``), then made exactly feasible in rational arithmetic (python-flint
``fmpq``): ``s <- s - W Z lambda`` with ``Z^T W Z lambda = Z^T s`` and ``W`` the diagonal of each
``s_i``'s distance to the boundary of ``dom l*(.; y_i)`` (so the correction stays in the domain);
``D(s)`` is then evaluated in ball arithmetic (``arb``) from the closed-form conjugates of
:data:`CONJUGATES`, and its lower end rounded down.  At the solver's optimum ``Z^T l'(Z u) = grad G = 0``:
the correction ``delta`` is of the size of the solver's final gradient, and the duality gap
``value - lower`` is second order in it: Fenchel-Young is an equality at ``s = l'(t)``, so
``n (value - D(s - delta)) = t^T s - t^T delta + O(|delta|^2) = u^T Z^T (s - delta) + O(|delta|^2)
= O(|delta|^2)`` -- in practice the rounding of the two means.  ``lower = -inf`` (no
certificate) when the loss has no registered conjugate, the corrected point leaves the domain, or the
exact system has no solution.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog, minimize

from resnet_lemmas.numerics._blas import blas_single_threaded
from resnet_lemmas.proofs.losses import LOSSES
from resnet_lemmas.numerics.data.synthetic import DataError, validate_data

EPS = np.finfo(np.float64).eps

#: Default relative gradient tolerance: Newton converges quadratically, and ``||grad G||`` has a
#: rounding floor of about ``n eps max|z| max|l'|`` ~ 1e-14 for the data used here.
GTOL = 1e-10

#: Margins the separability LP leaves on the points outside ``S`` may be this negative (relative to
#: the largest margin): ten times HiGHS's default primal feasibility tolerance of 1e-7.
LP_FEASIBILITY = 1e-6

#: ``|p|`` at which a margin/count loss is evaluated as its limit ``inf_p l`` (``l`` underflows to 0).
FAR = 1e3

#: Relative size of the exact-feasibility correction of the dual point below which the bracket must
#: close to rounding: the duality gap is second order in the correction (module docstring), so a
#: correction of 1e-6 leaves a gap ~1e-12 s^2 / l'', at the rounding of the primal mean.
TIGHT_CORRECTION = 1e-6

#: Rows of the first subsample of the separability shortcut (module docstring); with at most twice
#: as many points the LP runs on all of them at once.
SUBSAMPLE_ROWS = 2000


@dataclass
class BenchmarkResult:
    """``inf_u E[l(u^T z; y)]`` with its certificate.

    ``value``: the infimum's best estimate (exact ``0.0`` for separable data under a margin loss; else
    ``G`` at ``point``, an upper bound on the infimum).  ``argmin``: the minimiser, or ``None`` when the
    infimum is not attained or the solve did not converge.  ``grad_norm``: ``||grad G||`` at ``point``
    (or its limit, see module docstring).  ``attained``: the infimum is attained *and* certified
    (converged).  ``suboptimality_bound``: upper bound on ``value - inf`` under the stated assumption
    (``0.0`` when the value is exact, ``inf`` when unknown).  ``direction``: unit ``u_S`` along which the
    infimum is approached (``None`` when attained).  ``point``: the solver's final point (the base
    point ``u_C`` when not attained).  ``n_separated``: ``|S|``; ``separated`` the mask ``S`` (n,).
    ``lower``: the bracket's rigorous lower end (a Fenchel dual value, module docstring; ``-inf`` when
    none could be built, ``lower_message`` says why); ``upper`` is ``value``; ``bracket_width =
    upper - lower`` is the certified uncertainty of the benchmark.
    """

    value: float
    argmin: np.ndarray | None
    grad_norm: float
    attained: bool
    suboptimality_bound: float
    message: str
    iterations: int
    converged: bool = True
    direction: np.ndarray | None = None
    point: np.ndarray | None = None
    n_separated: int = 0
    lambda_min: float = float("nan")
    lower: float = float("-inf")
    lower_message: str = ""
    separated: np.ndarray | None = None
    dual_correction: float = float("inf")

    @property
    def tight(self) -> bool:
        """The bracket must close (to rounding): the solver converged and its dual point needed only a
        correction ``max|delta| <= TIGHT_CORRECTION max|s|`` to become exactly feasible.  A larger
        correction comes from nearly dependent columns of the design (float64 cannot tell them from
        dependent ones), along which the infimum may genuinely lie below the solver's value: the
        bracket is then valid but loose, and its width is the benchmark's honest uncertainty."""
        return bool(self.converged and np.isfinite(self.lower) and self.dual_correction <= TIGHT_CORRECTION)

    @property
    def upper(self) -> float:
        """Upper end of the bracket: ``value`` (``G`` at the returned point, or its limit on the ray)."""
        return self.value

    @property
    def bracket_width(self) -> float:
        """``upper - lower``: the certified uncertainty of the benchmark (``inf`` without a lower bound)."""
        return self.value - self.lower if np.isfinite(self.lower) else float("inf")


# -- recession analysis ----------------------------------------------------------------------------
def _recession_mode(loss, y):
    """Which points can be sent to the loss's unattained infimum, and the far prediction doing it."""
    if loss.targets == "sign" and not loss.infimum_attained:
        return np.ones(y.shape, bool), FAR * y           # margin m = y p -> +inf
    if loss.targets == "count":
        zero = y == 0.0
        if zero.any():
            far = np.full(y.shape, -FAR)
            probe = loss.value(np.array([0.0, -20.0, -40.0]), np.zeros(3))
            if probe[0] > probe[1] > probe[2]:           # l(p; 0) keeps decreasing as p -> -inf
                return zero, far
    return None, None


def _separability_lp(M, A_ub, A_eq, b_eq, p, m):
    """``max sum_i s_i`` s.t. ``M_i u >= s_i``, ``0 <= s_i <= 1`` (HiGHS)."""
    return linprog(np.concatenate((np.zeros(p), -np.ones(m))), A_ub=A_ub, b_ub=np.zeros(m),
                   A_eq=A_eq, b_eq=b_eq, bounds=[(None, None)] * p + [(0.0, 1.0)] * m,
                   method="highs")


def _separated_set(Z, y, candidates, loss):
    """LP of the module docstring. Returns ``(S mask, u_S)``; ``S`` empty when nothing can be separated."""
    n, p = Z.shape
    if loss.targets == "sign":
        M = y[candidates, None] * Z[candidates]           # margins y_i z_i^T u
    else:
        M = -Z[candidates]                                # count: push p_i = z_i^T u to -inf
    m = M.shape[0]
    A_eq = b_eq = None
    if loss.targets == "count" and (~candidates).any():
        rest = Z[~candidates]                             # z_i^T u = 0 for the positive counts
        A_eq = sparse.hstack((sparse.csr_matrix(rest), sparse.csr_matrix((rest.shape[0], m))),
                             format="csr")
        b_eq = np.zeros(A_eq.shape[0])
    if A_eq is None and _inseparable_by_subsample(M):
        return np.zeros(n, bool), None
    u, S_c = _lp_separated(M, A_eq, b_eq)
    S = np.zeros(n, bool)
    S[np.flatnonzero(candidates)[S_c]] = True
    norm = np.linalg.norm(u)
    return S, (u / norm if S.any() and norm > 0 else None)


def _numerical_rank(A, s_max: float) -> int:
    """Singular values of ``A`` above ``s_max max(shape) eps`` (the threshold :func:`_solve` uses)."""
    sv = np.linalg.svd(A, compute_uv=False)
    return int(np.sum(sv > s_max * max(A.shape) * EPS))


def _inseparable_by_subsample(M) -> bool:
    """``True`` when a subsample proves that no ``u`` has ``M u >= 0`` with ``M u != 0`` (module
    docstring, shortcut): the LP on rows ``T`` finds nothing separable and ``rank M_T = rank M``.
    ``False`` when that could not be shown (then the LP on all rows decides)."""
    m = M.shape[0]
    rows = SUBSAMPLE_ROWS
    if m <= 2 * rows:
        return False
    sv = np.linalg.svd(M, compute_uv=False)
    if not sv.size or sv[0] == 0.0:
        return False
    rank = int(np.sum(sv > sv[0] * max(M.shape) * EPS))
    while rows <= m // 2:
        T = np.linspace(0, m - 1, rows).round().astype(int)     # evenly spaced, deterministic
        M_T = M[T]
        # the same absolute threshold for both ranks: M_T's singular values are at most M's
        if int(np.sum(np.linalg.svd(M_T, compute_uv=False) > sv[0] * max(M.shape) * EPS)) == rank:
            try:
                _, S_T = _lp_separated(M_T, None, None)
            except RuntimeError:        # HiGHS failed on the subsample: let the full LP decide
                return False
            if not S_T.any():
                return True
        rows *= 2
    return False


def _lp_separated(M, A_eq, b_eq):
    """The LP on the margin rows ``M`` (m, p): returns ``(u, S_c)``, ``S_c`` the rows it separates;
    a nonempty ``S_c`` is re-verified on the exact margins (else ``RuntimeError``)."""
    m, p = M.shape
    # sparse constraint matrices: a dense identity would need n^2 floats (75 GB at n = 10^5)
    A_ub = sparse.hstack((sparse.csr_matrix(-M), sparse.identity(m, format="csr")), format="csr")
    res = _separability_lp(M, A_ub, A_eq, b_eq, p, m)
    if res.status != 0:
        # HiGHS (SciPy 1.17) can fail ("Status 0: Not Set") when two rows agree to ~1e-10, e.g. the
        # features of saturated units.  Retry on margins rounded to 9 significant digits; whatever
        # comes back is re-verified on the exact margins below, so the rounding cannot create a false
        # certificate.
        digits = 9 - int(np.floor(np.log10(max(np.abs(M).max(), 1e-300))))
        M_round = np.round(M, digits)
        A_round = sparse.hstack((sparse.csr_matrix(-M_round), sparse.identity(m, format="csr")),
                                format="csr")
        retry = _separability_lp(M_round, A_round, A_eq, b_eq, p, m)
        if retry.status != 0:
            raise RuntimeError(f"separability LP failed: {res.message} (and on rounded margins: "
                               f"{retry.message})")
        res = retry
    u, s = res.x[:p], res.x[p:]
    S_c = s > 0.5   # LP optimum has s_i in {0, 1} (module docstring); 0.5 splits HiGHS's 1e-7 noise
    # Re-check in float64: margins on S must be clearly positive, the LP's u must not be degenerate.
    if S_c.any():
        margins = M @ u
        if margins[S_c].min() <= 0.5 or not np.all(np.isfinite(u)):
            raise RuntimeError("separability LP returned a direction whose margins do not verify")
        # the others must not be hurt along u: margins >= 0 up to the LP's feasibility tolerance
        # (HiGHS: 1e-7 absolute; measured -4.4e-8 on a default instance), relative to the S margins
        floor = -LP_FEASIBILITY * max(1.0, float(np.abs(margins).max()))
        if (~S_c).any() and margins[~S_c].min() < floor:
            raise RuntimeError(f"separability LP direction lowers other margins "
                               f"(min {margins[~S_c].min():.3e} < {floor:.3e})")
    return u, S_c


# -- Newton solve on the row space -------------------------------------------------------------------
def _solve(Z, y, loss, n_total, gtol, maxiter, method):
    """Minimise ``(1/n_total) sum_i l(z_i^T u; y_i)`` over the row space of ``Z``.

    Returns ``(u, value, grad_norm, converged, nit, lambda_min, solver_message, gtol_abs)``.
    """
    m, p = Z.shape
    if m == 0:
        return np.zeros(p), 0.0, 0.0, True, 0, float("inf"), "no remaining points", 0.0
    _, sv, Vt = np.linalg.svd(Z, full_matrices=False)
    r = int(np.sum(sv > (sv[0] if sv.size else 0.0) * max(m, p) * EPS)) if sv.size and sv[0] > 0 else 0
    B = Z @ Vt[:r].T                                       # (m, r): the design in row-space coordinates

    def fun(a):
        with np.errstate(over="ignore", invalid="ignore"):
            v = float(np.sum(loss.value(B @ a, y)) / n_total)
        return v if np.isfinite(v) else np.inf

    # Trust-region methods build the model at a *trial* point before judging it; where exp-type
    # losses overflow there, a non-finite gradient/Hessian would crash the solver.  Returning
    # fun = inf makes the trial step rejected (the radius shrinks), so finite stand-ins suffice.
    def jac(a):
        with np.errstate(over="ignore", invalid="ignore"):
            g = B.T @ loss.grad(B @ a, y) / n_total
        return g if np.all(np.isfinite(g)) else np.nan_to_num(g, nan=0.0, posinf=1e300, neginf=-1e300)

    def hess(a):
        with np.errstate(over="ignore", invalid="ignore"):
            H = (B.T * loss.curvature(B @ a, y)) @ B / n_total
        return H if np.all(np.isfinite(H)) else np.eye(H.shape[0]) * 1e300

    def full_grad(u):
        return Z.T @ loss.grad(Z @ u, y) / n_total

    gtol_abs = gtol * max(1.0, float(np.linalg.norm(full_grad(np.zeros(p)))))
    if r == 0:
        u = np.zeros(p)
        return u, fun(np.zeros(0)), float(np.linalg.norm(full_grad(u))), True, 0, float("inf"), \
            "design is zero on these points", gtol_abs
    a0 = np.zeros(r)
    res = minimize(fun, a0, jac=jac, hess=hess, method=method,
                   options={"gtol": gtol_abs, "maxiter": int(maxiter)})
    # maxiter bounds the total number of Newton-type iterations, polish included
    a, polish = _newton_polish(res.x, jac, hess, gtol_abs, steps=min(8, int(maxiter) - int(res.nit)))
    u = Vt[:r].T @ a
    grad_norm = float(np.linalg.norm(full_grad(u)))
    lam = float(np.linalg.eigvalsh(hess(a))[0])
    converged = bool(np.isfinite(grad_norm) and grad_norm <= gtol_abs)
    message = str(res.message) + (f" (+{polish} Newton polish steps)" if polish else "")
    return u, fun(a), grad_norm, converged, int(res.nit) + polish, lam, message, gtol_abs


def _newton_polish(a, jac, hess, gtol_abs, steps: int = 8):
    """Pure Newton steps ``a <- a - H^{-1} g``, each kept only if it lowers ``||g||``.

    Trust-region methods judge a step by the decrease of ``G``; near the minimiser that decrease
    (``~ ||g||^2 / lambda``, ~1e-20) is below the rounding of ``G`` itself (``~ eps |G|``), so they stop
    at ``||g|| ~ 1e-9`` with "failure to predict improvement".  Newton's method converges
    quadratically in ``||g||`` there, and ``||g||`` has a much lower rounding floor, so the polish
    judges steps by ``||g||`` instead.  Returns ``(a, number of accepted steps)``.
    """
    g = jac(a)
    gn = float(np.linalg.norm(g))
    accepted = 0
    for _ in range(steps):
        if not np.isfinite(gn) or gn <= gtol_abs:
            break
        try:
            step = np.linalg.solve(hess(a), g)
        except np.linalg.LinAlgError:
            break
        a_new = a - step
        g_new = jac(a_new)
        gn_new = float(np.linalg.norm(g_new))
        if not gn_new < gn:
            break
        a, g, gn = a_new, g_new, gn_new
        accepted += 1
    return a, accepted


# -- the Fenchel dual lower bound ---------------------------------------------------------------------
def _arb(q):
    from flint import arb

    return arb(q)


def _xlogx(t):
    """``t log t`` as an ``arb`` ball, for an exact rational ``t >= 0`` (``0`` at ``0``)."""
    return _arb(0) if t == 0 else _arb(t) * _arb(t).log()


# Each conjugate takes exact rationals (python-flint ``fmpq``) ``s``, ``y`` inside the domain and returns
# an ``arb`` ball containing ``l*(s; y)``; rational parts are computed exactly first.
def _conj_logistic(s, y):       # l = log(1 + e^{-y p}); sigma = s y in [-1, 0]
    sig = s * y
    return _xlogx(-sig) + _xlogx(1 + sig)


def _conj_exponential(s, y):    # l = e^{-y p}; a = -s y >= 0: a log a - a
    a = -(s * y)
    return _xlogx(a) - _arb(a)


def _conj_softplus_hinge(s, y):  # l = log(1 + e^{1 - y p}) = logistic(y p - 1): sigma + logistic*(sigma)
    sig = s * y
    return _arb(sig) + _xlogx(-sig) + _xlogx(1 + sig)


def _conj_pseudo_huber(s, y):   # l = sqrt(1 + (p - y)^2) - 1; |s| <= 1: 1 - sqrt(1 - s^2) + s y
    return _arb(1 + s * y) - _arb(1 - s * s).sqrt()


def _conj_poisson(s, y):        # l = e^p - y p; t = s + y >= 0: t log t - t
    t = s + y
    return _xlogx(t) - _arb(t)


def _conj_squared(s, y):        # l = (p - y)^2 / 2: s^2 / 2 + s y, exact
    return _arb(s * s / 2 + s * y)


def _room_sign(s, y):
    sig = s * y
    return np.minimum(-sig, 1.0 + sig)


#: ``l*(s; y) = sup_p (s p - l(p; y))`` in closed form for every registered loss (keyed by name, with the
#: loss expression it was derived for), as ``(conjugate(s: arb, y: arb) -> arb, room(s, y) -> float array)``;
#: ``room`` is each ``s_i``'s distance to the boundary of ``dom l*(.; y_i)`` (negative outside it).
CONJUGATES = {
    "squared": (_conj_squared, lambda s, y: np.ones_like(s)),
    "logistic": (_conj_logistic, _room_sign),
    "exponential": (_conj_exponential, lambda s, y: -(s * y)),
    "softplus_hinge": (_conj_softplus_hinge, _room_sign),
    "pseudo_huber": (_conj_pseudo_huber, lambda s, y: 1.0 - np.abs(s)),
    "poisson": (_conj_poisson, lambda s, y: s + y),
}


#: Working precision (bits) of the ball arithmetic evaluating the dual value: well above float64's 53,
#: so the ball's radius is far below the float64 rounding of the primal value it is compared with.
DUAL_PRECISION = 128


class _precision:
    """Context manager setting python-flint's working precision (restored on exit)."""

    def __init__(self, bits):
        self.bits = bits

    def __enter__(self):
        from flint import ctx

        self.saved = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc):
        from flint import ctx

        ctx.prec = self.saved


def _fmpq(x):
    from flint import fmpq

    return fmpq(*float(x).as_integer_ratio())


def _exact_feasible(Z, s, room):
    """``s - W Z lambda`` with ``Z^T (s - W Z lambda) = 0`` exactly (``W = diag(room)``), as a list of
    ``fmpq``; ``None`` when ``Z^T W Z lambda = Z^T s`` has no exact solution."""
    from flint import fmpq_mat

    n, p = Z.shape
    Zq = fmpq_mat(n, p, [_fmpq(v) for v in Z.ravel()])
    sq = fmpq_mat(n, 1, [_fmpq(v) for v in s])
    e = Zq.transpose() * sq
    if all(v == 0 for v in e.entries()):
        return list(sq.entries())
    WZ = fmpq_mat(n, p, [_fmpq(v) for v in (room[:, None] * Z).ravel()])
    M = Zq.transpose() * WZ
    try:
        lam = M.solve(e)
    except ZeroDivisionError:     # singular: dependent columns; solve the consistent system by rref
        aug = fmpq_mat(p, p + 1, [v for i in range(p) for v in
                                  list(M.table()[i]) + [e.table()[i][0]]])
        R, rank = aug.rref()
        rows = R.table()
        lam_entries = [0] * p
        for i in range(rank):
            lead = next((j for j in range(p + 1) if rows[i][j] != 0), None)
            if lead is None or lead == p:
                return None       # inconsistent: 0 = nonzero
            lam_entries[lead] = rows[i][p]
        lam = fmpq_mat(p, 1, lam_entries)
    s_new = sq - WZ * lam
    if any(v != 0 for v in (Zq.transpose() * s_new).entries()):
        return None
    return list(s_new.entries())


def dual_lower_bound(Z, y, loss, u, separated=None, with_correction: bool = False):
    """A rigorous lower bound on ``inf_u (1/n) sum_i l(z_i^T u; y_i)`` from the Fenchel dual (module
    docstring), built from the point ``u`` (p,): ``(lower, message)``; ``lower = -inf`` when no certificate
    could be built (the message says why).  ``separated`` (n,) marks points whose dual variable is set
    to 0 (the points a margin loss can send to its infimum).  ``with_correction=True`` also returns
    ``max|delta| / max|s|``, the relative size of the exact-feasibility correction."""
    lower, message, correction = _dual_lower_bound(Z, y, loss, u, separated)
    return (lower, message, correction) if with_correction else (lower, message)


def _dual_lower_bound(Z, y, loss, u, separated):
    from flint import arb

    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = Z.shape[0]
    entry = CONJUGATES.get(loss.name)
    if entry is None or LOSSES.get(loss.name) is None or loss.expr != LOSSES[loss.name].expr:
        return float("-inf"), f"no closed-form conjugate registered for the loss {loss.name!r}", float("inf")
    conjugate, room_of = entry
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.asarray(loss.grad(Z @ u, y), dtype=np.float64)
    if not np.all(np.isfinite(s)):
        return float("-inf"), "l'(z^T u) is not finite at the solver's point", float("inf")
    if separated is not None:
        s = np.where(separated, 0.0, s)
    room = np.maximum(room_of(s, y), 0.0)
    if separated is not None:
        room = np.where(separated, 0.0, room)
    s_exact = _exact_feasible(Z, s, room)
    if s_exact is None:
        return float("-inf"), "the dual point could not be made exactly feasible (Z^T s = 0)", float("inf")
    correction = float(np.max(np.abs(np.array([float(v) for v in s_exact]) - s), initial=0.0)) / \
        max(float(np.max(np.abs(s), initial=0.0)), np.finfo(float).tiny)
    with _precision(DUAL_PRECISION):
        total = arb(0)
        for s_i, y_i in zip(s_exact, y):
            y_q = _fmpq(y_i)
            if not _in_domain(loss.name, s_i, y_q):
                return float("-inf"), "the feasible dual point left the domain of the conjugate", correction
            total += conjugate(s_i, y_q)
        D = -total / n
        lower = float(np.nextafter(float(D.lower()), -np.inf))
    if not np.isfinite(lower):
        return float("-inf"), "the dual value is not finite", correction
    return lower, (f"Fenchel dual value {lower:.17g} at an exactly feasible dual point (relative "
                   f"correction {correction:.1e})"), correction


def _in_domain(name, s, yq):
    """Exact (rational) test of ``s in dom l*(.; y)``."""
    if name in ("logistic", "softplus_hinge"):
        sig = s * yq
        return -1 <= sig <= 0
    if name == "exponential":
        return s * yq <= 0
    if name == "pseudo_huber":
        return -1 <= s <= 1
    if name == "poisson":
        return s + yq >= 0
    return True


@blas_single_threaded
def convex_benchmark(Z, y, loss, *, gtol: float = GTOL, maxiter: int = 200,
                     method: str = "trust-exact", dual: bool = True) -> BenchmarkResult:
    """``inf_u (1/n) sum_i l(u^T z_i; y_i)`` for a design ``Z`` (n, p) and targets ``y`` (n,), certified.

    See the module docstring for the method, the non-attainment analysis and the certificate.
    ``gtol`` is relative: the solve must reach ``||grad|| <= gtol * max(1, ||grad G(0)||)``; ``method`` is
    any ``scipy.optimize.minimize`` method taking ``hess`` and ``gtol`` (``"trust-exact"``,
    ``"trust-krylov"``, ``"trust-ncg"``).  ``dual=True`` also computes the bracket's lower end
    (:func:`dual_lower_bound`; about a millisecond).  Raises ``DataError`` (a ``ValueError``) on bad
    shapes or non-finite input, and the loss's ``LossError`` on invalid targets.
    """
    result = _convex_benchmark(Z, y, loss, gtol, maxiter, method)
    if dual:
        Z, y = validate_data(Z, y)
        point = result.point if result.point is not None else np.zeros(Z.shape[1])
        lower, message, correction = dual_lower_bound(Z, y, loss, point, result.separated,
                                                      with_correction=True)
        result.lower, result.lower_message, result.dual_correction = lower, message, correction
    return result


def _convex_benchmark(Z, y, loss, gtol, maxiter, method) -> BenchmarkResult:
    Z, y = validate_data(Z, y)
    loss.check_targets(y)
    if not (gtol > 0 and maxiter >= 1):
        raise ValueError(f"need gtol > 0 and maxiter >= 1; got gtol={gtol}, maxiter={maxiter}")
    n = Z.shape[0]
    candidates, far = _recession_mode(loss, y)
    S, direction = (np.zeros(n, bool), None)
    if candidates is not None:
        S, direction = _separated_set(Z, y, candidates, loss)
    C = ~S
    u, value_C, grad_norm, converged, nit, lam, solver_msg, gtol_abs = _solve(
        Z[C], y[C], loss, n, gtol, maxiter, method)
    limit_S = float(np.sum(loss.value(far[S], y[S])) / n) if S.any() else 0.0
    value = value_C + limit_S
    status = (f"||grad|| = {grad_norm:.3e} <= {gtol_abs:.3e}" if converged else
              f"solver did not converge: ||grad|| = {grad_norm:.3e} > tolerance {gtol_abs:.3e} after "
              f"{nit} iterations ({solver_msg}); value is only an upper bound on the infimum")
    if S.all():
        return BenchmarkResult(
            value=value, argmin=None, grad_norm=0.0, attained=False, suboptimality_bound=0.0,
            message=(f"data linearly separable (LP certificate: every margin y_i z_i^T u > 0 along the "
                     f"returned direction); the infimum {value} of {loss.name} is approached as "
                     "t -> inf along u = t * direction and is not attained"),
            iterations=0, converged=True, direction=direction, point=np.zeros(Z.shape[1]),
            n_separated=int(S.sum()), separated=S)
    bound = grad_norm ** 2 / lam if converged and lam > 0 else float("inf")
    if S.any():
        message = (f"infimum not attained: {int(S.sum())} of {n} points can be sent to the loss's "
                   "infimum along the returned direction without changing the others; inf = value "
                   "approached along point + t * direction as t -> inf; remaining part: " + status)
        return BenchmarkResult(value=value, argmin=None, grad_norm=grad_norm, attained=False,
                               suboptimality_bound=bound, message=message, iterations=nit,
                               converged=converged, direction=direction, point=u,
                               n_separated=int(S.sum()), lambda_min=lam, separated=S)
    message = ("infimum attained, " + status) if converged else status
    if converged and not lam > 0:
        message += "; Hessian singular on the row space, no suboptimality bound"
    return BenchmarkResult(value=value, argmin=u if converged else None, grad_norm=grad_norm,
                           attained=converged, suboptimality_bound=bound, message=message,
                           iterations=nit, converged=converged, point=u, lambda_min=lam)


def linear_benchmark(X, y, loss, **options) -> BenchmarkResult:
    """``F_lin = inf_u E[l(u^T x; y)]`` (``X`` (n, d), ``y`` (n,)); options as :func:`convex_benchmark`."""
    return convex_benchmark(X, y, loss, **options)


def feature_benchmark(X, Fx, y, loss, **options) -> BenchmarkResult:
    """``F_feat = inf_{a,b} E[l(a^T x + b^T f; y)]`` on the stacked design ``[X, Fx]``.

    ``X`` (n, d), ``Fx`` (n, k) (the rows ``f_theta(x_i)``), ``y`` (n,).  The minimiser, direction and
    point are returned stacked as ``[a, b]`` of length ``d + k``.
    """
    X, y = validate_data(X, y)
    Fx = np.asarray(Fx, dtype=np.float64)
    if Fx.ndim != 2 or Fx.shape[0] != X.shape[0]:
        raise DataError(f"Fx must be a 2-D array (n, k) with n = {X.shape[0]} rows; got shape {Fx.shape}")
    bad = int(np.count_nonzero(~np.isfinite(Fx)))
    if bad:
        raise DataError(f"Fx has {bad} NaN/inf entries")
    return convex_benchmark(np.hstack((X, Fx)), y, loss, **options)

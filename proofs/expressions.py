"""Shared expression definitions: the model, ``F``, its gradients, ``c``, the benchmarks — written once.

Named quantities (``w``, ``V``, ``c``, ``\\nabla_w F`` ...) are SymPy (matrix) symbols with symbolic
sizes ``d`` (input), ``k`` (residual width), ``n`` (samples); they are what lemmas are written in and
what LaTeX prints.  :func:`residual_context` gives them explicit values at concrete sizes:

* data ``x_j in R^d``, targets ``y_j`` and features ``f_j = f_theta(x_j) in R^k`` for ``j < n`` (the
  features are free symbols — the residual unit is arbitrary — or, with ``theta_size = q > 0``,
  undefined functions of ``theta in R^q`` so that ``theta``-derivatives exist);
* ``phi_j = x_j + V f_j``, ``p_j = w^T phi_j``, ``r_j = l'(p_j; y_j)``;
* ``F = (1/n) sum_j l(p_j; y_j)`` (the expectation is the mean over the sample, for which every
  statement of the paper holds exactly);
* ``c = E[r f]``, ``E[r x]``, and the gradients ``\\nabla_w F``, ``\\nabla_V F``, ``\\nabla_theta F``
  computed component by component with ``sympy.diff`` (never SymPy's matrix calculus);
* the comparators: ``E l(a^T x + b^T f)`` (infimum ``F_feat``) and ``E l(a^T x)`` (infimum ``F_lin``).

The loss is the generic ``ell`` (an undefined function with derivatives ``ell'``, ``ell''``, whose
convexity a lemma must assume by name) or a concrete :class:`~.losses.Loss`.  The numeric side
(``resnet_lemmas.numerics.models.residual``) implements the same formulas vectorised and is tested equal to
``lambdify`` of these definitions on random inputs (``tests/proofs/test_expressions.py``).
"""
from __future__ import annotations

import copy

import sympy as sp

from .kernel import Context
from .kernel.errors import KernelError
from .linalg import inner, norm, opnorm

# ------------------------------------------------------------------------------------------------
# The generic loss and its derivative rules
# ------------------------------------------------------------------------------------------------


class ell_pp(sp.Function):
    """``l''(p; y)`` of the generic loss."""

    nargs = 2
    is_real = True

    def _latex(self, printer, exp=None):
        p, y = (printer._print(a) for a in self.args)
        body = rf"\ell''\left({p};\, {y}\right)"
        return rf"\left({body}\right)^{{{exp}}}" if exp else body


class ell_p(sp.Function):
    """``l'(p; y)`` of the generic loss."""

    nargs = 2
    is_real = True

    def fdiff(self, argindex=1):
        if argindex == 1:
            return ell_pp(*self.args)
        return super().fdiff(argindex)

    def _latex(self, printer, exp=None):
        p, y = (printer._print(a) for a in self.args)
        body = rf"\ell'\left({p};\, {y}\right)"
        return rf"\left({body}\right)^{{{exp}}}" if exp else body


class ell(sp.Function):
    """The generic loss ``l(p; y)``: any function of the prediction ``p`` and the target ``y``."""

    nargs = 2
    is_real = True

    def fdiff(self, argindex=1):
        if argindex == 1:
            return ell_p(*self.args)
        return super().fdiff(argindex)

    def _latex(self, printer, exp=None):
        p, y = (printer._print(a) for a in self.args)
        body = rf"\ell\left({p};\, {y}\right)"
        return rf"{body}^{{{exp}}}" if exp else body


def loss_terms(loss):
    """``(l, l', l'')`` as callables ``(p, y) -> expr`` for the generic (``None``) or a concrete loss."""
    if loss is None:
        return ell, ell_p, ell_pp
    return (lambda p, y: loss.at(p, y, 0), lambda p, y: loss.at(p, y, 1),
            lambda p, y: loss.at(p, y, 2))


# ------------------------------------------------------------------------------------------------
# Named quantities
# ------------------------------------------------------------------------------------------------
d, k, n, q = sp.symbols("d k n q", integer=True, positive=True)

_LATEX: dict[str, str] = {}


_TEXT: dict[str, str] = {}


class Named(sp.MatrixSymbol):
    """A matrix symbol (a named vector or matrix quantity) printing in the paper's notation."""

    def _latex(self, printer):
        return _LATEX.get(self.name, self.name)

    def _sympystr(self, printer):
        return _TEXT.get(self.name, self.name)


class NamedScalar(sp.Symbol):
    """A named scalar quantity: a plain *real* symbol, never with another assumption.

    A sign fact about a named quantity comes only from a hypothesis that a step uses (``Positive``,
    ``Bound``), never from a SymPy assumption the sign rules would read silently.
    """

    def __new__(cls, name, latex=None, text=None, **assumptions):
        if assumptions:
            raise KernelError(f"named quantity {name!r}: assumptions {sorted(assumptions)} are not "
                              "allowed (state them as hypotheses)")
        obj = super().__new__(cls, name, real=True)
        if latex:
            _LATEX[name] = latex
        if text:
            _TEXT[name] = text
        return obj

    def _latex(self, printer):
        return _LATEX.get(self.name, self.name)

    def _sympystr(self, printer):
        return _TEXT.get(self.name, self.name)


def named(name: str, rows, cols, latex: str | None = None, text: str | None = None) -> Named:
    if latex:
        _LATEX[name] = latex
    if text:
        _TEXT[name] = text
    return Named(name, rows, cols)


# parameters and comparators
w = named("w", d, 1)
V = named("V", d, k)
a = named("a", d, 1)
b = named("b", k, 1)
u = named("u", d, 1)
theta = named("theta", q, 1, r"\theta")

# derived quantities
c = named("c", k, 1)
E_rx = named("E_rx", d, 1, r"\mathbb{E}\left[\ell'(p)\, x\right]", "E[l'(p) x]")
grad_w = named("grad_w", d, 1, r"\nabla_{w} F", "grad_w F")
grad_V = named("grad_V", d, k, r"\nabla_{V} F", "grad_V F")
grad_theta = named("grad_theta", q, 1, r"\nabla_{\theta} F", "grad_theta F")
E_rJVw = named("E_rJVw", q, 1,
               r"\mathbb{E}\left[\ell'(p)\, J_{\theta}(x)^{\top} V^{\top} w\right]",
               "E[l'(p) J_theta(x)^T V^T w]")

F = NamedScalar("F", r"F(w, V, \theta)", "F(w, V, theta)")
F_lin = NamedScalar("F_lin", r"F_{\mathrm{lin}}", "F_lin")
F_feat = NamedScalar("F_feat", r"F_{\mathrm{feat}}(\theta)", "F_feat(theta)")
E_loss_comparator = NamedScalar(
    "E_l_ab", r"\mathbb{E}\,\ell\left(a^{\top} x + b^{\top} f_{\theta}(x)\right)",
    "E l(a^T x + b^T f_theta(x))")
E_loss_linear = NamedScalar("E_l_a", r"\mathbb{E}\,\ell\left(a^{\top} x\right)", "E l(a^T x)")
E_r_gap = NamedScalar(
    "E_r_gap", r"\mathbb{E}\left[\ell'(p)\left(a^{\top} x + b^{\top} f_{\theta}(x) - p\right)\right]",
    "E[l'(p) (a^T x + b^T f_theta(x) - p)]")
E_bregman = NamedScalar(
    "E_bregman", r"\mathbb{E}\left[D_{\ell}\left(a^{\top} x + b^{\top} f_{\theta}(x),\, p\right)\right]",
    "E[D_l(a^T x + b^T f_theta(x), p)]")
E_r_p = NamedScalar("E_r_p", r"\mathbb{E}\left[\ell'(p)\, p\right]", "E[l'(p) p]")

__all__ = [
    "Named", "NamedScalar", "named", "residual_context", "loss_terms", "ell", "ell_p", "ell_pp",
    "inner", "norm", "opnorm", "d", "k", "n", "q", "w", "V", "a", "b", "u", "theta", "c", "E_rx",
    "grad_w", "grad_V", "grad_theta", "E_rJVw", "F", "F_lin", "F_feat", "E_loss_comparator",
    "E_loss_linear", "E_r_gap", "E_bregman", "E_r_p", "SampleSymbols", "standard_contexts",
    "comparator_pairs",
]


# ------------------------------------------------------------------------------------------------
# Concrete instantiation
# ------------------------------------------------------------------------------------------------
class SampleSymbols:
    """The component symbols of one context (so lemma modules can add their own definitions)."""

    def __init__(self, dd: int, kk: int, nn: int, qq: int):
        self.d, self.k, self.n, self.q = dd, kk, nn, qq
        self.w = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"w_{i}", real=True))
        self.V = sp.Matrix(dd, kk, lambda i, m: sp.Symbol(f"V_{i}{m}", real=True))
        self.a = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"a_{i}", real=True))
        self.b = sp.Matrix(kk, 1, lambda m, _: sp.Symbol(f"b_{m}", real=True))
        self.u = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"u_{i}", real=True))
        self.theta = sp.Matrix(qq, 1, lambda t, _: sp.Symbol(f"theta_{t}", real=True))
        self.x = [sp.Matrix(dd, 1, lambda i, _, j=j: sp.Symbol(f"x_{j}{i}", real=True))
                  for j in range(nn)]
        self.y = [sp.Symbol(f"y_{j}", real=True) for j in range(nn)]
        if qq == 0:
            self.f = [sp.Matrix(kk, 1, lambda m, _, j=j: sp.Symbol(f"f_{j}{m}", real=True))
                      for j in range(nn)]
        else:
            # f_theta(x_j)_m: an arbitrary (undefined) function of theta and of the sample x_j
            self.f = [sp.Matrix(kk, 1, lambda m, _, j=j: sp.Function(f"f_{m}", real=True)(
                *self.theta, *self.x[j])) for j in range(nn)]

    def mean(self, terms):
        """The expectation over the sample: ``(1/n) sum_j terms[j]`` (scalars or matrices)."""
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total / self.n


_BASE_CONTEXTS: dict = {}


def residual_context(dd: int = 2, kk: int = 2, nn: int = 2, theta_size: int = 0, loss=None,
                     label: str | None = None) -> tuple[Context, SampleSymbols]:
    """The residual model at sizes ``d = dd``, ``k = kk``, ``n = nn`` (``q = theta_size`` parameters).

    Returns a fresh context (definitions of every named quantity above) and its component symbols.
    ``loss=None`` uses the generic loss ``ell``; otherwise a concrete :class:`~.losses.Loss`.  The
    definitions are built once per process and sizes (SymPy's component-wise gradients are the slow
    part); each call returns a new context with its own tables, so a lemma may add definitions.
    """
    key = (dd, kk, nn, theta_size, id(loss), label)
    if key not in _BASE_CONTEXTS:
        _BASE_CONTEXTS[key] = (_build_residual_context(dd, kk, nn, theta_size, loss, label), loss)
    (base, samples), _ = _BASE_CONTEXTS[key]
    samples = copy.copy(samples)
    ctx = Context(base.label, dict(base.dims), dict(base.definitions), dict(base.infima),
                  dict(base.families), base.loss, samples)
    return ctx, samples


def _build_residual_context(dd, kk, nn, theta_size, loss, label):
    s = SampleSymbols(dd, kk, nn, theta_size)
    l, l_p, _ = loss_terms(loss)
    tag = label or f"(d, k, n{', q' if theta_size else ''}) = ({dd}, {kk}, {nn}" + (
        f", {theta_size})" if theta_size else ")")
    if loss is not None:
        tag += f", loss {loss.name}"
    dims = {d: dd, k: kk, n: nn, **({q: theta_size} if theta_size else {})}
    ctx = Context(tag, dims, loss=loss, samples=s)
    for name, value in (("w", s.w), ("V", s.V), ("a", s.a), ("b", s.b), ("u", s.u)):
        ctx.define(globals()[name], value)
    if theta_size:
        ctx.define(theta, s.theta)

    phi = [s.x[j] + s.V * s.f[j] for j in range(nn)]
    p = [(s.w.T * phi[j])[0, 0] for j in range(nn)]
    r = [l_p(p[j], s.y[j]) for j in range(nn)]
    F_value = s.mean([l(p[j], s.y[j]) for j in range(nn)])
    ctx.define(F, F_value)
    ctx.define(c, s.mean([r[j] * s.f[j] for j in range(nn)]))
    ctx.define(E_rx, s.mean([r[j] * s.x[j] for j in range(nn)]))
    ctx.define(E_r_p, s.mean([r[j] * p[j] for j in range(nn)]))
    ctx.define(grad_w, sp.Matrix(dd, 1, lambda i, _: sp.diff(F_value, s.w[i])))
    ctx.define(grad_V, sp.Matrix(dd, kk, lambda i, m: sp.diff(F_value, s.V[i, m])))
    if theta_size:
        ctx.define(grad_theta, sp.Matrix(theta_size, 1, lambda t, _: sp.diff(F_value, s.theta[t])))
        jac = [s.f[j].jacobian(s.theta) for j in range(nn)]  # k x q, entries Derivative(f_m, theta_t)
        ctx.define(E_rJVw, s.mean([r[j] * jac[j].T * s.V.T * s.w for j in range(nn)]))

    # comparators, written in the named a, b so that hypotheses can fix them (b = 0)
    q_ab = [inner(a, s.x[j]) + inner(b, s.f[j]) for j in range(nn)]
    ctx.define(E_loss_comparator, s.mean([l(q_ab[j], s.y[j]) for j in range(nn)]))
    ctx.define(E_loss_linear, s.mean([l(inner(a, s.x[j]), s.y[j]) for j in range(nn)]))
    ctx.define(E_r_gap, s.mean([r[j] * (q_ab[j] - p[j]) for j in range(nn)]))
    ctx.define(E_bregman, s.mean([l(q_ab[j], s.y[j]) - l(p[j], s.y[j]) - r[j] * (q_ab[j] - p[j])
                                  for j in range(nn)]))
    ctx.define_infimum(F_feat, E_loss_comparator, (a, b))
    ctx.define_infimum(F_lin, E_loss_linear, (a,))
    s.phi, s.p, s.r = phi, p, r
    s.q_ab = [q.doit() for q in [qq.xreplace({a: sp.ImmutableMatrix(s.a), b: sp.ImmutableMatrix(s.b)})
                                   for qq in q_ab]]
    return ctx, s


def comparator_pairs(ctx: Context):
    """``(q_j, p_j, y_j)`` with ``q_j = a^T x_j + b^T f_j``: the Bregman pairs of the main theorem."""
    s = ctx.samples
    return [(s.q_ab[j], s.p[j], s.y[j]) for j in range(s.n)]


#: ``(d, k, n)`` every lemma of the residual model is checked at: ``(2, 2, 2)`` (both blocks
#: non-scalar), ``(3, 1, 2)`` (``d > k``, a rank-deficient shape of ``V``) and ``(2, 3, 4)`` (``d``, ``k``,
#: ``n`` pairwise different, ``n >= 3``: an identity that holds only for ``n = 2`` -- a stray ``1/(n-1)``,
#: a sum replaced by half of it -- fails there).
STANDARD_SIZES = ((2, 2, 2), (3, 1, 2), (2, 3, 4))


def standard_contexts(theta_size: int = 0, loss=None) -> list[Context]:
    """The contexts at :data:`STANDARD_SIZES`: small enough for SymPy, large enough to be generic."""
    out = []
    for dd, kk, nn in STANDARD_SIZES:
        out.append(residual_context(dd, kk, nn, theta_size=theta_size, loss=loss)[0])
    return out

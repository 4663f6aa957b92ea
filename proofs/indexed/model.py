"""The model of ``proofs/expressions.py`` at symbolic sizes ``d, k, n, q`` (and ``m`` outputs).

Index conventions: sample ``j`` over ``0..n-1``, input ``i`` over ``0..d-1``, residual width ``l`` over
``0..k-1``, parameters ``r`` over ``0..q-1``, outputs ``o`` over ``0..m-1``.  With
``phi_j = x_j + V f_j``, ``p_j = w^T phi_j`` and ``r_j = l'(p_j; y_j)``:

    F = E_j l(p_j; y_j),   c[l] = E_j[r_j f_j[l]],   E_rx[i] = E_j[r_j x_j[i]],   E_r_p = E_j[r_j p_j],
    grad_w, grad_V, grad_theta = the derivatives of F by the rules of :mod:`.calculus`,
    E_rJVw[r] = E_j[r_j sum_{l,i} J_j[l, r] V[i, l] w[i]], and the comparator quantities.

:data:`DEFINITIONS` maps each named quantity of ``proofs/expressions.py`` (the same SymPy objects) to a
:class:`~.terms.Lam`; :data:`VARIABLES` maps the named variables to their tensors.  ``vector_model`` and
``lemma_definitions`` add the quantities of ``vector_outputs`` and of the lemma modules.
:func:`prove_identity` checks one step the way the kernel unfolds it: named quantities are replaced by
their definitions, hypothesis values of *derived* quantities replace them first, and hypothesis values of
*variables* (``w = 0``) are substituted after unfolding, so gradients see them too.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Mapping

import sympy as sp

from .. import expressions as ex
from .calculus import diff, substitute, substitute_scalar
from .matrix import _coefficient, _dims, matrix_lam, translate
from .normal_form import Assume, equal
from .stream import Stream
from .terms import (SEQ, Expr, Lam, Quotient, Tensor, as_expr, constant_in, delta, ell, ell_p, ell_pp,
                    expect, index, mean, rename, sum_over, zero)

d, k, n, q = ex.d, ex.k, ex.n, ex.q
m = sp.Symbol("m", integer=True, positive=True)  # = proofs.lemmas.vector_outputs.m (same symbol)

# -- tensors ---------------------------------------------------------------------------------------
w_t = Tensor("w", (d,))
V_t = Tensor("V", (d, k))
a_t = Tensor("a", (d,))
b_t = Tensor("b", (k,))
u_t = Tensor("u", (d,))
theta_t = Tensor("theta", (q,))
x_t = Tensor("x", (n, d))
y_t = Tensor("y", (n,))
J_t = Tensor("J", (n, k, q), depends_on={"theta"})  # J_j[l, r] = d f_j[l] / d theta[r]
f_t = Tensor("f", (n, k), derivatives=(("theta", J_t),))

j = index("j", n)
i = index("i", d)
l = index("l", k)
r = index("r", q)

# -- the residual model -----------------------------------------------------------------------------
phi = x_t[j, i] + sum_over(V_t[i, l] * f_t[j, l], l)          # phi_j[i]
p = sum_over(w_t[i] * phi, i)                                 # p_j
res = ell_p(p, y_t[j])                                        # r_j = l'(p_j; y_j)
q_ab = sum_over(a_t[i] * x_t[j, i], i) + sum_over(b_t[l] * f_t[j, l], l)   # a^T x_j + b^T f_j
F = mean(ell(p, y_t[j]), j)

VARIABLES = {ex.w: w_t, ex.V: V_t, ex.a: a_t, ex.b: b_t, ex.u: u_t, ex.theta: theta_t}

DEFINITIONS = {
    ex.w: Lam((i,), w_t[i]), ex.V: Lam((i, l), V_t[i, l]), ex.a: Lam((i,), a_t[i]),
    ex.b: Lam((l,), b_t[l]), ex.u: Lam((i,), u_t[i]), ex.theta: Lam((r,), theta_t[r]),
    ex.F: Lam((), F),
    ex.c: Lam((l,), mean(res * f_t[j, l], j)),
    ex.E_rx: Lam((i,), mean(res * x_t[j, i], j)),
    ex.E_r_p: Lam((), mean(res * p, j)),
    ex.grad_w: Lam((i,), diff(F, w_t, i)),
    ex.grad_V: Lam((i, l), diff(F, V_t, i, l)),
    ex.grad_theta: Lam((r,), diff(F, theta_t, r)),
    ex.E_rJVw: Lam((r,), mean(res * sum_over(J_t[j, l, r] * V_t[i, l] * w_t[i], l, i), j)),
    ex.E_loss_comparator: Lam((), mean(ell(q_ab, y_t[j]), j)),
    ex.E_loss_linear: Lam((), mean(ell(sum_over(a_t[i] * x_t[j, i], i), y_t[j]), j)),
    ex.E_r_gap: Lam((), mean(res * (q_ab - p), j)),
    ex.E_bregman: Lam((), mean(ell(q_ab, y_t[j]) - ell(p, y_t[j]) - res * (q_ab - p), j)),
}


# -- vector outputs: p_j = W (x_j + V f_j) in R^m, L = sum_o l(p_o; y_o) -------------------------
W_t = Tensor("W", (m, d))
A_t = Tensor("A", (m, d))
B_t = Tensor("B", (m, k))
Y_t = Tensor("y", (n, m))
o = index("o", m)


P_vec = sum_over(W_t[o, i] * phi, i)                                   # p_j[o]
Q_vec = sum_over(A_t[o, i] * x_t[j, i], i) + sum_over(B_t[o, l] * f_t[j, l], l)   # (A x_j + B f_j)[o]


def vector_model():
    """``(definitions, variables)`` of ``proofs/lemmas/vector_outputs.py``'s named quantities."""
    from ..lemmas import vector_outputs as vo

    P, Q = P_vec, Q_vec
    R = ell_p(P, Y_t[j, o])                                        # r_j[o]
    QA = sum_over(A_t[o, i] * x_t[j, i], i)
    FV = mean(sum_over(ell(P, Y_t[j, o]), o), j)
    o2 = index("o2", m)
    definitions = {
        vo.W: Lam((o, i), W_t[o, i]), ex.V: Lam((i, l), V_t[i, l]), vo.A: Lam((o, i), A_t[o, i]),
        vo.B: Lam((o, l), B_t[o, l]), vo.m_outputs: Lam((), as_expr(m)),
        vo.F_vec: Lam((), FV),
        vo.C: Lam((o, l), mean(R * f_t[j, l], j)),
        vo.E_rxT: Lam((o, i), mean(R * x_t[j, i], j)),
        vo.grad_W: Lam((o2, i), diff(FV, W_t, o2, i)),
        vo.grad_V_vec: Lam((i, l), diff(FV, V_t, i, l)),
        vo.E_L_AB: Lam((), mean(sum_over(ell(Q, Y_t[j, o]), o), j)),
        vo.E_L_A: Lam((), mean(sum_over(ell(QA, Y_t[j, o]), o), j)),
        vo.E_r_gap_vec: Lam((), mean(sum_over(R * (Q - P), o), j)),
        vo.E_breg_vec: Lam((), mean(sum_over(ell(Q, Y_t[j, o]) - ell(P, Y_t[j, o]) - R * (Q - P), o), j)),
    }
    variables = {vo.W: W_t, ex.V: V_t, vo.A: A_t, vo.B: B_t}
    return definitions, variables


# -- the SGD stream at symbolic (T, n, d): sgd_regret's finite model ---------------------------------
T = sp.Symbol("T", integer=True, positive=True)   # the horizon as an integer (sum_{t=1}^T)
t_idx = index("t", lo=1, hi=T)                     # the steps 1..T
D2 = 2 * d                                         # z = (u, w) and psi_t(x) = (x, phi_t(x)) in R^{2d}
z_t = Tensor("z", (SEQ, D2))      # iterates z_1 .. z_{T+1}: predictable (z_s from the samples before s)
rho_t = Tensor("rho", (SEQ,))     # projection factors rho_{s}: predictable (from the samples before s)
phi_t = Tensor("phi", (SEQ, n, d))  # features x_j + V_s f_{theta_s}(x_j) of iterate s: predictable
us_t = Tensor("us", (d,))         # the comparator u* (deterministic)
X_s = Tensor("X", (SEQ, d))       # x_{i_s}, y_{i_s} and phi_s(x_{i_s}): the sample of step s
Y_s = Tensor("Y", (SEQ,))
Phi_s = Tensor("Phi", (SEQ, d))
STREAM = Stream(lo=1, hi=T, deterministic=(x_t, y_t, us_t), predictable=(z_t, rho_t, phi_t),
                sampled=((X_s, x_t), (Y_s, y_t), (Phi_s, phi_t)))


def _block(first: Expr, second: Expr, e, a) -> Expr:
    """The 2d-vector ``(first, second)`` at component ``e``: ``sum_a [delta(e, a) first_a + delta(e, a +
    d) second_a]`` (``first``, ``second`` free in ``a``)."""
    free = first.free | second.free
    return sum_over(constant_in(delta(e, a) * first, *free) + constant_in(delta(e, a + d) * second, *free), a)


def sgd_stream(t=t_idx):
    """Index expressions of one step ``t`` of the stream (``e`` over ``0..2d-1``):
    ``z*``, ``psi_t`` at the sample and at point ``j``, the predictions, ``g_t`` and ``z_t - eta g_t``."""
    from ..lemmas import sgd_regret as sg

    e, a = index("e", D2), index("a", d)
    zs = _block(us_t[a], zero(a), e, a)                                  # z* = (u*, 0)
    psi = _block(X_s[t, a], Phi_s[t, a], e, a)                           # psi_t(x_{i_t})
    psi_j = _block(x_t[j, a], phi_t[t, j, a], e, a)                      # psi_t(x_j)
    pred = sum_over(z_t[t, e] * psi, e)                                  # z_t^T psi_t(x_{i_t})
    comp = sum_over(constant_in(zs, t) * psi, e)                         # z*^T psi_t(x_{i_t})
    slope = ell_p(pred, Y_s[t])
    grad = slope * psi                                                   # g_t[e]
    return dict(e=e, zs=zs, psi=psi, psi_j=psi_j, pred=pred, comp=comp, slope=slope, grad=grad,
                pred_j=sum_over(z_t[t, e] * psi_j, e), step=z_t[t, e] - sg.eta * grad)


def sgd_sq(vector: Expr, e) -> Expr:
    return sum_over(vector * vector, e)


def sq_dist(step) -> Expr:
    """``||z_step - z*||^2`` (``step`` an index, an index plus an offset, or an integer)."""
    s = sgd_stream()
    free = [i for i in sp.sympify(step).atoms(sp.Idx)]
    return sgd_sq(z_t[step, s["e"]] - constant_in(s["zs"], *free), s["e"])


def sgd_model():
    """Definitions of ``sgd_regret``'s named quantities at symbolic ``(T, n, d)``: ``E`` is the
    expectation over the stream (:data:`STREAM`), means over ``t`` are ``(1/T) sum_t``."""
    from ..lemmas import sgd_regret as sg

    s, t, eta = sgd_stream(), t_idx, sg.eta
    e, zs = s["e"], s["zs"]
    gap_t = z_t[t, e] - constant_in(zs, t)
    y_t_gap = s["step"] - constant_in(zs, t)
    next_gap = z_t[t + 1, e] - constant_in(zs, t)
    last_gap = z_t[T + 1, e] - zs
    loss_p, loss_q = ell(s["pred"], Y_s[t]), ell(s["comp"], Y_s[t])
    c = 1 / (2 * eta * T)
    values = {
        sg.AvgRisk: expect(sum_over(mean(ell(s["pred_j"], y_t[j]), j), t) / T),
        sg.CompLoss: mean(ell(sum_over(us_t[i] * x_t[j, i], i), y_t[j]), j),
        sg.E_regret: expect(sum_over(loss_p - loss_q, t) / T),
        sg.E_lin: expect(sum_over(s["grad"] * gap_t, t, e) / T),
        sg.E_bregman_sgd: expect(sum_over(loss_q - loss_p - s["slope"] * (s["comp"] - s["pred"]), t) / T),
        sg.E_pre: expect(sum_over(sgd_sq(gap_t, e) - sgd_sq(y_t_gap, e), t) * c),
        sg.E_post: expect(sum_over(sgd_sq(gap_t, e) - sgd_sq(next_gap, e), t) * c),
        sg.E_tele: expect((sgd_sq(z_t[1, e] - zs, e) - sgd_sq(last_gap, e)) * c),
        sg.E_gsq: expect(sum_over(s["grad"] * s["grad"], t, e) / T),
    }
    definitions = {name: Lam((), value) for name, value in values.items()}
    definitions[sg.z_star] = Lam((e,), zs)
    definitions[sg.z_1] = Lam((e,), z_t[1, e])
    return definitions


def sgd_symbolic_context():
    """``sgd_regret``'s finite model at symbolic ``(T, n, d)`` as a kernel context: :func:`sgd_model`, the
    stream :data:`STREAM`, the horizon ``T_steps`` as the size ``T``, the families of its hypotheses at
    step ``t`` (features and slopes at the sample; the projection ``(rho_{t+1}, z_t - eta g_t,
    z_{t+1})``, whose model is ``z_{t+1} = rho_{t+1} (z_t - eta g_t)``), the Bregman pairs, and the
    telescoping sequence ``A_s = E||z_s - z*||^2 / (2 eta T)`` (an untrusted hint: the rule checks it)."""
    from ..kernel.sizes import SymbolicContext
    from ..lemmas import sgd_regret as sg

    ctx = SymbolicContext("all sizes (T, n, d)", (T, n, d))
    ctx.stream = STREAM
    for name, lam in sgd_model().items():
        ctx.define(name, lam)
    ctx.define_size(sg.T, T)
    s, t = sgd_stream(), t_idx
    e = s["e"]
    ctx.define_family("t and x", t, (Lam((e,), s["psi"]),))
    ctx.define_family("t and x in the run", t, (Lam((), s["slope"]),))
    ctx.define_family("t and history", t, (Lam((), rho_t[t + 1]), Lam((e,), s["step"]),
                                           Lam((e,), z_t[t + 1, e])))
    ctx.define_pairs(sg._bregman_pairs, lambda: (s["comp"], s["pred"], Y_s[t], True))
    ctx.samples = SimpleNamespace(stream=s, t=t)
    step = index("s", lo=1, hi=T + 1)
    ctx.define_sequence(Lam((step,), expect(sq_dist(step)) * (1 / (2 * sg.eta * T))), t)
    return ctx


def lemma_definitions() -> dict:
    """Definitions of the lemma-specific quantities of ``zero_w_case`` and
    ``approximate_stationarity_bound`` (the lemma modules' own SymPy objects)."""
    from ..lemmas import approximate_stationarity_bound as asb
    from ..lemmas import zero_w_case as zw

    at_zero = Lam((i,), zero(i))
    c0 = substitute(DEFINITIONS[ex.c].body, w_t, at_zero)            # c at w = 0
    i2, l2 = index("i2", d), index("l2", k)
    grad_w0 = substitute(DEFINITIONS[ex.grad_w].body, w_t, at_zero)
    shift = Lam((i2, l2), V_t[i2, l2] + zw.t * delta(i2, 0) * rename(c0, {l: l2}))  # V + t e_1 c^T
    along_w = Lam((i2,), zw.t * u_t[i2])
    along_V = Lam((i2, l2), V_t[i2, l2] - zw.t * zw.s * u_t[i2] * rename(c0, {l: l2}))
    F_along = substitute(substitute(F, w_t, along_w), V_t, along_V)
    second = substitute_scalar(diff(diff(F_along, zw.t), zw.t), zw.t, 0)
    u_phi = sum_over(u_t[i] * phi, i)
    q_u = sum_over(u_t[i] * x_t[j, i], i)
    return {
        zw.e1: Lam((i,), delta(i, 0)),
        zw.u_dir: Lam((i,), u_t[i]),
        zw.E_l0: Lam((), mean(ell(0, y_t[j]), j)),
        zw.grad_w_shift: Lam((i,), substitute(grad_w0, V_t, shift)),
        zw.second_derivative: Lam((), second),
        zw.E_l2_uphi: Lam((), mean(ell_pp(0, y_t[j]) * u_phi * u_phi, j)),
        asb.E_l_u: Lam((), mean(ell(q_u, y_t[j]), j)),
        asb.E_bregman_u: Lam((), mean(ell(q_u, y_t[j]) - ell(p, y_t[j]) - res * (q_u - p), j)),
    }


def symbolic_context(extra=(), pairs=()):
    """The residual model at symbolic ``(d, k, n, q)`` as a kernel context (:mod:`..kernel.sizes`):
    :data:`VARIABLES`, :data:`DEFINITIONS` and ``extra`` (e.g. :func:`lemma_definitions`), the infima
    ``F_feat``, ``F_lin``, and the Bregman pairs of ``comparator_pairs`` plus ``pairs`` (``(function,
    triple)``).  Not trusted: the kernel checks every step against these meanings, and the tests compare
    them with ``residual_context``'s at concrete sizes."""
    from ..kernel.sizes import SymbolicContext

    ctx = SymbolicContext("all sizes (d, k, n, q)", (d, k, n, q))
    for name, tensor in VARIABLES.items():
        ctx.define_variable(name, tensor)
    for name, lam in {**DEFINITIONS, **dict(extra)}.items():
        if name not in VARIABLES:
            ctx.define(name, lam)
    ctx.define_infimum(ex.F_feat, ex.E_loss_comparator, (ex.a, ex.b))
    ctx.define_infimum(ex.F_lin, ex.E_loss_linear, (ex.a,))
    ctx.define_pairs(ex.comparator_pairs, lambda: (q_ab, p, y_t[j], False))
    for function, triple in pairs:
        ctx.define_pairs(function, triple)
    return ctx


def linear_pairs():
    """``(u^T x_j, p_j, y_j)``: approximate_stationarity_bound's Bregman pairs at symbolic sizes."""
    return sum_over(u_t[i] * x_t[j, i], i), p, y_t[j], False


def vector_symbolic_context():
    """``vector_outputs``' model at symbolic ``(m, d, k, n)`` as a kernel context (see
    :func:`symbolic_context`)."""
    from ..kernel.sizes import SymbolicContext
    from ..lemmas import vector_outputs as vo

    definitions, variables = vector_model()
    ctx = SymbolicContext("all sizes (m, d, k, n)", (m, d, k, n))
    for name, tensor in variables.items():
        ctx.define_variable(name, tensor)
    for name, lam in definitions.items():
        if name not in variables:
            ctx.define(name, lam)
    ctx.define_infimum(vo.F_feat_vec, vo.E_L_AB, (vo.A, vo.B))
    ctx.define_infimum(vo.F_lin_vec, vo.E_L_A, (vo.A,))
    ctx.define_pairs(vo._pairs, lambda: (Q_vec, P_vec, Y_t[j, o], False))
    return ctx


def prove_identity(lhs, rhs, table: Mapping = DEFINITIONS, variables: Mapping = VARIABLES, *,
                   equations: Mapping | None = None, nonzero=()) -> str:
    """Prove the named-level step ``lhs = rhs`` at symbolic sizes, or raise ``IdentityFailure``.

    ``equations`` (from the hypotheses a step uses) give values of named quantities: a derived
    quantity's value replaces its definition; a variable's value is substituted after unfolding; a
    coefficient symbol's value (``eta = B / (L b sqrt(T))``) is substituted in the coefficients.
    ``nonzero`` lists named scalars declared nonzero; ``Determinant(G)`` declares ``G`` invertible.
    """
    table = dict(table)
    substitutions, coefficients = [], {}
    for name, value in (equations or {}).items():
        if (isinstance(name, sp.Symbol) and name not in table and name not in variables
                and _coefficient(sp.sympify(value), table)):
            coefficients[name] = value          # a coefficient such as the step size eta
            continue
        lam = matrix_lam(value, table)
        if name in variables:
            substitutions.append((variables[name], lam))
        else:
            if len(lam.bound) != len(_dims(name)):
                raise ValueError(f"hypothesis gives {name} a value of another shape")
            table[name] = lam

    def unfold(expr, out):
        value = translate(expr, table, out)
        parts = (value.num,) + value.dens
        for tensor, lam in substitutions:
            parts = tuple(substitute(part, tensor, lam) for part in parts)
        for symbol, coefficient in coefficients.items():
            parts = tuple(substitute_scalar(part, symbol, coefficient) for part in parts)
        return Quotient(parts[0], parts[1:])

    out = tuple(index(f"o{pos}", size) for pos, size in enumerate(_dims(sp.sympify(lhs))))
    nonzero_exprs, invertible = [], []
    for item in nonzero:
        if isinstance(item, sp.Determinant):
            invertible.append(matrix_lam(item.arg, table))
            continue
        value = unfold(item, ())
        if value.dens:
            raise ValueError(f"declared nonzero {item} has denominators")
        nonzero_exprs.append(value.num)
    return equal(unfold(lhs, out), unfold(rhs, out), Assume(tuple(nonzero_exprs), tuple(invertible)))


__all__ = ["DEFINITIONS", "VARIABLES", "vector_model", "symbolic_context", "vector_symbolic_context",
           "sgd_symbolic_context",
           "linear_pairs", "lemma_definitions", "sgd_model",
           "prove_identity", "sgd_stream", "sgd_sq", "sq_dist", "STREAM", "z_t", "rho_t", "phi_t", "us_t", "X_s",
           "Y_s", "Phi_s", "t_idx", "T",
           "w_t", "V_t", "a_t", "b_t", "u_t", "theta_t", "x_t", "y_t", "f_t", "J_t", "W_t", "A_t",
           "B_t", "Y_t", "d", "k", "n", "q", "m", "F", "p", "phi", "res", "ell_pp"]

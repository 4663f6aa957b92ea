"""Lemma zero_w_case: local minima with w = 0 also have c = 0 and E[l'(0; y) x] = 0.

Statement
    If ``w = 0`` and ``(w, V)`` is a local minimum of ``F``: ``F = E l(0; y)`` (``F`` is constant on
    ``{w = 0}``), ``c = E[l'(0; y) f_theta(x)] = 0`` and ``E[l'(0; y) x] = 0``; and along
    ``(u, -s u c^T)`` the second derivative of ``F`` is ``E[l''(0; y)(u^T phi)^2] - 2 s ||u||^2 ||c||^2``.
Argument
    On ``{w = 0}`` the objective is constant, so the path ``t -> (0, V + t e_1 c^T)`` stays on the level
    set of the local minimum, and its points are local minima for small ``t`` (kernel rule LevelSet):
    ``grad_w F(0, V + t e_1 c^T) = 0``.  With ``grad_w F(0, V') = E[l'(0; y) x] + V' c`` the difference
    of the two stationarity conditions is ``t e_1 ||c||^2``, so ``||c||^2 = 0`` (``t != 0``), ``c = 0``
    (definiteness), and ``E[l'(0; y) x] = grad_w F - V c = 0``.  The second-order formula is SymPy's
    second derivative along the path ``(t u, V - t s u c^T)``: negative for large ``s`` unless ``c = 0``
    (the paper's own second-order argument).
Paper
    The ``w = 0`` case of the main theorem of Shamir (2018); the flatness argument is our
    reconstruction (the paper argues by second order; both are checked).
Checked at
    every size (symbolic ``d, k, n``: the index algebra), and explicitly at
    ``(d, k, n) = (2, 2, 2), (3, 1, 2), (2, 3, 4)``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (E_rx, F, NamedScalar, V, c, d, grad_w, inner, k, loss_terms, named,
                           standard_contexts)
from ..hypotheses import local_minimum, w_zero
from ..kernel import Chain, Definiteness, FirstOrder, Identity, LevelSet, Proof
from ..lemma import SymbolicLemma

t, s = sp.symbols("t s", real=True)
e1 = named("e_1", d, 1, r"e_{1}")
u_dir = named("u_dir", d, 1, "u", "u")
E_l0 = NamedScalar("E_l0", r"\mathbb{E}\,\ell(0;\, y)", "E l(0; y)")
grad_w_shift = named("grad_w_shift", d, 1,
                     r"\nabla_{w} F\left(0,\, V + t e_{1} c^{\top},\, \theta\right)",
                     "grad_w F(0, V + t e_1 c^T, theta)")
second_derivative = NamedScalar(
    "d2F", r"\frac{d^{2}}{dt^{2}} F\left(t u,\, V - t s u c^{\top},\, \theta\right)\Big|_{t=0}",
    "d^2/dt^2 F(t u, V - t s u c^T, theta) at t = 0")
E_l2_uphi = NamedScalar("E_l2_uphi", r"\mathbb{E}\left[\ell''(0;\, y)\,(u^{\top}\phi)^{2}\right]",
                        "E[l''(0; y) (u^T phi)^2]")

PATH = ((V, V + t * e1 * c.T),)

CONCLUSION = (
    sp.Eq(F, E_l0, evaluate=False),
    sp.Eq(c, sp.ZeroMatrix(k, 1), evaluate=False),
    sp.Eq(E_rx, sp.ZeroMatrix(d, 1), evaluate=False),
    sp.Eq(second_derivative, E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c, c), evaluate=False),
)


def _extend(ctx) -> None:
    sm = ctx.samples
    ell, _, ell_pp = loss_terms(ctx.loss)
    at_zero = {sm.w[i]: 0 for i in range(sm.d)}
    c_at_zero = ctx.definitions[c].xreplace(at_zero)
    unit = sp.Matrix(sm.d, 1, lambda i, _: 1 if i == 0 else 0)
    ctx.define(e1, unit)
    ctx.define(u_dir, sm.u)
    ctx.define(E_l0, sm.mean([ell(0, y) for y in sm.y]))
    shift = t * unit * c_at_zero.T
    moved = {sm.V[i, m]: sm.V[i, m] + shift[i, m] for i in range(sm.d) for m in range(sm.k)}
    ctx.define(grad_w_shift, ctx.definitions[grad_w].xreplace(at_zero).xreplace(moved))
    # F along (t u, V - t s u c^T), differentiated twice in t at t = 0, by SymPy
    along = {sm.w[i]: t * sm.u[i] for i in range(sm.d)}
    direction = s * sm.u * c_at_zero.T
    along.update({sm.V[i, m]: sm.V[i, m] - t * direction[i, m]
                  for i in range(sm.d) for m in range(sm.k)})
    ctx.define(second_derivative, sp.diff(ctx.definitions[F].xreplace(along), t, 2).subs(t, 0))
    ctx.define(E_l2_uphi, sm.mean([ell_pp(0, sm.y[j]) * ((sm.u.T * sm.phi[j])[0, 0]) ** 2
                                   for j in range(sm.n)]))


def contexts():
    """Three concrete contexts (with this lemma's quantities) and the symbolic one (every size)."""
    from ..indexed.model import lemma_definitions, symbolic_context
    out = standard_contexts()
    for ctx in out:
        _extend(ctx)
    return out + [symbolic_context(extra=lemma_definitions())]


def build() -> Proof:
    steps = [
        Chain("F_constant_on_w_zero", F, text="F is constant on {w = 0}")
        .eq(E_l0, Identity("p = w^T phi = 0", using=("w_zero",))),
        Chain("stationary_w", grad_w, text="stationarity in w at the local minimum")
        .eq(sp.ZeroMatrix(d, 1), FirstOrder("local_minimum", w_zero.lhs)),
        Chain("stationary_nearby", grad_w_shift,
              text="(0, V + t e_1 c^T) lies on the level set of the local minimum: stationary in w too")
        .eq(sp.ZeroMatrix(d, 1), LevelSet("local_minimum", PATH, t, w_zero.lhs, using=("w_zero",))),
        Chain("norm_c_vanishes", inner(c, c), text="||c||^2 = 0")
        .eq(inner(e1, grad_w_shift - grad_w) / t,
            Identity("grad_w F(0, V') = E[l'(0; y) x] + V' c, with V' - V = t e_1 c^T",
                     using=("w_zero", "stationary_nearby_parameter")))
        .eq(0, Identity("stationarity in w at (0, V) and (0, V + t e_1 c^T)",
                        using=("stationary_w", "stationary_nearby"))),
        Chain("c_vanishes", c, text="c = 0")
        .eq(sp.ZeroMatrix(k, 1), Definiteness("norm_c_vanishes")),
        Chain("E_rx_vanishes", E_rx, text="E[l'(0; y) x] = 0")
        .eq(grad_w - V * c, Identity("lemma residual_gradients"))
        .eq(sp.ZeroMatrix(d, 1), Identity("stationarity in w and c = 0",
                                          using=("stationary_w", "c_vanishes"))),
        Chain("second_order_direction", second_derivative,
              text="second derivative along (u, -s u c^T) at w = 0")
        .eq(E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c, c),
            Identity("sympy.diff twice in t, at t = 0", using=("w_zero",))),
    ]
    return Proof("zero_w_case", [w_zero, local_minimum], steps, contexts(), conclusion=CONCLUSION)


LEMMA = SymbolicLemma(
    name="zero_w_case",
    title="Local minima with zero output weights",
    paper=("The w = 0 case of the main theorem of Shamir (2018); our reconstruction uses the "
           "flatness of F on {w = 0} (the paper argues by second order; both are checked)."),
    build=build,
    conclusion=CONCLUSION,
    kind="lemma",
)

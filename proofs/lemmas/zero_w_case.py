"""Lemma zero_w_case (DESIGN.md section 3, case w = 0).

On the set ``w = 0`` the objective is constant, ``F(0, V, theta) = E l(0; y)``.  So if ``(0, V, theta)``
is a local minimum, so is every ``(0, V + Delta, theta)`` with ``Delta`` small, and stationarity in
``w`` at both points gives ``Delta c = grad_w F(0, V + Delta) - grad_w F(0, V) = 0``.  Taking
``Delta = t e_1 c^T`` gives ``t ||c||^2 = 0``, so ``c = 0`` and then ``E[l'(0; y) x] = 0``.

The equivalent second-order argument is checked too: along ``(dw, dV) = (u, -s u c^T)`` the second
derivative of ``t -> F(t u, V - t s u c^T)`` at ``t = 0`` is ``E[l''(0; y) (u^T phi)^2] - 2 s ||u||^2
||c||^2``, which is negative for large ``s`` unless ``c = 0``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (E_rx, F, NamedScalar, V, c, d, grad_w, inner, k, loss_terms, named,
                           standard_contexts)
from ..hypotheses import stationary_w, w_zero
from ..kernel import Chain, Definiteness, Hypothesis, Identity, Proof
from ..lemma import SymbolicLemma

t, s = sp.symbols("t s", real=True)
e1 = named("e_1", d, 1, r"e_{1}")
u_dir = named("u_dir", d, 1, "u")
E_l0 = NamedScalar("E_l0", r"\mathbb{E}\,\ell(0;\, y)")
grad_w_shift = named("grad_w_shift", d, 1,
                     r"\nabla_{w} F\left(0,\, V + t e_{1} c^{\top},\, \theta\right)")
second_derivative = NamedScalar(
    "d2F", r"\frac{d^{2}}{dt^{2}} F\left(t u,\, V - t s u c^{\top},\, \theta\right)\Big|_{t=0}")
E_l2_uphi = NamedScalar("E_l2_uphi", r"\mathbb{E}\left[\ell''(0;\, y)\,(u^{\top}\phi)^{2}\right]")


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
    F_along = ctx.definitions[F].xreplace(along)
    ctx.define(second_derivative, sp.diff(F_along, t, 2).subs(t, 0))
    ctx.define(E_l2_uphi, sm.mean([ell_pp(0, sm.y[j]) * ((sm.u.T * sm.phi[j])[0, 0]) ** 2
                                   for j in range(sm.n)]))


t_nonzero = Hypothesis("t_nonzero", "the step t of the perturbation is nonzero", sp.Ne(t, 0),
                       nonzero=(t,))
stationary_nearby = Hypothesis(
    "stationary_nearby",
    "(0, V + t e_1 c^T, theta) is a local minimum for small t (F is constant on {w = 0} and "
    "(0, V, theta) is a local minimum), hence stationary in w",
    sp.Eq(grad_w_shift, sp.ZeroMatrix(d, 1)), equations={grad_w_shift: sp.ZeroMatrix(d, 1)})


def build() -> Proof:
    contexts = standard_contexts()
    for ctx in contexts:
        _extend(ctx)
    chains = [
        Chain("F_constant_on_w_zero", F, text="F is constant on {w = 0}")
        .eq(E_l0, Identity("p = w^T phi = 0", using=("w_zero",))),
        Chain("norm_c_vanishes", inner(c, c), text="||c||^2 = 0")
        .eq(inner(e1, grad_w_shift - grad_w) / t,
            Identity("grad_w F(0, V') = E[l'(0; y) x] + V' c, with V' - V = t e_1 c^T",
                     using=("w_zero", "t_nonzero")))
        .eq(0, Identity("stationarity in w at (0, V) and (0, V + t e_1 c^T)",
                        using=("w_zero", "stationary_w", "stationary_nearby"))),
        Chain("c_vanishes", c, text="c = 0", fact=True)
        .eq(sp.ZeroMatrix(k, 1), Definiteness("norm_c_vanishes")),
        Chain("E_rx_vanishes", E_rx, text="E[l'(0; y) x] = 0", fact=True)
        .eq(grad_w - V * c, Identity("lemma residual_gradients"))
        .eq(sp.ZeroMatrix(d, 1), Identity("stationarity in w and c = 0",
                                          using=("stationary_w", "c_vanishes"))),
        Chain("second_order_direction", second_derivative,
              text="second derivative along (u, -s u c^T) at w = 0")
        .eq(E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c, c),
            Identity("sympy.diff twice in t, at t = 0", using=("w_zero",))),
    ]
    return Proof("zero_w_case", [w_zero, stationary_w, t_nonzero, stationary_nearby], chains,
                 contexts)


LEMMA = SymbolicLemma(
    name="zero_w_case",
    title="Local minima with zero output weights",
    statement=("F is constant on {w = 0}; if (0, V, theta) is a local minimum then c = E[l'(0; y) "
               "f_theta(x)] = 0 and E[l'(0; y) x] = 0. Along (u, -s u c^T) the second derivative is "
               "E[l''(0; y)(u^T phi)^2] - 2 s ||u||^2 ||c||^2."),
    statement_latex=(
        r"$F(0, V, \theta) = \mathbb{E}\,\ell(0; y)$ for all $V, \theta$; if $(0, V, \theta)$ is a "
        r"local minimum then $c = \mathbb{E}[\ell'(0;y)\, f_\theta(x)] = 0$ and "
        r"$\mathbb{E}[\ell'(0;y)\, x] = 0$. Along $(u, -s u c^\top)$ the second derivative is "
        r"$\mathbb{E}[\ell''(0;y)(u^\top \phi)^2] - 2 s \|u\|^2 \|c\|^2$."),
    paper=("The w = 0 case of the main theorem of Shamir (2018); our reconstruction uses the "
           "flatness of F on {w = 0} (the paper argues by second order; both are checked)."),
    build=build,
    kind="lemma",
    order=30,
)

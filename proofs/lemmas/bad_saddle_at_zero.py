"""Example bad_saddle_at_zero: stationary points with a bad value at ``w = 0``.

Let ``a0 = E[l'(0; y) x] in R^d`` and ``c0 = E[l'(0; y) f_theta(x)] in R^k`` with ``c0 != 0``, and

    V0 = - a0 c0^T / ||c0||^2        (d x k).

At ``(0, V0, theta)``: ``p = 0``, so ``r = l'(0; y)``, ``c = c0``, ``E[r x] = a0`` and

* ``grad_w F = a0 + V0 c0 = 0``, ``grad_V F = w c^T = 0``, ``grad_theta F = E[r J^T V^T w] = 0``: stationary;
* ``F = E l(0; y)``, while ``d/dt E l(-t a0^T x; y) |_{t=0} = -||a0||^2``: if ``a0 != 0`` some linear
  predictor is strictly better, ``F > F_lin`` (the numeric witness certifies the gap with the convex
  solver);
* along ``(dw, dV) = (u, -s u c0^T)`` the second derivative is ``E[l''(0; y)(u^T phi)^2] - 2 s ||u||^2
  ||c0||^2``, and with ``s = s* = (E[l''(0; y)(u^T phi)^2] + 1) / (2 ||u||^2 ||c0||^2)`` it is exactly
  ``-1``: the direction ``d = (u, -s* u c0^T)`` has ``d^T H d = -1 < 0``, so the Hessian in ``(w, V)`` has a
  negative eigenvalue (a strict saddle, not a local minimum).

Nearby points ``(t e, V0, theta)`` have ``||grad F|| = O(t)`` but ``F -> E l(0; y) > F_lin`` as ``t -> 0``: the
``1 / ||w||`` in lemma approximate_stationarity_bound cannot be dropped.  The companion family with
``||V|| -> inf`` at fixed ``w`` (the ``||V||`` factor cannot be dropped) is numeric (witness): features
``f = g / R`` with ``g(x) = -(u*^T x) / ||u*||``, ``V = R u* / ||u*||``, ``w = w*`` the best linear predictor
on the projected inputs ``(I - u* u*^T / ||u*||^2) x``; then ``V^T w = 0``, ``grad_w F = 0``,
``||grad_V F|| = O(1 / R)`` and ``F - F_lin`` is a fixed positive number.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (E_rx, F, NamedScalar, V, c, d, grad_V, grad_theta, grad_w, inner, k,
                           loss_terms, named, residual_context)
from ..hypotheses import w_zero
from ..kernel import Chain, Equation, Identity, NonZero, Proof
from ..lemma import SymbolicLemma

t, s = sp.symbols("t s", real=True)
a0 = named("a_0", d, 1, r"a_{0}")
c0 = named("c_0", k, 1, r"c_{0}")
V0 = named("V_0", d, k, r"V_{0}")
u_dir = named("u_dir", d, 1, "u", "u")
E_l0 = NamedScalar("E_l0", r"\mathbb{E}\,\ell(0;\, y)", "E l(0; y)")
d2F = NamedScalar(
    "d2F_saddle", r"\frac{d^{2}}{dt^{2}} F\left(t u,\, V - t s u c_{0}^{\top},\, \theta\right)\Big|_{t=0}",
    "d^2/dt^2 F(t u, V - t s u c_0^T, theta) at t = 0")
E_l2_uphi = NamedScalar("E_l2_uphi_saddle",
                        r"\mathbb{E}\left[\ell''(0;\, y)\,(u^{\top}\phi)^{2}\right]",
                        "E[l''(0; y) (u^T phi)^2]")
d_lin = NamedScalar("d_lin", r"\frac{d}{dt} \mathbb{E}\,\ell(-t a_{0}^{\top} x;\, y)\Big|_{t=0}",
                    "d/dt E l(-t a_0^T x; y) at t = 0")

#: The step along ``-u c0^T`` that makes the curvature exactly -1 (written once; the witness uses it).
S_STAR = (E_l2_uphi + 1) / (2 * inner(u_dir, u_dir) * inner(c0, c0))


def _extend(ctx) -> None:
    sm = ctx.samples
    ell, ell_p, ell_pp = loss_terms(ctx.loss)
    a0_value = sm.mean([ell_p(0, sm.y[j]) * sm.x[j] for j in range(sm.n)])
    c0_value = sm.mean([ell_p(0, sm.y[j]) * sm.f[j] for j in range(sm.n)])
    ctx.define(a0, a0_value)
    ctx.define(c0, c0_value)
    norm_c0 = (c0_value.T * c0_value)[0, 0]
    ctx.define(V0, -a0_value * c0_value.T / norm_c0)
    ctx.define(u_dir, sm.u)
    ctx.define(E_l0, sm.mean([ell(0, y) for y in sm.y]))
    # F along (t u, V - t s u c0^T), differentiated twice in t at t = 0 by SymPy (the path is affine
    # in t, so this is d^T H d for d = (u, -s u c0^T))
    along = {sm.w[i]: t * sm.u[i] for i in range(sm.d)}
    step = s * sm.u * c0_value.T
    along.update({sm.V[i, m]: sm.V[i, m] - t * step[i, m] for i in range(sm.d) for m in range(sm.k)})
    ctx.define(d2F, sp.diff(ctx.definitions[F].xreplace(along), t, 2).subs(t, 0))
    ctx.define(E_l2_uphi, sm.mean([ell_pp(0, sm.y[j]) * ((sm.u.T * sm.phi[j])[0, 0]) ** 2
                                   for j in range(sm.n)]))
    lin_path = sm.mean([ell(-t * (a0_value.T * sm.x[j])[0, 0], sm.y[j]) for j in range(sm.n)])
    ctx.define(d_lin, sp.diff(lin_path, t).subs(t, 0))


V_is_V0 = Equation("V_is_V0", V, V0, gloss="V = V0 = -a0 c0^T / ||c0||^2")
c0_nonzero = NonZero("c0_nonzero", c0, gloss="c0 = E[l'(0; y) f_theta(x)] is nonzero")
u_nonzero = NonZero("u_nonzero", u_dir, gloss="the direction u is nonzero")
s_is_s_star = Equation("s_is_s_star", s, S_STAR,
                       gloss="the step along -u c0^T that makes the curvature exactly -1")

CONCLUSION = (
    sp.Eq(grad_w, sp.ZeroMatrix(d, 1), evaluate=False),
    sp.Eq(grad_V, sp.ZeroMatrix(d, k), evaluate=False),
    sp.Eq(grad_theta, sp.ZeroMatrix(1, 1), evaluate=False),
    sp.Eq(F, E_l0, evaluate=False),
    sp.Eq(d_lin, -inner(a0, a0), evaluate=False),
    sp.Eq(d2F, -1, evaluate=False),
)


#: ``(d, k, n)`` with one ``theta`` coordinate (so ``grad_theta F`` exists): the last has ``n >= 3`` and
#: ``d, k, n`` pairwise different.
SIZES = ((2, 2, 2), (1, 2, 2), (3, 2, 4))


def contexts():
    """The contexts at :data:`SIZES`; features are arbitrary functions of ``theta``."""
    out = []
    for dd, kk, nn in SIZES:
        ctx, _ = residual_context(dd, kk, nn, theta_size=1)
        _extend(ctx)
        out.append(ctx)
    return out


def build() -> Proof:
    chains = [
        Chain("c_is_c0", c, text="at w = 0, c = c0 whatever V is")
        .eq(c0, Identity("p = 0 at w = 0", using=("w_zero",))),
        Chain("E_rx_is_a0", E_rx, text="at w = 0, E[l'(p) x] = a0")
        .eq(a0, Identity("p = 0 at w = 0", using=("w_zero",))),
        Chain("stationary_in_w", grad_w, text="grad_w F = a0 + V0 c0 = 0")
        .eq(a0 + V * c0, Identity("lemma residual_gradients at w = 0", using=("w_zero",)))
        .eq(sp.ZeroMatrix(d, 1), Identity("V0 c0 = -a0 (c0^T c0) / ||c0||^2",
                                          using=("w_zero", "V_is_V0", "c0_nonzero"))),
        Chain("stationary_in_V", grad_V, text="grad_V F = w c^T = 0")
        .eq(sp.ZeroMatrix(d, k), Identity("w = 0", using=("w_zero",))),
        Chain("stationary_in_theta", grad_theta, text="grad_theta F = E[l'(p) J^T V^T w] = 0")
        .eq(sp.ZeroMatrix(1, 1), Identity("w = 0", using=("w_zero",))),
        Chain("value_at_saddle", F, text="F(0, V0, theta) = E l(0; y)")
        .eq(E_l0, Identity("p = 0", using=("w_zero",))),
        Chain("linear_descent", d_lin, text="d/dt E l(-t a0^T x) at t = 0 is -||a0||^2 < 0 if a0 != 0")
        .eq(-inner(a0, a0), Identity("chain rule")),
        Chain("negative_curvature", d2F,
              text="second derivative along (u, -s u c0^T) at (0, V0, theta); with s = s* it is -1")
        .eq(E_l2_uphi - 2 * s * inner(u_dir, u_dir) * inner(c0, c0),
            Identity("sympy.diff twice in t, at t = 0 (any V)", using=("w_zero",)))
        .eq(-1, Identity("substitute s = s*", using=("s_is_s_star", "c0_nonzero", "u_nonzero"))),
    ]
    return Proof("bad_saddle_at_zero", [w_zero, V_is_V0, c0_nonzero, u_nonzero, s_is_s_star], chains,
                 contexts(), conclusion=CONCLUSION)


LEMMA = SymbolicLemma(
    name="bad_saddle_at_zero",
    title="Strict saddles with a bad value at w = 0 (the 1/||w|| factor is necessary)",
    paper=("Shamir (2018) notes that the quantitative bound must degrade as ||w|| -> 0 (and ||V|| -> "
           "inf); the explicit construction V0 = -a0 c0^T / ||c0||^2 is ours."),
    build=build,
    conclusion=CONCLUSION,
    kind="example",
)

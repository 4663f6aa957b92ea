"""Lemma residual_gradients: the gradients of F, and grad_V F = w c^T is rank one.

Statement
    With ``r = l'(p(x); y)``, ``phi = x + V f_theta(x)`` and ``c = E[r f_theta(x)]``:
    ``grad_w F = E[r x] + V c``, ``grad_V F = w c^T``, ``grad_theta F = E[r J_theta(x)^T V^T w]``; hence
    ``c = grad_V F^T w / ||w||^2`` when ``w != 0``, ``E[r x] = grad_w F - V c`` and ``E[r p] = w^T grad_w F``.
Argument
    The left-hand gradients are computed by SymPy, component by component, from ``F`` itself (never by
    SymPy's matrix calculus); each identity is then an algebraic consequence.
Paper
    Used throughout Shamir (2018); the rank-one structure of ``grad_V F`` drives the main proof.
Checked at
    every size (symbolic ``d, k, n, q``: the index algebra), and explicitly at
    ``(d, k, n, q) = (2, 2, 2, 2), (3, 1, 2, 2), (2, 3, 4, 2)`` (``q`` parameters of the unit).
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (E_r_p, E_rJVw, E_rx, V, c, grad_V, grad_theta, grad_w, inner,
                           standard_contexts, w)
from ..hypotheses import w_nonzero
from ..kernel import Chain, Identity, Proof
from ..lemma import SymbolicLemma

DIFF = "differentiation of F component by component (sympy.diff)"

CONCLUSION = (
    sp.Eq(grad_w, E_rx + V * c, evaluate=False),
    sp.Eq(grad_V, w * c.T, evaluate=False),
    sp.Eq(grad_theta, E_rJVw, evaluate=False),
    sp.Eq(c, grad_V.T * w / inner(w, w), evaluate=False),
    sp.Eq(E_rx, grad_w - V * c, evaluate=False),
    sp.Eq(E_r_p, inner(w, grad_w), evaluate=False),
)


def build() -> Proof:
    steps = [
        Chain("gradient_in_w", grad_w, text="the gradient in the output weights")
        .eq(E_rx + V * c, Identity(DIFF)),
        Chain("gradient_in_V", grad_V, text="the gradient in V is the rank-one matrix w c^T")
        .eq(w * c.T, Identity(DIFF)),
        Chain("gradient_in_theta", grad_theta, text="the gradient in the residual unit's parameters")
        .eq(E_rJVw, Identity(DIFF + "; chain rule through the undefined f_theta")),
        Chain("c_from_grad_V", c, text="c is recovered from grad_V F when w != 0")
        .eq(grad_V.T * w / inner(w, w), Identity("grad_V F = w c^T, divided by w^T w",
                                                  using=("w_nonzero",))),
        Chain("E_rx_from_grad_w", E_rx, text="E[l'(p) x] is recovered from the gradients")
        .eq(grad_w - V * c, Identity("grad_w F = E[l'(p) x] + V c")),
        Chain("E_rp_from_grad_w", E_r_p, text="E[l'(p) p] = w^T grad_w F")
        .eq(inner(w, grad_w), Identity("p = w^T (x + V f)")),
    ]
    return Proof("residual_gradients", [w_nonzero], steps, contexts(), conclusion=CONCLUSION)


def contexts():
    """Three concrete contexts and the symbolic one (every size: the theorem holds for all d, k, n, q)."""
    from ..indexed.model import symbolic_context
    return standard_contexts(theta_size=2) + [symbolic_context()]


LEMMA = SymbolicLemma(
    name="residual_gradients",
    title="Gradients of the residual objective",
    paper="Used throughout Shamir (2018); the rank-one structure of grad_V F drives the main proof.",
    build=build,
    conclusion=CONCLUSION,
    kind="lemma",
)

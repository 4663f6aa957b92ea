"""Lemma feature_benchmark_reached: local minima attain the feature benchmark F_feat(theta) exactly.

Statement
    At every point ``F(w, V, theta) >= F_feat(theta)``; at a local minimum (convex loss)
    ``F <= F_feat(theta)`` as well, so ``F = F_feat(theta) <= F_lin`` there.
Argument
    The residual prediction ``p = w^T (x + V f_theta(x)) = a^T x + b^T f_theta(x)`` with ``a = w``,
    ``b = V^T w`` is one of the comparators of ``F_feat(theta) = inf_{a,b} E l(a^T x + b^T f_theta(x))``,
    hence ``F >= F_feat`` everywhere; the other direction is theorem local_minima_beat_linear, cited.
Paper
    Shamir (2018) states the main theorem against linear predictors on ``x`` and on the features
    ``f_theta(x)``; that the feature benchmark is attained with equality is our corollary.
Checked at
    every size (symbolic ``d, k, n``: the index algebra), and explicitly at
    ``(d, k, n) = (2, 2, 2), (3, 1, 2), (2, 3, 4)``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import F, F_feat, F_lin, V, a, b, standard_contexts, w
from ..hypotheses import convex_loss, local_minimum
from ..kernel import Certificate, Chain, Cite, Proof
from ..kernel.atoms import InfimumGap
from ..lemma import SymbolicLemma
from .local_minima_beat_linear import _theorem_of

CONCLUSION = (sp.Ge(F, F_feat, evaluate=False), sp.Le(F, F_feat, evaluate=False),
              sp.Le(F_feat, F_lin, evaluate=False))


def build() -> Proof:
    steps = [
        Chain("never_below_feature_benchmark", F, text="F(w, V, theta) >= F_feat(theta) at every point")
        .ge(F_feat, Certificate((InfimumGap(F, F_feat, ((a, w), (b, V.T * w))),),
                                "the residual prediction is the comparator a = w, b = V^T w")),
        Cite("main_theorem", "local_minima_beat_linear", _theorem_of("local_minima_beat_linear"),
             text="at a local minimum F <= F_feat(theta) <= F_lin"),
    ]
    return Proof("feature_benchmark_reached", [local_minimum, convex_loss], steps, contexts(),
                 conclusion=CONCLUSION)


def contexts():
    """Three concrete contexts and the symbolic one (every size)."""
    from ..indexed.model import symbolic_context
    return standard_contexts() + [symbolic_context()]


LEMMA = SymbolicLemma(
    name="feature_benchmark_reached",
    title="Local minima attain the feature benchmark F_feat(theta) exactly",
    paper=("Shamir (2018) states the main theorem against linear predictors on x and on the features "
           "f_theta(x); that the feature benchmark is attained with equality is our corollary."),
    build=build,
    conclusion=CONCLUSION,
    kind="lemma",
    cites=("local_minima_beat_linear",),
)

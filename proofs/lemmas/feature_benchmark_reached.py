"""Lemma feature_benchmark_reached (DESIGN.md sections 1 and 3): local minima attain ``F_feat(theta)``.

The residual prediction ``p = w^T (x + V f_theta(x)) = a^T x + b^T f_theta(x)`` with ``a = w`` and
``b = V^T w`` is itself one of the comparators of the feature benchmark
``F_feat(theta) = inf_{a, b} E l(a^T x + b^T f_theta(x); y)``, so at *every* point

    F(w, V, theta) >= F_feat(theta)                                   (never below)

and the main theorem's derivation gives ``F <= F_feat(theta)`` at every local minimum; hence local minima
attain the feature benchmark *exactly*: ``F = F_feat(theta) <= F_lin``.  The numeric witness reports by
how much they beat ``F_lin`` on sampled instances.

Shapes: ``a, w in R^d``, ``b in R^k``, ``V in R^{d x k}``.
"""
from __future__ import annotations

from ..atoms_extra import InfimumGap
from ..expressions import F, F_feat, F_lin, V, a, b, standard_contexts, w
from ..hypotheses import convex_loss, stationarity_consequences, stationary_w
from ..kernel import Certificate, Chain, Infimum, Proof
from ..lemma import SymbolicLemma
from .local_minima_beat_linear import build as main_theorem


def build() -> Proof:
    # the main theorem's chain "F <= E l(a^T x + b^T f) for every a, b" at a local minimum, reused
    below_every = [ch for ch in main_theorem().chains if ch.name == "below_every_comparator"][0]
    chains = [
        Chain("never_below_feature_benchmark", F,
              text="F(w, V, theta) >= F_feat(theta) at every point")
        .ge(F_feat, Certificate((InfimumGap(F, F_feat, ((a, w), (b, V.T * w))),),
                                "the residual prediction is the comparator a = w, b = V^T w")),
        below_every,
        Chain("reaches_feature_benchmark", F, text="at a local minimum F <= F_feat(theta)")
        .le(F_feat, Infimum(from_chain="below_every_comparator")),
        Chain("feature_below_linear", F_feat, text="F_feat(theta) <= F_lin")
        .le(F_lin, Infimum("b = 0 is one of the comparators")),
    ]
    return Proof("feature_benchmark_reached",
                 [convex_loss, stationary_w, stationarity_consequences], chains, standard_contexts())


LEMMA = SymbolicLemma(
    name="feature_benchmark_reached",
    title="Local minima attain the feature benchmark F_feat(theta) exactly",
    statement=("At every point F(w, V, theta) >= F_feat(theta) (the residual prediction is the "
               "comparator a = w, b = V^T w); at every local minimum F <= F_feat(theta) (main theorem); "
               "hence local minima attain F(w, V, theta) = F_feat(theta) <= F_lin."),
    statement_latex=(
        r"At every point $F(w, V, \theta) \ge F_{\mathrm{feat}}(\theta)$ (the residual prediction is "
        r"the comparator $a = w$, $b = V^\top w$); at every local minimum $F \le "
        r"F_{\mathrm{feat}}(\theta)$; hence local minima attain $F(w, V, \theta) = "
        r"F_{\mathrm{feat}}(\theta) \le F_{\mathrm{lin}}$."),
    paper=("Shamir (2018) states the main theorem against linear predictors on x and on the features "
           "f_theta(x); that the feature benchmark is attained with equality is our corollary."),
    build=build,
    kind="lemma",
    order=45,
)

"""Example no_skip_bad_minimum: without the skip connection, bad local minima exist.

Model without skip connection: ``p(x) = w^T V f_theta(x)`` (and the plain two-layer network
``p(x) = v^T relu(A x + beta)``).  Construction (dead ReLU region):

1. if every first-layer ReLU is inactive on every sample with margin ``m > 0``
   (``A x_i + beta <= -m``), then every parameter within distance
   ``rho = m / max_i sqrt(||x_i||^2 + 1)`` keeps them inactive, so on that neighbourhood ``f_theta(x) = f0``
   is the *same vector for every sample* (the readout bias, propagated biases) and the prediction is a
   constant ``s = w^T V f0`` (for the two-layer net: ``p = 0`` identically, ``F = E l(0; y)`` is constant);
2. hence on the neighbourhood ``F = E l(s; y) >= inf_s E l(s; y)``, and a point with ``s`` the best
   constant is a local minimum;
3. when the targets come in pairs ``y, -y`` (e.g. a sample closed under ``(x, y) -> (-x, -y)``) and the
   loss has ``l(-p; -y) = l(p; y)`` (squared, pseudo-Huber, logistic, exponential, smooth hinge), the best
   constant is ``0``: ``E l(s; y) - E l(0; y) = E[D_l(s, 0)] >= 0`` (the ``l'(0; y) s`` terms cancel in
   pairs; the kernel finds that only the targets need the symmetry);
4. but ``d/dt E l(-t a0^T x) = -||a0||^2`` at ``t = 0`` with ``a0 = E[l'(0; y) x]``: if ``a0 != 0`` a linear
   predictor is strictly better, ``E l(0; y) > F_lin``.

The kernel proves 3 (the inequality for every ``w, V, f0``) and 4 at four concrete losses and sizes;
1-2 are certified numerically per instance (the dead-region margin and radius, and the 1-D optimality
of the constant: :mod:`~resnet_lemmas.numerics.models.no_skip`).  With the skip connection the same point is not
stationary (``grad_w F = E[l'(s) x] != 0``), as the main theorem requires.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from ..expressions import NamedScalar, V, d, inner, k, n, named, w
from ..kernel import Certificate, Chain, Context, Equation, Identity, Proof
from ..kernel.atoms import BregmanMean
from ..lemma import SymbolicLemma
from ..losses import get_loss

pairs_dim = sp.Symbol("P", integer=True, positive=True)
f0 = named("f_0", k, 1, r"f_{0}")
X_first = named("X_first", d, pairs_dim, r"X", "X")
X_mirror = named("X_mirror", d, pairs_dim, r"X'", "X'")
y_first = named("y_first", pairs_dim, 1, r"y", "y")
y_mirror = named("y_mirror", pairs_dim, 1, r"y'", "y'")
a0_ns = named("a_0_ns", d, 1, r"a_{0}", "a_0")
F_ns = NamedScalar("F_noskip", r"\mathbb{E}\,\ell\left(w^{\top} V f_{0};\, y\right)", "E l(w^T V f_0; y)")
E_l0_ns = NamedScalar("E_l0_ns", r"\mathbb{E}\,\ell(0;\, y)", "E l(0; y)")
E_breg0 = NamedScalar("E_breg0", r"\mathbb{E}\left[D_{\ell}\left(w^{\top} V f_{0},\, 0\right)\right]",
                      "E[D_l(w^T V f_0, 0)]")
d_lin_ns = NamedScalar("d_lin_ns", r"\frac{d}{dt} \mathbb{E}\,\ell(-t a_{0}^{\top} x;\, y)\Big|_{t=0}",
                       "d/dt E l(-t a_0^T x; y) at t = 0")
t = sp.Symbol("t", real=True)

#: Losses with ``l(-p; -y) = l(p; y)`` (the symmetric-data argument needs it); checked in the tests.
SYMMETRIC_LOSSES = ("squared", "pseudo_huber", "logistic", "exponential", "softplus_hinge")

mirrored_targets = Equation("mirrored_targets", y_mirror, -y_first,
                            gloss="the targets come in pairs y, -y (the kernel finds that the inputs "
                                  "need not be mirrored for this inequality)")

CONCLUSION = (sp.Ge(F_ns, E_l0_ns, evaluate=False),
              sp.Eq(d_lin_ns, -inner(a0_ns, a0_ns), evaluate=False))


def symmetric_context(dd: int, kk: int, pairs: int, loss_name: str) -> Context:
    """Sample ``(x_j, y_j)`` (``X``, ``y``) and ``(x'_j, y'_j)`` (``X'``, ``y'``) for ``j < pairs``
    (``n = 2 pairs``), all independent symbols: the symmetry ``X' = -X``, ``y' = -y`` is a hypothesis.
    Features constant ``f0`` on the whole sample (the dead-ReLU region); the no-skip model
    ``p = w^T V f0``."""
    loss = get_loss(loss_name)
    nn = 2 * pairs
    ctx = Context(f"(d, k, n) = ({dd}, {kk}, {nn}), loss {loss_name}",
                  {d: dd, k: kk, n: nn, pairs_dim: pairs}, loss=loss)
    W = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"w_{i}", real=True))
    Vm = sp.Matrix(dd, kk, lambda i, m: sp.Symbol(f"V_{i}{m}", real=True))
    f = sp.Matrix(kk, 1, lambda m, _: sp.Symbol(f"f0_{m}", real=True))
    Xa = sp.Matrix(dd, pairs, lambda i, j: sp.Symbol(f"x_{j}{i}", real=True))
    Xb = sp.Matrix(dd, pairs, lambda i, j: sp.Symbol(f"xm_{j}{i}", real=True))
    Ya = sp.Matrix(pairs, 1, lambda j, _: sp.Symbol(f"y_{j}", real=True))
    Yb = sp.Matrix(pairs, 1, lambda j, _: sp.Symbol(f"ym_{j}", real=True))
    X = [Xa[:, j] for j in range(pairs)] + [Xb[:, j] for j in range(pairs)]
    Y = list(Ya) + list(Yb)
    s = (W.T * Vm * f)[0, 0]
    ell = lambda p, y: loss.at(p, y, 0)      # noqa: E731
    ell_p = lambda p, y: loss.at(p, y, 1)    # noqa: E731
    mean = lambda terms: sp.Add(*terms) / nn  # noqa: E731
    for name, value in ((w, W), (V, Vm), (f0, f), (X_first, Xa), (X_mirror, Xb), (y_first, Ya),
                        (y_mirror, Yb)):
        ctx.define(name, value)
    ctx.define(F_ns, mean([ell(s, y) for y in Y]))
    ctx.define(E_l0_ns, mean([ell(0, y) for y in Y]))
    ctx.define(E_breg0, mean([ell(s, y) - ell(0, y) - ell_p(0, y) * s for y in Y]))
    a0_value = sp.zeros(dd, 1)
    for x, y in zip(X, Y):
        a0_value += ell_p(0, y) * x / nn
    ctx.define(a0_ns, a0_value)
    ctx.define(d_lin_ns, sp.diff(mean([ell(-t * (a0_value.T * x)[0, 0], y) for x, y in zip(X, Y)]),
                                 t).subs(t, 0))
    ctx.samples = SimpleNamespace(pairs=[(s, 0, y) for y in Y])
    return ctx


def _bregman_pairs(ctx):
    return ctx.samples.pairs


def contexts():
    return [symmetric_context(2, 2, 1, "squared"), symmetric_context(2, 1, 2, "logistic"),
            symmetric_context(1, 2, 1, "softplus_hinge"), symmetric_context(3, 2, 2, "pseudo_huber")]


def build(contexts_=None) -> Proof:
    steps = [
        Chain("best_constant_is_zero", F_ns,
              text="on symmetric data, E l(w^T V f0; y) >= E l(0; y) for every w, V, f0")
        .eq(E_l0_ns + E_breg0, Identity("l'(0; -y) = -l'(0; y): the linear terms cancel in pairs",
                                        using=("mirrored_targets",)))
        .ge(E_l0_ns, Certificate((BregmanMean(E_breg0, _bregman_pairs, "E[D_l(w^T V f0, 0)]"),),
                                 "Bregman divergences of a convex loss are >= 0")),
        Chain("linear_descent", d_lin_ns,
              text="d/dt E l(-t a0^T x) = -||a0||^2 at t = 0: a linear predictor beats E l(0; y)")
        .eq(-inner(a0_ns, a0_ns), Identity("chain rule")),
    ]
    return Proof("no_skip_bad_minimum", [mirrored_targets], steps,
                 contexts_ if contexts_ is not None else contexts(), conclusion=CONCLUSION)

LEMMA = SymbolicLemma(
    name="no_skip_bad_minimum",
    title="Without the skip connection, local minima can be worse than linear",
    paper=("Shamir (2018) contrasts the residual architecture with one without the skip connection, "
           "where bad local minima exist (cf. Safran & Shamir 2017, arXiv 1712.08968, for plain "
           "two-layer networks); the dead-ReLU construction and its certificate are ours."),
    build=build,
    conclusion=CONCLUSION,
    kind="example",
)

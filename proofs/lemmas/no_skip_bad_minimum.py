"""Example no_skip_bad_minimum (DESIGN.md section 5): without the skip connection, bad local minima exist.

Model without skip connection: ``p(x) = w^T V f_theta(x)`` (and the plain two-layer network
``p(x) = v^T relu(A x + beta)``).  Construction (dead ReLU region):

1. if every first-layer ReLU is inactive on every sample with margin ``m > 0``
   (``A x_i + beta <= -m``), then every parameter within distance
   ``rho = m / max_i sqrt(||x_i||^2 + 1)`` keeps them inactive, so on that neighbourhood ``f_theta(x) = f0``
   is the *same vector for every sample* (the readout bias, propagated biases) and the prediction is a
   constant ``s = w^T V f0`` (for the two-layer net: ``p = 0`` identically, ``F = E l(0; y)`` is constant);
2. hence on the neighbourhood ``F = E l(s; y) >= inf_s E l(s; y)``, and a point with ``s`` the best
   constant is a local minimum;
3. on *symmetric* data -- the sample is closed under ``(x, y) -> (-x, -y)`` -- and a loss with
   ``l(-p; -y) = l(p; y)`` (squared, pseudo-Huber, logistic, exponential, smooth hinge), the best constant
   is ``0``: ``E l(s; y) - E l(0; y) = E[D_l(s, 0)] >= 0`` (the ``l'(0; y) s`` terms cancel in pairs);
4. but ``d/dt E l(-t a0^T x) = -||a0||^2`` at ``t = 0`` with ``a0 = E[l'(0; y) x]``: if ``a0 != 0`` a linear
   predictor is strictly better, ``E l(0; y) > F_lin``.

The kernel proves 3 (the inequality for every ``w, V, f0``) and 4 at concrete symmetric losses and sizes;
1-2 are certified numerically per instance (the dead-region margin and radius, and the 1-D optimality
of the constant: :mod:`~resnet_lemmas.numerics.models.no_skip`).  With the skip connection the same point is not
stationary (``grad_w F = E[l'(s) x] != 0``), as the main theorem requires.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from ..atoms import BregmanMean
from ..expressions import NamedScalar, V, d, k, n, named, w
from ..kernel import Certificate, Chain, Context, Identity, Proof
from ..lemma import SymbolicLemma
from ..losses import get_loss

f0 = named("f_0", k, 1, r"f_{0}")
a0_ns = named("a_0_ns", d, 1, r"a_{0}")
F_ns = NamedScalar("F_noskip", r"\mathbb{E}\,\ell\left(w^{\top} V f_{0};\, y\right)")
E_l0_ns = NamedScalar("E_l0_ns", r"\mathbb{E}\,\ell(0;\, y)")
E_breg0 = NamedScalar("E_breg0", r"\mathbb{E}\left[D_{\ell}\left(w^{\top} V f_{0},\, 0\right)\right]")
d_lin_ns = NamedScalar("d_lin_ns", r"\frac{d}{dt} \mathbb{E}\,\ell(-t a_{0}^{\top} x;\, y)\Big|_{t=0}")
t = sp.Symbol("t", real=True)

#: Losses with ``l(-p; -y) = l(p; y)`` (the symmetric-data argument needs it); checked in the tests.
SYMMETRIC_LOSSES = ("squared", "pseudo_huber", "logistic", "exponential", "softplus_hinge")


def symmetric_context(dd: int, kk: int, pairs: int, loss_name: str, mirrored: bool = True) -> Context:
    """Sample ``(x_j, y_j), (-x_j, -y_j)`` for ``j < pairs`` (``n = 2 pairs``); features constant ``f0``
    on the whole sample (the dead-ReLU region); the no-skip model ``p = w^T V f0``.  ``mirrored=False``
    replaces the mirror images by independent points (the tests use it: the argument must then fail)."""
    loss = get_loss(loss_name)
    nn = 2 * pairs
    ctx = Context(f"(d, k, n) = ({dd}, {kk}, {nn}) symmetric sample, loss {loss_name}",
                  {d: dd, k: kk, n: nn}, loss=loss)
    W = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"w_{i}", real=True))
    Vm = sp.Matrix(dd, kk, lambda i, m: sp.Symbol(f"V_{i}{m}", real=True))
    f = sp.Matrix(kk, 1, lambda m, _: sp.Symbol(f"f0_{m}", real=True))
    xs = [sp.Matrix(dd, 1, lambda i, _, j=j: sp.Symbol(f"x_{j}{i}", real=True)) for j in range(pairs)]
    ys = [sp.Symbol(f"y_{j}", real=True) for j in range(pairs)]
    if mirrored:
        X = xs + [-x for x in xs]
        Y = ys + [-y for y in ys]
    else:
        X = xs + [sp.Matrix(dd, 1, lambda i, _, j=j: sp.Symbol(f"xm_{j}{i}", real=True))
                  for j in range(pairs)]
        Y = ys + [sp.Symbol(f"ym_{j}", real=True) for j in range(pairs)]
    s = (W.T * Vm * f)[0, 0]
    ell = lambda p, y: loss.at(p, y, 0)      # noqa: E731
    ell_p = lambda p, y: loss.at(p, y, 1)    # noqa: E731
    mean = lambda terms: sp.Add(*terms) / nn  # noqa: E731
    ctx.define(w, W)
    ctx.define(V, Vm)
    ctx.define(f0, f)
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


def build() -> Proof:
    contexts = [symmetric_context(2, 2, 1, "squared"), symmetric_context(2, 1, 2, "logistic"),
                symmetric_context(1, 2, 1, "softplus_hinge")]
    chains = [
        Chain("best_constant_is_zero", F_ns,
              text="on symmetric data, E l(w^T V f0; y) >= E l(0; y) for every w, V, f0")
        .eq(E_l0_ns + E_breg0, Identity("l'(0; -y) = -l'(0; y): the linear terms cancel in pairs"))
        .ge(E_l0_ns, Certificate((BregmanMean(E_breg0, _bregman_pairs, "E[D_l(w^T V f0, 0)]"),),
                                 "Bregman divergences of a convex loss are >= 0")),
        Chain("linear_descent", d_lin_ns,
              text="d/dt E l(-t a0^T x) = -||a0||^2 at t = 0: a linear predictor beats E l(0; y)")
        .eq(-(a0_ns.T * a0_ns)[0, 0], Identity("chain rule")),
    ]
    return Proof("no_skip_bad_minimum", [], chains, contexts)


LEMMA = SymbolicLemma(
    name="no_skip_bad_minimum",
    title="Without the skip connection, local minima can be worse than linear",
    statement=("For p = w^T V f_theta(x) with a ReLU unit (and for p = v^T relu(A x + beta)): if every "
               "first-layer ReLU is dead on the sample with margin m, the prediction is a constant s on "
               "a neighbourhood of radius m / max_i sqrt(||x_i||^2 + 1); on data symmetric under "
               "(x, y) -> (-x, -y) with a symmetric convex loss, E l(s; y) >= E l(0; y), so a dead point "
               "with s = 0 is a local minimum with F = E l(0; y) > F_lin whenever E[l'(0; y) x] != 0."),
    statement_latex=(
        r"For $p = w^\top V f_\theta(x)$ with a ReLU unit (and for $p = v^\top \mathrm{relu}(Ax + "
        r"\beta)$): if every first-layer ReLU is dead on the sample with margin $m$, the prediction is "
        r"a constant $s$ on a neighbourhood of radius $m / \max_i \sqrt{\|x_i\|^2 + 1}$; on data "
        r"symmetric under $(x, y) \mapsto (-x, -y)$ with a symmetric convex loss, "
        r"$\mathbb{E}\,\ell(s; y) \ge \mathbb{E}\,\ell(0; y)$, so a dead point with $s = 0$ is a local "
        r"minimum with $F = \mathbb{E}\,\ell(0; y) > F_{\mathrm{lin}}$ whenever "
        r"$\mathbb{E}[\ell'(0; y)\, x] \neq 0$."),
    paper=("Shamir (2018) contrasts the residual architecture with one without the skip connection, "
           "where bad local minima exist (cf. Safran & Shamir 2017, arXiv 1712.08968, for plain "
           "two-layer networks); the dead-ReLU construction and its certificate are ours."),
    build=build,
    kind="example",
    order=70,
)

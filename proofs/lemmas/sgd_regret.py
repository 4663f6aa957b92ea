"""Theorem sgd_regret: SGD on the tweaked architecture competes with F_lin.

Architecture (our reconstruction of the paper's tweak): ``p(x) = u^T x + w^T (x + V f_theta(x))``.
Write ``z = (u, w) in R^{2d}`` for the output weights and ``psi_t(x) = (x, x + V_t f_{theta_t}(x))`` for the
features of the current iterate, so ``p_t(x) = z^T psi_t(x)`` is *linear in its own weights*.  The
comparator ``z* = (u*, 0)`` predicts ``z*^T psi_t(x) = u*^T x`` whatever ``V_t, theta_t`` are.

Algorithm: samples ``(x_t, y_t) ~ D`` i.i.d.; ``g_t = l'(z_t^T psi_t(x_t); y_t) psi_t(x_t)`` (the
stochastic gradient in ``z``); ``z_{t+1} = Pi_B(z_t - eta g_t)``, the Euclidean projection onto
``{||z|| <= B}``; ``z_1 = 0``.  ``V_t, theta_t`` are updated by *anything* that depends on the past
(SGD in the numerics); the features may depend on the history arbitrarily.

Statement.  If ``l`` is convex, ``||u*|| <= B``, ``||psi_t(x)|| <= b`` for every iterate and every ``x``
in the support, ``|l'(p; y)| <= L`` for ``|p| <= B b`` (the range of every prediction here), and
``eta = B / (L b sqrt(T))``, then

    (1/T) sum_{t=1}^T E F(z_t, V_t, theta_t) <= E l(u*^T x; y) + B L b / sqrt(T),

and ``= F_lin + B L b / sqrt(T)`` when ``u*`` attains ``F_lin`` inside the ball.

Derivation (checked step by step below, for every sequence of the finite model):

1. online-to-batch: ``E F(params_t) = E l(z_t^T psi_t(x_t); y_t)`` because ``(x_t, y_t)`` is
   independent of ``params_t`` (a function of the first ``t - 1`` samples); ``E l(u*^T x_t) = E l(u*^T x)``.
2. convexity: ``l_t(z_t) - l_t(z*) = g_t^T (z_t - z*) - D_l(z*^T psi_t, z_t^T psi_t) <= g_t^T (z_t - z*)``.
3. algebra: ``g_t^T (z_t - z*) = (||z_t - z*||^2 - ||z_t - eta g_t - z*||^2) / (2 eta) + (eta/2) ||g_t||^2``.
4. projection: ``||z_{t+1} - z*|| <= ||z_t - eta g_t - z*||`` (``||z*|| <= B``; the atom
   :class:`~..kernel.atoms.BallProjectionVI`, at symbolic sizes :class:`~..kernel.atoms.ProjectionGain`).
5. telescoping, dropping ``-||z_{T+1} - z*||^2 <= 0``, ``z_1 = 0``, ``||z*|| <= B``, ``||g_t|| <= L b``:
   ``regret <= B^2 / (2 eta) + eta T L^2 b^2 / 2``, which ``eta = B / (L b sqrt T)`` makes ``B L b sqrt T``.

The finite model used by the kernel: ``D`` uniform on ``n`` points ``(x_j, y_j)``; the expectation over
the stream is the mean over all ``n^T`` sequences; each iterate ``z_t`` is an explicit function of the
history (the projected update, ``Pi y = rho y`` with one factor ``rho = min(1, B / ||y||)`` per
history); the features ``psi_t^h(x_j) = (x_j, phi_t^h(x_j))`` have free symbols ``phi`` for every
history ``h`` and point: whatever SGD does to ``V, theta`` is covered.  The same model at symbolic
``(T, n, d)`` is :func:`~..indexed.model.sgd_symbolic_context`: the iterates, projection factors and
features are *predictable* tensors (functions of the samples before their step), the sample of step
``t`` a *sampled* tensor, and step 1 is the stream's independence rule (:mod:`..indexed.stream`); the
certificates of steps 2 and 4-5 are :class:`~..kernel.atoms.PathwiseSum` of pathwise atoms at step ``t``.

Not checked by the kernel (stated for the numerics): with probability ``>= 1 - delta`` a single run
satisfies the bound plus :data:`HIGH_PROBABILITY_DEVIATION` (Azuma-Hoeffding: the martingale
differences ``F_t - F_lin - (l_t(z_t) - l_t(z*))`` lie, given the past, in an interval of length
``2 L B (b + b_x)`` where ``b_x >= ||x||``).
"""
from __future__ import annotations

from itertools import product

import sympy as sp

from ..expressions import F_lin, NamedScalar, inner, loss_terms, named, norm
from ..hypotheses import convex_loss
from ..kernel import (Bound, Certificate, Chain, Context, Equation, Identity, Positive, Projection,
                      Proof)
from ..indexed.terms import as_expr
from ..kernel.atoms import (BallProjectionVI, BregmanMean, Declared, FamilyGap, PathwiseSum, ProjectionGain,
                            Scaled, Square, SquareSum, WeightedSum)
from ..kernel.atoms.projection import euclidean_norm
from ..lemma import SymbolicLemma

# ------------------------------------------------------------------------------------------------
# Named quantities
# ------------------------------------------------------------------------------------------------
T_size, n_size, d_size = sp.symbols("T n d", integer=True, positive=True)  # the sizes of a context
m_dim = 2 * d_size  # output weights z = (u, w) and features psi_t(x) = (x, phi_t(x)) live in R^{2d}

B = NamedScalar("B_radius", "B", "B")
L = NamedScalar("L_lip", "L", "L")
b_feat = NamedScalar("b_feat", "b", "b")
b_x = NamedScalar("b_x", "b_{x}", "b_x")
eta = NamedScalar("eta_sgd", r"\eta", "eta")
T = NamedScalar("T_steps", "T", "T")
delta = NamedScalar("delta_conf", r"\delta", "delta")
psi_t = named("psi_t", m_dim, 1, r"\psi_t(x)", "psi_t(x)")
slope_t = NamedScalar("slope_t", r"\ell'(z_t^{\top}\psi_t(x);\, y)", "l'(z_t^T psi_t(x); y)")

z_1 = named("z_1_sgd", m_dim, 1, "z_{1}", "z_1")
z_star = named("z_star", m_dim, 1, r"z^{\star}", "z*")

AvgRisk = NamedScalar("AvgRisk", r"\frac{1}{T}\sum_{t=1}^{T} \mathbb{E}\, F(z_t, V_t, \theta_t)",
                      "(1/T) sum_t E F(z_t, V_t, theta_t)")
CompLoss = NamedScalar("CompLoss", r"\mathbb{E}\,\ell(u^{\star\top} x;\, y)", "E l(u*^T x; y)")
E_regret = NamedScalar(
    "E_regret", r"\mathbb{E}\,\frac{1}{T}\sum_{t} \left[\ell_t(z_t) - \ell_t(z^{\star})\right]")
E_lin = NamedScalar("E_lin", r"\mathbb{E}\,\frac{1}{T}\sum_{t} g_t^{\top}(z_t - z^{\star})")
E_bregman_sgd = NamedScalar(
    "E_bregman_sgd",
    r"\mathbb{E}\,\frac{1}{T}\sum_{t} D_{\ell}\left(z^{\star\top}\psi_t,\, z_t^{\top}\psi_t\right)")
E_pre = NamedScalar(
    "E_pre", r"\mathbb{E}\,\frac{1}{2\eta T}\sum_{t}\left(\|z_t - z^{\star}\|^2 - "
             r"\|z_t - \eta g_t - z^{\star}\|^2\right)")
E_post = NamedScalar(
    "E_post", r"\mathbb{E}\,\frac{1}{2\eta T}\sum_{t}\left(\|z_t - z^{\star}\|^2 - "
              r"\|z_{t+1} - z^{\star}\|^2\right)")
E_tele = NamedScalar(
    "E_tele", r"\mathbb{E}\,\frac{1}{2\eta T}\left(\|z_1 - z^{\star}\|^2 - \|z_{T+1} - z^{\star}\|^2\right)")
E_gsq = NamedScalar("E_gsq", r"\mathbb{E}\,\frac{1}{T}\sum_{t}\|g_t\|^2")

#: The step size the derivation needs, and the bound it gives (the numerics lambdify these).
STEP_SIZE = B / (L * b_feat * sp.sqrt(T))
REGRET_BOUND = B * L * b_feat / sp.sqrt(T)
#: ``B^2 / (2 eta T) + eta L^2 b^2 / 2``: the bound for any step size, before ``eta`` is chosen.
BOUND_ANY_STEP = B ** 2 / (2 * eta * T) + eta / 2 * L ** 2 * b_feat ** 2
#: Azuma-Hoeffding term of the high-probability version (see module docstring; not kernel-checked).
HIGH_PROBABILITY_DEVIATION = L * B * (b_feat + b_x) * sp.sqrt(2 * sp.log(1 / delta) / T)


# ------------------------------------------------------------------------------------------------
# The finite model at concrete (T, n, d)
# ------------------------------------------------------------------------------------------------
class StreamModel:
    """Component symbols and explicit iterates of one context (see the module docstring)."""

    def __init__(self, TT: int, nn: int, dd: int):
        self.T, self.n, self.d = TT, nn, dd
        ell, ell_p, _ = loss_terms(None)
        self.ell, self.ell_p = ell, ell_p
        self.x = [sp.Matrix(dd, 1, lambda i, _, j=j: sp.Symbol(f"x_{j}{i}", real=True))
                  for j in range(nn)]
        self.y = [sp.Symbol(f"y_{j}", real=True) for j in range(nn)]
        self.u_star = sp.Matrix(dd, 1, lambda i, _: sp.Symbol(f"ustar_{i}", real=True))
        self.z_star = sp.ImmutableMatrix(self.u_star.col_join(sp.zeros(dd, 1)))
        self.z1 = sp.ImmutableMatrix(2 * dd, 1, lambda i, _: sp.Symbol(f"z1_{i}", real=True))
        self.psi, self.z, self.rho = {}, {(1, ()): self.z1}, {}
        for t in range(1, TT + 1):
            for h in product(range(nn), repeat=t - 1):
                tag = "".join(map(str, h)) or "o"
                for j in range(nn):
                    phi = sp.Matrix(dd, 1, lambda i, _, j=j: sp.Symbol(f"phi_{t}_{tag}_{j}{i}",
                                                                       real=True))
                    self.psi[(t, h, j)] = sp.ImmutableMatrix(self.x[j].col_join(phi))
                for i in range(nn):
                    rho = sp.Symbol(f"rho_{t + 1}_{tag}{i}", real=True)
                    self.rho[(t + 1, h + (i,))] = rho
                    self.z[(t + 1, h + (i,))] = sp.ImmutableMatrix(rho * self.z_tilde(t, h, i))
        self.sequences = list(product(range(nn), repeat=TT))
        self.weight = sp.Rational(1, nn ** TT)

    def prediction(self, t, h, j):
        return (self.z[(t, h)].T * self.psi[(t, h, j)])[0, 0]

    def gradient(self, t, h, i):
        """``g_t = l'(z_t^T psi_t(x_i); y_i) psi_t(x_i)``."""
        return self.ell_p(self.prediction(t, h, i), self.y[i]) * self.psi[(t, h, i)]

    def z_tilde(self, t, h, i):
        """``z_t - eta g_t``: the gradient step before the projection."""
        return self.z[(t, h)] - eta * self.gradient(t, h, i)

    def steps(self):
        """``(sequence, t, history, sampled index)`` for every sequence and step."""
        for seq in self.sequences:
            for t in range(1, self.T + 1):
                yield seq, t, tuple(seq[:t - 1]), seq[t - 1]


def _sq(vector) -> sp.Expr:
    return sp.Add(*[entry ** 2 for entry in vector])


def sgd_context(TT: int, nn: int, dd: int) -> Context:
    """The finite stream model at ``T = TT`` steps, ``n = nn`` points, ``d = dd`` input dimensions."""
    s = StreamModel(TT, nn, dd)
    ctx = Context(f"(T, n, d) = ({TT}, {nn}, {dd})", {T_size: TT, n_size: nn, d_size: dd}, samples=s)
    ctx.define(T, sp.Integer(TT))
    ctx.define_family("t and x", [(psi,) for psi in s.psi.values()])
    ctx.define_family("t and x in the run", [(s.ell_p(s.prediction(t, h, j), s.y[j]),) for (t, h, j) in s.psi])
    ctx.define_family("t and history", [(rho, s.z_tilde(t_next - 1, h[:-1], h[-1]), s.z[(t_next, h)])
                                      for (t_next, h), rho in s.rho.items()])
    ctx.define(z_1, s.z1)
    ctx.define(z_star, s.z_star)
    ell, ell_p, w = s.ell, s.ell_p, s.weight
    risk = []
    for t in range(1, TT + 1):
        histories = list(product(range(nn), repeat=t - 1))
        risk.append(sp.Add(*[ell(s.prediction(t, h, j), s.y[j]) for h in histories
                             for j in range(nn)]) / (len(histories) * nn))
    ctx.define(AvgRisk, sp.Add(*risk) / TT)
    ctx.define(CompLoss, sp.Add(*[ell((s.u_star.T * s.x[j])[0, 0], s.y[j]) for j in range(nn)]) / nn)
    regret, linear, bregman, pre, post, gsq = [], [], [], [], [], []
    for seq, t, h, i in s.steps():
        p = s.prediction(t, h, i)
        q = (s.z_star.T * s.psi[(t, h, i)])[0, 0]
        g = s.gradient(t, h, i)
        zt = s.z[(t, h)]
        regret.append(ell(p, s.y[i]) - ell(q, s.y[i]))
        linear.append((g.T * (zt - s.z_star))[0, 0])
        bregman.append(ell(q, s.y[i]) - ell(p, s.y[i]) - ell_p(p, s.y[i]) * (q - p))
        pre.append(_sq(zt - s.z_star) - _sq(s.z_tilde(t, h, i) - s.z_star))
        post.append(_sq(zt - s.z_star) - _sq(s.z[(t + 1, h + (i,))] - s.z_star))
        gsq.append(_sq(g))
    ctx.define(E_regret, w * sp.Add(*regret) / TT)
    ctx.define(E_lin, w * sp.Add(*linear) / TT)
    ctx.define(E_bregman_sgd, w * sp.Add(*bregman) / TT)
    ctx.define(E_pre, w * sp.Add(*pre) / (2 * eta * TT))
    ctx.define(E_post, w * sp.Add(*post) / (2 * eta * TT))
    ctx.define(E_gsq, w * sp.Add(*gsq) / TT)
    ctx.define(E_tele, w * sp.Add(*[_sq(s.z1 - s.z_star) - _sq(s.z[(TT + 1, seq)] - s.z_star)
                                    for seq in s.sequences]) / (2 * eta * TT))
    return ctx



#: ``(T, n, d)`` the theorem is checked at: two steps on two points (the online-to-batch identity really
#: averages over histories), three steps on one point with ``d = 2`` (``psi`` in ``R^4``; three telescoping
#: terms and nested projections), and four steps on one point.
CONTEXT_SIZES = ((2, 2, 1), (3, 1, 2), (4, 1, 1))


def sgd_contexts(sizes=CONTEXT_SIZES, symbolic: bool = True) -> list:
    """The concrete contexts at ``sizes`` and (``symbolic``) the model at symbolic ``(T, n, d)``."""
    from ..indexed.model import sgd_symbolic_context
    return [sgd_context(*size) for size in sizes] + ([sgd_symbolic_context()] if symbolic else [])


# -- per-context atom lists ----------------------------------------------------------------------
def _bregman_pairs(ctx):
    s = ctx.samples
    return [((s.z_star.T * s.psi[(t, h, i)])[0, 0], s.prediction(t, h, i), s.y[i])
            for _, t, h, i in s.steps()]


def _projection_terms(ctx):
    s = ctx.samples
    weight = s.weight / (2 * eta * s.T)
    out = []
    for _, t, h, i in s.steps():
        y = s.z_tilde(t, h, i)
        gap = y - s.z[(t + 1, h + (i,))]
        out += [(weight, Square(entry)) for entry in gap]
        out.append((2 * weight, BallProjectionVI(y, s.rho[(t + 1, h + (i,))], s.z_star, B)))
    return out


def _last_iterate_terms(ctx):
    s = ctx.samples
    weight = s.weight / (2 * eta * s.T)
    return [(weight, Square(entry)) for seq in s.sequences
            for entry in s.z[(s.T + 1, seq)] - s.z_star]


def _gradient_bound_terms(ctx):
    """``L^2 b^2 - ||g_t||^2 = L^2 (b^2 - ||psi_t||^2) + ||psi_t||^2 (L^2 - l'(p_t)^2)``."""
    s = ctx.samples
    weight = s.weight * eta / (2 * s.T)
    out = []
    for _, t, h, i in s.steps():
        psi = s.psi[(t, h, i)]
        slope = s.ell_p(s.prediction(t, h, i), s.y[i])
        out.append((weight, Scaled(L ** 2, Declared(b_feat ** 2 - _sq(psi), "features_bounded"))))
        out.append((weight, Scaled(_sq(psi), Declared(L ** 2 - slope ** 2, "lipschitz_on_range"))))
    return out


# -- the same certificates at symbolic sizes (pathwise atoms at step t, summed and under E) --------
def _projection_steps(ctx):
    from ..indexed.model import T as horizon
    return (ctx.samples.t,), [(as_expr(1 / (2 * eta * horizon)), ProjectionGain(z_star))]


def _last_iterate_steps(ctx):
    from ..indexed.model import T as horizon, z_t
    s = ctx.samples.stream
    e = s["e"]
    return (), [(as_expr(1 / (2 * eta * horizon)), SquareSum(z_t[horizon + 1, e] - s["zs"], (e,)))]


def _gradient_bound_steps(ctx):
    from ..indexed.model import T as horizon, sgd_sq
    s = ctx.samples.stream
    weight = eta / (2 * horizon)
    return (ctx.samples.t,), [(as_expr(weight * L ** 2), FamilyGap("features_bounded")),
                              (sgd_sq(s["psi"], s["e"]) * weight, FamilyGap("lipschitz_on_range"))]


# ------------------------------------------------------------------------------------------------
# Hypotheses
# ------------------------------------------------------------------------------------------------
positive_constants = Positive(
    "positive_constants", (B, L, b_feat, eta),
    gloss="the radius B, Lipschitz constant L, feature bound b and step eta are positive")
ball_projection = Projection(
    "ball_projection", "t and history", B,
    gloss="z_{t+1} = Pi_B(z_t - eta g_t) = rho_{t+1} (z_t - eta g_t): the projection onto the ball of "
          "radius B, for every step and history (members (rho_{t+1}, z_t - eta g_t, z_{t+1}))")
comparator_in_ball = Bound("comparator_in_ball", sp.Le(norm(z_star), B, evaluate=False),
                           gloss="the comparator z* = (u*, 0) has ||u*|| <= B")
features_bounded = Bound(
    "features_bounded", sp.Lambda(psi_t, sp.Le(inner(psi_t, psi_t), b_feat ** 2, evaluate=False)),
    "t and x", gloss="||psi_t(x)|| <= b for every iterate and every x in the support")
lipschitz_on_range = Bound(
    "lipschitz_on_range", sp.Lambda(slope_t, sp.Le(slope_t ** 2, L ** 2, evaluate=False)), "t and x in the run",
    gloss="|l'(p; y)| <= L for every prediction p of an iterate (|p| <= ||z_t|| ||psi_t|| <= B b)")
start_at_zero = Equation("start_at_zero", z_1, sp.ZeroMatrix(m_dim, 1),
                         gloss="the output weights start at z_1 = 0")
step_size = Equation("step_size", eta, STEP_SIZE, gloss="the step size of the derivation")
comparator_attains_F_lin = Equation("comparator_attains_F_lin", CompLoss, F_lin,
                                    gloss="u* attains F_lin = inf_u E l(u^T x; y)")

HYPOTHESES = [convex_loss, positive_constants, ball_projection, comparator_in_ball,
              features_bounded, lipschitz_on_range, start_at_zero, step_size,
              comparator_attains_F_lin]


def regret_chain(step_size_hypothesis: str = "step_size", final_bound=REGRET_BOUND) -> Chain:
    """The derivation (module docstring, steps 1-5), starting at the average risk of the iterates."""
    C = CompLoss
    g2 = eta / 2 * E_gsq
    return (
        Chain("average_risk_bound", AvgRisk,
              text="(1/T) sum_t E F(params_t) <= F_lin + B L b / sqrt(T)")
        .eq(C + E_regret, Identity(
            "online-to-batch: the sample of step t is independent of the iterate of step t"))
        .le(C + E_lin, Certificate(
            (BregmanMean(E_bregman_sgd, _bregman_pairs, "E[D_l(z*^T psi_t, z_t^T psi_t)]"),),
            "l_t is convex in z: l_t(z*) >= l_t(z_t) + g_t^T (z* - z_t)", using=("convex_loss",)))
        .eq(C + E_pre + g2, Identity(
            "||z_t - eta g_t - z*||^2 = ||z_t - z*||^2 - 2 eta g_t^T (z_t - z*) + eta^2 ||g_t||^2",
            using=("positive_constants",)))
        .le(C + E_post + g2, Certificate(
            (WeightedSum(E_post - E_pre, _projection_terms, "projection gains",
                         PathwiseSum(E_post - E_pre, _projection_steps, "projection gains")),),
            "projection onto the ball is nonexpansive towards z* (||z*|| <= B)",
            using=("positive_constants", "ball_projection", "comparator_in_ball")))
        .eq(C + E_tele + g2, Identity("telescoping sum over t", using=("positive_constants",)))
        .le(C + inner(z_1 - z_star, z_1 - z_star) / (2 * eta * T) + g2, Certificate(
            (WeightedSum(inner(z_1 - z_star, z_1 - z_star) / (2 * eta * T) - E_tele,
                         _last_iterate_terms, "||z_{T+1} - z*||^2 / (2 eta T)",
                         PathwiseSum(inner(z_1 - z_star, z_1 - z_star) / (2 * eta * T) - E_tele,
                                     _last_iterate_steps, "||z_{T+1} - z*||^2 / (2 eta T)")),),
            "drop -||z_{T+1} - z*||^2 <= 0", using=("positive_constants",)))
        .le(C + BOUND_ANY_STEP, Certificate(
            (Scaled(1 / (2 * eta * T), Scaled(B + norm(z_star),
                                             Declared(B - norm(z_star), "comparator_in_ball"))),
             WeightedSum(eta / 2 * (L ** 2 * b_feat ** 2 - E_gsq), _gradient_bound_terms,
                         "(eta/2) (L^2 b^2 - E||g_t||^2)",
                         PathwiseSum(eta / 2 * (L ** 2 * b_feat ** 2 - E_gsq), _gradient_bound_steps,
                                     "(eta/2) (L^2 b^2 - E||g_t||^2)"))),
            "z_1 = 0, ||z*|| <= B and ||g_t|| = |l'(p_t)| ||psi_t|| <= L b",
            using=("positive_constants", "start_at_zero", "comparator_in_ball",
                   "features_bounded", "lipschitz_on_range")))
        .eq(C + final_bound, Identity("choice of the step size",
                                      using=(step_size_hypothesis, "positive_constants")))
        .eq(F_lin + final_bound, Identity("u* attains F_lin", using=("comparator_attains_F_lin",)))
    )


CONCLUSION = (sp.Le(AvgRisk, CompLoss + REGRET_BOUND, evaluate=False),
              sp.Le(AvgRisk, F_lin + REGRET_BOUND, evaluate=False))


def build(contexts=None) -> Proof:
    return Proof("sgd_regret", list(HYPOTHESES), [regret_chain()],
                 contexts if contexts is not None else sgd_contexts(), conclusion=CONCLUSION)


LEMMA = SymbolicLemma(
    name="sgd_regret",
    title="SGD on the tweaked architecture reaches F_lin + B L b / sqrt(T)",
    paper=("Final result of Shamir (2018): after a tweak of the architecture, SGD reaches "
           "F_lin + O(1/sqrt(T)) with a constant driven by a Lipschitz parameter. The tweak (an extra "
           "input-to-output skip u^T x) and the constants are our reconstruction."),
    build=build,
    conclusion=CONCLUSION,
    kind="theorem",
)

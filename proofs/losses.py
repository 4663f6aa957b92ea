"""Convex losses ``l(p; y)``: one symbolic expression each, with ``l'``, ``l''`` and a convexity certificate.

Every loss is written once, as a SymPy expression in the prediction ``p`` and the target ``y``.  Its
derivatives are taken by SymPy, its convexity is *proven* (``l''(p; y) >= 0`` certified by SymPy's
assumption system on real ``p, y``), and its NumPy form is generated from the same expression by
``lambdify``.  A loss that is not convex is rejected with an exact point where ``l'' < 0``; a loss
that is not twice differentiable (``max``, ``|.|``, piecewise) is rejected by name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable

import numpy as np
import sympy as sp

from .kernel.zero import sign_nonnegative
from ..bridge import lambdify
from .primitives import sigmoid, softplus

#: Prediction and target: the two arguments of every loss.
P, Y = sp.symbols("p y", real=True)


class LossError(ValueError):
    """A loss cannot be used: unknown name, not convex, not differentiable, or bad targets."""


class UnknownLossError(LossError):
    pass


class NonConvexLossError(LossError):
    pass


class NonDifferentiableLossError(LossError):
    pass


def prove_nonnegative(expr: sp.Expr) -> str | None:
    """``expr >= 0`` for all real values of its (real) symbols, by the kernel's sign rules."""
    return sign_nonnegative(expr)


#: The only functions a loss may be built from: smooth and real on the real line (``log`` and
#: non-integer powers only of arguments proven positive).  Anything else -- ``Abs``, ``Max``,
#: ``Piecewise``, ``arg``, ``sign``, ``floor``, ``re``, undefined functions ... -- is refused by name.
SMOOTH_FUNCTIONS = (sp.exp, sp.log, sigmoid, softplus)


def smoothness_violation(expr: sp.Expr) -> str | None:
    """Why ``expr`` is not built from :data:`SMOOTH_FUNCTIONS`, ``+``, ``*`` and powers, or ``None``."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Symbol, sp.Number)) or node in (sp.pi, sp.E):
            if isinstance(node, sp.Symbol) and node not in (P, Y):
                return f"it has a free symbol {node} other than p, y"
            if isinstance(node, sp.Number) and not node.is_real:
                return f"it has a non-real constant {node}"
            continue
        if isinstance(node, (sp.Add, sp.Mul)):
            continue
        if isinstance(node, sp.Pow):
            if node.exp.is_integer and (node.exp.is_nonnegative or
                                        sign_nonnegative(node.base) and node.base.is_positive):
                continue
            if node.exp.is_integer and node.exp.is_negative:
                if node.base.is_positive or node.base.is_negative:
                    continue
                return f"it divides by {node.base}, which may vanish"
            if node.base.is_positive:
                continue
            return f"it raises {node.base} (not proven positive) to the power {node.exp}"
        if isinstance(node, sp.log):
            if node.args[0].is_positive:
                continue
            return f"it takes log of {node.args[0]}, not proven positive"
        if isinstance(node, SMOOTH_FUNCTIONS):
            continue
        name = getattr(node.func, "__name__", type(node).__name__)
        return f"it uses {name}, which is not among the allowed smooth real functions " \
               f"({', '.join(f.__name__ for f in SMOOTH_FUNCTIONS)}, +, *, powers)"
    return None


@dataclass(frozen=True)
class ConvexityCertificate:
    """``l''(p; y) = second_derivative`` was proven ``>= 0`` for all real ``p`` and ``y``."""

    loss_name: str
    second_derivative: sp.Expr
    reason: str


@dataclass(frozen=True)
class Loss:
    """A loss ``l(p; y)`` given by one SymPy expression in ``P`` (prediction) and ``Y`` (target).

    ``targets`` says which ``y`` make sense: ``"real"`` (any real), ``"sign"`` (``+-1``), ``"count"``
    (nonnegative).  ``infimum`` is ``inf_p l(p; y)`` where it does not depend on ``y`` (``0`` for the
    margin losses, whose infimum is not attained at a finite ``p``), else ``None``.
    """

    name: str
    expr: sp.Expr
    targets: str = "real"
    description: str = ""
    infimum_attained: bool = True
    latex_name: str = ""
    _numeric: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def d1(self) -> sp.Expr:
        """``l'(p; y)``, the derivative in the prediction."""
        return sp.diff(self.expr, P)

    @cached_property
    def d2(self) -> sp.Expr:
        """``l''(p; y)``."""
        return sp.diff(self.d1, P)

    def at(self, p, y=Y, order: int = 0) -> sp.Expr:
        """``l^(order)(p; y)`` with the prediction (and target) replaced by the given expressions."""
        base = (self.expr, self.d1, self.d2)[order]
        return base.xreplace({P: p, Y: y})

    # -- proofs ---------------------------------------------------------------------------------
    def require_differentiable(self) -> None:
        why = smoothness_violation(self.expr)
        if why is not None:
            raise NonDifferentiableLossError(
                f"loss {self.name!r} is not accepted as a smooth real loss: {why} "
                f"({sp.sstr(self.expr)}); the paper's results need a differentiable convex loss")

    @cached_property
    def convexity(self) -> ConvexityCertificate:
        """Prove ``l'' >= 0``; raise :class:`NonConvexLossError` with a witness point if it fails."""
        self.require_differentiable()
        reason = prove_nonnegative(self.d2)
        if reason is not None:
            return ConvexityCertificate(self.name, self.d2, reason)
        witness = self.concavity_witness()
        if witness is not None:
            p0, y0, value = witness
            raise NonConvexLossError(
                f"loss {self.name!r} is not convex in p: l''(p={p0}, y={y0}) = {value} < 0 "
                f"(exact evaluation of l'' = {sp.sstr(self.d2)})")
        raise NonConvexLossError(
            f"could not certify convexity of loss {self.name!r}: SymPy could not prove "
            f"l'' = {sp.sstr(self.d2)} >= 0, and no point with l'' < 0 was found on the search grid")

    def concavity_witness(self):
        """Search a grid for ``l''(p; y) < 0``; confirm the best point exactly (30 digits) in SymPy."""
        p_grid = np.linspace(-12.0, 12.0, 2401)
        y_grid = {"sign": [-1.0, 1.0], "count": [0.0, 1.0, 2.0, 5.0]}.get(
            self.targets, list(np.linspace(-3.0, 3.0, 13)))
        pp, yy = np.meshgrid(p_grid, np.asarray(y_grid))
        with np.errstate(all="ignore"):
            values = np.broadcast_to(np.asarray(lambdify((P, Y), self.d2)(pp, yy), float), pp.shape)
        if not np.isfinite(values).any():
            return None
        idx = np.unravel_index(np.nanargmin(np.where(np.isfinite(values), values, np.inf)), pp.shape)
        p0 = sp.Rational(str(round(float(pp[idx]), 3)))
        y0 = sp.Rational(str(float(yy[idx])))
        exact = sp.N(self.d2.xreplace({P: p0, Y: y0}), 30)
        if exact.is_real and exact < 0:
            return p0, y0, sp.Float(exact, 6)
        return None

    # -- numerics (generated from the same expressions) -----------------------------------------
    def _kernel(self, order: int) -> Callable:
        if order not in self._numeric:
            self._numeric[order] = lambdify((P, Y), (self.expr, self.d1, self.d2)[order])
        return self._numeric[order]

    def _eval(self, order, p, y):
        p = np.asarray(p, dtype=float)
        y = np.asarray(y, dtype=float)
        with np.errstate(over="ignore"):
            out = self._kernel(order)(p, y)
        if isinstance(out, np.ndarray) and out.shape == p.shape == y.shape and out.dtype == float:
            return out  # the hot path inside optimisers: no broadcast copy needed
        shape = np.broadcast_shapes(p.shape, y.shape)
        return np.array(np.broadcast_to(np.asarray(out, dtype=float), shape))

    def value(self, p, y) -> np.ndarray:
        """``l(p; y)`` elementwise (float64, broadcast)."""
        return self._eval(0, p, y)

    def grad(self, p, y) -> np.ndarray:
        """``l'(p; y)`` elementwise."""
        return self._eval(1, p, y)

    def curvature(self, p, y) -> np.ndarray:
        """``l''(p; y)`` elementwise."""
        return self._eval(2, p, y)

    def check_targets(self, y) -> None:
        """Raise :class:`LossError` naming the problem if ``y`` is not a valid target vector."""
        y = np.asarray(y, dtype=float)
        if not np.all(np.isfinite(y)):
            raise LossError(f"targets contain NaN or inf ({int(np.sum(~np.isfinite(y)))} entries)")
        if self.targets == "sign" and not np.all(np.isin(y, (-1.0, 1.0))):
            bad = np.unique(y[~np.isin(y, (-1.0, 1.0))])[:5]
            raise LossError(f"loss {self.name!r} needs targets in {{-1, +1}}; found {bad.tolist()}")
        if self.targets == "count" and np.any(y < 0):
            raise LossError(f"loss {self.name!r} needs nonnegative targets; found min {y.min()}")


def _register(*losses: Loss) -> dict[str, Loss]:
    return {loss.name: loss for loss in losses}


_DELTA = sp.Integer(1)

LOSSES: dict[str, Loss] = _register(
    Loss("squared", (P - Y) ** 2 / 2, "real", "squared error (p - y)^2 / 2",
         latex_name=r"\tfrac12 (p-y)^2"),
    Loss("logistic", softplus(-Y * P), "sign", "logistic loss log(1 + exp(-y p))",
         infimum_attained=False),
    Loss("exponential", sp.exp(-Y * P), "sign", "exponential loss exp(-y p)",
         infimum_attained=False),
    Loss("softplus_hinge", softplus(1 - Y * P), "sign",
         "smooth hinge log(1 + exp(1 - y p))", infimum_attained=False),
    Loss("pseudo_huber", _DELTA ** 2 * (sp.sqrt(1 + ((P - Y) / _DELTA) ** 2) - 1), "real",
         "pseudo-Huber loss delta^2 (sqrt(1 + ((p - y)/delta)^2) - 1), delta = 1"),
    Loss("poisson", sp.exp(P) - Y * P, "count", "Poisson negative log-likelihood exp(p) - y p"),
)

#: Losses kept to show that the checker rejects them; never usable in a lemma.
NON_CONVEX_EXAMPLES: dict[str, Loss] = _register(
    Loss("sigmoid", sigmoid(-Y * P), "sign", "sigmoid loss 1 / (1 + exp(y p)) (not convex)"),
)
NON_DIFFERENTIABLE_EXAMPLES: dict[str, Loss] = _register(
    Loss("hinge", sp.Max(0, 1 - Y * P), "sign", "hinge loss max(0, 1 - y p) (not differentiable)"),
)


def get_loss(name: str) -> Loss:
    """The registered convex loss called ``name``, with its convexity proven.

    Raises :class:`UnknownLossError` (listing the known names), or the non-convex /
    non-differentiable error for the counter-examples kept in this module.
    """
    if name in LOSSES:
        loss = LOSSES[name]
    elif name in NON_CONVEX_EXAMPLES or name in NON_DIFFERENTIABLE_EXAMPLES:
        loss = NON_CONVEX_EXAMPLES.get(name) or NON_DIFFERENTIABLE_EXAMPLES[name]
    else:
        raise UnknownLossError(
            f"unknown loss {name!r}; known convex losses: {', '.join(sorted(LOSSES))}")
    loss.convexity  # noqa: B018  (raises for a non-convex or non-differentiable loss)
    return loss


def custom_loss(name: str, expr: sp.Expr, targets: str = "real", description: str = "") -> Loss:
    """A user's loss from a SymPy expression in ``resnet_lemmas.proofs.losses.P`` and ``Y``.

    Its convexity is proven before it is returned (or a clear error is raised).
    """
    extra = expr.free_symbols - {P, Y}
    if extra:
        raise LossError(f"loss {name!r} has free symbols other than p, y: {sorted(map(str, extra))}")
    loss = Loss(name, sp.sympify(expr), targets, description or sp.sstr(expr))
    loss.convexity  # noqa: B018
    return loss

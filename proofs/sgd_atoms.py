"""Atoms and hypotheses for the SGD regret theorem (lemma ``sgd_regret``, DESIGN.md section 6).

The regret proof of projected online gradient descent needs three facts the generic atoms of
:mod:`~resnet_lemmas.proofs.atoms` do not provide.  Each is an atom that certifies itself in every
context, or a hypothesis that declares, by name, exactly which expressions it assumes nonnegative:

* :class:`BoundHypothesis` -- a :class:`~.kernel.Hypothesis` that *declares* a list of expressions
  ``e >= 0`` per context (``||psi_t(x_j)|| <= b``: ``b^2 - ||psi_t(x_j)||^2 >= 0`` for every iterate and
  point; ``|l'(p)| <= L`` on the range of predictions; ``||z*|| <= B``).  :class:`Declared` is the atom
  ``e >= 0`` that holds because a hypothesis *in use* declares exactly ``e`` (checked by expansion), so
  a certificate can never invoke a bound nobody assumed.
* :class:`BallProjectionVI` -- the variational inequality of the Euclidean projection onto the ball
  ``{z : ||z|| <= B}``: with ``Pi(y) = y / s``, ``s = 1 + sigma``, ``sigma = max(0, ||y|| / B - 1)``,
  ``(y - Pi y)^T (Pi y - z*) >= 0`` for every ``z*`` with ``||z*|| <= B``.  Certified by the two cases
  of the ``max``: ``sigma = 0`` (the expression vanishes identically) and ``sigma > 0``, where
  ``||y|| = s B`` and the expression equals, identically,
  ``(sigma / s) [ ||y|| (B - ||z*||) + (||y|| ||z*|| - y^T z*) ]``: a product of a nonnegative factor
  (sign rules, ``sigma >= 0``) with the sum of a declared bound times ``||y|| >= 0`` and a
  Cauchy-Schwarz gap (Lagrange's identity).  With ``||y - z*||^2 = ||y - Pi y||^2 + ||Pi y - z*||^2
  + 2 (y - Pi y)^T (Pi y - z*)`` this gives nonexpansiveness ``||Pi y - z*|| <= ||y - z*||``.
* :class:`WeightedSum` -- ``value = sum_i w_i a_i`` for context-dependent lists of atoms ``a_i`` with
  weights ``w_i`` certified nonnegative by SymPy's sign rules: how one certificate step covers every
  (stream, step) pair of a context, whose number depends on the context's ``(T, n)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .atoms import CauchySchwarzGap
from .kernel import Context, Hypothesis, KernelError, prove_zero
from .losses import prove_nonnegative


# ------------------------------------------------------------------------------------------------
# Hypotheses that declare bounds, and the atom that invokes one
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoundHypothesis(Hypothesis):
    """A hypothesis that assumes ``e >= 0`` for each ``e`` in ``declares(ctx)`` (explicit expressions).

    ``declares`` is a callable ``Context -> list`` so that one hypothesis covers all iterates and sample
    points of a context (their number depends on the context's sizes).
    """

    declares: Callable | None = None

    def declared(self, ctx: Context) -> list:
        if self.declares is None:
            return []
        # cached on the context itself (never by id(): a recycled id must not reuse stale bounds)
        cache = ctx.__dict__.setdefault("_declared_bounds", {})
        if self.name not in cache:
            cache[self.name] = [sp.expand(ctx.instantiate(e)) for e in self.declares(ctx)]
        return cache[self.name]


def _used_named(used, name: str):
    for hyp in used:
        if hyp.name == name:
            return hyp
    return None


@dataclass(frozen=True)
class Declared:
    """``e >= 0`` because the :class:`BoundHypothesis` called ``hypothesis`` (listed in the step's
    ``using``) declares exactly ``e`` (up to expansion) in this context."""

    value: sp.Expr
    hypothesis: str

    @property
    def expr(self):
        return self.value

    def certify(self, ctx: Context, proof, used) -> str:
        hyp = _used_named(used, self.hypothesis)
        if hyp is None:
            raise KernelError(f"bound {sp.sstr(self.value)[:120]} >= 0 needs hypothesis "
                              f"{self.hypothesis!r}, which the step does not use")
        if not isinstance(hyp, BoundHypothesis):
            raise KernelError(f"hypothesis {self.hypothesis!r} declares no bounds")
        target = sp.expand(ctx.instantiate(self.value))
        declared = hyp.declared(ctx)
        for candidate in declared:
            if sp.expand(target - candidate) == 0:
                return f"declared by hypothesis {self.hypothesis!r}"
        raise KernelError(f"{sp.sstr(target)[:160]} >= 0 is not among the {len(declared)} bounds "
                          f"declared by hypothesis {self.hypothesis!r} at {ctx.label}")


# ------------------------------------------------------------------------------------------------
# Projection onto a ball
# ------------------------------------------------------------------------------------------------
def _column(value) -> sp.ImmutableMatrix:
    matrix = sp.ImmutableMatrix(value)
    if matrix.shape[1] != 1:
        raise KernelError(f"expected a column vector, got shape {matrix.shape}")
    return matrix


def euclidean_norm(vector) -> sp.Expr:
    """``||v|| = sqrt(sum_i v_i^2)`` of an explicit column vector."""
    return sp.sqrt(sp.Add(*[entry ** 2 for entry in _column(vector)]))


def projection_vi(y, sigma, z_star) -> sp.Expr:
    """``(y - y/s)^T (y/s - z*)`` with ``s = 1 + sigma``: the projection's variational inequality."""
    y, z_star = _column(y), _column(z_star)
    s = 1 + sigma
    return ((y - y / s).T * (y / s - z_star))[0, 0]


@dataclass(frozen=True)
class BallProjectionVI:
    """``(y - Pi y)^T (Pi y - z*) >= 0`` for the projection ``Pi y = y / (1 + sigma)`` onto the ball of
    radius ``radius``, ``sigma = max(0, ||y|| / radius - 1)`` (hypothesis ``projection``), and
    ``||z*|| <= radius`` (declared ``radius - ||z*|| >= 0`` by hypothesis ``comparator``).

    ``y`` and ``z_star`` are explicit column vectors, ``sigma`` a SymPy symbol declared nonnegative.
    See the module docstring for the two-case certificate.
    """

    y: sp.Basic
    sigma: sp.Symbol
    z_star: sp.Basic
    radius: sp.Expr
    projection: str = "ball_projection"
    comparator: str = "comparator_in_ball"

    @property
    def expr(self):
        return projection_vi(self.y, self.sigma, self.z_star)

    def certify(self, ctx: Context, proof, used) -> str:
        if _used_named(used, self.projection) is None:
            raise KernelError(f"projection inequality needs hypothesis {self.projection!r} "
                              "(z_{t+1} is the projection of z_t - eta g_t onto the ball)")
        if not (isinstance(self.sigma, sp.Symbol) and self.sigma.is_nonnegative):
            raise KernelError(f"projection scaling {self.sigma} is not a symbol declared >= 0")
        y = _column(ctx.instantiate(self.y))
        z_star = _column(ctx.instantiate(self.z_star))
        radius = ctx.instantiate(self.radius)
        if not isinstance(radius, sp.Symbol):
            raise KernelError(f"the ball's radius must be a symbol, got {radius}")
        expr = projection_vi(y, self.sigma, z_star)
        # case sigma = 0 (y inside the ball, Pi y = y): the expression vanishes identically
        prove_zero(expr.xreplace({self.sigma: 0}), proof.timeout,
                   f"projection inequality, case ||y|| <= B, at {ctx.label}")
        # case sigma > 0: ||y|| = (1 + sigma) B, so B may be replaced by ||y|| / (1 + sigma)
        s = 1 + self.sigma
        norm_y, norm_z = euclidean_norm(y), euclidean_norm(z_star)
        cs_gap = norm_y * norm_z - (y.T * z_star)[0, 0]
        rewritten = (self.sigma / s) * (norm_y * (radius - norm_z) + cs_gap)
        prove_zero(expr - rewritten.xreplace({radius: norm_y / s}), proof.timeout,
                   f"projection inequality, case ||y|| = (1 + sigma) B, at {ctx.label}")
        if prove_nonnegative(self.sigma / s) is None:
            raise KernelError(f"could not certify sigma / (1 + sigma) >= 0 at {ctx.label}")
        bound = Declared(radius - norm_z, self.comparator).certify(ctx, proof, used)
        lagrange = CauchySchwarzGap(y, z_star).certify(ctx, proof, used)
        return (f"projection onto the ball: case sigma = 0 vanishes; case sigma > 0 = "
                f"sigma/(1+sigma) [||y|| (B - ||z*||) + CS gap] with B - ||z*|| >= 0 {bound} and "
                f"{lagrange}")


# ------------------------------------------------------------------------------------------------
# Weighted sums of atoms, per context
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightedSum:
    """``value = sum_i w_i a_i`` with ``(w_i, a_i) in terms(ctx)``: every ``w_i >= 0`` by sign rules and
    every atom ``a_i`` certifying itself.  ``value`` is written in named quantities."""

    value: sp.Expr
    terms: Callable
    label: str = "weighted sum of atoms"

    @property
    def expr(self):
        return self.value

    def certify(self, ctx: Context, proof, used) -> str:
        terms = list(self.terms(ctx))
        if not terms:
            raise KernelError(f"{self.label}: no atoms at {ctx.label}")
        total = sp.Add(*[weight * atom.expr for weight, atom in terms])
        prove_zero(ctx.instantiate(self.value) - total, proof.timeout,
                   f"{self.label} at {ctx.label}: value minus the weighted atoms")
        checked_weights: set = set()
        kinds: dict[str, int] = {}
        for weight, atom in terms:
            if weight not in checked_weights:
                if prove_nonnegative(sp.sympify(weight)) is None:
                    raise KernelError(f"{self.label}: weight {weight} is not certified nonnegative")
                checked_weights.add(weight)
            atom.certify(ctx, proof, used)
            kinds[type(atom).__name__] = kinds.get(type(atom).__name__, 0) + 1
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        return f"{self.label} = nonnegative combination of {parts}"


__all__ = ["BoundHypothesis", "Declared", "BallProjectionVI", "WeightedSum", "projection_vi",
           "euclidean_norm"]

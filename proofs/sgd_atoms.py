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
  ``{z : ||z|| <= B}``: with ``Pi(y) = rho y``, ``rho = min(1, B / ||y||)``,
  ``(y - Pi y)^T (Pi y - z*) >= 0`` for every ``z*`` with ``||z*|| <= B``.  Certified by the two cases
  of the ``min``: ``rho = 1`` (the expression vanishes identically) and ``rho < 1``, where
  ``rho ||y|| = B`` and the expression equals, identically,
  ``(1 - rho) [ ||y|| (B - ||z*||) + (||y|| ||z*|| - y^T z*) ]``: a declared nonnegative factor
  ``1 - rho`` times the sum of ``||y||`` times a declared bound and a Cauchy-Schwarz gap (Lagrange's
  identity).  Writing the projection as a multiplication by ``rho`` (not a division) keeps every
  iterate polynomial in its symbols, so identities are proven by expansion.  With
  ``||y - z*||^2 = ||y - Pi y||^2 + ||Pi y - z*||^2 + 2 (y - Pi y)^T (Pi y - z*)`` this gives
  nonexpansiveness ``||Pi y - z*|| <= ||y - z*||``.
* :class:`WeightedSum` -- ``value = sum_i w_i a_i`` for context-dependent lists of atoms ``a_i`` with
  weights ``w_i`` certified nonnegative by SymPy's sign rules: how one certificate step covers every
  (stream, step) pair of a context, whose number depends on the context's ``(T, n)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .atoms import BoundHypothesis, CauchySchwarzGap, Declared, _used_named  # noqa: F401 (re-exported)
from .kernel import Context, KernelError, prove_zero
from .losses import prove_nonnegative


# ------------------------------------------------------------------------------------------------
# The projection hypothesis
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProjectionHypothesis(BoundHypothesis):
    """The hypothesis that some iterates are projections onto a ball: ``projections(ctx)`` lists the
    pairs ``(rho, y)`` with ``Pi y = rho y``, ``rho = min(1, B / ||y||)``; ``declares`` lists
    ``1 - rho >= 0`` for each.  :class:`BallProjectionVI` accepts only a ``(rho, y)`` listed here, so
    the case analysis of the ``min`` is never applied to a factor that belongs to another point."""

    projections: Callable | None = None

    def projected(self, ctx: Context) -> dict:
        cache = ctx.__dict__.setdefault("_projection_pairs", {})
        if self.name not in cache:
            pairs = self.projections(ctx) if self.projections is not None else []
            cache[self.name] = {rho: sp.ImmutableMatrix(ctx.instantiate(y)).expand() for rho, y in pairs}
        return cache[self.name]


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


def projection_vi(y, rho, z_star) -> sp.Expr:
    """``(y - rho y)^T (rho y - z*)``: the variational inequality of ``Pi y = rho y``."""
    y, z_star = _column(y), _column(z_star)
    return ((y - rho * y).T * (rho * y - z_star))[0, 0]


@dataclass(frozen=True)
class BallProjectionVI:
    """The variational inequality of the Euclidean projection onto a ball, proven by cases.

    ``(y - Pi y)^T (Pi y - z*) >= 0`` for the projection ``Pi y = rho y`` onto the ball of radius
    ``radius``, ``rho = min(1, radius / ||y||)`` (hypothesis ``projection``, which also declares
    ``1 - rho >= 0``), and ``||z*|| <= radius`` (declared ``radius - ||z*|| >= 0`` by hypothesis
    ``comparator``).

    ``y`` and ``z_star`` are explicit column vectors, ``rho`` a positive SymPy symbol.  Two cases of
    the ``min``: ``rho = 1`` (``y`` inside the ball; the expression vanishes identically) and ``rho < 1``,
    where ``rho ||y|| = radius`` and the expression equals, identically,
    ``(1 - rho) [ ||y|| (radius - ||z*||) + (||y|| ||z*|| - y^T z*) ]``: a declared nonnegative factor
    times the sum of ``||y|| >= 0`` times a declared bound and a Cauchy-Schwarz gap (Lagrange).
    """

    y: sp.Basic
    rho: sp.Symbol
    z_star: sp.Basic
    radius: sp.Expr
    projection: str = "ball_projection"
    comparator: str = "comparator_in_ball"

    @property
    def expr(self):
        return projection_vi(self.y, self.rho, self.z_star)

    def certify(self, ctx: Context, proof, used) -> str:
        hyp = _used_named(used, self.projection)
        if hyp is None:
            raise KernelError(f"projection inequality needs hypothesis {self.projection!r} "
                              "(z_{t+1} is the projection of z_t - eta g_t onto the ball)")
        if not (isinstance(self.rho, sp.Symbol) and self.rho.is_positive):
            raise KernelError(f"projection factor {self.rho} is not a symbol declared > 0")
        if not isinstance(hyp, ProjectionHypothesis):
            raise KernelError(f"hypothesis {self.projection!r} declares no projections")
        y = _column(ctx.instantiate(self.y))
        pairs = hyp.projected(ctx)
        if self.rho not in pairs or any(sp.expand(e) != 0 for e in y.expand() - pairs[self.rho]):
            raise KernelError(f"{self.rho} is not the projection factor of this point under "
                              f"hypothesis {self.projection!r} at {ctx.label}")
        z_star = _column(ctx.instantiate(self.z_star))
        radius = ctx.instantiate(self.radius)
        if not isinstance(radius, sp.Symbol):
            raise KernelError(f"the ball's radius must be a symbol, got {radius}")
        expr = projection_vi(y, self.rho, z_star)
        # case rho = 1 (||y|| <= B, Pi y = y): the expression vanishes identically
        prove_zero(expr.xreplace({self.rho: 1}), proof.timeout,
                   f"projection inequality, case ||y|| <= B, at {ctx.label}")
        # case rho = B / ||y|| < 1: B may be replaced by rho ||y||
        norm_y, norm_z = euclidean_norm(y), euclidean_norm(z_star)
        cs_gap = norm_y * norm_z - (y.T * z_star)[0, 0]
        rewritten = (1 - self.rho) * (norm_y * (radius - norm_z) + cs_gap)
        prove_zero(expr - rewritten.xreplace({radius: self.rho * norm_y}), proof.timeout,
                   f"projection inequality, case ||y|| > B, at {ctx.label}")
        factor = Declared(1 - self.rho, self.projection).certify(ctx, proof, used)
        bound = Declared(radius - norm_z, self.comparator).certify(ctx, proof, used)
        lagrange = CauchySchwarzGap(y, z_star).certify(ctx, proof, used)
        return (f"projection onto the ball: case rho = 1 vanishes; case rho < 1 = (1 - rho) "
                f"[||y|| (B - ||z*||) + CS gap], 1 - rho >= 0 {factor}, B - ||z*|| >= 0 {bound}, "
                f"{lagrange}")


# ------------------------------------------------------------------------------------------------
# Weighted sums of atoms, per context
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightedSum:
    """A nonnegative combination of atoms, one group per (stream, step) of the context.

    ``value = sum_i w_i a_i`` with ``(w_i, a_i) in terms(ctx)``: every ``w_i >= 0`` by sign rules and
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


__all__ = ["BoundHypothesis", "ProjectionHypothesis", "Declared", "BallProjectionVI", "WeightedSum", "projection_vi",
           "euclidean_norm"]

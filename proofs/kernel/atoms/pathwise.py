"""Nonnegative atoms at symbolic sizes that hold on every stream and at every step (trusted).

Soundness.  :class:`PathwiseSum` contributes ``value >= 0`` where ``value`` equals, by the index normal
form, ``E[ sum_{indices} sum_k w_k a_k ]``: each weight ``w_k`` is nonnegative by the structural sign
rule, and each pathwise atom ``a_k`` is nonnegative for every value of the summed indices and on every
stream; a sum of nonnegatives is nonnegative, and ``E`` (a mean over streams) is monotone.  The pathwise
atoms:

* :class:`SquareSum` ``sum_c v_c^2 >= 0`` for a real index expression ``v`` (``c`` its own component
  indices);
* :class:`FamilyGap` the gap ``big - small`` of a :class:`~..hypotheses.Bound` over a family, at the
  context's member of that family at step ``t`` (the symbolic context lists the family as members with
  a free step index: every value of the step, on every stream, is an instance the hypothesis assumes);
* :class:`ProjectionGain` ``||y_t - z*||^2 - ||z_{t+1} - z*||^2 >= 0`` for the projection family's member
  ``(rho, y, next)`` at step ``t``, where the context's model has ``next = rho y`` and the hypothesis
  ``rho = min(1, B / ||y||)``, and ``||z*|| <= B`` is a declared bound.  Proof: the difference is,
  identically, ``||y - rho y||^2 + 2 (1 - rho) (rho ||y||^2 - y^T z*)`` (checked on fresh tensors by the
  normal form); if ``rho = 1`` it is ``0``; otherwise ``rho ||y|| = B`` and ``rho ||y||^2 - y^T z* =
  ||y|| B - y^T z* >= ||y|| (B - ||z*||) >= 0`` (Cauchy-Schwarz, checked by Lagrange's identity).

At concrete sizes the same certificates are the explicit atoms of :class:`~.squares.WeightedSum`; a
weighted sum's ``symbolic`` field names the :class:`PathwiseSum` that stands for it at symbolic sizes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .. import sizes
from ..errors import KernelError
from ..hypotheses import Bound, Projection, _gap


@dataclass(frozen=True)
class SquareSum:
    """``sum_c v_c^2 >= 0`` over the component indices ``c`` of the real index expression ``v``."""

    vector: object
    components: tuple = ()

    def expression(self, env, step):
        return sizes.square_sum(env, self.vector, self.components)

    def certify(self, env, step) -> str:
        return "a sum of squares of reals"


@dataclass(frozen=True)
class FamilyGap:
    """``big - small >= 0`` of the family bound ``hypothesis`` at the context's member at the step."""

    hypothesis: str

    def _premise(self, env):
        premise = env.premise(self.hypothesis)
        if not isinstance(premise, Bound) or premise.family is None:
            raise KernelError(f"family bound {self.hypothesis!r} is not a bound over a family in use")
        return premise

    def expression(self, env, step):
        premise = self._premise(env)
        return sizes.family_instance(env, premise.family, premise.template.variables,
                                     _gap(premise.template.expr), step)

    def certify(self, env, step) -> str:
        return f"an instance of hypothesis {self.hypothesis!r} at every step and stream"


@dataclass(frozen=True)
class ProjectionGain:
    """``||y_t - z*||^2 - ||z_{t+1} - z*||^2 >= 0`` for the projection family's member at the step."""

    z_star: sp.Basic
    projection: str = "ball_projection"
    comparator: str = "comparator_in_ball"

    def expression(self, env, step):
        premise = env.premise(self.projection)
        if not isinstance(premise, Projection):
            raise KernelError(f"projection gain needs the projection hypothesis {self.projection!r} in use")
        return sizes.projection_gain(env, premise, self.z_star, step)

    def certify(self, env, step) -> str:
        from .bounds import Declared
        from ...linalg import norm

        premise = env.premise(self.projection)
        sizes.projection_algebra(env, premise, self.z_star)
        bound = Declared(premise.radius - norm(self.z_star), self.comparator).certify(env)
        return (f"projection onto the ball is nonexpansive towards z* (||y - z*||^2 - ||rho y - z*||^2 = "
                f"||y - rho y||^2 + 2 (1 - rho)(rho ||y||^2 - y^T z*), Lagrange's identity; B - ||z*|| >= 0 "
                f"{bound})")


#: The atoms a :class:`PathwiseSum` may sum.
PATHWISE_ATOMS = (SquareSum, FamilyGap, ProjectionGain)


@dataclass(frozen=True)
class PathwiseSum:
    """``value = E[sum_{indices} sum_k w_k a_k] >= 0`` at symbolic sizes; ``parts(ctx)`` returns
    ``(indices, [(w_k, a_k), ...])`` with index-expression weights and pathwise atoms (untrusted: the
    kernel checks the identity, each weight's sign and each atom)."""

    value: sp.Basic
    parts: Callable
    label: str = "pathwise sum"

    @property
    def expr(self):
        return self.value

    def certify(self, env) -> str:
        if not env.symbolic:
            raise KernelError(f"{self.label}: a pathwise sum is a symbolic-size certificate")
        indices, weighted = self.parts(env.ctx)
        if not weighted:
            raise KernelError(f"{self.label}: no atoms")
        said = []
        step = sizes.step_of(env, indices)
        terms = []
        for weight, atom in weighted:
            if not isinstance(atom, PATHWISE_ATOMS):
                raise KernelError(f"{self.label}: {type(atom).__name__} is not a pathwise atom")
            sizes.require_nonneg_index(env, weight, f"{self.label}: weight")
            terms.append((weight, atom.expression(env, step)))
            said.append(atom.certify(env, step))
        sizes.expected_sum(env, self.value, indices, terms, self.label)
        return f"{self.label} = E[sum of nonnegative weights times: " + "; ".join(said) + "]"

"""Nonnegative atoms: the only things an inequality certificate may sum.

Like cvxpy's atoms, each declares the one fact it contributes (here: ``expr >= 0``) and carries its
own proof of it, which the kernel runs in every context: ``certify(ctx, proof, used)`` returns a
sentence saying why, or raises :class:`~.kernel.KernelError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .kernel import Context, Hypothesis, KernelError, prove_zero
from .linalg import inner, norm, opnorm
from .losses import prove_nonnegative


@dataclass(frozen=True)
class Square:
    """``e^2 >= 0`` for a real scalar ``e``."""

    base: sp.Expr

    @property
    def expr(self):
        return self.base ** 2

    def certify(self, ctx: Context, proof, used) -> str:
        value = ctx.instantiate(self.base)
        if not sp.sympify(value).is_real:
            raise KernelError(f"square atom: {sp.sstr(value)[:120]} is not known to be real")
        return f"({self.base})^2 is a square of a real number"


@dataclass(frozen=True)
class NonNegative:
    """``e >= 0`` certified by SymPy's sign rules on the instantiated expression."""

    value: sp.Expr
    why: str = "sign rules"

    @property
    def expr(self):
        return self.value

    def certify(self, ctx: Context, proof, used) -> str:
        reason = prove_nonnegative(ctx.instantiate(self.value))
        if reason is None:
            raise KernelError(f"could not certify {self.value} >= 0 at {ctx.label}")
        return f"{self.value} >= 0 ({self.why})"


@dataclass(frozen=True)
class Scaled:
    """``coef * atom >= 0`` for a coefficient SymPy certifies nonnegative."""

    coef: sp.Expr
    atom: object

    @property
    def expr(self):
        return self.coef * self.atom.expr

    def certify(self, ctx: Context, proof, used) -> str:
        if prove_nonnegative(ctx.instantiate(self.coef)) is None:
            raise KernelError(f"scaled atom: coefficient {self.coef} is not certified nonnegative")
        return f"{self.coef} >= 0 times [{self.atom.certify(ctx, proof, used)}]"


@dataclass(frozen=True)
class BregmanMean:
    """``expr = (1/n) sum_j D_l(q_j, p_j)``, a mean of Bregman divergences of the loss.

    ``D_l(q, p) = l(q; y) - l(p; y) - l'(p; y) (q - p) >= 0`` because ``l`` is convex in its first
    argument: proven for a concrete loss (its convexity certificate), or assumed by a hypothesis
    marked ``convex_loss`` for the generic loss ``ell``.  ``pairs(ctx)`` lists ``(q_j, p_j, y_j)``.
    """

    value: sp.Expr
    pairs: Callable
    label: str = "E[D_l(q, p)]"

    @property
    def expr(self):
        return self.value

    def certify(self, ctx: Context, proof, used) -> str:
        from .expressions import loss_terms

        triples = self.pairs(ctx)
        if ctx.loss is None:
            assumed = [h for h in proof.hypotheses if h.convex_loss]
            if not assumed:
                raise KernelError("Bregman atom of the generic loss needs a hypothesis marked "
                                  "convex_loss; the proof declares none")
            why = f"convexity of the loss (hypothesis {assumed[0].name!r})"
        else:
            cert = ctx.loss.convexity  # raises for a non-convex loss
            why = f"convexity of the {cert.loss_name} loss (proven: l'' = {sp.sstr(cert.second_derivative)} >= 0)"
        ell, ell_p, _ = loss_terms(ctx.loss)
        divergences = [ell(q, y) - ell(p, y) - ell_p(p, y) * (q - p) for q, p, y in triples]
        mean = sp.Add(*divergences) / len(divergences)
        prove_zero(ctx.instantiate(self.value) - ctx.instantiate(mean), proof.timeout,
                   f"Bregman atom {self.label} at {ctx.label} is not the mean of divergences")
        return f"{self.label} is a mean of Bregman divergences, >= 0 by {why}"


@dataclass(frozen=True)
class CauchySchwarzGap:
    """``||a|| ||b|| - a^T b >= 0``, certified by Lagrange's identity at the instantiated size.

    ``||a||^2 ||b||^2 - (a^T b)^2 = sum_{i<j} (a_i b_j - a_j b_i)^2`` is checked to vanish; since both
    norms are nonnegative square roots this gives ``||a|| ||b|| >= |a^T b| >= a^T b``.
    """

    a: sp.Basic
    b: sp.Basic

    @property
    def expr(self):
        return norm(self.a) * norm(self.b) - inner(self.a, self.b)

    def certify(self, ctx: Context, proof, used) -> str:
        A = list(ctx.instantiate(self.a))
        B = list(ctx.instantiate(self.b))
        if len(A) != len(B):
            raise KernelError(f"Cauchy-Schwarz atom: sizes {len(A)} and {len(B)} differ")
        lagrange = (sp.Add(*[x ** 2 for x in A]) * sp.Add(*[x ** 2 for x in B])
                    - sp.Add(*[x * y for x, y in zip(A, B)]) ** 2
                    - sp.Add(*[(A[i] * B[j] - A[j] * B[i]) ** 2
                               for i in range(len(A)) for j in range(i + 1, len(A))]))
        prove_zero(lagrange, proof.timeout, f"Lagrange identity for ({self.a}, {self.b})")
        return f"Cauchy-Schwarz for ({self.a}, {self.b}) by Lagrange's identity"


@dataclass(frozen=True)
class OperatorNormGap:
    """``||M||_2 ||z|| - ||M z|| >= 0``: the definition of the spectral norm.

    The kernel checks only that the atom is well formed (``M z`` is defined at the instantiated
    sizes); the inequality itself is the definition ``||M||_2 = max_{||z||=1} ||M z||`` and is
    confirmed numerically by the witnesses.
    """

    M: sp.Basic
    z: sp.Basic

    @property
    def expr(self):
        return opnorm(self.M) * norm(self.z) - norm(self.M * self.z)

    def certify(self, ctx: Context, proof, used) -> str:
        M = ctx.instantiate(self.M)
        z = ctx.instantiate(self.z)
        if M.shape[1] != z.shape[0]:
            raise KernelError(f"operator-norm atom: {self.M} {M.shape} times {self.z} {z.shape}")
        return f"definition of the spectral norm ||{self.M}||_2"


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
    """A bound that a hypothesis in use declares, matched exactly (e.g. ``b^2 - ||psi||^2 >= 0``).

    ``e >= 0`` because the :class:`BoundHypothesis` called ``hypothesis`` (listed in the step's
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

"""Bregman divergences of a convex loss.

Soundness.  For a loss ``l`` convex and differentiable in ``p`` on the real line,
``D_l(q, p) = l(q; y) - l(p; y) - l'(p; y) (q - p) >= 0`` for all real ``q, p`` (the tangent lies below
a convex function), so a mean of such divergences is ``>= 0``.  Convexity comes from the concrete loss's
proven certificate (``l'' >= 0`` by sign rules, :mod:`resnet_lemmas.proofs.losses`) or, for the generic
loss ``ell``, from a :class:`~..hypotheses.ConvexLoss` premise in use.  The atom checks that ``value``
equals the mean of the divergences of the listed pairs identically and that every ``q, p, y`` is real;
the lemma's code that lists the pairs is not trusted.  At symbolic sizes the pairs are index expressions
``q, p, y`` (real: tensors, loss atoms, no ``sqrt`` of an uncertified sign) and the atom checks, by the
normal form, that ``value`` is the mean over their free indices (a finite, nonempty range: every size is
``>= 1``) of the divergence -- under the stream expectation ``E`` when asked, which is monotone -- so the
same argument applies at every size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .. import sizes
from ..errors import KernelError
from ..zero import prove_zero, require_real


@dataclass(frozen=True)
class BregmanMean:
    """``value = (1/N) sum_j D_l(q_j, p_j)`` over ``pairs(ctx) = [(q_j, p_j, y_j), ...]``."""

    value: sp.Expr
    pairs: Callable
    label: str = "E[D_l(q, p)]"

    @property
    def expr(self):
        return self.value

    def certify(self, env) -> str:
        from ...expressions import loss_terms

        ctx = env.ctx
        if env.symbolic:
            assumed = env.convex_loss()
            if assumed is None:
                raise KernelError("Bregman atom of the generic loss needs a convex_loss premise in use")
            sizes.bregman_mean(env, self.value, self.pairs)
            return (f"{self.label} is a mean of Bregman divergences at every size, >= 0 by convexity of "
                    f"the loss (hypothesis {assumed.name!r})")
        triples = self.pairs(ctx)
        if not triples:
            raise KernelError(f"Bregman atom {self.label}: no pairs at {ctx.label}")
        if ctx.loss is None:
            assumed = env.convex_loss()
            if assumed is None:
                raise KernelError("Bregman atom of the generic loss needs a convex_loss premise in use")
            why = f"convexity of the loss (hypothesis {assumed.name!r})"
        else:
            cert = ctx.loss.convexity  # raises for a non-convex loss
            why = f"convexity of the {cert.loss_name} loss (proven: l'' = {sp.sstr(cert.second_derivative)} >= 0)"
        ell, ell_p, _ = loss_terms(ctx.loss)
        divergences = []
        for q, p, y in triples:
            q, p, y = (env.inst(e) for e in (q, p, y))
            require_real(sp.Matrix([q, p, y]), f"Bregman atom {self.label}")
            divergences.append(ell(q, y) - ell(p, y) - ell_p(p, y) * (q - p))
        mean = sp.Add(*divergences) / len(divergences)
        prove_zero(env.inst(self.value) - mean, env.timeout,
                   f"Bregman atom {self.label} at {ctx.label} is not the mean of divergences")
        return f"{self.label} is a mean of Bregman divergences, >= 0 by {why}"

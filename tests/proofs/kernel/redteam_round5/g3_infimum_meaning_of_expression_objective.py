"""Finding G3 (SymbolicContext.meaning): the meaning of a named infimum is
(self.meaning(objective), variables); meaning() of an objective that is an *expression* rather than a
name returns None, so two infima over the same variables with any expression objectives "mean the
same" and a citation passes.  Lemma A (symbolic context 1): M = inf_a 2 |a|^2, proves M <= 0 (true).
Citing proof (symbolic context 2): M = inf_a 2 (|a|^2 + 1) = 2; the citation yields M <= 0: false
(2 <= 0) at every size."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar, named
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.terms import Lam, Tensor, index, sum_over, as_expr
from resnet_lemmas.proofs.kernel import Certificate, Chain, Cite, Proof, check, prove
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

d = model.d
a = named("a_g3", d, 1)
O = NamedScalar("O_g3")
M = NamedScalar("M_g3")
i = index("i_g3", d)
ta = Tensor("a_g3", (d,))


def context(shift):
    ctx = SymbolicContext(f"all sizes (d), shift {shift}", (d,))
    ctx.define_variable(a, ta)
    ctx.define(O, Lam((), sum_over(ta[i] * ta[i], i) + as_expr(shift)))
    ctx.define_infimum(M, 2 * O, (a,))     # the objective is an expression, not a name
    return ctx


goal = (sp.Le(M, 0, evaluate=False),)
chain = Chain("below", M).le(0, Certificate((InfimumGap(sp.Integer(0), M, ((a, sp.ZeroMatrix(d, 1)),)),)))
lemma_a = prove(Proof("lemma_a", [], [chain], [context(0)], conclusion=goal))
print("lemma A (true: inf_a 2|a|^2 = 0 <= 0):", lemma_a.text(str))
ctx2 = context(1)
print("meanings of M:", context(0).meaning(M), ctx2.meaning(M))
report = check(Proof("citing", [], [Cite("cited", "lemma_a", lambda: lemma_a)], [ctx2], conclusion=goal))
print(report.summary())
print("THEOREM ISSUED:", report.theorem is not None)
if report.theorem is not None:
    print(report.theorem.text(str), "| all sizes:", report.theorem.all_sizes)
print("in context 2: M = inf_a 2(|a|^2 + 1) = 2 at every d; claimed M <= 0")

"""Finding G7 (proof.meaning_in, concrete): the meaning of a named infimum is its *instantiated*
objective, in which a nested named infimum stays an opaque symbol, so a citation does not compare
what the nested infimum means.  Lemma A (d=1): M2 = inf_b b^2 = 0, M1 = inf_a (M2 + a^2); it proves
M1 <= M2 <= 0 and states M1 <= 0 (true: M1 = 0).  Citing proof (d=1): M2 = inf_b (b^2 + 1) = 1, M1 the
same expression; meaning(M1) is equal in both, the citation yields M1 <= 0: false (M1 = 1)."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.kernel import Certificate, Chain, Cite, Context, Proof, check, prove
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

a, b, O, Ob, M1, M2 = (NamedScalar(f"{s}_g7") for s in ("a", "b", "O", "Ob", "M1", "M2"))
a0, b0 = sp.symbols("a0_g7 b0_g7", real=True)
d = sp.Symbol("d")


def context(shift):
    c = Context("d=1", {d: 1})
    c.define(a, a0); c.define(b, b0)
    c.define(O, a0 ** 2)
    c.define(Ob, b0 ** 2 + shift)
    c.define_infimum(M2, Ob, (b,))
    c.define_infimum(M1, M2 + O, (a,))
    return c


goal = (sp.Le(M1, 0, evaluate=False),)
chain = (Chain("below", M1).le(M2, Certificate((InfimumGap(M2, M1, ((a, sp.Integer(0)),)),)))
         .le(0, Certificate((InfimumGap(sp.Integer(0), M2, ((b, sp.Integer(0)),)),))))
lemma_a = prove(Proof("lemma_a", [], [chain], [context(0)], conclusion=goal))
print("lemma A (true, M1 = 0):", lemma_a.text(str))
report = check(Proof("citing", [], [Cite("cited", "lemma_a", lambda: lemma_a)], [context(1)],
                     conclusion=goal))
print(report.summary(), "| ISSUED:", report.theorem is not None)
if report.theorem is not None:
    print("  ", report.theorem.text(str), "| here M2 = inf_b (b^2 + 1) = 1, M1 = inf_a (1 + a^2) = 1")

"""Finding G4 (rules.check_infimum): the infimum's objective and variables are read from the FIRST
context only (`objective, variables = first.infima[rhs]`, also `fixed` in the restriction form); in
every other context the fact's end is compared with the first context's objective name, and the
comparator components are those of the first context's variables.  Context 1 (d=1): M = inf_a O with
O = a^2.  Context 2 (d=2): M = inf_a O2 with O2 = a^2 - 1 = -1 at a = 0.  Chain 0 <= O (a square)
<= M (Infimum) is accepted in both; the theorem "0 <= M" is false in context 2 (M = -1).
Second part (restriction form): context 2 makes the big infimum range over a only, so
inf_a (a^2 + b^2) = b^2 <= inf_a a^2 = 0 is accepted: false at b = 1."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.kernel import Certificate, Chain, Context, Infimum, Proof, check
from resnet_lemmas.proofs.kernel.atoms import Square

a, b, O, O2, M, Big, Small, Ob, Os = (NamedScalar(f"{s}_g4") for s in
                                        ("a", "b", "O", "O2", "M", "Big", "Small", "Ob", "Os"))
a0, b0 = sp.symbols("a0_g4 b0_g4", real=True)
d = sp.Symbol("d")


def context(n, second):
    ctx = Context(f"d={n}", {d: n})
    ctx.define(a, a0); ctx.define(b, b0)
    ctx.define(O, a0 ** 2)
    ctx.define(O2, a0 ** 2 - 1)
    ctx.define_infimum(M, O2 if second else O, (a,))
    ctx.define(Ob, a0 ** 2 + b0 ** 2); ctx.define(Os, a0 ** 2)
    ctx.define_infimum(Big, Ob, (a,) if second else (a, b))
    ctx.define_infimum(Small, Os, (a,))
    return ctx


contexts = [context(1, False), context(2, True)]
fact = Chain("f", sp.Integer(0)).le(O, Certificate((Square(a),)))
chain = Chain("c", sp.Integer(0)).le(M, Infimum(from_chain="f"))
report = check(Proof("objective_from_first_context", [], [fact, chain], contexts,
                     conclusion=(sp.Le(0, M, evaluate=False),)))
print(report.summary())
print("THEOREM ISSUED:", report.theorem is not None, "| in d=2: M = inf_a (a^2 - 1) = -1; claimed 0 <= M")
if report.theorem is None:
    for s in report.steps:
        print("  ", s.chain, s.index, s.ok, s.message[:200])
chain2 = Chain("r", Big).le(Small, Infimum())
report2 = check(Proof("restriction_from_first_context", [], [chain2], contexts,
                      conclusion=(sp.Le(Big, Small, evaluate=False),)))
print(report2.summary())
print("THEOREM ISSUED:", report2.theorem is not None,
      "| in d=2: Big = inf_a (a^2 + b^2) = b^2 = 1 at b = 1, Small = 0; claimed Big <= Small")

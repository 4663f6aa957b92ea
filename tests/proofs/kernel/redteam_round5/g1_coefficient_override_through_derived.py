"""Finding G1 (concrete Context): kept_overrides keeps a premise `c = G` about a *coefficient symbol* c
(undefined, used by the infimum's objective) when its value names only a derived quantity G, whose
definition mentions the moving variable a.  Context.instantiate then unfolds c -> G -> 2 a0 and only
afterwards substitutes the point a0 -> 0, so c is evaluated at the point instead of at the current a.
Objective O(a) = c^2 (c is fixed while a moves): M = inf_a c^2 = c^2.  Under c = 2a the atom certifies
0 = O(point) and hence M <= 0, i.e. (2a)^2 <= 0: false at a = 1 (M = 4)."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.kernel import Certificate, Chain, Context, Equation, Proof, check
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

a = NamedScalar("a_g1")
G = NamedScalar("G_g1")
c = NamedScalar("c_g1")
M = NamedScalar("M_g1")
O = NamedScalar("O_g1")
a0 = sp.Symbol("a0_g1", real=True)
d = sp.Symbol("d")
ctx = Context("concrete d=1", {d: 1})
ctx.define(a, a0)             # a variable
ctx.define(G, 2 * a0)         # derived: G = 2a
ctx.define(O, c ** 2)         # objective: c^2 (c a coefficient symbol, fixed while a moves)
ctx.define_infimum(M, O, (a,))
hyp = Equation("c_is_G", c, G)
chain = Chain("below", M).le(0, Certificate((InfimumGap(sp.Integer(0), M, ((a, sp.Integer(0)),)),),
                                            using=("c_is_G",)))
report = check(Proof("coefficient_override", [hyp], [chain], [ctx],
                     conclusion=(sp.Le(M, 0, evaluate=False),)))
print(report.summary())
print("THEOREM ISSUED:", report.theorem is not None)
if report.theorem is not None:
    print(report.theorem.text(str))
# numbers: a = 1 -> c = G = 2 -> M = inf_{a'} c^2 = 4 > 0
print("at a = 1: c = 2, M = inf_a' c^2 =", 2 ** 2, "; claimed M <= 0")

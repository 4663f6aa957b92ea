"""Finding G1 at symbolic sizes: the same coefficient route (c = G, G = 2a derived, objective c^2):
the Unfolder puts c -> lam(G) in its table and then substitutes the point into a.  Issues
"If c = G: M <= 0" at all sizes; false at a = 1 (c = 2, M = inf_a' c^2 = 4)."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.indexed.terms import Lam, Tensor, as_expr
from resnet_lemmas.proofs.kernel import Certificate, Chain, Equation, Proof, check
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

a, G, c, M, O = (NamedScalar(f"{s}_g1b") for s in "aGcMO")
ta = Tensor("a_g1b", ())
ctx = SymbolicContext("all sizes", ())
ctx.define_variable(a, ta)
ctx.define(G, Lam((), 2 * ta[()]))
ctx.define(O, Lam((), as_expr(c ** 2)))
ctx.define_infimum(M, O, (a,))
chain = Chain("below", M).le(0, Certificate((InfimumGap(sp.Integer(0), M, ((a, sp.Integer(0)),)),),
                                            using=("c_is_G",)))
report = check(Proof("coefficient_override_sym", [Equation("c_is_G", c, G)], [chain], [ctx],
                     conclusion=(sp.Le(M, 0, evaluate=False),)))
print(report.summary())
print("THEOREM ISSUED:", report.theorem is not None)
if report.theorem is not None:
    print(report.theorem.text(str), "| all sizes:", report.theorem.all_sizes)

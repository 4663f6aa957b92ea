"""Finding G2 (SymbolicContext): sizes.infimum_gap builds ctx.unfolder({**kept, **point}); the Unfolder
applies variable substitutions *sequentially* (Unfolder._apply), so a kept premise about another
variable, theta = G with G a derived name defined as 2a (it names no moving variable, so
kept_overrides keeps it), is substituted first and then a -> point rewrites the a inside it: theta is
evaluated at G(point) instead of G(current a).  Objective O = theta^T theta (theta fixed while a moves):
M = inf_a O = |theta|^2.  Under theta = 2a the atom certifies 0 = O(point a = 0), hence M <= 0:
false at every size for a != 0 (d = 1, a = 1: theta = 2, M = 4).
(At concrete sizes the substitution is simultaneous and the same step is refused: run with 'concrete'.)"""

import sys
import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar, named
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.terms import Lam, Tensor, index, sum_over
from resnet_lemmas.proofs.kernel import Certificate, Chain, Context, Equation, Proof, check
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

d = model.d
a = named("a_g2", d, 1)
th = named("th_g2", d, 1)
G = named("G_g2", d, 1)
O = NamedScalar("O_g2")
M = NamedScalar("M_g2")
i = index("i_g2", d)
ta, tt = Tensor("a_g2", (d,)), Tensor("th_g2", (d,))
ctx = SymbolicContext("all sizes (d)", (d,))
ctx.define_variable(a, ta)
ctx.define_variable(th, tt)
ctx.define(G, Lam((i,), 2 * ta[i]))
ctx.define(O, Lam((), sum_over(tt[i] * tt[i], i)))
ctx.define_infimum(M, O, (a,))
contexts = [ctx]
if "concrete" in sys.argv:
    c2 = Context("d=2", {d: 2})
    A = sp.Matrix(sp.symbols("a1 a2", real=True)); T = sp.Matrix(sp.symbols("t1 t2", real=True))
    c2.define(a, A); c2.define(th, T); c2.define(G, 2 * A); c2.define(O, (T.T * T)[0, 0])
    c2.define_infimum(M, O, (a,))
    contexts.append(c2)
hyp = Equation("th_is_G", th, G)
chain = Chain("below", M).le(0, Certificate((InfimumGap(sp.Integer(0), M, ((a, sp.ZeroMatrix(d, 1)),)),),
                                            using=("th_is_G",)))
report = check(Proof("variable_override_sequential", [hyp], [chain], contexts,
                     conclusion=(sp.Le(M, 0, evaluate=False),)))
print(report.summary())
print("THEOREM ISSUED:", report.theorem is not None)
if report.theorem is not None:
    print(report.theorem.text(str), "| all sizes:", report.theorem.all_sizes)
print("at d = 1, a = 1: theta = 2a = 2, M = inf_a' |theta|^2 = 4; claimed M <= 0")

"""Finding G6 (atoms/infimum.py, concrete and symbolic): the infimum atom evaluates the objective at
the point with a *nested* named infimum left opaque, i.e. at the current variables.
M2(a) = inf_b (b^2 - 2ab) = -a^2;  M1 = inf_a (M2(a) + a^2) = inf_a 0 = 0.  The atom at the point a = 0
computes M2 + 0 (M2 not moved) and certifies M1 <= M2: the theorem "M1 <= M2" (no hypotheses) is
issued; false at a = 1: M1 = 0 > M2 = -1."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.indexed.terms import Lam, Tensor
from resnet_lemmas.proofs.kernel import Certificate, Chain, Context, Proof, check
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext
from resnet_lemmas.proofs.kernel.atoms import InfimumGap

a, b, O, Ob, M1, M2 = (NamedScalar(f"{s}_g6") for s in ("a", "b", "O", "Ob", "M1", "M2"))
a0, b0 = sp.symbols("a0_g6 b0_g6", real=True)
d = sp.Symbol("d")
c = Context("d=1", {d: 1})
c.define(a, a0); c.define(b, b0)
c.define(O, a0 ** 2)
c.define(Ob, b0 ** 2 - 2 * a0 * b0)
c.define_infimum(M2, Ob, (b,))
c.define_infimum(M1, M2 + O, (a,))
ta, tb = Tensor("a_g6", ()), Tensor("b_g6", ())
s = SymbolicContext("all sizes", ())
s.define_variable(a, ta); s.define_variable(b, tb)
s.define(O, Lam((), ta[()] * ta[()]))
s.define(Ob, Lam((), tb[()] * tb[()] - 2 * ta[()] * tb[()]))
s.define_infimum(M2, Ob, (b,))
s.define_infimum(M1, M2 + O, (a,))
chain = Chain("below", M1).le(M2, Certificate((InfimumGap(M2, M1, ((a, sp.Integer(0)),)),)))
for contexts in ([c], [s], [c, s]):
    report = check(Proof("nested_infimum_gap", [], [chain], contexts,
                         conclusion=(sp.Le(M1, M2, evaluate=False),)))
    print([x.label for x in contexts], report.summary(), "| ISSUED:", report.theorem is not None)
    if report.theorem is not None:
        print("  ", report.theorem.text(str), "| all sizes:", report.theorem.all_sizes)
grid = [k / 100 for k in range(-500, 501)]
M2v = lambda av: min(bb ** 2 - 2 * av * bb for bb in grid)  # noqa: E731
print("M2(1) =", M2v(1), "; M1 = min_a (M2(a) + a^2) =", min(M2v(av) + av ** 2 for av in grid[::50]))

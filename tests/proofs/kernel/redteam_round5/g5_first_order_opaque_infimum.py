"""Finding G5 (rules.check_first_order, concrete and symbolic): the local minimum's objective is
instantiated with named infima left as opaque symbols, so an infimum over *other* variables that
depends on the local minimum's variable, M(a) = inf_b (b^2 - 2 a b) = -a^2, is differentiated as a
constant.  Objective J(a) = a^2 + M(a) = 0 for every a: every a is a local minimum.  The rule accepts
Gr = dJ/da = 2a (M treated as constant) and Gr = 0, so the theorem "if a is a local minimum of
a^2 + M then 2a = 0" is issued (at all sizes): false at a = 1 (J is identically 0, Gr = 2)."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.indexed.terms import Lam, Tensor, as_expr
from resnet_lemmas.proofs.kernel import Chain, Context, FirstOrder, LocalMinimum, Proof, check
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext

a, b, O, Ob, M, Gr = (NamedScalar(f"{s}_g5") for s in ("a", "b", "O", "Ob", "M", "Gr"))
a0, b0 = sp.symbols("a0_g5 b0_g5", real=True)
d = sp.Symbol("d")
c = Context("d=1", {d: 1})
c.define(a, a0); c.define(b, b0)
c.define(O, a0 ** 2)
c.define(Ob, b0 ** 2 - 2 * a0 * b0)
c.define_infimum(M, Ob, (b,))                 # M(a) = inf_b (b^2 - 2ab) = -a^2
c.define(Gr, 2 * a0)                          # "the gradient" of a^2 + M, M read as a constant
ta, tb = Tensor("a_g5", ()), Tensor("b_g5", ())
s = SymbolicContext("all sizes", ())
s.define_variable(a, ta); s.define_variable(b, tb)
s.define(O, Lam((), ta[()] * ta[()]))
s.define(Ob, Lam((), tb[()] * tb[()] - 2 * ta[()] * tb[()]))
s.define_infimum(M, Ob, (b,))
s.define(Gr, Lam((), 2 * ta[()]))
hyp = LocalMinimum("a_local_min", O + M, (a,))
chain = Chain("stationary", Gr).eq(sp.Integer(0), FirstOrder("a_local_min", a))
for contexts in ([c], [s], [c, s]):
    report = check(Proof("first_order_opaque_infimum", [hyp], [chain], contexts,
                         conclusion=(sp.Eq(Gr, 0, evaluate=False),)))
    print([x.label for x in contexts], report.summary(), "| ISSUED:", report.theorem is not None)
    if report.theorem is not None:
        print("  ", report.theorem.text(str), "| all sizes:", report.theorem.all_sizes)
# numbers: J(a) = a^2 + min_b (b^2 - 2ab) = a^2 - a^2 = 0 for every a; at a = 1, Gr = 2 != 0
J = lambda av: av ** 2 + min((bb / 100) ** 2 - 2 * av * bb / 100 for bb in range(-500, 501))  # noqa: E731
print("J(0.9), J(1), J(1.1) =", J(0.9), J(1), J(1.1), "(constant: a = 1 is a local minimum); Gr(1) = 2")

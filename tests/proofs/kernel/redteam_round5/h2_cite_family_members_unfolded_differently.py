"""H2 (proof._Checker._check_sizes / _definitions_table, concrete contexts): a family a cited
hypothesis quantifies over is compared by its RAW members (`ctx.families.get(f) != value`), never
instantiated, and the names inside the members are not among the names whose meaning is recorded (the
hypothesis's statement is `ForEach(m <= Z, psi, (m,))`: X does not occur in it).  So the same member X
may mean 100 in the cited theorem and 1 in the citing one.
T1 (X := 100, W := 100): under H: "m <= Z for every m in psi = (X)" it proves W <= Z (Declared).
T2 (X := 1, W := 100) cites T1 with the same H and concludes W <= Z.
Counterexample to T2: Z = 1: H holds (1 <= 1) but W = 100 <= 1 is false."""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.kernel import Certificate, Chain, Cite, Context, Proof, check
from resnet_lemmas.proofs.kernel.atoms import Declared
from resnet_lemmas.proofs.kernel.hypotheses import Bound

X, W, Z = (NamedScalar(f"{s}_h2") for s in ("X", "W", "Z"))
m = sp.Symbol("m_h2", real=True)
d = sp.Symbol("d")
H = Bound("H", template=sp.Lambda((m,), sp.Le(m, Z)), family="psi")


def context(x_value):
    ctx = Context("d=2", {d: 2})
    ctx.define(X, sp.Integer(x_value))
    ctx.define(W, sp.Integer(100))
    ctx.define_family("psi", [(X,)])
    return ctx


c1 = context(100)
step = Chain("f", W).le(Z, Certificate((Declared(Z - X, "H"),), using=("H",)))
r1 = check(Proof("T1_h2", [H], [step], [c1], conclusion=(sp.Le(W, Z, evaluate=False),)))
print(r1.summary())
T1 = r1.theorem
c2 = context(1)
r2 = check(Proof("T2_h2", [H], [Cite("c", "T1_h2", lambda: T1)], [c2],
                 conclusion=(sp.Le(W, Z, evaluate=False),)))
print(r2.summary())
for s in r2.steps:
    print("  ", s.chain, s.ok, s.message[:200])
print("THEOREM ISSUED:", r2.theorem is not None)
if r2.theorem is not None:
    print("hypothesis instances in T2's context:", H.bounds(c2), "(Z - 1 >= 0)")
    print("conclusion in T2's context: W =", c2.instantiate(W), "<= Z; at Z = 1: H holds, 100 <= 1 false")

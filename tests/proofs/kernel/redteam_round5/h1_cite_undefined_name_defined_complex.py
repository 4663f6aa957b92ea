"""H1 (proof._Checker._check_sizes, concrete contexts): a name the cited statement speaks about but that
is UNDEFINED in the cited theorem's context (a free symbol u: the theorem holds for every real u) is not
recorded in its definitions table, and at concrete sizes nothing compares it; the citing context may
define u as a NON-real value (u := I, accepted by Context.define).  T1: u^2 >= 0 (Square atom, u real).
T2 cites T1 in a context with u := I and concludes u^2 >= 0, i.e. -1 >= 0.  (At symbolic sizes the only
check on such names is is_deterministic.)"""

import sympy as sp
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.kernel import Certificate, Chain, Cite, Context, Proof, check
from resnet_lemmas.proofs.kernel.atoms import Square

u = NamedScalar("u_h1")
d = sp.Symbol("d")
c1 = Context("d=2", {d: 2})
r1 = check(Proof("T1_h1", [], [Chain("f", sp.Integer(0)).le(u ** 2, Certificate((Square(u),)))], [c1],
                 conclusion=(sp.Le(0, u ** 2, evaluate=False),)))
print(r1.summary())
T1 = r1.theorem
c2 = Context("d=2", {d: 2})
c2.define(u, sp.I)
r2 = check(Proof("T2_h1", [], [Cite("c", "T1_h1", lambda: T1)], [c2],
                 conclusion=(sp.Le(0, u ** 2, evaluate=False),)))
print(r2.summary())
for s in r2.steps:
    print("  ", s.chain, s.ok, s.message[:200])
print("THEOREM ISSUED:", r2.theorem is not None)
if r2.theorem is not None:
    print("definitions:", dict(r2.theorem.definitions[(("d", 2), ("loss", "generic"))]))
    print("u^2 in context:", c2.instantiate(u ** 2), "; claimed 0 <= u^2")

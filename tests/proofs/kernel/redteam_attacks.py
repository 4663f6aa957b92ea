"""Red-team attacks on the proof kernel (proofs/kernel/, proofs/indexed/): derivations written against the
kernel's *public* API (plus, where named, the hand-built contexts and objects any lemma module may
build) that get a **false** statement issued as a :class:`Theorem`.

Each ``attack_*`` returns ``(report, why)``: the kernel's :class:`ProofReport` and one sentence saying
why the statement is false.  ``python tests/proofs/kernel/redteam_attacks.py`` runs them all and prints, for each,
whether a theorem was issued and its statement as the kernel prints it; ``redteam/test_kernel_attacks.py``
asserts that the kernel refuses each one (those tests are ``xfail(strict=True)`` today: they fail
because the kernel issues the theorem, and will start passing -- XPASS, a strict failure -- once the
hole is closed, which is the signal to drop the marker and adopt the case into
``tests/proofs/kernel/test_soundness.py``).

Nothing here edits proofs/ or numerics/.
"""
from __future__ import annotations

import types

import sympy as sp

from resnet_lemmas.proofs.expressions import (E_bregman, E_loss_comparator, F, F_feat, NamedScalar, V, a, b,
                                              c, comparator_pairs, d, inner, k, n, residual_context, u, w)
from resnet_lemmas.proofs.kernel import (Bound, Cases, Certificate, Chain, Cite, Context, Equation,
                                         FirstOrder, Identity, Infimum, LevelSet, LocalMinimum, NonZero,
                                         Proof, check, prove)
from resnet_lemmas.proofs.kernel.atoms import BregmanMean, Declared, InfimumGap, Square
from resnet_lemmas.proofs.printing import theorem_text

SMALL = ((2, 2, 2), (2, 3, 4))
STANDARD = ((2, 2, 2), (3, 1, 2), (2, 3, 4))


def _standard(sizes=SMALL, loss=None):
    return [residual_context(*s, loss=loss)[0] for s in sizes]


def _copy_of(std, drop=(), replace=None):
    """A context with the standard context's label, sizes and loss (so the same citation key), with the
    names in ``drop`` left undefined and the definitions in ``replace`` substituted."""
    defs = {name: value for name, value in std.definitions.items() if name not in drop}
    defs.update(replace or {})
    return Context(std.label, dict(std.dims), defs, dict(std.infima), dict(std.families), std.loss,
                   std.samples)


ZERO_k = sp.ZeroMatrix(k, 1)


# ------------------------------------------------------------------------------------------------
# 1. Cases: the kernel never checks that each fact was proven under *its* branch
# ------------------------------------------------------------------------------------------------
def attack_cases_with_one_branch_twice(symbolic: bool = False):
    """``c = 0`` with no hypothesis: prove ``c = 0`` under ``c = 0`` and pass the same fact as both
    branches of a case split on ``c = 0`` / ``c != 0``; the split removes both hypotheses."""
    c_zero = Equation("c_zero", c, ZERO_k)
    c_nonzero = NonZero("c_nonzero", c)
    steps = [Chain("c_vanishes", c).eq(ZERO_k, Identity(using=("c_zero",))),
             Cases("either_way", ("c_zero", "c_nonzero"), ("c_vanishes", "c_vanishes"))]
    if symbolic:
        from resnet_lemmas.proofs.indexed.model import symbolic_context
        contexts = [symbolic_context()]
    else:
        contexts = _standard()
    report = check(Proof("cases_with_one_branch_twice", [c_zero, c_nonzero], steps, contexts,
                         conclusion=(sp.Eq(c, ZERO_k, evaluate=False),), assumes=()))
    return report, "c = E[l'(p) f_theta(x)] is not zero at a generic point"


# ------------------------------------------------------------------------------------------------
# 2. Citations: a name the citing context leaves undefined is skipped, and the citing theorem's own
#    table then omits it -- a meaning can be laundered through one intermediate theorem
# ------------------------------------------------------------------------------------------------
def attack_citation_laundering_through_an_undefined_name():
    """``c = 0`` with no hypothesis in the standard residual contexts: theorem A proves ``c = 0`` in a
    context where ``c`` is *defined* as the zero vector; theorem B cites A from a context that leaves
    ``c`` undefined (skipped by the meaning check), so B's table has no entry for ``c``; C cites B from
    the standard contexts (``c = E[l'(p) f]``) and nothing is compared."""
    std = _standard()
    ctx_a = []
    for s in std:
        cx = _copy_of(s, drop=(c,))
        cx.define(c, sp.zeros(cx.dims[k], 1))
        ctx_a.append(cx)
    concl = (sp.Eq(c, ZERO_k, evaluate=False),)
    A = prove(Proof("A_c_is_zero_by_definition", [], [Chain("c0", c).eq(ZERO_k, Identity())], ctx_a,
                    conclusion=concl))
    B = prove(Proof("B_launders", [], [Cite("from_A", "A_c_is_zero_by_definition", lambda: A)],
                    [_copy_of(s, drop=(c,)) for s in std], conclusion=concl))
    report = check(Proof("C_c_vanishes_everywhere", [], [Cite("from_B", "B_launders", lambda: B)],
                         _standard(), conclusion=concl))
    return report, "c = E[l'(p) f_theta(x)] is not zero at a generic point"


def attack_infimum_objective_meaning_not_compared():
    """``F_feat <= F - 1`` at every point, in the standard contexts: a citation compares a named
    infimum by the *name* of its objective (``(E_l_ab, (a, b))``), not by what that name means; a
    context that redefines ``E_l_ab`` as ``E l(a^T x + b^T f) - 1`` proves ``F_feat <= F - 1`` with an
    infimum atom at ``a = w, b = V^T w``, and the standard contexts cite it."""
    claim = sp.Le(F_feat, F - 1, evaluate=False)
    shifted = [_copy_of(s, replace={E_loss_comparator: s.definitions[E_loss_comparator] - 1})
               for s in _standard(STANDARD)]
    chain = Chain("below", F_feat).le(F - 1, Certificate((InfimumGap(F - 1, F_feat, ((a, w), (b, V.T * w))),)))
    T1 = prove(Proof("shifted_objective", [], [chain], shifted, conclusion=(claim,)))
    report = check(Proof("F_feat_below_F_minus_one", [], [Cite("cited", "shifted_objective", lambda: T1)],
                         _standard(STANDARD), conclusion=(claim,)))
    return report, "at any point with F < F_feat + 1 (e.g. a local minimum, where F = F_feat) it fails"


def attack_mutable_theorem_definitions():
    """``n F = 2 F`` at ``n = 4``: a theorem checked only at ``n = 2`` is cited at ``(2, 3, 4)`` after one
    ordinary dict assignment into the 'immutable' theorem (``Theorem.definitions`` is a plain dict)."""
    from resnet_lemmas.proofs.kernel.proof import _size_key

    claim = sp.Eq(n * F, 2 * F, evaluate=False)
    T = prove(Proof("only_n_2", [], [Chain("c", n * F).eq(2 * F, Identity())], _standard(((2, 2, 2), (3, 1, 2))),
                    conclusion=(claim,)))
    big = residual_context(2, 3, 4)[0]
    T.definitions[_size_key(big)] = {}
    report = check(Proof("n_F_is_2_F_at_n_4", [], [Cite("c", "only_n_2", lambda: T)], [big], conclusion=(claim,)))
    return report, "at n = 4, 4 F = 2 F only when F = 0"


# ------------------------------------------------------------------------------------------------
# 3. Symbols' assumptions: sign and nonzero checks strip them, but Identity and realness read them
# ------------------------------------------------------------------------------------------------
def attack_raw_negative_symbol_in_a_square():
    """``F <= F - y_0`` with no hypothesis: ``y_0`` is a raw symbol with ``negative=True`` (printed
    exactly like the sample's target ``y_0``); ``Square(sqrt(-y_0))`` passes the realness check because
    ``require_real`` reads the assumption, and its square is ``-y_0``."""
    y0 = sp.Symbol("y_0", negative=True)
    chain = Chain("below", F).le(F - y0, Certificate((Square(sp.sqrt(-y0)),)))
    report = check(Proof("F_below_F_minus_y0", [], [chain], _standard(),
                         conclusion=(sp.Le(F, F - y0, evaluate=False),)))
    return report, "false whenever y_0 > 0 (the printed y_0 carries no hypothesis)"


def attack_raw_positive_symbol_in_an_identity():
    """``|w_0| = w_0`` with no hypothesis: an identity whose proof reads ``positive=True`` of a raw
    symbol printed as ``w_0`` (prove_zero never strips assumptions)."""
    x = sp.Symbol("w_0", positive=True)
    report = check(Proof("abs_w0", [], [Chain("a", sp.Abs(x, evaluate=False)).eq(x, Identity())], _standard(),
                         conclusion=(sp.Eq(sp.Abs(x, evaluate=False), x, evaluate=False),)))
    return report, "false for w_0 = -1"


# ------------------------------------------------------------------------------------------------
# 4. Divisions the denominator check does not see
# ------------------------------------------------------------------------------------------------
def attack_division_hidden_in_a_symbolic_exponent():
    """``If e = -1; w = 0: 1 = 0``: ``Q = w_0 * w_0^e`` has no negative *literal* exponent, so no
    denominator is recorded; under ``e = -1`` it is ``1``, under ``w = 0`` it is ``0``."""
    e, Q = NamedScalar("e_rt", "e", "e"), NamedScalar("Q_rt", "Q", "Q")
    contexts = []
    for dims in SMALL:
        cx, sm = residual_context(*dims)
        cx.define(Q, sm.w[0] * sm.w[0] ** e)
        contexts.append(cx)
    hyps = [Equation("e_minus_one", e, -1), Equation("w_zero", w, sp.ZeroMatrix(d, 1))]
    steps = [Chain("Q_is_one", Q).eq(1, Identity(using=("e_minus_one",))),
             Chain("one_is_zero", sp.Integer(1)).eq(Q, Identity(using=("Q_is_one",)))
                                                 .eq(0, Identity(using=("w_zero",)))]
    report = check(Proof("one_equals_zero", hyps, steps, contexts, conclusion=(sp.Eq(1, 0, evaluate=False),)))
    return report, "1 != 0; the hypotheses e = -1, w = 0 are satisfiable"


def attack_symbolic_definition_with_an_unseen_denominator():
    """``If s = 0: 1 = 0`` at *all sizes*: in the symbolic context a definition ``Q = 1/S`` is accepted,
    and ``s Q = S (1/S)`` collapses to ``1`` before any denominator is looked at (the concrete contexts
    refuse the same step: they walk every definition's denominators)."""
    from resnet_lemmas.proofs.indexed.model import symbolic_context
    from resnet_lemmas.proofs.indexed.terms import Lam, as_expr

    s, Q = NamedScalar("s_rt", "s", "s"), NamedScalar("Qs_rt", "Q", "Q")
    S = sp.Symbol("S", real=True)
    ctx = symbolic_context()
    ctx.define(s, Lam((), as_expr(S)))
    ctx.define(Q, Lam((), as_expr(1 / S)))
    steps = [Chain("one_is_zero", sp.Integer(1)).eq(s * Q, Identity("S (1/S) = 1"))
                                                 .eq(0, Identity(using=("s_zero",)))]
    report = check(Proof("sym_one_is_zero", [Equation("s_zero", s, 0)], steps, [ctx],
                         conclusion=(sp.Eq(1, 0, evaluate=False),)))
    return report, "1 != 0; the hypothesis s = 0 is satisfiable (s means S)"


# ------------------------------------------------------------------------------------------------
# 5. Rules whose side conditions are not checked
# ------------------------------------------------------------------------------------------------
def _toy_context(label, definitions, infima=()):
    cx = Context(label, {d: 2, k: 2, n: 2})
    for name, value in definitions:
        cx.define(name, value)
    for name, objective, variables in infima:
        cx.define_infimum(name, objective, variables)
    return cx


def attack_eigenvariable_escapes_through_an_infimum():
    """``0 <= inf_a -max(0, a - 1) = -inf`` under satisfiable hypotheses: the LevelSet parameter may be
    the comparator's own component ``a_0``; the fact "``max(0, a_0 - 1) = 0`` for all small ``a_0 != 0``"
    then passes the infimum rule (which looks at hypotheses, not at open eigenvariables), and the
    eigenvariable is discharged because the result no longer mentions ``a_0``."""
    X, Y, A = NamedScalar("X_rt"), NamedScalar("Y_rt"), NamedScalar("A_rt")
    Obj, GX, ObjA, Inf = (NamedScalar("Obj_rt"), NamedScalar("GX_rt"), NamedScalar("ObjA_rt"),
                          NamedScalar("Inf_rt"))
    xs, ys, a0 = sp.symbols("x y a_0", real=True)

    def ctx(label):
        return _toy_context(label, [(X, xs), (Y, ys), (A, a0),
                                    (Obj, xs * sp.Max(0, ys - 1) + xs ** 2),  # local minimum at (0, 0)
                                    (GX, sp.Max(0, a0 - 1)),                   # dObj/dx at (0, a_0)
                                    (ObjA, -GX)], [(Inf, ObjA, (A,))])
    hyps = [Equation("x_zero", X, 0), Equation("y_zero", Y, 0), LocalMinimum("lm", Obj, (X, Y))]
    steps = [Chain("stationary_along", GX).eq(0, LevelSet("lm", ((Y, Y + a0),), a0, X, using=("x_zero", "y_zero"))),
             Chain("below", sp.Integer(0)).eq(ObjA, Identity(using=("stationary_along",))),
             Chain("inf", sp.Integer(0)).le(Inf, Infimum(from_chain="below"))]
    report = check(Proof("eigenvariable_escape", hyps, steps, [ctx("toy 1"), ctx("toy 2")],
                         conclusion=(sp.Le(0, Inf, evaluate=False),)))
    return report, ("(0, 0) is a local minimum of x max(0, y - 1) + x^2, and inf_a -max(0, a - 1) = -inf")


def attack_first_order_at_a_kink():
    """``If x = 0; x is a local minimum of max(0, x): 1/2 = 0``: FirstOrder checks that the named
    gradient is SymPy's derivative of the objective, never that the objective is differentiable
    (SymPy differentiates ``max(0, x)`` to ``Heaviside(x)``, ``Heaviside(0) = 1/2``)."""
    X, Obj, G = NamedScalar("X_fo"), NamedScalar("Obj_fo"), NamedScalar("G_fo")
    x = sp.Symbol("x", real=True)

    def ctx(label):
        return _toy_context(label, [(X, x), (Obj, sp.Max(0, x)), (G, sp.diff(sp.Max(0, x), x))])
    hyps = [Equation("x_zero", X, 0), LocalMinimum("lm", Obj, (X,))]
    steps = [Chain("half_is_zero", sp.Rational(1, 2)).eq(G, Identity(using=("x_zero",))).eq(0, FirstOrder("lm", X))]
    report = check(Proof("relu_first_order", hyps, steps, [ctx("toy 1"), ctx("toy 2")],
                         conclusion=(sp.Eq(sp.Rational(1, 2), 0, evaluate=False),)))
    return report, "x = 0 is a global minimum of max(0, x), and 1/2 != 0"


def attack_bregman_of_a_loss_object_with_a_handmade_certificate():
    """``0 <= E[D_l(q, p)]`` for the (non-convex) sigmoid loss: the Bregman atom trusts
    ``ctx.loss.convexity``, an attribute of whatever object the context carries; a
    ``ConvexityCertificate`` built by hand passes."""
    from resnet_lemmas.proofs.losses import NON_CONVEX_EXAMPLES, ConvexityCertificate

    sigmoid = NON_CONVEX_EXAMPLES["sigmoid"]
    fake = types.SimpleNamespace(name="sigmoid", at=sigmoid.at,
                                 convexity=ConvexityCertificate("sigmoid", sigmoid.d2, "not proven"))
    chain = Chain("bregman_nonnegative", sp.Integer(0)).le(
        E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),)))
    report = check(Proof("nonconvex_bregman", [], [chain], _standard(loss=fake),
                         conclusion=(sp.Le(0, E_bregman, evaluate=False),)))
    return report, "the sigmoid loss is not convex (l''(33/25; -1) < 0): its Bregman divergences take negative values"


# ------------------------------------------------------------------------------------------------
# 6. Hypotheses whose formal statement does not determine what a step may use
# ------------------------------------------------------------------------------------------------
def attack_bound_template_argument_order():
    """``If S2 <= S1 then S1 <= S2``: a family bound's statement is ``ForEach(template.expr, family)``,
    which forgets the order of the Lambda's arguments; a citation matches hypotheses by statement, so
    ``Lambda((A, B), A <= B)`` is discharged by ``Lambda((B, A), A <= B)`` (the reverse bound)."""
    s1, s2 = NamedScalar("s_one", "s_1", "s_1"), NamedScalar("s_two", "s_2", "s_2")
    A, B = sp.symbols("A B", real=True)

    def contexts():
        out = []
        for dims in SMALL:
            cx = residual_context(*dims)[0]
            S1, S2 = sp.Symbol("S1", real=True), sp.Symbol("S2", real=True)
            cx.define(s1, S1)
            cx.define(s2, S2)
            cx.define_family("pairs", [(S1, S2)])
            out.append(cx)
        return out
    ordered = Bound("ordered", sp.Lambda((A, B), sp.Le(A, B)), family="pairs")
    T1 = prove(Proof("T1", [ordered], [Chain("le", s1).le(s2, Certificate((Declared(s2 - s1, "ordered"),),
                                                                           using=("ordered",)))],
                     contexts(), conclusion=(sp.Le(s1, s2, evaluate=False),)))
    reversed_ = Bound("ordered", sp.Lambda((B, A), sp.Le(A, B)), family="pairs")   # member (S1, S2): S2 <= S1
    report = check(Proof("T2", [reversed_], [Cite("cited", "T1", lambda: T1)], contexts(),
                         conclusion=(sp.Le(s1, s2, evaluate=False),)))
    return report, "its hypothesis is S2 <= S1 (S1 = 1, S2 = 0 satisfies it), its conclusion S1 <= S2"


ATTACKS = {name[len("attack_"):]: fn for name, fn in sorted(globals().items()) if name.startswith("attack_")}


def run_all():
    rows = []
    for name, attack in ATTACKS.items():
        try:
            report, why = attack()
        except Exception as exc:  # refused at construction
            rows.append((name, "refused", f"{type(exc).__name__}: {exc}", ""))
            continue
        if report.theorem is not None:
            sizes = "all sizes" if report.theorem.all_sizes else str(report.theorem.sizes)
            rows.append((name, "ISSUED", theorem_text(report.theorem) + f"   [{sizes}]", why))
        else:
            msg = report.failures[0].message if report.failures else report.conclusion_error
            rows.append((name, "refused", msg[:160], ""))
    return rows


if __name__ == "__main__":
    for name, status, statement, why in run_all():
        print(f"{status:8s} {name}\n         statement: {statement}\n         false because: {why}\n")
    report, _ = attack_cases_with_one_branch_twice(symbolic=True)
    print("cases_with_one_branch_twice (symbolic context):",
          "ISSUED " + theorem_text(report.theorem) if report.theorem else "refused")

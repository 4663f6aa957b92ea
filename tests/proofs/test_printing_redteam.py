"""Printed statements that say something other than what the kernel checked (proofs/printing.py, the
LaTeX printer, the check table).  Each test asserts what a correct printer must do (all were misprinted
before the fix that added them).
"""
from __future__ import annotations

import pytest
import sympy as sp

from resnet_lemmas.latex.printer import tex
from resnet_lemmas.proofs.expressions import ell_p, ell_pp, inner, residual_context, u, w
from resnet_lemmas.proofs.printing import text



def _issued_square_of_inner():
    """A real theorem of the kernel: ``0 <= (u^T w)^2`` (a square)."""
    from resnet_lemmas.proofs.kernel import Certificate, Chain, Proof, check
    from resnet_lemmas.proofs.kernel.atoms import Square

    chain = Chain("square", sp.Integer(0)).le(inner(u, w) ** 2, Certificate((Square(inner(u, w)),)))
    report = check(Proof("square_of_inner", [], [chain], [residual_context(2, 2, 2)[0]],
                         conclusion=(sp.Le(0, inner(u, w) ** 2, evaluate=False),)))
    assert report.theorem is not None
    return report.theorem



def test_latex_keeps_the_exponent_of_an_inner_product():
    # before the fix: the theorem 0 <= (u^T w)^2 prints as "0 \leq u^{\top} w" -- a false statement
    assert "2" in _issued_square_of_inner().latex(tex)



def test_text_parenthesises_a_power_of_an_inner_product():
    # before the fix: "u^T w^2", which reads u^T (w^2)
    assert text(inner(u, w) ** 2) in ("(u^T w)^2", "(u^T w)**2")



@pytest.mark.parametrize("f", [ell_p, ell_pp])
def test_latex_keeps_the_exponent_of_a_loss_derivative(f):
    p, y = sp.symbols("p y", real=True)
    # before the fix: l'(p; y)^2 prints as \ell'(p; y) (the square is dropped; ell itself keeps it)
    assert "^{2}" in tex(f(p, y) ** 2)



def test_family_bound_statement_says_which_slot_is_which():
    """Two bounds with different meanings (``A <= B`` and ``B <= A`` on the members ``(A, B)``) must not
    print (or compare, see kernel_attacks.attack_bound_template_argument_order) the same."""
    from resnet_lemmas.proofs.kernel import Bound

    A, B = sp.symbols("A B", real=True)
    one = Bound("h", sp.Lambda((A, B), sp.Le(A, B)), family="pairs")
    other = Bound("h", sp.Lambda((B, A), sp.Le(A, B)), family="pairs")
    assert text(one.statement) != text(other.statement)

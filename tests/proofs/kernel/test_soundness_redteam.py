"""The red team's attacks on the kernel (an outside audit with a hostile brief): each got a false
statement issued as a theorem before the fix named beside it, and must now be refused with a message
naming the reason (the attacks themselves are in ``redteam_attacks.py``, unchanged)."""
import pytest

import redteam_attacks as attacks
from resnet_lemmas.proofs.kernel import KernelError

# attack -> (what the kernel must now say, the fix)
REFUSALS = {
    "attack_cases_with_one_branch_twice": ("rests on ['c_zero']", "Cases: each fact sheds only its own case"),
    "attack_citation_laundering_through_an_undefined_name": ("means something else", "Cite: inherited meanings"),
    "attack_infimum_objective_meaning_not_compared": ("means something else", "Cite: infima by their objective"),
    "attack_raw_negative_symbol_in_a_square": ("assumption beyond 'real'", "no assumption read in a step"),
    "attack_raw_positive_symbol_in_an_identity": ("assumption beyond 'real'", "no assumption read in a step"),
    "attack_division_hidden_in_a_symbolic_exponent": ("division by", "symbolic exponents are denominators"),
    "attack_symbolic_definition_with_an_unseen_denominator": ("divides by", "definitions' coefficient denominators"),
    "attack_eigenvariable_escapes_through_an_infimum": ("not fresh", "a level-set parameter is no component"),
    "attack_first_order_at_a_kink": ("need not be differentiable", "first-order rule needs a smooth objective"),
    "attack_bregman_of_a_loss_object_with_a_handmade_certificate": ("", "Bregman atom re-proves convexity"),
    "attack_bound_template_argument_order": ("does not discharge", "a family bound keeps its placeholders"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_the_red_team_attack_is_refused(name):
    fragment, _ = REFUSALS[name]
    try:
        report, why = getattr(attacks, name)()
    except (KernelError, ValueError, AttributeError) as exc:
        assert fragment in str(exc)
        return
    assert report.theorem is None, f"{name}: a theorem was issued ({why})"
    assert report.failures and fragment in "; ".join(f.message for f in report.failures)


def test_every_red_team_attack_is_listed():
    names = {n for n in dir(attacks) if n.startswith("attack_")} - {"attack_mutable_theorem_definitions"}
    assert names == set(REFUSALS)


def test_a_theorems_record_cannot_be_edited():
    """Attack K4: the definitions table (and sizes) of an issued theorem are read-only."""
    with pytest.raises(TypeError):
        attacks.attack_mutable_theorem_definitions()

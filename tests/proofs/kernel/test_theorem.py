"""Only the kernel makes theorems; what users read is printed from them; the trusted base stays small."""
from pathlib import Path

import pytest

from resnet_lemmas.proofs import kernel
from resnet_lemmas.proofs.kernel import KernelError, Theorem, is_issued
from resnet_lemmas.proofs.lemmas import local_minima_beat_linear, stationarity_consequences
from resnet_lemmas.proofs.printing import theorem_text

#: The trusted files' line budget (docs/trust.md): small enough to audit in one sitting.
TRUSTED_LINE_BUDGET = 3700


def test_a_theorem_cannot_be_built_outside_the_kernel():
    with pytest.raises(KernelError, match="only be made by the kernel"):
        Theorem(object(), "fake", (), (), (), [], (), (), {}, 0)


def test_theorems_of_the_lemmas_are_issued_by_the_kernel():
    assert is_issued(stationarity_consequences.LEMMA.theorem())
    assert not is_issued(object())


def test_the_main_theorem_is_printed_from_its_formal_statement():
    thm = local_minima_beat_linear.LEMMA.theorem()
    text = theorem_text(thm)
    assert text == ("If (w, V) is a local minimum of F(w, V, theta); l(.; y) convex and differentiable: "
                    "F(w, V, theta) <= F_feat(theta). F_feat(theta) <= F_lin")
    assert thm.depends_on == ["stationarity_consequences", "zero_w_case"]
    assert {"d": 2, "k": 3, "n": 4} in thm.sizes


def test_the_trusted_files_fit_the_line_budget():
    root = Path(kernel.__file__).parent
    total = sum(len((root / name).read_text().splitlines()) for name in kernel.TRUSTED_FILES)
    assert total <= TRUSTED_LINE_BUDGET, f"trusted kernel is {total} lines (budget {TRUSTED_LINE_BUDGET})"


def test_every_kernel_module_is_listed_as_trusted_or_named_untrusted():
    root = Path(kernel.__file__).parent
    found = {str(p.relative_to(root)) for p in root.rglob("*.py")}
    assert found - set(kernel.TRUSTED_FILES) == {"__init__.py", "_timeout.py"}

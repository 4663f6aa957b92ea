"""What a lemma module declares, and the theorem the kernel issues for it.

A lemma module ``proofs/lemmas/NAME.py`` defines ``LEMMA = SymbolicLemma(...)``: its content name,
title, kind, what the paper claims (prose), ``build`` (returns the :class:`~.kernel.Proof`, whose
``conclusion`` is the formal statement) and ``cites`` (the lemmas whose theorems the proof cites; the
registry orders lemmas by it, and :meth:`SymbolicLemma.check` refuses a proof that cites others).
The statement users read is printed from the theorem the kernel issued, never typed here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .kernel import Cite, ProofFailed, ProofReport, check

KINDS = ("lemma", "theorem", "example", "experiment")

#: Reports keyed by the lemma value itself (name, build, cites ...), never by name alone: a lemma that
#: shares a name with a checked one but builds another proof is checked on its own.
_REPORTS: dict["SymbolicLemma", ProofReport] = {}


def clear_theorem_cache() -> None:
    """Forget every checked proof (tests that break a lemma on purpose call this)."""
    _REPORTS.clear()


@dataclass(frozen=True)
class SymbolicLemma:
    """One registered result (see the module docstring).  ``conclusion`` is the formal statement the
    proof must establish (the witness compiles the same relations through the bridge).  Experiments
    have ``build=None`` and a ``description`` (prose: an experiment states no theorem)."""

    name: str
    title: str
    paper: str
    build: Callable | None
    kind: str = "lemma"
    cites: tuple = ()
    conclusion: tuple = ()
    description: str = ""
    description_latex: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"lemma {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if (self.build is None) != (self.kind == "experiment"):
            raise ValueError(f"lemma {self.name!r}: experiments (and only they) have no proof")

    def check(self) -> ProofReport:
        """The kernel's report on this lemma's proof (checked once per process, then cached)."""
        if self.build is None:
            raise ValueError(f"{self.name} is an experiment: it has no proof")
        if self not in _REPORTS:
            proof = self.build()
            if tuple(self.conclusion) != tuple(proof.conclusion):
                raise ValueError(f"lemma {self.name!r}: the proof's conclusion is not the lemma's "
                                 "declared conclusion")
            cited = sorted({step.lemma for step in proof.steps if isinstance(step, Cite)})
            if cited != sorted(self.cites):
                raise ValueError(f"lemma {self.name!r} declares cites={sorted(self.cites)} but its "
                                 f"proof cites {cited}")
            _REPORTS[self] = check(proof)
        return _REPORTS[self]

    def theorem(self):
        """The kernel's :class:`~.kernel.Theorem` for this lemma, or :class:`ProofFailed`."""
        report = self.check()
        if report.theorem is None:
            raise ProofFailed(report)
        return report.theorem

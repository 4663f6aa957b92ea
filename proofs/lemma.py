"""What a lemma module declares: its statement, hypotheses, derivation and what the paper claims."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .kernel import Proof

KINDS = ("lemma", "theorem", "example", "experiment")


@dataclass(frozen=True)
class SymbolicLemma:
    """One registered result.

    ``name`` is the content name (``local_minima_beat_linear``) shared by the proof module
    ``proofs/lemmas/<name>.py``, the witness ``numerics/witnesses/<name>.py`` and the LaTeX section.
    ``statement`` is plain text; ``statement_latex`` the same in LaTeX; ``paper`` says what Shamir
    (2018) claims and where our statement is a reconstruction.  ``build`` returns the
    :class:`~.kernel.Proof` (``None`` for experiments, which are numeric only).  ``order`` sorts the
    registry (dependencies first).
    """

    name: str
    title: str
    statement: str
    statement_latex: str
    paper: str
    build: Callable[[], Proof] | None
    kind: str = "lemma"
    order: int = 100

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"lemma {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")

"""The kernel's exceptions (trusted: a failed check is always one of these, never a silent pass)."""
from __future__ import annotations


class KernelError(Exception):
    """A derivation is malformed or a step cannot be checked; the message names the reason."""


class SimplificationTimeout(KernelError):
    """SymPy did not finish a simplification within the allotted time (the step is not verified)."""


class ProofFailed(KernelError):
    """``prove(proof)`` was asked for a theorem but some step failed; ``report`` says which."""

    def __init__(self, report):
        self.report = report
        super().__init__(report.summary())


class DependencyFailed(KernelError):
    """A cited lemma's proof did not verify, so no theorem of it exists to cite."""

    def __init__(self, name: str, reason: str):
        self.name = name
        super().__init__(f"not verified: depends on {name} ({reason})")

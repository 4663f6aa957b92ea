"""Run the registered lemmas: symbolic proof and numeric witness of each, into one report."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import registry


@dataclass
class LemmaOutcome:
    name: str
    kind: str
    statement: str
    symbolic: object  # kernel.ProofReport or None (experiments)
    numeric: object  # numerics.witnesses.harness.WitnessReport or None
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        sym_ok = self.symbolic is None or self.symbolic.ok
        num_ok = self.numeric is None or self.numeric.ok
        return sym_ok and num_ok and (self.symbolic is not None or self.numeric is not None)

    def to_json(self) -> dict:
        if self.symbolic is None:
            symbolic = {"status": "not_applicable", "steps": 0}
        else:
            symbolic = {"status": self.symbolic.status, "steps": len(self.symbolic.steps),
                        "failures": [{"chain": s.chain, "step": s.index, "message": s.message}
                                     for s in self.symbolic.failures],
                        "seconds": round(self.symbolic.seconds, 3)}
        if self.numeric is None:
            numeric = {"status": "not_applicable", "instances": 0, "worst_margin": None}
        else:
            numeric = self.numeric.to_json()
            numeric["seconds"] = round(numeric["seconds"], 3)
        out = {"name": self.name, "kind": self.kind, "statement": self.statement,
               "symbolic": symbolic, "numeric": numeric, "seconds": round(self.seconds, 3),
               "status": "verified" if self.ok else "failed"}
        if self.error:
            out["error"] = self.error
        return out


@dataclass
class CheckReport:
    seed: int
    outcomes: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.outcomes) and all(o.ok for o in self.outcomes)

    def to_json(self) -> dict:
        return {"seed": self.seed, "status": "verified" if self.ok else "failed",
                "seconds": round(self.seconds, 3), "lemmas": [o.to_json() for o in self.outcomes]}


def check_lemma(registered, seed: int, instances: int | None = None, progress=None,
                symbolic: bool = True, numeric: bool = True) -> LemmaOutcome:
    """Check one registered lemma.  An exception is recorded as a failure, never swallowed."""
    started = time.perf_counter()
    lemma = registered.lemma
    proof_report = witness_report = None
    error = ""
    try:
        if symbolic and lemma.build is not None:
            proof_report = lemma.build().check()
        if numeric and registered.witness_module is not None:
            witness_report = registered.witness(seed=seed, instances=instances, progress=progress)
    except Exception as exc:  # reported as a failed lemma with the reason
        error = f"{type(exc).__name__}: {exc}"
    return LemmaOutcome(lemma.name, lemma.kind, lemma.statement, proof_report, witness_report,
                        time.perf_counter() - started, error)


def run_check(seed: int = 0, only: list[str] | None = None, instances: int | None = None,
              progress_factory=None, on_outcome=None) -> CheckReport:
    """Check every selected lemma (all by default).

    ``progress_factory(lemma_name, total)`` may return a progress callback ``(done, total)``;
    ``on_outcome(outcome)`` is called as each lemma finishes (for live tables).
    """
    selected = registry.select(only)
    report = CheckReport(seed)
    started = time.perf_counter()
    for registered in selected:
        progress = None
        if progress_factory is not None and registered.witness_module is not None:
            progress = progress_factory(registered.name, instances or registered.default_instances)
        outcome = check_lemma(registered, seed, instances, progress)
        if progress is not None and hasattr(progress, "close"):
            progress.close()
        report.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
    report.seconds = time.perf_counter() - started
    return report

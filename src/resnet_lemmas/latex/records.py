"""What is printed: one record per lemma (its checked proof and its numeric result)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NumericResult:
    """The numeric side of one lemma: a ``WitnessReport``, or why there is none."""

    report: object = None  # numerics.witnesses.harness.WitnessReport (or the same read back from JSON)
    reason: str = ""  # "no witness", "not run", "missing from report", or an error message
    error: bool = False

    @property
    def ok(self) -> bool | None:
        if self.error:
            return False
        return None if self.report is None else bool(self.report.ok)


@dataclass
class LemmaRecord:
    registered: object  # registry.RegisteredLemma (or anything with .lemma, .name)
    proof: object = None  # kernel.Proof
    report: object = None  # kernel.ProofReport
    error: str = ""  # building or checking the proof raised
    numeric: NumericResult = field(default_factory=NumericResult)

    @property
    def lemma(self):
        return self.registered.lemma

    @property
    def symbolic_ok(self) -> bool | None:
        if self.error:
            return False
        return None if self.report is None else self.report.ok

    @property
    def ok(self) -> bool:
        return self.symbolic_ok is not False and self.numeric.ok is not False


def check_proof(registered) -> LemmaRecord:
    """Build and check the lemma's proof; an exception is recorded (and printed) as a failure."""
    record = LemmaRecord(registered)
    if registered.lemma.build is None:
        return record
    try:
        record.proof = registered.lemma.build()
        record.report = registered.lemma.check()  # the kernel's report (cached per process)
    except Exception as exc:  # printed as a failed lemma, never hidden
        record.error = f"{type(exc).__name__}: {exc}"
    return record


class ReportError(ValueError):
    """A ``resnet-lemmas check --output`` file cannot be used."""


def _witness_from_json(payload: dict):
    from ..numerics.witnesses.harness import WitnessReport

    try:
        worst = payload["worst_margin"]
        return WitnessReport(
            name=payload["name"], seed=int(payload["seed"]), instances=int(payload["instances"]),
            worst_margin=float("nan") if worst is None else float(worst),
            tolerance=payload.get("tolerance", ""),
            failures=list(payload.get("failures", [])), details=dict(payload.get("details", {})),
            seconds=0.0, kind=payload.get("kind", "witness"), unchecked=int(payload.get("unchecked", 0)),
            outcome=payload.get("outcome", ""), minimum_checked=int(payload.get("minimum_checked", 1)),
            relations=dict(payload.get("relations", {})), uncovered=list(payload.get("uncovered", [])))
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"numeric entry {payload.get('name', '?')!r} is malformed: {exc}") from exc


def load_check_report(path) -> tuple[int, dict[str, NumericResult]]:
    """Read the JSON of ``resnet-lemmas check --output FILE``: its seed and a result per lemma."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"cannot read check report {path}: {exc}") from exc
    if not isinstance(data, dict) or "lemmas" not in data or "seed" not in data:
        raise ReportError(f"{path} is not a report written by 'resnet-lemmas check --output'")
    results: dict[str, NumericResult] = {}
    for entry in data["lemmas"]:
        numeric = entry.get("numeric") or {}
        if entry.get("error") and numeric.get("status") == "not_applicable":
            # the check stopped (in the proof or the witness) before any numeric result
            results[entry["name"]] = NumericResult(
                reason=f"the check run stopped before a numeric result: {entry['error']}",
                error=True)
        elif numeric.get("status") == "not_applicable":
            results[entry["name"]] = NumericResult(reason="no witness")
        else:
            results[entry["name"]] = NumericResult(_witness_from_json(numeric))
    return int(data["seed"]), results


def run_numeric(registered, seed: int, instances: int | None = None, progress=None) -> NumericResult:
    if getattr(registered, "witness_module", None) is None:
        return NumericResult(reason="no witness")
    try:
        return NumericResult(registered.witness(seed=seed, instances=instances, progress=progress))
    except Exception as exc:  # printed as a failed witness with the reason
        return NumericResult(reason=f"{type(exc).__name__}: {exc}", error=True)

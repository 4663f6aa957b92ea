"""Run the registered lemmas: symbolic proof and numeric witness of each, into one report.

The statement of a lemma shown to users (table, JSON ``statement``, LaTeX) is printed from the theorem
the kernel issued (:func:`statement_of`); a lemma whose proof did not verify shows the statement it
*declares* with status ``failed`` (or ``not verified: depends on X`` when a cited lemma failed).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import registry
from .proofs.kernel.proof import ProofReport, conclusion_tuple
from .proofs.printing import text


def statement_of(lemma, report=None) -> str:
    """The displayed statement: the kernel's theorem when there is one, else the declared conclusion
    (marked as such), else the experiment's description."""
    if report is not None and report.theorem is not None:
        return report.theorem.text(text)
    if lemma.build is None:
        return lemma.description
    try:
        declared = conclusion_tuple(lemma.build().conclusion)
    except Exception as exc:  # a lemma that cannot even be built says so
        return f"(the proof could not be built: {type(exc).__name__}: {exc})"
    return "(not verified) " + " and ".join(text(c) for c in declared)


def sizes_of(report):
    """``"all"`` when the theorem was proven at symbolic sizes, else the concrete sizes it was checked at."""
    if report is None or report.theorem is None:
        return []
    return "all" if report.theorem.all_sizes else [dict(s) for s in report.theorem.sizes]


def concrete_sizes_of(report) -> list:
    """The concrete sizes the theorem was (also) checked at: ``[{"d": 2, "k": 2, "n": 2}, ...]``."""
    if report is None or report.theorem is None:
        return []
    return [dict(s) for s in report.theorem.sizes]


@dataclass
class LemmaOutcome:
    name: str
    kind: str
    statement: str
    symbolic: object  # kernel.ProofReport or None (experiments)
    numeric: object  # numerics.witnesses.harness.WitnessReport or None
    seconds: float
    error: str = ""
    depends_on: tuple = ()
    dependency_failed: str = ""
    symbolic_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        if self.error or self.dependency_failed:
            return False
        sym_ok = self.symbolic is None or self.symbolic.ok
        num_ok = self.numeric is None or self.numeric.ok
        return sym_ok and num_ok and (self.symbolic is not None or self.numeric is not None)

    @property
    def status(self) -> str:
        if self.dependency_failed:
            return f"not verified: depends on {self.dependency_failed}"
        if not self.ok:
            # too few certified instances and nothing failed: say so, it is not a failure of the lemma
            sym_ok = self.symbolic is None or self.symbolic.ok
            if not self.error and sym_ok and getattr(self.numeric, "status", "") == "inconclusive":
                return "inconclusive"
            return "failed"
        return "completed" if self.kind == "experiment" else "verified"

    def symbolic_json(self) -> dict:
        if self.symbolic is None:
            return {"status": "not_applicable", "steps": 0, "sizes": [], "concrete_sizes": []}
        return {"status": self.symbolic.status, "steps": len(self.symbolic.steps),
                "sizes": sizes_of(self.symbolic), "concrete_sizes": concrete_sizes_of(self.symbolic),
                "rules": list(self.symbolic.theorem.rules) if self.symbolic.theorem else [],
                "failures": [{"chain": s.chain, "step": s.index, "message": s.message}
                             for s in self.symbolic.failures],
                "seconds": round(self.symbolic_seconds, 3)}

    def to_json(self) -> dict:
        if self.numeric is None:
            numeric = {"status": "not_applicable", "instances": 0, "worst_margin": None}
        else:
            numeric = self.numeric.to_json()
            numeric["seconds"] = round(numeric["seconds"], 3)
        out = {"name": self.name, "kind": self.kind, "statement": self.statement,
               "depends_on": list(self.depends_on), "symbolic": self.symbolic_json(),
               "numeric": numeric, "seconds": round(self.seconds, 3), "status": self.status}
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


def _failed_dependency(registered) -> str:
    """The first cited lemma (transitively) whose proof did not verify, or ``""``."""
    for name in registered.depends_on:
        dep = registry.get(name)
        inner = _failed_dependency(dep)
        if inner:
            return inner
        try:
            if not dep.lemma.check().ok:
                return name
        except Exception:  # a dependency that cannot be built has failed too
            return name
    return ""


def check_lemma(registered, seed: int, instances: int | None = None, progress=None,
                symbolic: bool = True, numeric: bool = True) -> LemmaOutcome:
    """Check one registered lemma.  An exception is recorded as a failure, never swallowed."""
    started = time.perf_counter()
    lemma = registered.lemma
    proof_report = witness_report = None
    error = failed_dependency = ""
    symbolic_seconds = 0.0
    try:
        if symbolic and lemma.build is not None:
            failed_dependency = _failed_dependency(registered)
            t0 = time.perf_counter()
            proof_report = lemma.check()
            symbolic_seconds = time.perf_counter() - t0
        if numeric and registered.witness_module is not None:
            witness_report = registered.witness(seed=seed, instances=instances, progress=progress)
    except Exception as exc:  # reported as a failed lemma with the reason
        error = f"{type(exc).__name__}: {exc}"
    return LemmaOutcome(lemma.name, lemma.kind, statement_of(lemma, proof_report), proof_report,
                        witness_report, time.perf_counter() - started, error,
                        registered.depends_on, failed_dependency, symbolic_seconds)


@dataclass(frozen=True)
class TheoremSnapshot:
    """What the check report reads of a kernel theorem, in a form a worker process can send back
    (a :class:`~.proofs.kernel.Theorem` itself cannot leave the process that issued it)."""

    name: str
    sizes: list
    all_sizes: bool
    rules: tuple
    depends_on: list
    statement: str

    def text(self, printer=None) -> str:
        return self.statement


@dataclass
class ProofSnapshot(ProofReport):
    """A :class:`~.proofs.kernel.ProofReport` as sent back by a worker: its steps, verdict and
    theorem summary (a :class:`TheoremSnapshot`, printed in the worker from the theorem the kernel issued
    there).  Display only: the kernel cites theorems, never reports."""

    @classmethod
    def of(cls, report) -> "ProofSnapshot":
        theorem = report.theorem
        summary = None if theorem is None else TheoremSnapshot(
            theorem.name, [dict(s) for s in theorem.sizes], bool(theorem.all_sizes), tuple(theorem.rules),
            list(theorem.depends_on), theorem.text(text))
        return cls(report.name, list(report.steps), report.seconds, summary,
                   getattr(report, "conclusion_error", ""))


def _check_in_worker(name: str, seed: int, instances: int | None) -> LemmaOutcome:
    """:func:`check_lemma` in a worker process: one process per lemma at a time, so the witness's own
    instances run in this process (``RESNET_LEMMAS_JOBS=1`` inside), and the proof report travels back
    as a :class:`ProofSnapshot`."""
    import os

    os.environ["RESNET_LEMMAS_JOBS"] = "1"
    outcome = check_lemma(registry.get(name), seed, instances)
    if outcome.symbolic is not None:
        outcome.symbolic = ProofSnapshot.of(outcome.symbolic)
    return outcome


def parallel_instances(registered) -> bool:
    """Does this lemma's witness spread its own instances over worker processes (a *heavy* witness,
    ``PARALLEL_INSTANCES = True`` in its module)?  Such lemmas run in the main process, one after
    another, after the others (which run side by side in a pool)."""
    return bool(getattr(registered.witness_module, "PARALLEL_INSTANCES", False))


def run_check(seed: int = 0, only: list[str] | None = None, instances: int | None = None,
              progress_factory=None, on_outcome=None, jobs: int | None = None) -> CheckReport:
    """Check every selected lemma (all by default).

    Scheduling (results do not depend on it): with ``jobs > 1`` (default: ``RESNET_LEMMAS_JOBS`` or every
    core) the lemmas whose witnesses run their instances one by one are checked side by side in a pool
    of ``jobs`` worker processes (each proves its lemma -- and the lemmas it cites -- in that process);
    then the lemmas with heavy witnesses run in this process, each spreading its instances over the
    cores.  With ``jobs == 1`` everything runs here, in registry order.

    ``progress_factory(lemma_name, total)`` may return a progress callback ``(done, total)`` (shown per
    lemma when it runs here; the pool shows one bar over its lemmas); ``on_outcome(outcome)`` is called
    as each lemma finishes.  The report lists the lemmas in registry order.
    """
    from .numerics.witnesses.harness import default_jobs

    selected = registry.select(only)
    report = CheckReport(seed)
    started = time.perf_counter()
    jobs = default_jobs(heavy=True) if jobs is None else jobs
    pooled = [r for r in selected if not parallel_instances(r)] if jobs > 1 else []
    if len(pooled) < 2:
        pooled = []
    done: dict = {}
    if pooled:
        from joblib import Parallel, delayed

        bar = None
        if progress_factory is not None:
            bar = progress_factory(f"{len(pooled)} lemmas, {jobs} processes", len(pooled))
        stream = Parallel(n_jobs=jobs, return_as="generator_unordered")(
            delayed(_check_in_worker)(r.name, seed, instances) for r in pooled)
        for count, outcome in enumerate(stream, start=1):
            done[outcome.name] = outcome
            if bar is not None:
                bar(count, len(pooled))
            if on_outcome is not None:
                on_outcome(outcome)
        if bar is not None and hasattr(bar, "close"):
            bar.close()
    for registered in selected:
        if registered.name in done:
            continue
        progress = None
        if progress_factory is not None and registered.witness_module is not None:
            progress = progress_factory(registered.name, instances or registered.default_instances)
        outcome = check_lemma(registered, seed, instances, progress)
        if progress is not None and hasattr(progress, "close"):
            progress.close()
        done[registered.name] = outcome
        if on_outcome is not None:
            on_outcome(outcome)
    report.outcomes = [done[r.name] for r in selected]
    report.seconds = time.perf_counter() - started
    return report

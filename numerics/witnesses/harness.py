"""The report every numeric witness returns, and the loop that fills it."""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from resnet_lemmas.numerics._blas import single_threaded_blas


RELATIONS = ("<=", ">=", "=")


@dataclass(frozen=True)
class Claim:
    """One relation of a lemma's statement, evaluated on one instance: ``lhs relation rhs``.

    ``allowance`` names each error term the comparison may absorb, with its size: float64 rounding
    of the quantities compared (``"rounding"``), a convex solver's *certified* suboptimality
    (``"F_feat solver"``), a derivative estimate's error bound, ... .  Every term must be a bound on an
    error of the computation, never a quantity that grows with the violation it should catch (the
    point's own gradient, a loosened threshold); the witness's ``TOLERANCE`` sentence says how each is
    derived.  The harness alone turns a claim into a margin (:attr:`margin`): ``>= 0`` iff the relation
    held within the allowance.
    """

    label: str
    lhs: float
    relation: str
    rhs: float
    allowance: dict = field(default_factory=dict)
    #: ``((lemma, index), ...)``: the relations of a lemma's conclusion this claim evaluates, set only by
    #: the bridge's claim builders (``numerics/witnesses/_statement.py``); relation coverage reads it,
    #: never the label (a label may quote a relation it does not test)
    evaluates: tuple = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        if self.relation not in RELATIONS:
            raise ValueError(f"claim {self.label!r}: relation must be one of {RELATIONS}, "
                             f"got {self.relation!r}")
        for name, value in self.allowance.items():
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"claim {self.label!r}: allowance {name!r} must be finite and >= 0, "
                                 f"got {value!r}")

    @property
    def slack(self) -> float:
        return float(sum(self.allowance.values()))

    @property
    def margin(self) -> float:
        lhs, rhs = float(self.lhs), float(self.rhs)
        if not (np.isfinite(lhs) and np.isfinite(rhs)):
            return float("-inf")
        if self.relation == "<=":
            return rhs - lhs + self.slack
        if self.relation == ">=":
            return lhs - rhs + self.slack
        return self.slack - abs(lhs - rhs)

    @classmethod
    def from_relation(cls, relation, allowance: dict | None = None, label: str | None = None) -> "Claim":
        """A claim from a relation of the lemma's statement evaluated by the bridge
        (``resnet_lemmas.bridge.CompiledStatement``).  Vector or matrix sides of an equality become
        ``max |lhs - rhs| <= 0`` (within the allowance)."""
        lhs, rhs = relation.lhs, relation.rhs
        if np.size(lhs) != 1 or np.size(rhs) != 1:
            if relation.relation != "=":
                raise ValueError(f"claim {relation.label!r}: only an equality may compare arrays")
            gap = float(np.max(np.abs(np.asarray(lhs, dtype=float) - np.asarray(rhs, dtype=float))))
            return cls(label or relation.label, gap, "<=", 0.0, dict(allowance or {}))
        return cls(label or relation.label, float(lhs), relation.relation, float(rhs),
                   dict(allowance or {}))

    def to_json(self) -> dict:
        return {"label": self.label, "lhs": float(self.lhs), "relation": self.relation,
                "rhs": float(self.rhs), "allowance": {k: float(v) for k, v in self.allowance.items()},
                "margin": self.margin}


@dataclass
class InstanceResult:
    """One sampled instance: its own seed (replayable), the claims evaluated on it, and what was measured.

    ``claims`` are the statement's relations at this instance; the margin is the smallest claim margin
    (computed here, never by the witness).  ``checked=False`` marks an instance on which the lemma's
    conclusion could not be certified (no certified local minimum, a search that did not converge, an
    uncertifiable benchmark): it is counted as unchecked, never as a pass with margin 0.  Its claims,
    if any, are sanity relations that hold at *every* point (``F >= F_feat``, an identity): they are
    still evaluated and a violated one fails the instance.  ``margin=`` may still be given directly by
    witnesses not yet converted to claims.
    """

    seed: int
    margin: float | None = None
    description: str = ""
    values: dict = field(default_factory=dict)
    claims: list = field(default_factory=list)
    checked: bool = True

    def __post_init__(self):
        if self.claims:
            computed = min(claim.margin for claim in self.claims)
            if self.margin is not None and self.margin != computed:
                raise ValueError("InstanceResult: give claims or a margin, not both")
            self.margin = computed
        elif self.margin is None:
            if self.checked:
                raise ValueError("InstanceResult: a checked instance needs claims (or a margin)")
            self.margin = float("nan")

    @property
    def ok(self) -> bool:
        if not self.checked and not self.claims:
            return True  # counted separately; never a failure, never a pass
        return bool(np.isfinite(self.margin) and self.margin >= 0)


@dataclass
class WitnessReport:
    """Outcome of a numeric witness (``kind="witness"``) or of an experiment (``kind="experiment"``).

    ``worst_margin`` is the smallest margin over the evaluated claims (those of checked instances and
    the sanity claims of unchecked ones; ``>= 0``: every claim held); ``unchecked`` counts instances on
    which the conclusion could not be certified (they never pass; a witness with fewer than
    ``minimum_checked`` checked instances is ``inconclusive``);
    ``tolerance`` states how each allowance was derived; ``failures`` lists the first few failing
    instances with their seeds, so each can be replayed; ``details`` holds extra figures.

    A witness is ``verified`` or ``failed`` (or ``inconclusive``).  An experiment never "verifies": it
    is ``completed`` when it ran and its sanity claims held (``failed`` otherwise), and ``outcome``
    says what it found (found / not found, counts, best excess, over what space).

    ``claim_relations`` are the ``(lemma, index)`` relations the claims evaluated (``Claim.evaluates``; not
    in the JSON); ``check`` compares them with the relations of the lemma's conclusion (``relations``:
    evaluated, declared not evaluated with the reason, missing) and a conclusive report with a relation that no claim evaluated and that the witness
    does not declare (``uncovered``) fails: a witness that stopped evaluating part of the statement is no
    longer evidence for it.
    """

    name: str
    seed: int
    instances: int
    worst_margin: float
    tolerance: str
    failures: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0
    kind: str = "witness"
    unchecked: int = 0
    outcome: str = ""
    minimum_checked: int = 1
    claim_relations: frozenset = field(default=frozenset(), repr=False)
    relations: dict = field(default_factory=dict)
    uncovered: list = field(default_factory=list)

    @property
    def checked(self) -> int:
        return self.instances - self.unchecked

    @property
    def conclusive(self) -> bool:
        return self.checked >= self.minimum_checked

    @property
    def ok(self) -> bool:
        return (self.instances > 0 and self.conclusive and not self.failures and not self.uncovered
                and np.isfinite(self.worst_margin) and self.worst_margin >= 0)

    @property
    def status(self) -> str:
        if self.failures or (self.checked and not (np.isfinite(self.worst_margin)
                                                   and self.worst_margin >= 0)):
            return "failed"
        if not self.conclusive:
            return "inconclusive"
        if self.uncovered:
            return "failed"
        return "completed" if self.kind == "experiment" else "verified"

    def to_json(self) -> dict:
        out = asdict(self)
        del out["claim_relations"]
        out["status"] = self.status
        out["checked"] = self.checked
        out["worst_margin"] = float(self.worst_margin) if np.isfinite(self.worst_margin) else None
        return out


def instance_seeds(seed: int, instances: int) -> list[int]:
    """Independent, replayable per-instance seeds derived from the run's seed."""
    children = np.random.SeedSequence(seed).spawn(instances)
    return [int(child.generate_state(1)[0]) for child in children]


def default_jobs(heavy: bool = False) -> int:
    """Worker processes for a witness: ``RESNET_LEMMAS_JOBS`` if set; else every core for a *heavy*
    witness (one whose instances each run an optimiser), 1 otherwise.

    Light witnesses stay in one process because their instances take milliseconds while a worker
    must first import SciPy/SymPy and lambdify the losses (measured: the 200-instance
    residual_gradients witness took 7.7 s in one process and 14.8 s with two).  The main-theorem
    witness (0.22 s per instance) took 44.4 s in one process and 28.6 s with two on the idle 2-core
    machine; results are identical.
    """
    value = os.environ.get("RESNET_LEMMAS_JOBS")
    if value:
        try:
            jobs = int(value)
        except ValueError:
            raise ValueError(f"RESNET_LEMMAS_JOBS must be an integer; got {value!r}") from None
        if jobs < 1:
            raise ValueError(f"RESNET_LEMMAS_JOBS must be >= 1; got {jobs}")
        return jobs
    return max(1, os.cpu_count() or 1) if heavy else 1


def _guarded(one: Callable[..., InstanceResult], seed: int, index: int | None = None) -> InstanceResult:
    try:
        return one(seed) if index is None else one(seed, index)
    except Exception as exc:  # a crash is a failed instance, reported with its seed
        return InstanceResult(seed, float("-inf"), f"raised {type(exc).__name__}: {exc}")


def selected_by_index(index: int, every: int) -> bool:
    """Whether instance ``index`` (0-based position in the run) belongs to the fixed share ``1 / every``
    that runs an expensive step (a search): ``index % every == 0``.  Chosen by position, not by seed, so
    every ``--instances`` value selects ``ceil(instances / every)`` instances, the first one included."""
    if every < 1:
        raise ValueError(f"every must be >= 1; got {every}")
    return index % every == 0


def selected_count(instances: int, every: int) -> int:
    """How many of ``instances`` instances :func:`selected_by_index` selects: ``ceil(instances / every)``."""
    return -(-instances // every)


def run_witness(name: str, seed: int, instances: int, tolerance: str,
                one: Callable[[int], InstanceResult], progress=None,
                details: Callable[[list], dict] | None = None, n_jobs: int | None = None,
                parallel_threshold: int = 40, heavy: bool = False, kind: str = "witness",
                outcome: Callable[[list], str] | None = None,
                minimum_checked: int = 1, indexed: bool = False) -> WitnessReport:
    """Evaluate ``one(instance_seed)`` on ``instances`` seeds derived from ``seed``.

    ``one`` must be a module-level function (it is sent to worker processes when there are at least
    ``parallel_threshold`` instances and more than one job, see :func:`default_jobs`; results do not
    depend on the number of jobs).  ``progress`` is an optional callable ``progress(done, total)``.  An exception inside an
    instance is a failure of that instance (reported with its seed), never silently skipped.
    ``kind="experiment"`` makes a report whose status is ``completed`` (never ``verified``), with
    ``outcome(results)`` the sentence saying what was found.  ``minimum_checked`` is the number of
    checked (certified) instances below which the report is ``inconclusive``.  ``indexed=True`` calls
    ``one(instance_seed, index)`` with the instance's 0-based position in the run, so that a witness can
    run an expensive step on a fixed share of instances (:func:`selected_by_index`) whatever the number
    of instances; the result does not depend on the number of jobs either way.
    """
    if kind not in ("witness", "experiment"):
        raise ValueError(f"{name}: kind must be 'witness' or 'experiment', got {kind!r}")
    if instances < 1:
        raise ValueError(f"{name}: instances must be >= 1; got {instances}")
    started = time.perf_counter()
    seeds = instance_seeds(seed, instances)
    jobs = default_jobs(heavy) if n_jobs is None else n_jobs
    # Witness problems are tiny (tens of samples): multithreaded BLAS only adds contention (measured:
    # one main-theorem instance took 0.81 s with default threads, 0.35 s with one, on 2 cores).
    with single_threaded_blas():
        if jobs > 1 and len(seeds) >= parallel_threshold:
            from joblib import Parallel, delayed

            stream = Parallel(n_jobs=jobs, return_as="generator", batch_size=4)(
                delayed(_guarded)(one, s, i if indexed else None) for i, s in enumerate(seeds))
        else:
            stream = (_guarded(one, s, i if indexed else None) for i, s in enumerate(seeds))
        results: list[InstanceResult] = []
        failures = []
        for index, result in enumerate(stream):
            results.append(result)
            if not result.ok and len(failures) < 5:
                failures.append({"seed": result.seed, "margin": float(result.margin),
                                 "description": result.description, "values": result.values,
                                 "claims": [c.to_json() for c in result.claims]})
            if progress is not None:
                progress(index + 1, len(seeds))
    checked = [r for r in results if r.checked]
    # every evaluated claim counts towards the worst margin, the sanity claims of unchecked instances too
    worst = min((r.margin for r in results if r.checked or r.claims), default=float("nan"))
    extra = details(results) if details else {}
    extra["failed_instances"] = sum(not r.ok for r in results)
    return WitnessReport(name, seed, len(results), float(worst), tolerance, failures, extra,
                         time.perf_counter() - started, kind=kind,
                         unchecked=len(results) - len(checked),
                         outcome=outcome(results) if outcome else "",
                         minimum_checked=minimum_checked,
                         claim_relations=frozenset(e for r in results for c in r.claims for e in c.evaluates))

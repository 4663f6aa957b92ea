"""The report every numeric witness returns, and the loop that fills it."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

import numpy as np


@dataclass
class InstanceResult:
    """One sampled instance: its own seed (replayable), its margin, and what was measured."""

    seed: int
    margin: float
    description: str = ""
    values: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.margin) and self.margin >= 0)


@dataclass
class WitnessReport:
    """Outcome of a numeric witness.

    ``worst_margin`` is the smallest margin over instances (``>= 0`` means every instance satisfied
    the claim); ``tolerance`` states how the allowed slack was derived; ``failures`` lists the first
    few failing instances with their seeds, so each can be replayed; ``details`` holds extra figures
    (e.g. how much local minima beat ``F_lin``).
    """

    name: str
    seed: int
    instances: int
    worst_margin: float
    tolerance: str
    failures: list = field(default_factory=list)
    details: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.instances > 0 and not self.failures and np.isfinite(self.worst_margin) \
            and self.worst_margin >= 0

    @property
    def status(self) -> str:
        return "verified" if self.ok else "failed"

    def to_json(self) -> dict:
        out = asdict(self)
        out["status"] = self.status
        out["worst_margin"] = float(self.worst_margin)
        return out


def instance_seeds(seed: int, instances: int) -> list[int]:
    """Independent, replayable per-instance seeds derived from the run's seed."""
    children = np.random.SeedSequence(seed).spawn(instances)
    return [int(child.generate_state(1)[0]) for child in children]


def run_witness(name: str, seed: int, instances: int, tolerance: str,
                one: Callable[[int], InstanceResult], progress=None,
                details: Callable[[list], dict] | None = None) -> WitnessReport:
    """Evaluate ``one(instance_seed)`` on ``instances`` seeds derived from ``seed``.

    ``progress`` is an optional callable ``progress(done, total)``.  An exception inside an
    instance is a failure of that instance (reported with its seed), never silently skipped.
    """
    started = time.perf_counter()
    results: list[InstanceResult] = []
    failures = []
    seeds = instance_seeds(seed, instances)
    for index, instance_seed in enumerate(seeds):
        try:
            result = one(instance_seed)
        except Exception as exc:  # a crash is a failed instance, reported with its seed
            result = InstanceResult(instance_seed, float("-inf"), f"raised {type(exc).__name__}: {exc}")
        results.append(result)
        if not result.ok and len(failures) < 5:
            failures.append({"seed": result.seed, "margin": float(result.margin),
                             "description": result.description, "values": result.values})
        if progress is not None:
            progress(index + 1, len(seeds))
    worst = min((r.margin for r in results), default=float("nan"))
    extra = details(results) if details else {}
    extra.setdefault("failed_instances", sum(not r.ok for r in results))
    return WitnessReport(name, seed, len(results), float(worst), tolerance, failures, extra,
                         time.perf_counter() - started)

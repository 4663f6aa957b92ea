"""The lemma registry: every result, found by name, with its proof and its numeric witness.

A lemma called ``NAME`` lives in ``proofs/lemmas/NAME.py`` (its ``LEMMA``: statement, hypotheses,
derivation, paper claim) and ``numerics/witnesses/NAME.py`` (its ``witness``).  Both are discovered
here, so adding a lemma means adding those two files and nothing else.  The CLI, the LaTeX writer
and the pytest parametrisation all iterate :func:`lemmas`.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType

from .proofs import lemmas as _lemma_package
from .proofs.kernel.proof import conclusion_tuple
from .proofs.lemma import SymbolicLemma


class UnknownLemmaError(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class RegisteredLemma:
    lemma: SymbolicLemma
    witness_module: ModuleType | None

    @property
    def name(self) -> str:
        return self.lemma.name

    def witness(self, seed: int, instances: int | None = None, progress=None):
        """The witness's report, with the relations of the lemma's conclusion it evaluated
        (:func:`cover_relations`)."""
        if self.witness_module is None:
            return None
        report = self.witness_module.witness(seed=seed, instances=instances, progress=progress)
        if self.lemma.conclusion:
            cover_relations(self, report)
        return report

    @property
    def default_instances(self) -> int:
        return getattr(self.witness_module, "DEFAULT_INSTANCES", 0) if self.witness_module else 0

    @property
    def depends_on(self) -> tuple:
        """The lemmas whose theorems this lemma's proof cites."""
        return tuple(self.lemma.cites)


def cover_relations(registered, report) -> None:
    """Record in the witness ``report`` which relations of the lemma's conclusion its claims evaluated
    (``report.relations``); a relation neither evaluated nor declared in the witness module's
    ``UNEVALUATED = {index: reason}`` is ``report.uncovered`` and fails a conclusive report: a witness
    that stopped evaluating part of the statement is no longer evidence for it."""
    from .numerics.witnesses import _statement

    declared = getattr(registered.witness_module, "UNEVALUATED", {})
    lemma = getattr(registered, "lemma", None)
    evaluated = {index for lemma_name, index in report.claim_relations if lemma_name == registered.name}
    report.relations = _statement.coverage(registered.name, evaluated, declared,
                                           conclusion_tuple(lemma.conclusion) if lemma is not None else None)
    report.uncovered = list(report.relations["missing"])


#: Reading order (the paper's): ties of the citation order are broken by it; lemmas not listed come
#: last, by name.  The citation graph always wins (a lemma comes after every lemma it cites).
READING_ORDER = (
    "residual_gradients", "stationarity_consequences", "zero_w_case", "local_minima_beat_linear",
    "feature_benchmark_reached", "approximate_stationarity_bound", "bad_saddle_at_zero", "sgd_regret",
    "no_skip_bad_minimum", "vector_outputs", "vector_outputs_counterexample_search",
    "regularised_bad_minima", "multi_block_experiment",
)


def _citation_order(found: list) -> list:
    """Topological order of the citation graph, ties by :data:`READING_ORDER`; a cycle or a citation
    of an unknown lemma is an error."""
    by_name = {r.name: r for r in found}
    for r in found:
        for dep in r.depends_on:
            if dep not in by_name:
                raise RuntimeError(f"lemma {r.name!r} cites {dep!r}, which is not registered")
    rank = {name: i for i, name in enumerate(READING_ORDER)}
    key = lambda r: (rank.get(r.name, len(rank)), r.name)  # noqa: E731
    done, order = set(), []
    pending = sorted(found, key=key)
    while pending:
        ready = [r for r in pending if set(r.depends_on) <= done]
        if not ready:
            raise RuntimeError(f"the citation graph has a cycle among {[r.name for r in pending]}")
        nxt = ready[0]
        order.append(nxt)
        done.add(nxt.name)
        pending.remove(nxt)
    return order


@lru_cache(maxsize=1)
def lemmas() -> tuple[RegisteredLemma, ...]:
    """All registered lemmas, every lemma after the lemmas it cites."""
    found = []
    for info in pkgutil.iter_modules(_lemma_package.__path__):
        module = importlib.import_module(f"{_lemma_package.__name__}.{info.name}")
        lemma = getattr(module, "LEMMA", None)
        if not isinstance(lemma, SymbolicLemma):
            continue
        if lemma.name != info.name:
            raise RuntimeError(f"proofs/lemmas/{info.name}.py declares LEMMA named {lemma.name!r}; "
                               "the module and the lemma must share the name")
        try:
            witness = importlib.import_module(f"resnet_lemmas.numerics.witnesses.{info.name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"resnet_lemmas.numerics.witnesses.{info.name}":
                raise
            witness = None
        found.append(RegisteredLemma(lemma, witness))
    return tuple(_citation_order(found))


def names() -> list[str]:
    return [r.name for r in lemmas()]


def get(name: str) -> RegisteredLemma:
    """The lemma called ``name``; :class:`UnknownLemmaError` lists the known names."""
    for registered in lemmas():
        if registered.name == name:
            return registered
    raise UnknownLemmaError(f"unknown lemma {name!r}; registered lemmas: {', '.join(names())}")


def select(only: list[str] | None) -> list[RegisteredLemma]:
    """The lemmas named in ``only`` (all when empty), in registry order."""
    if not only:
        return list(lemmas())
    wanted = [get(name).name for name in only]
    return [r for r in lemmas() if r.name in wanted]

"""Fixtures shared by the lemma tests: variants of a lemma's proof, the kernel's verdict on them, and a
lemma broken on purpose (with the theorem cache restored around it).

A *variant* copies a proof's chains (so editing a link never touches the proof it came from) and shares
its contexts (the kernel only reads them): tests build each lemma's proof once per module and derive
every broken instance from it.
"""
import dataclasses

import pytest

from resnet_lemmas.proofs.kernel import Chain, check
from resnet_lemmas.proofs.lemma import clear_theorem_cache
from resnet_lemmas.proofs.printing import text


def _module_lemma(request):
    """The lemma a test module is about: its ``LEMMA`` (or ``lem.LEMMA``, the module imported as ``lem``)."""
    module = request.module
    return getattr(module, "LEMMA", None) or module.lem.LEMMA


@pytest.fixture(scope="module")
def proof(request):
    """The proof of the module's lemma, built once per module."""
    return _module_lemma(request).build()


@pytest.fixture(scope="module")
def theorem(request):
    """The kernel's theorem of the module's lemma (cached by the lemma)."""
    return _module_lemma(request).theorem()


def _variant(proof, only=None, **changes):
    """A copy of ``proof`` with fresh link lists; ``only`` keeps the steps of those names; ``changes``
    replace Proof fields (``conclusion``, ``assumes``, ``hypotheses``, ``contexts`` ...)."""
    steps = [dataclasses.replace(step, links=list(step.links)) if isinstance(step, Chain) else step
             for step in proof.steps]
    if only is not None:
        missing = set(only) - {step.name for step in steps}
        if missing:
            raise KeyError(f"no steps named {sorted(missing)} in {proof.name}")
        steps = [step for step in steps if step.name in only]
    return dataclasses.replace(proof, steps=steps, **changes)


def _replace_link(proof, chain_name, index, **changes):
    """Return ``proof`` with link ``index`` (1-based) of ``chain_name`` changed (expr/justification)."""
    for chain in proof.chains:
        if chain.name == chain_name:
            chain.links[index - 1] = dataclasses.replace(chain.links[index - 1], **changes)
            return proof
    raise KeyError(chain_name)


def _drop_using(proof, chain_name, index, *dropped):
    """Return ``proof`` with the names ``dropped`` removed from the ``using`` of link ``index``."""
    chain = next(ch for ch in proof.chains if ch.name == chain_name)
    just = chain.links[index - 1].justification
    absent = set(dropped) - set(just.using)
    if absent:
        raise KeyError(f"{chain_name}[{index}] does not use {sorted(absent)}")
    kept = tuple(name for name in just.using if name not in dropped)
    return _replace_link(proof, chain_name, index, justification=dataclasses.replace(just, using=kept))


def failures_of(report):
    return [(f.chain, f.index) for f in report.failures]


def message_of(report, chain, index=1):
    """The failure message of step ``index`` of ``chain`` (KeyError if that step did not fail)."""
    return {(f.chain, f.index): f.message for f in report.failures}[(chain, index)]


def _refused_statement(report):
    """Assert that every step verified but the kernel refused the declared statement; its message."""
    assert all(step.ok for step in report.steps), report.summary()
    assert report.theorem is None and not report.ok
    assert failures_of(report) == [("conclusion", 0)]
    return report.conclusion_error


def _clauses_by_text(theorem):
    """``{printed conjunct: [names of the hypotheses it rests on]}`` of a kernel theorem."""
    return {text(conjunct): [h.name for h in hyps] for conjunct, hyps in theorem.clauses}


@pytest.fixture
def variant():
    return _variant


@pytest.fixture
def replace_link():
    return _replace_link


@pytest.fixture
def drop_using():
    return _drop_using


@pytest.fixture
def failed_steps():
    return failures_of


@pytest.fixture
def failure_message():
    return message_of


@pytest.fixture
def kernel_check():
    """The kernel's verdict on a proof (a ProofReport; ``.theorem`` only when everything verified)."""
    return check


@pytest.fixture
def refused_statement():
    return _refused_statement


@pytest.fixture
def clauses_by_text():
    return _clauses_by_text


@pytest.fixture
def fresh_theorems():
    """Forget every cached lemma report before and after the test (tests that break a lemma)."""
    clear_theorem_cache()
    yield
    clear_theorem_cache()


@pytest.fixture
def break_lemma(monkeypatch, fresh_theorems):
    """``break_lemma(module, edit)``: the lemma ``module.LEMMA`` now builds ``edit(proof)``.

    The frozen ``LEMMA`` object itself is patched (its ``__dict__``), so the registry, the cited-theorem
    lookups and ``resnet-lemmas check`` all see the broken proof; the theorem cache is cleared so
    nothing checked before is reused, and both are restored after the test."""

    def apply(module, edit):
        lemma = module.LEMMA
        original = lemma.build

        def broken_build():
            return edit(original())

        monkeypatch.setitem(vars(lemma), "build", broken_build)
        clear_theorem_cache()
        return lemma

    return apply


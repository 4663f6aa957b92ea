"""Every registered lemma: its proof verifies in the kernel, and its witness runs and verifies.

This is the pytest face of `resnet-lemmas check`: parametrised over the registry, so a lemma added
as two files (proofs/lemmas/NAME.py, numerics/witnesses/NAME.py) is tested without editing this file.
"""
import pytest

from resnet_lemmas import registry

LEMMAS = registry.lemmas()
PROVEN = [r for r in LEMMAS if r.lemma.build is not None]
WITNESSED = [r for r in LEMMAS if r.witness_module is not None]


def test_registry_contains_the_foundation_lemmas():
    assert {"residual_gradients", "stationarity_consequences", "zero_w_case",
            "local_minima_beat_linear"} <= set(registry.names())


def test_unknown_lemma_name_lists_the_registered_ones():
    with pytest.raises(registry.UnknownLemmaError, match="unknown lemma 'nope'.*residual_gradients"):
        registry.get("nope")


@pytest.mark.parametrize("registered", PROVEN, ids=lambda r: r.name)
def test_symbolic_proof_verifies(registered):
    report = registered.lemma.build().check()
    assert report.ok, report.summary()


@pytest.mark.parametrize("registered", WITNESSED, ids=lambda r: r.name)
def test_numeric_witness_verifies_on_a_few_instances(registered):
    report = registered.witness(seed=0, instances=3)
    expected = "completed" if registered.lemma.kind == "experiment" else "verified"
    assert report.status == expected, report.failures
    assert report.seed == 0


@pytest.mark.parametrize("registered", [r for r in LEMMAS if r.lemma.kind != "experiment"],
                         ids=lambda r: r.name)
def test_every_non_experiment_has_both_a_proof_and_a_witness(registered):
    assert registered.lemma.build is not None
    assert registered.witness_module is not None
    assert registered.default_instances >= 200

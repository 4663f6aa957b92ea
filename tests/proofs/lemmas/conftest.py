import dataclasses

import pytest


def _replace_link(proof, chain_name, index, **changes):
    """Return ``proof`` with link ``index`` (1-based) of ``chain_name`` changed (expr/justification)."""
    for chain in proof.chains:
        if chain.name == chain_name:
            chain.links[index - 1] = dataclasses.replace(chain.links[index - 1], **changes)
            return proof
    raise KeyError(chain_name)


@pytest.fixture
def replace_link():
    return _replace_link


def failures_of(report):
    return [(f.chain, f.index) for f in report.failures]


@pytest.fixture
def failed_steps():
    return failures_of

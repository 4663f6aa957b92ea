"""Shared fixtures for the numeric tests (seeded; losses come from the proofs side's registry)."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.proofs.losses import LOSSES, get_loss

LOSS_NAMES = tuple(sorted(LOSSES))


@pytest.fixture(scope="session")
def losses():
    return {name: get_loss(name) for name in LOSS_NAMES}


@pytest.fixture
def rng():
    return np.random.default_rng(20180610)


class _PlantedDerivative:
    """A loss whose ``l'`` is ``wrong(l')`` (values and curvature right): a planted bug in a loss kernel."""

    def __init__(self, loss, wrong):
        self.loss, self.wrong, self.name = loss, wrong, loss.name

    def value(self, p, y):
        return self.loss.value(p, y)

    def grad(self, p, y):
        return self.wrong(self.loss.grad(p, y))

    def curvature(self, p, y):
        return self.loss.curvature(p, y)


@pytest.fixture(scope="session")
def planted_derivative():
    """``planted_derivative(loss, wrong)``: ``loss`` with its derivative replaced by ``wrong(l')``."""
    return _PlantedDerivative

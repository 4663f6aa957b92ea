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

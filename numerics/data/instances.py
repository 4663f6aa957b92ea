"""Sampled (network, loss, data) instances, each replayable from one integer seed."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resnet_lemmas.proofs.losses import LOSSES, get_loss
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, sample_unit


@dataclass
class Instance:
    """One sampled instance and the seed that regenerates it (:func:`sample_instance`)."""

    seed: int
    problem: "ResNetProblem"  # noqa: F821 (numerics.models.residual.ResNetProblem; imported lazily)
    description: str


def sample_instance(seed: int, n: tuple[int, int] = (24, 40), d: tuple[int, int] = (2, 3),
                    k: tuple[int, int] = (1, 3), depth: tuple[int, int] = (1, 4),
                    width: tuple[int, int] = (2, 5), losses: tuple[str, ...] | None = None,
                    activations: tuple[str, ...] = ACTIVATIONS) -> Instance:
    """Draw sizes, a loss, a residual unit (depth, width, activation) and matching data from ``seed``.

    Ranges are inclusive ``(low, high)``.  ``losses`` defaults to every registered convex loss.
    """
    # imported here: models.residual imports numerics.data (validate_data), whose package imports this
    # module, so a module-level import is circular when models is imported first
    from resnet_lemmas.numerics.models.residual import ResNetProblem

    rng = np.random.default_rng(seed)
    names = tuple(sorted(losses or LOSSES))
    loss = get_loss(names[int(rng.integers(len(names)))])
    nn = int(rng.integers(n[0], n[1] + 1))
    dd = int(rng.integers(d[0], d[1] + 1))
    kk = int(rng.integers(k[0], k[1] + 1))
    depth_ = int(rng.integers(depth[0], depth[1] + 1))
    width_ = int(rng.integers(width[0], width[1] + 1))
    activation = activations[int(rng.integers(len(activations)))]
    unit = sample_unit(rng, dd, kk, depth=depth_, width=width_, activation=activation)
    X, y = data_for_loss(rng, loss, nn, dd)
    problem = ResNetProblem(unit, X, y, loss)
    description = (f"seed {seed}: loss {loss.name}, n={nn}, d={dd}, k={kk}, depth {depth_}, "
                   f"width {width_}, {activation}")
    return Instance(seed, problem, description)

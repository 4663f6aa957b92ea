"""Arb ball enclosures: every ball contains the float64 value it encloses, signs are proven, and a loss
the evaluator does not know is refused by name."""
import numpy as np
import pytest
import sympy as sp
from flint import arb

from resnet_lemmas.numerics.certificates import enclosures
from resnet_lemmas.proofs.losses import LOSSES, P, Y, Loss


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("order", [0, 1, 2])
def test_loss_balls_contain_the_float64_values(name, order):
    loss = LOSSES[name]
    fn = enclosures.loss_enclosure(loss, order)
    for p in (-30.0, -2.5, 0.0, 0.3, 40.0):
        for y in {"sign": (-1.0, 1.0), "count": (0.0, 3.0)}.get(loss.targets, (-1.7, 0.4)):
            value = float(loss._eval(order, p, y))
            b = fn(enclosures.ball(p), enclosures.ball(y))
            assert abs(float(b.mid()) - value) <= 1e-14 * max(1.0, abs(value))
            assert float(b.rad()) <= 1e-12 * max(1.0, abs(value))


def test_an_unknown_node_is_refused_by_name():
    bad = Loss("abs", sp.Abs(P - Y))
    with pytest.raises(TypeError, match="Abs"):
        enclosures.loss_enclosure(bad, 0)
    with pytest.raises(ValueError, match="order"):
        enclosures.loss_enclosure(LOSSES["squared"], 3)
    with pytest.raises(ValueError, match="non-finite"):
        enclosures.ball(np.nan)


def test_mean_loss_gap_encloses_the_float_gap_and_proves_its_sign(rng):
    loss = LOSSES["logistic"]
    X, y = rng.normal(size=(40, 3)), np.where(rng.random(40) < 0.5, -1.0, 1.0)
    u = rng.normal(size=3)
    gap = enclosures.mean_loss_gap(loss, y, np.zeros(40), enclosures.linear_predictions(X, u))
    float_gap = float(np.mean(loss.value(np.zeros(40), y)) - np.mean(loss.value(X @ u, y)))
    assert enclosures.lower(gap) <= float_gap + 1e-14 and float_gap - 1e-14 <= enclosures.upper(gap)
    assert float(gap.rad()) < 1e-30                  # narrow at 128 bits: the sign is decided
    assert arb(enclosures.lower(gap)) <= gap.lower() and arb(enclosures.upper(gap)) >= gap.upper()
    # the grouped evaluation of repeated (p, y) pairs (floats) equals the per-sample one (balls)
    grouped = enclosures.mean_loss_gap(loss, y, np.zeros(40), [arb(0)] * 40)
    assert abs(float(grouped.mid())) <= float(grouped.rad()) < 1e-30


def test_float_ends_are_rounded_outward():
    third = arb(1) / 3
    assert arb(enclosures.upper(third)) >= third.upper() and arb(enclosures.lower(third)) <= third.lower()


def test_matrix_helpers_enclose_the_float_products(rng):
    X, u = rng.normal(size=(6, 3)), rng.normal(size=3)
    for b, f in zip(enclosures.linear_predictions(X, u), X @ u):
        assert float(b.lower()) <= f + 1e-15 and f - 1e-15 <= float(b.upper())
    weights = [enclosures.ball(w) for w in u[:2].tolist() * 3]
    mean = enclosures.weighted_mean(weights, X)
    assert np.allclose([float(m.mid()) for m in mean], np.array(u[:2].tolist() * 3) @ X / 6, rtol=1e-14)
    mv = enclosures.matvec(X[:2], [enclosures.ball(a) for a in u])
    assert np.allclose([float(m.mid()) for m in mv], X[:2] @ u, rtol=1e-14)
    with pytest.raises(ValueError, match="non-finite"):
        enclosures.linear_predictions(np.array([[np.inf, 0.0]]), np.ones(2))

"""Data for the numeric checks: validation and seeded generators.

A data set is a sample ``(x_i, y_i)``, ``i = 1..n``, stored as ``X`` of shape ``(n, d)`` and ``y`` of shape
``(n,)``; expectations ``E[.]`` in the paper become sample means, for which every statement of the
design card holds exactly.  Every generator has the signature ``(rng, n, d, **options) -> (X, y)`` and
draws only from the given ``numpy.random.Generator``.
"""
from __future__ import annotations

import numpy as np


class DataError(ValueError):
    """The data cannot be used: wrong shapes, NaN/inf entries, too few samples, bad types."""


def _check_rng(rng) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (seeded); got {type(rng).__name__}")


def _check_sizes(n, d, min_n: int = 2) -> None:
    if not isinstance(n, (int, np.integer)) or n < min_n:
        raise DataError(f"n must be an integer >= {min_n}; got {n!r}")
    if not isinstance(d, (int, np.integer)) or d < 1:
        raise DataError(f"d must be a positive integer; got {d!r}")


def _float_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must be numeric; could not convert to float64: {exc}") from None


def validate_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(X, y)`` as C-contiguous float64 arrays, ``X`` of shape ``(n, d)``, ``y`` of shape ``(n,)``.

    Raises :class:`DataError` naming the problem: wrong number of dimensions, ``n < 2``, ``d < 1``,
    mismatched ``n``, or NaN/inf entries (with their count).
    """
    X = _float_array("X", X)
    y = _float_array("y", y)
    if X.ndim != 2:
        raise DataError(f"X must be a 2-D array (n, d); got shape {X.shape}")
    if y.ndim != 1:
        raise DataError(f"y must be a 1-D array (n,); got shape {y.shape}")
    n, d = X.shape
    if n != y.shape[0]:
        raise DataError(f"X has {n} rows but y has {y.shape[0]}")
    if n < 2:
        raise DataError(f"need at least n = 2 samples; got n = {n}")
    if d < 1:
        raise DataError(f"X must have at least one column (d >= 1); got shape {X.shape}")
    bad_X = int(np.count_nonzero(~np.isfinite(X)))
    if bad_X:
        raise DataError(f"X has {bad_X} NaN/inf entries")
    bad_y = int(np.count_nonzero(~np.isfinite(y)))
    if bad_y:
        raise DataError(f"y has {bad_y} NaN/inf entries")
    return np.ascontiguousarray(X), np.ascontiguousarray(y)


def _nonlinear_term(rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
    """A fixed random nonlinear function of ``x``, ``sin(x^T g) + (x^T h)^2 / 2 - ||h||^2 / 2``, that no
    linear predictor represents (so residual units have something to add).  Mean about zero for
    standard normal ``x``."""
    d = X.shape[1]
    g = rng.normal(size=d) / np.sqrt(d)
    h = rng.normal(size=d) / np.sqrt(d)
    return np.sin(X @ g) + 0.5 * ((X @ h) ** 2 - h @ h)


def regression_data(rng: np.random.Generator, n: int, d: int, *, noise: float = 0.1,
                    nonlinearity: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``x ~ N(0, I_d)``, ``y = x^T beta + nonlinearity * g(x) + noise * N(0, 1)``, ``beta ~ N(0, I_d / d)``;
    ``g`` is the fixed random nonlinear term of :func:`_nonlinear_term`."""
    _check_rng(rng)
    _check_sizes(n, d)
    X = rng.normal(size=(n, d))
    beta = rng.normal(size=d) / np.sqrt(d)
    y = X @ beta + nonlinearity * _nonlinear_term(rng, X) + noise * rng.normal(size=n)
    return validate_data(X, y)


def classification_data(rng: np.random.Generator, n: int, d: int, *, separable: bool = False,
                        flip: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``y in {-1, +1}`` from a random linear rule through the origin plus a nonlinear term.

    ``x ~ N(0, I_d)``, ``y = sign(x^T u + 0.5 g(x))`` with ``u`` a random unit vector.

    - ``separable=True``: ``y = sign(x^T u)`` exactly, so ``u`` separates the data (``y_i u^T x_i > 0``
      for all ``i``; almost surely no ties) and margin losses have an unattained infimum ``0``.
    - ``separable=False`` (default): each label is flipped with probability ``flip``, and the sample is
      made *certainly* not linearly separable through the origin: the last point is set to
      ``x_n = -x_1`` with ``y_n = y_1``, so no ``u`` has ``y_i u^T x_i > 0`` for both (requires ``n >= 2``).
    """
    _check_rng(rng)
    _check_sizes(n, d)
    if not 0.0 <= flip <= 1.0:
        raise DataError(f"flip must be a probability in [0, 1]; got {flip}")
    X = rng.normal(size=(n, d))
    u = rng.normal(size=d)
    u /= np.linalg.norm(u)
    if separable:
        y = np.where(X @ u >= 0.0, 1.0, -1.0)
    else:
        score = X @ u + 0.5 * _nonlinear_term(rng, X)
        y = np.where(score >= 0.0, 1.0, -1.0)
        y = np.where(rng.random(n) < flip, -y, y)
        X[-1] = -X[0]
        y[-1] = y[0]
    return validate_data(X, y)


def count_data(rng: np.random.Generator, n: int, d: int, *,
               nonlinearity: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts ``y ~ Poisson(exp(x^T beta + nonlinearity * g(x) / 2))`` with
    ``x ~ N(0, I_d)``, ``beta ~ N(0, I_d / (4 d))`` (rates of order 1, so zeros and positives both occur)."""
    _check_rng(rng)
    _check_sizes(n, d)
    X = rng.normal(size=(n, d))
    beta = rng.normal(size=d) / (2.0 * np.sqrt(d))
    log_rate = X @ beta + 0.5 * nonlinearity * _nonlinear_term(rng, X)
    y = rng.poisson(np.exp(np.clip(log_rate, -10.0, 5.0))).astype(np.float64)
    return validate_data(X, y)


GENERATORS = {"real": regression_data, "sign": classification_data, "count": count_data}


def data_for_loss(rng: np.random.Generator, loss, n: int, d: int, **options) -> tuple[np.ndarray, np.ndarray]:
    """Data suited to ``loss`` (an object with ``targets`` in ``"real"``, ``"sign"``, ``"count"``)."""
    targets = getattr(loss, "targets", None)
    if targets not in GENERATORS:
        raise DataError(f"no data generator for loss targets {targets!r}; known: {sorted(GENERATORS)}")
    X, y = GENERATORS[targets](rng, n, d, **options)
    loss.check_targets(y)
    return X, y

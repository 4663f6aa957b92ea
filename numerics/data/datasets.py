"""Data sets for ``resnet-lemmas verify``: users' files and two real data sets available offline.

A data set is ``X`` of shape ``(n, d)`` and ``y`` of shape ``(n,)`` (float64), as in :mod:`.data`.

Files
-----
- ``.npz``: arrays named ``X`` (2-D) and ``y`` (1-D) (``numpy.savez``);
- ``.csv``: comma-separated numbers, one sample per row, the **last column is y**, the others are
  ``X``; an optional first row of column names (recognised by not being numeric).

Built-in real data sets (``builtin:NAME``)
------------------------------------------
Loaded from the copies bundled inside scikit-learn (no network; optional extra ``real-data``), with
every feature standardised to mean 0 and standard deviation 1 (the model ``p = w^T (x + V f(x))`` has
no intercept, and the search's starting scale assumes O(1) inputs):

- ``diabetes`` (regression, ``n = 442``, ``d = 10``): disease progression one year after baseline
  (Efron et al. 2004), ``y`` standardised too (mean 0, sd 1) since there is no intercept; use the
  ``squared`` or ``pseudo_huber`` loss;
- ``breast_cancer`` (classification, ``n = 569``, ``d = 30``): Wisconsin diagnostic breast cancer,
  ``y = +1`` benign, ``-1`` malignant; use a margin loss (``logistic``, ...).  Through the origin the
  data are *not* linearly separable (the linear logistic optimum is attained, ``F_lin ~ 0.024``);
- ``NAME+intercept`` appends a constant feature ``1`` (then ``d + 1`` columns).  With it the breast
  cancer data *are* linearly separable, so ``F_lin = 0`` for the logistic loss is an infimum that no
  linear predictor attains: the real-data example of that case.

Every failure is a :class:`~.data.DataError` (a ``ValueError``) that names the file and the problem:
missing arrays/columns, non-numeric entries (with line and column for ``.csv``), NaN/inf entries (with
their 0-based row numbers), ragged rows, unknown built-in names, scikit-learn missing.

Scaling
-------
:func:`scale_diagnosis` tells whether ``X`` is badly scaled for the search (columns on very different
scales, or all far from 1): L-BFGS-B then creeps or its line search breaks down, and ``verify``
says so and suggests ``--standardize``, which applies :func:`standardise_features`.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from resnet_lemmas.numerics.data.synthetic import DataError, validate_data

BUILTIN_PREFIX = "builtin:"


@dataclass
class Dataset:
    """``X`` (n, d), ``y`` (n,), a ``name``, the ``task`` (``"regression"``/``"classification"``/``""``)
    and a one-line ``description`` (source, preprocessing); ``feature_names`` when known."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str = ""
    description: str = ""
    feature_names: list = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    def subsample(self, size: int, seed: int) -> "Dataset":
        """A uniformly random subset of ``size`` rows (without replacement; ``seed`` recorded in the name)."""
        if not isinstance(size, (int, np.integer)) or size < 2:
            raise DataError(f"subsample size must be an integer >= 2; got {size!r}")
        if size >= self.n:
            return self
        rows = np.sort(np.random.default_rng(seed).choice(self.n, size=int(size), replace=False))
        return Dataset(f"{self.name}[{size} rows, seed {seed}]", self.X[rows], self.y[rows], self.task,
                       self.description + f"; random subsample of {size} rows (seed {seed})",
                       list(self.feature_names))


def _check_finite(source: str, X: np.ndarray, y: np.ndarray) -> None:
    for label, arr in (("X", X), ("y", y)):
        bad = ~np.isfinite(arr)
        if bad.any():
            rows = np.flatnonzero(bad.reshape(arr.shape[0], -1).any(axis=1))
            raise DataError(f"{source}: {label} has {int(bad.sum())} NaN/inf entries (rows "
                            f"{rows[:8].tolist()}{' ...' if rows.size > 8 else ''}, 0-based); "
                            "remove or impute them")


# -- files ------------------------------------------------------------------------------------------
def load_npz(path) -> Dataset:
    """Arrays ``X`` (n, d) and ``y`` (n,) from a ``.npz`` file (``numpy.savez``)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            names = list(data.files)
            missing = [a for a in ("X", "y") if a not in names]
            if missing:
                raise DataError(f"{path}: missing array(s) {', '.join(missing)}; the file has "
                                f"{names or 'no arrays'} (save with numpy.savez(path, X=X, y=y))")
            X, y = data["X"], data["y"]
    except DataError:
        raise
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable .npz file: {exc}") from None
    for label, arr in (("X", X), ("y", y)):
        if not np.issubdtype(arr.dtype, np.number) and arr.dtype != np.bool_:
            raise DataError(f"{path}: array {label} is not numeric (dtype {arr.dtype})")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]   # a column vector is unambiguous
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    _check_finite(str(path), X, y)
    try:
        X, y = validate_data(X, y)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    return Dataset(path.stem, X, y, description=f"arrays X, y from {path}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_csv(path) -> Dataset:
    """Rows of numbers from a ``.csv`` file; the last column is ``y``, the others ``X`` (module docstring)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV: {exc}") from None
    if not rows:
        raise DataError(f"{path}: the file has no rows")
    header: list[str] = []
    if not all(_is_number(cell.strip()) for cell in rows[0] if cell.strip()):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
    width = len(header) if header else len(rows[0]) if rows else 0
    if width < 2:
        raise DataError(f"{path}: need at least 2 columns (features, then y last); found {width}")
    if not rows:
        raise DataError(f"{path}: the file has a header but no data rows")
    values = np.empty((len(rows), width))
    line0 = 2 if header else 1
    for i, row in enumerate(rows):
        if len(row) != width:
            raise DataError(f"{path}: line {line0 + i} has {len(row)} columns, expected {width} "
                            f"({'as in the header' if header else 'as in the first row'}): a column is missing")
        for j, cell in enumerate(row):
            text = cell.strip()
            column = header[j] if header else f"column {j + 1}"
            if text == "":
                raise DataError(f"{path}: line {line0 + i}, {column}: empty (missing) value")
            try:
                values[i, j] = float(text)
            except ValueError:
                raise DataError(f"{path}: line {line0 + i}, {column}: {text!r} is not a number") from None
    X, y = values[:, :-1], values[:, -1]
    _check_finite(str(path), X, y)
    try:
        X, y = validate_data(X, y)
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
    return Dataset(path.stem, X, y, description=f"{path}: last column{f' {header[-1]!r}' if header else ''} is y",
                   feature_names=header[:-1])


# -- built-in real data ---------------------------------------------------------------------------
def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError as exc:
        raise DataError("the built-in real data sets come from scikit-learn's bundled copies; install "
                        "the extra: pip install 'resnet-lemmas[real-data]' (or scikit-learn)") from exc
    return datasets


def standardise(A: np.ndarray) -> np.ndarray:
    """Columns to mean 0 and (population) standard deviation 1; constant columns are only centred."""
    A = np.asarray(A, dtype=np.float64)
    sd = A.std(axis=0)
    return (A - A.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def standardise_features(X: np.ndarray) -> np.ndarray:
    """Columns of ``X (n, d)`` to mean 0 and standard deviation 1, except constant columns, which are
    kept as they are (a column of ones is the intercept of a model without bias terms; centring it
    would make it 0).  Centring changes which linear predictors through the origin exist: without an
    intercept column, ``F_lin`` of the standardised data can differ from that of the raw data."""
    X = np.asarray(X, dtype=np.float64)
    sd = X.std(axis=0)
    varying = sd > 0
    out = X.copy()
    out[:, varying] = (X[:, varying] - X[:, varying].mean(axis=0)) / sd[varying]
    return out


#: ``X`` is badly scaled when its largest column root-mean-square exceeds its smallest (among columns
#: that are not identically zero) by more than this factor.  L-BFGS-B starts from an identity Hessian
#: estimate, so its first steps move every coordinate alike; with column scales a factor ``s`` apart,
#: the curvature of ``F`` in ``w`` differs by ``s^2`` between directions (for the squared loss,
#: ``grad_w^2 F = E[phi phi^T]``).  ``100`` (curvature ratio ``1e4``) is where the searches on raw
#: real data stalled (scikit-learn's wine: column scales 0.38 to 810).
SCALE_SPREAD_LIMIT = 100.0
#: ... or when every column is on a scale far from 1: the starting point draws ``w ~ N(0, 1/d)``,
#: which makes predictions of the size of the data, saturating margin losses at large scales and
#: vanishing at small ones.
SCALE_MAGNITUDE_LIMITS = (1e-2, 1e2)


@dataclass
class ScaleDiagnosis:
    """Column root-mean-squares ``rms (d,)`` of ``X`` and, when badly scaled, ``problem``: a sentence
    naming the columns (0-based) and the cure."""

    rms: np.ndarray
    problem: str = ""

    @property
    def badly_scaled(self) -> bool:
        return bool(self.problem)


def scale_diagnosis(X: np.ndarray) -> ScaleDiagnosis:
    """Whether ``X (n, d)`` is badly scaled for the search (:data:`SCALE_SPREAD_LIMIT`,
    :data:`SCALE_MAGNITUDE_LIMITS`).  Identically zero columns are ignored."""
    X = np.asarray(X, dtype=np.float64)
    rms = np.sqrt(np.mean(X * X, axis=0))
    used = np.flatnonzero(rms > 0)
    if used.size == 0:
        return ScaleDiagnosis(rms)
    high, low = used[np.argmax(rms[used])], used[np.argmin(rms[used])]
    spread = rms[high] / rms[low]
    low_limit, high_limit = SCALE_MAGNITUDE_LIMITS
    problem = ""
    if spread > SCALE_SPREAD_LIMIT:
        problem = (f"the columns of X are on very different scales: root-mean-square from "
                   f"{rms[low]:.3g} (column {low}) to {rms[high]:.3g} (column {high}), a factor "
                   f"{spread:.3g} (more than {SCALE_SPREAD_LIMIT:g})")
    elif rms[high] < low_limit or rms[low] > high_limit:
        problem = (f"every column of X is on a scale far from 1: root-mean-square from "
                   f"{rms[low]:.3g} to {rms[high]:.3g} (outside [{low_limit:g}, {high_limit:g}])")
    if problem:
        problem += ("; L-BFGS-B creeps or its line search breaks down on such data: standardise the "
                    "columns (verify --standardize; standardize=True in Python)")
    return ScaleDiagnosis(rms, problem)


def _diabetes() -> Dataset:
    raw = _sklearn_datasets().load_diabetes()
    X = standardise(raw.data)
    y = standardise(raw.target[:, None])[:, 0]
    return Dataset("diabetes", X, y, "regression",
                   "scikit-learn load_diabetes (Efron et al. 2004): 442 patients, 10 baseline features, "
                   "y = disease progression after one year; X and y standardised", list(raw.feature_names))


def _breast_cancer() -> Dataset:
    raw = _sklearn_datasets().load_breast_cancer()
    X = standardise(raw.data)
    y = np.where(raw.target == 1, 1.0, -1.0)   # sklearn: 1 = benign, 0 = malignant
    return Dataset("breast_cancer", X, y, "classification",
                   "scikit-learn load_breast_cancer (Wisconsin diagnostic): 569 tumours, 30 features, "
                   "y = +1 benign / -1 malignant; X standardised", list(raw.feature_names))


BUILTINS = {"diabetes": _diabetes, "breast_cancer": _breast_cancer}


def load_builtin(name: str) -> Dataset:
    """``diabetes`` or ``breast_cancer``, optionally ``+intercept`` (module docstring)."""
    base, plus, option = name.partition("+")
    if base not in BUILTINS or (plus and option != "intercept"):
        raise DataError(f"unknown built-in data set {name!r}; available: "
                        f"{', '.join(BUILTIN_PREFIX + b for b in BUILTINS)} (each optionally +intercept)")
    data = BUILTINS[base]()
    if option == "intercept":
        data = Dataset(f"{data.name}+intercept", np.hstack((data.X, np.ones((data.n, 1)))), data.y,
                       data.task, data.description + "; constant feature 1 appended",
                       data.feature_names + ["intercept"])
    return data


def load_dataset(spec: str, subsample: int | None = None, seed: int = 0) -> Dataset:
    """``builtin:NAME``, a ``.npz`` or a ``.csv`` file; optionally a random ``subsample`` of rows."""
    spec = str(spec)
    if spec.startswith(BUILTIN_PREFIX):
        data = load_builtin(spec[len(BUILTIN_PREFIX):])
    else:
        path = Path(spec)
        if not path.is_file():
            raise DataError(f"data file {spec!r} does not exist (or give builtin:NAME, one of "
                            f"{', '.join(BUILTINS)})")
        suffix = path.suffix.lower()
        if suffix == ".npz":
            data = load_npz(path)
        elif suffix == ".csv":
            data = load_csv(path)
        else:
            raise DataError(f"{spec}: unsupported file type {suffix or '(none)'!r}; use .npz (arrays X, y) "
                            "or .csv (last column y)")
    return data.subsample(subsample, seed) if subsample is not None else data


__all__ = ["Dataset", "DataError", "load_dataset", "load_npz", "load_csv", "load_builtin", "BUILTINS",
           "standardise", "standardise_features", "scale_diagnosis", "ScaleDiagnosis",
           "SCALE_SPREAD_LIMIT", "SCALE_MAGNITUDE_LIMITS"]

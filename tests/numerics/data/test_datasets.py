"""Users' data files (.npz, .csv), the built-in real data sets, and their clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.synthetic import DataError
from resnet_lemmas.numerics.data.datasets import load_builtin, load_csv, load_dataset, load_npz, standardise
from resnet_lemmas.proofs.losses import get_loss


# -- .npz -----------------------------------------------------------------------------------------
def test_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    np.savez(tmp_path / "d.npz", X=X, y=y)
    data = load_dataset(str(tmp_path / "d.npz"))
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y[:, 0])      # a column vector y is flattened
    assert (data.n, data.d, data.name) == (6, 3, "d")


def test_npz_with_a_missing_array_lists_the_arrays_it_has(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((4, 2)), target=np.ones(4))
    with pytest.raises(DataError, match=r"missing array\(s\) y; the file has \['X', 'target'\]"):
        load_npz(tmp_path / "d.npz")


def test_npz_with_nan_or_text_is_rejected(tmp_path):
    X = np.ones((5, 2))
    X[2, 1] = np.nan
    np.savez(tmp_path / "nan.npz", X=X, y=np.ones(5))
    with pytest.raises(DataError, match=r"X has 1 NaN/inf entries \(rows \[2\]"):
        load_npz(tmp_path / "nan.npz")
    np.savez(tmp_path / "text.npz", X=np.array([["a", "b"], ["c", "d"]]), y=np.ones(2))
    with pytest.raises(DataError, match="array X is not numeric"):
        load_npz(tmp_path / "text.npz")


def test_npz_with_mismatched_rows_is_rejected(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.ones((5, 2)), y=np.ones(4))
    with pytest.raises(DataError, match="X has 5 rows but y has 4"):
        load_npz(tmp_path / "d.npz")


# -- .csv -----------------------------------------------------------------------------------------
def test_csv_with_header_takes_the_last_column_as_y(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,target\n1,2,3\n4,5,6\n7,8,9\n")
    data = load_csv(tmp_path / "d.csv")
    np.testing.assert_array_equal(data.X, [[1, 2], [4, 5], [7, 8]])
    np.testing.assert_array_equal(data.y, [3, 6, 9])
    assert data.feature_names == ["a", "b"] and "'target' is y" in data.description


def test_csv_without_header(tmp_path):
    (tmp_path / "d.csv").write_text("1,2,3\n4,5,6\n")
    data = load_dataset(str(tmp_path / "d.csv"))
    assert data.X.shape == (2, 2) and data.feature_names == []


def test_csv_with_a_missing_column_names_the_line(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n4,5\n")
    with pytest.raises(DataError, match="line 3 has 2 columns, expected 3.*a column is missing"):
        load_csv(tmp_path / "d.csv")


def test_csv_with_a_single_column_has_no_features(tmp_path):
    (tmp_path / "d.csv").write_text("y\n1\n2\n")
    with pytest.raises(DataError, match="need at least 2 columns"):
        load_csv(tmp_path / "d.csv")


def test_csv_with_text_empty_or_nan_cells_names_row_and_column(tmp_path):
    (tmp_path / "t.csv").write_text("a,b,y\n1,2,3\n4,oops,6\n")
    with pytest.raises(DataError, match=r"line 3, b: 'oops' is not a number"):
        load_csv(tmp_path / "t.csv")
    (tmp_path / "e.csv").write_text("1,2,3\n4,,6\n")
    with pytest.raises(DataError, match=r"line 2, column 2: empty \(missing\) value"):
        load_csv(tmp_path / "e.csv")
    (tmp_path / "n.csv").write_text("a,b,y\n1,2,3\n4,5,nan\n")
    with pytest.raises(DataError, match=r"y has 1 NaN/inf entries \(rows \[1\]"):
        load_csv(tmp_path / "n.csv")


def test_unknown_files_and_types_are_rejected(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(str(tmp_path / "nope.csv"))
    (tmp_path / "d.txt").write_text("1,2\n")
    with pytest.raises(DataError, match="unsupported file type '.txt'"):
        load_dataset(str(tmp_path / "d.txt"))


def test_subsample_is_seeded_and_recorded(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.arange(40.0).reshape(20, 2), y=np.arange(20.0))
    a = load_dataset(str(tmp_path / "d.npz"), subsample=5, seed=3)
    b = load_dataset(str(tmp_path / "d.npz"), subsample=5, seed=3)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.n == 5 and "seed 3" in a.name
    assert not np.array_equal(a.y, load_dataset(str(tmp_path / "d.npz"), subsample=5, seed=4).y)


def test_standardise_leaves_constant_columns_centred():
    Z = standardise(np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]]))
    np.testing.assert_allclose(Z[:, 0], [-np.sqrt(1.5), 0.0, np.sqrt(1.5)], atol=1e-15)
    np.testing.assert_array_equal(Z[:, 1], 0.0)


# -- built-in real data -----------------------------------------------------------------------------
def test_diabetes_is_real_standardised_regression_data():
    pytest.importorskip("sklearn")
    data = load_dataset("builtin:diabetes")
    assert (data.n, data.d, data.task) == (442, 10, "regression")
    # standardised: means 0 and sds 1 up to the rounding of sums of 442 terms (1e-12)
    np.testing.assert_allclose(data.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(data.X.std(axis=0), 1.0, atol=1e-12)
    assert abs(data.y.mean()) < 1e-12 and abs(data.y.std() - 1.0) < 1e-12
    assert data.feature_names[:3] == ["age", "sex", "bmi"]


def test_breast_cancer_is_real_plus_minus_one_classification_data():
    pytest.importorskip("sklearn")
    data = load_builtin("breast_cancer")
    assert (data.n, data.d, data.task) == (569, 30, "classification")
    assert set(np.unique(data.y)) == {-1.0, 1.0}
    assert int(np.sum(data.y == 1.0)) == 357           # benign, as in the original data set
    with_intercept = load_builtin("breast_cancer+intercept")
    assert with_intercept.d == 31 and np.all(with_intercept.X[:, -1] == 1.0)


def test_breast_cancer_linear_logistic_optimum_is_attained_only_without_intercept():
    """Real data on which the linear optimum is not attained: with an intercept the two classes are
    linearly separable (LP certificate), so F_lin = 0 is an infimum; through the origin it is attained."""
    pytest.importorskip("sklearn")
    logistic = get_loss("logistic")
    plain = load_builtin("breast_cancer")
    attained = linear_benchmark(plain.X, plain.y, logistic)
    assert attained.attained and 0.0 < attained.value < 0.05
    sep = load_builtin("breast_cancer+intercept")
    not_attained = linear_benchmark(sep.X, sep.y, logistic)
    assert not not_attained.attained and not_attained.value == 0.0
    assert "not attained" in not_attained.message


def test_unknown_builtin_lists_the_available_ones():
    with pytest.raises(DataError, match="unknown built-in data set 'iris'; available: builtin:diabetes"):
        load_dataset("builtin:iris")
    with pytest.raises(DataError, match="unknown built-in"):
        load_dataset("builtin:diabetes+bias")


def test_missing_scikit_learn_gives_an_install_hint(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(DataError, match=r"resnet-lemmas\[real-data\]"):
        load_dataset("builtin:diabetes")


# -- scaling ----------------------------------------------------------------------------------------
def test_columns_on_very_different_scales_are_diagnosed_with_the_cure():
    from resnet_lemmas.numerics.data.datasets import SCALE_SPREAD_LIMIT, scale_diagnosis

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    assert not scale_diagnosis(X).badly_scaled
    X[:, 2] *= 2 * SCALE_SPREAD_LIMIT                    # one column a factor 200 larger
    diagnosis = scale_diagnosis(X)
    assert diagnosis.badly_scaled
    assert "column 2" in diagnosis.problem and "--standardize" in diagnosis.problem
    X[:, 2] /= 4                                         # a factor 50: within the limit
    assert not scale_diagnosis(X).badly_scaled


def test_data_far_from_unit_scale_are_diagnosed_and_zero_columns_ignored():
    from resnet_lemmas.numerics.data.datasets import SCALE_MAGNITUDE_LIMITS, scale_diagnosis

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) * 10 * SCALE_MAGNITUDE_LIMITS[1]
    assert "far from 1" in scale_diagnosis(X).problem
    X = np.column_stack((rng.normal(size=50), np.zeros(50)))
    assert not scale_diagnosis(X).badly_scaled           # an all-zero column has no scale


def test_real_raw_wine_data_are_badly_scaled_and_the_builtins_are_not():
    datasets = pytest.importorskip("sklearn.datasets")
    from resnet_lemmas.numerics.data.datasets import scale_diagnosis

    assert "very different scales" in scale_diagnosis(datasets.load_wine().data).problem
    for name in ("diabetes", "breast_cancer+intercept"):
        assert not scale_diagnosis(load_builtin(name).X).badly_scaled


def test_standardise_features_keeps_constant_columns_such_as_an_intercept():
    from resnet_lemmas.numerics.data.datasets import standardise_features

    rng = np.random.default_rng(2)
    X = np.column_stack((rng.normal(5.0, 3.0, size=40), np.ones(40)))
    Z = standardise_features(X)
    np.testing.assert_allclose(Z[:, 0].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, 0].std(), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(Z[:, 1], 1.0)         # the intercept survives
    np.testing.assert_array_equal(X[:, 1], 1.0)         # the input is not modified


def test_the_models_package_imports_first_in_a_fresh_interpreter():
    # models -> data -> instances -> models was a circle that only an earlier import hid (it broke
    # `resnet-lemmas sgd` once the command line stopped importing verify first)
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", "import resnet_lemmas.numerics.models"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-500:]

"""An example of a user's own test file: verify your residual architecture with the pytest plugin.

Run it (from this folder, with resnet-lemmas installed; add ``-p resnet_lemmas.pytest_plugin`` if the
plugin is not registered, e.g. in an older editable install)::

    pytest test_my_architecture.py -v

The data are real (scikit-learn's bundled copies, extra ``real-data``); the torch test is skipped
when torch is not installed.

``verified`` needs at least ``require_minima`` (default 1) starts that end at a *certified* local
minimum, where the theorem is checked.  These units overfit the data: their searches end far below
``F_lin`` before converging, at points that are no certified local minima, which says nothing about
local minima.  The tests below therefore pass ``require_minima=0`` and expect the verdict that says
what such a run shows, ``below linear``; drop it (and raise ``maxiter``) to demand certified minima.
"""
import numpy as np
import pytest

from numpy_unit import TanhBlock, diabetes_unit
from resnet_lemmas.pytest_plugin import assert_no_bad_local_minima


@pytest.mark.resnet_lemmas(loss="squared", restarts=2, seed=0, require_minima=0)
def test_numpy_unit_on_diabetes(no_bad_local_minima, resnet_lemmas_dataset):
    data = resnet_lemmas_dataset("builtin:diabetes")
    report = no_bad_local_minima(diabetes_unit, data.X, data.y)
    # no start reaches a certified local minimum here: the verdict says only that all ended below F_lin
    assert report.verdict == "below linear" and report.certified_minima == 0
    assert all(start.F <= report.F_lin for start in report.starts)   # here every start beats linear


def test_numpy_unit_on_breast_cancer():
    # The helper works without the fixture too: give the data set by name.
    assert_no_bad_local_minima(TanhBlock(d=30, k=4, width=8), data="builtin:breast_cancer",
                               loss="logistic", restarts=2, seed=1, require_minima=0)


def test_torch_unit_on_diabetes(no_bad_local_minima, resnet_lemmas_dataset):
    pytest.importorskip("torch")
    from torch_unit import diabetes_block

    data = resnet_lemmas_dataset("builtin:diabetes", subsample=200, seed=0)
    no_bad_local_minima(diabetes_block, data.X, data.y, loss="squared", restarts=1, maxiter=500,
                        require_minima=0)


def test_plain_function_as_a_unit(no_bad_local_minima):
    # Any function of (X, theta) works once it carries its initial parameters; without a vjp its
    # theta-derivatives are computed numerically.
    def unit(X, theta):
        return np.tanh(X @ theta[:, None])

    unit.theta0 = np.full(3, 0.1)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = np.sin(X[:, 0]) + 0.1 * rng.normal(size=40)
    no_bad_local_minima(unit, X, y, loss="squared", restarts=1, maxiter=200, require_minima=0)

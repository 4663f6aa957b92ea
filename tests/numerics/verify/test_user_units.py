"""Loading and adapting users' residual units (NumPy and PyTorch), and their clear errors."""
from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.derivatives import gradient_check
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.verify.user_units import (NumpyUnit, UnitAttributeError, UnitImportError,
                                               UnitKindError, UnitOutputError, adapt_unit,
                                               check_unit_output, load_object, load_unit, numeric_vjp,
                                               torch_single_threaded)
from resnet_lemmas.proofs.losses import get_loss

UNIT_SOURCE = textwrap.dedent("""
    import numpy as np

    class Lin:
        def __init__(self):
            self.theta0 = np.arange(6, dtype=float) / 10
        def __call__(self, X, theta):
            return X @ theta.reshape(3, 2)

    lin = Lin()
    nested = type("Holder", (), {"inner": lin})()
    number = 3
""")


@pytest.fixture
def unit_dir(tmp_path, monkeypatch):
    """A folder with a user module ``my_units.py``, as the current directory; sys.path restored after."""
    (tmp_path / "my_units.py").write_text(UNIT_SOURCE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "my_units", raising=False)
    yield tmp_path
    sys.modules.pop("my_units", None)


# -- loading ------------------------------------------------------------------------------------------
def test_load_object_imports_a_module_from_the_current_directory(unit_dir):
    obj = load_object("my_units:lin")
    assert obj.theta0.shape == (6,)
    assert load_object("my_units:nested.inner") is obj


def test_load_object_accepts_a_path_to_a_python_file(unit_dir):
    sub = unit_dir / "sub"
    sub.mkdir()
    (sub / "other_units.py").write_text(UNIT_SOURCE)
    unit = load_unit(str(sub / "other_units.py") + ":lin")
    assert isinstance(unit, NumpyUnit) and unit.q == 6
    sys.modules.pop("other_units", None)


def test_missing_module_is_reported_as_not_importable(unit_dir):
    with pytest.raises(UnitImportError, match="no module named 'no_such_units'.*current directory"):
        load_object("no_such_units:lin")
    with pytest.raises(UnitImportError, match="does not exist"):
        load_object("missing/file.py:lin")


def test_module_that_fails_to_import_reports_its_own_error(unit_dir):
    (unit_dir / "broken_units.py").write_text("raise RuntimeError('boom at import')\n")
    (unit_dir / "needy_units.py").write_text("import a_package_that_is_not_installed\n")
    with pytest.raises(UnitImportError, match="RuntimeError: boom at import"):
        load_object("broken_units:x")
    with pytest.raises(UnitImportError, match="needs 'a_package_that_is_not_installed'"):
        load_object("needy_units:x")


def test_missing_attribute_lists_what_the_module_defines(unit_dir):
    with pytest.raises(UnitAttributeError, match="no attribute 'blocc'.*Lin, lin"):
        load_object("my_units:blocc")
    with pytest.raises(UnitAttributeError, match="MODULE:ATTR"):
        load_object("my_units")


def test_attribute_of_the_wrong_kind_is_rejected_with_what_is_expected(unit_dir):
    with pytest.raises(UnitKindError, match="is a int, not a residual unit.*theta0"):
        load_unit("my_units:number")
    with pytest.raises(UnitKindError, match="is a module, not a residual unit"):
        load_unit("my_units:np")

    def no_params(X, theta):
        return X

    with pytest.raises(UnitKindError, match="neither a `theta0`"):
        adapt_unit(no_params)
    no_params.theta0 = np.zeros((2, 2))
    with pytest.raises(UnitKindError, match="must be 1-D"):
        adapt_unit(no_params)


def test_a_class_is_instantiated_and_a_failing_constructor_is_reported(unit_dir):
    assert adapt_unit(load_object("my_units:Lin")).q == 6

    class NeedsArgs:
        def __init__(self, d):
            self.theta0 = np.zeros(d)

    with pytest.raises(UnitKindError, match="instantiating it without arguments failed"):
        adapt_unit(NeedsArgs)


# -- output checks ------------------------------------------------------------------------------------
def _unit(fn, q=2):
    fn.theta0 = np.zeros(q)
    return adapt_unit(fn)


def test_output_of_the_wrong_shape_is_rejected_with_a_hint():
    X = np.ones((5, 3))
    with pytest.raises(UnitOutputError, match=r"returned shape \(5,\) \(for k = 1 return out\[:, None\]\)"):
        check_unit_output(_unit(lambda X, t: X[:, 0]), X)
    with pytest.raises(UnitOutputError, match=r"returned shape \(4, 3\)"):
        check_unit_output(_unit(lambda X, t: X[:4]), X)
    assert check_unit_output(_unit(lambda X, t: X[:, :2]), X) == 2


def test_non_finite_output_is_rejected_with_the_rows():
    def fn(X, theta):
        out = X.copy()
        out[3, 1] = np.nan
        return out

    with pytest.raises(UnitOutputError, match=r"1 NaN/inf entries at theta0 \(rows \[3\]\)"):
        check_unit_output(_unit(fn), np.ones((5, 3)))


def test_a_unit_that_raises_on_the_data_is_reported_with_the_data_shape():
    with pytest.raises(UnitOutputError, match=r"X of shape \(n, d\) = \(5, 3\).*ValueError"):
        check_unit_output(_unit(lambda X, t: X @ np.ones((4, 2))), np.ones((5, 3)))


# -- numeric vjp --------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_numeric_vjp_matches_handwritten_backprop(activation):
    rng = np.random.default_rng(0)
    mlp = MLPUnit(d=4, k=3, widths=(5,), activation=activation)
    X, theta, G = rng.normal(size=(60, 4)), mlp.init(rng), rng.normal(size=(60, 3))
    exact = mlp.vjp(X, theta, G)
    approx, err, nfev = numeric_vjp(mlp, X, theta, G)
    # 1e-8 relative to the gradient's size: the extrapolation's floor is ~1e-13 for tanh (measured
    # 1e-13), and for relu ~1e-10 once the short steps avoid the kinks; 1e-8 leaves room for both.
    assert np.max(np.abs(approx - exact)) <= 1e-8 * (1.0 + np.max(np.abs(exact)))
    assert err < 1e-6
    # cost: at least one 9-point level per coordinate, and it is reported
    assert nfev >= 9 * mlp.n_params


def test_numeric_vjp_gradient_passes_the_derivative_check_and_a_wrong_vjp_fails_it():
    rng = np.random.default_rng(1)
    mlp = MLPUnit(d=3, k=2, widths=(4,), activation="tanh")
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)

    def plain(X, theta):
        return mlp(X, theta)

    plain.theta0 = mlp.init(rng)
    unit = adapt_unit(plain)
    assert unit.vjp_source == "numeric"
    problem = ResNetProblem(unit, X, y, get_loss("squared"))
    w, V = rng.normal(size=3), rng.normal(size=(3, 2))
    assert gradient_check(problem, w, V, plain.theta0, np.random.default_rng(2), blocks=("theta",)).passed
    assert unit.numeric_evaluations > 0

    class Wrong:
        theta0 = plain.theta0

        def __call__(self, X, theta):
            return mlp(X, theta)

        def vjp(self, X, theta, G):
            return 2.0 * mlp.vjp(X, theta, G)      # wrong constant

    bad = ResNetProblem(adapt_unit(Wrong()), X, y, get_loss("squared"))
    assert not gradient_check(bad, w, V, plain.theta0, np.random.default_rng(2), blocks=("theta",)).passed


# -- PyTorch ------------------------------------------------------------------------------------------
def _torch_block(d=3, k=2, width=4):
    torch = pytest.importorskip("torch")

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(d, width)
            self.b = torch.nn.Linear(width, k)
            self.drop = torch.nn.Dropout(0.5)

        def forward(self, x):
            return self.b(self.drop(torch.tanh(self.a(x))))

    torch.manual_seed(0)
    return torch, Block()


def test_torch_module_is_adapted_in_float64_without_touching_the_users_module():
    torch, block = _torch_block()
    unit = adapt_unit(block)
    assert unit.kind == "torch" and unit.q == 3 * 4 + 4 + 4 * 2 + 2
    X = np.random.default_rng(0).normal(size=(7, 3))
    out = unit(X, unit.theta0)
    block.eval()
    with torch.no_grad():
        expected = block.double()(torch.from_numpy(X)).numpy()
    block.float().train()
    # same float64 computation (dropout off in eval mode): equal to rounding, 1e-12
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)
    assert out.dtype == np.float64
    # the adapter worked on a copy: the user's module keeps its dtype and mode
    assert next(block.parameters()).dtype == torch.float32 and block.training


def test_torch_vjp_agrees_with_richardson_extrapolation_and_with_forward():
    _, block = _torch_block()
    unit = adapt_unit(block)
    rng = np.random.default_rng(3)
    X, G = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    theta = unit.init(rng)
    auto = unit.vjp(X, theta, G)
    numeric, _, _ = numeric_vjp(unit, X, theta, G)
    # autograd is exact to rounding; the extrapolation's error is ~1e-12 here: 1e-8 relative is ample
    assert np.max(np.abs(auto - numeric)) <= 1e-8 * (1.0 + np.max(np.abs(auto)))
    out, pullback = unit.forward(X, theta)
    np.testing.assert_array_equal(out, unit(X, theta))
    np.testing.assert_array_equal(pullback(G), auto)
    problem = ResNetProblem(unit, X, rng.normal(size=20), get_loss("squared"))
    assert gradient_check(problem, rng.normal(size=3), rng.normal(size=(3, 2)), theta,
                          np.random.default_rng(4)).passed


def test_torch_init_is_seeded_and_redraws_weights():
    _, block = _torch_block()
    unit = adapt_unit(block)
    a = unit.init(np.random.default_rng(5))
    b = unit.init(np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.shape == unit.theta0.shape and not np.allclose(a, unit.theta0)


def test_torch_module_with_the_wrong_output_is_rejected():
    torch = pytest.importorskip("torch")

    class Pair(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.a(x), x

    class Flat(Pair):
        def forward(self, x):
            return self.a(x)[:, 0]

    X = np.ones((4, 3))
    with pytest.raises(UnitOutputError, match="returned tuple; it must return one tensor"):
        check_unit_output(adapt_unit(Pair()), X)
    with pytest.raises(UnitOutputError, match=r"returned shape \(4,\)"):
        check_unit_output(adapt_unit(Flat()), X)


def test_torch_single_threaded_restores_the_thread_count():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_single_threaded():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_missing_torch_gives_an_install_hint(monkeypatch):
    from resnet_lemmas.numerics.verify import user_units

    monkeypatch.setitem(sys.modules, "torch", None)     # "import torch" now raises ImportError
    with pytest.raises(UnitKindError, match=r"torch is not installed.*torch==2.13.0"):
        user_units._torch()
    assert not user_units.is_torch_module(object())


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_check_vjp_accepts_a_correct_vjp_and_rejects_a_wrong_one(activation):
    from resnet_lemmas.numerics.verify.user_units import check_vjp

    rng = np.random.default_rng(7)
    mlp = MLPUnit(d=3, k=2, widths=(5,), activation=activation)
    X, theta = rng.normal(size=(50, 3)), mlp.init(rng)
    passed, message = check_vjp(adapt_unit(mlp), X, theta, np.random.default_rng(0))
    assert passed, message

    class Transposed:
        theta0 = theta

        def __call__(self, X, theta):
            return mlp(X, theta)

        def vjp(self, X, theta, G):
            return mlp.vjp(X, theta, G)[::-1]      # right numbers, wrong order

    passed, message = check_vjp(adapt_unit(Transposed()), X, theta, np.random.default_rng(0))
    assert not passed and "FAILED" in message

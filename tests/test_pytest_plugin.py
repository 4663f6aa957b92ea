"""The pytest plugin, exercised through real pytest runs (``pytester``) of users' test files."""
from __future__ import annotations

import importlib.metadata
import shutil
import textwrap
from pathlib import Path

import pytest

# The inner runs are in-process (fast); pytester restores sys.modules after each, so compiled
# extensions first imported inside one (NumPy, SciPy, torch, scikit-learn) could not be imported again
# in the next ("cannot load module more than once").  Import them out here, before any inner run;
# the losses module too, so that SymPy and the convexity proofs are not redone in every inner run.
import numpy  # noqa: F401
import resnet_lemmas.numerics.data.synthetic  # noqa: F401
import resnet_lemmas.numerics.data.datasets  # noqa: F401
import resnet_lemmas.numerics.verify.run  # noqa: F401
from resnet_lemmas.proofs.losses import get_loss

try:  # torch, when installed: an inner run that imported it first would leave a half-loaded copy behind,
    import torch  # noqa: F401  (and a later import in this process crashes with "bad call flags")
except ImportError:
    pass

for _name in ("squared", "logistic"):
    get_loss(_name)  # proves convexity once; the proof is cached on the registered Loss object

pytest_plugins = ["pytester"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _plugin_args() -> list[str]:
    """``-p resnet_lemmas.pytest_plugin`` unless the ``pytest11`` entry point already loads it
    (loading it twice under two names would be an error)."""
    for ep in importlib.metadata.entry_points(group="pytest11"):
        if ep.value == "resnet_lemmas.pytest_plugin":
            return []
    return ["-p", "resnet_lemmas.pytest_plugin"]


UNITS = textwrap.dedent("""
    import numpy as np
    from resnet_lemmas.numerics.data.synthetic import regression_data
    from resnet_lemmas.numerics.models.networks import MLPUnit

    X, y = regression_data(np.random.default_rng(0), 40, 3)
    good = MLPUnit(d=3, k=2, widths=(4,), activation="tanh")

    class Zero:                      # f = 0: the search ends at a certified local minimum
        theta0 = np.zeros(1)
        def __call__(self, X, theta):
            return np.zeros((X.shape[0], 1))
        def vjp(self, X, theta, G):
            return np.zeros(1)

    zero = Zero()

    class Flat:
        theta0 = np.zeros(3)
        def __call__(self, X, theta):
            return X @ theta          # shape (n,) instead of (n, k)
""")


#: Plugins the inner runs do not need; hypothesis' would import hypothesis anew in each (1.5 s).
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def _run(pytester, test_source: str, *args):
    pytester.makepyfile(units=UNITS, test_user=textwrap.dedent(test_source))
    return pytester.runpytest(*_plugin_args(), *QUIET, *args)


def test_users_test_passes_when_the_architecture_is_verified(pytester):
    result = _run(pytester, """
        from units import X, y, zero

        def test_arch(no_bad_local_minima):
            report = no_bad_local_minima(zero, X, y, loss="squared", restarts=2)
            assert report.verdict == "verified" and report.certified_minima >= 1
    """)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*resnet-lemmas*",
                                 "verified: test_user.py::test_arch: ? certified local minima, seed 0, 2 starts*"])


def test_no_certified_minimum_fails_the_helper_with_the_counts(pytester):
    """Every start ends below F_lin, none at a certified local minimum: assert_no_bad_local_minima
    fails (require_minima defaults to 1) with a first line that names the counts, and passes with
    require_minima=0, whose verdict says only what was shown ('below linear')."""
    result = _run(pytester, """
        import pytest
        from resnet_lemmas.pytest_plugin import assert_no_bad_local_minima
        from units import X, y, good

        def test_default():
            assert_no_bad_local_minima(good, X, y, restarts=2, maxiter=300)

        def test_waived():
            report = assert_no_bad_local_minima(good, X, y, restarts=2, maxiter=300, require_minima=0)
            assert report.verdict == "below linear" and report.certified_minima == 0

        @pytest.mark.resnet_lemmas(restarts=2, maxiter=300, require_minima=2)
        def test_marker(no_bad_local_minima):
            no_bad_local_minima(good, X, y)
    """)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*AssertionError: resnet-lemmas: too few certified local minima: 0 examined, require_minima = 1 "
        "(2 beats linear of 2 starts)*",
        "*TOO FEW MINIMA: every start ended below F_lin (2 beats linear), but 0 certified local minima "
        "were examined*"])
    result.stdout.fnmatch_lines(["*0 examined, require_minima = 2 (2 beats linear of 2 starts)*",
                                 "NOT verified: test_user.py::test_marker*"])
    assert "no bad local minimum" not in result.stdout.str().lower()


def test_precondition_violation_wrong_output_shape_fails_with_a_clear_report(pytester):
    result = _run(pytester, """
        from units import X, y, Flat

        def test_arch(no_bad_local_minima):
            no_bad_local_minima(Flat(), X, y, loss="squared")
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*PreconditionViolated: resnet-lemmas: precondition violated (residual unit): the unit * must map "
        "X of shape (n, d) = (40, 3) to an array of shape (n, k); it returned shape (40,)*",
        "precondition violated: test_user.py::test_arch*"])


def test_precondition_violation_non_convex_loss_fails_through_the_helper(pytester):
    result = _run(pytester, """
        from resnet_lemmas.pytest_plugin import assert_no_bad_local_minima
        from units import X, y, good

        def test_arch():
            assert_no_bad_local_minima(good, X, y, loss="sigmoid")
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*precondition violated (loss): loss 'sigmoid' is not convex in p*"])


def test_unverified_architecture_fails_with_the_report(pytester):
    result = _run(pytester, """
        from units import X, y, good

        def test_arch(no_bad_local_minima):
            no_bad_local_minima(good, X, y, maxiter=1)     # the search cannot decide in one step
    """)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: resnet-lemmas: verdict 'inconclusive', not verified*",
                                 "*INCONCLUSIVE*", "*raise maxiter*",
                                 "NOT verified: test_user.py::test_arch*"])


def test_marker_sets_fixture_defaults_and_is_registered(pytester):
    result = _run(pytester, """
        import pytest
        from units import X, y, good

        @pytest.mark.resnet_lemmas(seed=7, restarts=1, maxiter=200, require_minima=0)
        def test_arch(no_bad_local_minima):
            report = no_bad_local_minima(good, X, y)
            assert (report.seed, report.restarts) == (7, 1)

        def test_other():
            pass
    """, "--strict-markers", "-m", "resnet_lemmas")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["below linear: test_user.py::test_arch: 0 certified local minima, seed 7, 1 starts*"])


def test_fixture_users_are_marked_and_command_line_options_set_defaults(pytester):
    result = _run(pytester, """
        from units import X, y, good

        def test_arch(no_bad_local_minima):
            report = no_bad_local_minima(good, X, y, maxiter=100, require_minima=0)
            assert (report.seed, report.restarts) == (4, 1)

        def test_other():
            pass
    """, "-m", "resnet_lemmas", "--resnet-lemmas-seed", "4", "--resnet-lemmas-restarts", "1")
    result.assert_outcomes(passed=1, deselected=1)


def test_bad_marker_arguments_are_a_usage_error(pytester):
    result = _run(pytester, """
        import pytest
        from units import X, y, good

        @pytest.mark.resnet_lemmas(restart=2)
        def test_arch(no_bad_local_minima):
            no_bad_local_minima(good, X, y)
    """)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes only the keywords*restart*"])


def test_markers_are_listed(pytester):
    result = pytester.runpytest(*_plugin_args(), *QUIET, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.resnet_lemmas(loss=..., restarts=..., seed=..., maxiter=..., "
                                 "require_minima=...)*"])


def test_the_shipped_example_test_file_passes_on_real_data(pytester):
    """``examples/test_my_architecture.py`` as a user would run it (real data; torch part skipped
    when torch is absent)."""
    pytest.importorskip("sklearn")
    import sklearn.datasets  # noqa: F401  (see the imports at the top of this module)
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    for name in ("numpy_unit.py", "torch_unit.py", "test_my_architecture.py"):
        shutil.copy(EXAMPLES / name, pytester.path / name)
    result = pytester.runpytest(*_plugin_args(), *QUIET)
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("passed", 0) >= 3
    result.stdout.fnmatch_lines(["below linear: test_my_architecture.py::test_numpy_unit_on_diabetes*"])


def test_plugin_import_is_light():
    """pytest loads the plugin in every session of every project where resnet-lemmas is installed: its
    import must not pull in NumPy/SciPy/SymPy/torch (they load when a verification runs)."""
    import subprocess
    import sys

    code = ("import sys, resnet_lemmas.pytest_plugin; "
            "print(sorted(m for m in ('numpy', 'scipy', 'sympy', 'torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

"""``resnet-lemmas verify``: exit status, report, JSON, real data, and precondition errors."""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from resnet_lemmas.cli import main
from resnet_lemmas.numerics.data.synthetic import regression_data

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

UNITS = textwrap.dedent("""
    import numpy as np
    from resnet_lemmas.numerics.models.networks import MLPUnit

    good = MLPUnit(d=3, k=2, widths=(4,), activation="tanh")

    class Flat:
        theta0 = np.zeros(3)
        def __call__(self, X, theta):
            return X @ theta            # shape (n,): not a residual unit's (n, k)

    flat = Flat()

    class Exploding:
        theta0 = np.zeros(1)
        def __call__(self, X, theta):
            return np.full((X.shape[0], 1), np.inf)

    exploding = Exploding()

    class Wide:                          # q = 60 parameters and no vjp: numeric derivatives
        theta0 = np.full(60, 0.01)
        def __call__(self, X, theta):
            return np.tanh(X @ theta.reshape(3, 20))

    wide = Wide()

    class NanBeyondRadius:               # NaN once ||theta|| >= 3; no vjp (numeric derivatives)
        theta0 = np.full(3, 0.1)
        def __call__(self, X, theta):
            with np.errstate(invalid="ignore"):
                return (np.tanh(X @ theta) * np.log(9.0 - theta @ theta))[:, None]

    nan_beyond = NanBeyondRadius()

    class Zero:                          # f = 0: F = E l(w^T x), whose local minimum is the linear
        theta0 = np.zeros(1)             # optimum; the search reaches it and the certificate holds
        def __call__(self, X, theta):
            return np.zeros((X.shape[0], 1))
        def vjp(self, X, theta, G):
            return np.zeros(1)

    zero = Zero()
""")


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A user's folder: a units module, an .npz and a .csv data file; it is the current directory."""
    (tmp_path / "cmd_units.py").write_text(UNITS)
    X, y = regression_data(np.random.default_rng(0), 40, 3)
    np.savez(tmp_path / "data.npz", X=X, y=y)
    rows = "\n".join(",".join(f"{v:.17g}" for v in row) for row in np.column_stack((X, y)))
    (tmp_path / "data.csv").write_text("x1,x2,x3,y\n" + rows + "\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in ("cmd_units", "numpy_unit", "torch_unit"):
        sys.modules.pop(name, None)


def test_verified_unit_exits_zero_and_prints_verdict_margins_and_seed(workdir, capsys):
    """Verified: the start ended at a certified local minimum, where the theorem was checked."""
    status = main(["verify", "--residual", "cmd_units:zero", "--data", "data.npz", "--loss", "squared",
                   "--restarts", "2", "--seed", "3", "--no-progress"])
    out = capsys.readouterr().out
    assert status == 0
    assert "VERIFIED" in out and "seed 3" in out and "F_lin = " in out and "thm margin" in out
    assert "certified local minima: 2 examined, 1 required" in out


def test_no_certified_minimum_is_not_verified_and_exits_one(workdir, capsys):
    """Every start ends below F_lin at a point that is no certified local minimum (the MLP overfits and
    stops before converging): the verdict says exactly that, not "verified", and the exit status is 1;
    with --require-minima 0 the same run passes as 'below linear', and asking for more minima than
    starts is refused."""
    args = ["verify", "--residual", "cmd_units:good", "--data", "data.npz", "--loss", "squared",
            "--restarts", "2", "--seed", "3", "--maxiter", "300", "--no-progress", "--json"]
    assert main(args) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "too few minima" and not payload["ok"]
    assert payload["certified_minima"] == payload["counts"]["local minimum"] == 0
    assert payload["require_minima"] == 1 and payload["counts"]["beats linear"] == 2
    assert "0 certified local minima were examined, fewer than require_minima = 1" in payload["summary"]
    assert "no bad local minimum" not in payload["summary"]
    assert "--require-minima 0" in payload["advice"]
    assert main(args + ["--require-minima", "0"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["verdict"] == "below linear" and payload["ok"] and payload["require_minima"] == 0
    assert "says nothing about local minima" in payload["summary"]
    assert main(args + ["--require-minima", "3"]) == 2
    assert "require_minima must be an integer from 0 to restarts = 2" in capsys.readouterr().err


def test_progress_bar_goes_to_stderr_also_with_json(workdir, capsys):
    args = ["verify", "--residual", "cmd_units:good", "--data", "data.npz", "--loss", "squared",
            "--restarts", "2", "--maxiter", "50"]
    main(args)
    assert "verify: 100%" in capsys.readouterr().err        # tqdm's bar, completed
    main(args + ["--json"])
    out, err = capsys.readouterr()
    assert "verify: 100%" in err and json.loads(out)["restarts"] == 2   # stdout: the JSON alone
    main(args + ["--json", "--no-progress"])
    assert "verify:" not in capsys.readouterr().err


def test_json_and_output_file_carry_the_same_report(workdir, capsys):
    status = main(["verify", "--residual", "cmd_units:zero", "--data", "data.csv", "--loss", "squared",
                   "--restarts", "1", "--json", "--output", "out/report.json"])
    payload = json.loads(capsys.readouterr().out)
    saved = json.loads((workdir / "out" / "report.json").read_text())
    assert status == 0 and payload == saved
    assert payload["verdict"] == "verified" and payload["seed"] == 0 and payload["n"] == 40
    assert payload["certified_minima"] == 1 and payload["starts"][0]["status"] == "local minimum"
    assert payload["starts"][0]["bound_margin"] >= 0


def test_unit_without_vjp_gets_a_note_about_the_cost_of_numeric_derivatives(workdir, capsys):
    status = main(["verify", "--residual", "cmd_units:wide", "--data", "data.npz", "--loss", "squared",
                   "--restarts", "1", "--maxiter", "2", "--no-progress"])
    captured = capsys.readouterr()
    assert status in (0, 1)     # two iterations may or may not beat linear; the note is the point
    assert "note: cmd_units:wide has no vjp" in captured.err and "660 unit calls" in captured.err
    assert "no vjp: theta-derivatives by Richardson extrapolation" in captured.out


def test_inconclusive_search_exits_one(workdir, capsys):
    status = main(["verify", "--residual", "cmd_units:good", "--data", "data.npz", "--loss", "squared",
                   "--restarts", "1", "--maxiter", "1", "--no-progress"])
    assert status == 1
    assert "INCONCLUSIVE" in capsys.readouterr().out


@pytest.mark.parametrize("args, expected", [
    (["--residual", "no_such_module:x"], "(residual unit): no module named 'no_such_module'"),
    (["--residual", "cmd_units:nothing"], "(residual unit): module 'cmd_units' has no attribute 'nothing'"),
    (["--residual", "cmd_units:np"], "is a module, not a residual unit"),
    (["--residual", "cmd_units:flat"], "returned shape (40,)"),
    (["--residual", "cmd_units:exploding"], "NaN/inf entries"),
    (["--loss", "sigmoid"], "(loss): loss 'sigmoid' is not convex"),
    (["--loss", "hinge"], "not accepted as a smooth real loss"),
    (["--loss", "l1"], "unknown loss 'l1'"),
    (["--loss", "logistic"], "labels must be -1/+1; found 40 other value(s)"),
    (["--data", "missing.npz"], "(data): data file 'missing.npz' does not exist"),
    (["--data", "bad.csv"], "(data): bad.csv: line 3, x2: 'n/a' is not a number"),
    (["--data", "nan.csv"], "y has 1 NaN/inf entries"),
    (["--data", "short.csv"], "line 2 has 2 columns, expected 3"),
])
def test_precondition_errors_exit_two_with_a_clear_message(workdir, capsys, args, expected):
    (workdir / "bad.csv").write_text("x1,x2,y\n1,2,3\n4,n/a,6\n")
    (workdir / "nan.csv").write_text("x1,x2,y\n1,2,3\n4,5,NaN\n")
    (workdir / "short.csv").write_text("1,2,3\n4,5\n")
    base = {"--residual": "cmd_units:good", "--data": "data.npz", "--loss": "squared"}
    base.update(dict(zip(args[::2], args[1::2])))
    status = main(["verify", *[x for kv in base.items() for x in kv], "--no-progress"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("resnet-lemmas verify: error: precondition violated") and expected in err
    assert err.count("\n") == 1


def test_numpy_example_unit_on_real_diabetes_data_from_the_examples_folder(workdir, capsys):
    pytest.importorskip("sklearn")
    status = main(["verify", "--residual", f"{EXAMPLES / 'numpy_unit.py'}:diabetes_unit",
                   "--data", "builtin:diabetes", "--loss", "squared", "--restarts", "1",
                   "--maxiter", "300", "--require-minima", "0", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 0 and payload["data"] == "diabetes" and payload["n"] == 442
    # 300 iterations reach no certified local minimum: ending below F_lin is all this run shows
    assert payload["verdict"] == "below linear" and payload["certified_minima"] == 0
    assert payload["starts"][0]["F"] < payload["F_lin"]          # beats the best linear predictor
    assert "load_diabetes" in payload["data_description"]


def test_small_example_unit_is_polished_to_certified_minima_and_verified(workdir, capsys):
    """examples/numpy_unit.py:diabetes_sin_unit (q = 11, N = 31 <= POLISH_MAX_PARAMS): each start's
    L-BFGS-B run stops before the certificate's relative 1e-9 (measured: 373-431 iterations, 'relative
    reduction'), the polish's Newton step takes it there, and the default --require-minima 1 passes."""
    pytest.importorskip("sklearn")
    status = main(["verify", "--residual", f"{EXAMPLES / 'numpy_unit.py'}:diabetes_sin_unit",
                   "--data", "builtin:diabetes", "--loss", "squared", "--restarts", "2", "--no-progress",
                   "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 0 and payload["verdict"] == "verified" and payload["ok"]
    assert payload["certified_minima"] == 2 and payload["settings"]["polish"] is True
    for start in payload["starts"]:
        assert start["status"] == "local minimum" and "Newton steps" in start["polish"]
        assert start["violations"] == 0 and start["claims_margin"] >= 0


def test_torch_example_unit_on_real_breast_cancer_data(workdir, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    status = main(["verify", "--residual", f"{EXAMPLES / 'torch_unit.py'}:cancer_block",
                   "--data", "builtin:breast_cancer", "--loss", "logistic", "--restarts", "1",
                   "--maxiter", "200", "--require-minima", "0", "--json"])
    payload = json.loads(capsys.readouterr().out)
    # all 569 rows are not linearly separable: F_lin is attained and the start ends below it, at no
    # certified local minimum (the network separates the data and F falls towards 0)
    assert status == 0 and payload["verdict"] == "below linear" and "PyTorch" in payload["unit"]
    assert payload["starts"][0]["status"] == "beats linear" and payload["linear_attained"]


def test_a_subsample_that_is_separable_is_inconclusive_and_says_why(workdir, capsys):
    """200 of the rows are linearly separable: F_lin = 0 is not attained, no finite point is a local
    minimum, and a start that merely approaches 0 is not counted as verified."""
    pytest.importorskip("sklearn")
    status = main(["verify", "--residual", f"{EXAMPLES / 'numpy_unit.py'}:cancer_unit",
                   "--data", "builtin:breast_cancer", "--loss", "logistic", "--restarts", "1",
                   "--subsample", "200", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 1 and payload["verdict"] == "inconclusive" and not payload["linear_attained"]
    assert payload["n"] == 200 and "seed 0" in payload["data"]
    assert "no certified local minimum" in payload["starts"][0]["message"]


def test_nan_during_the_search_is_named_with_the_theta_norm(workdir, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    np.savez(workdir / "sign.npz", X=X, y=np.sign(X[:, 0]))
    status = main(["verify", "--residual", "cmd_units:nan_beyond", "--data", "sign.npz", "--loss",
                   "squared", "--restarts", "2", "--no-progress"])
    out, err = capsys.readouterr()
    assert "Tolerances and step parameters" not in out + err
    assert status in (0, 1)          # the verdict is the search's; the diagnosis is the point
    assert "diagnosis: start" in out and "the unit returned NaN/inf" in out and "||theta|| = 3." in out


def test_unscaled_real_data_are_diagnosed_and_standardize_is_offered(workdir, capsys):
    datasets = pytest.importorskip("sklearn.datasets")
    wine = datasets.load_wine()
    y = np.where(wine.target == 1, 1.0, -1.0)
    np.savetxt(workdir / "wine.csv", np.column_stack((wine.data, y)), delimiter=",")
    (workdir / "wine_units.py").write_text(
        "from resnet_lemmas.numerics.models.networks import MLPUnit\n"
        "unit = MLPUnit(d=13, k=2, widths=(4,), activation='tanh')\n")
    # squared loss: F_lin is attained (under logistic loss the standardised classes are separable, no
    # local minimum exists, and the honest verdict is inconclusive whatever the scaling)
    args = ["verify", "--residual", "wine_units:unit", "--data", "wine.csv", "--loss", "squared",
            "--restarts", "2", "--maxiter", "300", "--no-progress"]
    assert main(args) == 1
    out, err = capsys.readouterr()
    assert err.startswith("note: the columns of X are on very different scales")   # before the search
    assert "INCONCLUSIVE" in out and "advice: rerun with --standardize" in out
    assert main(args + ["--standardize", "--require-minima", "0"]) == 0
    out = capsys.readouterr().out
    assert "BELOW LINEAR" in out and "(X standardised)" in out and "diagnosis:" not in out
    sys.modules.pop("wine_units", None)


def test_a_long_run_is_refused_unless_confirmed_and_json_says_why(workdir, capsys, monkeypatch):
    from resnet_lemmas.numerics.verify import run as verify_run

    monkeypatch.setattr(verify_run, "LONG_RUN_SECONDS", 1e-9)   # every run is "long" now
    args = ["verify", "--residual", "cmd_units:good", "--data", "data.npz", "--loss", "squared",
            "--restarts", "2", "--maxiter", "50", "--no-progress"]
    assert main(args + ["--json"]) == 2
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert payload["status"] == "refused" and payload["reason"] == "resources"
    assert payload["estimate_seconds"] > 0 and "confirm with --yes" in payload["error"]
    assert main(args + ["--yes", "--require-minima", "0"]) == 0


@pytest.mark.parametrize("args, reason", [(["--data", "missing.npz"], "precondition (data)"),
                                          (["--loss", "hinge"], "precondition (loss)"),
                                          (["--residual", "cmd_units:flat"], "precondition (residual unit)")])
def test_under_json_a_failed_precondition_is_one_json_object(workdir, capsys, args, reason):
    base = {"--residual": "cmd_units:good", "--data": "data.npz", "--loss": "squared"}
    base.update(dict(zip(args[::2], args[1::2])))
    status = main(["verify", *[x for kv in base.items() for x in kv], "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert status == 2 and payload["reason"] == reason and payload["verdict"] == "precondition violated"


def test_zero_one_labels_for_logistic_are_named_with_the_map(workdir, capsys):
    X, y = regression_data(np.random.default_rng(0), 40, 3)
    np.savez(workdir / "labels01.npz", X=X, y=(y > 0).astype(float))
    assert main(["verify", "--residual", "cmd_units:good", "--data", "labels01.npz", "--loss",
                 "logistic"]) == 2
    err = capsys.readouterr().err
    assert "labels must be -1/+1; found 0/1 labels" in err and "map them with 2y-1" in err


def test_an_output_that_fails_at_the_end_keeps_the_report(workdir, capsys, monkeypatch):
    from resnet_lemmas import reports

    real = reports.write_bytes_atomic

    def full_disk(path, data):
        if Path(path).name == "report.json":
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(reports, "write_bytes_atomic", full_disk)
    status = main(["verify", "--residual", "cmd_units:zero", "--data", "data.npz", "--loss", "squared",
                   "--restarts", "1", "--output", "report.json", "--no-progress"])
    out, err = capsys.readouterr()
    assert status == 1 and "VERIFIED" in out                   # the report still printed
    fallback = Path(err.split("saved it to ")[1].split(" instead")[0])
    assert json.loads(fallback.read_text())["verdict"] == "verified"
    fallback.unlink()

"""``resnet-lemmas`` as a user meets it when something is wrong: refusals before any work, one JSON
object under ``--json`` whatever happens, and a clean stop on SIGTERM (as on Ctrl-C)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnet_lemmas.cli import main

#: every command's entry into real work: a refusal must come before any of them is called
WORK = ["resnet_lemmas.check.run_check", "resnet_lemmas.numerics.solvers.sgd.run_campaign",
        "resnet_lemmas.numerics.verify.run.verify", "resnet_lemmas.latex.document.build_records"]


@pytest.fixture
def no_work(monkeypatch):
    """Make every command's real work fail loudly, so a test sees when a refusal came too late."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the command started working before refusing its arguments")

    for target in WORK:
        monkeypatch.setattr(target, forbidden)


@pytest.fixture
def places(tmp_path):
    """A folder, a file standing where a folder should be, and the paths built from them."""
    blocker = tmp_path / "blocker.txt"
    blocker.write_text("not a folder")
    return {"DIR": str(tmp_path), "UNDER_FILE": str(blocker / "out"), "OK": str(tmp_path / "ok")}


VERIFY = ["verify", "--residual", "m:u", "--data", "d.npz", "--loss", "squared"]
#: (command line, words the one-line error must contain); DIR/UNDER_FILE/OK are filled in per test
REFUSED = [
    (["check", "--seed", "-1"], "argument --seed: must be an integer >= 0"),
    (["check", "--instances", "0"], "argument --instances: must be a positive integer"),
    (["check", "--output", "DIR"], "argument --output: DIR is a folder"),
    (["check", "--output", "UNDER_FILE/report.json"], "argument --output: DIR/blocker.txt is a file"),
    (["check", "--only", "no_such_lemma"], "--only no_such_lemma: unknown lemma"),
    (["sgd", "--seed", "-1"], "argument --seed: must be an integer >= 0"),
    (["sgd", "--plot", "OK.jpg"], "argument --plot: DIR/ok.jpg: the plot must end in .png, .pdf or .svg"),
    (["sgd", "--plot", "UNDER_FILE/sgd.png"], "argument --plot: DIR/blocker.txt is a file"),
    (["sgd", "--output", "DIR"], "argument --output: DIR is a folder"),
    (["sgd", "--seeds", "1"], "argument --seeds: must be an integer >= 2"),
    (["sgd", "--contrast-steps", "-1"], "argument --contrast-steps: must be an integer >= 0"),
    (["sgd", "--radius", "0"], "argument --radius: must be a number > 0"),
    (["sgd", "--plot", "OK.png", "--output", "OK.png"], "--plot and --output name the same file"),
    (VERIFY + ["--seed", "-3"], "argument --seed: must be an integer >= 0"),
    (VERIFY + ["--restarts", "100000000"], "argument --restarts: must be an integer from 1 to 100,000"),
    (VERIFY + ["--gtol", "0"], "argument --gtol: must be a number > 0"),
    (VERIFY + ["--subsample", "1"], "argument --subsample: must be an integer >= 2"),
    (VERIFY + ["--output", "DIR"], "argument --output: DIR is a folder"),
    (["latex", "--seed", "-1"], "argument --seed: must be an integer >= 0"),
    (["latex", "-o", "OK.pdf"], "argument -o/--output: DIR/ok.pdf: the document must end in .tex"),
    (["latex", "-o", "UNDER_FILE/d.tex"], "argument -o/--output: DIR/blocker.txt is a file"),
    (["latex", "--pdf"], "--pdf needs -o FILE.tex"),
    (["latex", "--instances", "0"], "argument --instances: must be a positive integer"),
]


def _fill(items, places):
    out = []
    for item in items:
        for key in ("UNDER_FILE", "DIR", "OK"):
            item = item.replace(key, places[key])
        out.append(item)
    return out


@pytest.mark.parametrize("argv, expected", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_bad_arguments_are_refused_in_one_line_before_any_work(argv, expected, places, no_work, capsys):
    status = main(_fill(argv, places))
    out, err = capsys.readouterr()
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"resnet-lemmas {argv[0]}: error: ")
    assert _fill([expected], places)[0] in err


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_a_bad_jobs_variable_is_refused_before_any_lemma_runs(value, monkeypatch, no_work, capsys):
    monkeypatch.setenv("RESNET_LEMMAS_JOBS", value)
    assert main(["check", "--only", "zero_w_case"]) == 2
    err = capsys.readouterr().err
    assert f"RESNET_LEMMAS_JOBS='{value}': must be a positive integer" in err
    assert "unset it" in err


def test_the_jobs_variable_does_not_matter_when_no_witness_runs(monkeypatch, capsys):
    monkeypatch.setenv("RESNET_LEMMAS_JOBS", "abc")
    assert main(["latex", "--no-numeric", "--only", "residual_gradients", "--no-progress"]) == 0
    assert capsys.readouterr().out.startswith(r"\documentclass")


@pytest.mark.parametrize("argv", [["check", "--seed", "-1"], ["check", "--only", "nope"],
                                  ["sgd", "--seeds", "1"], VERIFY + ["--seed", "-3"],
                                  VERIFY + ["--restarts", "0"]])
def test_under_json_a_refusal_is_exactly_one_json_object_on_stdout(argv, no_work, capsys):
    status = main(argv + ["--json"])
    out, err = capsys.readouterr()
    payload = json.loads(out)                       # the whole of stdout is one object
    assert status == 2 and payload["status"] == "refused" and payload["exit_status"] == 2
    assert payload["command"] == argv[0] and payload["error"] in err


# -- SIGTERM ----------------------------------------------------------------------------------------
def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_check_ends_every_worker_and_leaves_no_files(signum, tmp_path):
    env = dict(os.environ, RESNET_LEMMAS_JOBS="2")   # joblib/loky workers even on one core
    proc = subprocess.Popen(
        [sys.executable, "-m", "resnet_lemmas.cli", "check", "--only", "local_minima_beat_linear",
         "--output", str(tmp_path / "out" / "report.json"), "--no-progress"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            seen |= _descendants(proc.pid)
            workers = [p for p in seen if _alive(p) and "LokyProcess" in
                       Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
            if len(workers) >= 1:
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"no worker process appeared (exit {proc.returncode})")
        time.sleep(1.0)                               # let the workers take instances
        seen |= _descendants(proc.pid)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, err
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    assert f"interrupted ({name}); stopped cleanly" in err and "Traceback" not in err
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(p) for p in seen):
        time.sleep(0.2)
    assert not [p for p in seen if _alive(p)], "worker processes or resource trackers outlived check"
    assert list(tmp_path.rglob("*")) == []            # no report, no temporary file
    assert not list(Path("/dev/shm").glob(f"joblib_memmapping_folder_{proc.pid}_*"))


def test_sigterm_during_sgd_leaves_no_partial_output(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "resnet_lemmas.cli", "sgd", "--steps", "100000", "--seeds", "4",
         "--output", str(tmp_path / "sgd.json"), "--json"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4.0)          # imports, population, F_lin, then SGD steps (minutes in total)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert json.loads(out) == {"command": "sgd", "status": "interrupted", "signal": "SIGTERM",
                               "exit_status": 143}
    assert list(tmp_path.iterdir()) == []


def test_under_json_even_an_internal_error_is_one_json_object(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("resnet_lemmas.check.run_check", broken)
    assert main(["check", "--only", "zero_w_case", "--json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {"command": "check", "status": "error", "error": "RuntimeError: a bug",
                               "exit_status": 1}
    assert "Traceback" in err
    with pytest.raises(RuntimeError):            # without --json a bug keeps its traceback
        main(["check", "--only", "zero_w_case"])


def test_a_missing_check_report_is_refused_before_any_proof(tmp_path, no_work, capsys):
    assert main(["latex", "--report", str(tmp_path / "none.json"), "-o", str(tmp_path / "d.tex")]) == 2
    err = capsys.readouterr().err
    assert "--report: cannot read check report" in err and err.count("\n") == 1

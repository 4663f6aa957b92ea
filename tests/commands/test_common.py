"""The shared argument types, output checks and fallback writer of the subcommands."""
import argparse
import os
import subprocess
import sys

import pytest

from resnet_lemmas import reports
from resnet_lemmas.commands import _common
from resnet_lemmas.commands._common import (Refused, distinct_outputs, output_file, positive_float,
                                            save_output, seed, writable_path_problem)


@pytest.mark.parametrize("text, message", [("-1", "must be an integer >= 0"), ("x", "is not an integer"),
                                           ("1.5", "is not an integer")])
def test_seed_refuses_what_numpy_seedsequence_cannot_take(text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        seed(text)
    assert seed("0") == 0 and seed("123") == 123


@pytest.mark.parametrize("text", ["0", "-2", "nan", "inf", "abc"])
def test_positive_float_refuses_zero_negative_and_nonfinite(text):
    with pytest.raises(argparse.ArgumentTypeError):
        positive_float(text)


def test_a_folder_is_not_an_output_file(tmp_path):
    assert "is a folder" in writable_path_problem(tmp_path)
    with pytest.raises(argparse.ArgumentTypeError, match="is a folder; give a file name"):
        output_file("--output")(str(tmp_path))


def test_a_file_cannot_be_a_parent_folder(tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    problem = writable_path_problem(blocker / "sub" / "report.json")
    assert problem.startswith(f"{blocker} is a file, not a folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert "cannot write in the folder" in writable_path_problem(locked / "report.json")
    finally:
        locked.chmod(0o700)


def test_missing_folders_below_a_writable_one_are_accepted_and_the_probe_leaves_nothing(tmp_path):
    assert writable_path_problem(tmp_path / "new" / "deeper" / "report.json") == ""
    assert list(tmp_path.iterdir()) == []           # nothing created by the check itself


def test_the_extension_must_be_one_the_command_writes(tmp_path):
    parse = output_file("--plot", (".png", ".pdf", ".svg"), "the plot")
    with pytest.raises(argparse.ArgumentTypeError, match=r"must end in \.png, \.pdf or \.svg \(\.jpg given\)"):
        parse(str(tmp_path / "figure.jpg"))
    assert parse(str(tmp_path / "figure.SVG")) == str(tmp_path / "figure.SVG")


def test_two_flags_on_one_file_are_refused(tmp_path):
    target = str(tmp_path / "same.json")
    with pytest.raises(Refused, match="--plot and --output name the same file"):
        distinct_outputs(**{"--plot": target, "--output": target})
    distinct_outputs(**{"--plot": str(tmp_path / "a.png"), "--output": target})


def test_save_output_says_what_it_wrote(tmp_path, capsys):
    path, ok = save_output("check", "--output", str(tmp_path / "r.json"), "{}\n")
    assert ok and path.read_text() == "{}\n"
    assert capsys.readouterr().err == f"wrote {tmp_path / 'r.json'}\n"


def test_a_failed_final_write_goes_to_a_named_fallback_file(tmp_path, capsys, monkeypatch):
    real = reports.write_bytes_atomic

    def refuse_the_requested_path(path, data):
        if str(path) == str(tmp_path / "r.json"):
            raise PermissionError(13, "Permission denied")
        return real(path, data)

    monkeypatch.setattr(reports, "write_bytes_atomic", refuse_the_requested_path)
    path, ok = save_output("check", "--output", str(tmp_path / "r.json"), b"payload")
    err = capsys.readouterr().err
    try:
        assert not ok and path.read_bytes() == b"payload"
        assert path.name.startswith("resnet-lemmas-check-") and path.suffix == ".json"
        assert f"could not write --output {tmp_path / 'r.json'} (PermissionError: Permission denied)" in err
        assert f"saved it to {path} instead" in err
    finally:
        path.unlink()


def test_jobs_environment_is_checked_by_the_harness_rule(monkeypatch):
    for bad in ("abc", "0", "-1", "1.5"):
        monkeypatch.setenv("RESNET_LEMMAS_JOBS", bad)
        with pytest.raises(Refused, match=f"RESNET_LEMMAS_JOBS='{bad}': must be a positive integer"):
            _common.check_jobs_environment()
    monkeypatch.setenv("RESNET_LEMMAS_JOBS", "2")
    _common.check_jobs_environment()


def test_unknown_lemma_names_are_refused_with_the_list():
    assert "local_minima_beat_linear" in _common.lemma_module_names()
    with pytest.raises(Refused, match="unknown lemma 'nope'; registered lemmas: .*zero_w_case"):
        _common.check_lemma_names(["zero_w_case", "nope"])


def test_refusals_do_not_import_the_heavy_libraries():
    # a refusal must come within a second: building the parser and checking names may not import
    # SymPy, SciPy or torch (measured by benchmarks/refusal_timing.py)
    code = ("import sys\nfrom resnet_lemmas.cli import main\n"
            "assert main(['check', '--only', 'nope']) == 2\n"
            "assert main(['verify', '--residual', 'm:u', '--data', 'd.npz', '--loss', 'squared', "
            "'--restarts', '0']) == 2\n"
            "print(sorted(m for m in ('sympy', 'scipy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""Every command shown in README.md and docs/*.md runs as written.

The commands are the lines of the fenced ``bash``/``sh`` blocks and the ``$ `` lines of ``console``
blocks.  Each document's commands run in order, with ``bash``, in a fresh copy of the repository
(so files they write, even ``docs/derivations.tex``, never touch the work tree), after the document's
``python`` blocks that start with ``# NAME.py`` have been written there as files (``my_units.py``).
A command must exit 0; for a ``console`` block the first line it prints must match the one shown
(numbers aside).  Long commands (a full ``check``, ``latex`` with witnesses or ``--pdf``, ``sgd`` with
its default horizons, ``verify`` on real data, the example test file) run under ``pytest -m slow``;
``--pdf`` needs pdflatex.  Three kinds are checked without being run, each for a stated reason:

- ``pip install ...``: installing would change the environment under test; every argument must be
  ``.`` or ``.[extras]`` with extras that ``setup.cfg`` declares, or a valid requirement;
- ``apt-get install ...``: needs root and the network; every package must be known to ``apt-cache``
  (skipped where there is no apt);
- ``pytest`` and ``pytest -m slow`` over the whole suite: CI runs exactly these (``.ci/run``), and
  running them here would run this test inside itself; here they are collected (``--collect-only``).
"""
from __future__ import annotations

import ast
import configparser
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```", re.S | re.M)
SHELLS = ("bash", "sh", "shell")
#: the whole-suite pytest commands that .ci/run runs itself (collected here, see the docstring)
WHOLE_SUITE = ("pytest", "pytest -m slow")
#: seconds one documented command may take here (the full check and the PDF take minutes)
COMMAND_TIMEOUT = 1800
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@dataclass(frozen=True)
class Command:
    document: str
    line: int
    text: str
    shown_first_line: str = ""      # console blocks: the first output line shown

    @property
    def id(self) -> str:
        return f"{self.document}:{self.line}: {self.text[:70]}"


def _blocks(path: Path):
    text = path.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2
        yield match.group("lang"), match.group("body"), line


def commands(path: Path) -> list[Command]:
    """The commands a reader of ``path`` would type, in order."""
    found = []
    for lang, body, first in _blocks(path):
        lines = body.splitlines()
        if lang in SHELLS:
            pending, start = "", None
            for offset, raw in enumerate(lines):
                stripped = raw.strip()
                if not pending and (not stripped or stripped.startswith("#")):
                    continue
                start = first + offset if start is None else start
                if stripped.endswith("\\"):
                    pending += stripped[:-1] + " "
                    continue
                found.append(Command(path.name, start, pending + stripped))
                pending, start = "", None
        elif lang == "console":
            for offset, raw in enumerate(lines):
                if raw.startswith("$ "):
                    shown = lines[offset + 1] if offset + 1 < len(lines) else ""
                    found.append(Command(path.name, first + offset, raw[2:].strip(),
                                         "" if shown.startswith("$ ") else shown))
    return found


def files(path: Path) -> dict[str, str]:
    """The document's python blocks that name their file on their first line (``# my_units.py``)."""
    out = {}
    for lang, body, _ in _blocks(path):
        first = body.splitlines()[0] if body.strip() else ""
        match = re.fullmatch(r"#\s*([\w/]+\.py)\s*", first)
        if lang == "python" and match:
            out[match.group(1)] = body
    return out


def _without_comment(command: str) -> str:
    """The command without a trailing ``# comment`` (outside quotes)."""
    return " ".join(shlex.split(command, comments=True)) if "#" in command else command


def is_long(command: str) -> bool:
    """Whether a documented command takes more than a second or two (it then runs under -m slow):
    every command but listing, ``--help``, writing a small file with ``python -c``, and the static
    ``pip install`` check.  Measured here: ``check --only zero_w_case`` 6 s, ``latex --no-numeric``
    24 s, ``sgd --steps 100 1000 --seeds 5`` 5 s, a full ``check`` minutes."""
    words = shlex.split(command, comments=True)
    quick = ({"--list", "--help", "--version"} & set(words)
             or words[:2] == ["python", "-c"]
             or (words[:2] == ["pip", "install"] and "&&" not in words))
    return not quick


ALL = [c for doc in DOCUMENTS for c in commands(doc)]


def _first_occurrences(found: list[Command]) -> tuple[list[Command], dict[str, str]]:
    """Each distinct command once (the same command shown in two places runs once: a full ``check``
    takes minutes), and where every repetition was run.  Commands are the same when they run the
    same thing (``pip install . && resnet-lemmas check`` runs ``resnet-lemmas check``)."""
    first: dict[str, Command] = {}
    repeated = {}
    for command in found:
        parts = [part.strip() for part in _without_comment(command.text).split("&&")]
        executed = [part for part in parts if not part.startswith(("pip install", "apt-get install"))]
        key = " && ".join(executed or parts) + "\n" + command.shown_first_line
        if key in first:
            repeated[command.id] = first[key].id
        else:
            first[key] = command
    return list(first.values()), repeated


UNIQUE, REPEATED = _first_occurrences(ALL)


def _marks(command: Command):
    return [pytest.mark.slow] if is_long(command.text) else []


# -- what is checked without running --------------------------------------------------------------
def _extras() -> set[str]:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    return set(config["options.extras_require"])


def check_pip(arguments: list[str]) -> None:
    from packaging.requirements import Requirement

    for argument in arguments:
        if argument.startswith("-"):
            raise AssertionError(f"unexpected pip option {argument!r} in the docs")
        match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", argument)
        if match:
            unknown = set((match.group(1) or "").split(",")) - _extras() - {""}
            assert not unknown, f"setup.cfg declares no extra {sorted(unknown)}"
        else:
            Requirement(argument)   # raises InvalidRequirement


def check_apt(packages: list[str]) -> None:
    if shutil.which("apt-cache") is None:
        pytest.skip("no apt-cache on this machine")
    for package in packages:
        result = subprocess.run(["apt-cache", "show", package], capture_output=True, text=True)
        if result.returncode != 0 and "No packages found" not in result.stderr + result.stdout:
            pytest.skip(f"apt-cache cannot answer here: {result.stderr.strip()[:100]}")
        assert result.returncode == 0 and result.stdout.strip(), f"apt knows no package {package!r}"


# -- running ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def workdirs(tmp_path_factory):
    """One copy of the repository per document (its commands share it, in order)."""
    made = {}

    def get(document: str) -> tuple[Path, set]:
        if document not in made:
            target = tmp_path_factory.mktemp(document.replace(".", "_")) / "repo"
            shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(
                ".git", "__pycache__", "*.egg-info", ".pytest_cache", "build", "dist"))
            for name, body in files(next(d for d in DOCUMENTS if d.name == document)).items():
                (target / name).write_text(body, encoding="utf-8")
            made[document] = (target, set())
        return made[document]

    return get


def _environment() -> dict:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    env.pop("RESNET_LEMMAS_JOBS", None)
    return env


def run_documented(command: Command, workdir: Path) -> None:
    text = _without_comment(command.text)
    parts = [p.strip() for p in text.split("&&")]
    to_run = []
    for part in parts:
        words = shlex.split(part)
        if words[:2] == ["pip", "install"]:
            check_pip(words[2:])
        elif words[:2] == ["apt-get", "install"]:
            check_apt([w for w in words[2:] if not w.startswith("-")])
        elif part in WHOLE_SUITE:
            to_run.append(part + " --collect-only -q")
        else:
            to_run.append(part)
    if not to_run:
        return
    if "--pdf" in text and shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (Debian: texlive-latex-base texlive-latex-recommended "
                    "texlive-latex-extra)")
    result = subprocess.run(["bash", "-c", " && ".join(to_run)], cwd=workdir, env=_environment(),
                            capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                            stdin=subprocess.DEVNULL)
    tail = (result.stdout[-1500:] + "\n--- stderr ---\n" + result.stderr[-1500:])
    expected = expected_exit(command.text)
    assert result.returncode == expected, f"{command.id} exited {result.returncode}, not {expected}:\n{tail}"
    if command.shown_first_line:
        first = result.stdout.splitlines()[0] if result.stdout else ""
        assert _NUMBER.sub("#", first) == _NUMBER.sub("#", command.shown_first_line), \
            f"{command.id}: the docs show\n  {command.shown_first_line}\nbut it printed\n  {first}"


def expected_exit(command: str) -> int:
    """The exit status a documented command must end with: 0, unless the docs say otherwise with a
    trailing comment ``# exits N`` (a command shown to illustrate a refusal or an inconclusive run)."""
    match = re.search(r"#\s*exits\s+(\d+)\b", command)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("command", [pytest.param(c, marks=_marks(c), id=c.id) for c in UNIQUE])
def test_documented_command_runs_as_written(command, workdirs):
    workdir, done = workdirs(command.document)
    # the quick commands shown before it in the same document run first (under -m slow they are
    # not selected, yet a command may use what they made: verify.md's mydata.csv)
    for earlier in (c for c in ALL if c.document == command.document):
        if earlier.line >= command.line:
            break
        if earlier.id not in done and not is_long(earlier.text):
            run_documented(earlier, workdir)
            done.add(earlier.id)
    run_documented(command, workdir)
    done.add(command.id)


# -- the extraction itself ----------------------------------------------------------------------------
def test_the_docs_show_commands_and_no_placeholders():
    assert len(ALL) >= 30
    for command in ALL:
        assert "..." not in command.text and "<" not in command.text, command.id
    texts = [c.text for c in ALL]
    assert any(t.startswith("resnet-lemmas check") and "--only" not in t for t in texts)
    assert any("latex --pdf" in t for t in texts)


def test_a_repeated_command_runs_once_and_says_where():
    assert len(UNIQUE) + len(REPEATED) == len(ALL)
    unique_ids = {c.id for c in UNIQUE}
    assert all(first in unique_ids for first in REPEATED.values())
    assert any("latex --pdf -o docs/derivations.tex" in key for key in REPEATED)


def test_the_long_commands_are_marked_slow():
    assert is_long("resnet-lemmas check")
    assert is_long("resnet-lemmas latex --pdf -o docs/derivations.tex --seed 0")
    assert is_long("resnet-lemmas sgd --plot sgd.png")
    assert is_long("pip install . && resnet-lemmas check")
    assert not is_long("resnet-lemmas check --list    # the registered lemmas")
    assert not is_long('pip install ".[real-data]"')


def test_the_readme_keeps_the_ci_commands_first():
    # .ci/run runs the README's test command unchanged; the first two commands are the set-up
    first = [c.text for c in commands(REPO / "README.md")][:2]
    assert first == ['pip install . && resnet-lemmas check', 'pip install ".[test]" && pytest']
    assert 'pip install ".[test]" && pytest' in (REPO / ".ci" / "run").read_text()


def test_python_examples_parse_and_name_their_files():
    for document in DOCUMENTS:
        for lang, body, line in _blocks(document):
            if lang == "python":
                ast.parse(body, filename=f"{document.name}:{line}")
    assert {"my_units.py", "my_torch_units.py", "test_my_architecture.py"} <= set(files(REPO / "docs" / "verify.md"))


def test_pip_and_apt_checks_can_fail():
    with pytest.raises(AssertionError, match="no extra"):
        check_pip([".[no-such-extra]"])
    from packaging.requirements import InvalidRequirement

    with pytest.raises(InvalidRequirement):
        check_pip(["torch==="])
    if shutil.which("apt-cache") is not None:
        with pytest.raises((AssertionError, pytest.skip.Exception)):
            check_apt(["no-such-package-resnet-lemmas"])


def test_a_failing_documented_command_is_reported(tmp_path):
    with pytest.raises(AssertionError, match="exited 2"):
        run_documented(Command("x.md", 1, "resnet-lemmas check --seed -1"), tmp_path)
    with pytest.raises(AssertionError, match="the docs show"):
        run_documented(Command("x.md", 1, "echo something else", "something shown"), tmp_path)


def test_a_documented_command_may_declare_its_exit_status():
    assert expected_exit("resnet-lemmas verify --residual u.py:unit --data d.csv") == 0
    assert expected_exit("resnet-lemmas verify --residual u.py:unit --data d.csv  # exits 1") == 1
    assert expected_exit("resnet-lemmas check --seed -1  # exits 2: refused") == 2

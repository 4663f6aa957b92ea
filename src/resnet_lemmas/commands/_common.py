"""Pieces shared by the subcommands (not a subcommand itself: it defines no ``run``).

Everything a user can get wrong on the command line is refused here, while the arguments are read and
before any work: argument types (:func:`nonnegative_int` for seeds, :func:`positive_int`,
:func:`positive_float`, ...), output paths (:func:`output_file`: the folder can be written, the path
is not a folder, the extension is one the command writes) and the environment
(:func:`check_jobs_environment`).  A refusal is a :class:`Refused` exception; ``cli.main`` prints it as
one line on stderr (and, under ``--json``, as one JSON object on stdout) and exits 2.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

#: exit status of a refused command (bad argument, environment or precondition): argparse's own
EXIT_REFUSED = 2


class Refused(Exception):
    """A command refuses to start (or to go on): ``message`` names the flag and the fix.

    ``reason`` classifies it for the JSON object (``usage``, ``environment``, ``output``,
    ``precondition (data)``, ``resources`` ...); ``extra`` adds fields to that object.
    """

    def __init__(self, message: str, reason: str = "usage", exit_status: int = EXIT_REFUSED, **extra):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.exit_status = exit_status
        self.extra = extra


def refusal_json(command: str, message: str, reason: str, exit_status: int = EXIT_REFUSED,
                 **extra) -> dict:
    """The one JSON object a refused command prints under ``--json``."""
    return {"command": command, "status": "refused", "reason": reason, "error": message,
            "exit_status": exit_status, **extra}


# -- argument types (argparse names the flag in its message: "argument --seed: ...") ---------------
def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer (>= 1); got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0 (seeds: NumPy's ``SeedSequence`` refuses negative ones)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0; got {value}")
    return value


def seed(text: str) -> int:
    """argparse type of every ``--seed``: an integer >= 0 (``numpy.random.SeedSequence`` takes no
    negative entropy)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (NumPy's SeedSequence takes no "
                                         f"negative seeds); got {value}")
    return value


def int_at_least(minimum: int, why: str = ""):
    """argparse type: an integer >= ``minimum`` (``why`` is added to the message)."""
    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}{why}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def int_in_range(minimum: int, maximum: int, why: str = ""):
    """argparse type: an integer in ``[minimum, maximum]`` (``why`` explains the upper limit)."""
    def parse(text: str) -> int:
        value = _integer(text)
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be an integer from {minimum} to {maximum:,}"
                                             f"{why}; got {value:,}")
        return value

    parse.__name__ = f"integer in [{minimum}, {maximum}]"
    return parse


def _finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number; got {text}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text}")
    return value


def finite_float(text: str) -> float:
    """argparse type: a finite number (no nan, no inf)."""
    return _finite_float(text)


# -- output paths ---------------------------------------------------------------------------------
def writable_path_problem(path: Path) -> str:
    """Why ``path`` cannot be written as a file, or ``""`` when it can.

    Tested for real, not by permission bits (which say nothing for root, read-only mounts or ACLs):
    the path must not be a folder; its nearest existing ancestor must be a folder in which a
    temporary file can be created and removed (missing folders below it are created when the file is
    written).
    """
    if path.is_dir():
        return f"{path} is a folder; give a file name inside it, e.g. {path / 'report.json'}"
    if str(path).endswith(("/", os.sep)):
        return f"{path} names a folder; give a file name"
    parent = path.parent if str(path.parent) else Path(".")
    ancestor = parent
    while not ancestor.exists():
        if ancestor.parent == ancestor:
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"{ancestor} is a file, not a folder, so {path} cannot be created there"
    try:
        handle = tempfile.TemporaryFile(dir=ancestor, prefix=".resnet-lemmas-probe-")
    except OSError as exc:
        return f"cannot write in the folder {ancestor} ({exc.strerror or exc}); choose another folder"
    handle.close()
    return ""


def output_file(flag: str, suffixes: tuple[str, ...] = (), what: str = ""):
    """argparse type of an output path for ``flag``: refused at once if it cannot be written
    (:func:`writable_path_problem`) or does not end in one of ``suffixes`` (case-insensitive)."""
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError("the file name is empty")
        path = Path(text)
        if suffixes and path.suffix.lower() not in suffixes:
            have = path.suffix or "no extension"
            allowed = (", ".join(suffixes[:-1]) + " or " + suffixes[-1]) if len(suffixes) > 1 else suffixes[0]
            raise argparse.ArgumentTypeError(
                f"{text}: {what or 'the file'} must end in {allowed} ({have} given)")
        problem = writable_path_problem(path)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text

    parse.__name__ = "output file"
    return parse


def distinct_outputs(**paths) -> None:
    """Refuse two output flags naming the same file (the second write would replace the first)."""
    seen = {}
    for flag, value in paths.items():
        if not value:
            continue
        key = os.path.realpath(value)
        if key in seen:
            raise Refused(f"{seen[key]} and {flag} name the same file {value}; give two different files")
        seen[key] = flag


def save_output(command: str, flag: str, path: str, data: bytes | str) -> tuple[Path | None, bool]:
    """Write an output atomically and say so on stderr (``wrote FILE``).

    When the final write fails (the folder vanished, the disk filled, a permission changed since the
    arguments were checked), nothing computed is lost: the same bytes go to a new file in the system's
    temporary folder, and stderr names it.  Returns ``(path written, ok)``; ``ok`` is false when the
    requested path could not be written (the caller exits non-zero), ``path`` is ``None`` only when
    the fallback failed too.
    """
    from ..reports import write_bytes_atomic, write_fallback

    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        written = write_bytes_atomic(path, payload)
    except OSError as exc:
        reason = f"{type(exc).__name__}: {exc.strerror or exc}"
        try:
            fallback = write_fallback(command, Path(path).suffix, payload)
        except OSError as exc2:
            print(f"error: could not write {flag} {path} ({reason}), nor a fallback copy in "
                  f"{tempfile.gettempdir()} ({exc2.strerror or exc2}); the output is lost",
                  file=sys.stderr, flush=True)
            return None, False
        print(f"error: could not write {flag} {path} ({reason}); saved it to {fallback} instead",
              file=sys.stderr, flush=True)
        return fallback, False
    print(f"wrote {written}", file=sys.stderr, flush=True)
    return written, True


# -- environment ------------------------------------------------------------------------------------
def check_jobs_environment() -> None:
    """Refuse a ``RESNET_LEMMAS_JOBS`` that the witness harness would reject, before any work."""
    value = os.environ.get("RESNET_LEMMAS_JOBS")
    if not value:
        return
    from ..numerics.witnesses.harness import default_jobs

    try:
        default_jobs(heavy=True)
    except ValueError:
        raise Refused(f"RESNET_LEMMAS_JOBS={value!r}: must be a positive integer (the number of worker "
                      "processes of the heavy witnesses); set e.g. RESNET_LEMMAS_JOBS=2, or unset it to "
                      "use every core", reason="environment") from None


# -- lemma names ------------------------------------------------------------------------------------
def lemma_module_names() -> list[str]:
    """Names of the modules in ``proofs/lemmas/`` (each lemma's name), listed without importing them
    (the registry, which imports them, is the authority; this is the fast first check)."""
    import pkgutil

    from ..proofs import lemmas

    return sorted(info.name for info in pkgutil.iter_modules(lemmas.__path__))


def check_lemma_names(only) -> None:
    """Refuse ``--only`` names that no lemma module has, without importing SymPy."""
    known = lemma_module_names()
    for name in only or ():
        if name not in known:
            raise Refused(f"--only {name}: unknown lemma {name!r}; registered lemmas: {', '.join(known)}")


# -- progress -------------------------------------------------------------------------------------
def progress_factory(enabled: bool = True):
    """``factory(name, total) -> update(done, total)`` drawing a tqdm bar on stderr, or ``None``."""
    if not enabled:
        return None
    from tqdm import tqdm

    def factory(name, total):
        bar = tqdm(total=total, desc=name[:30], unit="inst", leave=False, file=sys.stderr)

        def update(done, total_):
            bar.update(done - bar.n)  # tqdm redraws at most every 0.1 s (not once per instance)

        update.close = bar.close
        return update

    return factory

"""The ``resnet-lemmas`` command.  Each subcommand is a module of ``resnet_lemmas.commands`` that
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` (exit status); an
optional ``validate(args)`` runs right after parsing, before any work, and an optional
``USES_WITNESSES`` (true) makes ``RESNET_LEMMAS_JOBS`` be checked up front.

How every command ends:

- a bad argument, environment variable or output path is refused while the arguments are read: one
  line ``resnet-lemmas CMD: error: ...`` on stderr naming the flag and the fix, exit status 2, no
  traceback (:class:`~.commands._common.Refused`, argparse's own errors);
- Ctrl-C (SIGINT) and SIGTERM both raise ``KeyboardInterrupt`` in the main process, so the same
  clean-up runs for both: joblib stops its worker processes, atomic writers delete their temporary
  files, temporary folders are removed.  Exit status 130 (SIGINT) or 143 (SIGTERM);
- under ``--json`` every outcome, refusals, interruptions and internal errors included, is exactly one
  JSON object on stdout (:func:`~.commands._common.refusal_json`; an internal error also prints its
  traceback on stderr).

Nothing heavy is imported to build the parser, so a refusal takes a fraction of a second
(``benchmarks/refusal_timing.py`` measures it).
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import signal
import sys
import traceback

from . import __version__, commands
from .commands._common import EXIT_REFUSED, Refused, check_jobs_environment, refusal_json

#: exit status after an interruption: 128 + the signal's number, as a shell reports it
EXIT_SIGINT = 128 + signal.SIGINT
EXIT_SIGTERM = 128 + signal.SIGTERM


class UsageError(Exception):
    """argparse refused the command line (raised instead of argparse's exit, so ``main`` decides)."""

    def __init__(self, prog: str, message: str):
        super().__init__(message)
        self.prog = prog
        self.message = message


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's ``KeyboardInterrupt`` so that every clean-up path runs."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # noqa: D401  (argparse's hook; it must not return)
        raise UsageError(self.prog, message)


def _subcommands():
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "run") and hasattr(module, "add_arguments"):
            found.append(module)
    return sorted(found, key=lambda m: getattr(m, "ORDER", 100))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="resnet-lemmas",
        description="Machine-checked theory of Shamir (2018), 'Are ResNets Provably Better than "
                    "Linear Predictors?'")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _subcommands():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run, _module=module)
    return parser


def _wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def _refuse(command: str, prog: str, message: str, reason: str, as_json: bool,
            exit_status: int = EXIT_REFUSED, **extra) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    if as_json:
        print(json.dumps(refusal_json(command, message, reason, exit_status, **extra), indent=2),
              flush=True)
    return exit_status


def _raise_terminated(signum, frame):
    # once: a second SIGTERM during the clean-up must not interrupt the clean-up itself
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = _wants_json(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        command = exc.prog.split()[-1] if exc.prog != parser.prog else ""
        return _refuse(command, exc.prog, f"{exc.message} (see '{exc.prog} --help')", "usage", as_json)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_REFUSED
    module = args._module
    prog = f"resnet-lemmas {module.NAME}"
    as_json = bool(getattr(args, "json", False))
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        try:
            if getattr(module, "USES_WITNESSES", False):
                check_jobs_environment()
            if hasattr(module, "validate"):
                module.validate(args)
            return int(args._run(args) or 0)
        except Refused as exc:
            return _refuse(module.NAME, prog, exc.message, exc.reason, as_json, exc.exit_status,
                           **exc.extra)
        except KeyboardInterrupt as exc:
            terminated = isinstance(exc, Terminated)
            name = "SIGTERM" if terminated else "SIGINT"
            status = EXIT_SIGTERM if terminated else EXIT_SIGINT
            print(f"\n{prog}: interrupted ({name}); stopped cleanly (worker processes ended, "
                  "no partial files)",
                  file=sys.stderr, flush=True)
            if as_json:
                print(json.dumps({"command": module.NAME, "status": "interrupted", "signal": name,
                                  "exit_status": status}, indent=2), flush=True)
            return status
        except Exception as exc:
            if not as_json:
                raise                    # a bug: the traceback is what a report needs
            traceback.print_exc()        # on stderr; stdout still gets its one JSON object
            print(json.dumps({"command": module.NAME, "status": "error",
                              "error": f"{type(exc).__name__}: {exc}", "exit_status": 1}, indent=2),
                  flush=True)
            return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())

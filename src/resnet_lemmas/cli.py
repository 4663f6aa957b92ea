"""The ``resnet-lemmas`` command.  Each subcommand is a module of ``resnet_lemmas.commands`` that
defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` (exit status)."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands


def _subcommands():
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(module, "run") and hasattr(module, "add_arguments"):
            found.append(module)
    return sorted(found, key=lambda m: getattr(m, "ORDER", 100))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resnet-lemmas",
        description="Machine-checked theory of Shamir (2018), 'Are ResNets Provably Better than "
                    "Linear Predictors?'")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _subcommands():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

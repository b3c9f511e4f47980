"""``zipfian-study``: run the companion studies (``zipfian-study byol ...``, ``zipfian-study icl ...``).

Each study registers its own subcommand: :data:`STUDIES` maps a name to ``"module:function"``, and
only the chosen study's module is imported. That function receives the argparse subparsers object,
adds one subparser named after the study (with its own nested subcommands if it likes) and sets
``func`` on it, a callable ``(args) -> int``. Failures become one line on stderr: exit 2 for bad input
(``ValueError``, including :class:`~zipfian_envs.studies.StudyError`, and ``OSError``), 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from zipfian_envs.core.cli import OneLineParser

# name -> ("module:function" that adds the subparser, one-line help shown without importing it)
STUDIES: dict[str, tuple[str, str]] = {
    "byol": (
        "zipfian_envs.studies.byol.cli:add_parser",
        "BYOL with and without batch statistics on Zipf-distributed glyphs",
    ),
    "icl": (
        "zipfian_envs.studies.icl.cli:add_parser",
        "bursty, Zipfian sequences and emergent in-context learning",
    ),
}

PROG = "zipfian-study"


class StudyUnavailableError(Exception):
    """A study's module is not part of this installation (or fails to import)."""


def _load_adder(name: str):
    target, _ = STUDIES[name]
    module_name, _, function_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only the study's own module missing means "not built"; a missing dependency is reported as such.
        if exc.name and module_name.startswith(exc.name):
            message = f"the {name!r} study is not available in this installation ({module_name})"
            raise StudyUnavailableError(message) from exc
        raise StudyUnavailableError(f"the {name!r} study cannot load: {exc}") from exc
    return getattr(module, function_name)


def build_parser(study: str | None = None) -> argparse.ArgumentParser:
    """The zipfian-study parser; the subparser of ``study`` (if given) is loaded from its module."""
    parser = OneLineParser(prog=PROG, description="Run the companion studies of zipfian-envs.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks instead of one-line errors")
    subparsers = parser.add_subparsers(dest="study", metavar="STUDY", parser_class=OneLineParser)
    for name, (_, help_text) in STUDIES.items():
        if name == study:
            _load_adder(name)(subparsers)
        else:
            # Listed for --help and choice checking without importing the study.
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


def _chosen_study(argv: Sequence[str]) -> str | None:
    """The first positional argument if it names a study (so only that study is imported)."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in STUDIES else None
    return None


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zipfian-study``; bad input exits 2 with a one-line message on stderr."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    study = _chosen_study(argv)
    try:
        parser = build_parser(study)
    except StudyUnavailableError as exc:
        if debug:
            raise
        return _fail(str(exc), 2)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error (already printed as one line)
        return int(exc.code or 0)
    func = getattr(args, "func", None)
    if args.study is None or func is None:
        return _fail(f"choose a study: {', '.join(STUDIES)} (see --help)", 2)
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        message = str(exc) or type(exc).__name__
        return _fail(message, 2 if isinstance(exc, (ValueError, OSError)) else 1)


if __name__ == "__main__":
    sys.exit(main())

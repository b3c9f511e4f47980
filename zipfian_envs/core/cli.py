"""What every command line of the package shares: one-line usage errors and ``KEY=VALUE`` arguments."""

from __future__ import annotations

import argparse
import ast
import json
from collections.abc import Sequence
from typing import Any, NoReturn


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message (see --help)`` and exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def parse_value(text: str) -> Any:
    """A command-line value: a Python literal (``3``, ``[64, 64]``), JSON (``true``, ``null``), or the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return text


def parse_key_values(items: Sequence[str], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` items of ``flag`` to a dict; a malformed item raises ``ValueError`` naming it."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"{flag} expects KEY=VALUE with KEY a Python name, got {item!r}")
        out[key] = parse_value(text)
    return out

"""The per-episode record format shared by the viewer and the evaluation harness.

One record is one finished episode. On disk: CSV (default) or JSON Lines, chosen by the file suffix.
This module needs only the standard library, so the viewer can write records without the harness's
scipy/matplotlib, and the environments package never imports ``zipfian_envs.evaluation``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zipfian_envs.core.files import RunFolderError, atomic_write, check_complete

RECORD_KEYS: tuple[str, ...] = (
    "env_id", "level", "protocol", "seed", "episode", "item", "item_rank", "num_items",
    "frequency_bin", "map_rank", "return", "length", "success",
)  # fmt: skip
# Written before the standard keys when present: who played, and which training seed's model.
LEADING_KEYS: tuple[str, ...] = ("policy", "train_seed")
# CSV stores text; these columns get their types back on load (others stay strings).
_INT_COLUMNS = {"seed", "train_seed", "episode", "item_rank", "num_items", "map_rank", "length"}
_FLOAT_COLUMNS = {"return", "normalized_score"}
_BOOL_COLUMNS = {"success"}
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class RecordError(ValueError):
    """A records file that is missing or does not parse (the message names the file, line and value)."""


def columns(records: Sequence[dict[str, Any]]) -> list[str]:
    """Column order: ``policy`` and ``train_seed`` if present, the standard keys, then extras sorted."""
    present = set().union(*(r.keys() for r in records)) if records else set()
    leading = [key for key in LEADING_KEYS if key in present]
    standard = [key for key in RECORD_KEYS if key in present]
    extra = sorted(present - set(leading) - set(standard))
    return leading + standard + extra


def save_records(records: Iterable[dict[str, Any]], path: str | os.PathLike, policy: str | None = None) -> Path:
    """Write records to ``path`` (``.jsonl`` for JSON Lines, else CSV); ``policy`` fills a policy column."""
    rows = [dict(r) if policy is None else {"policy": policy, **r} for r in records]
    path = Path(path)
    # Written whole to a scratch file, then renamed: a crash (or the viewer's rewrite after every
    # episode) never leaves half a file behind.
    fields = columns(rows)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        if path.suffix == ".jsonl":  # keys in the same order as the CSV columns
            handle.writelines(json.dumps({key: row[key] for key in fields if key in row}) + "\n" for row in rows)
        else:
            writer = csv.DictWriter(handle, fieldnames=fields, restval="")
            writer.writeheader()
            writer.writerows(rows)
    return path


def _parse(column: str, text: str, path: Path, line: int) -> Any:
    if text == "":
        return None
    try:
        if column in _INT_COLUMNS:
            return int(text)
        if column in _FLOAT_COLUMNS:
            return float(text)
    except ValueError as exc:
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}, not a number") from exc
    if column in _BOOL_COLUMNS:
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}, not one of {sorted(_TRUE | _FALSE)}")
    return text


def load_records(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read records written by :func:`save_records` (CSV or ``.jsonl``), with their types restored."""
    path = Path(path)
    if not path.is_file():
        raise RecordError(f"records file not found: {path}")
    try:
        check_complete(path)
    except RunFolderError as exc:
        raise RecordError(str(exc)) from None
    if path.suffix == ".jsonl":
        records = []
        with path.open(encoding="utf-8") as handle:
            for line, text in enumerate(handle, start=1):
                if text.strip():
                    try:
                        records.append(json.loads(text))
                    except json.JSONDecodeError as exc:
                        raise RecordError(f"{path}:{line}: not JSON ({exc.msg})") from exc
        return records
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return [
            {column: _parse(column, text or "", path, line) for column, text in row.items()}
            for line, row in enumerate(reader, start=2)
        ]

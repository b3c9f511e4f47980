"""The per-episode record format shared by the viewer and the evaluation harness.

One record is one finished episode. On disk: CSV (default) or JSON Lines, chosen by the file suffix.
This module needs only the standard library, so the viewer can write records without the harness's
scipy/matplotlib, and the environments package never imports ``zipfian_envs.evaluation``.
"""

from __future__ import annotations

import csv
import io
import json
import math
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
# Columns every written row fills, and counts that cannot be negative.
_REQUIRED_VALUES = {"item_rank", "num_items", "success"}
_NON_NEGATIVE = {"seed", "train_seed", "episode", "length"}
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
        if column in _REQUIRED_VALUES:
            raise RecordError(f"{path}:{line}: column {column!r} is empty; every episode has one")
        return None
    try:
        if column in _INT_COLUMNS:
            value: Any = int(text)
        elif column in _FLOAT_COLUMNS:
            value = float(text)
        else:
            value = text
    except ValueError as exc:
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}, not a number") from exc
    if column in _FLOAT_COLUMNS and not math.isfinite(value):
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}, not a finite number")
    if column in _NON_NEGATIVE and value < 0:
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}; it must be >= 0")
    if column in _BOOL_COLUMNS:
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise RecordError(f"{path}:{line}: column {column!r} has {text!r}, not one of {sorted(_TRUE | _FALSE)}")
    return value


def _check_ranks(record: dict[str, Any], path: Path, line: int) -> None:
    """An item rank is 1..num_items (a row cut and glued to the next often breaks this)."""
    rank, size = record.get("item_rank"), record.get("num_items")
    if isinstance(size, int) and size < 1:
        raise RecordError(f"{path}:{line}: column 'num_items' has {size}; it must be >= 1")
    if isinstance(rank, int) and isinstance(size, int) and not 1 <= rank <= size:
        raise RecordError(f"{path}:{line}: column 'item_rank' has {rank}; it must be in 1..num_items ({size})")


def _check_whole(path: Path, data: bytes) -> None:
    """Every writer ends each row with a line end: a file that does not end with one was cut mid-row."""
    if data and not data.endswith(b"\n"):
        line = data.count(b"\n") + 1
        raise RecordError(f"{path}:{line}: the last row is cut (no line end): the file was not written whole")


def load_records(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read records written by :func:`save_records` (CSV or ``.jsonl``), checked row by row, with their types."""
    path = Path(path)
    if not path.is_file():
        raise RecordError(f"records file not found: {path}")
    if path.suffix.lower() == ".json":  # a result JSON given for its records: say so, not "row 2 has 2 fields"
        raise RecordError(f"{path}: a .json file is not a records file (CSV, or .jsonl); a result JSON names "
                          "its records file under files.records")  # fmt: skip
    try:
        check_complete(path)
    except RunFolderError as exc:
        raise RecordError(str(exc)) from None
    data = path.read_bytes()
    _check_whole(path, data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    records: list[dict[str, Any]] = []
    if path.suffix == ".jsonl":
        for line, row in enumerate(text.splitlines(), start=1):
            if row.strip():
                try:
                    record = json.loads(row)
                except (json.JSONDecodeError, RecursionError) as exc:
                    raise RecordError(f"{path}:{line}: not JSON ({getattr(exc, 'msg', exc)})") from None
                if not isinstance(record, dict):
                    raise RecordError(f"{path}:{line}: a record is a JSON object, got {type(record).__name__}")
                _check_ranks(record, path, line)
                records.append(record)
        return records
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return records
        if len(set(header)) != len(header) or "" in header:
            raise RecordError(f"{path}:1: the header has empty or repeated column names: {header}")
        for fields in reader:
            line = reader.line_num
            if len(fields) != len(header):
                raise RecordError(f"{path}:{line}: the row has {len(fields)} fields, the header {len(header)}: "
                                  "a row was cut or two rows run together")  # fmt: skip
            record = {column: _parse(column, value, path, line) for column, value in zip(header, fields)}
            _check_ranks(record, path, line)
            records.append(record)
    except csv.Error as exc:
        raise RecordError(f"{path}:{reader.line_num}: not CSV ({exc})") from None
    return records

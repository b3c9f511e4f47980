"""Gymnasium's vector info layout, built and read in one place.

A vector env's info is a dict of arrays, one entry per sub-env, each key with a ``_key`` bool mask
of the sub-envs that have it (``SyncVectorEnv``'s layout). The native vector envs build it from
columns (:func:`vector_info`, the Gridworld's arrays) or from per-env dicts (:func:`merge_infos`,
the first-person sub-envs); the SB3 adapter and the evaluation harness read it back as one plain
dict per sub-env (:func:`info_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np

# "full": every key; "numeric": the keys with numbers or bools only (no text), for readers that turn
# infos into tensors (TorchRL's batched envs): item_rank stands for item, and so on.
INFO_FORMATS = ("full", "numeric")


def check_info_format(info_format: Any) -> str:
    """``info_format`` if it is one of :data:`INFO_FORMATS`, else a ValueError naming the choices."""
    if not isinstance(info_format, str) or info_format not in INFO_FORMATS:
        raise ValueError(f"unknown info_format {info_format!r}; valid: {list(INFO_FORMATS)}")
    return info_format


def numeric_info(info: dict[str, Any]) -> dict[str, Any]:
    """The entries of a single env's info whose values are not text."""
    return {key: value for key, value in info.items() if not isinstance(value, str)}


def numeric_columns(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The info columns that are not object (text) arrays."""
    return {key: column for key, column in columns.items() if column.dtype != object}


def vector_info(columns: dict[str, np.ndarray], mask: np.ndarray | None = None) -> dict[str, Any]:
    """Gymnasium's vector info layout: each key's array plus a ``_key`` bool mask.

    Entries outside ``mask`` hold what ``SyncVectorEnv`` leaves there: 0, False, or None in
    object arrays. ``mask=None`` means every sub-env has every key.
    """
    if not columns:
        return {}
    num_envs = len(next(iter(columns.values())))
    # One block for all masks: each row is a separate, fresh array for the caller.
    if mask is None or bool(mask.all()):
        masks, where = np.ones((len(columns), num_envs), dtype=bool), None
    else:
        masks, where = np.tile(mask, (len(columns), 1)), mask
    info: dict[str, Any] = {}
    for (key, column), key_mask in zip(columns.items(), masks):
        if where is not None:
            blank: Any = None if column.dtype == object else column.dtype.type(0)
            column = np.where(where, column, blank)
        info[key] = column
        info["_" + key] = key_mask
    return info


def object_array(items: Sequence[Any], num_envs: int, indices: np.ndarray) -> np.ndarray:
    """An object array of length ``num_envs`` with ``items`` at ``indices`` and None elsewhere."""
    array = np.full(num_envs, None, dtype=object)
    # Assigned one by one: numpy would try to broadcast a list of arrays into a block.
    for index, item in zip(indices, items):
        array[index] = item
    return array


def merge_infos(infos: list[dict[str, Any] | None]) -> dict[str, Any]:
    """Per-env info dicts (None where a sub-env has none) in ``SyncVectorEnv``'s layout, column by column.

    The same arrays as Gymnasium's ``VectorEnv._add_info`` applied env by env: a key's dtype comes
    from its first sub-env's value, entries without the key hold 0, False or None, and every key
    has its ``_key`` mask.
    """
    num_envs = len(infos)
    first_info = infos[0] if num_envs else None
    if first_info and all(info and info.keys() == first_info.keys() for info in infos):
        # Most steps: every sub-env reports the same keys, so every column is full (no index lists).
        everyone = np.ones(num_envs, dtype=bool)
        merged: dict[str, Any] = {}
        full = cast("list[dict[str, Any]]", infos)  # every entry is a dict (checked just above)
        for key in first_info:
            values = [info[key] for info in full]
            if isinstance(values[0], dict):
                merged[key] = merge_infos(values)
            else:
                merged[key] = _column(values, None, num_envs)
            merged["_" + key] = everyone.copy()
        return merged
    columns: dict[str, list[int]] = {}
    rows: dict[int, dict[str, Any]] = {}  # the sub-envs that have an info
    for i, info in enumerate(infos):
        if info:
            rows[i] = info
            for key in info:
                columns.setdefault(key, []).append(i)
    merged = {}
    for key, present in columns.items():
        values = [rows[i][key] for i in present]
        if isinstance(values[0], dict):
            members = set(present)
            merged[key] = merge_infos([rows[i][key] if i in members else None for i in range(num_envs)])
        else:
            merged[key] = _column(values, present, num_envs)
        mask = np.zeros(num_envs, dtype=bool)
        mask[present] = True
        merged["_" + key] = mask
    return merged


def _column(values: list[Any], present: list[int] | None, num_envs: int) -> np.ndarray:
    """One info key's array: ``values`` at rows ``present`` (None: every row), 0, False or None elsewhere."""
    where: Any = slice(None) if present is None else present
    first = values[0]
    if type(first) in (int, float, bool) or isinstance(first, np.number):
        array = np.zeros(num_envs, dtype=type(first))
        array[where] = values
    elif isinstance(first, np.ndarray):
        array = np.zeros((num_envs, *first.shape), dtype=first.dtype)
        array[where] = values
    else:
        array = np.full(num_envs, None, dtype=object)
        rows = range(num_envs) if present is None else present
        if present is None and set(map(type, values)) == {str}:
            array[:] = values  # strings are scalars to numpy: one assignment, the same entries as the loop
        else:
            for i, value in zip(rows, values):
                array[i] = value
    return array


def info_rows(info: dict[str, Any], indices: Sequence[int] | np.ndarray) -> list[dict[str, Any]]:
    """Plain dicts for the sub-envs ``indices`` of a vector info dict (masked-out entries left out).

    Scalars come back as Python values; ``final_obs``, ``final_info`` and other nested dicts are left out.
    """
    indices = np.asarray(indices, dtype=np.int64)
    rows: list[dict[str, Any]] = [{} for _ in indices]
    for key, value in info.items():
        if key.startswith("_") or key in ("final_obs", "final_info") or isinstance(value, dict):
            continue
        mask = info.get("_" + key)
        present = np.ones(len(indices), dtype=bool) if mask is None else mask[indices]
        items = value[indices]
        for row, item, keep in zip(rows, items.tolist() if items.ndim == 1 else list(items), present.tolist()):
            if keep:
                row[key] = item
    return rows

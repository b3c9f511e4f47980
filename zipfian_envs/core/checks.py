"""Argument checks shared by the suite's envs: one clear error naming the bad value and the valid range."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces

# Documented limits (docs/evaluation.md, "Run folders, bad input and exit codes"): beyond them a
# constructor raises at once instead of allocating gigabytes or hanging (a 10**6-wide Labyrinth
# image took 2 GB and 15 s).
MAX_IMAGE_SIDE = 1024
MAX_NUM_ENVS = 65_536


def check_image_size(width: Any, height: Any) -> tuple[int, int]:
    """``(width, height)`` of a first-person image, each an integer in ``8..MAX_IMAGE_SIDE``."""
    return check_int("width", width, 8, MAX_IMAGE_SIDE), check_int("height", height, 8, MAX_IMAGE_SIDE)


def check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    """``value`` as an int if it is an integer in ``low..high`` (no upper bound when ``high`` is None)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return int(value)


def check_discrete_action(action: Any, names: Sequence[str]) -> int:
    """The action as an int in ``0..len(names) - 1``; TypeError for a non-integer, ValueError out of range."""
    last = len(names) - 1
    if isinstance(action, (int, np.integer)) and not isinstance(action, bool):
        value = int(action)
    elif isinstance(action, np.ndarray) and action.shape in ((), (1,)) and np.issubdtype(action.dtype, np.integer):
        value = int(action.reshape(()))
    else:
        raise TypeError(f"action must be an integer in 0..{last}, got {action!r} of type {type(action).__name__}")
    if not 0 <= value <= last:
        raise ValueError(f"action must be in 0..{last} ({', '.join(names)}), got {value}")
    return value


def discrete_size(space: object) -> int:
    """The number of actions ``n`` of a ``Discrete`` action space; TypeError for any other space."""
    if not isinstance(space, spaces.Discrete):
        raise TypeError(f"expected a Discrete action space, got {space!r}")
    return int(space.n)


def warn_renamed_keyword(owner: str, old: str, new: str, value: Any, stacklevel: int = 3) -> None:
    """Warn that ``owner(old=value)`` is the deprecated spelling of ``owner(new=value)`` (kept one release)."""
    warnings.warn(
        f"{owner}({old}={value!r}) is deprecated and goes in the next release; write {new}={value!r}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )

"""Checks of ``zipfian-train --hp`` overrides and ``--device`` before any training starts.

A key must be a keyword of the algorithm's constructor (and not one the CLI sets itself), and the
common hyperparameters must lie in their sane ranges (``gamma`` in (0, 1], ``learning_rate`` > 0, ...):
``--hp gamma=5`` used to train to NaN logits and crash minutes later.
"""

from __future__ import annotations

import inspect
import math
import re
from typing import Any

# Constructor keywords zipfian-train sets itself, and the flag that sets each.
SET_BY_CLI = {
    "policy": "--obs-mode/--env", "env": "--env", "seed": "--seed", "device": "--device",
    "tensorboard_log": "(the run folder)", "verbose": "(always 0)", "_init_setup_model": "(always on)",
}  # fmt: skip
# name -> (kind, low, high, low_open): kind "int" or "real"; None bounds are unbounded.
RANGES: dict[str, tuple[str, float | None, float | None, bool]] = {
    "gamma": ("real", 0.0, 1.0, True),
    "learning_rate": ("real", 0.0, None, True),
    "gae_lambda": ("real", 0.0, 1.0, False),
    "clip_range": ("real", 0.0, None, True),
    "ent_coef": ("real", 0.0, None, False),
    "vf_coef": ("real", 0.0, None, False),
    "max_grad_norm": ("real", 0.0, None, True),
    "tau": ("real", 0.0, 1.0, True),
    "exploration_fraction": ("real", 0.0, 1.0, False),
    "exploration_initial_eps": ("real", 0.0, 1.0, False),
    "exploration_final_eps": ("real", 0.0, 1.0, False),
    "rms_prop_eps": ("real", 0.0, None, True),
    "alpha": ("real", 0.0, None, False),
    "n_steps": ("int", 1, None, False),
    "batch_size": ("int", 1, None, False),
    "n_epochs": ("int", 1, None, False),
    "buffer_size": ("int", 1, None, False),
    "learning_starts": ("int", 0, None, False),
    "target_update_interval": ("int", 1, None, False),
    "train_freq": ("int", 1, None, False),
    "stats_window_size": ("int", 1, None, False),
}
DEVICE_FORM = re.compile(r"auto|cpu|cuda(:\d+)?|mps")
DEVICES = "auto, cpu, cuda, cuda:N, mps"


def constructor_keywords(algo_cls: type) -> list[str]:
    """The keyword arguments ``algo_cls(...)`` takes, sorted."""
    parameters = inspect.signature(algo_cls).parameters
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return sorted(name for name, p in parameters.items() if name != "self" and p.kind in plain)


def takes_any_keyword(algo_cls: type) -> bool:
    """Whether ``algo_cls(...)`` also takes ``**kwargs`` (then unknown keys cannot be told apart)."""
    parameters = inspect.signature(algo_cls).parameters.values()
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _bounds_text(low: float | None, high: float | None, low_open: bool) -> str:
    if high is None:
        return f"> {low}" if low_open else f">= {low}"
    return f"in ({low}, {high}]" if low_open else f"in [{low}, {high}]"


def check_value(name: str, value: Any) -> str | None:
    """The problem with ``--hp name=value`` as a one-line message, or None if it is in range."""
    if name == "policy_kwargs":
        example = "{'net_arch': [64]}"
        return None if isinstance(value, dict) else f"--hp policy_kwargs must be a dict, e.g. {example}, got {value!r}"
    if name not in RANGES:
        return None
    kind, low, high, low_open = RANGES[name]
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int" and not (real and float(value).is_integer()):
        return f"--hp {name} must be an integer {_bounds_text(low, high, low_open)}, got {value!r}"
    if not real or not math.isfinite(value):
        return f"--hp {name} must be a finite number {_bounds_text(low, high, low_open)}, got {value!r}"
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        return f"--hp {name} must be {_bounds_text(low, high, low_open)}, got {value!r}"
    return None


def check_overrides(algo: str, algo_cls: type, overrides: dict[str, Any]) -> str | None:
    """The first problem with the ``--hp`` overrides of ``algo``, or None; train_freq may be a (n, unit) pair."""
    valid = [k for k in constructor_keywords(algo_cls) if k not in SET_BY_CLI]
    for name, value in overrides.items():
        if name in SET_BY_CLI:
            return f"--hp {name} is set by zipfian-train itself ({SET_BY_CLI[name]}); drop it"
        if name not in valid and not takes_any_keyword(algo_cls):
            return f"unknown --hp key {name!r} for {algo}; valid: {', '.join(valid)}"
        if name == "train_freq" and isinstance(value, (list, tuple)):
            value = value[0] if len(value) == 2 and value[1] in ("step", "episode") else value
        problem = check_value(name, value)
        if problem:
            return problem
    return None


def check_device(device: str) -> str | None:
    """The problem with ``--device`` (its form, or a GPU this machine lacks), or None."""
    if not DEVICE_FORM.fullmatch(device):
        return f"--device must be one of {DEVICES}, got {device!r}"
    import torch

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return f"--device {device}: no CUDA device on this machine; valid here: auto, cpu"
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            return f"--device {device}: this machine has CUDA devices 0..{torch.cuda.device_count() - 1}"
    if device == "mps" and not torch.backends.mps.is_available():
        return "--device mps: no MPS device on this machine; valid here: auto, cpu" + (
            ", cuda" if torch.cuda.is_available() else ""
        )
    return None

"""Checks of ``zipfian-train --hp`` overrides and ``--device`` before any training starts.

A key must be a keyword of the algorithm's constructor (and not one the CLI sets itself), and the
common hyperparameters must lie in their sane ranges (``gamma`` in (0, 1], ``learning_rate`` > 0, ...):
``--hp gamma=5`` used to train to NaN logits and crash minutes later.
"""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Iterable
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
    "target_kl": ("real", 0.0, None, True),
    "clip_range_vf": ("real", 0.0, None, True),
}
# Ranged keywords whose default None (off) may also be given: --hp target_kl=None.
OPTIONAL = ("target_kl", "clip_range_vf")
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


def _is_integer(value: Any) -> bool:
    """An int, not a bool (``1e6`` is a float: SB3 would size its buffers with it and fail)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _bounds_text(low: float | None, high: float | None, low_open: bool) -> str:
    if high is None:
        return f"> {low}" if low_open else f">= {low}"
    return f"in ({low}, {high}]" if low_open else f"in [{low}, {high}]"


def check_value(
    name: str,
    value: Any,
    ranges: dict[str, tuple[str, float | None, float | None, bool]] = RANGES,
    optional: tuple[str, ...] = OPTIONAL,
) -> str | None:
    """The problem with ``--hp name=value`` as a one-line message, or None if it is in range (``ranges``)."""
    if name == "policy_kwargs":
        example = "{'net_arch': [64]}"
        return None if isinstance(value, dict) else f"--hp policy_kwargs must be a dict, e.g. {example}, got {value!r}"
    if name.endswith("_kwargs"):
        return None if isinstance(value, dict) else f"--hp {name} must be a dict, e.g. {{}}, got {value!r}"
    if name.endswith("_class"):
        return f"--hp {name} takes a Python class, which the command line cannot give; drop it"
    if name not in ranges or (name in optional and value is None):
        return None
    kind, low, high, low_open = ranges[name]
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "int" and not _is_integer(value):
        return f"--hp {name} must be an integer {_bounds_text(low, high, low_open)}, got {value!r}"
    if not real or not (isinstance(value, int) or math.isfinite(value)):  # isfinite(10**400) overflows
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
        problem = check_value(name, value) or check_type(name, value, _default(algo_cls, name))
        if problem:
            return problem
    return None


def check_type(
    name: str, value: Any, default: Any, ranged: Iterable[str] = RANGES, flag: str = "--hp"
) -> str | None:
    """The problem with ``flag name=value`` against the type of the constructor's default, or None.

    A bool default wants ``True``/``False`` (``normalize_advantage=no`` is a non-empty string, so true),
    an int default an integer, a float default a finite number; other defaults (None, str) take anything.
    """
    if name in ranged or name == "policy_kwargs" or default is None:
        return None
    if isinstance(default, bool):
        return None if isinstance(value, bool) else f"{flag} {name} must be True or False, got {value!r}"
    real = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int) and not _is_integer(value):
        return f"{flag} {name} must be an integer, got {value!r}"
    if isinstance(default, float) and not (real and (isinstance(value, int) or math.isfinite(value))):
        return f"{flag} {name} must be a finite number, got {value!r}"
    if isinstance(default, str) and not isinstance(value, str):
        return f"{flag} {name} must be a string, got {value!r}"
    for kind, word in ((dict, "a dict"), (list, "a list")):
        if isinstance(default, kind) and not isinstance(value, kind):
            return f"{flag} {name} must be {word}, got {value!r}"
    return None


def _default(algo_cls: type, name: str) -> Any:
    """The default of keyword ``name`` of ``algo_cls(...)`` (None if it has none)."""
    parameter = inspect.signature(algo_cls).parameters.get(name)
    return None if parameter is None or parameter.default is inspect.Parameter.empty else parameter.default


def check_combination(algo: str, algo_cls: type, kwargs: dict[str, Any], n_envs: int) -> str | None:
    """The problem with the preset and ``--hp`` settings taken together with ``n_envs``, or None.

    PPO and recurrent PPO normalise advantages over a rollout and over each minibatch: a rollout of
    one step (``n_steps * n_envs == 1``) or a minibatch of one gives NaN (SB3 asserts mid-setup);
    episodic ``train_freq`` works with one env only.
    """
    keywords = constructor_keywords(algo_cls)
    if "n_steps" in keywords and "batch_size" in keywords and "n_epochs" in keywords:
        n_steps = kwargs.get("n_steps", _default(algo_cls, "n_steps"))
        batch_size = kwargs.get("batch_size", _default(algo_cls, "batch_size"))
        if kwargs.get("normalize_advantage", _default(algo_cls, "normalize_advantage")):
            if n_steps * n_envs < 2:
                return (f"--hp n_steps={n_steps} with {n_envs} env(s): {algo} needs n_steps * n_envs >= 2 "
                        "(it normalises advantages over the rollout); raise n_steps or --n-envs")  # fmt: skip
            if batch_size < 2:
                return (f"--hp batch_size={batch_size}: {algo} needs batch_size >= 2 (it normalises advantages "
                        "over each minibatch), or --hp normalize_advantage=False")  # fmt: skip
    train_freq = kwargs.get("train_freq")
    episodic = isinstance(train_freq, (list, tuple)) and len(train_freq) == 2 and train_freq[1] == "episode"
    if episodic and n_envs > 1:
        return f"--hp train_freq={train_freq!r} (per episode) works with one env only; give --n-envs 1, got {n_envs}"
    return None


def machine_memory() -> int | None:
    """This machine's physical memory in bytes (None where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _observation_bytes(space: Any) -> int:
    """Bytes of one observation of ``space`` (a Dict's parts summed), as SB3's buffers store it."""
    if isinstance(getattr(space, "spaces", None), dict):
        return sum(_observation_bytes(part) for part in space.spaces.values())
    shape = getattr(space, "shape", None) or (1,)
    itemsize = getattr(getattr(space, "dtype", None), "itemsize", 8)
    return int(math.prod(shape)) * itemsize


def check_memory(
    algo: str, algo_cls: type, kwargs: dict[str, Any], n_envs: int, frame_stack: int, observation_space: Any
) -> str | None:
    """The problem with settings whose buffers would not fit in this machine's memory, or None.

    On-policy algorithms keep ``n_steps * n_envs`` observations (the rollout), off-policy ones
    ``buffer_size`` (twice: observations and next observations), each ``frame_stack`` frames deep;
    ``n_steps=10**12`` used to fail inside NumPy with a traceback (or be killed for memory).
    """
    total = machine_memory()
    if total is None:
        return None
    frame = _observation_bytes(observation_space) * frame_stack
    keywords = constructor_keywords(algo_cls)
    if "buffer_size" in keywords or "buffer_size" in kwargs:
        count = kwargs.get("buffer_size", _default(algo_cls, "buffer_size")) or 0
        what, need = f"a replay buffer of buffer_size={count}", 2 * count * frame
    else:
        n_steps = kwargs.get("n_steps", _default(algo_cls, "n_steps")) or 0
        what, need = f"a rollout of n_steps * n_envs = {n_steps} * {n_envs}", n_steps * n_envs * frame
    need += n_envs * frame  # the envs' current (stacked) observations
    if need > total:
        return (f"{algo} would need about {need / 2**30:,.1f} GiB for {what} of {frame:,}-byte observations "
                f"(--frame-stack {frame_stack}), more than this machine's {total / 2**30:,.1f} GiB; "
                "lower --hp n_steps / buffer_size, --n-envs or --frame-stack")  # fmt: skip
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

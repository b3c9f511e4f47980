"""Hyperparameter presets per (algorithm, env family, observation kind): the one documented place.

Lookup falls back from ``(algo, family, kind)`` to ``(algo, "*", kind)`` to ``(algo, "*", "*")``, so
a new env family trains with sensible defaults before anyone tunes it. ``kind`` is ``pixels``,
``symbolic``, ``dict`` or ``vector`` (see :func:`zipfian_envs.agents.extractors.observation_kind`). The feature
extractor comes from :func:`zipfian_envs.agents.extractors.extractor_for`; ``policy_kwargs`` here only add the
heads. Values were chosen for a 2-core CPU: short rollouts over 8 envs, small networks, 1 torch
thread. ``zipfian-train --hp KEY=VALUE`` overrides any constructor argument.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm

from zipfian_envs.evaluation import policies

# The classes of the one algorithm table (zipfian_envs.evaluation.policies.ALGOS), imported: training needs them all.
ALGOS: dict[str, type[BaseAlgorithm]] = {name: policies.algo_class(name) for name in policies.ALGOS}

# SB3 policy names per observation kind; recurrent PPO has its own LSTM policies.
POLICY_NAMES = {
    "default": {"pixels": "CnnPolicy", "symbolic": "MlpPolicy", "vector": "MlpPolicy", "dict": "MultiInputPolicy"},
    "recurrentppo": {
        "pixels": "CnnLstmPolicy",
        "symbolic": "MlpLstmPolicy",
        "vector": "MlpLstmPolicy",
        "dict": "MultiInputLstmPolicy",
    },
}


@dataclass(frozen=True)
class Preset:
    """Constructor kwargs, extra policy kwargs and the default number of parallel envs."""

    algo_kwargs: dict[str, Any] = field(default_factory=dict)
    policy_kwargs: dict[str, Any] = field(default_factory=dict)
    n_envs: int = 8


_PPO = dict(
    n_steps=128, batch_size=256, n_epochs=4, learning_rate=3e-4, gamma=0.99, gae_lambda=0.95,
    clip_range=0.2, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5,
)  # fmt: skip
_A2C = dict(n_steps=8, learning_rate=7e-4, gamma=0.99, gae_lambda=1.0, ent_coef=0.01, vf_coef=0.5)
_DQN = dict(
    buffer_size=100_000, learning_starts=2_000, batch_size=64, learning_rate=1e-4, gamma=0.99,
    train_freq=4, gradient_steps=1, target_update_interval=2_000, exploration_fraction=0.2,
    exploration_final_eps=0.05,
)  # fmt: skip
_QRDQN = dict(_DQN)
_SOFTQ = dict(
    buffer_size=100_000, learning_starts=2_000, batch_size=64, learning_rate=1e-4, gamma=0.99,
    train_freq=4, gradient_steps=1, target_update_interval=2_000, temperature=0.02, kl_prior=True,
)  # fmt: skip
# Replay buffers of 63x63x3 frames: 30k transitions hold ~0.7 GB (observations and next observations).
_PIXEL_BUFFER = dict(buffer_size=30_000)

_HEADS = {"net_arch": dict(pi=[64], vf=[64])}
_Q_HEADS = {"net_arch": [64]}
_LSTM = {"net_arch": dict(pi=[64], vf=[64]), "lstm_hidden_size": 128}



def _raw_pixels(extractor_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Policy kwargs for raw 0..255 pixels: SB3 skips its /255 pass and the extractor's first conv scales.

    The two settings only make sense together, so they are set in one place: SB3's
    ``normalize_images`` division was half of a Gridworld pixel PPO update.
    """
    return {"normalize_images": False, "features_extractor_kwargs": {**extractor_kwargs, "pixel_scale": 1 / 255}}


PRESETS: dict[tuple[str, str, str], Preset] = {
    ("ppo", "*", "*"): Preset(_PPO, _HEADS),
    ("a2c", "*", "*"): Preset(_A2C, _HEADS),
    ("dqn", "*", "*"): Preset(_DQN, _Q_HEADS, n_envs=4),
    ("dqn", "*", "pixels"): Preset({**_DQN, **_PIXEL_BUFFER}, _Q_HEADS, n_envs=4),
    ("qrdqn", "*", "*"): Preset({**_QRDQN}, {**_Q_HEADS, "n_quantiles": 50}, n_envs=4),
    ("qrdqn", "*", "pixels"): Preset({**_QRDQN, **_PIXEL_BUFFER}, {**_Q_HEADS, "n_quantiles": 50}, n_envs=4),
    ("recurrentppo", "*", "*"): Preset(dict(_PPO, batch_size=128), _LSTM),
    ("softq", "*", "*"): Preset(_SOFTQ, _Q_HEADS, n_envs=4),
    ("softq", "*", "pixels"): Preset({**_SOFTQ, **_PIXEL_BUFFER}, _Q_HEADS, n_envs=4),
    # Gridworld, symbolic codes, sized for throughput on the paper's default configuration (issue 12):
    # 64 envs in one process (the native vector env), 64-step rollouts, minibatches of 1,024 and a
    # 128-unit extractor. About 11,000 steps/s on one core, against 4,200 for 8 envs, 128-step
    # rollouts, minibatches of 256 and the 256-unit extractor; ~70% of the time is the PPO update.
    ("ppo", "Gridworld", "symbolic"): Preset(
        dict(_PPO, learning_rate=5e-4, n_steps=64, batch_size=1024, n_epochs=3),
        {**_HEADS, "features_extractor_kwargs": {"hidden": 128, "features_dim": 128}},
        n_envs=64,
    ),
    # Pixels, sized for throughput (issue 25; benchmarks/bench_training.py): the native vector env's
    # many envs in one process, short rollouts, large minibatches, and encoders sized to the view
    # (the Gridworld's per-cell CNN at 16 channels; the first-person views' 16/32/32 FastImageCNN),
    # reading raw pixels (_RAW_PIXELS).
    ("ppo", "Gridworld", "pixels"): Preset(
        dict(_PPO, learning_rate=5e-4, n_steps=64, batch_size=1024, n_epochs=3),
        {**_HEADS, **_raw_pixels({"channels": 16, "features_dim": 128})},
        n_envs=64,
    ),
    ("ppo", "Labyrinth", "dict"): Preset(
        dict(_PPO, n_steps=64, batch_size=512, n_epochs=3),
        {**_HEADS, **_raw_pixels({"image_encoder": "fast"})},
        n_envs=32,
    ),
    ("ppo", "Playroom", "dict"): Preset(
        dict(_PPO, n_steps=64, batch_size=512, n_epochs=3),
        {**_HEADS, **_raw_pixels({"image_encoder": "fast"})},
        n_envs=32,
    ),
}


def get_preset(algo: str, family: str, kind: str) -> Preset:
    """A deep copy of the most specific preset for ``(algo, family, kind)``."""
    if algo not in ALGOS:
        raise ValueError(f"unknown algo {algo!r}; valid: {', '.join(ALGOS)}")
    for key in ((algo, family, kind), (algo, "*", kind), (algo, "*", "*")):
        if key in PRESETS:
            return copy.deepcopy(PRESETS[key])
    raise KeyError(f"no preset for {(algo, family, kind)}")  # unreachable: every algo has a ("*", "*")


def policy_name(algo: str, kind: str) -> str:
    """The SB3 policy name for an algorithm and observation kind."""
    return POLICY_NAMES.get(algo, POLICY_NAMES["default"])[kind]

"""RLlib agents on the harness's leaderboards: the observation cast RLlib needs and a ``predict()`` adapter.

RLlib's default encoders take float32 observations (a uint8 image reaches the first layer as a
dtype mismatch) and have no encoder for Dict spaces. :func:`float_observations` gives, for any
Zipfian observation space, the float32 space RLlib trains on and the pure function that maps raw
observations to it: integer boxes are scaled to [0, 1] by their bounds (images by 255, Gridworld
codes by 227, token ids by the vocabulary size), float boxes pass unchanged, and Dict spaces are
flattened key by key (sorted keys) into one vector. The env creator
(:mod:`zipfian_envs.agents.rllib_backend`) and :class:`RLlibPolicy` apply the same function, so
the harness feeds the trained module exactly what it saw in training.

:class:`RLlibPolicy` wraps a trained RLModule in Stable-Baselines3's ``predict(obs, state,
episode_start, deterministic)``: a recurrent module's state is carried between calls and reset
where ``episode_start`` is set; sampled actions come from the policy's own seeded numpy generator.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

# Where RLlib's Algorithm checkpoint keeps the trained module (learner_group/learner/rl_module/default_policy).
MODULE_PATH = ("learner_group", "learner", "rl_module", "default_policy")


def _box_transform(space: spaces.Box) -> tuple[spaces.Box, Callable[[np.ndarray], np.ndarray]]:
    """Float32 Box of the same shape and the map from raw values (integer boxes scaled to [0, 1])."""
    if np.issubdtype(space.dtype, np.floating):
        return spaces.Box(space.low.astype(np.float32), space.high.astype(np.float32), space.shape, np.float32), (
            lambda x: np.asarray(x, dtype=np.float32)
        )
    low, high = space.low.astype(np.float32), space.high.astype(np.float32)
    if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
        raise ValueError(f"an integer Box needs finite bounds to be scaled for RLlib, got {space}")
    span = np.maximum(high - low, 1.0)
    scale, offset = (1.0 / span).astype(np.float32), low
    float_space = spaces.Box(0.0, 1.0, space.shape, np.float32)
    return float_space, lambda x: (np.asarray(x, dtype=np.float32) - offset) * scale


def float_observations(space: spaces.Space) -> tuple[spaces.Box, Callable[[Any], np.ndarray]]:
    """The float32 space RLlib trains on and a function from raw observations (one or a batch) to it.

    The function takes one observation or a batch with leading dimensions; Dict observations become
    one flat vector per observation (keys in sorted order, each flattened and scaled as a Box).
    """
    if isinstance(space, spaces.Box):
        return _box_transform(space)
    if isinstance(space, spaces.Dict):
        parts = []
        for key in sorted(space.spaces):
            sub = space.spaces[key]
            if not isinstance(sub, spaces.Box):
                raise ValueError(f"Dict key {key!r} has space {sub}; the RLlib backend flattens Box entries only")
            parts.append((key, sub.shape, _box_transform(sub)[1]))
        size = sum(int(np.prod(shape)) for _, shape, _ in parts)

        def flatten(obs: dict[str, Any]) -> np.ndarray:
            first_key, first_shape, _ = parts[0]
            lead = np.shape(obs[first_key])[: np.ndim(obs[first_key]) - len(first_shape)]
            return np.concatenate([f(obs[k]).reshape(*lead, -1) for k, _, f in parts], axis=-1)

        return spaces.Box(0.0, 1.0, (size,), np.float32), flatten
    raise ValueError(f"observation space {space} is not supported by the RLlib backend; valid: Box, Dict of Box")


class FloatObservations(gym.ObservationWrapper):
    """Casts an env's observations with :func:`float_observations` (the env itself keeps its uint8 space)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space, self._transform = float_observations(env.observation_space)

    def observation(self, observation: Any) -> np.ndarray:
        """The float32 observation RLlib's encoders take."""
        return self._transform(observation)


class RLlibPolicy:
    """A trained RLlib RLModule behind SB3's ``predict`` (what the evaluation harness calls).

    ``observation_space`` is the env's raw space; observations are cast as in training. For a
    recurrent module (``use_lstm``) the state is a dict of per-env numpy arrays, reset to the
    module's initial state wherever ``episode_start`` is True.
    """

    def __init__(self, module: Any, observation_space: spaces.Space, seed: int = 0) -> None:
        import torch

        self.module = module
        self._torch = torch
        self.observation_space = observation_space
        _, self._transform = float_observations(observation_space)
        self._rng = np.random.default_rng(seed)
        self.recurrent = bool(module.is_stateful())
        self._initial = (
            {k: v.detach().cpu().numpy() for k, v in module.get_initial_state().items()} if self.recurrent else {}
        )

    @classmethod
    def from_checkpoint(cls, path: str | Path, observation_space: spaces.Space, seed: int = 0) -> RLlibPolicy:
        """Load the module of an RLlib Algorithm checkpoint (a folder written by ``zipfian-train --backend rllib``)."""
        from ray.rllib.core.rl_module.rl_module import RLModule

        path = Path(path)
        module_dir = path.joinpath(*MODULE_PATH) if not (path / "module_state.pt").exists() else path
        if not module_dir.is_dir():
            raise FileNotFoundError(f"no RLlib module checkpoint under {path} (looked for {module_dir})")
        return cls(RLModule.from_checkpoint(module_dir.resolve().as_posix()), observation_space, seed=seed)

    def _state(self, state: Any, episode_start: Any, n: int) -> dict[str, np.ndarray]:
        """The state to feed: initial rows where an episode starts (or no state yet), carried rows elsewhere."""
        fresh = {k: np.repeat(v[None], n, axis=0) for k, v in self._initial.items()}
        if state is None:
            return fresh
        starts = np.ones(n, dtype=bool) if episode_start is None else np.asarray(episode_start, dtype=bool)
        return {k: np.where(starts.reshape(-1, *[1] * (v.ndim - 1)), fresh[k], v) for k, v in state.items()}

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """Actions for a batch of raw observations (greedy, or sampled from the policy's logits)."""
        torch = self._torch
        obs = torch.from_numpy(np.ascontiguousarray(self._transform(observation)))
        n = obs.shape[0]
        batch: dict[str, Any] = {"obs": obs}
        if self.recurrent:
            state = self._state(state, episode_start, n)
            batch["obs"] = obs.unsqueeze(1)  # one time step per env
            batch["state_in"] = {k: torch.from_numpy(v) for k, v in state.items()}
        with torch.no_grad():
            out = self.module.forward_inference(batch)
        logits = out["action_dist_inputs"].detach().cpu().numpy().astype(np.float64)
        logits = logits.reshape(n, -1)
        if self.recurrent:
            state = {k: v.detach().cpu().numpy() for k, v in out["state_out"].items()}
        if deterministic:
            actions = logits.argmax(axis=1)
        else:
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            # One uniform draw per env against the cumulative probabilities: a seeded categorical sample.
            draws = self._rng.random(n)[:, None]
            actions = np.minimum((probs.cumsum(axis=1) < draws).sum(axis=1), probs.shape[1] - 1)
        return actions.astype(np.int64), (state if self.recurrent else None)

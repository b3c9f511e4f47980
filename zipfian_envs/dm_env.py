"""A ``dm_env.Environment`` over any ``Zipfian/*`` id: the API of DeepMind's reference release.

``zipfian_envs.dm_env.make("Zipfian/Labyrinth-v0", seed=0, level="rooms_watermaze")`` needs the
``dm`` extra (``pip install "zipfian-envs[dm]"``); importing this module does not. Specs come from
the Gymnasium spaces: a ``Dict`` observation gives a dict of specs, a ``Box`` a ``BoundedArray`` (its
bounds and dtype), a ``Discrete`` a ``DiscreteArray``. A terminated episode ends with a
``termination`` step (discount 0), a truncated one (time limit) with a ``truncation`` step
(discount 1: the return does not stop there), and the next ``step()`` starts a new episode, as
``dm_env`` asks. Only the first reset is seeded, so one seed gives one sequence of episodes.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import DependencyNotInstalled

INSTALL = 'pip install "zipfian-envs[dm]"'


def import_dm_env() -> ModuleType:
    """The ``dm_env`` package, or ``DependencyNotInstalled`` with the install line."""
    try:
        import dm_env
    except ImportError as error:
        raise DependencyNotInstalled(f"dm-env is not installed; run `{INSTALL}` to use zipfian_envs.dm_env") from error
    return dm_env


def spec_of(space: gym.Space[Any], name: str) -> Any:
    """The ``dm_env.specs`` spec of a Gymnasium space (a dict of specs for a ``Dict``)."""
    specs = import_dm_env().specs
    if isinstance(space, spaces.Dict):
        return {key: spec_of(sub, key) for key, sub in space.spaces.items()}
    if isinstance(space, spaces.Discrete):
        if int(space.start) != 0:
            raise ValueError(f"{name}: dm_env's DiscreteArray counts from 0, but {space} starts at {space.start}")
        return specs.DiscreteArray(num_values=int(space.n), dtype=np.int64, name=name)
    if isinstance(space, spaces.Box):
        return specs.BoundedArray(space.shape, space.dtype, space.low, space.high, name=name)
    raise ValueError(f"{name}: no dm_env spec for {space}; valid: Dict, Box or Discrete spaces")


@functools.cache
def adapter_class() -> type:
    """The adapter class, built once ``dm_env`` is importable (its base class comes from the package)."""
    dm_env = import_dm_env()

    class GymnasiumToDmEnv(dm_env.Environment):  # type: ignore[name-defined]
        """A ``dm_env.Environment`` that steps one Gymnasium env."""

        def __init__(self, env: gym.Env[Any, Any], seed: int | None = None) -> None:
            self.gym_env = env
            self.seed = seed
            self.info: dict[str, Any] = {}  # the latest Gymnasium info (dm_env's TimeStep has no place for it)
            self._observation_spec = spec_of(env.observation_space, "observation")
            self._action_spec = spec_of(env.action_space, "action")
            self._needs_reset = True
            self._seeded = False

        def reset(self) -> Any:
            """Start an episode: a FIRST step (no reward, no discount)."""
            seed = None if self._seeded else self.seed
            self._seeded = True
            observation, self.info = self.gym_env.reset(seed=seed)
            self._needs_reset = False
            return dm_env.restart(observation)

        def step(self, action: Any) -> Any:
            """One step; on a fresh env or after a LAST step, a reset instead (the action is ignored)."""
            if self._needs_reset:
                return self.reset()
            observation, reward, terminated, truncated, self.info = self.gym_env.step(action)
            reward = float(reward)
            if terminated:
                self._needs_reset = True
                return dm_env.termination(reward, observation)
            if truncated:
                self._needs_reset = True
                return dm_env.truncation(reward, observation, discount=1.0)
            return dm_env.transition(reward, observation, discount=1.0)

        def observation_spec(self) -> Any:
            """The observation spec (a dict of specs for Dict observations)."""
            return self._observation_spec

        def action_spec(self) -> Any:
            """The action spec: a DiscreteArray, or a BoundedArray for the continuous Playroom."""
            return self._action_spec

        def close(self) -> None:
            """Close the Gymnasium env."""
            self.gym_env.close()

    return GymnasiumToDmEnv


def make(env_id: str, seed: int | None = None, **kwargs: Any) -> Any:
    """``gym.make(env_id, **kwargs)`` as a ``dm_env.Environment`` (first reset seeded with ``seed``)."""
    import_dm_env()  # before gym.make: a missing extra is reported without building the env first
    # The ids are registered already: importing this module ran the package's __init__.
    return wrap(gym.make(env_id, **kwargs), seed=seed)


def wrap(env: gym.Env[Any, Any], seed: int | None = None) -> Any:
    """An existing Gymnasium env as a ``dm_env.Environment``."""
    return adapter_class()(env, seed=seed)

"""Exploration aids of an agent's training: bonuses added on the agent's side, never in the env.

The env's reward, episodes and info (``success``, the Monitor-style ``episode`` return) are left as
they are; only the rewards SB3 learns from change. Evaluation runs on the raw env, so results of a
run trained with an aid compare directly with runs trained without one (and record that it was on).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn


class EpisodicNoveltyBonus(VecEnvWrapper):
    """Add ``bonus`` to the reward of every step that enters a cell not yet visited this episode.

    A count-free episodic novelty bonus (first visits only, the start cell counts as visited), the
    simplest intrinsic reward for searching a partially observed map. The bonus decays linearly from
    ``bonus`` to 0 over ``decay_steps`` environment steps (0: constant), so the policy ends training on
    the env's reward alone. Steps that end an episode get no bonus: finishing never pays for itself.

    Needs the agent's grid cell from the underlying vector env (``agent_cells``, ``(num_envs, 2)``),
    which the Gridworld's native vector env exposes (``zipfian-train --vec-env auto``).
    """

    def __init__(self, venv: VecEnv, bonus: float, decay_steps: int = 0) -> None:
        if not np.isfinite(bonus) or bonus <= 0:
            raise ValueError(f"novelty bonus must be a positive number, got {bonus!r}")
        if decay_steps < 0:
            raise ValueError(f"decay_steps must be >= 0, got {decay_steps}")
        # Duck-typed: any native vector env with agent_cells and maps (checked just below).
        self._vector_env = cast(Any, getattr(venv, "env", None))
        if not hasattr(self._vector_env, "agent_cells"):
            raise ValueError(
                f"the novelty bonus needs a native vector env exposing agent_cells (the Gridworld's, "
                f"--vec-env auto or native); got {type(venv).__name__} over {type(self._vector_env).__name__}"
            )
        super().__init__(venv)
        self.bonus = float(bonus)
        self.decay_steps = int(decay_steps)
        self.steps = 0  # environment steps so far; a resumed run sets it to the checkpoint's
        height, width = self._vector_env.maps[0].walls.shape
        self._width = width
        self._visited = np.zeros((self.num_envs, height * width), dtype=bool)
        self._rows = np.arange(self.num_envs)

    def current_bonus(self) -> float:
        """The bonus per new cell at the wrapper's current step count."""
        if not self.decay_steps:
            return self.bonus
        return self.bonus * max(0.0, 1.0 - self.steps / self.decay_steps)

    def _cells(self) -> np.ndarray:
        rows, cols = self._vector_env.agent_cells.T
        return rows * self._width + cols

    def reset(self) -> VecEnvObs:
        """Reset every env and mark each start cell visited."""
        observations = self.venv.reset()
        self._visited[:] = False
        self._visited[self._rows, self._cells()] = True
        return observations

    def step_wait(self) -> VecEnvStepReturn:
        """Step, add the bonus for first visits, and start a fresh visit map where an episode ended."""
        observations, rewards, dones, infos = self.venv.step_wait()
        cells = self._cells()  # after same-step autoreset: a finished env's new start cell
        first_visit = ~self._visited[self._rows, cells] & ~dones
        bonus = self.current_bonus()
        rewards = rewards + np.float32(bonus) * first_visit.astype(np.float32)
        self._visited[dones] = False
        self._visited[self._rows, cells] = True
        self.steps += self.num_envs
        return observations, rewards, dones, infos


class ClipReward(VecEnvWrapper):
    """Clip every reward SB3 learns from to ``[-limit, limit]`` (IMPALA's DMLab-30 practice).

    The Labyrinth's levels pay from 1 (an object) to tens of points per event; unclipped, the value
    loss of the high-paying levels swamps the shared encoder's gradient (and the clipped update
    norm). Clipping makes each level's events count alike. Evaluation runs on the raw env.
    """

    def __init__(self, venv: VecEnv, limit: float) -> None:
        if not np.isfinite(limit) or limit <= 0:
            raise ValueError(f"reward clip limit must be a positive number, got {limit!r}")
        super().__init__(venv)
        self.limit = float(limit)

    def reset(self) -> VecEnvObs:
        """Reset every env."""
        return self.venv.reset()

    def step_wait(self) -> VecEnvStepReturn:
        """Step and clip the rewards."""
        observations, rewards, dones, infos = self.venv.step_wait()
        return observations, np.clip(rewards, -self.limit, self.limit), dones, infos


# Maps the fresh-map share of training plays: the env's first maps (the evaluated ones) are among
# them, each at 1/FRESH_MAPS of that share, so they gain no meaningful extra experience.
FRESH_MAPS = 1000


def fresh_map_kwargs(env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """The Gridworld kwargs of the fresh-map sub-envs: the same config over ``FRESH_MAPS`` maps, uniform."""
    num_maps = int(env_kwargs.get("num_maps", 20))
    if num_maps >= FRESH_MAPS:
        raise ValueError(f"fresh maps need num_maps < {FRESH_MAPS}, got num_maps={num_maps}")
    kwargs = {k: v for k, v in env_kwargs.items() if k not in ("level", "distribution", "exponent")}
    return {**kwargs, "num_maps": FRESH_MAPS, "distribution": "uniform"}


class ConcatVecEnv(VecEnv):
    """Several SB3 VecEnvs with the same spaces stepped as one; sub-envs of ``parts[0]`` come first.

    The map-diversity aid of training puts the default-configuration envs and the fresh-map envs
    side by side, so every rollout (and every PPO minibatch) mixes the two.
    """

    def __init__(self, parts: list[VecEnv]) -> None:
        for part in parts[1:]:
            if part.observation_space != parts[0].observation_space or part.action_space != parts[0].action_space:
                raise ValueError("ConcatVecEnv parts must share observation and action spaces")
        self.parts = parts
        self._ends = np.cumsum([part.num_envs for part in parts])
        super().__init__(int(self._ends[-1]), parts[0].observation_space, parts[0].action_space)

    def _split(self, indices: Any) -> list[tuple[VecEnv, list[int]]]:
        wanted = self._get_indices(indices)
        starts = np.concatenate([[0], self._ends[:-1]])
        groups = []
        for part, start, end in zip(self.parts, starts, self._ends):
            local = [int(i - start) for i in wanted if start <= i < end]
            if local:
                groups.append((part, local))
        return groups

    def reset(self) -> VecEnvObs:
        """Reset every part; observations in sub-env order."""
        return np.concatenate([part.reset() for part in self.parts])

    def step_async(self, actions: np.ndarray) -> None:
        """Hand each part its slice of the actions."""
        starts = np.concatenate([[0], self._ends[:-1]])
        for part, start, end in zip(self.parts, starts, self._ends):
            part.step_async(actions[start:end])

    def step_wait(self) -> VecEnvStepReturn:
        """Every part's step, concatenated."""
        results = [part.step_wait() for part in self.parts]
        infos = [info for result in results for info in result[3]]
        observations, rewards, dones = (np.concatenate([result[k] for result in results]) for k in range(3))
        return observations, rewards, dones, infos

    def close(self) -> None:
        """Close every part."""
        for part in self.parts:
            part.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        """The attribute of each chosen sub-env."""
        return [value for part, local in self._split(indices) for value in part.get_attr(attr_name, local)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        """Set the attribute on each chosen sub-env."""
        for part, local in self._split(indices):
            part.set_attr(attr_name, value, local)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list[Any]:
        """Call a method of each chosen sub-env."""
        return [
            value
            for part, local in self._split(indices)
            for value in part.env_method(method_name, *method_args, indices=local, **method_kwargs)
        ]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        """Whether each chosen sub-env is wrapped in ``wrapper_class``."""
        return [flag for part, local in self._split(indices) for flag in part.env_is_wrapped(wrapper_class, local)]

    def seed(self, seed: int | None = None) -> list[int | None]:
        """Seed the parts so that sub-env ``i`` gets ``seed + i``, as one VecEnv of them all would."""
        starts = np.concatenate([[0], self._ends[:-1]])
        return [
            s for part, start in zip(self.parts, starts) for s in part.seed(None if seed is None else seed + int(start))
        ]

    def get_images(self) -> list[np.ndarray | None]:
        """Every part's frames, in sub-env order."""
        return [image for part in self.parts for image in part.get_images()]

"""Exploration aids of an agent's training: bonuses added on the agent's side, never in the env.

The env's reward, episodes and info (``success``, the Monitor-style ``episode`` return) are left as
they are; only the rewards SB3 learns from change. Evaluation runs on the raw env, so results of a
run trained with an aid compare directly with runs trained without one (and record that it was on).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper


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
        self._vector_env = getattr(venv, "env", None)
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

    def reset(self) -> np.ndarray:
        """Reset every env and mark each start cell visited."""
        observations = self.venv.reset()
        self._visited[:] = False
        self._visited[self._rows, self._cells()] = True
        return observations

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
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

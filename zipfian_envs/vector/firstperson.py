"""Native vector envs for the first-person families (Labyrinth, Playroom): rules per env, pixels batched.

A first-person step has two parts of very different cost. The level's rules (movement, pickups,
bots, grips) are a few dozen microseconds of Python per env and differ per level, so each
sub-env keeps its own single env object and runs them unchanged (``_start`` and ``_advance``,
the single env's ``reset`` and ``step`` without the observation). The picture (the raycaster:
some 90% of a single env's step) is then drawn for every sub-env at once by
:func:`zipfian_envs.engine.batch.render_batch`, which equals the single renderer bit for bit (in
numpy, or in numba-compiled kernels with the ``fast`` extra: :mod:`zipfian_envs.engine.backend`).
Since each sub-env is the single env itself, seeds, draws, rewards, terminations and info keys
are those of N single envs by construction.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from zipfian_envs import vector
from zipfian_envs.engine.backend import render_batch_rgb


class FirstPersonVectorEnv(vector.NativeVectorEnv):
    """``num_envs`` sub-envs of ``env_class``; a subclass sets ``env_class``, ``shared_attributes``, ``draws_overlays``.

    Autoreset modes, seeds, ``reset_mask`` and ``item_rank`` options (one int, or one int or None
    per sub-env) and the info layout follow :class:`zipfian_envs.gridworld.vector.GridworldVectorEnv`.
    """

    env_class: type[gym.Env]
    shared_attributes: tuple[str, ...] = ("level",)
    # Whether the single env's ``_overlay`` draws anything (the vector env skips the call if not).
    draws_overlays: bool = True
    metadata = {"render_modes": ["rgb_array"], "autoreset_mode": AutoresetMode.NEXT_STEP}
    per_env_methods = ("oracle_action",)

    def __init__(
        self,
        num_envs: int = 1,
        *,
        render_mode: str | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        **kwargs: Any,
    ) -> None:
        self.num_envs = vector.check_num_envs(num_envs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r} for the vector env; valid: None, rgb_array")
        self.autoreset_mode = vector.check_autoreset_mode(autoreset_mode)
        self.metadata = {
            **self.metadata,
            "render_fps": self.env_class.metadata["render_fps"],
            "autoreset_mode": self.autoreset_mode,
        }
        self.render_mode = render_mode
        self.envs = [self.env_class(render_mode=render_mode, **kwargs) for _ in range(self.num_envs)]
        first = self.envs[0]
        for name in self.shared_attributes:
            setattr(self, name, getattr(first, name))
        self.action_names = first.action_names
        self.camera = first.camera
        self.num_items = first.sampler.num_items
        self.single_observation_space = first.observation_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.single_action_space = first.action_space
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._done = np.ones(self.num_envs, dtype=bool)
        self._started = False

    # -- Gymnasium vector API ----------------------------------------------------------------
    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None):
        """Start episodes in every sub-env, or in those of ``options["reset_mask"]``."""
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        ranks, pinned = vector.per_env_pins("item_rank", options.pop("item_rank", None), self.num_envs, self.num_items)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; valid: item_rank, reset_mask")
        seeds = vector.per_env_seeds(seed, self.num_envs)
        mask = np.ones(self.num_envs, dtype=bool) if mask is None else vector.check_reset_mask(mask, self.num_envs)
        if not self._started and not mask.all():
            raise RuntimeError("the first reset() must reset every sub-env (no reset_mask)")
        infos: list[dict[str, Any] | None] = [None] * self.num_envs
        for i in np.flatnonzero(mask).tolist():
            one = {"item_rank": int(ranks[i])} if pinned[i] else None
            infos[i] = self.envs[i]._start(seeds[i], one)
            self._done[i] = False
        self._started = True
        return self._observe(), merge_infos(infos)

    def step(self, actions: Any):
        """Step every sub-env (see the Gridworld vector env for the autoreset modes)."""
        actions = self._check_actions(actions)
        if not self._started:
            raise RuntimeError("step() called before reset(); call reset() first")
        mode = self.autoreset_mode
        if mode == AutoresetMode.DISABLED and self._done.any():
            waiting = np.flatnonzero(self._done).tolist()
            raise RuntimeError(
                f"sub-envs {waiting} finished their episodes and autoreset_mode is DISABLED; "
                "reset them with reset(options={'reset_mask': mask}) before stepping"
            )
        n = self.num_envs
        # Per-env results in lists, made arrays once (numpy item reads and writes cost more than the rules' own steps).
        reward_list, terminated_list, truncated_list = [0.0] * n, [False] * n, [False] * n
        infos: list[dict[str, Any] | None] = [None] * n
        restarting = self._done.tolist() if mode == AutoresetMode.NEXT_STEP else [False] * n
        for i, (env, action) in enumerate(zip(self.envs, actions)):
            if restarting[i]:
                infos[i] = env._start(None, None)
            else:
                reward_list[i], terminated_list[i], truncated_list[i], infos[i] = env._advance(action)
        rewards = np.array(reward_list, dtype=np.float64)
        terminated = np.array(terminated_list, dtype=bool)
        truncated = np.array(truncated_list, dtype=bool)
        dones = terminated | truncated
        self._done = dones.copy()
        observations = self._observe()
        finished = np.flatnonzero(dones)
        if mode == AutoresetMode.SAME_STEP and finished.size:
            rows = [{key: value[i].copy() for key, value in observations.items()} for i in finished.tolist()]
            final_obs = vector.object_array(rows, n, finished)
            final_info = merge_infos([infos[i] if dones[i] else None for i in range(n)])
            for i in finished.tolist():
                infos[i] = self.envs[i]._start(None, None)
            self._done[finished] = False
            fresh = self._observe(finished)
            for key, value in observations.items():
                value[finished] = fresh[key]
            info = merge_infos(infos)
            info.update(final_obs=final_obs, _final_obs=dones.copy(), final_info=final_info, _final_info=dones.copy())
        else:
            info = merge_infos(infos)
        return observations, rewards, terminated, truncated, info

    def render(self) -> tuple[np.ndarray, ...] | None:
        """With ``render_mode="rgb_array"``: each sub-env's top-down map."""
        if not self._render_ready():
            return None
        return tuple(env._render_frame() for env in self.envs)

    def oracle_action(self) -> np.ndarray:
        """Each sub-env's scripted oracle action (privileged state)."""
        self._check_oracle_ready()
        return np.array([env.oracle_action() for env in self.envs])

    # -- Internals -------------------------------------------------------------------------------
    def _check_actions(self, actions: Any) -> list:
        """Per-env actions as the single env takes them, or one clear error for the whole batch."""
        space = self.single_action_space
        if isinstance(space, gym.spaces.Discrete):
            checked = vector.check_discrete_actions(actions, self.num_envs, int(space.n), self.action_names)
            return checked.tolist()
        array = np.asarray(actions, dtype=np.float64) if not isinstance(actions, (str, bytes)) else None
        if array is None or array.shape != (self.num_envs, *space.shape) or not np.all(np.isfinite(array)):
            got = getattr(array, "shape", type(actions).__name__)
            raise ValueError(f"actions must be finite numbers of shape ({self.num_envs}, {space.shape[0]}), got {got}")
        return list(array)

    def _observe(self, indices: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The sub-envs' observations (all, or ``indices``), rendered in one batch: fresh arrays."""
        envs = self.envs if indices is None else [self.envs[i] for i in indices.tolist()]
        overlay = (lambda i, frame: envs[i]._overlay(frame)) if self.draws_overlays else None
        image = render_batch_rgb([env._frame() for env in envs], self.camera, overlay)
        # np.stack copies, so the sub-envs' cached token arrays need no copy of their own.
        return {"image": image, "instruction": np.stack([env._instruction_tokens(copy=False) for env in envs])}


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
        for key in first_info:
            values = [info[key] for info in infos]
            if isinstance(values[0], dict):
                merged[key] = merge_infos(values)
            else:
                merged[key] = _column(values, None, num_envs)
            merged["_" + key] = everyone.copy()
        return merged
    columns: dict[str, list[int]] = {}
    for i, info in enumerate(infos):
        if info:
            for key in info:
                columns.setdefault(key, []).append(i)
    merged = {}
    for key, present in columns.items():
        values = [infos[i][key] for i in present]
        if isinstance(values[0], dict):
            members = set(present)
            merged[key] = merge_infos([infos[i][key] if i in members else None for i in range(num_envs)])
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

"""Native vector envs for the first-person families (Labyrinth, Playroom): rules per env, pixels batched.

A first-person step has two parts of very different cost. The level's rules (movement, pickups,
bots, grips) are a few dozen microseconds of Python per env and differ per level, so each
sub-env keeps its own single env object and runs them unchanged, through the public
:class:`FirstPersonSubEnv` protocol that both single envs implement (their own ``reset`` and
``step`` are the same calls plus the observation). The picture (the raycaster: some 90% of a
single env's step) is then drawn for every sub-env at once by
:func:`zipfian_envs.engine.backend.render_batch_rgb`, which equals the single renderer bit for bit
(in numpy, or in numba-compiled kernels with the ``fast`` extra). Since each sub-env is the single
env itself, seeds, draws, rewards, terminations and info keys are those of N single envs by
construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, cast

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from zipfian_envs import vector
from zipfian_envs.core.skew import RankSampler
from zipfian_envs.core.types import Array, BoolArray, FirstPersonObs, FloatArray, Image, Info, IntArray
from zipfian_envs.engine.backend import render_batch_rgb
from zipfian_envs.engine.raycast import Camera
from zipfian_envs.vector.infos import merge_infos


class FirstPersonSubEnv(Protocol):
    """What a first-person single env offers its vector env: its rules without the observation, and what to draw."""

    def __init__(self, *, render_mode: str | None = None, **kwargs: Any) -> None:
        """The single env's constructor: its keyword arguments and ``render_mode``."""
        ...

    metadata: dict[str, Any]  # Gymnasium's env metadata (``render_fps``)

    @property
    def action_names(self) -> Sequence[str]:
        """The names of the discrete actions."""
        ...

    @property
    def camera(self) -> Camera:
        """The first-person camera (every sub-env's is the same)."""
        ...

    @property
    def sampler(self) -> RankSampler:
        """The level's item sampler (its ``num_items`` bounds ``item_rank``)."""
        ...

    @property
    def observation_space(self) -> gym.Space[FirstPersonObs]:
        """The single env's observation space."""
        ...

    @property
    def action_space(self) -> gym.Space[Any]:
        """The single env's action space."""
        ...

    def begin_episode(self, seed: int | None, options: dict[str, Any] | None) -> dict[str, Any]:
        """``reset`` without the observation: start an episode, return its info."""
        ...

    def advance(self, action: Any) -> tuple[float, bool, bool, dict[str, Any]]:
        """``step`` without the observation: reward, terminated, truncated, info."""
        ...

    def view_frame(self) -> tuple[Any, Any, Any]:
        """What the raycaster draws now: grid, pose and view (:mod:`zipfian_envs.engine.raycast` types)."""
        ...

    def draw_overlay(self, packed: Array) -> None:
        """Draw over the rendered packed (H, W) view in place (e.g. a held object)."""
        ...

    def instruction_tokens(self, copy: bool = True) -> IntArray:
        """The instruction's token ids (``copy=False``: the cached array, for a caller that copies)."""
        ...

    def render(self) -> Image | None:
        """The env's ``render()`` (its ``rgb_array`` frame)."""
        ...

    def oracle_action(self) -> int | Array:
        """The scripted oracle's action (privileged state)."""
        ...


class FirstPersonVectorEnv(vector.NativeVectorEnv[FirstPersonObs]):
    """``num_envs`` sub-envs of ``env_class``; a subclass sets ``env_class``, ``shared_attributes``, ``draws_overlays``.

    Autoreset modes, seeds, ``reset_mask`` and ``item_rank`` options (one int, or one int or None
    per sub-env) and the info layout follow :class:`zipfian_envs.gridworld.vector.GridworldVectorEnv`.
    """

    env_class: type[FirstPersonSubEnv]
    shared_attributes: tuple[str, ...] = ("distribution",)
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
        self.setup_vector(num_envs, render_mode, autoreset_mode, render_fps=self.env_class.metadata["render_fps"])
        self.envs: list[FirstPersonSubEnv] = [
            self.env_class(render_mode=render_mode, **kwargs) for _ in range(self.num_envs)
        ]
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
        self._infos: list[dict[str, Any] | None] = [None] * self.num_envs  # each sub-env's latest info

    # -- The sub-env protocol of vector.NativeVectorEnv ---------------------------------------------
    def reset_pins(self) -> dict[str, int]:
        """``item_rank``: 1..the number of items (levels or instruction items)."""
        return {"item_rank": self.num_items}

    def start_episodes(
        self, indices: IntArray, seeds: Sequence[int | None] | None, pins: dict[str, tuple[IntArray, BoolArray]]
    ) -> None:
        """New episodes in sub-envs ``indices``, each drawn by the single env itself."""
        no_pins = (np.zeros(self.num_envs, dtype=np.int64), np.zeros(self.num_envs, dtype=bool))
        ranks, pinned = pins.get("item_rank", no_pins)
        for k, i in enumerate(indices.tolist()):
            options = {"item_rank": int(ranks[i])} if pinned[i] else None
            self._infos[i] = self.envs[i].begin_episode(None if seeds is None else seeds[k], options)

    def advance(self, actions: list[Any], active: BoolArray) -> tuple[FloatArray, BoolArray, BoolArray]:
        """The rules of the sub-envs in ``active``, one by one."""
        n = self.num_envs
        # Per-env results in lists, made arrays once (numpy item reads and writes cost more than the rules' own steps).
        reward_list, terminated_list, truncated_list = [0.0] * n, [False] * n, [False] * n
        for i, (env, action, moving) in enumerate(zip(self.envs, actions, active.tolist())):
            if moving:
                reward_list[i], terminated_list[i], truncated_list[i], self._infos[i] = env.advance(action)
        rewards = np.array(reward_list, dtype=np.float64)
        return rewards, np.array(terminated_list, dtype=bool), np.array(truncated_list, dtype=bool)

    def observe(self, indices: IntArray | None = None) -> FirstPersonObs:
        """The sub-envs' observations (all, or ``indices``), rendered in one batch: fresh arrays."""
        envs = self.envs if indices is None else [self.envs[i] for i in indices.tolist()]
        overlay = (lambda i, frame: envs[i].draw_overlay(frame)) if self.draws_overlays else None
        image = render_batch_rgb([env.view_frame() for env in envs], self.camera, overlay)
        # np.stack copies, so the sub-envs' cached token arrays need no copy of their own.
        return {"image": image, "instruction": np.stack([env.instruction_tokens(copy=False) for env in envs])}

    def episode_info(self, mask: BoolArray | None = None) -> Info:
        """The sub-envs' latest infos (all, or those in ``mask``) in the vector layout."""
        if mask is None:
            return merge_infos(self._infos)
        return merge_infos([info if keep else None for info, keep in zip(self._infos, mask.tolist())])

    def render(self) -> tuple[Image, ...] | None:
        """With ``render_mode="rgb_array"``: each sub-env's ``render()`` frame (one size, so they tile)."""
        if not self._render_ready():
            return None
        # The sub-envs share render_mode="rgb_array" here, so each returns its frame (never None).
        return cast("tuple[Image, ...]", tuple(env.render() for env in self.envs))

    def oracle_action(self) -> Array:
        """Each sub-env's scripted oracle action (privileged state)."""
        self._check_oracle_ready()
        return np.array([env.oracle_action() for env in self.envs])

    def check_actions(self, actions: Any) -> list[Any]:
        """Per-env actions as the single env takes them, or one clear error for the whole batch."""
        space = self.single_action_space
        if isinstance(space, gym.spaces.Discrete):
            checked: list[Any] = vector.check_discrete_actions(
                actions, self.num_envs, int(space.n), self.action_names
            ).tolist()
            return checked
        shape = space.shape or ()  # a Box: its shape is never None
        raw = None if isinstance(actions, (str, bytes)) else np.asarray(actions)
        if raw is None or raw.dtype.kind not in "iuf" or raw.shape != (self.num_envs, *shape):
            got = "dtype " + raw.dtype.name if raw is not None and raw.dtype.kind not in "iuf" else None
            got = got or str(getattr(raw, "shape", type(actions).__name__))
            raise ValueError(f"actions must be real numbers of shape ({self.num_envs}, {shape[0]}), got {got}")
        array = raw.astype(np.float64)
        assert isinstance(space, gym.spaces.Box)  # the first-person envs have Discrete or Box actions
        # The whole batch is checked before any sub-env moves: out of the box is an error, not clipped.
        if not np.all(np.isfinite(array)) or np.any(array < space.low) or np.any(array > space.high):
            raise ValueError(f"actions must be finite numbers in [{space.low.min()}, {space.high.max()}] "
                             f"(the action space), got {array.tolist()}")  # fmt: skip
        return list(array)

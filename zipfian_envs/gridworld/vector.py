"""Zipf's Gridworld as a native Gymnasium vector env: N episodes stepped with array operations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from zipfian_envs import vector
from zipfian_envs.core.canvas import check_render_view
from zipfian_envs.core.types import Array, BoolArray, FloatArray, Image, Info, IntArray
from zipfian_envs.gridworld import dynamics
from zipfian_envs.gridworld.env import gridworld_config
from zipfian_envs.gridworld.render import canvas_frame, egocentric_views, gridworld_canvas


class GridworldVectorEnv(vector.NativeVectorEnv[Image]):
    """``num_envs`` Zipf's Gridworlds in arrays: the rules of :class:`GridworldEnv`, batched.

    ## Description
    The same maps, moves, rewards, observations and level draws as ``num_envs`` copies of
    :class:`~zipfian_envs.gridworld.env.GridworldEnv` (see its docstring for the game), read from
    the same tables and pure functions of :mod:`zipfian_envs.gridworld.dynamics`. Agent cells, map
    indices, targets and step counters are arrays; a step is a lookup in the move table, one in
    the object table, and one gather of frames from the padded map images. For equal seeds and
    actions the outputs equal those of ``SyncVectorEnv`` over single envs, bit for bit.

    ## Observation
    ``Box`` of shape ``(num_envs, 63, 63, 3)`` (pixels) or ``(num_envs, 50)`` (symbolic), uint8,
    a fresh array every call.

    ## Action Space
    ``MultiDiscrete([8] * num_envs)``; ``step`` takes an integer array of shape ``(num_envs,)``.

    ## Rewards
    As the single env: 1 on the target, 0 otherwise.

    ## Termination
    As the single env. ``autoreset_mode`` (also in ``metadata["autoreset_mode"]``):
    ``NEXT_STEP`` (Gymnasium's default): the step after an episode ends resets that sub-env and
    ignores its action (reward 0, not terminated or truncated, the reset info). ``SAME_STEP``
    (what SB3 expects, used by :func:`zipfian_envs.vector.to_sb3`): a finished sub-env is reset
    within the step; its last frame and info are in ``info["final_obs"]`` and
    ``info["final_info"]``. ``DISABLED``: finished sub-envs wait for
    ``reset(options={"reset_mask": ...})`` (the evaluation harness does this to give every
    episode its own seed); stepping one before that raises.

    ## Levels
    As the single env. ``reset(seed=...)`` takes None, an int (sub-env i gets ``seed + i``) or a
    list of one int or None per sub-env. ``reset(options=...)`` takes ``item_rank`` and
    ``map_rank`` (one int for all, or a list with one int or None per sub-env) and
    ``reset_mask`` (a bool array: reset only those sub-envs). Infos follow Gymnasium's vector
    layout (arrays plus ``_key`` masks) with every key of the single env's info, ``success`` only
    for sub-envs whose episode ended.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8, "autoreset_mode": AutoresetMode.NEXT_STEP}
    per_env_methods = ("oracle_action",)
    action_names = dynamics.ACTION_NAMES

    def __init__(
        self,
        num_envs: int = 1,
        distribution: str | None = None,
        *,
        level: str | None = None,
        exponent: float | None = None,
        obs_mode: str = "pixels",
        num_maps: int = 20,
        num_objects: int = 20,
        rooms: int = 3,
        room_size: int = 3,
        max_steps: int = 100,
        render_mode: str | None = None,
        render_view: str = "both",
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        info_format: str = "full",
    ) -> None:
        self.setup_vector(num_envs, render_mode, autoreset_mode)
        self.info_format = vector.check_info_format(info_format)
        self.render_view = check_render_view(render_view)
        self.config = gridworld_config(
            distribution,
            level=level,
            exponent=exponent,
            obs_mode=obs_mode,
            num_maps=num_maps,
            num_objects=num_objects,
            rooms=rooms,
            room_size=room_size,
            max_steps=max_steps,
        )
        self.distribution = self.config.distribution
        self.obs_mode = self.config.obs_mode
        self.num_maps = self.config.num_maps
        self.num_objects = self.config.num_objects
        self.rooms = self.config.rooms
        self.room_size = self.config.room_size
        self.max_steps = self.config.max_steps

        self.single_observation_space = self.config.observation_space()
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.single_action_space = spaces.Discrete(dynamics.NUM_ACTIONS)
        self.action_space = batch_space(self.single_action_space, self.num_envs)

        self.map_sampler, self.item_sampler = self.config.samplers()
        self._bins = np.array([self.item_sampler.frequency_bin(r) for r in range(1, self.num_objects + 1)], object)
        # Info columns that never change, copied each step (cheaper than np.full on object arrays).
        self._num_items_column = np.full(self.num_envs, self.num_objects, dtype=np.int64)
        self._level_column = np.full(self.num_envs, self.distribution, dtype=object)
        self._load_tables()
        self._generators = vector.SubEnvGenerators(self.num_envs)
        n = self.num_envs
        self._map: IntArray = np.zeros(n, dtype=np.int64)
        self._target: IntArray = np.zeros(n, dtype=np.int64)
        self._target_kind: IntArray = np.zeros(n, dtype=np.int64)
        self._cell: IntArray = np.zeros(n, dtype=np.int64)
        self._steps: IntArray = np.zeros(n, dtype=np.int64)
        self._reached: BoolArray = np.zeros(n, dtype=bool)  # the last step reached the target

    def _load_tables(self) -> None:
        self._world = self.config.tables()
        self.maps = self._world.maps
        self._windows = self._world.pixel_windows if self.obs_mode == "pixels" else self._world.symbolic_table

    # -- The sub-env protocol of vector.NativeVectorEnv ---------------------------------------------
    def reset_pins(self) -> dict[str, int]:
        """``item_rank`` (1..num_objects) and ``map_rank`` (1..num_maps)."""
        return {"item_rank": self.num_objects, "map_rank": self.num_maps}

    def start_episodes(
        self, indices: IntArray, seeds: Sequence[int | None] | None, pins: dict[str, tuple[IntArray, BoolArray]]
    ) -> None:
        """New episodes in sub-envs ``indices``: map and target drawn from each one's own generator."""
        if seeds is not None:
            # Reseeding is the caller's explicit per-env request, so it loops; the draws below do not.
            for index, seed in zip(indices.tolist(), seeds):
                self._generators.seed(index, seed)
        self._start_episodes(indices, pins.get("item_rank"), pins.get("map_rank"))

    def advance(self, actions: IntArray, active: BoolArray) -> tuple[FloatArray, BoolArray, BoolArray]:
        """Move every sub-env (restarting ones too: cheaper than masking, and their results are dropped)."""
        world = self._world
        self._cell = world.next_cell[self._map, self._cell, actions]
        rewards, terminated = dynamics.outcome(world.object_at[self._map, self._cell], self._target)
        self._steps += 1
        self._reached = rewards > 0
        return rewards, terminated, dynamics.truncation(terminated, self._steps, self.max_steps)

    def observe(self, indices: IntArray | None = None) -> Image:
        """Fresh observations (pixels or symbolic codes) of every sub-env, or of ``indices``."""
        where = slice(None) if indices is None else indices
        rows, cols = np.divmod(self._cell[where], self._world.width)
        maps, kinds = self._map[where], self._target_kind[where]
        if self.obs_mode == "pixels":
            return egocentric_views(self._windows, maps, rows, cols, kinds)
        return dynamics.symbolic_observations(self._windows, maps, rows, cols, dynamics.OBJECT_CODE_OFFSET + kinds)

    def episode_info(self, mask: BoolArray | None = None) -> Info:
        """The single env's info keys as arrays (``success`` True only where an episode just ended at its target)."""
        columns = self._info_columns()
        columns["success"] = self._reached & self._done
        if self.info_format == "numeric":
            columns = vector.numeric_columns(columns)
        return vector.vector_info(columns, mask)

    def render(self) -> tuple[Image, ...] | None:
        """With ``render_mode="rgb_array"``: each sub-env's frame, as the single env's ``render()`` draws it."""
        if not self._render_ready():
            return None
        rows, cols = np.divmod(self._cell, self._world.width)
        canvas = gridworld_canvas(self.render_view, self.maps[0])
        windows = self._world.pixel_windows
        return tuple(
            canvas_frame(canvas, windows, self.maps[m], m, (r, c), t)
            for m, r, c, t in zip(self._map.tolist(), rows.tolist(), cols.tolist(), self._target.tolist())
        )

    # -- Privileged access for scripted oracles -----------------------------------------------
    def oracle_action(self) -> IntArray:
        """Each sub-env's shortest-path action toward its target (breadth-first search, cached per map and target)."""
        self._check_oracle_ready()
        cells = self.agent_cells
        return np.array(
            [
                dynamics.oracle_action(self.maps[m], (r, c), t)
                for m, (r, c), t in zip(self._map.tolist(), cells.tolist(), self._target.tolist())
            ],
            dtype=np.int64,
        )

    @property
    def agent_cells(self) -> IntArray:
        """``(num_envs, 2)`` int64: each sub-env's agent (row, col)."""
        return np.stack(np.divmod(self._cell, self._world.width), axis=1)

    @property
    def map_indices(self) -> IntArray:
        """Each sub-env's map index (map rank - 1)."""
        indices: IntArray = self._map.copy()  # (numpy's stubs type copy() as Any)
        return indices

    @property
    def targets(self) -> IntArray:
        """Each sub-env's target object index (item rank - 1)."""
        targets: IntArray = self._target.copy()
        return targets

    # -- Internals -------------------------------------------------------------------------------
    def _start_episodes(
        self,
        indices: IntArray,
        item_pins: tuple[IntArray, BoolArray] | None = None,
        map_pins: tuple[IntArray, BoolArray] | None = None,
    ) -> None:
        """New episodes in sub-envs ``indices``: draw map and target from each one's own generator."""
        if indices.size == 0:
            return
        # Two draws per reset, map then item, as GridworldEnv.reset makes them: pinning one rank
        # leaves the other's stream unchanged.
        draws = self._generators.uniforms(indices, 2)
        map_ranks = self.map_sampler.ranks_from_uniforms(draws[:, 0])
        item_ranks = self.item_sampler.ranks_from_uniforms(draws[:, 1])
        for ranks, pins in ((map_ranks, map_pins), (item_ranks, item_pins)):
            if pins is not None:
                values, pinned = pins[0][indices], pins[1][indices]
                ranks[pinned] = values[pinned]
        maps, targets = map_ranks - 1, item_ranks - 1
        self._map[indices] = maps
        self._target[indices] = targets
        self._target_kind[indices] = self._world.object_kinds[maps, targets]
        self._cell[indices] = self._world.start_cell[maps]
        self._steps[indices] = 0

    def _info_columns(self) -> dict[str, Array]:
        """Every sub-env's episode info (the single env's keys, as arrays)."""
        maps, targets = self._map, self._target
        return {
            "item": self._world.item_names[maps, targets],
            "item_index": targets.copy(),
            "item_rank": targets + 1,
            "num_items": self._num_items_column.copy(),
            "frequency_bin": self._bins[targets],
            "map_index": maps.copy(),
            "map_rank": maps + 1,
            "level": self._level_column.copy(),
        }

    # -- Pickling: the map tables are rebuilt from their seeds instead of being copied ---------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("maps", "_world", "_windows"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._load_tables()

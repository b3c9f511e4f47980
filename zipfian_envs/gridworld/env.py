"""Zipf's Gridworld as a Gymnasium environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from zipfian_envs.core import skew
from zipfian_envs.core.canvas import Canvas, check_render_view
from zipfian_envs.core.checks import check_discrete_action, check_int, warn_renamed_keyword
from zipfian_envs.core.human import RendersForHumans
from zipfian_envs.core.types import DiscreteAction, Image, Info
from zipfian_envs.gridworld import dynamics
from zipfian_envs.gridworld.maps import MAP_VERSION, NUM_KINDS, GridMap, max_objects
from zipfian_envs.gridworld.render import CELL_PIXELS, VIEW_CELLS, canvas_frame, egocentric_views, gridworld_canvas
from zipfian_envs.vector.infos import check_info_format, numeric_info

OBS_MODES = ("pixels", "symbolic")
# Documented limits (docs/evaluation.md, "Run folders, bad input and exit codes"): the map tables
# grow with num_maps x (rooms x room_size)^2, and past these a constructor raises at once instead
# of hanging in the table builder.
MAX_ROOMS = 8
MAX_ROOM_SIZE = 16
MAX_MAPS = 10_000
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class GridworldConfig:
    """A checked Gridworld configuration, shared by the single env and the vector env."""

    distribution: str
    obs_mode: str
    num_maps: int
    num_objects: int
    rooms: int
    room_size: int
    max_steps: int

    def tables(self) -> dynamics.WorldTables:
        """The (cached) map tables of this configuration."""
        return dynamics.world_tables(self.num_maps, self.num_objects, self.rooms, self.room_size)

    def samplers(self) -> tuple[skew.RankSampler, skew.RankSampler]:
        """The (map, item) rank samplers of the configuration's distribution."""
        return (
            skew.RankSampler.from_distribution(self.distribution, self.num_maps),
            skew.RankSampler.from_distribution(self.distribution, self.num_objects),
        )

    def observation_space(self) -> spaces.Box[np.uint8]:
        """One env's observation space for this ``obs_mode``."""
        if self.obs_mode == "pixels":
            side = VIEW_CELLS * CELL_PIXELS
            return spaces.Box(0, 255, (side, side, 3), np.uint8)
        high = dynamics.OBJECT_CODE_OFFSET + NUM_KINDS - 1
        return spaces.Box(0, high, (dynamics.SYMBOLIC_SIZE,), np.uint8)


def gridworld_config(
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
) -> GridworldConfig:
    """Check the constructor arguments (one ``ValueError`` naming the bad value) and return them."""
    if level is not None:
        if distribution is not None:
            raise ValueError(f"give distribution={distribution!r} only (level={level!r} is its deprecated name)")
        warn_renamed_keyword("Gridworld", "level", "distribution", level, stacklevel=4)
        distribution = level
    if distribution is not None and exponent is not None:
        raise ValueError(f"give either distribution={distribution!r} or exponent={exponent!r}, not both")
    if exponent is not None:
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float, np.integer, np.floating)):
            raise ValueError(f"exponent must be a float >= 0, got {exponent!r}")
        distribution = f"zipf_{float(exponent):g}"
    distribution = "zipf_2" if distribution is None else distribution
    skew.parse_distribution(distribution)
    if obs_mode not in OBS_MODES:
        raise ValueError(f"unknown obs_mode {obs_mode!r}; valid: {', '.join(OBS_MODES)}")
    rooms = check_int("rooms", rooms, 1, MAX_ROOMS)
    room_size = check_int("room_size", room_size, 3, MAX_ROOM_SIZE)
    limit = min(max_objects(rooms, room_size), NUM_KINDS)
    checked_objects = check_int("num_objects", num_objects, 1)
    if checked_objects > limit:
        raise ValueError(
            f"num_objects={num_objects} is more than the {limit} free wall-side cells "
            f"(besides the start, clear of doors) with rooms={rooms}, room_size={room_size}"
        )
    return GridworldConfig(
        distribution=distribution,
        obs_mode=obs_mode,
        num_maps=check_int("num_maps", num_maps, 1, MAX_MAPS),
        num_objects=checked_objects,
        rooms=rooms,
        room_size=room_size,
        max_steps=check_int("max_steps", max_steps, 1, MAX_STEPS),
    )


class GridworldEnv(RendersForHumans, gym.Env[Image, np.int64]):
    """Find the cued object in one of a fixed set of Zipf-distributed maps.

    ## Description
    A top-down world of ``rooms x rooms`` rooms, each ``room_size x room_size`` floor cells with
    one-cell walls (13x13 cells by default); the doors form a spanning tree of the rooms, as in the
    reference: ``rooms**2 - 1`` doors, one route between any two rooms. There are
    ``num_maps`` fixed maps, each holding ``num_objects`` objects, unique (colour, shape) pairs of
    15 colours and 15 shapes, standing against walls and never in front of a door. Each episode
    draws a map and, independently, a target object from the distribution over ranks:
    map rank k is map index k-1 and item rank k is the map's object k-1.

    ## Observation
    ``obs_mode="pixels"`` (default): ``Box(0, 255, (63, 63, 3), uint8)``, the 7x7 cells around the
    agent at 9 px per cell (outside the map is floor). Floor is black, walls (40, 40, 40), the agent
    white; the target is cued in the top-left cell on light grey (180, 180, 180).
    ``obs_mode="symbolic"``: ``Box(0, 227, (50,), uint8)``, the 49 cell codes of the same crop
    (0 floor, 1 wall, 2 agent, 3 + colour * 15 + shape for an object) and then the target's code.

    ## Action Space
    ``Discrete(8)``: north, north-east, east, south-east, south, south-west, west, north-west.
    Walls block a move (the agent stays put).

    ## Rewards
    1 for stepping onto the target object, 0 otherwise.

    ## Termination
    Terminates on stepping onto any object (the target: success; another object: failure).
    Truncates after ``max_steps`` steps (100 by default). ``info["success"]`` is False until the
    episode ends, then whether the target was reached.

    ## Levels
    The Gridworld has one level; ``distribution`` (the shared grammar of :mod:`zipfian_envs.core.skew`:
    ``uniform``, ``uniform_rare``, ``uniform_common`` or ``zipf_{a}`` / ``zipf{a}``, default ``zipf_2``)
    skews its maps and targets, and ``info["level"]`` reports it (the records' historical key).
    ``exponent=a`` is shorthand for ``distribution="zipf_{a}"``; ``level=`` is the deprecated name of
    ``distribution=`` (kept one release). ``reset(options={"item_rank": r,
    "map_rank": m})`` pins the target and/or map for evaluation protocols.

    ## Rendering
    ``render()`` frames have one size per instance: ``render_view="both"`` (default) puts the 7x7
    pixel view (also in symbolic mode), upscaled, beside the whole map; ``"first_person"`` and
    ``"map"`` show one of them. ``gymnasium.utils.play.play(env, noop=env.play_noop,
    wait_on_player=True)`` plays it with the ``key_map`` keys: every action moves, so there is no
    no-op; ``play_noop`` is 0 (north), and ``wait_on_player=True`` steps only while a key is held.
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 8}
    window_title = "Zipf's Gridworld"
    # The map generator's version: result files record it in env_config, so results from other maps never merge.
    map_version = MAP_VERSION

    action_names = dynamics.ACTION_NAMES
    obs_modes = OBS_MODES
    play_noop = 0  # north: the Gridworld has no no-op (see the class docstring)
    # Viewer key map: key name (pygame.key.name) -> (action, label).
    key_map = {
        "up": (0, "north"), "w": (0, "north"),
        "e": (1, "north-east"),
        "right": (2, "east"), "d": (2, "east"),
        "c": (3, "south-east"),
        "down": (4, "south"), "s": (4, "south"),
        "z": (5, "south-west"),
        "left": (6, "west"), "a": (6, "west"),
        "q": (7, "north-west"),
    }  # fmt: skip

    def __init__(
        self,
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
        info_format: str = "full",
        render_view: str = "both",
    ) -> None:
        config = gridworld_config(
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
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: {self.metadata['render_modes']}")
        self.config = config
        self.distribution = config.distribution
        self.obs_mode = config.obs_mode
        self.num_maps = config.num_maps
        self.num_objects = config.num_objects
        self.rooms = config.rooms
        self.room_size = config.room_size
        self.max_steps = config.max_steps
        self.render_mode = render_mode
        self.info_format = check_info_format(info_format)
        self.render_view = check_render_view(render_view)

        self.map_sampler, self.item_sampler = config.samplers()
        self._load_maps()
        self.action_space = spaces.Discrete(dynamics.NUM_ACTIONS)
        self.observation_space = config.observation_space()

        self._map: GridMap | None = None
        self._map_index = 0
        self._cell = 0
        self._target = 0
        self._steps = 0
        self._done = True
        self._closed = False
        self._episode_info: dict[str, Any] = {}

    def _load_maps(self) -> None:
        self._world = self.config.tables()
        self.maps = self._world.maps
        self._width = self._world.width
        self._windows = self._world.pixel_windows if self.obs_mode == "pixels" else self._world.symbolic_table
        self.canvas: Canvas = gridworld_canvas(self.render_view, self._world.maps[0])

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Image, Info]:
        """Start an episode: draw a map and a target from the level (or take them from ``options``)."""
        super().reset(seed=seed)
        if self._closed:  # close() freed the map tables; the same tables come back (they are fixed)
            self._load_maps()
            self._closed = False
        options = dict(options or {})
        map_rank = options.pop("map_rank", None)
        item_rank = options.pop("item_rank", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; valid: item_rank, map_rank")
        # Both draws happen every reset so pinning one rank leaves the other's stream unchanged.
        drawn_map = self.map_sampler.sample(self.np_random)
        drawn_item = self.item_sampler.sample(self.np_random)
        map_rank = drawn_map if map_rank is None else check_int("map_rank", map_rank, 1, self.num_maps)
        item_rank = drawn_item if item_rank is None else check_int("item_rank", item_rank, 1, self.num_objects)

        self._map_index = map_rank - 1
        self._map = self.maps[self._map_index]
        self._next_cells = self._world.next_cell_lists[self._map_index]
        self._object_at = self._world.object_at_lists[self._map_index]
        self._target = item_rank - 1
        self._cell = int(self._world.start_cell[self._map_index])
        self._steps = 0
        self._done = False
        target_kind = int(self._map.object_kinds[self._target])
        self._target_kind = target_kind
        self._target_code = dynamics.OBJECT_CODE_OFFSET + target_kind
        self._episode_info = {
            "item": self._world.item_names[self._map_index, self._target],  # precomputed: naming at each reset was slow
            "item_index": self._target,
            "item_rank": item_rank,
            "num_items": self.num_objects,
            "frequency_bin": self.item_sampler.frequency_bin(item_rank),
            "map_index": self._map_index,
            "map_rank": map_rank,
            "level": self.distribution,
            "success": False,  # the outcome, set when the episode ends: the key is there on every step
        }
        if self.info_format == "numeric":
            self._episode_info = numeric_info(self._episode_info)
        if self.render_mode == "human":
            self.render()
        return self._observe(), dict(self._episode_info)

    def step(self, action: DiscreteAction) -> tuple[Image, float, bool, bool, Info]:
        """Move one cell; end on any object or after ``max_steps`` steps."""
        if self._done:
            if self._closed:
                raise RuntimeError("step() called after close(); call reset() to start a new episode")
            raise RuntimeError("step() called on a finished episode (or before reset()); call reset() first")
        action = check_discrete_action(action, self.action_names)
        self._cell = self._next_cells[self._cell][action]
        reward, terminated = dynamics.outcome(self._object_at[self._cell], self._target)
        self._steps += 1
        truncated = dynamics.truncation(terminated, self._steps, self.max_steps)
        info = self._episode_info.copy()
        if terminated or truncated:
            self._done = True
            info["success"] = reward > 0
        if self.render_mode == "human":
            self.render()
        return self._observe(), reward, terminated, truncated, info

    def _observe(self) -> Image:
        row, col = divmod(self._cell, self._width)
        if self.obs_mode == "pixels":
            return egocentric_views(self._windows, self._map_index, row, col, self._target_kind)
        return dynamics.symbolic_observations(self._windows, self._map_index, row, col, self._target_code)

    # -- Privileged access for scripted oracles -----------------------------------------------
    def oracle_action(self) -> int:
        """A shortest-path action toward the target, reading the whole map (for scripted oracles)."""
        if self._map is None or self._done:
            raise RuntimeError("oracle_action() needs a running episode; call reset() first")
        return dynamics.oracle_action(self._map, self.agent_cell, self._target)

    @property
    def agent_cell(self) -> tuple[int, int]:
        """The agent's (row, col) cell in the map."""
        return divmod(self._cell, self._width)

    # -- Rendering -------------------------------------------------------------------------------
    def _render_frame(self) -> Image:
        """The canvas: the agent's pixel view beside the whole map with the agent and the target framed."""
        if self._map is None:
            raise RuntimeError("render() needs a running episode; call reset() first")
        return canvas_frame(
            self.canvas, self._world.pixel_windows, self._map, self._map_index, self.agent_cell, self._target
        )

    def close(self) -> None:
        """Close the window and free the map tables (up to ~1 GB for many maps); step() raises until reset()."""
        super().close()
        self._done, self._closed = True, True
        for key in ("maps", "_world", "_windows", "_next_cells", "_object_at"):
            self.__dict__.pop(key, None)
        # The shared cache holds the tables too; other live envs keep their own references.
        dynamics.world_tables.cache_clear()

    # -- Pickling: maps are regenerated from their seeds instead of being copied ---------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("maps", "_world", "_windows", "_next_cells", "_object_at", "_map", "_window"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._window = None
        self._load_maps()
        self._map = self.maps[self._map_index] if self._episode_info else None
        self._next_cells = self._world.next_cell_lists[self._map_index]
        self._object_at = self._world.object_at_lists[self._map_index]

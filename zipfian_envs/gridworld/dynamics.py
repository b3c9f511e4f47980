"""Gridworld rules as pure functions over plain tables, shared by the single and the batched env.

Every rule is written once. Table builders (:func:`move_table`, :func:`world_tables`) turn the
fixed maps into arrays; the rule functions (:func:`outcome`, :func:`truncation`,
:func:`symbolic_views`) work element-wise, so the single env calls them with Python scalars and the
vector env with arrays of one entry per sub-env. Cells are flat indices ``row * width + col``.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.lib.stride_tricks import as_strided

from zipfian_envs.gridworld.maps import GridMap, make_map
from zipfian_envs.gridworld.render import VIEW_CELLS, VIEW_RADIUS, padded_map_image, pixel_windows

ACTION_NAMES = ("north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west")
MOVES = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
NUM_ACTIONS = len(MOVES)

FLOOR_CODE, WALL_CODE, AGENT_CODE, OBJECT_CODE_OFFSET = 0, 1, 2, 3
SYMBOLIC_SIZE = VIEW_CELLS * VIEW_CELLS + 1
_CENTRE = VIEW_CELLS * VIEW_CELLS // 2


def move_table(walls: np.ndarray) -> np.ndarray:
    """``(H * W, 8)`` int64: the flat cell each of the 8 moves leads to from every cell; walls block."""
    height, width = walls.shape
    rows, cols = np.divmod(np.arange(height * width), width)
    moves = np.asarray(MOVES)
    # The map border is wall, so a move from a floor cell never leaves the grid; clipping only
    # keeps the (never used) rows of border cells in range.
    new_rows = np.clip(rows[:, None] + moves[:, 0], 0, height - 1)
    new_cols = np.clip(cols[:, None] + moves[:, 1], 0, width - 1)
    blocked = walls[new_rows, new_cols]
    return np.where(blocked, np.arange(height * width)[:, None], new_rows * width + new_cols).astype(np.int64)


def object_table(grid_map: GridMap) -> np.ndarray:
    """``(H * W,)`` int64: the index of the object on each cell, -1 where there is none."""
    height, width = grid_map.walls.shape
    object_at = np.full(height * width, -1, dtype=np.int64)
    object_at[grid_map.object_cells[:, 0] * width + grid_map.object_cells[:, 1]] = np.arange(len(grid_map.object_cells))
    return object_at


def symbolic_codes(grid_map: GridMap) -> np.ndarray:
    """``(H + 6, W + 6)`` uint8 cell codes padded with floor so every 7x7 crop is a plain slice."""
    codes = np.where(grid_map.walls, WALL_CODE, FLOOR_CODE).astype(np.uint8)
    codes[grid_map.object_cells[:, 0], grid_map.object_cells[:, 1]] = grid_map.object_kinds + OBJECT_CODE_OFFSET
    return np.pad(codes, VIEW_RADIUS, constant_values=FLOOR_CODE)


@overload
def outcome(touched: int, target: int) -> tuple[float, bool]: ...
@overload
def outcome(touched: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
def outcome(touched: Any, target: Any) -> Any:
    """Reward 1 and end on the target; 0 and end on any other object; 0 and go on elsewhere.

    ``touched`` is the object index on the agent's new cell (-1: none). Element-wise: Python ints
    give ``(float, bool)``, arrays give ``(float64 array, bool array)``.
    """
    return 1.0 * (touched == target), touched >= 0


@overload
def truncation(terminated: bool, steps: int, max_steps: int) -> bool: ...
@overload
def truncation(terminated: np.ndarray, steps: np.ndarray, max_steps: int) -> np.ndarray: ...
def truncation(terminated: Any, steps: Any, max_steps: int) -> Any:
    """Truncate once ``steps`` reaches ``max_steps`` unless the step terminated (element-wise)."""
    # On booleans ``a > b`` is "a and not b", for Python bools and numpy arrays alike.
    return (steps >= max_steps) > terminated


def symbolic_views(windows: np.ndarray, map_index: Any, row: Any, col: Any, target_code: Any) -> np.ndarray:
    """The 49 codes of the 7x7 crop around the agent (agent code in the centre), then the target code.

    ``windows`` is ``(M, H, W, 7, 7)``: every crop of the padded code maps. Scalar indices give
    one ``(50,)`` view, equal-length index arrays a ``(N, 50)`` batch.
    """
    crops = windows[map_index, row, col]
    views = np.empty((*np.shape(map_index), SYMBOLIC_SIZE), dtype=np.uint8)
    views[..., :-1].reshape(crops.shape)[...] = crops
    views[..., _CENTRE] = AGENT_CODE
    views[..., -1] = target_code
    return views


def symbolic_observations(table: np.ndarray, map_index: Any, row: Any, col: Any, target_code: Any) -> np.ndarray:
    """:func:`symbolic_views` read from :attr:`WorldTables.symbolic_table` (the crops precomputed).

    Scalar indices give one fresh ``(50,)`` array, index arrays a ``(N, 50)`` batch: one gather.
    """
    views = table[map_index, row, col]
    if views.ndim == 1:
        views = views.copy()  # scalar indexing gives a view of the table: never write into that
    views[..., -1] = target_code
    return views


@dataclass(frozen=True, eq=False)
class WorldTables:
    """Every map of one configuration as stacked arrays (leading axis: map index).

    The vector env indexes the arrays with one entry per sub-env; the single env reads the
    ``*_lists`` mirrors, since Python list lookups beat numpy scalar indexing.
    """

    maps: tuple[GridMap, ...]
    height: int
    width: int
    next_cell: np.ndarray  # (M, H*W, 8) int64
    object_at: np.ndarray  # (M, H*W) int64, -1 where no object
    start_cell: np.ndarray  # (M,) int64
    object_kinds: np.ndarray  # (M, K) int64
    item_names: np.ndarray  # (M, K) object (str)
    padded_images: np.ndarray  # (M, (H+6)*9, (W+6)*9, 3) uint8
    pixel_windows: np.ndarray  # (M, H, W, 63, 63, 3) read-only strided view of padded_images
    symbolic_table: np.ndarray  # (M, H, W, 50) uint8: symbolic_views of every cell, target code 0
    next_cell_lists: tuple[list[list[int]], ...]
    object_at_lists: tuple[list[int], ...]

    def cell(self, row: int, col: int) -> int:
        """Flat index of a (row, col) cell."""
        return row * self.width + col


@functools.lru_cache(maxsize=32)
def world_tables(num_maps: int, num_objects: int, rooms: int, room_size: int) -> WorldTables:
    """Tables for maps ``0 .. num_maps - 1`` of one configuration; cached because maps are fixed."""
    maps = tuple(make_map(k, num_objects, rooms, room_size) for k in range(num_maps))
    height, width = maps[0].walls.shape
    next_cell = np.stack([move_table(m.walls) for m in maps])
    object_at = np.stack([object_table(m) for m in maps])
    codes = np.stack([symbolic_codes(m) for m in maps])
    images = np.stack([padded_map_image(m) for m in maps])
    s = codes.strides
    windows = as_strided(codes, (num_maps, height, width, VIEW_CELLS, VIEW_CELLS), (*s, s[1], s[2]), writeable=False)
    m, r, c = np.indices((num_maps, height, width))
    arrays = {
        "next_cell": next_cell,
        "object_at": object_at,
        "start_cell": np.array([m.start[0] * width + m.start[1] for m in maps], dtype=np.int64),
        "object_kinds": np.stack([m.object_kinds for m in maps]).astype(np.int64),
        "item_names": np.array([m.object_names for m in maps], dtype=object),
        "padded_images": images,
        "symbolic_table": symbolic_views(windows, m, r, c, 0),
    }
    for array in arrays.values():
        array.setflags(write=False)
    return WorldTables(
        maps=maps,
        height=height,
        width=width,
        pixel_windows=pixel_windows(images, height, width),
        next_cell_lists=tuple(table.tolist() for table in next_cell),
        object_at_lists=tuple(table.tolist() for table in object_at),
        **arrays,
    )


def move(tables: WorldTables, map_index: int, agent: tuple[int, int], action: int) -> tuple[int, int]:
    """The agent's next (row, col) cell in map ``map_index``: one of 8 moves, blocked by walls."""
    return divmod(tables.next_cell_lists[map_index][tables.cell(*agent)][action], tables.width)


@functools.lru_cache(maxsize=8192)
def distance_to_target(grid_map: GridMap, target_index: int) -> np.ndarray:
    """Steps from every cell to the target avoiding walls and other objects (-1 where unreachable)."""
    size = grid_map.walls.shape
    blocked = grid_map.walls.copy()
    blocked[grid_map.object_cells[:, 0], grid_map.object_cells[:, 1]] = True
    target = tuple(int(v) for v in grid_map.object_cells[target_index])
    distance = np.full(size, -1, dtype=np.int64)
    distance[target] = 0
    frontier = deque([target])
    while frontier:
        r, c = frontier.popleft()
        for dr, dc in MOVES:
            nr, nc = r + dr, c + dc
            if 0 <= nr < size[0] and 0 <= nc < size[1] and not blocked[nr, nc] and distance[nr, nc] < 0:
                distance[nr, nc] = distance[r, c] + 1
                frontier.append((nr, nc))
    distance.setflags(write=False)
    return distance


def oracle_action(grid_map: GridMap, agent: tuple[int, int], target_index: int) -> int:
    """A shortest-path move toward the target (privileged: reads the whole map)."""
    distance = distance_to_target(grid_map, target_index)
    here = distance[agent]
    if here < 0:
        raise RuntimeError(f"target {target_index} is unreachable from {agent} in map {grid_map.index}")
    for action, (dr, dc) in enumerate(MOVES):
        if distance[agent[0] + dr, agent[1] + dc] == here - 1:
            return action
    raise RuntimeError("agent is already on the target")

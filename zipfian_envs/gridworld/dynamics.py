"""Gridworld rules as pure functions over plain per-map tables (no env object involved)."""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

import numpy as np

from zipfian_envs.gridworld.maps import GridMap
from zipfian_envs.gridworld.render import VIEW_RADIUS

ACTION_NAMES = ("north", "north_east", "east", "south_east", "south", "south_west", "west", "north_west")
MOVES = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))

FLOOR_CODE, WALL_CODE, AGENT_CODE, OBJECT_CODE_OFFSET = 0, 1, 2, 3


@dataclass(frozen=True, eq=False)
class MapTables:
    """Lookup tables for fast scalar stepping: walls and the object index on each cell (-1 if none)."""

    walls: list[list[bool]]
    object_at: list[list[int]]
    symbolic_codes: np.ndarray  # padded (H+6, W+6) uint8 cell codes for the symbolic view


@functools.lru_cache(maxsize=256)
def map_tables(grid_map: GridMap) -> MapTables:
    """Tables derived from a map; cached because maps are fixed."""
    object_at = np.full(grid_map.walls.shape, -1, dtype=np.int64)
    object_at[grid_map.object_cells[:, 0], grid_map.object_cells[:, 1]] = np.arange(len(grid_map.object_cells))
    codes = np.where(grid_map.walls, WALL_CODE, FLOOR_CODE).astype(np.uint8)
    codes[grid_map.object_cells[:, 0], grid_map.object_cells[:, 1]] = grid_map.object_kinds + OBJECT_CODE_OFFSET
    padded = np.pad(codes, VIEW_RADIUS, constant_values=FLOOR_CODE)
    padded.setflags(write=False)
    return MapTables(grid_map.walls.tolist(), object_at.tolist(), padded)


def move(tables: MapTables, agent: tuple[int, int], action: int) -> tuple[int, int]:
    """The agent's next cell: one of 8 moves, blocked by walls."""
    dr, dc = MOVES[action]
    row, col = agent[0] + dr, agent[1] + dc
    if tables.walls[row][col]:
        return agent
    return (row, col)


def reward_and_termination(tables: MapTables, agent: tuple[int, int], target_index: int) -> tuple[float, bool]:
    """Reward 1 and end on the target; 0 and end on any other object; 0 and continue otherwise."""
    touched = tables.object_at[agent[0]][agent[1]]
    if touched < 0:
        return 0.0, False
    return (1.0 if touched == target_index else 0.0), True


def symbolic_view(tables: MapTables, agent: tuple[int, int], target_code: int) -> np.ndarray:
    """Cell codes of the 7x7 egocentric crop (agent in the centre) followed by the target's code."""
    row, col = agent
    view = np.empty(50, dtype=np.uint8)
    view[:49] = tables.symbolic_codes[row : row + 7, col : col + 7].ravel()
    view[24] = AGENT_CODE
    view[49] = target_code
    return view


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

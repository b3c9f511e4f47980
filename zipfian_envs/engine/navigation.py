"""Privileged navigation for scripted oracles: grid distance fields and steering onto a path.

Oracles read the whole map, so they plan on the cell grid: a breadth-first distance field to the
goal cells (vectorised as repeated dilation), then the agent steers towards the centre of the
neighbouring cell that is one step closer, using the same discrete actions as any agent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from zipfian_envs.engine.actions import FORWARD, FORWARD_LOOK_LEFT, FORWARD_LOOK_RIGHT, LOOK_LEFT, LOOK_RIGHT
from zipfian_envs.engine.world import STEP_HEIGHT_M, VOID_HEIGHT, Grid, Pose

UNREACHABLE = np.iinfo(np.int32).max


def passable(grid: Grid, z: float | None = None) -> np.ndarray:
    """Cells an agent can stand in (for a height map: not void, and not above ``z`` + step when given)."""
    free = grid.walls == 0
    if grid.heights is not None:
        free &= grid.heights > VOID_HEIGHT
        if z is not None:
            free &= grid.heights <= z + STEP_HEIGHT_M
    return free


def distance_field(free: np.ndarray, goals: Iterable[tuple[int, int]]) -> np.ndarray:
    """Steps (4-connected) from every free cell to the nearest goal cell; ``UNREACHABLE`` elsewhere."""
    distance = np.full(free.shape, UNREACHABLE, np.int32)
    frontier = np.zeros(free.shape, bool)
    for row, col in goals:
        frontier[row, col] = True
    step = 0
    reached = frontier.copy()
    while frontier.any():
        distance[frontier] = step
        grown = np.zeros_like(frontier)
        grown[1:, :] |= frontier[:-1, :]
        grown[:-1, :] |= frontier[1:, :]
        grown[:, 1:] |= frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        frontier = grown & free & ~reached
        reached |= frontier
        step += 1
    return distance


def next_cell(distance: np.ndarray, cell: tuple[int, int]) -> tuple[int, int] | None:
    """The 4-neighbour of ``cell`` one step closer to the goal (``None`` at the goal or if stuck)."""
    row, col = cell
    here = distance[row, col]
    best, best_distance = None, here
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        r, c = row + dr, col + dc
        if 0 <= r < distance.shape[0] and 0 <= c < distance.shape[1] and distance[r, c] < best_distance:
            best, best_distance = (r, c), distance[r, c]
    return best


def heading_error(pose: Pose, x: float, y: float) -> float:
    """Signed angle (radians, positive = to the right) from the agent's heading to the point (x, y)."""
    target = math.atan2(y - pose.y, x - pose.x)
    return (target - pose.yaw + math.pi) % (2 * math.pi) - math.pi


def steer(pose: Pose, x: float, y: float, tolerance: float = math.radians(12)) -> int:
    """An action that turns towards (x, y) and walks there: forward when roughly facing it."""
    error = heading_error(pose, x, y)
    if abs(error) <= tolerance:
        return FORWARD
    if abs(error) <= math.radians(45) and math.hypot(x - pose.x, y - pose.y) > 0.6:
        return FORWARD_LOOK_RIGHT if error > 0 else FORWARD_LOOK_LEFT
    return LOOK_RIGHT if error > 0 else LOOK_LEFT


def walk_towards(grid: Grid, pose: Pose, x: float, y: float, distance: np.ndarray | None = None) -> int:
    """Steer along the grid path to the point (x, y): straight at it once in its cell or a neighbour."""
    goal = (math.floor(y), math.floor(x))
    cell = pose.cell
    if distance is None:
        distance = distance_field(passable(grid, pose.z), [goal])
    if abs(cell[0] - goal[0]) + abs(cell[1] - goal[1]) <= 1 or distance[cell] == UNREACHABLE:
        return steer(pose, x, y)
    step = next_cell(distance, cell)
    if step is None:
        return steer(pose, x, y)
    return steer(pose, step[1] + 0.5, step[0] + 0.5)

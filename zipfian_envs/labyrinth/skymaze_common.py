"""What the two SkyMaze levels share: the platform generator, the level rules and the oracle.

The generator follows the published facts of DMLab's ``platforms_v1`` generator (dmlab30.md):
for a difficulty ``d`` in [0, 1], the path grid has side ``4 + round(6 d)``, there are
``1 + round(7 d)`` paths (one main path and the side paths) and the main path may be up to
``floor(side * (0.3 + d))`` steps longer than the shortest route. Path-grid nodes sit on the odd
cells of a ``(2 side + 1)``-square map and the cells between two consecutive nodes of a path are
platforms too, so paths are one cell wide and meet nothing but their own neighbours. The start
is in the first third of the rows, the goal in the last third. Along the main path each platform
is 30% likely to step down by one or two height units of 0.2 m (more than the 0.18 m an agent
can climb); side paths branch off a main-path platform, wander over free nodes and end beside a
later (or earlier) main-path platform, descending evenly to end two units below the lower of the
two, so they are one-way traps. The start platform is the highest. The code is ours. An
episode's difficulty and paths live in a :class:`SkymazeState`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.actions import FORWARD, FORWARD_LOOK_LEFT, FORWARD_LOOK_RIGHT, LOOK_LEFT, LOOK_RIGHT
from zipfian_envs.engine.navigation import heading_error
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import STEP_HEIGHT_M, VOID_HEIGHT, Grid, Pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene, collect_touched

HEIGHT_UNIT_M = 0.2
STEP_DOWN_PROBABILITY = 0.3
GOAL_REWARD = 100.0
GOAL = 1
HORIZON_MATERIAL, CLIFF_MATERIAL = 1, 2
SKY_TEXTURES = texture_bank([((185, 205, 230), "plain"), ((125, 110, 95), "bricks")])
SKY_TEXTURES.flags.writeable = False
PLATFORM_COLOUR = (175, 160, 125)
GOAL_COLOUR = (250, 200, 40)
MAX_SEARCH_NODES = 20000
SIDE_PATH_TRIES = 30
_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


def round_half_up(value: float) -> int:
    """Round halves up (Lua's ``math.floor(x + 0.5)``), unlike Python's banker's rounding."""
    return math.floor(value + 0.5)


def maze_parameters(difficulty: float) -> tuple[int, int, int]:
    """(path grid side, number of paths, max detour) for a difficulty in [0, 1]."""
    if not 0.0 <= difficulty <= 1.0:
        raise ValueError(f"difficulty must be in [0, 1], got {difficulty!r}")
    side = 4 + round_half_up(6 * difficulty)
    return side, 1 + round_half_up(7 * difficulty), math.floor(side * (0.3 + difficulty))


def main_path_nodes(
    rng: np.random.Generator, side: int, start: tuple[int, int], goal: tuple[int, int], detour: int
) -> list[tuple[int, int]]:
    """A self-avoiding node path from start to goal at most ``detour`` steps longer than the shortest.

    A randomised depth-first search that prunes branches which can no longer reach the goal
    within budget; if it expands too many nodes, an L-shaped shortest path stands in.
    """
    budget = abs(start[0] - goal[0]) + abs(start[1] - goal[1]) + detour
    path, used = [start], {start}
    stack = [list(rng.permutation(4))]
    expanded = 0
    while stack and expanded < MAX_SEARCH_NODES:
        if path[-1] == goal:
            return path
        options = stack[-1]
        if not options:
            stack.pop()
            used.discard(path.pop())
            continue
        dr, dc = _MOVES[int(options.pop())]
        node = (path[-1][0] + dr, path[-1][1] + dc)
        remaining = budget - len(path)
        if (
            0 <= node[0] < side
            and 0 <= node[1] < side
            and node not in used
            and abs(node[0] - goal[0]) + abs(node[1] - goal[1]) <= remaining
        ):
            expanded += 1
            path.append(node)
            used.add(node)
            stack.append(list(rng.permutation(4)))
    # Fallback: rows first, then columns.
    path = [start]
    while path[-1] != goal:
        row, col = path[-1]
        if row != goal[0]:
            row += 1 if goal[0] > row else -1
        else:
            col += 1 if goal[1] > col else -1
        path.append((row, col))
    return path


def node_cells(nodes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The map cells of a node path: each node at (2r+1, 2c+1) and the connector cell between nodes."""
    cells = [(2 * nodes[0][0] + 1, 2 * nodes[0][1] + 1)]
    for (r0, c0), (r1, c1) in itertools.pairwise(nodes):
        cells.append((r0 + r1 + 1, c0 + c1 + 1))
        cells.append((2 * r1 + 1, 2 * c1 + 1))
    return cells


def side_path(
    rng: np.random.Generator, side: int, main: list[tuple[int, int]], used: set[tuple[int, int]]
) -> tuple[int, list[tuple[int, int]], int] | None:
    """(branch index, free nodes walked, rejoin index) of one side path, or None if this try got stuck."""
    main_index = {node: i for i, node in enumerate(main)}
    branch = int(rng.integers(len(main) - 1))
    walked: list[tuple[int, int]] = []
    current = main[branch]
    taken = set(used)
    for _ in range(2 * side):
        around = [(current[0] + dr, current[1] + dc) for dr, dc in _MOVES]
        free = [node for node in around if 0 <= node[0] < side and 0 <= node[1] < side and node not in taken]
        if not free:
            return None
        current = free[int(rng.integers(len(free)))]
        walked.append(current)
        taken.add(current)
        around = [(current[0] + dr, current[1] + dc) for dr, dc in _MOVES]
        rejoin = [main_index[node] for node in around if node in main_index and main_index[node] != branch]
        if rejoin:
            return branch, walked, rejoin[int(rng.integers(len(rejoin)))]
    return None


def generate_platforms(rng: np.random.Generator, difficulty: float) -> dict[str, np.ndarray]:
    """A skymaze map: ``heights`` ((2 side + 1)^2, ``VOID_HEIGHT`` off the platforms), the ordered
    ``main`` path cells (K, 2) from start to goal and ``side`` (M, 2) side-path cells, in map cells."""
    side, paths, detour = maze_parameters(difficulty)
    third = max(1, side // 3)
    start = (int(rng.integers(third)), int(rng.integers(side)))
    goal = (side - 1 - int(rng.integers(third)), int(rng.integers(side)))
    nodes = main_path_nodes(rng, side, start, goal, detour)
    main = node_cells(nodes)
    size = 2 * side + 1
    heights = np.full((size, size), VOID_HEIGHT, np.float32)
    units = np.zeros(len(main), np.int64)
    steps = rng.random(len(main)) < STEP_DOWN_PROBABILITY
    drops = rng.integers(1, 3, size=len(main))
    units[1:] = -np.cumsum(np.where(steps, drops, 0)[1:])
    cells = np.array(main, np.int64)
    heights[cells[:, 0], cells[:, 1]] = units * HEIGHT_UNIT_M
    node_units = {node: int(units[2 * i]) for i, node in enumerate(nodes)}

    used = set(nodes)
    side_cells: list[tuple[int, int]] = []
    for _ in range(paths - 1):
        for _ in range(SIDE_PATH_TRIES):
            found = side_path(rng, side, nodes, used)
            if found is not None:
                break
        else:
            continue
        branch, walked, rejoin = found
        used.update(walked)
        route = node_cells([nodes[branch], *walked, nodes[rejoin]])[1:-1]
        top = node_units[nodes[branch]] - 1
        bottom = min(node_units[nodes[branch]], node_units[nodes[rejoin]]) - 2
        fraction = np.linspace(0.0, 1.0, len(route))
        route_units = np.round(top + (bottom - top) * fraction).astype(np.int64)
        route_cells = np.array(route, np.int64)
        heights[route_cells[:, 0], route_cells[:, 1]] = route_units * HEIGHT_UNIT_M
        side_cells.extend(route)
    return {
        "heights": heights,
        "main": cells,
        "side": np.array(side_cells, np.int64).reshape(-1, 2),
    }


def reachable(heights: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """Cells an agent can walk to from ``start``: onto any non-void neighbour at most a step higher."""
    solid = heights > VOID_HEIGHT
    reached = np.zeros(heights.shape, bool)
    reached[start] = True
    while True:
        grown = reached.copy()
        for axis, shift in ((0, 1), (0, -1), (1, 1), (1, -1)):
            source = np.roll(reached, shift, axis=axis)
            source_height = np.roll(heights, shift, axis=axis)
            # np.roll wraps around; the wrapped edge row/column is void in every skymaze map.
            grown |= source & solid & (heights <= source_height + STEP_HEIGHT_M)
        if (grown == reached).all():
            return reached
        reached = grown


@dataclass(slots=True, kw_only=True)
class SkymazeState(LevelState):
    """The difficulty, the main and side paths' (row, col) cells, each cell's index on the main path (-1: off it)."""

    difficulty: float
    main: np.ndarray
    side: np.ndarray
    path_index: np.ndarray


class SkymazeLevel(Level):
    """Shared rules of the skymaze levels; subclasses choose the difficulty per episode."""

    family = "skymaze"
    time_limit_s = 60.0

    def difficulty(self, rng: np.random.Generator) -> float:
        """This episode's difficulty (subclasses)."""
        raise NotImplementedError

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[SkymazeState]:
        """Platforms over a void (with a one-cell horizon ring), the agent on the start platform, the goal."""
        difficulty = self.difficulty(rng)
        maze = generate_platforms(rng, difficulty)
        inner = maze["heights"]
        size = inner.shape[0] + 2
        heights = np.full((size, size), VOID_HEIGHT, np.float32)
        heights[1:-1, 1:-1] = inner
        walls = np.zeros((size, size), np.int16)
        walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = HORIZON_MATERIAL
        floor = np.empty((size, size, 3), np.uint8)
        floor[:] = PLATFORM_COLOUR
        grid = Grid(
            walls=walls,
            floor=floor,
            textures=SKY_TEXTURES,
            heights=heights,
            sky=True,
            fog_m=40.0,
            cliff_material=CLIFF_MATERIAL,
        )
        main, side_cells = maze["main"] + 1, maze["side"] + 1
        start, goal = main[0], main[-1]
        pose = Pose(
            x=start[1] + 0.5, y=start[0] + 0.5, yaw=float(rng.uniform(0, 2 * math.pi)), z=float(heights[tuple(start)])
        )
        path_index = np.full((size, size), -1, np.int32)
        path_index[main[:, 0], main[:, 1]] = np.arange(len(main))
        state = SkymazeState(difficulty=difficulty, main=main, side=side_cells, path_index=path_index)
        scene = Scene(grid=grid, pose=pose, state=state)
        scene.entities.add(
            goal[1] + 0.5, goal[0] + 0.5, shape_index("star"), GOAL_COLOUR,
            kind=GOAL, value=GOAL_REWARD, size=0.7, z=float(heights[tuple(goal)]),
        )  # fmt: skip
        return scene

    def rules(self, scene: Scene[SkymazeState], action: int, rng: np.random.Generator) -> float:
        """Taking the goal pays +100 and ends the episode 0.2 s later."""
        reward, taken = collect_touched(scene, (GOAL,))
        if taken.size:
            scene.success = True
            scene.end_after()
        return reward

    def oracle(self, scene: Scene[SkymazeState]) -> int:
        """Walk the main path cell by cell through cell centres (never cutting a corner into a trap)."""
        pose = scene.pose
        main = scene.state.main
        index = int(scene.state.path_index[pose.cell])
        if index < 0:
            return LOOK_LEFT  # fell into a trap: nothing left to do
        if index == len(main) - 1:
            return _walk(pose, main[index][1] + 0.5, main[index][0] + 0.5)
        here, after = main[index], main[index + 1]
        centre_x, centre_y = here[1] + 0.5, here[0] + 0.5
        # Head for the next cell once on the line through this cell's centre towards it; else for the centre.
        step_y, step_x = after - here
        offset_x, offset_y = pose.x - centre_x, pose.y - centre_y
        lateral = abs(offset_x * step_y - offset_y * step_x)
        ahead = offset_x * step_x + offset_y * step_y
        if lateral < 0.2 and ahead > -0.35:
            return _walk(pose, after[1] + 0.5, after[0] + 0.5)
        return _walk(pose, centre_x, centre_y)


def _walk(pose: Pose, x: float, y: float) -> int:
    """Turn on the spot until nearly facing (x, y), then walk with small corrections."""
    error = heading_error(pose, x, y)
    if abs(error) > math.radians(15):
        return LOOK_RIGHT if error > 0 else LOOK_LEFT
    if abs(error) > math.radians(5):
        return FORWARD_LOOK_RIGHT if error > 0 else FORWARD_LOOK_LEFT
    return FORWARD

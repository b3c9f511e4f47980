"""What the eight explore levels share: a new maze per episode, themes, decals, doors and oracle steps.

DMLab's explore levels draw a fresh maze of rooms and corridors each episode
(:func:`zipfian_envs.engine.mazes.generate_maze` here), paint it with a random *theme* (wall
material and floor colours; each room's floor follows its variation) and put *decals* (pictures
on the wall) on about 10% of the walls that face open floor. A "restart" reloads the same map
inside the same episode with a new spawn; the env's clock keeps running. Every explore level's
state is an :class:`ExploreState` (theme, spawn cells, restarts) or a subclass of it.

Themes are ours: DMLab's theme textures are photographs; here each theme is a wall pattern and
colour, a door material, four decal emblems and a palette of floor colours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.mazes import Maze, generate_maze, region_labels
from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, passable, steer
from zipfian_envs.engine.textures import TEXTURE_SIZE, make_texture
from zipfian_envs.engine.world import Grid, Pose
from zipfian_envs.labyrinth.common import spawn_pose
from zipfian_envs.labyrinth.level import Level, LevelState, Scene

WALL, DOOR, FIRST_DECAL = 1, 2, 3
NUM_DECALS = 4
DECAL_FREQUENCY = 0.1
LOOK_AROUND = 5  # look right: what an oracle does with nothing left to fetch


@dataclass(frozen=True)
class Theme:
    """A look for a maze: wall and door materials, decal colours, floor palette (corridors first), ceiling."""

    name: str
    wall: tuple[tuple[int, int, int], str]
    door: tuple[tuple[int, int, int], str]
    decals: tuple[tuple[int, int, int], ...]
    floors: tuple[tuple[int, int, int], ...]
    ceiling: tuple[int, int, int]


THEMES: tuple[Theme, ...] = (
    Theme("stone", ((150, 140, 130), "bricks"), ((170, 60, 50), "planks"),
          ((220, 40, 40), (40, 90, 220), (240, 210, 40), (40, 180, 70)),
          ((95, 85, 75), (120, 100, 70), (80, 95, 110), (110, 80, 80), (85, 105, 80)), (40, 40, 48)),
    Theme("tron", ((40, 60, 110), "tiles"), ((230, 120, 30), "stripes"),
          ((60, 230, 240), (240, 60, 200), (250, 250, 250), (250, 200, 40)),
          ((25, 30, 45), (20, 60, 70), (60, 25, 70), (30, 70, 30), (70, 60, 20)), (10, 10, 20)),
    Theme("minesweeper", ((170, 170, 175), "tiles"), ((90, 90, 200), "checker"),
          ((200, 30, 30), (30, 30, 200), (30, 140, 30), (20, 20, 20)),
          ((135, 135, 135), (160, 150, 120), (120, 140, 160), (150, 125, 140), (125, 150, 125)), (60, 60, 66)),
    Theme("tetris", ((120, 70, 160), "checker"), ((40, 160, 160), "stripes"),
          ((250, 130, 20), (30, 200, 60), (240, 240, 40), (230, 40, 40)),
          ((60, 55, 80), (90, 60, 50), (50, 80, 90), (95, 90, 40), (70, 95, 60)), (30, 25, 40)),
    Theme("go", ((160, 120, 70), "planks"), ((60, 40, 30), "plain"),
          ((20, 20, 20), (240, 240, 240), (180, 40, 40), (40, 60, 160)),
          ((190, 160, 110), (170, 150, 120), (200, 180, 140), (160, 130, 100), (180, 170, 130)), (70, 55, 40)),
    Theme("moss", ((70, 130, 70), "noise"), ((120, 90, 60), "planks"),
          ((240, 220, 60), (230, 90, 160), (250, 250, 250), (90, 60, 200)),
          ((85, 80, 60), (70, 90, 60), (95, 85, 70), (60, 80, 85), (100, 95, 60)), (35, 45, 35)),
)  # fmt: skip


@dataclass(slots=True, kw_only=True)
class ExploreState(LevelState):
    """What every explore level keeps: the maze's theme, the cells a (re)start spawns on and the restarts so far."""

    theme: int
    spawn_cells: np.ndarray
    restarts: int = 0


def _decal(base: np.ndarray, colour: tuple[int, int, int], emblem: int) -> np.ndarray:
    """A wall texture with an emblem in its middle: disc, diamond, square ring or cross."""
    v, u = np.mgrid[0:TEXTURE_SIZE, 0:TEXTURE_SIZE] + 0.5 - TEXTURE_SIZE / 2
    masks = (
        u**2 + v**2 <= 20,
        np.abs(u) + np.abs(v) <= 5,
        (np.maximum(np.abs(u), np.abs(v)) <= 5) & (np.maximum(np.abs(u), np.abs(v)) >= 3),
        (np.abs(u) <= 1.5) & (np.abs(v) <= 6) | (np.abs(v) <= 1.5) & (np.abs(u) <= 6),
    )
    picture = base.copy()
    picture[masks[emblem % len(masks)]] = colour
    return picture


def _theme_textures(theme: Theme) -> np.ndarray:
    """(3 + NUM_DECALS, 16, 16, 3) bank: 0 unused, 1 wall, 2 door, 3.. decals."""
    wall = make_texture(*theme.wall)
    bank = [np.zeros_like(wall), wall, make_texture(*theme.door)]
    bank += [_decal(wall, colour, index) for index, colour in enumerate(theme.decals[:NUM_DECALS])]
    out = np.stack(bank)
    out.flags.writeable = False
    return out


THEME_TEXTURES: tuple[np.ndarray, ...] = tuple(_theme_textures(theme) for theme in THEMES)


def build_grid(rng: np.random.Generator, maze: Maze, theme_index: int) -> Grid:
    """The maze's grid in a theme, with decals on about 10% of the walls that face open floor."""
    theme = THEMES[theme_index]
    walls = np.where(maze.walls, np.int16(WALL), np.int16(0))
    padded = np.pad(maze.open, 1)
    faces_floor = maze.walls & (padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:])
    decorate = faces_floor & (rng.random(walls.shape) < DECAL_FREQUENCY)
    emblem = rng.integers(NUM_DECALS, size=walls.shape)
    walls[decorate] = FIRST_DECAL + emblem[decorate]
    palette = np.asarray(theme.floors, np.uint8)
    floor = palette[np.minimum(maze.cell_variation(), len(palette) - 1)]
    return Grid(walls=walls, floor=floor, textures=THEME_TEXTURES[theme_index], ceiling=theme.ceiling)


def door_regions(maze: Maze) -> tuple[np.ndarray, np.ndarray]:
    """Regions of the open map with the doors removed, and the (D, 2) pair of regions each door joins."""
    without_doors = maze.open.copy()
    without_doors[maze.doors[:, 0], maze.doors[:, 1]] = False
    labels = region_labels(without_doors)
    r, c = maze.doors[:, 0], maze.doors[:, 1]
    # A door sits on a lattice link: between the cells above and below on an even row, else left and right.
    vertical = r % 2 == 0
    a = np.where(vertical, labels[r - 1, c], labels[r, c - 1])
    b = np.where(vertical, labels[r + 1, c], labels[r, c + 1])
    return labels, np.stack([a, b], axis=1).astype(np.int64)


def random_door_path(rng: np.random.Generator, edges: np.ndarray, start: int, goal: int) -> np.ndarray:
    """A bool mask over doors: those on one random simple path from region ``start`` to ``goal``.

    A depth-first search over the region graph that tries doors in a random order; the doors on
    the stack when it reaches ``goal`` form the path (none when ``start == goal``).
    """
    on_path = np.zeros(len(edges), bool)
    if start == goal:
        return on_path
    order = rng.permutation(len(edges))
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for door in order.tolist():
        a, b = int(edges[door, 0]), int(edges[door, 1])
        adjacency.setdefault(a, []).append((door, b))
        adjacency.setdefault(b, []).append((door, a))
    seen = {start}
    stack: list[tuple[int, int]] = [(-1, start)]
    cursor = [0]
    while stack:
        _, region = stack[-1]
        options = adjacency.get(region, [])
        if cursor[-1] >= len(options):
            stack.pop()
            cursor.pop()
            continue
        door, other = options[cursor[-1]]
        cursor[-1] += 1
        if other in seen:
            continue
        seen.add(other)
        stack.append((door, other))
        cursor.append(0)
        if other == goal:
            on_path[[d for d, _ in stack[1:]]] = True
            return on_path
    raise ValueError(f"region {goal} cannot be reached from region {start}")


def place_agent(rng: np.random.Generator, cells: np.ndarray) -> Pose:
    """A pose on one of ``cells`` (drawn uniformly) with a random heading."""
    if len(cells) == 0:
        raise ValueError("no cell to spawn on")
    return spawn_pose(rng, cells[int(rng.integers(len(cells)))])


def cells_not_in(cells: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The rows of ``cells`` (N, 2) that are not rows of ``taken`` (M, 2)."""
    if len(taken) == 0 or len(cells) == 0:
        return cells
    same = (cells[:, None, :] == taken[None, :, :]).all(axis=2).any(axis=1)
    return cells[~same]


def _first_step(distance: np.ndarray, target: tuple[int, int]) -> tuple[int, int]:
    """Walk back from ``target`` down a distance field from the agent: the cell one step from the agent."""
    rows, cols = distance.shape
    row, col = target
    while distance[row, col] > 1:
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            r, c = row + dr, col + dc
            if 0 <= r < rows and 0 <= c < cols and distance[r, c] == distance[row, col] - 1:
                row, col = r, c
                break
    return row, col


def walk_to_nearest(scene: Scene, targets: np.ndarray, avoid: np.ndarray | None = None) -> int | None:
    """An action towards the nearest (by path length) target entity, keeping off ``avoid`` entities' cells.

    ``targets`` and ``avoid`` are entity indices; returns ``None`` when no target can be reached.
    One distance field from the agent both picks the target and gives the path (walked back from it).
    """
    ents = scene.entities
    if len(targets) == 0:
        return None
    free = passable(scene.grid)
    if avoid is not None and len(avoid):
        free[ents.y[avoid].astype(int), ents.x[avoid].astype(int)] = False
    here = scene.pose.cell
    free[here] = True
    distance = distance_field(free, [here])
    rows, cols = ents.y[targets].astype(int), ents.x[targets].astype(int)
    lengths = distance[rows, cols]
    best = int(np.argmin(lengths))
    if lengths[best] == UNREACHABLE:
        return None
    target = targets[best]
    if lengths[best] <= 1:
        return steer(scene.pose, float(ents.x[target]), float(ents.y[target]))
    row, col = _first_step(distance, (int(rows[best]), int(cols[best])))
    return steer(scene.pose, col + 0.5, row + 0.5)


class ExploreLevel(Level):
    """Shared configuration of the explore levels: the maze parameters and a themed world per episode."""

    family = "explore"
    maze_size: int = 11
    max_rooms: int = 4
    room_size: tuple[int, int] = (3, 5)
    spawns_per_room: int = 5
    objects_per_room: int = 4

    def new_maze(self, rng: np.random.Generator) -> Maze:
        """This level's kind of maze, drawn from ``rng``."""
        return generate_maze(
            rng,
            self.maze_size,
            max_rooms=self.max_rooms,
            room_size=self.room_size,
            spawns_per_room=self.spawns_per_room,
            objects_per_room=self.objects_per_room,
        )

    def new_world(self, rng: np.random.Generator) -> tuple[Maze, Grid, int]:
        """A maze, its themed grid and the theme's index."""
        maze = self.new_maze(rng)
        theme = int(rng.integers(len(THEMES)))
        return maze, build_grid(rng, maze, theme), theme

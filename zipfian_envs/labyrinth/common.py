"""Building blocks shared by the Labyrinth levels: palettes, rooms from text, spawns and placements."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import Grid, Pose

# Named colours (DMLab's language levels use the first six: red, green, blue, cyan, magenta, yellow).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 80, 230),
    "cyan": (40, 210, 220),
    "magenta": (220, 50, 210),
    "yellow": (235, 215, 40),
    "white": (235, 235, 235),
    "black": (25, 25, 25),
    "orange": (245, 140, 30),
    "purple": (130, 50, 190),
    "pink": (250, 150, 190),
    "brown": (130, 80, 40),
    "grey": (128, 128, 128),
}

# Default materials: 1 stone bricks, 2 blue stripes, 3 red bricks, 4 wood planks, 5 grey tiles, 6 green noise.
DEFAULT_MATERIALS: tuple[tuple[tuple[int, int, int], str], ...] = (
    ((150, 140, 130), "bricks"),
    ((70, 90, 170), "stripes"),
    ((170, 70, 60), "bricks"),
    ((150, 110, 70), "planks"),
    ((140, 140, 150), "tiles"),
    ((70, 130, 70), "noise"),
)
DEFAULT_TEXTURES = texture_bank(DEFAULT_MATERIALS)
DEFAULT_TEXTURES.flags.writeable = False


def grid_from_text(
    lines: Sequence[str],
    floor_colour: tuple[int, int, int] = (95, 85, 75),
    textures: np.ndarray = DEFAULT_TEXTURES,
    wall_chars: dict[str, int] | None = None,
    **grid_options,
) -> tuple[Grid, dict[str, list[tuple[int, int]]]]:
    """A grid from a text map: '#' (or any key of ``wall_chars``) is a wall, anything else floor.

    Returns the grid and, for every other character, the list of its (row, col) cells, so a map can
    mark spawn points ('P'), object slots ('O'), goals ('G') and so on.
    """
    if not lines or len({len(line) for line in lines}) != 1:
        raise ValueError("a text map needs at least one line and all lines of equal length")
    wall_chars = {"#": 1} if wall_chars is None else wall_chars
    rows, cols = len(lines), len(lines[0])
    walls = np.zeros((rows, cols), np.int16)
    marks: dict[str, list[tuple[int, int]]] = {}
    for r, line in enumerate(lines):
        for c, char in enumerate(line):
            if char in wall_chars:
                walls[r, c] = wall_chars[char]
            elif char not in (" ", "."):
                marks.setdefault(char, []).append((r, c))
    floor = np.empty((rows, cols, 3), np.uint8)
    floor[:] = floor_colour
    return Grid(walls=walls, floor=floor, textures=textures, **grid_options), marks


def box_room(
    rows: int, cols: int, material: int = 1, floor_colour: tuple[int, int, int] = (95, 85, 75), **grid_options
) -> Grid:
    """An empty rectangular room of ``rows`` x ``cols`` floor cells inside one ring of walls."""
    walls = np.zeros((rows + 2, cols + 2), np.int16)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = material
    floor = np.empty((rows + 2, cols + 2, 3), np.uint8)
    floor[:] = floor_colour
    grid_options.setdefault("textures", DEFAULT_TEXTURES)
    return Grid(walls=walls, floor=floor, **grid_options)


def free_cells(grid: Grid) -> np.ndarray:
    """(N, 2) array of the (row, col) cells with no wall."""
    return np.argwhere(grid.walls == 0)


def choose_cells(rng: np.random.Generator, cells: np.ndarray | Sequence, count: int) -> np.ndarray:
    """``count`` distinct cells from ``cells``, drawn without replacement."""
    cells = np.asarray(cells)
    if count > len(cells):
        raise ValueError(f"asked for {count} cells but only {len(cells)} are available")
    return cells[rng.choice(len(cells), size=count, replace=False)]


def spawn_pose(
    rng: np.random.Generator, cell: Sequence[int], yaw: float | None = None, jitter_deg: float = 0.0
) -> Pose:
    """A pose at the centre of ``cell`` facing ``yaw`` (random when None) +- ``jitter_deg``."""
    heading = rng.uniform(0, 2 * math.pi) if yaw is None else yaw
    if jitter_deg:
        heading += math.radians(rng.uniform(-jitter_deg, jitter_deg))
    return Pose(x=float(cell[1]) + 0.5, y=float(cell[0]) + 0.5, yaw=heading % (2 * math.pi))


def facing(from_cell: Sequence[int], to_xy: Sequence[float]) -> float:
    """The yaw from the centre of ``from_cell`` towards the point ``to_xy`` (x, y)."""
    return math.atan2(to_xy[1] - (from_cell[0] + 0.5), to_xy[0] - (from_cell[1] + 0.5))

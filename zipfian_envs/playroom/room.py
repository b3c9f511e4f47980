"""The Playroom's room: walls, furniture, objects and the agent, built from one generator.

Units follow :mod:`zipfian_envs.engine.world`: one cell is 1 m, walls are 1 m tall, the eye is
0.5 m above the floor. The room is 6-8 m by 7-9 m (drawn per episode), walled with one of five
textures per wall. Furniture (ours; the reference room is Unity's) stands on whole cells and blocks
movement but not sight: a bed (2 cells, top 0.35 m), a tray on a low stand (0.30 m), a table
(0.45 m), a shelf (0.70 m, against a wall) and a chest (0.40 m, against a wall). The bed and chest
also stand against a wall; pieces never touch each other (one free cell between them) and every
free cell stays reachable. Objects (8 to 16, 0.3 m sprites) rest on the floor (about 70%) or on
a furniture top (drawn at the top's height), at least 0.4 m apart.

The state is a plain dataclass: the render grid (walls only), a collision grid where furniture
cells count as walls (the engine's physics and navigation then block them unchanged), the
entities (furniture billboards first, then objects) and the episode's bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.navigation import distance_field
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import Entities, Grid, Pose
from zipfian_envs.playroom.catalogue import COLOURS, FURNITURE_SHAPE, KIND_SHAPES

FURNITURE = ("bed", "tray", "table", "shelf", "chest")
BED, TRAY, TABLE, SHELF, CHEST = range(len(FURNITURE))
TOP_HEIGHT_M = {"bed": 0.35, "tray": 0.30, "table": 0.45, "shelf": 0.70, "chest": 0.40}
FURNITURE_COLOURS = {
    "bed": [(70, 110, 190), (170, 60, 70), (80, 150, 100)],
    "tray": [(200, 170, 110), (150, 150, 160)],
    "table": [(150, 100, 60), (120, 80, 50), (180, 140, 90)],
    "shelf": [(140, 95, 60), (110, 75, 45)],
    "chest": [(160, 110, 55), (120, 70, 40)],
}
AGAINST_WALL = {"bed": True, "tray": False, "table": False, "shelf": True, "chest": True}
OBJECT_SIZE_M = 0.3
MIN_OBJECT_GAP_M = 0.4
OBJECTS_RANGE = (8, 16)
ON_FURNITURE_P = 0.3
# Wall materials 1..5; the collision grid marks furniture with material 1 too (never drawn).
WALL_TEXTURES = texture_bank(
    [((205, 190, 165), "plain"), ((170, 190, 215), "stripes"), ((215, 180, 170), "dots"), ((185, 205, 175), "tiles"),
     ((200, 200, 200), "bricks")]
)  # fmt: skip
FLOOR_COLOURS = np.array([(150, 115, 80), (130, 100, 70), (170, 150, 120), (115, 120, 130)], np.uint8)


@dataclass(frozen=True)
class RoomLayout:
    """A room's size: its cells (outer walls included), how many objects, and which furniture stands in it."""

    rows: tuple[int, int]
    cols: tuple[int, int]
    objects: tuple[int, int]
    furniture: tuple[str, ...]


# "small" (ours) is for quick learning checks: a 4 x 5 m floor, 2-3 objects, the bed and the tray
# only (the put tasks' receptacles, which keep their furniture indices 0 and 1).
ROOM_LAYOUTS: dict[str, RoomLayout] = {
    "standard": RoomLayout(rows=(8, 10), cols=(9, 11), objects=OBJECTS_RANGE, furniture=FURNITURE),
    "small": RoomLayout(rows=(6, 6), cols=(7, 7), objects=(2, 3), furniture=FURNITURE[:2]),
}


def check_room(room: str) -> RoomLayout:
    """The layout called ``room``; a clear error naming the valid ones otherwise."""
    if not isinstance(room, str) or room not in ROOM_LAYOUTS:
        raise ValueError(f"unknown room {room!r}; valid: {', '.join(ROOM_LAYOUTS)}")
    return ROOM_LAYOUTS[room]


@dataclass
class RoomState:
    """One episode's world and bookkeeping (plain values and arrays: it pickles)."""

    grid: Grid
    collision: Grid
    furniture_cells: np.ndarray  # (rows, cols) int: furniture index per cell, -1 where none
    furniture_kind: np.ndarray  # (F,) index into FURNITURE
    furniture_top: np.ndarray  # (F,) top height in metres
    furniture_box: np.ndarray  # (F, 4) footprint x0, y0, x1, y1
    pose: Pose
    entities: Entities
    first_object: int
    object_kind: np.ndarray  # (N,) catalogue index
    object_support: np.ndarray  # (N,) furniture index, -1 on the floor
    target: int  # object index of the target
    receptacle: int  # furniture index of the put receptacle, -1 otherwise
    held: int = -1
    look_pitch: float = 0.0
    steps: int = 0

    @property
    def num_objects(self) -> int:
        """Objects in the room (held one included)."""
        return int(self.object_kind.shape[0])


def _wall_side_cells(rows: int, cols: int) -> np.ndarray:
    """Interior cells touching the outer wall, as (row, col) pairs."""
    cells = [(r, c) for r in range(1, rows - 1) for c in range(1, cols - 1) if r in (1, rows - 2) or c in (1, cols - 2)]
    return np.array(cells, np.int64)


def _place_furniture(
    rng: np.random.Generator, rows: int, cols: int, names: tuple[str, ...] = FURNITURE
) -> list[list[tuple[int, int]]] | None:
    """Cells of each piece of ``names`` (bed, tray, table, shelf, chest), or None if this draw failed."""
    taken = np.zeros((rows, cols), bool)  # occupied cells plus their 8-neighbours
    interior = np.zeros((rows, cols), bool)
    interior[1:-1, 1:-1] = True
    side = _wall_side_cells(rows, cols)
    pieces: list[list[tuple[int, int]]] = []
    for name in names:
        for _ in range(40):
            if AGAINST_WALL[name]:
                r, c = (int(v) for v in side[rng.integers(len(side))])
            else:
                r, c = int(rng.integers(2, rows - 2)), int(rng.integers(2, cols - 2))
            cells = [(r, c)]
            if name == "bed":
                # Head against the wall: the second cell points into the room.
                dr, dc = (1 if r == 1 else -1 if r == rows - 2 else 0), (1 if c == 1 else -1 if c == cols - 2 else 0)
                if dr and dc:
                    dr, dc = (dr, 0) if rng.random() < 0.5 else (0, dc)
                cells.append((r + dr, c + dc))
            if all(interior[cr, cc] and not taken[cr, cc] for cr, cc in cells):
                break
        else:
            return None
        for cr, cc in cells:
            taken[max(cr - 1, 0) : cr + 2, max(cc - 1, 0) : cc + 2] = True
        pieces.append(cells)
    return pieces


def build_room(
    rng: np.random.Generator,
    target_kind: int,
    receptacle_kind: int,
    num_kinds: int,
    exclude_support: int = -1,
    layout: RoomLayout = ROOM_LAYOUTS["standard"],
) -> RoomState:
    """A new room holding the target kind and distractors; every draw from ``rng``.

    Distractor kinds are drawn uniformly without replacement from the catalogue's other kinds, so
    every kind (rare ones included) is a distractor equally often; only the target is skewed.
    ``exclude_support`` keeps the target off one furniture kind (a put task's receptacle).
    """
    for _ in range(100):
        rows = int(rng.integers(layout.rows[0], layout.rows[1] + 1))
        cols = int(rng.integers(layout.cols[0], layout.cols[1] + 1))
        pieces = _place_furniture(rng, rows, cols, layout.furniture)
        if pieces is None:
            continue
        furniture_cells = np.full((rows, cols), -1, np.int64)
        for index, cells in enumerate(pieces):
            for r, c in cells:
                furniture_cells[r, c] = index
        walls = np.zeros((rows, cols), np.int16)
        materials = rng.integers(1, WALL_TEXTURES.shape[0], 4)
        walls[0, :], walls[-1, :], walls[:, 0], walls[:, -1] = materials
        free = (walls == 0) & (furniture_cells < 0)
        first_row, first_col = np.argwhere(free)[0]
        start = (int(first_row), int(first_col))
        if (distance_field(free, [start])[free] == np.iinfo(np.int32).max).any():
            continue
        break
    else:  # pragma: no cover - the layouts above always succeed within a few draws
        raise RuntimeError("could not lay out the room")

    floor = np.broadcast_to(FLOOR_COLOURS[rng.integers(len(FLOOR_COLOURS))], (rows, cols, 3)).copy()
    grid = Grid(walls=walls, floor=floor, textures=WALL_TEXTURES, ceiling=(215, 215, 205), fog_m=16.0, light=1.0)
    collision = Grid(walls=np.where(furniture_cells >= 0, np.int16(1), walls), floor=floor, textures=WALL_TEXTURES)

    rows_out: list[tuple] = []  # (x, y, z, size, shape, colour, kind, touchable) per entity
    boxes, tops = [], []
    for index, cells in enumerate(pieces):
        name = FURNITURE[index]
        palette = FURNITURE_COLOURS[name]
        colour = palette[int(rng.integers(len(palette)))]
        cells_array = np.array(cells)
        boxes.append(
            (cells_array[:, 1].min(), cells_array[:, 0].min(), cells_array[:, 1].max() + 1, cells_array[:, 0].max() + 1)
        )
        tops.append(TOP_HEIGHT_M[name])
        for k, (r, c) in enumerate(cells):
            shape = FURNITURE_SHAPE["bed_head" if k == 0 else "bed_foot"] if name == "bed" else FURNITURE_SHAPE[name]
            rows_out.append((c + 0.5, r + 0.5, 0.0, 1.0, shape, colour, -1 - index, False))
    first_object = len(rows_out)

    free_cells = np.argwhere(free)
    spawn_cell = free_cells[rng.integers(len(free_cells))]
    pose = Pose(x=float(spawn_cell[1] + 0.5), y=float(spawn_cell[0] + 0.5), yaw=float(rng.uniform(0, 2 * np.pi)))

    count = min(int(rng.integers(layout.objects[0], layout.objects[1] + 1)), num_kinds)
    others = np.delete(np.arange(num_kinds), target_kind)
    kinds = np.concatenate([[target_kind], rng.choice(others, count - 1, replace=False)]).astype(np.int64)
    supports = np.full(count, -1, np.int64)
    placed: list[tuple[float, float]] = []
    for i in range(count):
        for _ in range(200):
            support = -1
            if rng.random() < ON_FURNITURE_P:
                support = int(rng.integers(len(pieces)))
                if i == 0 and support == exclude_support:
                    support = -1
            if support >= 0:
                r, c = pieces[support][int(rng.integers(len(pieces[support])))]
                x, y = c + rng.uniform(0.25, 0.75), r + rng.uniform(0.25, 0.75)
            else:
                r, c = free_cells[rng.integers(len(free_cells))]
                x, y = c + rng.uniform(0.2, 0.8), r + rng.uniform(0.2, 0.8)
                if np.hypot(x - pose.x, y - pose.y) < 0.6:
                    continue
            if all(np.hypot(x - px, y - py) >= MIN_OBJECT_GAP_M for px, py in placed):
                break
        else:  # pragma: no cover - a 6x7 m room always has room for 16 objects
            raise RuntimeError("could not place the objects")
        placed.append((x, y))
        supports[i] = support
        z = TOP_HEIGHT_M[FURNITURE[support]] if support >= 0 else 0.0
        colour = COLOURS[rng.integers(len(COLOURS))]
        rows_out.append((x, y, z, OBJECT_SIZE_M, int(KIND_SHAPES[kinds[i]]), colour, int(kinds[i]), True))

    # The target is object 0 when drawn; shuffle so its index says nothing (entities keep furniture first).
    order = rng.permutation(count)
    rows_out[first_object:] = [rows_out[first_object + k] for k in order]
    kinds, supports = kinds[order], supports[order]
    columns = list(zip(*rows_out))
    entities = Entities(
        x=np.array(columns[0], np.float64),
        y=np.array(columns[1], np.float64),
        z=np.array(columns[2], np.float64),
        size=np.array(columns[3], np.float64),
        shape=np.array(columns[4], np.int32),
        colour=np.array(columns[5], np.uint8).reshape(-1, 3),
        kind=np.array(columns[6], np.int32),
        value=np.zeros(len(rows_out), np.float64),
        active=np.ones(len(rows_out), bool),
        touchable=np.array(columns[7], bool),
    )
    target = int(np.flatnonzero(order == 0)[0])
    return RoomState(
        grid=grid,
        collision=collision,
        furniture_cells=furniture_cells,
        furniture_kind=np.arange(len(pieces), dtype=np.int64),
        furniture_top=np.array(tops, np.float64),
        furniture_box=np.array(boxes, np.float64),
        pose=pose,
        entities=entities,
        first_object=first_object,
        object_kind=kinds,
        object_support=supports,
        target=target,
        receptacle=receptacle_kind,
    )

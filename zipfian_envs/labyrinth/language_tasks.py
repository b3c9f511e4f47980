"""Shared parts of the four language levels: room layouts, object placement, restarts and oracles.

The language levels build small maps of one to six rooms whose floors carry a colour (so an
instruction can say "the blue room"), put coloured objects of named shapes into the rooms, and
reload the map with a new task after each answer, as DMLab does. Everything here is a pure
function of its arguments and the ``rng`` it is given; episode state lives in the Scene, the
level's own values in its ``state``: a :class:`LanguageState` (the tasks done, which a restart
keeps) subclass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, passable, walk_towards
from zipfian_envs.engine.physics import touched
from zipfian_envs.engine.sprites import ATLAS, shape_index
from zipfian_envs.engine.world import Entities, Grid, Pose
from zipfian_envs.labyrinth.common import COLOURS, DEFAULT_TEXTURES
from zipfian_envs.labyrinth.level import LevelState, Scene

# DMLab's language levels colour objects and floors with these six.
TASK_COLOURS: tuple[str, ...] = ("red", "green", "blue", "cyan", "magenta", "yellow")
# Recognisable object shapes (ours: the engine's procedural shapes stand in for DMLab's 40 models).
OBJECT_SHAPES: tuple[str, ...] = (
    "apple", "cake", "balloon", "hat", "can", "lolly", "ball", "box", "cube", "pyramid", "star", "ring",
    "cross", "diamond", "heart", "moon", "car", "duck", "robot", "rocket", "teddy", "boat", "tv",
    "cassette", "chair", "cup", "bottle", "lamp", "guitar", "umbrella", "flower", "fish", "bell", "house",
    "plane", "bus", "hammer", "pencil", "tennis_racket", "candle", "spoon", "banana", "egg",
)  # fmt: skip
LAYOUTS: tuple[str, ...] = ("two_areas", "two_rooms", "four_rooms", "six_rooms")
# (block rows, block cols, wall between blocks) per layout; "two areas" is one open room with two floors.
_BLOCKS = {"two_areas": (1, 2, False), "two_rooms": (1, 2, True), "four_rooms": (2, 2, True), "six_rooms": (2, 3, True)}
ROOM_SIZE = 4
NEUTRAL_FLOOR = (95, 85, 75)
OBJECT_SIZE = 0.45
# Entity kinds shared by the language levels.
GOAL, WRONG, CUE = 1, 2, 3

for _name in OBJECT_SHAPES:  # fail at import, not mid-episode, if the engine renames a shape
    ATLAS.index(_name)


def floor_colour(name: str) -> tuple[int, int, int]:
    """A room floor's RGB for a colour name: the colour muted towards grey, so same-coloured objects stay visible."""
    if name not in COLOURS:
        raise ValueError(f"unknown colour {name!r}; valid: {', '.join(COLOURS)}")
    r, g, b = COLOURS[name]
    return (round(0.55 * r + 0.45 * 70), round(0.55 * g + 0.45 * 70), round(0.55 * b + 0.45 * 70))


def penalty(total: float, wrong_objects: int) -> float:
    """DMLab's wrong-object reward: -round(total / #wrong objects), rounding halves up (Lua's floor(x + 0.5))."""
    if wrong_objects < 1:
        raise ValueError(f"wrong_objects must be >= 1, got {wrong_objects}")
    return -float(math.floor(total / wrong_objects + 0.5))


@dataclass(slots=True, kw_only=True)
class LanguageState(LevelState):
    """What every language level keeps across its map restarts: the number of tasks done (answers given)."""

    tasks_done: int = 0


LanguageStateT = TypeVar("LanguageStateT", bound=LanguageState)


@dataclass(slots=True, kw_only=True)
class LayoutState(LanguageState):
    """A task on a rooms layout: the layout's name, each cell's room, the rooms' floor colours, the objects' looks."""

    layout: str
    rooms: np.ndarray
    floor_names: tuple[str, ...]
    object_colours: tuple[str, ...]
    object_shapes: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """A map of rooms: the grid, each cell's room id (-1 for walls and doorways) and each room's floor colour."""

    name: str
    grid: Grid
    rooms: np.ndarray
    floor_names: tuple[str, ...]

    @property
    def num_rooms(self) -> int:
        """How many rooms (or areas) the map has."""
        return len(self.floor_names)

    def slots(self, room: int) -> np.ndarray:
        """(N, 2) cells of ``room`` where an object may stand: not right in front of a doorway."""
        inside = self.rooms == room
        doorway = (self.grid.walls == 0) & (self.rooms < 0)
        near_door = np.zeros_like(doorway)
        near_door[1:, :] |= doorway[:-1, :]
        near_door[:-1, :] |= doorway[1:, :]
        near_door[:, 1:] |= doorway[:, :-1]
        near_door[:, :-1] |= doorway[:, 1:]
        return np.argwhere(inside & ~near_door)


def build_layout(
    rng: np.random.Generator, name: str, floors: Sequence[str] = TASK_COLOURS, room_size: int = ROOM_SIZE
) -> Layout:
    """A layout of ``name`` (one of LAYOUTS) with random doorways and distinct random floor colours."""
    if name not in _BLOCKS:
        raise ValueError(f"unknown layout {name!r}; valid: {', '.join(LAYOUTS)}")
    block_rows, block_cols, walled = _BLOCKS[name]
    span = room_size + 1 if walled else room_size
    rows, cols = block_rows * span + (1 if walled else 2), block_cols * span + (1 if walled else 2)
    walls = np.ones((rows, cols), np.int16)
    rooms = np.full((rows, cols), -1, np.int8)
    for i in range(block_rows):
        for j in range(block_cols):
            r0, c0 = 1 + i * span, 1 + j * span
            walls[r0 : r0 + room_size, c0 : c0 + room_size] = 0
            rooms[r0 : r0 + room_size, c0 : c0 + room_size] = i * block_cols + j
    if walled:
        for i in range(block_rows):
            for j in range(block_cols):
                if j + 1 < block_cols:  # doorway in the wall column to the right
                    walls[1 + i * span + int(rng.integers(room_size)), (j + 1) * span] = 0
                if i + 1 < block_rows:  # doorway in the wall row below
                    walls[(i + 1) * span, 1 + j * span + int(rng.integers(room_size))] = 0
    num_rooms = block_rows * block_cols
    if num_rooms > len(floors):
        raise ValueError(f"layout {name!r} needs {num_rooms} floor colours, got {len(floors)}")
    floor_names = tuple(floors[k] for k in rng.choice(len(floors), size=num_rooms, replace=False))
    floor = np.empty((rows, cols, 3), np.uint8)
    floor[:] = NEUTRAL_FLOOR
    for room, colour in enumerate(floor_names):
        floor[rooms == room] = floor_colour(colour)
    grid = Grid(walls=walls, floor=floor, textures=DEFAULT_TEXTURES, floor_checker=0.06)
    return Layout(name=name, grid=grid, rooms=rooms, floor_names=floor_names)


@dataclass(frozen=True)
class Thing:
    """One object to place: its shape and colour names, room, entity kind and pickup reward."""

    shape: str
    colour: str
    room: int
    kind: int
    value: float


class PlacementError(RuntimeError):
    """A layout drawn for a task has no placement of its objects that keeps the map connected."""


# Fresh draws of a whole task (layout, doorways, objects) before a level gives up on placing its objects.
TASK_REDRAWS = 20


T = TypeVar("T")


def redraw_until_placed(
    rng: np.random.Generator, draw: Callable[[np.random.Generator], T], redraws: int = TASK_REDRAWS
) -> T:
    """``draw(rng)`` again, from the same generator, while its objects cannot be placed (:class:`PlacementError`).

    Some random doorway layouts leave too few cells whose filling keeps the map connected; a task on
    such a map is redrawn whole, so an episode never fails mid-training. Draws that place at the
    first try consume the generator exactly as before.
    """
    for _ in range(redraws - 1):
        try:
            return draw(rng)
        except PlacementError:
            continue
    return draw(rng)


def place_things(rng: np.random.Generator, layout: Layout, things: Sequence[Thing], tries: int = 100) -> np.ndarray:
    """(N, 2) distinct cells for ``things`` in their rooms, such that no set of objects cuts the map.

    Every cell without an object stays connected to every other, and every object has a free
    neighbour, so an oracle can reach any object while keeping off the others' cells.
    """
    slots = {room: layout.slots(room) for room in sorted({thing.room for thing in things})}
    free = passable(layout.grid)
    for _ in range(tries):
        cells = np.zeros((len(things), 2), np.int64)
        for room, candidates in slots.items():
            members = [i for i, thing in enumerate(things) if thing.room == room]
            cells[members] = candidates[rng.choice(len(candidates), size=len(members), replace=False)]
        if _leaves_map_connected(free, cells):
            return cells
    raise PlacementError(f"could not place {len(things)} objects in layout {layout.name!r} without cutting the map")


def _leaves_map_connected(free: np.ndarray, cells: np.ndarray) -> bool:
    """Whether the free cells minus ``cells`` form one region that touches every cell in ``cells``."""
    open_cells = free.copy()
    open_cells[cells[:, 0], cells[:, 1]] = False
    start = tuple(np.argwhere(open_cells)[0])
    distance = distance_field(open_cells, [start])
    if np.any(distance[open_cells] == UNREACHABLE):
        return False
    rows, cols = free.shape
    for r, c in cells:
        near = [(r + dr, c + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))]
        if not any(0 <= a < rows and 0 <= b < cols and distance[a, b] != UNREACHABLE for a, b in near):
            return False
    return True


def make_entities(things: Sequence[Thing], cells: np.ndarray, touchable: bool = True) -> Entities:
    """Entities at the centres of ``cells`` with the things' shapes, colours, kinds and values."""
    entities = Entities()
    for thing, (row, col) in zip(things, cells):
        entities.add(
            col + 0.5,
            row + 0.5,
            shape_index(thing.shape),
            COLOURS[thing.colour],
            kind=thing.kind,
            value=thing.value,
            size=OBJECT_SIZE,
            touchable=touchable,
        )
    return entities


def spawn_in_rooms(rng: np.random.Generator, layout: Layout, taken: np.ndarray) -> Pose:
    """A pose at the centre of a random room cell that holds no object, facing a random direction."""
    candidates = layout.rooms >= 0
    candidates[taken[:, 0], taken[:, 1]] = False
    cell = np.argwhere(candidates)[rng.integers(int(candidates.sum()))]
    return Pose(x=float(cell[1]) + 0.5, y=float(cell[0]) + 0.5, yaw=float(rng.uniform(0, 2 * math.pi)))


def pick_up(scene: Scene) -> int | None:
    """Pick up the nearest touched object, if any: deactivate it and return its index."""
    index = touched(scene.entities, scene.pose.x, scene.pose.y)
    if index.size == 0:
        return None
    first = int(index[0])
    scene.entities.active[first] = False
    return first


def restart(scene: Scene[LanguageStateT], fresh: Scene[LanguageStateT]) -> None:
    """Load a freshly built task into the running scene (DMLab's map restart): the clock and the tasks done go on."""
    scene.grid, scene.pose, scene.entities = fresh.grid, fresh.pose, fresh.entities
    scene.instruction, scene.hud, scene.screens = fresh.instruction, fresh.hud, fresh.screens
    scene.state = carry_over(scene.state, fresh.state)


def carry_over(old: LanguageStateT, fresh: LanguageStateT) -> LanguageStateT:
    """The fresh task's state with the running episode's count of tasks done."""
    return replace(fresh, tasks_done=old.tasks_done)


def go_to_nearest(scene: Scene, targets: np.ndarray) -> int:
    """Walk to the path-nearest of the entity indices ``targets``, keeping off every other touchable object's cell."""
    ents, pose = scene.entities, scene.pose
    free = passable(scene.grid)
    avoid = ents.active & ents.touchable
    avoid[targets] = False
    free[ents.y[avoid].astype(int), ents.x[avoid].astype(int)] = False
    free[pose.cell] = True
    from_agent = distance_field(free, [pose.cell])
    target_cells = [(int(ents.y[i]), int(ents.x[i])) for i in targets]
    reach = [from_agent[cell] for cell in target_cells]
    best = int(np.argmin(reach))
    if reach[best] == UNREACHABLE:  # boxed in by wrong objects (placement prevents it): take the plain path
        free = passable(scene.grid)
    target = targets[best]
    return walk_towards(scene.grid, pose, ents.x[target], ents.y[target], distance_field(free, [target_cells[best]]))

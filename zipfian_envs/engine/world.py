"""Plain state of a first-person world: the cell grid, the agent's pose and the entities.

Units: one grid cell is one metre (DeepMind Lab's text levels use 100 game units per cell, so
1 m = 100 units); walls are 1 m tall and the eye is 0.5 m above the floor. ``x`` grows with the
column, ``y`` with the row (row 0 is the top of the top-down map), and ``yaw`` is measured from
+x towards +y, so a positive turn is a turn to the right. Time: one agent step is 1/15 s of
level time (DeepMind Lab's 60 frames/s with IMPALA's action repeat of 4).

Everything here is a plain dataclass of numpy arrays and floats: it pickles, copies cheaply and
is what the pure functions of :mod:`~zipfian_envs.engine.physics` and
:mod:`~zipfian_envs.engine.raycast` read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

STEPS_PER_SECOND = 15
# DeepMind Lab runs at 320 units/s (3.2 m/s); one agent step is 1/15 s.
MOVE_STEP_M = 3.2 / STEPS_PER_SECOND
# IMPALA's look action is 20 px/frame, about 2.1 degrees/frame, so 8.4 degrees per agent step.
TURN_STEP_RAD = math.radians(8.4)
PITCH_STEP_RAD = math.radians(8.4)
MAX_PITCH_RAD = math.radians(50.0)
AGENT_RADIUS_M = 0.16
EYE_HEIGHT_M = 0.5
# A floor higher than this above the agent's floor is a cliff: it blocks like a wall (DMLab's 18-unit step).
STEP_HEIGHT_M = 0.18
VOID_HEIGHT = -1000.0

EMPTY = 0


def seconds_to_steps(seconds: float) -> int:
    """Agent steps in ``seconds`` of level time (15 per second)."""
    return round(seconds * STEPS_PER_SECOND)


@dataclass
class Pose:
    """The agent's continuous pose: position in metres, yaw and pitch in radians, floor height ``z``."""

    x: float
    y: float
    yaw: float = 0.0
    pitch: float = 0.0
    z: float = 0.0

    @property
    def cell(self) -> tuple[int, int]:
        """The (row, col) cell under the agent."""
        return math.floor(self.y), math.floor(self.x)

    def forward(self) -> tuple[float, float]:
        """Unit vector the agent faces."""
        return math.cos(self.yaw), math.sin(self.yaw)


@dataclass
class Grid:
    """The map: wall materials per cell (0 = open), floor colours and optional floor heights.

    ``walls[r, c]`` indexes ``textures`` (material 0 is unused); ``floor`` is an (H, W, 3) colour
    per cell; ``heights`` is the floor height per cell in metres (``VOID_HEIGHT`` for a bottomless
    void that the agent can neither enter nor see a floor in).
    """

    walls: np.ndarray
    floor: np.ndarray
    textures: np.ndarray
    heights: np.ndarray | None = None
    ceiling: tuple[int, int, int] = (40, 40, 48)
    sky: bool = False
    fog_m: float = 12.0
    light: float = 1.0
    floor_checker: float = 0.1
    cliff_material: int = 0

    def __post_init__(self) -> None:
        self.walls = np.asarray(self.walls, dtype=np.int16)
        if self.walls.ndim != 2:
            raise ValueError(f"walls must be a 2-D grid, got shape {self.walls.shape}")
        self.floor = np.asarray(self.floor, dtype=np.uint8)
        if self.floor.shape != (*self.walls.shape, 3):
            raise ValueError(f"floor must have shape {(*self.walls.shape, 3)}, got {self.floor.shape}")
        if self.heights is not None:
            self.heights = np.asarray(self.heights, dtype=np.float32)
            if self.heights.shape != self.walls.shape:
                raise ValueError(f"heights must have shape {self.walls.shape}, got {self.heights.shape}")
        if int(self.walls.max(initial=0)) >= len(self.textures):
            raise ValueError(f"wall material {int(self.walls.max())} has no texture (have {len(self.textures)})")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.walls.shape

    def copy(self) -> Grid:
        """A copy whose walls (doors) and floors can change without touching this one."""
        heights = None if self.heights is None else self.heights.copy()
        return replace(self, walls=self.walls.copy(), floor=self.floor.copy(), heights=heights)

    def centre(self, row: int, col: int) -> tuple[float, float]:
        """The (x, y) centre of a cell."""
        return col + 0.5, row + 0.5


@dataclass
class Entities:
    """Things in the world, as arrays: position, size, look and what they mean to the level.

    ``kind`` is the level's own code (pickup type, key, goal, bot...); ``shape`` indexes the sprite
    atlas and ``colour`` tints it; ``value`` is the level's reward (or other number) for the thing;
    ``active`` things are drawn and can be touched; ``solid`` ones also block nothing but are
    touched only when ``touchable``.
    """

    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    z: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    size: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    shape: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    colour: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    touchable: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def add(
        self,
        x: float,
        y: float,
        shape: int,
        colour: tuple[int, int, int] | np.ndarray,
        *,
        kind: int = 0,
        value: float = 0.0,
        size: float = 0.45,
        z: float = 0.0,
        touchable: bool = True,
        active: bool = True,
    ) -> int:
        """Append one entity; return its index."""
        self.x = np.append(self.x, float(x))
        self.y = np.append(self.y, float(y))
        self.z = np.append(self.z, float(z))
        self.size = np.append(self.size, float(size))
        self.shape = np.append(self.shape, np.int32(shape)).astype(np.int32)
        self.colour = np.vstack([self.colour, np.asarray(colour, np.uint8).reshape(1, 3)]).astype(np.uint8)
        self.kind = np.append(self.kind, np.int32(kind)).astype(np.int32)
        self.value = np.append(self.value, float(value))
        self.active = np.append(self.active, bool(active))
        self.touchable = np.append(self.touchable, bool(touchable))
        return len(self) - 1

    def copy(self) -> Entities:
        """A deep copy."""
        return Entities(**{name: getattr(self, name).copy() for name in self.__dataclass_fields__})

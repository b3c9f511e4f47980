"""Movement, collision and touch: pure functions of the grid, the pose and the entities.

The agent is a square of half-side ``AGENT_RADIUS_M``. A move is split into sub-steps shorter than
that half-side and each sub-step tries x and y separately, so the agent slides along walls and can
never pass through one, at any speed. A cell blocks when it holds a wall, is void, or its floor is
more than ``STEP_HEIGHT_M`` above the agent's floor (a cliff that cannot be climbed); stepping onto
a lower floor drops the agent onto it.

With the compiled backend (:mod:`.backend`, numba installed) the sub-steps on grids without floor
heights run in :func:`.kernels.slide` and :func:`touched` first asks :func:`.kernels.may_touch`
whether anything is within reach; both give exactly the results of the Python code here, which
stays the reference (``tests/test_engine_physics_compiled.py``).
"""

from __future__ import annotations

import math

import numpy as np

from zipfian_envs.engine import backend
from zipfian_envs.engine.world import (
    AGENT_RADIUS_M,
    MAX_PITCH_RAD,
    MOVE_STEP_M,
    PITCH_STEP_RAD,
    STEP_HEIGHT_M,
    TURN_STEP_RAD,
    VOID_HEIGHT,
    Entities,
    Grid,
    Pose,
)

_SUBSTEP_M = 0.5 * AGENT_RADIUS_M


def cell_blocks(grid: Grid, row: int, col: int, z: float) -> bool:
    """Whether cell (row, col) stops an agent standing on a floor at height ``z``."""
    rows, cols = grid.walls.shape
    if not (0 <= row < rows and 0 <= col < cols):
        return True
    if grid.walls[row, col] != 0:
        return True
    if grid.heights is not None:
        height = grid.heights[row, col]
        return bool(height <= VOID_HEIGHT or height > z + STEP_HEIGHT_M)
    return False


def is_free(grid: Grid, x: float, y: float, z: float, radius: float = AGENT_RADIUS_M) -> bool:
    """Whether a square of half-side ``radius`` centred on (x, y) overlaps no blocking cell."""
    # cell_blocks for each overlapped cell, inlined: this runs several times per agent step.
    eps = 1e-9
    r0, r1 = math.floor(y - radius), math.floor(y + radius - eps)
    c0, c1 = math.floor(x - radius), math.floor(x + radius - eps)
    walls, heights = grid.walls, grid.heights
    if r0 < 0 or c0 < 0 or r1 >= walls.shape[0] or c1 >= walls.shape[1]:
        return False
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            if walls[r, c] != 0:
                return False
            if heights is not None:
                height = heights[r, c]
                if height <= VOID_HEIGHT or height > z + STEP_HEIGHT_M:
                    return False
    return True


def floor_height(grid: Grid, x: float, y: float) -> float:
    """Floor height of the cell at (x, y) (0 without a height map)."""
    if grid.heights is None:
        return 0.0
    return float(grid.heights[math.floor(y), math.floor(x)])


def footprint_height(grid: Grid, x: float, y: float, radius: float = AGENT_RADIUS_M) -> float:
    """The highest floor under a square of half-side ``radius`` centred on (x, y)."""
    if grid.heights is None:
        return 0.0
    eps = 1e-9
    r0, r1 = math.floor(y - radius), math.floor(y + radius - eps) + 1
    c0, c1 = math.floor(x - radius), math.floor(x + radius - eps) + 1
    return float(grid.heights[max(r0, 0) : r1, max(c0, 0) : c1].max())


# Coordinate types whose sums are plain float64 sums (a numpy float32 would sum in float32).
_FLOAT64_TYPES = (float, np.float64)


def translate(grid: Grid, pose: Pose, dx: float, dy: float, radius: float = AGENT_RADIUS_M) -> Pose:
    """Move by (dx, dy) metres with sliding collision; never tunnels, whatever the distance."""
    return _translate(grid, pose.x, pose.y, pose.z, pose.yaw, pose.pitch, dx, dy, radius)


def _translate(grid: Grid, x: float, y: float, z: float, yaw: float, pitch: float, dx: float, dy: float,
               radius: float) -> Pose:  # fmt: skip
    """:func:`translate` of the pose (x, y, yaw, pitch, z) (``move_agent`` calls it without an interim pose)."""
    distance = math.hypot(dx, dy)
    substeps = max(1, math.ceil(distance / _SUBSTEP_M))
    sx, sy = dx / substeps, dy / substeps
    fast = backend.compiled()
    if (
        fast is not None
        and grid.heights is None
        and type(x) in _FLOAT64_TYPES
        and type(y) in _FLOAT64_TYPES
        and type(sx) in _FLOAT64_TYPES
        and type(sy) in _FLOAT64_TYPES
    ):
        # The loop below in a compiled kernel (the same float64 sums and cell tests): the agent's
        # move is a good part of a step's Python. Each coordinate keeps the type the loop's
        # `x += sx` would give it (a numpy float64 if either is one), so callers see the same pose.
        new_x, new_y, moved_x, moved_y = fast.kernels.slide(grid.walls, x, y, sx, sy, substeps, float(radius))
        if moved_x:
            x = np.float64(new_x) if type(x) is np.float64 or type(sx) is np.float64 else new_x
        if moved_y:
            y = np.float64(new_y) if type(y) is np.float64 or type(sy) is np.float64 else new_y
        return Pose(x=x, y=y, yaw=yaw, pitch=pitch, z=z)
    for _ in range(substeps):
        if sx and is_free(grid, x + sx, y, z, radius):
            x += sx
        if sy and is_free(grid, x, y + sy, z, radius):
            y += sy
        if grid.heights is not None:
            # The agent stands on the highest floor under its footprint, so it drops only once clear of a ledge.
            z = footprint_height(grid, x, y, radius)
    return Pose(x=x, y=y, yaw=yaw, pitch=pitch, z=z)


def move_agent(
    grid: Grid,
    pose: Pose,
    forward: float = 0.0,
    strafe: float = 0.0,
    turn: float = 0.0,
    look_up: float = 0.0,
    speed: float = MOVE_STEP_M,
) -> Pose:
    """One agent step: turn by ``turn`` look steps, then move ``forward``/``strafe`` step lengths.

    ``forward`` and ``strafe`` are in [-1, 1] (positive: forward, right); ``turn`` > 0 turns right
    by ``turn`` * 8.4 degrees; ``look_up`` > 0 raises the view, clamped to +-50 degrees.
    """
    yaw = (pose.yaw + turn * TURN_STEP_RAD) % (2 * math.pi)
    pitch = min(max(pose.pitch + look_up * PITCH_STEP_RAD, -MAX_PITCH_RAD), MAX_PITCH_RAD)
    if not forward and not strafe:
        return Pose(x=pose.x, y=pose.y, yaw=yaw, pitch=pitch, z=pose.z)
    fx, fy = math.cos(yaw), math.sin(yaw)
    # Right of the facing direction is +90 degrees in this y-down frame.
    rx, ry = -fy, fx
    dx = speed * (forward * fx + strafe * rx)
    dy = speed * (forward * fy + strafe * ry)
    return _translate(grid, pose.x, pose.y, pose.z, yaw, pitch, dx, dy, AGENT_RADIUS_M)


def touched(entities: Entities, x: float, y: float, reach: float = AGENT_RADIUS_M + 0.2) -> np.ndarray:
    """Indices of active, touchable entities within ``reach`` + half their size of (x, y), nearest first."""
    if entities.x.shape[0] == 0:  # len(entities), without the method call
        return np.zeros(0, np.int64)
    fast = backend.compiled()
    if fast is not None and not fast.kernels.may_touch(
        entities.x, entities.y, entities.size, entities.active, entities.touchable, float(x), float(y), float(reach)
    ):
        return np.zeros(0, np.int64)  # nothing within reach even along one axis: no distances needed
    distance = np.hypot(entities.x - x, entities.y - y)
    hit = entities.active & entities.touchable & (distance <= reach + 0.25 * entities.size)
    if not hit.any():  # most steps touch nothing: skip the sort (the same empty int64 result)
        return np.zeros(0, np.int64)
    index = np.flatnonzero(hit)
    return index[np.argsort(distance[index], kind="stable")]

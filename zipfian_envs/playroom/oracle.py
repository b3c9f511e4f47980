"""The Playroom's scripted oracle: privileged state in, one discrete action out.

Fetch: walk (grid path on the collision grid) to the target, or to a free cell beside the
furniture it rests on; turn and pitch until it is centred; grip when :func:`rules.gaze_object`
says the grip would take the target (sidestep when a distractor is in the way). Deliver (put
tasks): from a free cell beside the receptacle, turn to a heading whose :func:`rules.release_spot`
satisfies the task's relation, then release. The rules' own pure functions decide, so the oracle
never guesses where a grip or a release will land.
"""

from __future__ import annotations

import math

import numpy as np

from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, heading_error, next_cell
from zipfian_envs.engine.world import EYE_HEIGHT_M, Pose
from zipfian_envs.playroom import rules
from zipfian_envs.playroom.room import RoomState
from zipfian_envs.playroom.rules import (
    BACKWARD,
    FORWARD,
    GRIP,
    LOOK_DOWN,
    LOOK_UP,
    STRAFE_LEFT,
    TURN_LEFT,
    TURN_RIGHT,
)

FLOOR_APPROACH_M = 0.7
FURNITURE_APPROACH_M = 0.95
TOO_CLOSE_M = 0.35
_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def _free(state: RoomState) -> np.ndarray:
    return state.collision.walls == 0


def _beside(state: RoomState, cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Free cells 4-adjacent to any of ``cells``."""
    free = _free(state)
    out = []
    for r, c in cells:
        for dr, dc in _NEIGHBOURS:
            if free[r + dr, c + dc] and (r + dr, c + dc) not in out:
                out.append((r + dr, c + dc))
    return out


def _walk(state: RoomState, goals: list[tuple[int, int]], x: float, y: float) -> int:
    """One step along the grid path to the nearest goal cell, then straight at (x, y)."""
    pose = state.pose
    distance = distance_field(_free(state), goals)
    cell = pose.cell
    if cell in goals or distance[cell] == UNREACHABLE:
        return _steer(pose, x, y)
    step = next_cell(distance, cell)
    if step is None:
        return _steer(pose, x, y)
    return _steer(pose, step[1] + 0.5, step[0] + 0.5)


def _steer(pose: Pose, x: float, y: float) -> int:
    error = heading_error(pose, x, y)
    if abs(error) > math.radians(14):
        return TURN_RIGHT if error > 0 else TURN_LEFT
    return FORWARD


def _fetch(state: RoomState) -> int:
    target = state.target
    if rules.gaze_object(state) == target:
        return GRIP
    pose = state.pose
    entity = state.first_object + target
    x, y = float(state.entities.x[entity]), float(state.entities.y[entity])
    z = float(state.entities.z[entity]) + 0.5 * float(state.entities.size[entity])
    horizontal = math.hypot(x - pose.x, y - pose.y)
    support = int(state.object_support[target])
    if support < 0:
        if horizontal > FLOOR_APPROACH_M:
            return _walk(state, [(math.floor(y), math.floor(x))], x, y)
    elif horizontal > FURNITURE_APPROACH_M:
        cells = [(int(r), int(c)) for r, c in np.argwhere(state.furniture_cells == support)]
        home = (math.floor(y), math.floor(x))
        goals = _beside(state, [home]) or _beside(state, cells)
        if pose.cell in goals:
            return _steer(pose, x, y)
        return _walk(state, goals, x, y)
    yaw_error = heading_error(pose, x, y)
    if abs(yaw_error) > math.radians(6):
        return TURN_RIGHT if yaw_error > 0 else TURN_LEFT
    wanted_pitch = rules.clamp_pitch(math.atan2(z - EYE_HEIGHT_M - pose.z, horizontal))
    if abs(wanted_pitch - pose.pitch) > 0.5 * rules.LOOK_RAD:
        return LOOK_UP if wanted_pitch > pose.pitch else LOOK_DOWN
    if support < 0 and horizontal < TOO_CLOSE_M:
        return BACKWARD
    if rules.gaze_object(state) == -1:
        return FORWARD
    return STRAFE_LEFT  # a distractor is nearer on the line of sight


def _deliver(state: RoomState, mode: str) -> int:
    pose = state.pose
    if rules.put_done(state, mode, *_landing(state, pose)):
        return GRIP
    turns = []
    for k in range(1, 16):
        for sign in (1, -1):
            yaw = (pose.yaw + sign * k * rules.TURN_RAD) % (2 * math.pi)
            turned = Pose(x=pose.x, y=pose.y, yaw=yaw, pitch=pose.pitch, z=pose.z)
            if rules.put_done(state, mode, *_landing(state, turned)):
                turns.append((k, sign))
        if turns:
            return TURN_RIGHT if turns[0][1] > 0 else TURN_LEFT
    cells = [(int(r), int(c)) for r, c in np.argwhere(state.furniture_cells == state.receptacle)]
    goals = _beside(state, cells)
    if pose.cell in goals:
        r, c = pose.cell
        if math.hypot(c + 0.5 - pose.x, r + 0.5 - pose.y) > 0.15:
            return _steer(pose, c + 0.5, r + 0.5)
        x0, y0, x1, y1 = state.furniture_box[state.receptacle]
        return _steer(pose, 0.5 * (x0 + x1), 0.5 * (y0 + y1))
    r, c = goals[0]
    return _walk(state, goals, c + 0.5, r + 0.5)


def _landing(state: RoomState, pose: Pose) -> tuple[float, float, int]:
    x, y, _, support = rules.release_spot(state, pose)
    return x, y, support


def oracle_action(state: RoomState, mode: str) -> int:
    """The scripted action for the task ``mode`` (lift, find, put_on, put_near)."""
    if mode in ("put_on", "put_near") and state.held == state.target:
        return _deliver(state, mode)
    return _fetch(state)

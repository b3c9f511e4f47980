"""The Playroom's rules as pure functions of the room state: moving, gripping, releasing, success.

Each rule takes a :class:`RoomState` and returns a new one (the old state is never changed), and
:func:`transition` is one whole step: move, then grip or release, then the task's reward rule
(:data:`REWARD_RULES`, one small function per task mode).

Geometry (ours; the reference does not publish its rules):

* Time: 7.5 agent steps per simulated second (the reference's 30 frames/s with the usual action
  repeat of 4), so a 120 s episode is 900 steps.
* One step moves 0.2 m (1.5 m/s), turns 12 degrees and looks up/down 8 degrees (pitch within
  +-48 degrees, shown on a 4 degree grid). The eye is 0.5 m above the floor.
* Grip takes the object *centred in view*: its 0.3 m sprite covers the image centre, give or take
  4% of the image width, with nothing but open floor between (walls block), within ``REACH_M``
  (1.2 m from the eye to the object's centre). Of several such objects, the nearest.
* Release puts the held object down in front: onto the furniture top the agent faces when that
  piece is within ``PLACE_REACH_M`` (0.9 m, along the facing direction), 0.3 m past its edge,
  kept 0.2 m inside the piece's cell; otherwise on the floor ``DROP_M`` (0.45 m) ahead, or just
  short of a nearer wall or furniture edge (0.15 m before it). Pitch does not matter for release.
* "Near" a receptacle: on the floor within ``NEAR_M`` (0.75 m) of its footprint.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from zipfian_envs.engine.physics import move_agent
from zipfian_envs.engine.raycast import cast_rays
from zipfian_envs.engine.world import EYE_HEIGHT_M, TURN_STEP_RAD, Pose
from zipfian_envs.playroom.room import RoomState

ROOM_STATE_FIELDS = frozenset(field.name for field in fields(RoomState))


def evolve(state: RoomState, **changes: Any) -> RoomState:
    """A new RoomState with ``changes``: ``dataclasses.replace`` without its per-field checks.

    Every step builds two of these, and ``replace`` (it re-runs ``__init__`` over all 16 fields) was
    a fifth of a Playroom vector step; the arrays are shared, as with ``replace``.
    """
    if not changes.keys() <= ROOM_STATE_FIELDS:
        raise TypeError(f"RoomState has no field(s) {sorted(changes.keys() - ROOM_STATE_FIELDS)}")
    fresh = object.__new__(RoomState)
    fresh.__dict__.update(state.__dict__)
    fresh.__dict__.update(changes)
    return fresh


STEPS_PER_SECOND = 7.5
MOVE_M = 0.2
TURN_RAD = math.radians(12.0)
LOOK_RAD = math.radians(8.0)
MAX_LOOK_RAD = math.radians(48.0)
PITCH_GRID_RAD = math.radians(4.0)
REACH_M = 1.2
GAZE_MARGIN = 0.08  # image-plane units (the image is 2 units wide at a 90 degree field of view): 4% of its width
PLACE_REACH_M = 0.9
PLACE_PAST_EDGE_M = 0.3
DROP_M = 0.45
DROP_CLEARANCE_M = 0.15
NEAR_M = 0.75

# Discrete actions: (forward, strafe, turn right, look up, grip).
ACTION_NAMES: tuple[str, ...] = (
    "noop", "forward", "backward", "strafe_left", "strafe_right", "turn_left", "turn_right", "look_up", "look_down",
    "grip",
)  # fmt: skip
NOOP, FORWARD, BACKWARD, STRAFE_LEFT, STRAFE_RIGHT, TURN_LEFT, TURN_RIGHT, LOOK_UP, LOOK_DOWN, GRIP = range(10)
ACTION_COMMANDS = np.array(
    [(0, 0, 0, 0, 0), (1, 0, 0, 0, 0), (-1, 0, 0, 0, 0), (0, -1, 0, 0, 0), (0, 1, 0, 0, 0), (0, 0, -1, 0, 0),
     (0, 0, 1, 0, 0), (0, 0, 0, 1, 0), (0, 0, 0, -1, 0), (0, 0, 0, 0, 1)],
    np.float64,
)  # fmt: skip
ACTION_COMMANDS.flags.writeable = False
# The same commands as tuples of Python floats: what a step reads (cheaper than converting a row per step).
ACTION_COMMAND_TUPLES: tuple[tuple[float, ...], ...] = tuple(tuple(float(v) for v in row) for row in ACTION_COMMANDS)
# Viewer keys (pygame names): the reference's W/S move, A/D strafe, arrows look, Space grip.
# R, P, H and Escape belong to the viewer.
KEY_MAP: dict[str, tuple[int, str]] = {
    "w": (FORWARD, "forward"), "s": (BACKWARD, "backward"), "a": (STRAFE_LEFT, "strafe left"),
    "d": (STRAFE_RIGHT, "strafe right"), "left": (TURN_LEFT, "look left"), "right": (TURN_RIGHT, "look right"),
    "up": (LOOK_UP, "look up"), "down": (LOOK_DOWN, "look down"), "space": (GRIP, "grip / release"),
}  # fmt: skip


def move(state: RoomState, forward: float, strafe: float, turn: float, look_up: float) -> RoomState:
    """The state after one step of the given commands (each in [-1, 1]), with sliding collision.

    Pitch accumulates in ``look_pitch`` (within +-48 degrees) and the view takes it rounded
    to ``PITCH_GRID_RAD`` (4 degrees): the renderer caches one wall table per horizon, so a few
    dozen horizons keep it fast in continuous mode too (discrete looks land on the grid exactly).
    """
    # min/max of floats is np.clip's value for finite numbers (actions are checked finite), without its call cost.
    look_pitch = float(min(max(state.look_pitch + look_up * LOOK_RAD, -MAX_LOOK_RAD), MAX_LOOK_RAD))
    pose = move_agent(
        state.collision, state.pose, forward=forward, strafe=strafe, turn=turn * TURN_RAD / TURN_STEP_RAD, speed=MOVE_M
    )
    pose.pitch = round(look_pitch / PITCH_GRID_RAD) * PITCH_GRID_RAD
    return evolve(state, pose=pose, look_pitch=look_pitch)


def object_view(state: RoomState, pose: Pose) -> dict[str, np.ndarray]:
    """Every object's camera-frame geometry: depth, image-plane offsets, reach distance, apparent half-size."""
    e, first = state.entities, state.first_object
    fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
    rel_x, rel_y = e.x[first:] - pose.x, e.y[first:] - pose.y
    depth = rel_x * fx + rel_y * fy
    lateral = rel_y * fx - rel_x * fy
    centre_z = e.z[first:] + 0.5 * e.size[first:]
    up = centre_z - (EYE_HEIGHT_M + pose.z)
    safe = np.maximum(depth, 1e-6)
    return {
        "depth": depth,
        "u": lateral / safe,
        # Offset of the object's centre from the image centre, upwards, in image-plane units.
        "v": up / safe - math.tan(pose.pitch),
        "half": 0.5 * e.size[first:] / safe,
        "distance": np.sqrt(rel_x**2 + rel_y**2 + up**2),
        "horizontal": np.hypot(rel_x, rel_y),
    }


def wall_clear(state: RoomState, pose: Pose, index: np.ndarray) -> np.ndarray:
    """Whether no wall stands between the agent and each object in ``index`` (horizontal line of sight)."""
    if index.size == 0:
        return np.zeros(0, bool)
    e, first = state.entities, state.first_object
    dx, dy = e.x[first + index] - pose.x, e.y[first + index] - pose.y
    length = np.maximum(np.hypot(dx, dy), 1e-9)
    hits = cast_rays(state.grid.walls, pose.x, pose.y, dx / length, dy / length)
    return hits.depth > length


def gaze_object(state: RoomState, pose: Pose | None = None) -> int:
    """The object a grip would take now (index into the objects), or -1."""
    pose = state.pose if pose is None else pose
    geometry = object_view(state, pose)
    active = state.entities.active[state.first_object :]
    reach = geometry["half"] + GAZE_MARGIN
    ok = (
        active
        & (geometry["depth"] > 0.1)
        & (geometry["distance"] <= REACH_M)
        & (np.abs(geometry["u"]) <= reach)
        & (np.abs(geometry["v"]) <= reach)
    )
    index = np.flatnonzero(ok)
    index = index[wall_clear(state, pose, index)]
    if index.size == 0:
        return -1
    return int(index[np.argmin(geometry["depth"][index])])


def release_spot(state: RoomState, pose: Pose | None = None) -> tuple[float, float, float, int]:
    """Where a released object lands: (x, y, z, furniture index or -1 for the floor)."""
    pose = state.pose if pose is None else pose
    fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
    hit = cast_rays(state.collision.walls, pose.x, pose.y, np.array([fx]), np.array([fy]))
    depth = float(hit.depth[0])
    row, col = int(hit.cell_row[0]), int(hit.cell_col[0])
    rows, cols = state.furniture_cells.shape
    piece = int(state.furniture_cells[row, col]) if 0 <= row < rows and 0 <= col < cols else -1
    if piece >= 0 and depth <= PLACE_REACH_M:
        x = min(max(pose.x + (depth + PLACE_PAST_EDGE_M) * fx, col + 0.2), col + 0.8)
        y = min(max(pose.y + (depth + PLACE_PAST_EDGE_M) * fy, row + 0.2), row + 0.8)
        return x, y, float(state.furniture_top[piece]), piece
    distance = max(0.0, min(DROP_M, depth - DROP_CLEARANCE_M))
    return pose.x + distance * fx, pose.y + distance * fy, 0.0, -1


def footprint_distance(state: RoomState, piece: int, x: float, y: float) -> float:
    """Distance in metres from (x, y) to a furniture piece's footprint (0 inside)."""
    x0, y0, x1, y1 = state.furniture_box[piece]
    return float(math.hypot(max(x0 - x, 0.0, x - x1), max(y0 - y, 0.0, y - y1)))


def put_done(state: RoomState, mode: str, x: float, y: float, support: int) -> bool:
    """Whether the target landing at (x, y) on ``support`` completes task ``mode`` (:data:`REWARD_RULES`)."""
    return REWARD_RULES[mode].placed(state, state.target, x, y, support)


def grip(state: RoomState) -> tuple[RoomState, int]:
    """Take the gazed-at object into the hand: the new state and the object's index (-1: nothing to take)."""
    index = gaze_object(state)
    if index < 0:
        return state, index
    active = state.entities.active.copy()
    active[state.first_object + index] = False
    return evolve(state, held=index, entities=replace(state.entities, active=active)), index


def release(state: RoomState) -> tuple[RoomState, float, float, int]:
    """Put the held object down where :func:`release_spot` says: the new state and (x, y, support)."""
    x, y, z, support = release_spot(state)
    entity = state.first_object + state.held
    e = state.entities
    xs, ys, zs, active = e.x.copy(), e.y.copy(), e.z.copy(), e.active.copy()
    xs[entity], ys[entity], zs[entity], active[entity] = x, y, z, True
    object_support = state.object_support.copy()
    object_support[state.held] = support
    entities = replace(e, x=xs, y=ys, z=zs, active=active)
    return evolve(state, entities=entities, object_support=object_support, held=-1), x, y, support


def lift_reward(state: RoomState, taken: int) -> tuple[float, bool]:
    """Lift (and find): gripping ends the episode, rewarded 1 for the target."""
    return (1.0 if taken == state.target else 0.0), True


def put_reward(state: RoomState, taken: int) -> tuple[float, bool]:
    """Put tasks: gripping the target goes on (the put is what counts); gripping another object ends it, unrewarded."""
    return 0.0, taken != state.target


def put_on_placed(state: RoomState, released: int, x: float, y: float, support: int) -> bool:
    """``put X on Y``: the target released onto the receptacle's top."""
    return released == state.target and support == state.receptacle


def put_near_placed(state: RoomState, released: int, x: float, y: float, support: int) -> bool:
    """``put X near Y``: the target released on the floor within ``NEAR_M`` of the receptacle."""
    return released == state.target and support < 0 and footprint_distance(state, state.receptacle, x, y) <= NEAR_M


def never_placed(state: RoomState, released: int, x: float, y: float, support: int) -> bool:
    """Lift and find: a release never completes the task."""
    return False


@dataclass(frozen=True)
class RewardRule:
    """A task mode's reward: what a grip gives (reward, terminated), and whether a release completes it."""

    on_grip: Callable[[RoomState, int], tuple[float, bool]]
    placed: Callable[[RoomState, int, float, float, int], bool]


REWARD_RULES: dict[str, RewardRule] = {
    "lift": RewardRule(lift_reward, never_placed),
    "find": RewardRule(lift_reward, never_placed),
    "put_on": RewardRule(put_reward, put_on_placed),
    "put_near": RewardRule(put_reward, put_near_placed),
}


def transition(
    state: RoomState, command: tuple[float, ...], rule: RewardRule, grip_is_held: bool
) -> tuple[RoomState, float, bool]:
    """One step: move, then grip or release, then ``rule``; returns (new state, reward, terminated).

    ``command`` is (forward, strafe, turn, look up, grip). Discrete grip toggles (grip > 0 takes or
    puts down); with ``grip_is_held`` (continuous actions) the object stays in hand while grip > 0.
    """
    forward, strafe, turn, look, grip_command = command
    state = move(state, forward, strafe, turn, look)
    reward, terminated = 0.0, False
    holding = state.held >= 0
    wants_release = (grip_command <= 0) if grip_is_held else (grip_command > 0)
    if grip_command > 0 and not holding:
        state, taken = grip(state)
        if taken >= 0:
            reward, terminated = rule.on_grip(state, taken)
    elif holding and wants_release:
        released = state.held
        state, x, y, support = release(state)
        if rule.placed(state, released, x, y, support):
            reward, terminated = 1.0, True
    return evolve(state, steps=state.steps + 1), reward, terminated


def target_signal(state: RoomState, half_height: float = 0.75) -> tuple[bool, float, float]:
    """The supervised signal: target in view (in frame, no wall between), bearing and elevation from the gaze (radians).

    Bearing is positive to the right, elevation positive above the gaze; ``half_height`` is the
    image's half-height in image-plane units (0.75 at 96x72 with a 90 degree field of view).
    """
    if state.held == state.target:
        return True, 0.0, 0.0
    pose = state.pose
    geometry = object_view(state, pose)
    t = state.target
    entity = state.first_object + t
    dx, dy = state.entities.x[entity] - pose.x, state.entities.y[entity] - pose.y
    bearing = (math.atan2(dy, dx) - pose.yaw + math.pi) % (2 * math.pi) - math.pi
    up = state.entities.z[entity] + 0.5 * state.entities.size[entity] - (EYE_HEIGHT_M + pose.z)
    elevation = math.atan2(up, float(geometry["horizontal"][t])) - pose.pitch
    half = float(geometry["half"][t])
    in_frame = (
        float(geometry["depth"][t]) > 0.05
        and abs(float(geometry["u"][t])) <= 1.0 + half
        and abs(float(geometry["v"][t])) <= half_height + half
    )
    visible = bool(in_frame and wall_clear(state, pose, np.array([t]))[0])
    return visible, float(bearing), float(elevation)


def clamp_pitch(pitch: float) -> float:
    """Pitch limited to the Playroom's +-48 degrees."""
    return float(np.clip(pitch, -MAX_LOOK_RAD, MAX_LOOK_RAD))

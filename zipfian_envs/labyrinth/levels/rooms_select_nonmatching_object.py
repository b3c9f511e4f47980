"""rooms_select_nonmatching_object: remember an example object, teleport, pick the one that differs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.navigation import steer
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.common import grid_from_text
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene, collect_touched

EXAMPLE, MATCH, NONMATCH = 1, 2, 3
TELEPORT_REWARD, NONMATCH_REWARD, MATCH_REWARD = 1.0, 10.0, -10.0
TELEPORT_REACH_M = 0.45
# 36 objects: 12 geometric shapes x 3 colour variants (DMLab: 12 shapes x 3 model variants).
OBJECT_SHAPES = ("cube", "pyramid", "star", "ring", "cross", "diamond", "heart", "moon", "ball", "egg", "cup", "bell")
OBJECT_COLOURS = ((220, 60, 60), (60, 120, 230), (230, 200, 50))
NUM_OBJECTS = len(OBJECT_SHAPES) * len(OBJECT_COLOURS)
# Room 1 (left): example 'E' on a pad, teleport 'T', spawn 'S'. Room 2 (right): object pads 'L', 'R', arrival 'A'.
MAP = (
    "###########",
    "#E.T###L.R#",
    "#...###...#",
    "#.S.###.A.#",
    "###########",
)
ROOM1_FLOOR, ROOM2_FLOOR = (95, 85, 75), (75, 90, 100)
PAD_FLOOR, TELEPORT_FLOOR = (150, 150, 165), (90, 220, 230)
NORTH = -math.pi / 2  # y grows downwards, so facing the top of the map is yaw -90 degrees
SPAWN_JITTER_DEG = 10.0


@dataclass(slots=True, kw_only=True)
class NonmatchingState(LevelState):
    """The example and other objects (0..35), the match's side, the room, the score of trials and the map's cells."""

    example: int
    other: int = -1
    match_side: int = 0
    in_room2: bool = False
    trials: int = 0
    correct: int = 0
    spawn: tuple[int, int]
    arrival: tuple[int, int]
    teleport: tuple[int, int]


def object_look(index: int) -> tuple[int, tuple[int, int, int]]:
    """The (atlas shape, colour) of object ``index`` in 0..35."""
    shape, colour = divmod(index, len(OBJECT_COLOURS))
    return shape_index(OBJECT_SHAPES[shape]), OBJECT_COLOURS[colour]


class SelectNonmatchingObject(Level):
    """See an example object, step on a teleport (+1), then pick the object that does not match it (+10).

    Rules: room 1 shows an example object on a pad (it cannot be picked up) and a teleport pad.
    Touching the teleport gives +1 and moves the agent to room 2, which holds two objects on
    pads: the example's twin and another object. Picking up the non-matching one gives +10, the
    matching one -10; either restarts the trial in room 1. The example is drawn once per episode
    from 36 objects (12 shapes x 3 colours); the other object and which side (left/right) holds
    which are re-drawn every trial. The episode lasts 12 s (180 steps).
    Spawn: room 1, facing the example and the teleport (+-10 degrees, ours); the agent arrives in
    room 2 facing the two objects. Success (ours): the default, a normalized score >= 0.5.
    DMLab has no held-out variant of this level, so ``holdout`` changes nothing.
    Tests: short-term memory of an object across a teleport, and the non-matching-to-sample rule.
    """

    name = "rooms_select_nonmatching_object"
    family = "rooms"
    time_limit_s = 12.0
    summary = "remember the example, teleport (+1), pick the non-matching object (+10, matching -10)"
    dmlab_human = 65.9
    dmlab_random = 0.312

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[NonmatchingState]:
        """The two rooms, the episode's example object and the first trial."""
        grid, marks = grid_from_text(MAP, floor_colour=ROOM1_FLOOR)
        grid.floor[:, 6:] = ROOM2_FLOOR
        for mark in ("E", "L", "R"):
            grid.floor[marks[mark][0]] = PAD_FLOOR
        grid.floor[marks["T"][0]] = TELEPORT_FLOOR
        example = int(rng.integers(NUM_OBJECTS))
        state = NonmatchingState(
            example=example,
            other=-1,
            match_side=0,
            in_room2=False,
            trials=0,
            correct=0,
            spawn=marks["S"][0],
            arrival=marks["A"][0],
            teleport=marks["T"][0],
        )
        scene = Scene(grid=grid, pose=Pose(0.0, 0.0), state=state)
        shape, colour = object_look(example)
        row, col = marks["E"][0]
        scene.entities.add(col + 0.5, row + 0.5, shape, colour, kind=EXAMPLE, touchable=False)
        for mark in ("L", "R"):
            row, col = marks[mark][0]
            scene.entities.add(col + 0.5, row + 0.5, shape, colour, kind=MATCH)
        self._new_trial(scene, rng)
        return scene

    def _new_trial(self, scene: Scene[NonmatchingState], rng: np.random.Generator) -> None:
        """Draw the other object and the sides, and put the agent back in room 1."""
        state = scene.state
        other = int(rng.integers(NUM_OBJECTS - 1))
        other += other >= state.example
        match_side = int(rng.integers(2))
        ents = scene.entities
        for slot, index in ((1 + match_side, state.example), (2 - match_side, other)):
            ents.shape[slot], ents.colour[slot] = object_look(index)
            ents.kind[slot] = MATCH if index == state.example else NONMATCH
            ents.value[slot] = MATCH_REWARD if index == state.example else NONMATCH_REWARD
            ents.active[slot] = True
        state.other, state.match_side, state.in_room2 = other, match_side, False
        row, col = state.spawn
        yaw = NORTH + math.radians(rng.uniform(-SPAWN_JITTER_DEG, SPAWN_JITTER_DEG))
        scene.pose = Pose(x=col + 0.5, y=row + 0.5, yaw=yaw % (2 * math.pi))

    def rules(self, scene: Scene[NonmatchingState], action: int, rng: np.random.Generator) -> float:
        """Teleport from room 1; in room 2 reward the choice and restart the trial."""
        state, pose = scene.state, scene.pose
        if not state.in_room2:
            row, col = state.teleport
            if math.hypot(pose.x - (col + 0.5), pose.y - (row + 0.5)) > TELEPORT_REACH_M:
                return 0.0
            row, col = state.arrival
            scene.pose = Pose(x=col + 0.5, y=row + 0.5, yaw=NORTH)
            state.in_room2 = True
            return TELEPORT_REWARD
        reward, taken = collect_touched(scene, kinds=(MATCH, NONMATCH))
        if taken.size == 0:
            return 0.0
        taken = taken[:1]  # the nearest object decides the trial
        reward = float(scene.entities.value[taken[0]])
        state.trials += 1
        state.correct += int(reward > 0)
        self._new_trial(scene, rng)
        return reward

    def oracle(self, scene: Scene[NonmatchingState]) -> int:
        """Walk straight onto the teleport, then straight to the non-matching object (the rooms are open)."""
        state, ents = scene.state, scene.entities
        if not state.in_room2:
            row, col = state.teleport
            return steer(scene.pose, col + 0.5, row + 0.5)
        target = int(np.flatnonzero(ents.kind == NONMATCH)[0])
        return steer(scene.pose, float(ents.x[target]), float(ents.y[target]))


LEVEL = SelectNonmatchingObject()

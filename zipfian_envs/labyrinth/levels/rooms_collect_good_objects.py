"""rooms_collect_good_objects: collect the good objects, avoid the bad ones, in one open room."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.navigation import distance_field, passable, walk_towards
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.labyrinth.common import box_room, spawn_pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene, collect_touched

GOOD, BAD = 1, 2
SLOT_COLS, SLOT_ROWS, SLOT_SPACING_M = 10, 9, 1.5
ROOM_COLS, ROOM_ROWS = 15, 14
# (bad shape, good shape) pairs; each shape has one flat colour.
PAIRS = {"hat/can": ("hat", "can"), "cake/balloon": ("cake", "balloon")}
SHAPE_COLOURS = {"hat": (150, 90, 50), "can": (200, 200, 215), "cake": (240, 150, 190), "balloon": (220, 40, 40)}
# Environments: (wall material, floor colour); "swapped" is DMLab's blue floor and red walls.
ENVIRONMENTS = {"original": (1, (95, 85, 75)), "swapped": (3, (60, 80, 170))}
TRAIN_CONFIGS = (("hat/can", "original"), ("cake/balloon", "original"), ("cake/balloon", "swapped"))
TEST_CONFIG = ("hat/can", "swapped")


@dataclass(slots=True, kw_only=True)
class CollectGoodObjectsState(LevelState):
    """The episode's object pair and environment (names in ``PAIRS`` and ``ENVIRONMENTS``) and the pickups so far."""

    pair: str
    environment: str
    pickups: int = 0


class CollectGoodObjects(Level):
    """Ten good objects (+1) and ten bad ones (-1) on a 10x9 grid of slots 1.5 m apart in one room.

    Rules: touching an object picks it up for its value; objects do not come back. The episode
    ends 0.2 s after the tenth pickup of any kind, or at 60 s (900 steps). The objects are a
    (bad, good) pair of shapes, hat/can or cake/balloon, each in one flat colour; the room has the
    original textures or swapped ones (blue floor, red walls). Training episodes pick one of
    (hat/can, original), (cake/balloon, original), (cake/balloon, swapped); ``holdout=True`` plays
    the held-out combination (hat/can, swapped), as DMLab's test variant does.
    Spawn: a random free slot, random heading. Success: all ten good objects (score 10).
    Tests: learning which objects are good from reward alone, and transfer to a held-out
    combination of objects and textures.
    """

    name = "rooms_collect_good_objects"
    family = "rooms"
    time_limit_s = 60.0
    summary = "collect +1 objects, avoid -1 objects; held-out texture/object combination"
    dmlab_human = 10.0
    dmlab_random = 0.073

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[CollectGoodObjectsState]:
        """A room with 20 objects on random slots and the agent on another slot."""
        pair, environment = TEST_CONFIG if options.holdout else TRAIN_CONFIGS[rng.integers(len(TRAIN_CONFIGS))]
        material, floor_colour = ENVIRONMENTS[environment]
        grid = box_room(ROOM_ROWS, ROOM_COLS, material=material, floor_colour=floor_colour)
        slots = rng.choice(SLOT_COLS * SLOT_ROWS, size=21, replace=False)
        xs = 1.0 + 0.75 + SLOT_SPACING_M * (slots % SLOT_COLS)
        ys = 1.0 + 0.75 + SLOT_SPACING_M * (slots // SLOT_COLS)
        state = CollectGoodObjectsState(pair=pair, environment=environment, pickups=0)
        scene = Scene(grid=grid, pose=spawn_pose(rng, (int(ys[0]), int(xs[0]))), state=state)
        scene.pose.x, scene.pose.y = float(xs[0]), float(ys[0])
        bad_shape, good_shape = PAIRS[pair]
        for i in range(1, 21):
            shape, kind, value = (good_shape, GOOD, 1.0) if i <= 10 else (bad_shape, BAD, -1.0)
            scene.entities.add(xs[i], ys[i], shape_index(shape), SHAPE_COLOURS[shape], kind=kind, value=value)
        return scene

    def rules(self, scene: Scene[CollectGoodObjectsState], action: int, rng: np.random.Generator) -> float:
        """Pick up touched objects; end 0.2 s after the tenth pickup."""
        reward, taken = collect_touched(scene)
        if taken.size:
            scene.state.pickups += int(taken.size)
            if scene.state.pickups >= 10:
                scene.end_after()
            good_left = np.any(scene.entities.active & (scene.entities.kind == GOOD))
            scene.success = not good_left
        return reward

    def oracle(self, scene: Scene[CollectGoodObjectsState]) -> int:
        """Walk to the nearest good object along a path that keeps off the bad objects' cells."""
        ents = scene.entities
        free = passable(scene.grid)
        bad = np.flatnonzero(ents.active & (ents.kind == BAD))
        free[ents.y[bad].astype(int), ents.x[bad].astype(int)] = False
        free[scene.pose.cell] = True
        good = np.flatnonzero(ents.active & (ents.kind == GOOD))
        if good.size == 0:
            return 4  # nothing left worth taking: look around until the episode ends
        cells = [(int(ents.y[i]), int(ents.x[i])) for i in good]
        distance = distance_field(free, [scene.pose.cell])
        nearest = good[int(np.argmin([distance[c] for c in cells]))]
        target = (int(ents.y[nearest]), int(ents.x[nearest]))
        return walk_towards(scene.grid, scene.pose, ents.x[nearest], ents.y[nearest], distance_field(free, [target]))


LEVEL = CollectGoodObjects()

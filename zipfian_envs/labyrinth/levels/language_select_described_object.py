"""language_select_described_object: pick the object whose shape the instruction names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.labyrinth.common import grid_from_text, spawn_pose
from zipfian_envs.labyrinth.language_tasks import (
    GOAL,
    WRONG,
    LanguageState,
    Thing,
    go_to_nearest,
    make_entities,
    pick_up,
    restart,
)
from zipfian_envs.labyrinth.level import Level, LevelOptions, Scene

# A 3x5 room; P is the spawn, O the four object slots.
ROOM_MAP = (
    "#######",
    "#..O.O#",
    "#P....#",
    "#..O.O#",
    "#######",
)
SHAPES = ("cake", "car", "cassette", "hat", "tv")
# Random object colours (ours: DMLab's colour names that stand out from the floor).
OBJECT_COLOURS = ("red", "green", "blue", "cyan", "magenta", "yellow", "white", "orange", "purple", "pink")
GOAL_REWARD, WRONG_REWARD = 10.0, -10.0
SPAWN_JITTER_DEG = 20.0


@dataclass(slots=True, kw_only=True)
class DescribedObjectState(LanguageState):
    """The tasks done and the current task's goal and other shape names."""

    goal_shape: str
    other_shape: str


class SelectDescribedObject(Level):
    """Two objects of different shapes in a small room; the instruction names the goal's shape.

    Rules: the map is a 3x5 room with four object slots; each task puts two objects of different
    shapes from {cake, car, cassette, hat, tv} into two random slots, each in a random colour
    (ours: solid colours instead of DMLab's colour-and-pattern skins). The instruction is the goal's
    shape name alone (e.g. "hat"). Picking up the goal gives +10, the other object -10; either
    pickup reloads the map with a new task and instruction. 60 s (900 steps).
    Spawn: the west end of the room, facing east +-20 degrees.
    Success: normalized score >= 0.5 (the default).
    Tests: grounding shape words in what is seen.
    """

    name = "language_select_described_object"
    family = "language"
    time_limit_s = 60.0
    summary = "pick the object whose shape the instruction names"
    dmlab_human = 389.5
    dmlab_random = -0.07
    uses_language = True

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[DescribedObjectState]:
        """The room with the first task."""
        return self.new_task(rng)

    def new_task(self, rng: np.random.Generator) -> Scene[DescribedObjectState]:
        """A fresh room: two objects of different shapes in random slots, the goal named by the instruction."""
        grid, marks = grid_from_text(ROOM_MAP)
        goal_shape, other_shape = (SHAPES[i] for i in rng.choice(len(SHAPES), size=2, replace=False))
        colours = [OBJECT_COLOURS[i] for i in rng.integers(len(OBJECT_COLOURS), size=2)]
        things = (
            Thing(goal_shape, colours[0], room=0, kind=GOAL, value=GOAL_REWARD),
            Thing(other_shape, colours[1], room=0, kind=WRONG, value=WRONG_REWARD),
        )
        slots = np.array(marks["O"])
        cells = slots[rng.choice(len(slots), size=2, replace=False)]
        pose = spawn_pose(rng, marks["P"][0], yaw=0.0, jitter_deg=SPAWN_JITTER_DEG)
        scene = Scene(grid=grid, pose=pose, state=DescribedObjectState(goal_shape=goal_shape, other_shape=other_shape))
        scene.entities = make_entities(things, cells)
        scene.instruction = goal_shape
        return scene

    def rules(self, scene: Scene[DescribedObjectState], action: int, rng: np.random.Generator) -> float:
        """A pickup pays its value and reloads the map with a new task."""
        taken = pick_up(scene)
        if taken is None:
            return 0.0
        reward = float(scene.entities.value[taken])
        scene.state.tasks_done += 1
        restart(scene, self.new_task(rng))
        return reward

    def oracle(self, scene: Scene[DescribedObjectState]) -> int:
        """Walk to the goal object, keeping off the other object's cell."""
        return go_to_nearest(scene, np.flatnonzero(scene.entities.active & (scene.entities.kind == GOAL)))


LEVEL = SelectDescribedObject()

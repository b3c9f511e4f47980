"""language_select_located_object: pick the object of a colour in the room of a floor colour."""

from __future__ import annotations

import numpy as np

from zipfian_envs.labyrinth.language_tasks import (
    GOAL,
    LAYOUTS,
    OBJECT_SHAPES,
    TASK_COLOURS,
    WRONG,
    LayoutState,
    Thing,
    build_layout,
    go_to_nearest,
    make_entities,
    penalty,
    pick_up,
    place_things,
    redraw_until_placed,
    restart,
    spawn_in_rooms,
)
from zipfian_envs.labyrinth.level import Level, LevelOptions, Scene

GOAL_REWARD = 10.0
# Random distractors beyond the three fixed ones, per layout.
EXTRA_DISTRACTORS = {"two_areas": 0, "two_rooms": 0, "four_rooms": 4, "six_rooms": 8}


def located_things(
    rng: np.random.Generator, num_rooms: int, goal_room: int, goal_colour: str, extra: int
) -> list[Thing]:
    """The goal and its distractors: another colour in the goal room, the goal colour elsewhere, 1 + ``extra`` random.

    No distractor has the goal's colour in the goal's room, so the instruction names one object.
    """
    others = [c for c in TASK_COLOURS if c != goal_colour]
    other_rooms = [r for r in range(num_rooms) if r != goal_room]
    specs = [
        (goal_colour, goal_room),
        (others[rng.integers(len(others))], goal_room),
        (goal_colour, other_rooms[rng.integers(len(other_rooms))]),
    ]
    for _ in range(1 + extra):
        room = int(rng.integers(num_rooms))
        palette = others if room == goal_room else TASK_COLOURS
        specs.append((palette[rng.integers(len(palette))], room))
    wrong_value = penalty(GOAL_REWARD, len(specs) - 1)
    shapes = rng.choice(len(OBJECT_SHAPES), size=len(specs))
    return [
        Thing(
            OBJECT_SHAPES[shape], colour, int(room), GOAL if i == 0 else WRONG, GOAL_REWARD if i == 0 else wrong_value
        )
        for i, ((colour, room), shape) in enumerate(zip(specs, shapes))
    ]


class SelectLocatedObject(Level):
    """Rooms with coloured floors hold coloured objects: "pick the <colour> object in the <floor colour> room".

    Rules: each task draws a layout (two areas of one open room, two rooms, four rooms or six
    rooms, 1/4 each; rooms are 4x4 cells joined by random doorways) with a distinct floor colour
    per room, and objects of random shapes coloured from red, green, blue, cyan, magenta, yellow.
    Besides the goal there is one object of another colour in the goal room, one of the goal colour
    in another room, one more random one and 4 (four rooms) or 8 (six rooms) further random ones;
    none but the goal has the goal's colour in the goal's room. The goal gives +10, a distractor
    -round(10 / #distractors) (-3 with two rooms or areas, -1 with four or six). Any pickup
    reloads the map with a new layout, task and instruction. 120 s (1800 steps).
    Spawn: a random free room cell (ours), heading uniform over 360 degrees.
    Success: normalized score >= 0.5 (the default).
    Tests: grounding colour words in objects and in places, and composing the two.
    """

    name = "language_select_located_object"
    family = "language"
    time_limit_s = 120.0
    summary = "pick the object of the named colour in the room of the named floor colour"
    dmlab_human = 280.7
    dmlab_random = 1.929
    uses_language = True

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[LayoutState]:
        """The first task's map."""
        return self.new_task(rng)

    def new_task(self, rng: np.random.Generator) -> Scene[LayoutState]:
        """A fresh task (``try_task``), drawn again whenever its objects cannot be placed."""
        return redraw_until_placed(rng, self.try_task)

    def try_task(self, rng: np.random.Generator) -> Scene[LayoutState]:
        """A fresh layout with the goal, its distractors, the spawn and the instruction."""
        layout = build_layout(rng, LAYOUTS[rng.integers(len(LAYOUTS))])
        goal_room = int(rng.integers(layout.num_rooms))
        goal_colour = TASK_COLOURS[rng.integers(len(TASK_COLOURS))]
        things = located_things(rng, layout.num_rooms, goal_room, goal_colour, EXTRA_DISTRACTORS[layout.name])
        cells = place_things(rng, layout, things)
        state = LayoutState(
            layout=layout.name,
            rooms=layout.rooms,
            floor_names=layout.floor_names,
            object_colours=tuple(thing.colour for thing in things),
            object_shapes=tuple(thing.shape for thing in things),
        )
        scene = Scene(grid=layout.grid, pose=spawn_in_rooms(rng, layout, cells), state=state)
        scene.entities = make_entities(things, cells)
        scene.instruction = f"pick the {goal_colour} object in the {layout.floor_names[goal_room]} room"
        return scene

    def rules(self, scene: Scene[LayoutState], action: int, rng: np.random.Generator) -> float:
        """A pickup pays its value and reloads the map with a new task."""
        taken = pick_up(scene)
        if taken is None:
            return 0.0
        reward = float(scene.entities.value[taken])
        scene.state.tasks_done += 1
        restart(scene, self.new_task(rng))
        return reward

    def oracle(self, scene: Scene[LayoutState]) -> int:
        """Walk to the goal, keeping off every distractor's cell."""
        return go_to_nearest(scene, np.flatnonzero(scene.entities.active & (scene.entities.kind == GOAL)))


LEVEL = SelectLocatedObject()

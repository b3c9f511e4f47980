"""language_execute_random_task: carry out one of seven kinds of instruction about objects and rooms."""

from __future__ import annotations

from dataclasses import dataclass

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

TASK_TYPES: tuple[str, ...] = (
    "pick",  # "pick the red object" / "pick the hat" / "pick the red hat"
    "pick_confusable",  # "pick the red hat" among red non-hats and non-red hats
    "every_shape",  # "pick every hat"
    "every_colour",  # "pick every red object"
    "shape_near_shape",  # "pick the hat near the car"
    "shape_near_colour",  # "pick the hat near the blue object"
    "colour_near_colour",  # "pick the red object near the blue object"
)
# DMLab's map weights: 2 for each two-room variant, 1 for each larger one.
LAYOUT_WEIGHTS = np.array([2.0, 2.0, 1.0, 1.0]) / 6.0
DISTRACTORS = {"two_areas": 2, "two_rooms": 2, "four_rooms": 4, "six_rooms": 8}
# Goal objects of an "every" task (ours; 2 with two rooms gives DMLab's -6 for a wrong pickup).
EVERY_GOALS = {"two_areas": 2, "two_rooms": 2, "four_rooms": 3, "six_rooms": 4}
GOAL_REWARD, EVERY_REWARD, EVERY_BONUS = 10.0, 1.0, 10.0


def _pick(rng: np.random.Generator, options: tuple[str, ...], exclude: tuple[str, ...] = ()) -> str:
    """A uniform choice from ``options`` minus ``exclude``."""
    allowed = [option for option in options if option not in exclude]
    return allowed[int(rng.integers(len(allowed)))]


def draw_task(rng: np.random.Generator, task: str, num_rooms: int, wrong: int, every: int) -> tuple[str, list[tuple]]:
    """The instruction and the objects of one task: (shape, colour, room, is_goal) each, goals first.

    ``wrong`` non-goal objects are drawn so that exactly the goal objects fit the instruction.
    """
    shape = _pick(rng, OBJECT_SHAPES)
    colour = _pick(rng, TASK_COLOURS)
    rooms = [int(r) for r in rng.integers(num_rooms, size=max(wrong, every) + 1)]
    if task == "pick":
        mode = ("colour", "shape", "both")[int(rng.integers(3))]
        goal = (shape, colour, rooms[0], True)
        if mode == "colour":
            text = f"pick the {colour} object"
            others = [(_pick(rng, OBJECT_SHAPES), _pick(rng, TASK_COLOURS, (colour,))) for _ in range(wrong)]
        elif mode == "shape":
            text = f"pick the {shape}"
            others = [(_pick(rng, OBJECT_SHAPES, (shape,)), _pick(rng, TASK_COLOURS)) for _ in range(wrong)]
        else:
            text = f"pick the {colour} {shape}"
            others = []
            for _ in range(wrong):
                other_shape = _pick(rng, OBJECT_SHAPES)
                others.append((other_shape, _pick(rng, TASK_COLOURS, (colour,) if other_shape == shape else ())))
        return text, [goal] + [(s, c, room, False) for (s, c), room in zip(others, rooms[1:])]
    if task == "pick_confusable":
        others = []
        for _ in range(wrong):
            if rng.integers(2):
                others.append((shape, _pick(rng, TASK_COLOURS, (colour,))))
            else:
                others.append((_pick(rng, OBJECT_SHAPES, (shape,)), colour))
        goal = (shape, colour, rooms[0], True)
        return f"pick the {colour} {shape}", [goal] + [(s, c, room, False) for (s, c), room in zip(others, rooms[1:])]
    if task == "every_shape":
        goals = [(shape, _pick(rng, TASK_COLOURS), rooms[i], True) for i in range(every)]
        others = [(_pick(rng, OBJECT_SHAPES, (shape,)), _pick(rng, TASK_COLOURS)) for _ in range(wrong)]
        wrong_rooms = rng.integers(num_rooms, size=wrong)
        return f"pick every {shape}", goals + [(s, c, int(r), False) for (s, c), r in zip(others, wrong_rooms)]
    if task == "every_colour":
        goals = [(_pick(rng, OBJECT_SHAPES), colour, rooms[i], True) for i in range(every)]
        others = [(_pick(rng, OBJECT_SHAPES), _pick(rng, TASK_COLOURS, (colour,))) for _ in range(wrong)]
        wrong_rooms = rng.integers(num_rooms, size=wrong)
        return f"pick every {colour} object", goals + [(s, c, int(r), False) for (s, c), r in zip(others, wrong_rooms)]
    if task in ("shape_near_shape", "shape_near_colour", "colour_near_colour"):
        return _near_task(rng, task, shape, colour, num_rooms, wrong)
    raise ValueError(f"unknown task type {task!r}; valid: {', '.join(TASK_TYPES)}")


def _near_task(
    rng: np.random.Generator, task: str, shape: str, colour: str, num_rooms: int, wrong: int
) -> tuple[str, list[tuple]]:
    """ "<target> near <reference>": the goal and a reference share room A; a decoy target is in a room B without one.

    Further references (with four or more distractors) go to a room other than B; every other
    object matches neither description, so only the goal is a target near a reference.
    """
    goal_room = int(rng.integers(num_rooms))
    decoy_room = _pick_room(rng, num_rooms, exclude=goal_room)
    if task == "shape_near_shape":
        ref_shape = _pick(rng, OBJECT_SHAPES, (shape,))
        text = f"pick the {shape} near the {ref_shape}"

        def target() -> tuple[str, str]:
            return shape, _pick(rng, TASK_COLOURS)

        def reference() -> tuple[str, str]:
            return ref_shape, _pick(rng, TASK_COLOURS)

        def neither() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES, (shape, ref_shape)), _pick(rng, TASK_COLOURS)

    elif task == "shape_near_colour":
        ref_colour = _pick(rng, TASK_COLOURS)
        text = f"pick the {shape} near the {ref_colour} object"

        def target() -> tuple[str, str]:
            return shape, _pick(rng, TASK_COLOURS, (ref_colour,))

        def reference() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES, (shape,)), ref_colour

        def neither() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES, (shape,)), _pick(rng, TASK_COLOURS, (ref_colour,))

    else:
        ref_colour = _pick(rng, TASK_COLOURS, (colour,))
        text = f"pick the {colour} object near the {ref_colour} object"

        def target() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES), colour

        def reference() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES), ref_colour

        def neither() -> tuple[str, str]:
            return _pick(rng, OBJECT_SHAPES), _pick(rng, TASK_COLOURS, (colour, ref_colour))

    things = [(*target(), goal_room, True), (*reference(), goal_room, False), (*target(), decoy_room, False)]
    if wrong >= 4:
        things.append((*reference(), _pick_room(rng, num_rooms, exclude=decoy_room), False))
    while len(things) < wrong + 1:
        things.append((*neither(), int(rng.integers(num_rooms)), False))
    return text, things


def _pick_room(rng: np.random.Generator, num_rooms: int, exclude: int) -> int:
    """A uniform room other than ``exclude``."""
    room = int(rng.integers(num_rooms - 1))
    return room + 1 if room >= exclude else room


@dataclass(slots=True, kw_only=True)
class RandomTaskState(LayoutState):
    """A layout task's state plus the task type (one of ``TASK_TYPES``) and whether it asks for every goal."""

    task: str
    every: bool


class ExecuteRandomTask(Level):
    """A random instruction of one of seven kinds about coloured objects in rooms.

    Rules: each task draws a layout (two areas, two rooms, four rooms or six rooms with weights
    2:2:1:1, as in DMLab; rooms are 4x4 cells with coloured floors) and a task type, uniformly
    (ours), with 2, 4 or 8 wrong objects (two-room maps, four rooms, six rooms):
    (a) "pick the red object" / "pick the hat" / "pick the red hat"; (b) "pick the red hat" among
    objects sharing one attribute with it; (c) "pick every hat"; (d) "pick every red object";
    (e) "pick the hat near the car"; (f) "pick the hat near the blue object"; (g) "pick the red
    object near the blue object". Near means in the same room; the near tasks place a decoy
    target in a room without the reference. Objects are coloured red, green, blue, cyan, magenta
    or yellow. Rewards: the goal +10, a wrong object -round(10 / #wrong) (-5, -3, -1). "Every"
    tasks have 2, 3 or 4 goal objects (ours) worth +1 each and +10 more on the last one; a wrong
    object there gives -round((#goals + 10) / #wrong) (-6 with two rooms). A wrong pickup or the
    finished task reloads the map with a new task and instruction. 120 s (1800 steps).
    Spawn: a random free room cell, random heading (ours).
    Success: normalized score >= 0.5 (the default).
    Tests: following compositional instructions: attributes, quantifiers and spatial relations.
    """

    name = "language_execute_random_task"
    family = "language"
    time_limit_s = 120.0
    summary = "carry out a random instruction of seven kinds (attributes, every, near)"
    dmlab_human = 254.05
    dmlab_random = -5.913
    uses_language = True

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[RandomTaskState]:
        """The first task's map."""
        return self.new_task(rng)

    def new_task(self, rng: np.random.Generator) -> Scene[RandomTaskState]:
        """A fresh task (``try_task``), drawn again whenever its objects cannot be placed."""
        return redraw_until_placed(rng, self.try_task)

    def try_task(self, rng: np.random.Generator) -> Scene[RandomTaskState]:
        """A fresh layout, task type, objects, spawn and instruction."""
        layout = build_layout(rng, LAYOUTS[rng.choice(len(LAYOUTS), p=LAYOUT_WEIGHTS)])
        task = TASK_TYPES[int(rng.integers(len(TASK_TYPES)))]
        wrong, every = DISTRACTORS[layout.name], EVERY_GOALS[layout.name]
        text, drawn = draw_task(rng, task, layout.num_rooms, wrong, every)
        goals = sum(1 for *_, is_goal in drawn if is_goal)
        is_every = task.startswith("every")
        goal_value = EVERY_REWARD if is_every else GOAL_REWARD
        wrong_value = penalty(goals * EVERY_REWARD + EVERY_BONUS if is_every else GOAL_REWARD, len(drawn) - goals)
        things = [
            Thing(shape, colour, room, GOAL if is_goal else WRONG, goal_value if is_goal else wrong_value)
            for shape, colour, room, is_goal in drawn
        ]
        cells = place_things(rng, layout, things)
        state = RandomTaskState(
            task=task,
            every=is_every,
            layout=layout.name,
            rooms=layout.rooms,
            floor_names=layout.floor_names,
            object_colours=tuple(thing.colour for thing in things),
            object_shapes=tuple(thing.shape for thing in things),
        )
        scene = Scene(grid=layout.grid, pose=spawn_in_rooms(rng, layout, cells), state=state)
        scene.entities = make_entities(things, cells)
        scene.instruction = text
        return scene

    def rules(self, scene: Scene[RandomTaskState], action: int, rng: np.random.Generator) -> float:
        """A goal pays and, once no goal is left, ends the task; a wrong object pays its penalty and ends it."""
        taken = pick_up(scene)
        if taken is None:
            return 0.0
        ents = scene.entities
        reward = float(ents.value[taken])
        if ents.kind[taken] == GOAL:
            if np.any(ents.active & (ents.kind == GOAL)):
                return reward  # an "every" task goes on
            if scene.state.every:
                reward += EVERY_BONUS
        scene.state.tasks_done += 1
        restart(scene, self.new_task(rng))
        return reward

    def oracle(self, scene: Scene[RandomTaskState]) -> int:
        """Walk to the nearest remaining goal object, keeping off every wrong object's cell."""
        return go_to_nearest(scene, np.flatnonzero(scene.entities.active & (scene.entities.kind == GOAL)))


LEVEL = ExecuteRandomTask()

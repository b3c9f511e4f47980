"""The four Labyrinth language levels: instructions mean what the scene holds, rewards, restarts, limits, oracles."""

from __future__ import annotations

import math
import pickle
from collections import Counter

import numpy as np
import pytest

from zipfian_envs.core import language
from zipfian_envs.engine.actions import LOOK_LEFT
from zipfian_envs.engine.navigation import UNREACHABLE, distance_field
from zipfian_envs.engine.sprites import ATLAS
from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.common import COLOURS
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.language_tasks import (
    CUE,
    GOAL,
    LAYOUTS,
    WRONG,
    build_layout,
    floor_colour,
    penalty,
    restart,
)
from zipfian_envs.labyrinth.level import LevelOptions
from zipfian_envs.labyrinth.levels import load_level
from zipfian_envs.labyrinth.levels.language_answer_quantitative_question import (
    QUESTIONS,
    draw_question,
    question_text,
    true_answer,
)
from zipfian_envs.labyrinth.levels.language_execute_random_task import TASK_TYPES, draw_task

LANGUAGE = (
    "language_select_described_object",
    "language_select_located_object",
    "language_execute_random_task",
    "language_answer_quantitative_question",
)
COLOUR_OF_RGB = {rgb: name for name, rgb in COLOURS.items()}


def build(name: str, seed: int = 0):
    """A level and a fresh scene built from ``seed``, with the generator that built it."""
    level = load_level(name)
    rng = np.random.default_rng(seed)
    return level, level.reset(rng, LevelOptions()), rng


def take(level, scene, rng, index: int) -> float:
    """Teleport the agent onto entity ``index`` and take one step (a turn, so it stays put): the pickup's reward."""
    scene.pose = Pose(x=float(scene.entities.x[index]), y=float(scene.entities.y[index]), yaw=0.0)
    return level.step(scene, LOOK_LEFT, rng)


def objects(scene) -> list[tuple[str, str, int]]:
    """(shape name, colour name, room id) of every entity, read from what is drawn and where it stands."""
    ents, rooms = scene.entities, getattr(scene.state, "rooms", None)
    out = []
    for i in range(len(ents)):
        room = -1 if rooms is None else int(rooms[int(ents.y[i]), int(ents.x[i])])
        out.append((ATLAS.names[ents.shape[i]], COLOUR_OF_RGB[tuple(ents.colour[i].tolist())], room))
    return out


def play(name: str, seed: int, policy: str, max_steps: int) -> float:
    """Score of one capped episode stepped on the level directly, by the oracle or uniform random actions."""
    level, scene, rng = build(name, seed)
    actions = np.random.default_rng(1000 + seed)
    score = 0.0
    while not scene.terminated and scene.steps < max_steps:
        action = level.oracle(scene) if policy == "oracle" else int(actions.integers(9))
        score += level.step(scene, action, rng)
    return score


def state_of(scene) -> bytes:
    """Everything that defines a scene, as bytes (for bit-for-bit comparisons)."""
    return pickle.dumps(
        (scene.grid.walls, scene.grid.floor, scene.pose, scene.entities, scene.state, scene.instruction)
    )


# -- every language level ----------------------------------------------------------------------
@pytest.mark.parametrize("name", LANGUAGE)
def test_instruction_decodes_to_the_scene_instruction_across_restarts(name):
    env = LabyrinthEnv(task=name, width=16, height=12)
    obs, info = env.reset(seed=3)
    seen = set()
    for _ in range(400):
        assert language.decode(obs["instruction"]) == env.scene.instruction == info["instruction_text"]
        assert 0 < len(language.tokenize(env.scene.instruction)) <= language.MAX_TOKENS
        seen.add(env.scene.instruction)
        obs, _, terminated, truncated, info = env.step(env.oracle_action())
        assert not (terminated or truncated)
    assert len(seen) >= 3  # the oracle answered several tasks, each with a new instruction


@pytest.mark.parametrize("name", LANGUAGE)
def test_episode_ends_at_its_time_limit(name):
    env = LabyrinthEnv(task=name, width=16, height=12)
    env.reset(seed=1)
    level = env.current_level
    actions = np.random.default_rng(0)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated) and steps <= level.max_steps:
        _, _, terminated, truncated, info = env.step(int(actions.integers(9)))
        steps += 1
    assert steps == level.max_steps == round(level.time_limit_s * 15) and truncated and not terminated
    assert "normalized_score" in info


@pytest.mark.parametrize("name", LANGUAGE)
def test_same_seed_same_scene_and_steps(name):
    level, first, rng_a = build(name, seed=7)
    _, second, rng_b = build(name, seed=7)
    assert state_of(first) == state_of(second)
    actions = np.random.default_rng(0).integers(9, size=300)
    for action in actions:
        assert level.step(first, int(action), rng_a) == level.step(second, int(action), rng_b)
    # An answer mid-way restarts both the same way.
    goal = int(np.flatnonzero(first.entities.kind == GOAL)[0])
    assert take(level, first, rng_a, goal) == take(level, second, rng_b, goal)
    assert state_of(first) == state_of(second)
    assert state_of(first) != state_of(build(name, seed=8)[1])
    pickle.loads(pickle.dumps(first))  # the scene, its state included, pickles mid-episode


@pytest.mark.parametrize("name", LANGUAGE)
def test_oracle_beats_random(name):
    for seed in (0, 1):
        oracle, random = play(name, seed, "oracle", 500), play(name, seed, "random", 500)
        assert oracle >= 40 and oracle > random + 30, (seed, oracle, random)


@pytest.mark.parametrize("name", LANGUAGE)
def test_wrong_object_pays_its_penalty_and_restarts_with_a_new_task(name):
    level, scene, rng = build(name, seed=5)
    wrong = int(np.flatnonzero(scene.entities.kind == WRONG)[0])
    value, old_entities = scene.entities.value[wrong], scene.entities
    assert value < 0
    steps = scene.steps
    assert take(level, scene, rng, wrong) == value
    assert scene.entities is not old_entities and scene.entities.active.all()
    assert scene.state.tasks_done == 1 and scene.steps == steps + 1 and not scene.terminated


# -- language_select_described_object ----------------------------------------------------------
def test_described_object_instruction_names_the_goal_shape():
    level, scene, rng = build("language_select_described_object", seed=0)
    yaws = []
    for _ in range(60):
        shapes = [shape for shape, _, _ in objects(scene)]
        kinds = scene.entities.kind.tolist()
        assert sorted(kinds) == [GOAL, WRONG] and len(set(shapes)) == 2
        assert set(shapes) <= {"cake", "car", "cassette", "hat", "tv"}
        assert scene.instruction == shapes[kinds.index(GOAL)]
        yaws.append(math.degrees((scene.pose.yaw + math.pi) % (2 * math.pi) - math.pi))
        goal = kinds.index(GOAL)
        assert take(level, scene, rng, goal) == 10.0
    assert max(abs(y) for y in yaws) <= 20.0 + 1e-9 and max(yaws) - min(yaws) > 20  # east +- 20 degrees


def test_described_object_wrong_gives_minus_ten():
    level, scene, rng = build("language_select_described_object", seed=2)
    assert take(level, scene, rng, int(np.flatnonzero(scene.entities.kind == WRONG)[0])) == -10.0


# -- language_select_located_object ------------------------------------------------------------
def test_located_object_instruction_picks_out_exactly_the_goal():
    level, scene, rng = build("language_select_located_object", seed=0)
    layouts = Counter()
    for _ in range(120):
        words = scene.instruction.split()
        assert words[:2] == ["pick", "the"] and words[3:6] == ["object", "in", "the"] and words[7] == "room"
        colour, floor = words[2], words[6]
        rooms = scene.state.rooms
        # The named floor colour is on exactly one room, and the grid is painted with it.
        named = [room for room, name in enumerate(scene.state.floor_names) if name == floor]
        assert len(named) == 1
        assert tuple(scene.grid.floor[tuple(np.argwhere(rooms == named[0])[0])]) == floor_colour(floor)
        things = objects(scene)
        fits = [i for i, (_, c, room) in enumerate(things) if c == colour and room == named[0]]
        assert fits == np.flatnonzero(scene.entities.kind == GOAL).tolist()
        goal_room = named[0]
        # DMLab's distractors: another colour in the goal room, the goal colour elsewhere, and the random ones.
        assert any(c != colour and room == goal_room for _, c, room in things)
        assert any(c == colour and room != goal_room for _, c, room in things)
        wrong = len(things) - 1
        layout = scene.state.layout
        layouts[layout] += 1
        assert wrong == {"two_areas": 3, "two_rooms": 3, "four_rooms": 7, "six_rooms": 11}[layout]
        expected = {"two_areas": -3.0, "two_rooms": -3.0, "four_rooms": -1.0, "six_rooms": -1.0}[layout]
        assert np.all(scene.entities.value[scene.entities.kind == WRONG] == expected)
        assert take(level, scene, rng, fits[0]) == 10.0
    assert set(layouts) == set(LAYOUTS) and min(layouts.values()) >= 15


def test_layouts_are_connected_rooms_with_distinct_floors():
    rng = np.random.default_rng(0)
    for name, rooms in zip(LAYOUTS, (2, 2, 4, 6)):
        layout = build_layout(rng, name)
        assert layout.num_rooms == rooms and len(set(layout.floor_names)) == rooms
        free = layout.grid.walls == 0
        distance = distance_field(free, [tuple(np.argwhere(free)[0])])
        assert np.all(distance[free] != UNREACHABLE)
        # Walled layouts have doorways that belong to no room; two areas share one open floor.
        doorways = free & (layout.rooms < 0)
        assert doorways.sum() == {"two_areas": 0, "two_rooms": 1, "four_rooms": 4, "six_rooms": 7}[name]


def test_penalty_rounds_halves_up():
    assert [penalty(10, n) for n in (2, 3, 4, 7, 8, 11)] == [-5.0, -3.0, -3.0, -1.0, -1.0, -1.0]
    assert penalty(12, 2) == -6.0
    with pytest.raises(ValueError, match="wrong_objects"):
        penalty(10, 0)


# -- language_execute_random_task --------------------------------------------------------------
def fitting(instruction: str, things: list[tuple[str, str, int]]) -> list[int]:
    """The objects an instruction asks for, worked out from its words alone (independent of the level's code)."""
    colours = set(COLOURS)
    words = instruction.split()
    assert words[0] == "pick"

    def matches(description: list[str], thing: tuple[str, str, int]) -> bool:
        shape, colour, _ = thing
        if description[-1] == "object":
            return colour == description[0]
        if description[0] in colours:
            return colour == description[0] and shape == description[1]
        return shape == description[0]

    if words[1] == "every":
        return [i for i, thing in enumerate(things) if matches(words[2:], thing)]
    assert words[1] == "the"
    if "near" in words:
        at = words.index("near")
        target, reference = words[2:at], words[at + 2 :]
        rooms = {room for thing in things if matches(reference, thing) for room in [thing[2]]}
        return [i for i, t in enumerate(things) if matches(target, t) and not matches(reference, t) and t[2] in rooms]
    return [i for i, thing in enumerate(things) if matches(words[2:], thing)]


def test_random_task_instructions_pick_out_exactly_the_goals():
    level, scene, rng = build("language_execute_random_task", seed=0)
    tasks, layouts = Counter(), Counter()
    for _ in range(350):
        state = scene.state
        tasks[state.task] += 1
        layouts[state.layout] += 1
        things = objects(scene)
        goals = np.flatnonzero(scene.entities.kind == GOAL).tolist()
        assert fitting(scene.instruction, things) == goals, (scene.instruction, things)
        wrong = len(things) - len(goals)
        assert wrong == {"two_areas": 2, "two_rooms": 2, "four_rooms": 4, "six_rooms": 8}[state.layout]
        if state.task == "pick_confusable":  # every distractor shares exactly one attribute with the goal
            gs, gc, _ = things[goals[0]]
            assert all((s == gs) != (c == gc) for i, (s, c, _) in enumerate(things) if i != goals[0])
        if "near" in scene.instruction:  # a decoy fits the target words in a room without the reference
            target = scene.instruction[: scene.instruction.index(" near")]
            assert len(fitting(target, things)) >= 2
        restart(scene, level.new_task(rng))
    assert set(tasks) == set(TASK_TYPES) and min(tasks.values()) >= 25
    # DMLab's map weights 2:2:1:1.
    two_room, large = layouts["two_areas"] + layouts["two_rooms"], layouts["four_rooms"] + layouts["six_rooms"]
    assert 1.5 < two_room / large < 2.7 and set(layouts) == set(LAYOUTS)


def test_random_task_rewards_single_and_every_tasks():
    level = load_level("language_execute_random_task")
    rng = np.random.default_rng(11)
    checked = Counter()
    while min(checked.get(k, 0) for k in ("single", "every", "every_wrong")) < 2:
        scene = level.reset(rng, LevelOptions())
        layout, ents = scene.state.layout, scene.entities
        goals = np.flatnonzero(ents.kind == GOAL)
        wrong = int(np.flatnonzero(ents.kind == WRONG)[0])
        if not scene.state.every:
            expected = {"two_areas": -5.0, "two_rooms": -5.0, "four_rooms": -3.0, "six_rooms": -1.0}[layout]
            assert np.all(ents.value[ents.kind == WRONG] == expected)
            assert take(level, scene, rng, int(goals[0])) == 10.0 and scene.state.tasks_done == 1
            checked["single"] += 1
        elif checked["every"] <= checked["every_wrong"]:
            assert len(goals) == {"two_areas": 2, "two_rooms": 2, "four_rooms": 3, "six_rooms": 4}[layout]
            for n, goal in enumerate(goals, start=1):
                reward = take(level, scene, rng, int(goal))
                if n < len(goals):  # +1 each, the task goes on with the same objects
                    assert reward == 1.0 and scene.entities is ents and scene.state.tasks_done == 0
            assert reward == 11.0 and scene.state.tasks_done == 1 and scene.entities is not ents
            checked["every"] += 1
        else:
            expected = {"two_areas": -6.0, "two_rooms": -6.0, "four_rooms": -3.0, "six_rooms": -2.0}[layout]
            take(level, scene, rng, int(goals[0]))  # +1, then a wrong object ends the task
            assert take(level, scene, rng, wrong) == expected and scene.state.tasks_done == 1
            checked["every_wrong"] += 1


# -- language_answer_quantitative_question -----------------------------------------------------
def answer_from_text(instruction: str, cues: list[tuple[str, str, int]]) -> bool:
    """The answer to a question worked out from its words and the cue objects (independent of the level's code)."""
    words = language.tokenize(instruction)
    assert words[-1] == "?"
    if words[:2] == ["is", "anything"]:
        return any(colour == words[2] for _, colour, _ in cues)
    shape, colour = (words[2], words[4]) if words[0] == "are" else (words[2], words[3])
    colours = [c for s, c, _ in cues if s == shape]
    assert colours, "a question about a shape always has an object of that shape"
    if words[:2] == ["are", "all"]:
        return all(c == colour for c in colours)
    if words[:2] == ["is", "any"]:
        return colour in colours
    assert words[:2] == ["are", "most"]
    return colours.count(colour) > len(colours) / 2


def test_question_answer_is_the_ball_the_level_rewards():
    level, scene, rng = build("language_answer_quantitative_question", seed=0)
    for _ in range(80):
        ents = scene.entities
        cues = [thing for thing, kind in zip(objects(scene), ents.kind) if kind == CUE]
        assert len(cues) == 4 and not ents.touchable[ents.kind == CUE].any()
        yes = answer_from_text(scene.instruction, cues)
        state = scene.state
        assert (
            yes
            == state.answer
            == true_answer(
                state.question, state.shape, state.colour, state.cue_shapes, state.cue_colours
            )
        )
        balls = {COLOUR_OF_RGB[tuple(ents.colour[i].tolist())]: i for i in np.flatnonzero(ents.kind != CUE)}
        right, wrong = (balls["white"], balls["black"]) if yes else (balls["black"], balls["white"])
        assert ents.kind[right] == GOAL and ents.kind[wrong] == WRONG
        # The yes ball stands on green floor, the no ball on red.
        for colour, floor in (("white", "green"), ("black", "red")):
            i = balls[colour]
            assert tuple(scene.grid.floor[int(ents.y[i]), int(ents.x[i])]) == floor_colour(floor)
        assert take(level, scene, rng, int(right)) == 10.0


def test_question_yes_and_no_are_equally_likely_for_every_type():
    rng = np.random.default_rng(0)
    counts = Counter()
    for _ in range(4000):
        question, shape, colour, yes, cues = draw_question(rng)
        shapes, colours = tuple(s for s, _ in cues), tuple(c for _, c in cues)
        assert true_answer(question, shape, colour, shapes, colours) == yes
        counts[question, yes] += 1
    for question in QUESTIONS:
        total = counts[question, True] + counts[question, False]
        assert 850 < total < 1150 and 0.44 < counts[question, True] / total < 0.56, (question, counts)


def test_cue_objects_cannot_be_picked_up():
    level, scene, rng = build("language_answer_quantitative_question", seed=4)
    cue = int(np.flatnonzero(scene.entities.kind == CUE)[0])
    ents = scene.entities
    assert take(level, scene, rng, cue) == 0.0
    assert scene.entities is ents and ents.active.all() and scene.state.tasks_done == 0


def test_bad_names_raise_with_the_valid_choices():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown layout 'three_rooms'; valid: two_areas"):
        build_layout(rng, "three_rooms")
    with pytest.raises(ValueError, match="unknown task type 'fetch'; valid: pick"):
        draw_task(rng, "fetch", 2, 2, 2)
    with pytest.raises(ValueError, match="unknown question 'few'; valid: all"):
        question_text("few", "hat", "red")
    with pytest.raises(ValueError, match="unknown question 'few'"):
        true_answer("few", "hat", "red", ("hat",), ("red",))
    with pytest.raises(ValueError, match="unknown colour 'teal'"):
        floor_colour("teal")


@pytest.mark.parametrize("name", ["language_select_located_object", "language_execute_random_task"])
def test_a_task_whose_objects_cannot_be_placed_is_drawn_again(name: str, monkeypatch) -> None:
    """A doorway layout with no connected placement (seen in training) redraws the task, never crashes."""
    import importlib

    from zipfian_envs.labyrinth.language_tasks import PlacementError, place_things

    module = importlib.import_module(f"zipfian_envs.labyrinth.levels.{name}")
    calls = []

    def fails_twice(rng, layout, things, tries=100):
        calls.append(layout.name)
        if len(calls) <= 2:
            raise PlacementError("no placement")
        return place_things(rng, layout, things, tries)

    monkeypatch.setattr(module, "place_things", fails_twice)
    level = load_level(name)
    scene = level.new_task(np.random.default_rng(3))
    assert len(calls) == 3 and scene.grid.walls.any()

    def always_fails(rng, layout, things, tries=100):
        raise PlacementError(f"could not place {len(things)} objects in layout {layout.name!r}")

    monkeypatch.setattr(module, "place_things", always_fails)
    with pytest.raises(PlacementError, match="could not place"):
        level.new_task(np.random.default_rng(3))


"""language_answer_quantitative_question: answer a yes/no question about four objects by picking a ball."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.labyrinth.common import COLOURS, grid_from_text, spawn_pose
from zipfian_envs.labyrinth.language_tasks import (
    CUE,
    GOAL,
    OBJECT_SHAPES,
    TASK_COLOURS,
    WRONG,
    LanguageState,
    Thing,
    floor_colour,
    go_to_nearest,
    make_entities,
    pick_up,
    restart,
)
from zipfian_envs.labyrinth.level import Level, LevelOptions, Scene

# C: cue slots (a strip of their own floor); P: spawn; Y/y: the yes area (green) and its ball; N/n: the no area (red).
ROOM_MAP = (
    "#########",
    "#C.C.C.C#",
    "#.......#",
    "#.......#",
    "#...P...#",
    "#YYY.NNN#",
    "#YyY.NnN#",
    "#########",
)
QUESTIONS: tuple[str, ...] = ("all", "any", "anything", "most")
CUE_SHAPES = tuple(shape for shape in OBJECT_SHAPES if shape != "ball")
NUM_CUES = 4
CUE_FLOOR = (150, 150, 150)
ANSWER_REWARD, WRONG_ANSWER_REWARD = 10.0, -10.0
SPAWN_JITTER_DEG = 20.0


@dataclass(slots=True, kw_only=True)
class QuestionState(LanguageState):
    """The tasks done and the current question: kind, subject shape and colour, the true answer and the cues' looks."""

    question: str
    shape: str
    colour: str
    answer: bool
    cue_shapes: tuple[str, ...]
    cue_colours: tuple[str, ...]


def question_text(question: str, shape: str, colour: str) -> str:
    """The instruction for a question type about ``shape`` and ``colour``."""
    templates = {
        "all": f"are all {shape} objects {colour}?",
        "any": f"is any {shape} {colour}?",
        "anything": f"is anything {colour}?",
        "most": f"are most {shape} objects {colour}?",
    }
    if question not in templates:
        raise ValueError(f"unknown question {question!r}; valid: {', '.join(QUESTIONS)}")
    return templates[question]


def true_answer(question: str, shape: str, colour: str, shapes: tuple[str, ...], colours: tuple[str, ...]) -> bool:
    """The answer to a question about the cue objects (``most`` = more than half)."""
    of_shape = [c for s, c in zip(shapes, colours) if s == shape]
    if question == "all":
        return bool(of_shape) and all(c == colour for c in of_shape)
    if question == "any":
        return any(c == colour for c in of_shape)
    if question == "anything":
        return colour in colours
    if question == "most":
        return 2 * sum(c == colour for c in of_shape) > len(of_shape)
    raise ValueError(f"unknown question {question!r}; valid: {', '.join(QUESTIONS)}")


def draw_question(rng: np.random.Generator) -> tuple[str, str, str, bool, list[tuple[str, str]]]:
    """A question, its subject shape and colour, the answer (yes or no with probability 1/2) and 4 cue objects.

    The answer is drawn first and the cue counts are chosen to make it true, so yes and no are
    equally likely; questions about a shape always have at least one object of that shape.
    """
    question = QUESTIONS[int(rng.integers(len(QUESTIONS)))]
    shape = CUE_SHAPES[int(rng.integers(len(CUE_SHAPES)))]
    colour = TASK_COLOURS[int(rng.integers(len(TASK_COLOURS)))]
    yes = bool(rng.integers(2))
    others = [c for c in TASK_COLOURS if c != colour]
    other_shapes = [s for s in CUE_SHAPES if s != shape]
    if question == "anything":
        of_shape, coloured = 0, int(rng.integers(1, 3)) if yes else 0
    else:
        of_shape = int(rng.integers(1, 4)) if question == "any" else int(rng.integers(2, 5))
        if question == "all":
            coloured = of_shape if yes else int(rng.integers(0, of_shape))
        elif question == "any":
            coloured = int(rng.integers(1, of_shape + 1)) if yes else 0
        else:  # most: more than half of the shape's objects have the colour
            half = of_shape // 2
            coloured = int(rng.integers(half + 1, of_shape + 1)) if yes else int(rng.integers(0, half + 1))
    cues = []
    for i in range(of_shape):
        cues.append((shape, colour if i < coloured else others[int(rng.integers(len(others)))]))
    for i in range(NUM_CUES - of_shape):
        cue_shape = other_shapes[int(rng.integers(len(other_shapes)))]
        if question == "anything":
            cue_colour = colour if i < coloured else others[int(rng.integers(len(others)))]
        else:  # the colour may appear on other shapes: the question is about the shape only
            cue_colour = TASK_COLOURS[int(rng.integers(len(TASK_COLOURS)))]
        cues.append((cue_shape, cue_colour))
    order = rng.permutation(NUM_CUES)
    return question, shape, colour, yes, [cues[i] for i in order]


class AnswerQuantitativeQuestion(Level):
    """Four cue objects and a yes/no question about them; answer by picking the white or the black ball.

    Rules: a fixed small room. Four cue objects stand in a strip of grey floor at the north end
    and cannot be picked up; they are coloured red, green, blue, cyan, magenta or yellow. In the
    south-west a white ball on a green floor means yes, in the south-east a black ball on a red
    floor means no. The question is one of "are all <shape> objects <colour>?", "is any <shape>
    <colour>?", "is anything <colour>?", "are most <shape> objects <colour>?" (equally likely; most
    = more than half), with the cue counts set so that yes and no are equally likely. The right
    ball gives +10, the wrong one -10; either reloads the map with a new question and cues.
    60 s (900 steps).
    Spawn: the middle of the room facing the cues (north) +-20 degrees.
    Success: normalized score >= 0.5 (the default).
    Tests: counting and quantifiers (all, any, most) over what was seen, then acting on the answer.
    """

    name = "language_answer_quantitative_question"
    family = "language"
    time_limit_s = 60.0
    summary = "answer all/any/most questions about four objects by picking the yes or no ball"
    dmlab_human = 184.5
    dmlab_random = -0.33
    uses_language = True

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[QuestionState]:
        """The room with the first question."""
        return self.new_task(rng)

    def new_task(self, rng: np.random.Generator) -> Scene[QuestionState]:
        """The room with a new question, its cues and the two answer balls."""
        grid, marks = grid_from_text(ROOM_MAP)
        grid.floor[marks["C"][0][0], 1:-1] = CUE_FLOOR
        for chars, colour in (("Yy", "green"), ("Nn", "red")):
            for char in chars:
                for cell in marks[char]:
                    grid.floor[cell] = floor_colour(colour)
        question, shape, colour, yes, cues = draw_question(rng)
        state = QuestionState(
            question=question,
            shape=shape,
            colour=colour,
            answer=yes,
            cue_shapes=tuple(s for s, _ in cues),
            cue_colours=tuple(c for _, c in cues),
        )
        pose = spawn_pose(rng, marks["P"][0], yaw=-math.pi / 2, jitter_deg=SPAWN_JITTER_DEG)
        scene = Scene(grid=grid, pose=pose, state=state)
        cue_things = [Thing(s, c, 0, CUE, 0.0) for s, c in cues]
        scene.entities = make_entities(cue_things, np.array(marks["C"]), touchable=False)
        yes_cell, no_cell = marks["y"][0], marks["n"][0]
        for cell, ball_colour, right in ((yes_cell, "white", yes), (no_cell, "black", not yes)):
            scene.entities.add(
                cell[1] + 0.5,
                cell[0] + 0.5,
                self.atlas.index("ball"),
                COLOURS[ball_colour],
                kind=GOAL if right else WRONG,
                value=ANSWER_REWARD if right else WRONG_ANSWER_REWARD,
            )
        scene.instruction = question_text(question, shape, colour)
        return scene

    def rules(self, scene: Scene[QuestionState], action: int, rng: np.random.Generator) -> float:
        """Picking a ball pays +10 if it is the right answer, -10 if not, and asks a new question."""
        taken = pick_up(scene)
        if taken is None:
            return 0.0
        reward = float(scene.entities.value[taken])
        scene.state.tasks_done += 1
        restart(scene, self.new_task(rng))
        return reward

    def oracle(self, scene: Scene[QuestionState]) -> int:
        """Work out the answer from the cues and walk to that ball, keeping off the other one."""
        state, ents = scene.state, scene.entities
        yes = true_answer(
            state.question, state.shape, state.colour, state.cue_shapes, state.cue_colours
        )
        ball = np.flatnonzero(
            ents.touchable & ents.active & (ents.colour[:, 0] == COLOURS["white" if yes else "black"][0])
        )
        return go_to_nearest(scene, ball)


LEVEL = AnswerQuantitativeQuestion()

"""psychlab_sequential_comparison: study an array of coloured squares, then say if it changed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.labyrinth.level import Scene
from zipfian_envs.labyrinth.psychlab_common import (
    LEFT_BUTTON,
    NO_REGION,
    RIGHT_BUTTON,
    PsychlabLevel,
    PsychlabState,
    blank,
    content_box,
    draw_button,
)

DIFFERENT, SAME = 0, 1
STUDY, DELAY = 10, 11
MAX_TRIALS = 60
GRID = 8  # DMLab's 8 x 8 array of item slots
CELL_PX, SQUARE_PX = 5, 4
# DMLab's delays of {8, ..., 256} frames, in agent steps (4 frames each).
DELAY_STEPS = (2, 4, 8, 16, 32, 64)
MAX_SET_SIZE = 16  # ours
ITEM_COLOURS = np.array(
    [(220, 40, 40), (40, 170, 60), (50, 80, 230), (235, 205, 40), (210, 50, 200), (40, 200, 210), (30, 30, 30)],
    np.uint8,
)
STUDY_BUTTON_COLOUR = (40, 210, 190)  # turquoise
DIFFERENT_COLOUR, SAME_COLOUR = (230, 120, 40), (80, 120, 230)
STUDY_BUTTONS = (RIGHT_BUTTON,)


@dataclass(slots=True, kw_only=True)
class ComparisonState(PsychlabState):
    """The trial flow plus the staircase (set size, streak of right answers) and the trial's arrays and answer."""

    set_size: int = 1
    streak: int = 0
    slots: np.ndarray
    colours: np.ndarray
    test_colours: np.ndarray
    answer: int = SAME


def staircase(set_size: int, streak: int, correct: bool) -> tuple[int, int]:
    """The next (set size, streak): two right answers in a row add a square (up to 16), a wrong one removes one."""
    if correct:
        streak += 1
        if streak >= 2:
            return min(set_size + 1, MAX_SET_SIZE), 0
        return set_size, streak
    return max(set_size - 1, 1), 0


class SequentialComparison(PsychlabLevel):
    """A study array of coloured squares, a blank delay, then a test array: same or different?

    Rules: after the gaze fixates the red cross, the study array appears: ``set_size`` coloured
    squares (7 colours) on random slots of an 8 x 8 grid, with a turquoise button on the right of
    the gaze line. Resting the gaze on the turquoise button ends the study phase (within 5 s,
    ours; else the trial is missed); a blank delay of
    2, 4, 8, 16, 32 or 64 steps follows (DMLab's 8-256 frames). Then the test array appears with two
    buttons: left (orange) means "different", right (blue) "same". With probability 0.5 nothing
    changed; otherwise one square changed colour. (DMLab also uses 'E' optotypes whose orientation
    or type can change; ours are squares only.) The turquoise button and the "same" button share a
    place, so the gaze must leave it and come back to answer "same". Right answer +1, wrong 0.
    Fixation, answers, the response window and the error timeouts follow ``psychlab_common``.
    Staircase (ours; DMLab starts at 1 too): two right answers in a row add one square (up to 16),
    a wrong answer removes one (down to 1).
    Time: 300 s (4500 steps), at most 60 trials (the episode ends 0.2 s after the 60th answer).
    Spawn: in front of the screen, facing it +-45 degrees; the agent can only turn.
    Success: normalized score >= 0.5. Tests: visual working memory over a delay.
    """

    name = "psychlab_sequential_comparison"
    summary = "study coloured squares, wait, then say whether the array changed"
    dmlab_human = 39.5
    dmlab_random = 0.129
    max_trials = MAX_TRIALS
    buttons = (LEFT_BUTTON, RIGHT_BUTTON)

    def setup(self, rng: np.random.Generator) -> ComparisonState:
        """The staircase starts at one square."""
        return ComparisonState(
            set_size=1,
            streak=0,
            slots=np.zeros(0, np.int64),
            colours=np.zeros(0, np.int64),
            test_colours=np.zeros(0, np.int64),
            answer=SAME,
        )

    def start_trial(self, scene: Scene[ComparisonState], rng: np.random.Generator) -> None:
        """Draw the study and test arrays now; show the study array with its turquoise button."""
        state = scene.state
        size = state.set_size
        slots = rng.choice(GRID * GRID, size=size, replace=False)
        colours = rng.integers(len(ITEM_COLOURS), size=size)
        test_colours = colours.copy()
        changed = rng.random() < 0.5
        if changed:
            item = int(rng.integers(size))
            test_colours[item] = (colours[item] + 1 + rng.integers(len(ITEM_COLOURS) - 1)) % len(ITEM_COLOURS)
        state.slots, state.colours, state.test_colours = slots, colours, test_colours
        state.answer = DIFFERENT if changed else SAME
        image = self.array_image(slots, colours)
        draw_button(image, RIGHT_BUTTON, STUDY_BUTTON_COLOUR)
        self.open_response(scene, image, phase=STUDY, buttons=STUDY_BUTTONS)

    def array_image(self, slots: np.ndarray, colours: np.ndarray) -> np.ndarray:
        """The squares of an array on the blank screen."""
        image = blank()
        r0, r1, c0, c1 = content_box()
        top = r0 + (r1 - r0 - GRID * CELL_PX) // 2
        left = c0 + (c1 - c0 - GRID * CELL_PX) // 2
        for slot, colour in zip(slots.tolist(), colours.tolist()):
            row, col = top + (slot // GRID) * CELL_PX, left + (slot % GRID) * CELL_PX
            image[row : row + SQUARE_PX, col : col + SQUARE_PX] = ITEM_COLOURS[colour]
        return image

    def advance(self, scene: Scene[ComparisonState], action: int, rng: np.random.Generator) -> float:
        """Study until the turquoise button is rested on (within the response window), the delay, the test array."""
        state = scene.state
        if state.phase == STUDY:
            if self.pressed_button(scene, action, STUDY_BUTTONS) != NO_REGION:
                state.phase, state.timer = DELAY, int(DELAY_STEPS[rng.integers(len(DELAY_STEPS))])
                self.show(scene, blank())
            elif self.window_closed(scene):
                return self.finish_trial(scene, NO_REGION, rng)  # never ended the study phase: missed
            return 0.0
        if state.phase == DELAY:
            state.timer -= 1
            if state.timer <= 0:
                image = self.array_image(state.slots, state.test_colours)
                draw_button(image, LEFT_BUTTON, DIFFERENT_COLOUR)
                draw_button(image, RIGHT_BUTTON, SAME_COLOUR)
                self.open_response(scene, image)
            return 0.0
        return super().advance(scene, action, rng)

    def correct_button(self, scene: Scene[ComparisonState]) -> int:
        """Left if one square changed colour, right if the arrays match."""
        return int(scene.state.answer)

    def answered(self, scene: Scene[ComparisonState], button: int, correct: bool, rng: np.random.Generator) -> None:
        """Two right in a row: one more square; wrong: one fewer."""
        state = scene.state
        state.set_size, state.streak = staircase(state.set_size, state.streak, correct)

    def oracle_target(self, scene: Scene[ComparisonState]) -> float | None:
        """Study: go to the turquoise button; delay: hold still."""
        return RIGHT_BUTTON.centre_deg if scene.state.phase == STUDY else None


LEVEL = SequentialComparison()

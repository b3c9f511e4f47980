"""psychlab_visual_search: is there a magenta T among the distractors?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.labyrinth.level import Scene
from zipfian_envs.labyrinth.psychlab_common import (
    LEFT_BUTTON,
    RIGHT_BUTTON,
    PsychlabLevel,
    PsychlabState,
    blank,
    content_box,
    draw_button,
)

ABSENT, PRESENT = 0, 1
MAX_TRIALS = 80
SET_SIZES = (1, 1, 1, 2, 2, 4, 8, 16, 24, 32)  # DMLab's staircase
PROBE_PROBABILITY = 0.1  # ours: a trial at a set size drawn from the whole list
SHAPE, COLOUR, CONJUNCTION = 0, 1, 2
MODES = ("shape", "colour", "conjunction")
GRID_COLS, GRID_ROWS, CELL_PX = 6, 7, 6
MAGENTA, GREEN = (215, 40, 205), (40, 160, 60)
_T = np.array([[1, 1, 1, 1, 1], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0]], bool)
_L = np.array([[1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
GLYPHS = (_T, _L)
ABSENT_COLOUR, PRESENT_COLOUR = (120, 120, 130), (240, 200, 60)


@dataclass(slots=True, kw_only=True)
class VisualSearchState(PsychlabState):
    """The trial flow plus the staircase's step (into ``SET_SIZES``) and the trial's answer, distractor mode, size."""

    level: int = 0
    answer: int = ABSENT
    mode: int = SHAPE
    set_size: int = SET_SIZES[0]
    probe: bool = False


def staircase_step(level: int, correct: bool) -> int:
    """The staircase's next step into ``SET_SIZES``: one up after a right answer, one down after a wrong one."""
    step = 1 if correct else -1
    return int(np.clip(level + step, 0, len(SET_SIZES) - 1))


class VisualSearch(PsychlabLevel):
    """Search an array for a magenta T and say whether it is there.

    Rules: after the gaze fixates the red cross, an array of letters fills a 6 x 7 grid in the
    middle of the screen, with two buttons on the gaze line: left (grey) means "absent", right
    (yellow) "present" (DMLab puts both at the bottom). The target, a magenta 'T', is present with
    probability 0.5. Each trial picks a distractor mode: shape (magenta 'L's), colour (green 'T's) or
    conjunction (both kinds mixed). Right answer +1, wrong 0.
    Staircase: the set size steps through DMLab's list 1, 1, 1, 2, 2, 4, 8, 16, 24, 32: one step up
    after a right answer, one down after a wrong or missed one (the step rule is ours). One trial in
    ten (ours) is a probe at a set size drawn uniformly from the list, so arrays of every size
    appear whatever the staircase's step; probes leave the staircase where it is.
    Fixation, answers, the response window and the error timeouts follow ``psychlab_common``:
    answering at chance spends most of the 150 s in timeouts.
    Time: 150 s (2250 steps), at most 80 trials (the episode ends 0.2 s after the 80th answer).
    Spawn: in front of the screen, facing it +-45 degrees; the agent can only turn.
    Success: normalized score >= 0.5. Tests: feature and conjunction search.
    """

    name = "psychlab_visual_search"
    summary = "say whether a magenta T is among the distractors"
    time_limit_s = 150.0
    dmlab_human = 78.5
    dmlab_random = 0.085
    max_trials = MAX_TRIALS
    buttons = (LEFT_BUTTON, RIGHT_BUTTON)

    def setup(self, rng: np.random.Generator) -> VisualSearchState:
        """The staircase starts at the first set size."""
        return VisualSearchState(level=0, answer=ABSENT, mode=SHAPE, set_size=SET_SIZES[0])

    def start_trial(self, scene: Scene[VisualSearchState], rng: np.random.Generator) -> None:
        """Draw the array for this trial's set size, mode and target presence."""
        state = scene.state
        state.probe = bool(rng.random() < PROBE_PROBABILITY)
        size = SET_SIZES[int(rng.integers(len(SET_SIZES)))] if state.probe else SET_SIZES[state.level]
        mode = int(rng.integers(len(MODES)))
        present = bool(rng.random() < 0.5)
        slots = rng.choice(GRID_COLS * GRID_ROWS, size=size, replace=False)
        # Distractors: glyph 1 ('L') in magenta, or glyph 0 ('T') in green.
        is_l = {SHAPE: np.ones(size, bool), COLOUR: np.zeros(size, bool)}.get(mode)
        if is_l is None:
            is_l = rng.random(size) < 0.5
        glyphs = np.where(is_l, 1, 0)
        colours = np.where(is_l, 0, 1)  # 0 magenta, 1 green
        if present:
            glyphs[0], colours[0] = 0, 0
        state.answer, state.mode, state.set_size = PRESENT if present else ABSENT, mode, size
        image = blank()
        r0, r1, c0, c1 = content_box()
        top = r0 + (r1 - r0 - GRID_ROWS * CELL_PX) // 2
        left = c0 + (c1 - c0 - GRID_COLS * CELL_PX) // 2
        palette = (MAGENTA, GREEN)
        for slot, glyph, colour in zip(slots.tolist(), glyphs.tolist(), colours.tolist()):
            row, col = top + (slot // GRID_COLS) * CELL_PX, left + (slot % GRID_COLS) * CELL_PX
            patch = image[row : row + 5, col : col + 5]
            patch[GLYPHS[glyph]] = palette[colour]
        draw_button(image, LEFT_BUTTON, ABSENT_COLOUR)
        draw_button(image, RIGHT_BUTTON, PRESENT_COLOUR)
        self.open_response(scene, image)

    def correct_button(self, scene: Scene[VisualSearchState]) -> int:
        """Left if the target is absent, right if present."""
        return int(scene.state.answer)

    def answered(self, scene: Scene[VisualSearchState], button: int, correct: bool, rng: np.random.Generator) -> None:
        """Staircase: up one set size after a right answer, down one after a wrong or missed one (not on probes)."""
        if not scene.state.probe:
            scene.state.level = staircase_step(scene.state.level, correct)


LEVEL = VisualSearch()

"""psychlab_continuous_recognition: say whether each picture is new or was seen before."""

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
    draw_stimulus,
    stimulus_specs,
)

NEW, SEEN = 0, 1
MAX_TRIALS = 60
PICTURE_HALF_DEG = 22.0
NEW_COLOUR, SEEN_COLOUR = (70, 140, 230), (240, 150, 40)


@dataclass(slots=True, kw_only=True)
class RecognitionState(PsychlabState):
    """The trial flow plus the picture pool, how many are shown, the current picture and its answer (NEW or SEEN)."""

    specs: np.ndarray
    shown: int = 0
    current: int = -1
    answer: int = NEW


class ContinuousRecognition(PsychlabLevel):
    """One picture per trial: is it new, or has it been shown before in this episode?

    Rules: after the gaze fixates the red cross, a picture appears between two buttons on the gaze
    line: the left (blue) one means "new", the right (orange) one "seen before". Each trial shows a
    new picture with probability 0.5 (the first trial always does), otherwise a repeat of a picture
    already shown, chosen uniformly. Resting the gaze on the right button: +1; the wrong one: 0.
    Fixation, answers, the 5 s response window and the error timeouts follow ``psychlab_common``
    (ours): answering at chance spends most of the episode in timeouts.
    Pictures are procedural (a coloured ground with two tinted shapes), all distinct, drawn per
    episode.
    Time: 300 s (4500 steps), at most 60 trials, answered or missed (the episode ends 0.2 s after the 60th).
    Spawn: in front of the screen, facing it +-45 degrees; the agent can only turn.
    Success: normalized score >= 0.5. Tests: recognition memory for many pictures over minutes.
    """

    name = "psychlab_continuous_recognition"
    summary = "say whether each picture is new or seen before in the episode"
    dmlab_human = 58.3
    dmlab_random = 0.224
    max_trials = MAX_TRIALS
    buttons = (LEFT_BUTTON, RIGHT_BUTTON)

    def setup(self, rng: np.random.Generator) -> RecognitionState:
        """The episode's pool of distinct pictures; none shown yet."""
        return RecognitionState(specs=stimulus_specs(rng, MAX_TRIALS), shown=0, current=-1, answer=NEW)

    def start_trial(self, scene: Scene[RecognitionState], rng: np.random.Generator) -> None:
        """A new picture (p = 0.5, always on the first trial) or a repeat of a shown one."""
        state = scene.state
        if state.shown == 0 or rng.random() < 0.5:
            state.current, state.answer = state.shown, NEW
            state.shown += 1
        else:
            state.current, state.answer = int(rng.integers(state.shown)), SEEN
        image = blank()
        draw_stimulus(image, state.specs[state.current], content_box(PICTURE_HALF_DEG))
        draw_button(image, LEFT_BUTTON, NEW_COLOUR)
        draw_button(image, RIGHT_BUTTON, SEEN_COLOUR)
        self.open_response(scene, image)

    def correct_button(self, scene: Scene[RecognitionState]) -> int:
        """Left for a new picture, right for a repeat."""
        return int(scene.state.answer)


LEVEL = ContinuousRecognition()

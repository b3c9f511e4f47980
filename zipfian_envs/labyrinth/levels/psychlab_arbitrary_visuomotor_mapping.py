"""psychlab_arbitrary_visuomotor_mapping: learn which of four buttons goes with each picture."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.labyrinth.level import Scene
from zipfian_envs.labyrinth.psychlab_common import (
    PsychlabLevel,
    PsychlabState,
    Region,
    blank,
    content_box,
    draw_button,
    draw_stimulus,
    stimulus_specs,
)

# Four buttons in a row on the gaze line, two each side of the picture (DMLab: N/S/E/W edges).
BUTTONS = (Region(-48.0, -36.0), Region(-32.0, -21.0), Region(21.0, 32.0), Region(36.0, 48.0))
PICTURE_HALF_DEG = 17.0
MAX_TRIALS = 60
POOL_SIZE = MAX_TRIALS + 1
NEUTRAL, RIGHT_TINT, WRONG_TINT = (150, 150, 160), (60, 190, 70), (210, 60, 60)
FEEDBACK_STEPS = 8  # ours: the revealed answer stays up for about half a second


@dataclass(slots=True, kw_only=True)
class VisuomotorState(PsychlabState):
    """The trial flow plus the pictures, their buttons, which were shown, and the staircase's set, pass and picture."""

    specs: np.ndarray
    mapping: np.ndarray
    shown: np.ndarray
    set_size: int = 1
    order: np.ndarray
    position: int = 0
    perfect_pass: bool = True
    current: int = -1


class ArbitraryVisuomotorMapping(PsychlabLevel):
    """Each picture has one arbitrary correct button out of four; the mapping is learnt from feedback.

    Rules: after the gaze fixates the red cross, one picture appears in the middle of the screen
    with four grey buttons on the gaze line, two on each side (DMLab puts them at the N/S/E/W
    edges; IMPALA's actions cannot look up or down, so ours sit in a row). Each picture of the
    episode has a random correct button. The first time a picture is shown its correct button is
    tinted green and the others red; afterwards all four are grey. The answer is given by resting
    the gaze on a button: +1 if correct, 0 if wrong; then the answer is revealed (the picture with
    the correct button green) for about 0.5 s before the next fixation cross, or for the whole
    error timeout after a wrong or missed answer (ours; fixation, answers, the 5 s response window
    and the timeouts follow ``psychlab_common``).
    Staircase: the set of pictures grows by one new picture after a pass through the current set
    (in random order) with every answer right; it starts with one picture (ours).
    Pictures are procedural (a coloured ground with two tinted shapes), drawn per episode.
    Time: 300 s (4500 steps), at most 60 trials, answered or missed (the episode ends 0.2 s after the 60th).
    Spawn: in front of the screen, facing it +-45 degrees; the agent can only turn.
    Success: normalized score >= 0.5. Tests: learning arbitrary stimulus-response associations
    and remembering them as the set grows.
    """

    name = "psychlab_arbitrary_visuomotor_mapping"
    summary = "map each picture to one of four buttons, learnt from feedback; the set grows"
    dmlab_human = 58.75
    dmlab_random = 0.163
    max_trials = MAX_TRIALS
    buttons = BUTTONS
    iti_steps = FEEDBACK_STEPS

    def setup(self, rng: np.random.Generator) -> VisuomotorState:
        """The episode's pictures, their correct buttons and the staircase's first set."""
        return VisuomotorState(
            specs=stimulus_specs(rng, POOL_SIZE),
            mapping=rng.integers(len(BUTTONS), size=POOL_SIZE),
            shown=np.zeros(POOL_SIZE, bool),
            set_size=1,
            order=np.zeros(0, np.int64),
            position=0,
            perfect_pass=True,
            current=-1,
        )

    def start_trial(self, scene: Scene[VisuomotorState], rng: np.random.Generator) -> None:
        """The next picture of the pass (a new pass, maybe with one more picture, when this one is done)."""
        state = scene.state
        if state.position >= len(state.order):
            if state.perfect_pass and len(state.order):
                state.set_size = min(state.set_size + 1, POOL_SIZE)
            state.order = rng.permutation(state.set_size)
            state.position, state.perfect_pass = 0, True
        current = int(state.order[state.position])
        state.current = current
        first_showing = not state.shown[current]
        state.shown[current] = True
        self.open_response(scene, self.picture(scene, tint=first_showing))

    def picture(self, scene: Scene[VisuomotorState], tint: bool) -> np.ndarray:
        """The current picture with the four buttons (the correct one green, the rest red, when ``tint``)."""
        state = scene.state
        image = blank()
        draw_stimulus(image, state.specs[state.current], content_box(PICTURE_HALF_DEG))
        right = int(state.mapping[state.current])
        for index, region in enumerate(BUTTONS):
            colour = NEUTRAL if not tint else (RIGHT_TINT if index == right else WRONG_TINT)
            draw_button(image, region, colour)
        return image

    def correct_button(self, scene: Scene[VisuomotorState]) -> int:
        """The current picture's button."""
        return int(scene.state.mapping[scene.state.current])

    def answered(self, scene: Scene[VisuomotorState], button: int, correct: bool, rng: np.random.Generator) -> None:
        """Advance the pass; one wrong answer spoils it for the staircase."""
        scene.state.position += 1
        if not correct:
            scene.state.perfect_pass = False

    def feedback_image(self, scene: Scene[VisuomotorState], button: int, correct: bool) -> np.ndarray:
        """The answer revealed: the picture with its correct button green."""
        return self.picture(scene, tint=True)


LEVEL = ArbitraryVisuomotorMapping()

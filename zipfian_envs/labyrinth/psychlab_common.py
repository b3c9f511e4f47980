"""What the four PsychLab levels share: the screen room, gaze, trial flow, drawing and the oracle.

The agent stands 0.75 m in front of a 3 m wide wall screen and can only turn (movement is
zeroed, as in DMLab). Its gaze is where the centre ray meets the screen; since the agent never
moves, the gaze is computed in closed form from the yaw (the tests check it against the engine's
``centre_ray``). IMPALA's action set has
no look up/down, so the gaze always runs along the screen's horizontal midline: every level puts
its fixation cross, its stimuli and its response buttons on that line (ours; DMLab's buttons sit
at the N/S/E/W edges or along the bottom). Regions are given as gaze angles from the screen's
normal, and every region is wider than one 8.4 degree look step, so each can be reached from any
spawn heading.

Trials follow DMLab's structure: a red fixation cross waits at the centre and the trial starts
only once the gaze fixates it; the stimuli then stay up for the task's duration (until the answer,
or until the response window closes); a response is a deliberate choice among the shown buttons;
right +1, wrong 0 (DMLab's rewards). What DMLab leaves to its 2-D gaze, ours makes explicit, so
that answering at chance does not pay (all "ours"):

* Fixating and answering both need the gaze to *rest*: on the cross, or on a button, for
  ``HOLD_STEPS`` (2) consecutive steps without turning. DMLab counts a button when the gaze leaves
  it; with every button on one line a sweep would cross (and so answer with) the buttons on its
  way, and a view that turns every other step would fixate and answer on the fly.
* A button that is under the gaze when the buttons appear must be left and re-entered first.
* The response window closes ``RESPONSE_STEPS`` (5 s, DMLab's off-screen limit) after the stimuli
  appear: no answer is a missed trial, scored and timed like a wrong one.
* After a right answer an inter-trial interval of ``ITI_STEPS`` shows a blank screen (or
  feedback), then the cross. After a wrong or missed answer the screen (blank, or the level's
  feedback) waits out an error timeout set by a timeout level: each wrong or missed answer raises
  it by 3, each right one lowers it by 1 (not below 0), and the timeout is ``ERROR_TIMEOUT_STEPS``
  (2 s) doubled for every level above 1, up to ``MAX_TIMEOUT_STEPS`` (the whole 300 s episode).
  An agent right more than three times in four keeps the level near 0 and waits 2-8 s per error;
  one answering at chance (a fixed fixate-then-guess policy, ``guess_action``, measured by the
  calibration) climbs a level per trial and after four or five errors waits out the episode, so it
  banks about as few points as the random policy.

Every trial, answered or missed, counts towards the level's cap; levels end 0.2 s after it.

Stimuli are drawn procedurally (no photo set): pictures of one or two tinted sprite shapes on a
coloured ground, letters and coloured squares, each drawn from the episode's generator.

A level's trial flow (phase, timer, tallies, button arming) is a :class:`PsychlabState`; each level
subclasses it with its own stimuli and staircase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.actions import ACTION_COMMANDS, FIRE, LOOK_LEFT, LOOK_RIGHT
from zipfian_envs.engine.raycast import Screen, pack
from zipfian_envs.engine.sprites import ATLAS, SPRITE_SIZE
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import TURN_STEP_RAD, Grid, Pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene

# The room: 3 x 2 floor cells; the whole north wall (x in [1, 4], material 2) is the screen.
ROOM_MATERIAL, SCREEN_MATERIAL = 1, 2
ROOM_TEXTURES = texture_bank([((110, 110, 118), "plain"), ((235, 235, 235), "screen")])
ROOM_TEXTURES.flags.writeable = False
SCREEN_START_M, SCREEN_END_M = 1.0, 4.0
SCREEN_DISTANCE_M = 0.75
AGENT_X, AGENT_Y = 2.5, 1.0 + SCREEN_DISTANCE_M
FACING_SCREEN = -math.pi / 2  # north: y grows downwards
SPAWN_JITTER_DEG = 45.0
# Screen pixels: 48 per metre of wall both ways (the wall is 1 m tall, the screen 3 m wide).
SCREEN_ROWS, SCREEN_COLS = 48, 144
MIDLINE_ROW = SCREEN_ROWS // 2
SCREEN_EDGE_DEG = math.degrees(math.atan((SCREEN_END_M - AGENT_X) / SCREEN_DISTANCE_M))
HOLD_TOLERANCE_DEG = 0.5 * math.degrees(TURN_STEP_RAD)

BACKGROUND = (200, 200, 200)
CROSS_COLOUR = (220, 30, 30)
ITI_STEPS = 4  # ours: a 0.27 s blank between trials
HOLD_STEPS = 2  # ours: still steps on the cross or a button that fixate or answer
RESPONSE_STEPS = 75  # ours: the response window, 5 s (DMLab's maxStepsOffScreen is 5 s too)
ERROR_TIMEOUT_STEPS = 30  # ours: 2 s at timeout level 1 ...
MAX_TIMEOUT_STEPS = 4500  # ... doubling every level up to the whole 300 s episode
ERROR_LEVEL_UP, RIGHT_LEVEL_DOWN = 3, 1  # ours: chance answering climbs, three right in four do not

# Trial phases shared by every level (levels may add their own from 10 on).
FIXATE, RESPOND, ITI = 0, 1, 2
NO_REGION = -1


@dataclass(frozen=True)
class Region:
    """A stretch of the screen's midline between two gaze angles (degrees from the screen normal)."""

    lo_deg: float
    hi_deg: float

    def __post_init__(self) -> None:
        if self.hi_deg - self.lo_deg <= math.degrees(TURN_STEP_RAD):
            raise ValueError(f"region {self} is narrower than one look step; some headings could never reach it")

    @property
    def centre_deg(self) -> float:
        """The angle of the region's centre."""
        return 0.5 * (self.lo_deg + self.hi_deg)

    def contains(self, angle_deg: float) -> bool:
        """Whether the gaze angle lies on the region."""
        return self.lo_deg <= angle_deg < self.hi_deg

    def columns(self) -> tuple[int, int]:
        """The screen image columns the region covers."""
        return round(angle_to_column(self.lo_deg)), round(angle_to_column(self.hi_deg))


CROSS = Region(-5.0, 5.0)
# Two-button layout (continuous recognition, sequential comparison, visual search).
LEFT_BUTTON, RIGHT_BUTTON = Region(-50.0, -38.0), Region(38.0, 50.0)
CONTENT_HALF_DEG = 30.0


def gaze_angle(pose: Pose) -> float:
    """The gaze's angle in degrees from the screen normal (positive to the agent's right)."""
    return math.degrees((pose.yaw - FACING_SCREEN + math.pi) % (2 * math.pi) - math.pi)


def angle_to_column(angle_deg: float) -> float:
    """The screen image column (a float) that a gaze angle meets."""
    along = AGENT_X + SCREEN_DISTANCE_M * math.tan(math.radians(angle_deg))
    return (along - SCREEN_START_M) / (SCREEN_END_M - SCREEN_START_M) * SCREEN_COLS


def gaze_region(pose: Pose, regions: tuple[Region, ...]) -> int:
    """Index of the region under the gaze, or ``NO_REGION`` (also when the gaze is off the screen)."""
    angle = gaze_angle(pose)
    if abs(angle) >= SCREEN_EDGE_DEG:
        return NO_REGION
    for index, region in enumerate(regions):
        if region.contains(angle):
            return index
    return NO_REGION


def screen_room() -> Grid:
    """The psychlab room: a small box whose north wall is the screen."""
    walls = np.full((4, 5), ROOM_MATERIAL, np.int16)
    walls[1:3, 1:4] = 0
    walls[0, 1:4] = SCREEN_MATERIAL
    floor = np.empty((4, 5, 3), np.uint8)
    floor[:] = (70, 70, 76)
    return Grid(walls=walls, floor=floor, textures=ROOM_TEXTURES, ceiling=(90, 90, 96), fog_m=30.0)


# -- Drawing ------------------------------------------------------------------------------------
def blank(colour: tuple[int, int, int] = BACKGROUND) -> np.ndarray:
    """An empty screen image."""
    image = np.empty((SCREEN_ROWS, SCREEN_COLS, 3), np.uint8)
    image[:] = colour
    return image


def content_box(half_deg: float = CONTENT_HALF_DEG, margin_rows: int = 2) -> tuple[int, int, int, int]:
    """(row0, row1, col0, col1) of the stimulus area centred on the screen within +-``half_deg``."""
    c0, c1 = round(angle_to_column(-half_deg)), round(angle_to_column(half_deg))
    return margin_rows, SCREEN_ROWS - margin_rows, c0, c1


def draw_cross(image: np.ndarray) -> None:
    """The red fixation cross at the screen centre."""
    c = round(angle_to_column(0.0))
    image[MIDLINE_ROW - 5 : MIDLINE_ROW + 5, c - 1 : c + 1] = CROSS_COLOUR
    image[MIDLINE_ROW - 1 : MIDLINE_ROW + 1, c - 5 : c + 5] = CROSS_COLOUR


def draw_button(image: np.ndarray, region: Region, colour: tuple[int, int, int], rim=(40, 40, 40)) -> None:
    """A button: a filled rectangle with a dark rim over the region's columns, centred on the midline."""
    c0, c1 = region.columns()
    r0, r1 = MIDLINE_ROW - 9, MIDLINE_ROW + 9
    image[r0:r1, c0:c1] = rim
    image[r0 + 1 : r1 - 1, c0 + 1 : c1 - 1] = colour


def stamp(image: np.ndarray, picture: np.ndarray, row: int, col: int, mask: np.ndarray | None = None) -> None:
    """Paint ``picture`` (h, w, 3) with its top-left at (row, col), where ``mask`` is set (everywhere if None)."""
    h, w = picture.shape[:2]
    target = image[row : row + h, col : col + w]
    if mask is None:
        target[:] = picture
    else:
        np.copyto(target, picture, where=mask[:, :, None])


def sprite_picture(shape: int, colour: tuple[int, int, int] | np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A ``size`` x ``size`` (rgb, mask) picture of a tinted atlas shape, scaled by nearest neighbour."""
    pick = (np.arange(size) * SPRITE_SIZE // size).astype(np.int64)
    alpha = ATLAS.alpha[shape][pick[:, None], pick[None, :]]
    rgb = ATLAS.shade[shape][pick[:, None], pick[None, :], None] * np.asarray(colour, np.float32)
    rgb = rgb + ATLAS.fixed[shape][pick[:, None], pick[None, :], None]
    return np.clip(rgb, 0, 255).astype(np.uint8), alpha


# Stimulus pictures: a ground colour and two tinted shapes, one above the other.
STIMULUS_COLOURS = np.array(
    [
        (220, 40, 40), (40, 170, 60), (50, 80, 230), (40, 200, 210), (210, 50, 200), (235, 205, 40),
        (245, 140, 30), (130, 50, 190), (250, 150, 190), (130, 80, 40), (30, 30, 30), (245, 245, 245),
    ],
    np.uint8,
)  # fmt: skip
GROUND_COLOURS = np.array(
    [(120, 120, 120), (170, 200, 235), (235, 220, 170), (180, 230, 180), (235, 190, 200), (70, 80, 110)], np.uint8
)


def stimulus_specs(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct picture specs (ground, shape A, colour A, shape B, colour B) as an int array."""
    sizes = (len(GROUND_COLOURS), len(ATLAS.names), len(STIMULUS_COLOURS), len(ATLAS.names), len(STIMULUS_COLOURS))
    specs: list[tuple[int, ...]] = []
    seen: set[tuple[int, ...]] = set()
    while len(specs) < count:
        spec = tuple(int(rng.integers(n)) for n in sizes)
        # Distinct pictures, and a shape never drawn in its ground's near-twin colour.
        if spec in seen or spec[2] == spec[4] or spec[1] == spec[3]:
            continue
        seen.add(spec)
        specs.append(spec)
    return np.array(specs, np.int64).reshape(count, 5)


def draw_stimulus(image: np.ndarray, spec: np.ndarray, box: tuple[int, int, int, int]) -> None:
    """Draw the picture ``spec`` filling ``box`` = (row0, row1, col0, col1)."""
    r0, r1, c0, c1 = box
    image[r0:r1, c0:c1] = GROUND_COLOURS[spec[0]]
    size = min(c1 - c0 - 2, (r1 - r0) // 2 - 1)
    col = c0 + (c1 - c0 - size) // 2
    for slot, (shape, colour) in enumerate(((spec[1], spec[2]), (spec[3], spec[4]))):
        picture, mask = sprite_picture(int(shape), STIMULUS_COLOURS[colour], size)
        row = r0 + 1 + slot * ((r1 - r0) // 2)
        stamp(image, picture, row, col, mask)


# -- The level base class ---------------------------------------------------------------------
@dataclass(slots=True, kw_only=True)
class PsychlabState(LevelState):
    """The trial flow: phase, timers, tallies, the unarmed, last and held regions, the error streak."""

    phase: int = FIXATE
    timer: int = 0
    trials: int = 0
    correct: int = 0
    unarmed: int = NO_REGION  # a button under the gaze when the buttons appeared (must be left first)
    last_answer: int = NO_REGION
    held: int = NO_REGION  # the region the gaze rests on, and for how many still steps
    held_steps: int = 0
    window: int = 0  # steps left to answer in a response phase
    timeout_level: int = 0  # up by 3 per wrong or missed answer, down by 1 per right one: sets the timeout
    missed: int = 0


class PsychlabLevel(Level):
    """Shared machinery: the screen room, turn-only movement, fixation, buttons, trial cap, oracle.

    Subclasses set ``buttons`` and ``max_trials`` and implement ``setup`` (the episode's state),
    ``start_trial`` (after fixation: draw the trial and enter ``RESPOND`` or a phase of their own),
    ``correct_button`` and, for phases of their own, ``advance`` and ``oracle_target``.
    """

    family = "psychlab"
    time_limit_s = 300.0
    max_trials = 60
    buttons: tuple[Region, ...] = (LEFT_BUTTON, RIGHT_BUTTON)
    iti_steps = ITI_STEPS

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[PsychlabState]:
        """The screen room, the agent facing the screen +-45 degrees, the fixation cross shown."""
        yaw = FACING_SCREEN + math.radians(rng.uniform(-SPAWN_JITTER_DEG, SPAWN_JITTER_DEG))
        state = self.setup(rng)
        scene = Scene(grid=screen_room(), pose=Pose(x=AGENT_X, y=AGENT_Y, yaw=yaw % (2 * math.pi)), state=state)
        self.show_fixation(scene)
        return scene

    def move(self, scene: Scene[PsychlabState], action: int) -> None:
        """Only turning: DMLab zeroes movement on psychlab levels."""
        turn = float(ACTION_COMMANDS[action][2])
        if turn:
            pose = scene.pose
            scene.pose = Pose(x=pose.x, y=pose.y, yaw=(pose.yaw + turn * TURN_STEP_RAD) % (2 * math.pi), z=pose.z)

    # -- hooks --------------------------------------------------------------------------------
    def setup(self, rng: np.random.Generator) -> PsychlabState:
        """The episode's state, its own values drawn from ``rng``, the trial flow at its start (subclasses)."""
        return PsychlabState()

    def start_trial(self, scene: Scene, rng: np.random.Generator) -> None:
        """Begin a trial after fixation (subclasses)."""
        raise NotImplementedError

    def correct_button(self, scene: Scene) -> int:
        """Index into ``buttons`` of the right answer of the current trial (subclasses)."""
        raise NotImplementedError

    def answered(self, scene: Scene, button: int, correct: bool, rng: np.random.Generator) -> None:
        """Update the level's own state after an answer (``button`` is ``NO_REGION`` if missed; subclasses)."""

    def advance(self, scene: Scene, action: int, rng: np.random.Generator) -> float:
        """Rules of a level's own phases (subclasses that add phases)."""
        raise ValueError(f"{self.name}: unknown phase {scene.state.phase!r}")

    def oracle_target(self, scene: Scene) -> float | None:
        """The gaze angle the oracle heads for in a level's own phase (None: hold still)."""
        return None

    def feedback_image(self, scene: Scene, button: int, correct: bool) -> np.ndarray:
        """What the screen shows between trials (a blank screen by default)."""
        return blank()

    # -- shared rules -------------------------------------------------------------------------
    def show(self, scene: Scene[PsychlabState], image: np.ndarray) -> None:
        """Put a new picture on the screen (only when the display changes, so rendering stays cheap)."""
        image.flags.writeable = False
        scene.screens = [Screen(material=SCREEN_MATERIAL, image=pack(image), start=SCREEN_START_M, end=SCREEN_END_M)]

    def show_fixation(self, scene: Scene[PsychlabState]) -> None:
        """The blank screen with the red cross; the next trial starts when the gaze rests on it."""
        image = blank()
        draw_cross(image)
        self.show(scene, image)
        scene.state.phase = FIXATE
        scene.state.held, scene.state.held_steps = NO_REGION, 0

    def open_response(
        self,
        scene: Scene[PsychlabState],
        image: np.ndarray,
        phase: int = RESPOND,
        buttons: tuple[Region, ...] | None = None,
    ) -> None:
        """Show ``image`` (with its buttons drawn) and wait, for the response window, for a button in ``phase``."""
        self.show(scene, image)
        state = scene.state
        state.phase, state.window = phase, RESPONSE_STEPS
        state.unarmed = gaze_region(scene.pose, self.buttons if buttons is None else buttons)
        state.held, state.held_steps = NO_REGION, 0

    def resting_on(self, scene: Scene[PsychlabState], action: int, regions: tuple[Region, ...]) -> int:
        """The region the gaze has rested on for ``HOLD_STEPS`` still steps up to this one, else ``NO_REGION``."""
        state = scene.state
        region = gaze_region(scene.pose, regions)
        if region == NO_REGION or ACTION_COMMANDS[action][2] != 0:
            # Arriving by a turn does not count: only steps spent still on the region do.
            state.held, state.held_steps = region, 0
            return NO_REGION
        if region != state.held:
            state.held, state.held_steps = region, 0
        state.held_steps += 1
        return region if state.held_steps >= HOLD_STEPS else NO_REGION

    def pressed_button(
        self, scene: Scene[PsychlabState], action: int, buttons: tuple[Region, ...] | None = None
    ) -> int:
        """The button chosen this step: entered since the buttons appeared, then rested on ``HOLD_STEPS`` steps."""
        regions = self.buttons if buttons is None else buttons
        state = scene.state
        if gaze_region(scene.pose, regions) != state.unarmed:
            state.unarmed = NO_REGION
        button = self.resting_on(scene, action, regions)
        if button == NO_REGION or button == state.unarmed:
            return NO_REGION
        return button

    def window_closed(self, scene: Scene[PsychlabState]) -> bool:
        """Count down the response window; True once it has closed (the trial is then missed)."""
        scene.state.window -= 1
        return scene.state.window <= 0

    def rules(self, scene: Scene[PsychlabState], action: int, rng: np.random.Generator) -> float:
        """Fixation starts a trial; a rested-on button answers it; intervals and timeouts separate trials."""
        state = scene.state
        phase = state.phase
        if scene.end_in is not None:
            return 0.0
        if phase == FIXATE:
            if self.resting_on(scene, action, (CROSS,)) == 0:
                self.start_trial(scene, rng)
            return 0.0
        if phase == ITI:
            state.timer -= 1
            if state.timer <= 0:
                self.show_fixation(scene)
            return 0.0
        if phase == RESPOND:
            button = self.pressed_button(scene, action)
            if button != NO_REGION:
                return self.finish_trial(scene, button, rng)
            if self.window_closed(scene):
                return self.finish_trial(scene, NO_REGION, rng)
            return 0.0
        return self.advance(scene, action, rng)

    def finish_trial(self, scene: Scene[PsychlabState], button: int, rng: np.random.Generator) -> float:
        """Score an answer (+1 if right; ``NO_REGION``: missed), then the interval or timeout, or at the cap the end."""
        state = scene.state
        correct = button != NO_REGION and button == self.correct_button(scene)
        state.trials += 1
        state.correct += int(correct)
        state.missed += int(button == NO_REGION)
        state.last_answer = button
        self.answered(scene, button, correct, rng)
        if correct:
            state.timeout_level, timer = max(0, state.timeout_level - RIGHT_LEVEL_DOWN), self.iti_steps
        else:
            state.timeout_level += ERROR_LEVEL_UP
            timer = error_timeout(state.timeout_level)
        self.show(scene, self.feedback_image(scene, button, correct))
        state.phase, state.timer = ITI, timer
        if state.trials >= self.max_trials:
            scene.end_after()
        return 1.0 if correct else 0.0

    # -- oracle and chance answering --------------------------------------------------------------
    def oracle(self, scene: Scene[PsychlabState]) -> int:
        """Turn the gaze to the cross, then to the right button (read from privileged state), and rest there."""
        return self.guess_action(scene, self.correct_button(scene) if scene.state.phase == RESPOND else 0)

    def guess_action(self, scene: Scene[PsychlabState], target: int) -> int:
        """The oracle's moves with ``target`` (an index into ``buttons``) as the answer: fixate, then rest on it."""
        phase = scene.state.phase
        if phase == FIXATE:
            return aim(scene.pose, CROSS.centre_deg)
        if phase == ITI:
            return FIRE
        if phase == RESPOND:
            if gaze_region(scene.pose, self.buttons) == target == scene.state.unarmed:
                # The right button was under the gaze when it appeared: step off it, then come back.
                return LOOK_LEFT if self.buttons[target].centre_deg > 0 else LOOK_RIGHT
            return aim(scene.pose, self.buttons[target].centre_deg)
        target_deg = self.oracle_target(scene)
        return FIRE if target_deg is None else aim(scene.pose, target_deg)


class ChanceAnswerer:
    """Fixate-then-guess: the oracle's fixation and answer moves with a button drawn uniformly per trial."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.trial, self.button = -1, 0

    def action(self, level: PsychlabLevel, scene: Scene[PsychlabState]) -> int:
        """This step's action: a new random button at each trial's response phase, then rest on it."""
        state = scene.state
        if state.phase == RESPOND and state.trials != self.trial:
            self.trial, self.button = state.trials, int(self.rng.integers(len(level.buttons)))
        return level.guess_action(scene, self.button)


def error_timeout(level: int) -> int:
    """Steps of the error timeout at a timeout level (>= 1): 2 s, doubled every level above 1, at most 300 s."""
    if level < 1:
        raise ValueError(f"timeout level must be >= 1 after an error, got {level!r}")
    return min(MAX_TIMEOUT_STEPS, ERROR_TIMEOUT_STEPS * 2 ** min(level - 1, 16))


def aim(pose: Pose, target_deg: float) -> int:
    """Turn towards a gaze angle; hold still (fire) once within half a look step of it."""
    error = target_deg - gaze_angle(pose)
    error = (error + 180.0) % 360.0 - 180.0
    if abs(error) <= HOLD_TOLERANCE_DEG + 1e-9:
        return FIRE
    return LOOK_RIGHT if error > 0 else LOOK_LEFT

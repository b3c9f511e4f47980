"""PsychLab levels: gaze geometry, turn-only movement, trial rules, staircases, determinism, oracle vs random."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zipfian_envs.engine.actions import FIRE, FORWARD, LOOK_LEFT, LOOK_RIGHT, STRAFE_LEFT
from zipfian_envs.engine.colours import unpack
from zipfian_envs.engine.raycast import centre_ray
from zipfian_envs.engine.world import TURN_STEP_RAD, Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import load_level
from zipfian_envs.labyrinth.levels.psychlab_visual_search import SET_SIZES
from zipfian_envs.labyrinth.psychlab_common import (
    CROSS,
    ERROR_LEVEL_UP,
    FACING_SCREEN,
    FIXATE,
    HOLD_STEPS,
    ITI,
    ITI_STEPS,
    MIDLINE_ROW,
    NO_REGION,
    RESPOND,
    RESPONSE_STEPS,
    SCREEN_COLS,
    SCREEN_END_M,
    SCREEN_MATERIAL,
    SCREEN_START_M,
    Region,
    angle_to_column,
    error_timeout,
    gaze_angle,
    gaze_region,
)

LEVELS = (
    "psychlab_arbitrary_visuomotor_mapping",
    "psychlab_continuous_recognition",
    "psychlab_sequential_comparison",
    "psychlab_visual_search",
)


def look_at(scene, angle_deg: float) -> None:
    """Put the gaze at ``angle_deg`` from the screen normal (a scripted situation)."""
    pose = scene.pose
    scene.pose = Pose(x=pose.x, y=pose.y, yaw=(FACING_SCREEN + math.radians(angle_deg)) % (2 * math.pi))


def start_trial(level, seed: int = 0):
    """A scene whose first trial has just started (the gaze fixated the cross)."""
    rng = np.random.default_rng(seed)
    scene = level.reset(rng)
    look_at(scene, 0.0)
    for _ in range(HOLD_STEPS):
        assert level.step(scene, FIRE, rng) == 0.0
    return scene, rng


def hold(level, scene, rng) -> float:
    """Rest the gaze where it is for ``HOLD_STEPS`` steps: the reward they earn."""
    return sum(level.step(scene, FIRE, rng) for _ in range(HOLD_STEPS))


def answer(level, scene, rng, button: int) -> float:
    """Look at ``button`` and rest there: the reward of the answer."""
    look_at(scene, level.buttons[button].centre_deg)
    return hold(level, scene, rng)


def run(level, policy: str, seed: int) -> float:
    rng, actions = np.random.default_rng(seed), np.random.default_rng(seed + 100)
    scene, total = level.reset(rng), 0.0
    while not scene.terminated and scene.steps < level.max_steps:
        action = level.oracle(scene) if policy == "oracle" else int(actions.integers(9))
        total += level.step(scene, action, rng)
    return total


def test_gaze_angle_matches_the_engines_centre_ray():
    level = load_level(LEVELS[0])
    scene = level.reset(np.random.default_rng(0))
    for angle in np.linspace(-62, 62, 25):
        look_at(scene, float(angle))
        hit = centre_ray(scene.grid, scene.pose)
        assert hit.material[0] == SCREEN_MATERIAL
        column = (hit.along[0] - SCREEN_START_M) / (SCREEN_END_M - SCREEN_START_M) * SCREEN_COLS
        assert column == pytest.approx(angle_to_column(gaze_angle(scene.pose)), abs=1e-6)
    look_at(scene, 120.0)
    assert centre_ray(scene.grid, scene.pose).material[0] != SCREEN_MATERIAL
    assert gaze_region(scene.pose, (Region(-180, 180),)) == NO_REGION


@pytest.mark.parametrize("name", LEVELS)
def test_movement_is_zeroed_and_only_turning_moves_the_gaze(name):
    level = load_level(name)
    rng = np.random.default_rng(1)
    scene = level.reset(rng)
    x, y, yaw = scene.pose.x, scene.pose.y, scene.pose.yaw
    for action in (FORWARD, STRAFE_LEFT, 1, 3, 6, 7, FIRE):
        level.step(scene, action, rng)
        assert (scene.pose.x, scene.pose.y) == (x, y)
    level.step(scene, LOOK_RIGHT, rng)
    assert scene.pose.yaw != pytest.approx(yaw)


@pytest.mark.parametrize("name", LEVELS)
def test_every_region_is_reachable_from_any_spawn_heading(name):
    level = load_level(name)
    regions = (CROSS, *level.buttons)
    for start in np.linspace(-45, 45, 37):
        reachable = start + np.degrees(TURN_STEP_RAD) * np.arange(-12, 13)
        for region in regions:
            assert any(region.contains(a) for a in reachable), (name, start, region)


@pytest.mark.parametrize("name", LEVELS)
def test_a_trial_starts_only_when_the_gaze_is_on_the_cross(name):
    level = load_level(name)
    rng = np.random.default_rng(2)
    scene = level.reset(rng)
    look_at(scene, 25.0)
    for _ in range(5):
        level.step(scene, FIRE, rng)
    assert scene.state.phase == FIXATE
    look_at(scene, 0.0)
    level.step(scene, FIRE, rng)
    assert scene.state.phase == FIXATE  # one still step is a glance, not a fixation
    for _ in range(HOLD_STEPS - 1):
        level.step(scene, FIRE, rng)
    assert scene.state.phase != FIXATE


def reach_response(level, scene, rng):
    """For sequential comparison: end the study phase and wait out the delay."""
    if level.name == "psychlab_sequential_comparison":
        look_at(scene, level.buttons[1].centre_deg)
        hold(level, scene, rng)
        look_at(scene, 0.0)
        while scene.state.phase != RESPOND:
            level.step(scene, FIRE, rng)
    assert scene.state.phase == RESPOND


@pytest.mark.parametrize("name", LEVELS)
def test_right_answer_pays_one_and_wrong_answer_zero(name):
    level = load_level(name)
    scene, rng = start_trial(level, seed=3)
    reach_response(level, scene, rng)
    right = level.correct_button(scene)
    assert answer(level, scene, rng, right) == 1.0
    assert scene.state.trials == 1 and scene.state.phase == ITI
    look_at(scene, 0.0)
    while scene.state.phase != FIXATE:
        level.step(scene, FIRE, rng)
    hold(level, scene, rng)
    reach_response(level, scene, rng)
    wrong = (level.correct_button(scene) + 1) % len(level.buttons)
    assert answer(level, scene, rng, wrong) == 0.0
    assert scene.state.trials == 2 and scene.state.correct == 1


def test_sweeping_across_a_button_does_not_answer():
    level = load_level("psychlab_arbitrary_visuomotor_mapping")
    scene, rng = start_trial(level)
    # Sweep the gaze right across both right-hand buttons and back: turning never answers.
    for action in [LOOK_RIGHT] * 7 + [LOOK_LEFT] * 14:
        assert level.step(scene, action, rng) == 0.0
    assert scene.state.trials == 0 and scene.state.phase == RESPOND


def test_a_button_under_the_gaze_when_it_appears_must_be_entered_again():
    level = load_level("psychlab_sequential_comparison")
    scene, rng = start_trial(level, seed=4)
    look_at(scene, level.buttons[1].centre_deg)  # the turquoise study button
    hold(level, scene, rng)
    while scene.state.phase != RESPOND:
        level.step(scene, FIRE, rng)
    # The gaze still rests where the "same" button appears: holding does not answer.
    for _ in range(3):
        assert level.step(scene, FIRE, rng) == 0.0
    assert scene.state.trials == 0
    level.step(scene, LOOK_LEFT, rng)
    level.step(scene, LOOK_LEFT, rng)
    look_at(scene, level.buttons[1].centre_deg)
    hold(level, scene, rng)
    assert scene.state.trials == 1


def test_arbitrary_mapping_tints_the_first_showing_and_grows_the_set():
    level = load_level("psychlab_arbitrary_visuomotor_mapping")
    scene, rng = start_trial(level, seed=5)
    green = np.array([60, 190, 70])

    def button_colours():
        image = unpack(scene.screens[0].image)
        return [image[MIDLINE_ROW, int(np.mean(region.columns()))] for region in level.buttons]

    right = level.correct_button(scene)
    colours = button_colours()
    assert (colours[right] == green).all()
    assert all(not (c == green).all() for i, c in enumerate(colours) if i != right)
    assert answer(level, scene, rng, right) == 1.0
    assert scene.state.set_size == 1
    look_at(scene, 0.0)
    while scene.state.phase != RESPOND:
        level.step(scene, FIRE, rng)
    # A perfect pass through the one-picture set adds a second picture.
    assert scene.state.set_size == 2
    if scene.state.shown.sum() == 1:  # the old picture again: no tint now
        assert all(not (c == green).all() for c in button_colours())


def test_continuous_recognition_repeats_only_pictures_already_shown():
    level = load_level("psychlab_continuous_recognition")
    rng = np.random.default_rng(6)
    scene = level.reset(rng)
    shown: set[int] = set()
    answers = []
    for trial in range(40):
        look_at(scene, 0.0)
        while scene.state.phase != RESPOND:
            level.step(scene, FIRE, rng)
        current, is_new = scene.state.current, scene.state.answer == 0
        assert is_new == (current not in shown)
        if trial == 0:
            assert is_new
        shown.add(current)
        answers.append(is_new)
        answer(level, scene, rng, level.correct_button(scene))
    assert 10 < sum(answers) < 30


def test_sequential_comparison_changes_at_most_one_square_and_follows_the_staircase():
    level = load_level("psychlab_sequential_comparison")
    rng = np.random.default_rng(7)
    scene = level.reset(rng)
    sizes, delays = [], set()
    for trial in range(30):
        look_at(scene, 0.0)
        while scene.state.phase == FIXATE or scene.state.phase == ITI:
            level.step(scene, FIRE, rng)
        state = scene.state
        sizes.append(state.set_size)
        changed = int((state.colours != state.test_colours).sum())
        assert changed == (1 if state.answer == 0 else 0)
        look_at(scene, level.buttons[1].centre_deg)
        hold(level, scene, rng)
        delays.add(state.timer)
        look_at(scene, 0.0)
        while state.phase != RESPOND:
            level.step(scene, FIRE, rng)
        wrong = trial % 5 == 4
        button = (level.correct_button(scene) + int(wrong)) % 2
        answer(level, scene, rng, button)
    # Two right answers raise the set size, a wrong one lowers it.
    assert sizes[:5] == [1, 1, 2, 2, 3]
    assert sizes[5] == 2
    assert delays <= {2, 4, 8, 16, 32, 64} and len(delays) > 2


def magenta_ts(image: np.ndarray) -> int:
    """How many magenta 'T' glyphs an image shows."""
    from zipfian_envs.labyrinth.levels.psychlab_visual_search import GLYPHS, MAGENTA

    mask = (image == MAGENTA).all(axis=2)
    windows = np.lib.stride_tricks.sliding_window_view(mask, (5, 5))
    return int((windows == GLYPHS[0]).all(axis=(2, 3)).sum())


def test_visual_search_target_is_drawn_iff_present_and_set_size_follows_the_staircase():
    level = load_level("psychlab_visual_search")
    rng = np.random.default_rng(8)
    scene = level.reset(rng)
    steps, probe_sizes = [], set()
    for _ in range(40):
        look_at(scene, 0.0)
        while scene.state.phase != RESPOND:
            level.step(scene, FIRE, rng)
        state = scene.state
        present = state.answer == 1
        assert magenta_ts(unpack(scene.screens[0].image)) == int(present)
        if state.probe:
            probe_sizes.add(state.set_size)
        else:
            assert state.set_size == SET_SIZES[state.level]
            steps.append(state.level)
        button = level.correct_button(scene) if len(steps) <= 9 else 1 - level.correct_button(scene)
        answer(level, scene, rng, button)
    # Right answers climb DMLab's list one step each, wrong ones step down; probes leave it alone.
    assert steps[:12] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7]
    assert probe_sizes and probe_sizes <= set(SET_SIZES)


@pytest.mark.parametrize("name", LEVELS)
def test_trial_cap_ends_the_episode_early(name):
    level = load_level(name)
    rng = np.random.default_rng(9)
    scene = level.reset(rng)
    while not scene.terminated:
        level.step(scene, level.oracle(scene), rng)
        assert scene.steps < level.max_steps
    assert scene.state.trials == level.max_trials


def test_episode_ends_at_the_time_limit_without_answers():
    env = LabyrinthEnv(task="psychlab_visual_search")
    env.reset(seed=0)
    steps, truncated, terminated = 0, False, False
    while not (truncated or terminated):
        _, reward, terminated, truncated, info = env.step(FORWARD)
        steps += 1
        assert reward == 0.0
    assert truncated and steps == 150 * 15 == env.current_level.max_steps
    assert all(load_level(name).max_steps == 300 * 15 for name in LEVELS[:3])


@pytest.mark.parametrize("name", LEVELS)
def test_same_seed_same_episode(name):
    frames = []
    for _ in range(2):
        env = LabyrinthEnv(task=name)
        obs, _ = env.reset(seed=11)
        images = [obs["image"]]
        for _ in range(60):
            obs, *_ = env.step(env.oracle_action())
            images.append(obs["image"])
        frames.append(np.stack(images))
    assert np.array_equal(frames[0], frames[1])
    assert len({f.tobytes() for f in frames[0]}) > 3  # the display really changes


@pytest.mark.parametrize("name", LEVELS)
def test_oracle_beats_random(name):
    level = load_level(name)
    oracle = [run(level, "oracle", seed) for seed in range(2)]
    random = [run(level, "random", seed) for seed in range(2)]
    assert min(oracle) == level.max_trials
    assert max(random) < 0.3 * level.max_trials


def test_the_screen_picture_is_replaced_only_when_the_display_changes():
    level = load_level("psychlab_visual_search")
    scene, rng = start_trial(level, seed=12)
    screen = scene.screens[0]
    for action in (LOOK_LEFT, LOOK_RIGHT, LOOK_RIGHT, LOOK_LEFT):
        level.step(scene, action, rng)
        assert scene.screens[0] is screen
    answer(level, scene, rng, 0)
    assert scene.screens[0] is not screen


def test_a_region_narrower_than_a_look_step_is_refused():
    with pytest.raises(ValueError, match="narrower than one look step"):
        Region(-4.0, 4.0)


@pytest.mark.parametrize("name", LEVELS)
def test_a_view_that_turns_every_other_step_never_fixates_nor_answers(name):
    level = load_level(name)
    rng = np.random.default_rng(13)
    scene = level.reset(rng)
    total = 0.0
    for step in range(1500):
        total += level.step(scene, (LOOK_RIGHT, FIRE)[step % 2], rng)
    assert total == 0.0 and scene.state.trials == 0 and scene.state.phase == FIXATE


@pytest.mark.parametrize("name", LEVELS)
def test_no_answer_in_the_response_window_is_a_missed_trial_with_a_timeout(name):
    level = load_level(name)
    scene, rng = start_trial(level, seed=14)
    look_at(scene, 0.0)  # between the buttons: never answers
    rewards = [level.step(scene, FIRE, rng) for _ in range(RESPONSE_STEPS)]
    assert sum(rewards) == 0.0
    state = scene.state
    assert (state.trials, state.missed, state.correct, state.phase) == (1, 1, 0, ITI)
    assert state.timer == error_timeout(ERROR_LEVEL_UP) and state.timeout_level == ERROR_LEVEL_UP


def test_wrong_answers_raise_the_timeout_and_right_ones_lower_it():
    assert [error_timeout(level) for level in (1, 2, 3, 4, 5, 6, 12, 40)] == [30, 60, 120, 240, 480, 960, 4500, 4500]
    with pytest.raises(ValueError, match="timeout level must be >= 1"):
        error_timeout(0)
    level = load_level("psychlab_continuous_recognition")
    scene, rng = start_trial(level, seed=15)
    timers = []
    for correct in (False, False, False, True, True, False):
        right = level.correct_button(scene)
        answer(level, scene, rng, right if correct else 1 - right)
        timers.append((scene.state.timer, scene.state.timeout_level))
        look_at(scene, 0.0)
        while scene.state.phase != RESPOND:
            level.step(scene, FIRE, rng)
    assert timers == [(120, 3), (960, 6), (4500, 9), (ITI_STEPS, 8), (ITI_STEPS, 7), (4500, 10)]

"""render(): one frame size per env instance whatever the level or episode, a pure function of state."""

import gymnasium as gym
import numpy as np
import pytest

from zipfian_envs.core.canvas import RENDER_VIEWS, Canvas, fit, upscale

# One id per family plus the levels whose maps differ most in size (and a language level).
IDS = [
    "Zipfian/Gridworld-v0",
    "Zipfian/Playroom-v0",
    "Zipfian/Labyrinth-v0",
]
LABYRINTH_LEVELS = ("language_select_described_object", "explore_goal_locations_large", "rooms_watermaze")


def _frames(env, episodes: int, steps: int):
    frames = []
    for episode in range(episodes):
        env.reset(seed=episode)
        frames.append(env.render())
        for _ in range(steps):
            *_, terminated, truncated, _ = env.step(env.action_space.sample())
            frames.append(env.render())
            if terminated or truncated:
                break
    return frames


@pytest.mark.parametrize("render_view", RENDER_VIEWS)
@pytest.mark.parametrize("env_id", IDS)
def test_every_frame_of_an_instance_has_one_size(env_id, render_view):
    env = gym.make(env_id, render_mode="rgb_array", render_view=render_view)
    env.action_space.seed(0)
    shapes = {frame.shape for frame in _frames(env, episodes=3, steps=4)}
    assert shapes == {env.unwrapped.canvas.shape}
    height, width, _ = env.unwrapped.canvas.shape
    assert height % 2 == 0 and width % 2 == 0  # H.264 needs even sides


def test_labyrinth_levels_of_different_map_sizes_share_the_frame_size():
    shapes = set()
    for level in LABYRINTH_LEVELS:
        env = gym.make("Zipfian/Labyrinth-v0", level=level, render_mode="rgb_array")
        env.action_space.seed(0)
        shapes |= {frame.shape for frame in _frames(env, episodes=2, steps=3)}
    assert shapes == {(288, 672, 3)}


@pytest.mark.parametrize("env_id", IDS)
def test_both_is_the_upscaled_view_beside_the_map(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    obs, _ = env.reset(seed=3)
    frame = env.render()
    canvas = env.unwrapped.canvas
    image = obs["image"] if isinstance(obs, dict) else obs
    view = upscale(image, canvas.factor)
    np.testing.assert_array_equal(frame[: view.shape[0], : view.shape[1]], view)
    only_map = gym.make(env_id, render_mode="rgb_array", render_view="map")
    only_map.reset(seed=3)
    np.testing.assert_array_equal(frame[:, canvas.view_slot_width :], only_map.render())


def test_symbolic_gridworld_renders_the_pixel_view():
    pixels = gym.make("Zipfian/Gridworld-v0", render_mode="rgb_array")
    symbolic = gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic", render_mode="rgb_array")
    pixels.reset(seed=5)
    symbolic.reset(seed=5)
    np.testing.assert_array_equal(pixels.render(), symbolic.render())


@pytest.mark.parametrize("env_id", IDS)
def test_rendering_changes_no_episode(env_id):
    """The same seed gives the same episode whether or not every step is rendered."""
    plain, drawn = gym.make(env_id), gym.make(env_id, render_mode="rgb_array")
    for env in (plain, drawn):
        env.action_space.seed(1)
    traces = []
    for env in (plain, drawn):
        obs, _ = env.reset(seed=7)
        trace = [obs]
        for _ in range(6):
            obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            if env.render_mode:
                env.render()
            trace.append((obs, reward))
            if terminated or truncated:
                break
        traces.append(trace)
    assert len(traces[0]) == len(traces[1])
    for a, b in zip(*traces):
        a_obs, b_obs = (a, b) if not isinstance(a, tuple) else (a[0], b[0])
        if isinstance(a_obs, dict):
            for key in a_obs:
                np.testing.assert_array_equal(a_obs[key], b_obs[key])
        else:
            np.testing.assert_array_equal(a_obs, b_obs)


@pytest.mark.parametrize("env_id", IDS)
@pytest.mark.parametrize("bad", ["top", "", None, 3])
def test_a_bad_render_view_names_the_choices(env_id, bad):
    with pytest.raises(ValueError, match=r"render_view.*valid: both, first_person, map"):
        gym.make(env_id, render_view=bad)


def test_vector_env_frames_tile():
    for env_id in IDS:
        envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", render_mode="rgb_array")
        envs.reset(seed=0)
        frames = envs.render()
        single = gym.make(env_id, render_mode="rgb_array")
        single.reset(seed=0)
        assert {frame.shape for frame in frames} == {single.render().shape}
        envs.close()


def test_fit_scales_up_by_whole_factors_and_shrinks_to_the_box():
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    boxed = fit(image, 7, 7, background=(9, 9, 9))
    assert boxed.shape == (7, 7, 3)
    np.testing.assert_array_equal(boxed[1:5, 0:6], upscale(image, 2))
    assert (boxed[0] == 9).all()
    big = np.zeros((400, 440, 3), np.uint8)
    assert fit(big, 288, 288).shape == (288, 288, 3)
    assert Canvas.for_view("both", 72, 96).shape == (288, 672, 3)

"""Real video clients: Gymnasium's RecordVideo and SB3's VecVideoRecorder write valid videos of every family."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

import zipfian_envs

moviepy = pytest.importorskip("moviepy", reason="video tests need moviepy (the dev extra)")
pytest.importorskip("stable_baselines3")

# Short time limits: a video test needs a few whole episodes, not long ones.
CASES = {
    "labyrinth_language": (
        "Zipfian/Labyrinth-v0",
        {"level": "language_select_described_object", "time_limit_scale": 0.01},
    ),
    "playroom": ("Zipfian/Playroom-v0", {"time_limit_scale": 0.01}),
    "gridworld": ("Zipfian/Gridworld-v0", {"max_steps": 8}),
}


def _frames(path):
    """Every decoded frame's (height, width, 3) shape, read back with moviepy."""
    from moviepy import VideoFileClip

    with VideoFileClip(str(path)) as clip:
        return [frame.shape for frame in clip.iter_frames()]


@pytest.mark.parametrize("case", sorted(CASES))
def test_record_video_writes_three_episodes_of_one_frame_size(case, tmp_path):
    env_id, kwargs = CASES[case]
    env = gym.make(env_id, render_mode="rgb_array", **kwargs)
    env = gym.wrappers.RecordVideo(
        env, str(tmp_path / "videos"), episode_trigger=lambda episode: True, disable_logger=True
    )
    env.action_space.seed(0)
    lengths = []
    for episode in range(3):
        env.reset(seed=episode)
        steps = 0
        while True:
            *_, terminated, truncated, _ = env.step(env.action_space.sample())
            steps += 1
            if terminated or truncated:
                break
        lengths.append(steps)
    env.close()
    videos = sorted((tmp_path / "videos").glob("*.mp4"), key=lambda p: int(p.stem.rsplit("-", 1)[-1]))
    assert len(videos) == 3
    expected = env.unwrapped.canvas.shape
    for video, steps in zip(videos, lengths):
        shapes = _frames(video)
        assert set(shapes) == {expected}
        assert abs(len(shapes) - (steps + 1)) <= 1  # the reset frame and one per step (the codec may round)


@pytest.mark.parametrize("case", ["labyrinth_language", "playroom"])
def test_sb3_vec_video_recorder_on_two_native_envs(case, tmp_path):
    from stable_baselines3.common.vec_env import VecVideoRecorder

    env_id, kwargs = CASES[case]
    native = gym.make_vec(
        env_id,
        num_envs=2,
        vectorization_mode="vector_entry_point",
        autoreset_mode=AutoresetMode.SAME_STEP,
        render_mode="rgb_array",
        **kwargs,
    )
    venv = VecVideoRecorder(
        zipfian_envs.vector.to_sb3(native),
        str(tmp_path),
        record_video_trigger=lambda step: step == 0,
        video_length=30,
        name_prefix=case,
    )
    venv.reset()
    rng = np.random.default_rng(0)
    for _ in range(35):  # past episode ends, so resets happen mid-video
        venv.step(rng.integers(0, native.single_action_space.n, size=2))
    venv.close()
    (video,) = tmp_path.glob("*.mp4")
    shapes = _frames(video)
    height, width, _ = gym.make(env_id, render_mode="rgb_array", **kwargs).unwrapped.canvas.shape
    assert set(shapes) == {(2 * height, width, 3)}  # SB3 tiles the two frames one above the other
    assert abs(len(shapes) - 31) <= 1

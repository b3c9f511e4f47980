"""Env arguments past the documented limits fail at once; bad actions and steps after close() raise (issue 27)."""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.gridworld import dynamics
from zipfian_envs.gridworld.env import GridworldEnv
from zipfian_envs.playroom.env import PlayroomEnv


@pytest.mark.parametrize(
    ("env_id", "kwargs", "message"),
    [
        ("Zipfian/Labyrinth-v0", {"width": 10**6}, r"width must be in 8\.\.1024, got 1000000"),
        ("Zipfian/Labyrinth-v0", {"height": 2000}, r"height must be in 8\.\.1024"),
        ("Zipfian/Playroom-v0", {"width": 4096}, r"width must be in 8\.\.1024"),
        ("Zipfian/Gridworld-v0", {"room_size": 10**6}, r"room_size must be in 3\.\.16, got 1000000"),
        ("Zipfian/Gridworld-v0", {"rooms": 10**6}, r"rooms must be in 1\.\.8"),
        ("Zipfian/Gridworld-v0", {"num_maps": 10**6}, r"num_maps must be in 1\.\.10000, got 1000000"),
        ("Zipfian/Gridworld-v0", {"max_steps": 10**9}, r"max_steps must be in 1\.\.1000000"),
    ],
)
def test_sizes_past_the_limits_raise_within_a_second(env_id: str, kwargs: dict[str, int], message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match=message):
        gym.make(env_id, **kwargs)
    assert time.perf_counter() - start < 1.0


def test_too_many_vector_envs_raise_within_a_second() -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"num_envs must be <= 65536 .*got 1000000000"):
        gym.make_vec("Zipfian/Gridworld-v0", num_envs=10**9, vectorization_mode="vector_entry_point")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "action",
    [
        np.array([0, 0, 1.5, 0, 0], np.float32),
        np.array([-1.01, 0, 0, 0, 0]),
        np.array([0, 0, 0, 0, 1j]),
        np.array([True, False, False, False, False]),
        np.array(["0", "0", "0", "0", "0"]),
        [0, 0, 0, 0, None],
        np.array([0, 0, np.nan, 0, 0]),
    ],
)
def test_continuous_playroom_refuses_actions_outside_the_box_and_non_real_ones(action: object) -> None:
    env = PlayroomEnv(action_mode="continuous")
    env.reset(seed=0)
    pose = env.state.pose
    with pytest.raises(ValueError, match=r"5 finite numbers in \[-1, 1\]"):
        env.step(action)
    assert env.state.pose == pose
    env.step(np.array([1.0, -1.0, 0.5, 0, 0], np.float32))  # the box's own bounds are fine


def test_the_continuous_vector_playroom_checks_the_whole_batch_first() -> None:
    envs = gym.make_vec("Zipfian/Playroom-v0", num_envs=2, vectorization_mode="vector_entry_point",
                        action_mode="continuous")  # fmt: skip
    envs.reset(seed=0)
    for bad in (np.array([[0, 0, 0, 0, 0], [0, 0, 2.0, 0, 0]]), np.zeros((2, 5), complex), np.zeros((2, 5), bool)):
        with pytest.raises(ValueError, match="actions must be"):
            envs.step(bad)
    envs.step(np.zeros((2, 5), np.float32))
    envs.close()


@pytest.mark.parametrize(
    ("env_id", "action"),
    [("Zipfian/Gridworld-v0", 0), ("Zipfian/Labyrinth-v0", 0), ("Zipfian/Playroom-v0", 0)],
)
def test_step_after_close_raises_and_reset_starts_again(env_id: str, action: int) -> None:
    env = gym.make(env_id).unwrapped
    first = env.reset(seed=3)[0]
    env.close()
    with pytest.raises(RuntimeError, match=r"after close\(\)"):
        env.step(action)
    again = env.reset(seed=3)[0]  # the same episode as before close: nothing of the dynamics changed
    if isinstance(first, dict):
        np.testing.assert_array_equal(first["image"], again["image"])
    else:
        np.testing.assert_array_equal(first, again)
    env.step(action)


def test_closing_a_gridworld_frees_its_map_tables() -> None:
    env = GridworldEnv(num_maps=30)
    env.reset(seed=0)
    assert dynamics.world_tables.cache_info().currsize >= 1
    env.close()
    assert dynamics.world_tables.cache_info().currsize == 0
    assert not hasattr(env, "_world") and not hasattr(env, "maps")

"""SkyMaze levels: generator facts, reachability, one-way drops and traps, the goal, determinism, oracle vs random."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zipfian_envs.engine.actions import BACKWARD, FORWARD, LOOK_LEFT
from zipfian_envs.engine.world import STEP_HEIGHT_M, VOID_HEIGHT, Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import load_level
from zipfian_envs.labyrinth.skymaze_common import (
    GOAL_REWARD,
    HEIGHT_UNIT_M,
    generate_platforms,
    maze_parameters,
    reachable,
)

LEVELS = ("skymaze_irreversible_path_hard", "skymaze_irreversible_path_varied")
DIFFICULTIES = (0.0, 0.25, 0.5, 0.75, 0.9, 0.999)


def test_maze_parameters_follow_the_generator():
    assert maze_parameters(0.9) == (9, 7, 10)  # dmlab30.md: 9x9 path grid, 7 paths, detour <= 10
    assert maze_parameters(0.0) == (4, 1, 1)
    assert maze_parameters(0.25) == (6, 3, 3)  # round half up, as Lua's floor(x + 0.5)
    with pytest.raises(ValueError, match="difficulty"):
        maze_parameters(1.5)


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_map_layout_heights_and_main_path(difficulty):
    side, paths, detour = maze_parameters(difficulty)
    side_paths_seen = 0
    for seed in range(15):
        maze = generate_platforms(np.random.default_rng(seed), difficulty)
        heights, main, side_cells = maze["heights"], maze["main"], maze["side"]
        assert heights.shape == (2 * side + 1, 2 * side + 1)
        solid = heights > VOID_HEIGHT
        # Corners between path nodes and the outer ring are always void: paths touch only along themselves.
        assert not solid[::2, ::2].any() and not solid[0].any() and not solid[:, 0].any()
        assert solid.sum() == len(main) + len(side_cells)
        # Start in the first third of node rows, goal in the last third; the start is the highest platform.
        third = max(1, side // 3)
        assert (main[0][0] - 1) // 2 < third and (main[-1][0] - 1) // 2 >= side - third
        assert heights[tuple(main[0])] == heights[solid].max()
        # The main path is 4-connected, never climbs, and steps down by 0, 1 or 2 units of 0.2 m.
        assert (np.abs(np.diff(main, axis=0)).sum(axis=1) == 1).all()
        drops = -np.diff(heights[main[:, 0], main[:, 1]]) / HEIGHT_UNIT_M
        assert np.allclose(drops, np.round(drops)) and set(np.round(drops).astype(int)) <= {0, 1, 2}
        nodes = (len(main) - 1) // 2
        shortest = abs(main[0][0] - main[-1][0]) // 2 + abs(main[0][1] - main[-1][1]) // 2
        assert nodes <= shortest + detour
        side_paths_seen += int(len(side_cells) > 0)
    if paths > 1:
        assert side_paths_seen >= 10


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_goal_is_always_reachable_and_side_paths_are_traps(difficulty):
    for seed in range(15):
        maze = generate_platforms(np.random.default_rng(100 + seed), difficulty)
        heights, main, side_cells = maze["heights"], maze["main"], maze["side"]
        from_start = reachable(heights, tuple(main[0]))
        assert from_start[main[:, 0], main[:, 1]].all()
        goal = tuple(main[-1])
        for cell in side_cells:
            assert not reachable(heights, tuple(cell))[goal], (seed, cell)


def scene_at(level, cell, toward, seed: int = 0):
    """A scene with the agent at the centre of ``cell`` facing the centre of ``toward``."""
    rng = np.random.default_rng(seed)
    scene = level.reset(rng)
    yaw = math.atan2(toward[0] - cell[0], toward[1] - cell[1])
    scene.pose = Pose(x=cell[1] + 0.5, y=cell[0] + 0.5, yaw=yaw, z=float(scene.grid.heights[tuple(cell)]))
    return scene, rng


def test_stepping_off_a_platform_cannot_climb_back():
    level = load_level("skymaze_irreversible_path_hard")
    for seed in range(20):
        scene, rng = scene_at(level, (1, 1), (1, 2), seed)
        main, heights = scene.state.main, scene.grid.heights
        drops = np.flatnonzero(np.diff(heights[main[:, 0], main[:, 1]]) < 0)
        if drops.size:
            break
    i = int(drops[0])
    high, low = tuple(main[i]), tuple(main[i + 1])
    scene, rng = scene_at(level, high, low, seed)
    for _ in range(6):
        level.step(scene, FORWARD, rng)
    assert scene.pose.cell == low and scene.pose.z == pytest.approx(heights[low])
    # Walking back (backwards, or turned round and forwards) never gets onto the higher platform.
    for action in [BACKWARD] * 10 + [LOOK_LEFT] * 22 + [FORWARD] * 10:
        level.step(scene, action, rng)
        assert scene.pose.cell != high
        assert scene.pose.z <= heights[low] + 1e-6
    assert heights[high] - heights[low] > STEP_HEIGHT_M


def test_the_void_cannot_be_entered():
    level = load_level("skymaze_irreversible_path_hard")
    rng = np.random.default_rng(3)
    scene = level.reset(rng)
    start = scene.state.main[0]
    heights = scene.grid.heights
    void = next((start[0] + dr, start[1] + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                if heights[start[0] + dr, start[1] + dc] <= VOID_HEIGHT)  # fmt: skip
    scene, rng = scene_at(level, tuple(start), void, seed=3)
    for _ in range(15):
        level.step(scene, FORWARD, rng)
        assert scene.pose.cell == tuple(start)


@pytest.mark.parametrize("name", LEVELS)
def test_taking_the_goal_pays_100_and_ends_the_episode(name):
    env = LabyrinthEnv(task=name)
    env.reset(seed=4)
    main = env.scene.state.main
    before, goal = main[-3], main[-1]
    yaw = math.atan2(goal[0] - before[0], goal[1] - before[1])
    env.scene.pose = Pose(x=before[1] + 0.5, y=before[0] + 0.5, yaw=yaw, z=float(env.scene.grid.heights[tuple(before)]))
    rewards, terminated, steps = [], False, 0
    while not terminated:
        _, reward, terminated, truncated, info = env.step(FORWARD)
        rewards.append(reward)
        steps += 1
        assert not truncated and steps < 30
    assert sum(rewards) == GOAL_REWARD and rewards.count(GOAL_REWARD) == 1
    assert len(rewards) - rewards.index(GOAL_REWARD) == 3  # ends 0.2 s (3 steps) after the pickup
    assert info["success"] is True


@pytest.mark.parametrize("name", LEVELS)
def test_episode_ends_at_the_time_limit(name):
    env = LabyrinthEnv(task=name)
    env.reset(seed=5)
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, info = env.step(LOOK_LEFT)
        steps += 1
        done = terminated or truncated
    assert truncated and steps == 60 * 15
    assert info["success"] is False


@pytest.mark.parametrize("name", LEVELS)
def test_same_seed_same_maze(name):
    level = load_level(name)
    a, b = level.reset(np.random.default_rng(6)), level.reset(np.random.default_rng(6))
    assert np.array_equal(a.grid.heights, b.grid.heights) and np.array_equal(a.state.main, b.state.main)
    assert a.pose == b.pose
    c = level.reset(np.random.default_rng(7))
    assert not np.array_equal(a.state.main, c.state.main) or a.grid.heights.shape != c.grid.heights.shape


def test_varied_level_draws_a_new_difficulty_each_episode():
    level = load_level("skymaze_irreversible_path_varied")
    rng = np.random.default_rng(8)
    difficulties = [level.reset(rng).state.difficulty for _ in range(20)]
    assert all(0.0 <= d < 1.0 for d in difficulties) and len(set(difficulties)) == 20
    assert load_level("skymaze_irreversible_path_hard").reset(rng).state.difficulty == 0.9


def run(level, policy: str, seed: int) -> float:
    rng, actions = np.random.default_rng(seed), np.random.default_rng(seed + 100)
    scene, total = level.reset(rng), 0.0
    while not scene.terminated and scene.steps < level.max_steps:
        action = level.oracle(scene) if policy == "oracle" else int(actions.integers(9))
        total += level.step(scene, action, rng)
    return total


@pytest.mark.parametrize("name", LEVELS)
def test_oracle_beats_random(name):
    level = load_level(name)
    oracle = [run(level, "oracle", seed) for seed in range(8)]
    random = [run(level, "random", seed) for seed in range(8)]
    assert min(oracle) == GOAL_REWARD
    assert np.mean(random) < 0.5 * GOAL_REWARD

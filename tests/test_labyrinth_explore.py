"""The eight explore levels: rules in scripted situations, time limits, determinism, oracle versus random."""

import dataclasses
import math
import pickle

import numpy as np
import pytest

from zipfian_envs.engine.actions import FORWARD, LOOK_LEFT
from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, passable
from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.explore_common import DECAL_FREQUENCY, DOOR, FIRST_DECAL, THEMES, random_door_path
from zipfian_envs.labyrinth.levels import load_level

EXPLORE = (
    "explore_object_locations_small",
    "explore_object_locations_large",
    "explore_obstructed_goals_small",
    "explore_obstructed_goals_large",
    "explore_goal_locations_small",
    "explore_goal_locations_large",
    "explore_object_rewards_few",
    "explore_object_rewards_many",
)
LIMITS = {name: 1800 if name.endswith(("_large", "_many")) else 1350 for name in EXPLORE}
GOAL_LEVELS = [n for n in EXPLORE if "goal" in n]


def build(name, seed):
    level = load_level(name)
    return level, level.reset(np.random.default_rng(seed)), np.random.default_rng(1000 + seed)


def same_maze(level, seed):
    """The episode's maze: the level draws it first from the episode's generator."""
    return level.new_maze(np.random.default_rng(seed))


def stand_on(scene, x, y):
    scene.pose = Pose(x=float(x), y=float(y), yaw=scene.pose.yaw)


def cells_of(scene, index):
    return {(int(scene.entities.y[i]), int(scene.entities.x[i])) for i in index}


# -- configuration ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPLORE)
def test_levels_load_with_dmlab_limits_and_docs(name):
    level = load_level(name)
    assert level.name == name and level.family == "explore"
    assert level.max_steps == LIMITS[name]
    assert np.isfinite(level.dmlab_human) and np.isfinite(level.dmlab_random)
    for section in ("Rules:", "Tests:"):
        assert section in type(level).__doc__


@pytest.mark.parametrize("name", EXPLORE)
def test_episode_ends_at_its_time_limit(name):
    env = LabyrinthEnv(task=name, width=16, height=12)
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(int(rng.integers(9)))
        steps += 1
    # Explore levels only restart the map: they never end early.
    assert truncated and not terminated and steps == LIMITS[name]
    assert "normalized_score" in info


@pytest.mark.parametrize("name", EXPLORE)
def test_same_seed_same_scene(name):
    level = load_level(name)
    a, b = level.reset(np.random.default_rng(11)), level.reset(np.random.default_rng(11))
    for field in ("walls", "floor", "textures"):
        assert np.array_equal(getattr(a.grid, field), getattr(b.grid, field))
    assert a.pose == b.pose
    for field in a.entities.__dataclass_fields__:
        assert np.array_equal(getattr(a.entities, field), getattr(b.entities, field))
    assert type(a.state) is type(b.state)
    for field in dataclasses.fields(a.state):
        assert np.array_equal(getattr(a.state, field.name), getattr(b.state, field.name))
    c = level.reset(np.random.default_rng(12))
    assert not (np.array_equal(a.grid.walls, c.grid.walls) and a.pose == c.pose)
    # Steps with the same actions and generator stay identical.
    ra, rb = np.random.default_rng(5), np.random.default_rng(5)
    for t in range(60):
        assert level.step(a, t % 9, ra) == level.step(b, t % 9, rb)
    assert a.pose == b.pose


def test_themes_vary_and_decals_appear_on_about_a_tenth_of_the_facing_walls():
    level = load_level("explore_goal_locations_small")
    themes, decals, facing = set(), 0, 0
    for seed in range(40):
        scene = level.reset(np.random.default_rng(seed))
        themes.add(scene.state.theme)
        open_cells = scene.grid.walls == 0
        # Open doors count as open; the small goal level has no doors, so open means floor.
        padded = np.pad(open_cells, 1)
        faces = ~open_cells & (padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:])
        decals += int((scene.grid.walls >= FIRST_DECAL).sum())
        facing += int(faces.sum())
        assert not (scene.grid.walls[~faces & ~open_cells] >= FIRST_DECAL).any()
    assert len(themes) >= 4 and len(THEMES) >= 4
    assert abs(decals / facing - DECAL_FREQUENCY) < 0.03


# -- object locations ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["explore_object_locations_small", "explore_object_locations_large"])
def test_apples_pay_one_and_all_taken_restart_the_same_apples(name):
    seed = 4
    level, scene, rng = build(name, seed)
    maze = same_maze(level, seed)
    ents = scene.entities
    objects = {tuple(c) for c in maze.all_objects().tolist()}
    apples = cells_of(scene, range(len(ents)))
    assert apples <= objects and len(apples) == round(0.5 * len(objects))
    assert scene.pose.cell not in apples
    xs, ys = ents.x.copy(), ents.y.copy()
    for i in range(len(ents)):
        stand_on(scene, xs[i], ys[i])
        reward = level.step(scene, LOOK_LEFT, rng)
        assert reward == 1.0
        if i < len(ents) - 1:
            assert not ents.active[i] and scene.state.restarts == 0
    # The last apple restarted the map: the same apples are back and the agent is on a spawn cell.
    assert scene.state.restarts == 1 and scene.entities.active.all()
    assert np.array_equal(scene.entities.x, xs) and np.array_equal(scene.entities.y, ys)
    assert scene.pose.cell in {tuple(c) for c in maze.all_spawns().tolist()} - apples
    assert level.step(scene, LOOK_LEFT, rng) == 0.0


# -- goal locations and obstructed goals -----------------------------------------------------------


@pytest.mark.parametrize("name", GOAL_LEVELS)
def test_goal_pays_ten_restarts_and_stays_put(name):
    for seed in range(3):
        level, scene, rng = build(name, seed)
        maze = same_maze(level, seed)
        goal = tuple(scene.state.goal.tolist())
        assert goal in {tuple(c) for c in maze.all_objects().tolist()}
        assert len(scene.entities) == 1
        gx, gy = float(scene.entities.x[0]), float(scene.entities.y[0])
        for restart in range(1, 4):
            assert maze.room[scene.pose.cell] >= 0 and maze.room[scene.pose.cell] != maze.room[goal]
            stand_on(scene, gx, gy)
            assert level.step(scene, LOOK_LEFT, rng) == 10.0
            assert scene.state.restarts == restart and scene.entities.active[0]
            assert (scene.entities.x[0], scene.entities.y[0]) == (gx, gy)
            assert math.hypot(scene.pose.x - gx, scene.pose.y - gy) > 1.0


@pytest.mark.parametrize("name", ["explore_obstructed_goals_small", "explore_obstructed_goals_large"])
def test_doors_leave_one_way_open_and_are_redrawn_at_each_restart(name):
    shut_off_path, doors_off_path, changed = 0, 0, 0
    for seed in range(8):
        level, scene, rng = build(name, seed)
        doors = scene.state.door_cells
        assert len(doors) > 0
        goal = tuple(scene.state.goal.tolist())
        states = []
        for _ in range(4):
            walls = scene.grid.walls[doors[:, 0], doors[:, 1]]
            assert set(np.unique(walls).tolist()) <= {0, DOOR}
            # The goal is always reachable with the doors as they are.
            assert distance_field(passable(scene.grid), [goal])[scene.pose.cell] != UNREACHABLE
            regions = scene.state.regions
            states.append(walls.copy())
            stand_on(scene, goal[1] + 0.5, goal[0] + 0.5)
            assert level.step(scene, LOOK_LEFT, rng) == 10.0
        changed += any(not np.array_equal(states[0], s) for s in states[1:])
        # Off the path, about half the doors are shut: count the doors no spawn-goal path needs.
        edges = scene.state.door_edges
        start = int(regions[scene.pose.cell])
        on_path = random_door_path(np.random.default_rng(0), edges, start, int(regions[goal]))
        shut = scene.grid.walls[doors[:, 0], doors[:, 1]] == DOOR
        doors_off_path += int((~on_path).sum())
        shut_off_path += int((shut & ~on_path).sum())
    assert changed >= 6
    assert 0.3 < shut_off_path / doors_off_path < 0.65


def test_a_shut_door_blocks_the_way():
    level, scene, rng = build("explore_obstructed_goals_small", 0)
    doors = scene.state.door_cells
    row, col = (int(v) for v in doors[0])
    scene.grid.walls[row, col] = DOOR
    # Stand in front of the door (on the open side above or left of it), facing it, and push forward.
    if row % 2 == 0:
        start, yaw = (row - 1, col), math.pi / 2
    else:
        start, yaw = (row, col - 1), 0.0
    scene.pose = Pose(x=start[1] + 0.5, y=start[0] + 0.5, yaw=yaw)
    for _ in range(20):
        level.step(scene, FORWARD, rng)
        assert scene.pose.cell != (row, col)


def test_random_door_path_joins_start_and_goal():
    # Regions 0-1-2 in a line plus a side door 1-3 and a loop 0-2.
    edges = np.array([[0, 1], [1, 2], [1, 3], [0, 2]])
    for seed in range(10):
        on_path = random_door_path(np.random.default_rng(seed), edges, 0, 2)
        assert not on_path[2]
        assert on_path.tolist() in ([True, True, False, False], [False, False, False, True])
    assert not random_door_path(np.random.default_rng(0), edges, 1, 1).any()
    with pytest.raises(ValueError, match="cannot be reached"):
        random_door_path(np.random.default_rng(0), edges, 0, 7)


# -- object rewards --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, categories", [("explore_object_rewards_few", 4), ("explore_object_rewards_many", 8)])
def test_object_rewards_good_bad_one_per_category_and_restart(name, categories):
    seed = 2
    level, scene, rng = build(name, seed)
    maze = same_maze(level, seed)
    assert maze.num_rooms == 1 and maze.rooms[0].tolist() == [1, 1, 11, 11]
    object_cells = {tuple(c) for c in maze.all_objects().tolist()}
    assert len(object_cells) == 2 * categories
    values = scene.state.values.copy()
    assert sorted(values.tolist()) == [-1.0] * (categories // 2) + [2.0] * (categories // 2)
    placements = []
    for restart in range(3):
        ents = scene.entities
        assert sorted(ents.kind.tolist()) == list(range(categories)) and ents.active.all()
        assert np.array_equal(ents.value, values[ents.kind])
        assert np.array_equal(ents.shape, scene.state.shapes[ents.kind])
        assert cells_of(scene, range(len(ents))) <= object_cells
        placements.append(cells_of(scene, range(len(ents))))
        # A bad object costs 1 and restarts nothing.
        bad = int(np.flatnonzero(ents.value < 0)[0])
        stand_on(scene, ents.x[bad], ents.y[bad])
        assert level.step(scene, LOOK_LEFT, rng) == -1.0
        assert not ents.active[bad] and scene.state.restarts == restart
        good = np.flatnonzero(ents.value > 0)
        for k, i in enumerate(good):
            stand_on(scene, ents.x[i], ents.y[i])
            assert level.step(scene, LOOK_LEFT, rng) == 2.0
            assert scene.state.restarts == restart + (k == len(good) - 1)
        assert np.array_equal(scene.state.values, values)
    assert len({frozenset(p) for p in placements}) > 1


# -- pickling and oracles --------------------------------------------------------------------------


def test_env_pickles_mid_episode_with_doors():
    env = LabyrinthEnv(task="explore_obstructed_goals_small", width=32, height=24)
    env.reset(seed=1)
    for _ in range(30):
        env.step(env.oracle_action())
    clone = pickle.loads(pickle.dumps(env))
    for t in range(40):
        a = env.step(t % 9)
        b = clone.step(t % 9)
        assert np.array_equal(a[0]["image"], b[0]["image"]) and a[1:4] == b[1:4]


def run_level(name, seed, policy, steps):
    level, scene, rng = build(name, seed)
    actions = np.random.default_rng(seed + 50)
    score = 0.0
    for _ in range(steps):
        action = level.oracle(scene) if policy == "oracle" else int(actions.integers(9))
        score += level.step(scene, action, rng)
    return score


@pytest.mark.parametrize("name", EXPLORE)
def test_oracle_beats_random(name):
    steps = 450
    oracle = [run_level(name, seed, "oracle", steps) for seed in (0, 1)]
    random = [run_level(name, seed, "random", steps) for seed in (0, 1)]
    assert min(oracle) > 0
    assert np.mean(oracle) > 3 * max(np.mean(random), 1.0), (oracle, random)

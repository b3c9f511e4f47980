"""The three natlab levels: mushrooms, regrowth, fixed and varying maps, time limits, determinism, oracle."""

import dataclasses
import math
import pickle

import numpy as np
import pytest

from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import load_level
from zipfian_envs.labyrinth.levels.natlab_fixed_large_map import MUSHROOMS as FIXED_MUSHROOMS
from zipfian_envs.labyrinth.levels.natlab_fixed_large_map import fixed_map
from zipfian_envs.labyrinth.levels.natlab_varying_map_randomized import MUSHROOMS as RANDOM_MUSHROOMS
from zipfian_envs.labyrinth.levels.natlab_varying_map_randomized import medium_map
from zipfian_envs.labyrinth.levels.natlab_varying_map_regrowth import REGROW_SECONDS, small_map
from zipfian_envs.labyrinth.natlab_common import MUSHROOM, SCENERY, TIMES_OF_DAY, generate_natmap

NATLAB = ("natlab_fixed_large_map", "natlab_varying_map_regrowth", "natlab_varying_map_randomized")
LOOK = 4  # look left: turning in place moves nobody onto anything


def build(name, seed):
    level = load_level(name)
    return level, level.reset(np.random.default_rng(seed)), np.random.default_rng(1000 + seed)


def stand_on(scene, index):
    scene.pose = Pose(x=float(scene.entities.x[index]), y=float(scene.entities.y[index]), yaw=scene.pose.yaw)


def mushrooms(scene):
    return np.flatnonzero(scene.entities.kind == MUSHROOM)


def walk_away(level, scene, rng):
    """Put the agent on an open cell far from every mushroom (so waiting there eats nothing)."""
    ents = scene.entities
    cells = np.argwhere(scene.grid.walls == 0)
    gap = np.min(np.hypot(cells[:, 1, None] + 0.5 - ents.x[None, mushrooms(scene)],
                          cells[:, 0, None] + 0.5 - ents.y[None, mushrooms(scene)]), axis=1)  # fmt: skip
    row, col = cells[int(np.argmax(gap))]
    scene.pose = Pose(x=col + 0.5, y=row + 0.5, yaw=0.0)


@pytest.mark.parametrize("name", NATLAB)
def test_levels_load_with_dmlab_limits_and_docs(name):
    level = load_level(name)
    assert level.name == name and level.family == "natlab"
    assert level.max_steps == 1800  # 120 s
    assert np.isfinite(level.dmlab_human) and np.isfinite(level.dmlab_random)
    for section in ("Rules:", "Tests:", "ours"):
        assert section in type(level).__doc__


@pytest.mark.parametrize("name", NATLAB)
def test_mushroom_pays_one_and_scenery_is_never_touched(name):
    level, scene, rng = build(name, 0)
    first = int(mushrooms(scene)[0])
    stand_on(scene, first)
    assert level.step(scene, LOOK, rng) == 1.0
    assert not scene.entities.active[first] and scene.state.eaten == 1
    scenery = np.flatnonzero(scene.entities.kind == SCENERY)
    assert scenery.size and not scene.entities.touchable[scenery].any()
    walk_away(level, scene, rng)
    scene.pose = Pose(x=float(scene.entities.x[scenery[0]]), y=float(scene.entities.y[scenery[0]]))
    near = np.hypot(scene.entities.x - scene.pose.x, scene.entities.y - scene.pose.y) < 0.8
    if not (near & (scene.entities.kind == MUSHROOM) & scene.entities.active).any():
        assert level.step(scene, LOOK, rng) == 0.0
    assert scene.entities.active[scenery].all()


@pytest.mark.parametrize("name", ["natlab_fixed_large_map", "natlab_varying_map_randomized"])
def test_eaten_mushrooms_never_regrow(name):
    level, scene, rng = build(name, 1)
    first = int(mushrooms(scene)[0])
    stand_on(scene, first)
    level.step(scene, LOOK, rng)
    walk_away(level, scene, rng)
    for _ in range(level.max_steps - 2):
        assert level.step(scene, LOOK, rng) == 0.0
    assert not scene.entities.active[first]


def test_regrowth_at_the_same_spot_after_a_minute():
    level, scene, rng = build("natlab_varying_map_regrowth", 2)
    regrow = round(REGROW_SECONDS * 15)
    assert level.regrow_steps == regrow == 900
    first = int(mushrooms(scene)[0])
    spot = (scene.entities.x[first], scene.entities.y[first])
    stand_on(scene, first)
    assert level.step(scene, LOOK, rng) == 1.0
    walk_away(level, scene, rng)
    for _ in range(regrow - 1):
        assert level.step(scene, LOOK, rng) == 0.0
        assert not scene.entities.active[first]
    level.step(scene, LOOK, rng)
    assert scene.entities.active[first]
    assert (scene.entities.x[first], scene.entities.y[first]) == spot
    stand_on(scene, first)
    assert level.step(scene, LOOK, rng) == 1.0  # and it can be eaten again
    assert scene.state.eaten == 2


def test_fixed_map_is_the_same_every_episode_in_three_lights():
    level = load_level("natlab_fixed_large_map")
    natmap = fixed_map()
    assert len(natmap.mushrooms) == FIXED_MUSHROOMS and len(natmap.spawns) == 8
    lights, spawns = set(), set()
    for seed in range(12):
        scene = level.reset(np.random.default_rng(seed))
        assert np.array_equal(scene.grid.walls, natmap.walls)
        assert np.allclose(scene.entities.x[mushrooms(scene)], natmap.mushrooms[:, 0])
        assert np.allclose(scene.entities.y[mushrooms(scene)], natmap.mushrooms[:, 1])
        lights.add(scene.state.time_of_day)
        assert scene.grid.light == TIMES_OF_DAY[scene.state.time_of_day][0] and scene.grid.sky
        spawns.add(scene.pose.cell)
    assert lights == set(TIMES_OF_DAY)
    assert spawns <= {tuple(cell) for cell in natmap.spawns.tolist()} and len(spawns) > 1


def test_maps_are_assets_one_region_each_and_distinct():
    again = generate_natmap(1000, 21, outcrops=12, mushrooms=12, scenery=25)
    assert np.array_equal(again.walls, small_map(0).walls) and np.array_equal(again.ground, small_map(0).ground)
    assert not np.array_equal(small_map(0).walls, small_map(1).walls)
    from zipfian_envs.engine.mazes import is_connected

    for natmap in (fixed_map(), small_map(3), medium_map(4)):
        assert is_connected(natmap.walls == 0)
        assert (natmap.walls[0] > 0).all() and (natmap.walls[:, -1] > 0).all()
    assert small_map(0).walls.shape == (21, 21) and medium_map(0).walls.shape == (31, 31)
    with pytest.raises(ValueError, match="map index"):
        small_map(100)


def test_randomized_mushrooms_move_on_the_same_map():
    level = load_level("natlab_varying_map_randomized")
    placements = {}
    for seed in range(60):
        scene = level.reset(np.random.default_rng(seed))
        assert len(mushrooms(scene)) == RANDOM_MUSHROOMS
        found = mushrooms(scene)
        cells = {(int(y), int(x)) for x, y in zip(scene.entities.x[found], scene.entities.y[found])}
        assert len(cells) == RANDOM_MUSHROOMS and scene.pose.cell not in cells
        assert all(scene.grid.walls[cell] == 0 for cell in cells)
        placements.setdefault(scene.state.map, []).append(cells)
    repeated = [cells for cells in placements.values() if len(cells) > 1]
    assert repeated and all(group[0] != group[1] for group in repeated)


@pytest.mark.parametrize("name", NATLAB)
def test_view_culls_far_sprites(name):
    level, scene, _ = build(name, 3)
    shown = level.view(scene).entities
    distance = np.hypot(shown.x - scene.pose.x, shown.y - scene.pose.y)
    assert (distance <= level.draw_distance_m).all() and shown.active.all()
    assert len(shown) < len(scene.entities)


@pytest.mark.parametrize("name", NATLAB)
def test_episode_ends_at_its_time_limit_and_pickles(name):
    env = LabyrinthEnv(task=name, width=16, height=12)
    env.reset(seed=4)
    rng = np.random.default_rng(4)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(int(rng.integers(9)))
        steps += 1
        if steps == 100:
            clone = pickle.loads(pickle.dumps(env))
            assert type(clone.scene.state) is type(env.scene.state)
            for field in dataclasses.fields(env.scene.state):
                assert np.array_equal(getattr(clone.scene.state, field.name), getattr(env.scene.state, field.name))
    assert truncated and not terminated and steps == 1800
    assert "normalized_score" in info


@pytest.mark.parametrize("name", NATLAB)
def test_same_seed_same_scene(name):
    level = load_level(name)
    a, b = level.reset(np.random.default_rng(11)), level.reset(np.random.default_rng(11))
    for field in ("walls", "floor", "textures"):
        assert np.array_equal(getattr(a.grid, field), getattr(b.grid, field))
    for field in ("x", "y", "shape", "colour", "kind"):
        assert np.array_equal(getattr(a.entities, field), getattr(b.entities, field))
    assert (a.pose.x, a.pose.y, a.pose.yaw) == (b.pose.x, b.pose.y, b.pose.yaw)


@pytest.mark.parametrize("name", NATLAB)
def test_oracle_beats_random(name):
    """The oracle in its first 40 s earns more than random actions over the whole 120 s."""
    level = load_level(name)
    for seed in range(2):
        rng = np.random.default_rng(seed)
        scene = level.reset(rng)
        oracle = sum(level.step(scene, level.oracle(scene), rng) for _ in range(600))
        rng = np.random.default_rng(seed)
        scene = level.reset(rng)
        random = sum(level.step(scene, int(rng.integers(9)), rng) for _ in range(level.max_steps))
        assert oracle >= random + 8, (seed, oracle, random)
    assert math.isfinite(oracle)

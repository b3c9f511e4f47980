"""The four lasertag levels: tagging rules, bots that see, aim and tag back, mazes, limits, determinism, oracle."""

import math
import pickle

import numpy as np
import pytest

from zipfian_envs.engine.actions import FIRE, LOOK_LEFT
from zipfian_envs.engine.navigation import distance_field
from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.lasertag_common import (
    AGENT_COOLDOWN_STEPS,
    BOT_HEARING_M,
    BOT_SPEED_M,
    HIT_COLOUR,
    HIT_HUD_STEPS,
    NO_PATH,
    TAGGED_COLOUR,
    agent_target,
    all_distances,
    visible_from,
)
from zipfian_envs.labyrinth.levels import load_level

LASERTAG = (
    "lasertag_one_opponent_small",
    "lasertag_three_opponents_small",
    "lasertag_one_opponent_large",
    "lasertag_three_opponents_large",
)
DIRECTIONS = ((0, 1), (1, 0), (0, -1), (-1, 0))  # (d_row, d_col) east, south, west, north


def build(name, seed):
    level = load_level(name)
    return level, level.reset(np.random.default_rng(seed)), np.random.default_rng(1000 + seed)


def straight_run(scene, length):
    """A cell and a direction with ``length`` open cells straight ahead of it."""
    walls = scene.grid.walls
    for row, col in np.argwhere(walls == 0).tolist():
        for dr, dc in DIRECTIONS:
            cells = [(row + k * dr, col + k * dc) for k in range(length + 1)]
            if all(0 <= r < walls.shape[0] and 0 <= c < walls.shape[1] and walls[r, c] == 0 for r, c in cells):
                return (row, col), (dr, dc)
    raise AssertionError("no straight run in this maze")


def face_off(scene, distance=3, lateral=0.0, bot_faces_agent=False):
    """Agent in a straight corridor facing along it; bot 0 ``distance`` cells ahead (others far away)."""
    (row, col), (dr, dc) = straight_run(scene, distance)
    yaw = math.atan2(dr, dc)
    scene.pose = Pose(x=col + 0.5, y=row + 0.5, yaw=yaw)
    state, ents = scene.state, scene.entities
    bot_row, bot_col = row + distance * dr, col + distance * dc
    ents.x[0] = bot_col + 0.5 - lateral * dr
    ents.y[0] = bot_row + 0.5 + lateral * dc
    state.waypoint[0] = state.goal[0] = (bot_row, bot_col)
    state.yaw[0] = (yaw + math.pi) % (2 * math.pi) if bot_faces_agent else yaw
    for other in range(1, state.bots):  # park the others where they cannot interfere
        ents.active[other] = False
    return (row, col), (dr, dc)


@pytest.mark.parametrize("name", LASERTAG)
def test_levels_load_with_dmlab_limits_and_docs(name):
    level = load_level(name)
    assert level.name == name and level.family == "lasertag"
    assert level.max_steps == 3600  # 240 s
    assert level.num_bots == (1 if "one_opponent" in name else 3)
    assert (level.maze_size, level.max_rooms) == ((11, 3) if name.endswith("small") else (21, 4))
    assert np.isfinite(level.dmlab_human) and np.isfinite(level.dmlab_random)
    for section in ("Rules:", "Tests:", "ours", "self-tag"):
        assert section in type(level).__doc__


@pytest.mark.parametrize("name", LASERTAG)
def test_new_maze_and_bot_hues_every_episode(name):
    level = load_level(name)
    scenes = [level.reset(np.random.default_rng(seed)) for seed in range(4)]
    size = level.maze_size
    assert all(scene.grid.walls.shape == (size, size) for scene in scenes)
    assert len({scene.grid.walls.tobytes() for scene in scenes}) == 4
    assert len({scene.entities.colour[: level.num_bots].tobytes() for scene in scenes}) == 4
    for scene in scenes:
        assert len(scene.entities) == level.num_bots and scene.grid.walls[scene.pose.cell] == 0
        bots = {(int(y), int(x)) for x, y in zip(scene.entities.x, scene.entities.y)}
        assert len(bots) == level.num_bots and scene.pose.cell not in bots


@pytest.mark.parametrize("name", ["lasertag_one_opponent_small", "lasertag_three_opponents_large"])
def test_fire_tags_a_bot_on_the_centre_ray_and_it_respawns_out_of_sight(name):
    level, scene, rng = build(name, 0)
    face_off(scene, distance=3)
    assert agent_target(scene) == 0
    assert level.step(scene, FIRE, rng) == 1.0
    assert scene.state.tags == 1 and scene.hud == [HIT_COLOUR]
    ents = scene.entities
    assert not visible_from(scene.grid, scene.pose.x, scene.pose.y, ents.x[:1], ents.y[:1])[0]
    spawn_centres = {(int(r), int(c)) for r, c in scene.state.spawn_cells}
    assert (int(ents.y[0]), int(ents.x[0])) in spawn_centres
    for _ in range(HIT_HUD_STEPS):
        level.step(scene, LOOK_LEFT, rng)
    assert scene.hud == [] or scene.hud == [TAGGED_COLOUR]


def test_fire_recharges_between_shots():
    level, scene, rng = build("lasertag_one_opponent_small", 1)
    face_off(scene, distance=2)
    assert level.step(scene, FIRE, rng) == 1.0
    for _ in range(AGENT_COOLDOWN_STEPS - 1):
        face_off(scene, distance=2)
        assert level.step(scene, FIRE, rng) == 0.0  # still recharging
    face_off(scene, distance=2)
    assert level.step(scene, FIRE, rng) == 1.0


def test_fire_misses_off_centre_and_behind_walls():
    level, scene, rng = build("lasertag_one_opponent_small", 2)
    face_off(scene, distance=3, lateral=0.45)
    assert agent_target(scene) == -1 and level.step(scene, FIRE, rng) == 0.0
    level, scene, rng = build("lasertag_one_opponent_small", 2)
    (row, col), (dr, dc) = face_off(scene, distance=3)
    scene.grid.walls[row + 2 * dr, col + 2 * dc] = 1  # a wall between the agent and the bot
    assert agent_target(scene) == -1 and level.step(scene, FIRE, rng) == 0.0
    scene.state.agent_cooldown = 0
    scene.entities.active[0] = True
    scene.pose = Pose(x=scene.pose.x, y=scene.pose.y, yaw=scene.pose.yaw + math.pi)  # facing away
    assert agent_target(scene) == -1


def test_a_bot_that_sees_the_agent_tags_it_and_the_agent_respawns_without_penalty():
    level, scene, rng = build("lasertag_one_opponent_small", 3)
    face_off(scene, distance=3, bot_faces_agent=True)
    start = scene.pose.cell
    rewards = []
    for _ in range(90):
        rewards.append(level.step(scene, LOOK_LEFT, rng))  # turning away: the agent never fires
        if scene.state.tagged:
            break
    assert scene.state.tagged == 1 and sum(rewards) == 0.0
    assert scene.pose.cell in {tuple(c) for c in scene.state.spawn_cells.tolist()}
    assert (scene.pose.x % 1, scene.pose.y % 1) == (0.5, 0.5) and scene.pose.cell != start
    assert not scene.state.seen.any()  # the bots lose the respawned agent
    assert scene.hud == [TAGGED_COLOUR]


def test_bots_do_not_see_behind_them_or_through_walls_but_hear_a_near_agent():
    level, scene, rng = build("lasertag_one_opponent_large", 4)
    face_off(scene, distance=5, bot_faces_agent=False)  # the bot looks away from the agent, 5 m off
    scene.steps = 0
    level.perceive(scene)
    assert not scene.state.seen[0]
    face_off(scene, distance=3, bot_faces_agent=False)  # 3 m behind it: within hearing
    level.perceive(scene)
    assert scene.state.seen[0] and BOT_HEARING_M >= 3
    level, scene, rng = build("lasertag_one_opponent_small", 4)
    (row, col), (dr, dc) = face_off(scene, distance=3, bot_faces_agent=True)
    level.perceive(scene)
    assert scene.state.seen[0]
    scene.grid.walls[row + dr, col + dc] = 1
    level.perceive(scene)
    assert not scene.state.seen[0]
    assert scene.state.seen_for[0] == 0


@pytest.mark.parametrize("name", ["lasertag_three_opponents_small", "lasertag_one_opponent_large"])
def test_bots_roam_on_open_cells(name):
    level, scene, rng = build(name, 5)
    start = scene.entities.x.copy(), scene.entities.y.copy()
    visited = set()
    for _ in range(450):
        level.step(scene, LOOK_LEFT, rng)
        cells = np.stack([scene.entities.y.astype(int), scene.entities.x.astype(int)], axis=1)
        assert (scene.grid.walls[cells[:, 0], cells[:, 1]] == 0).all()
        visited.update(map(tuple, cells.tolist()))
    assert not np.allclose(start[0], scene.entities.x) or not np.allclose(start[1], scene.entities.y)
    assert len(visited) > 5 * level.num_bots


def test_all_pairs_distances_match_single_searches():
    _, scene, _ = build("lasertag_one_opponent_large", 6)
    free = scene.grid.walls == 0
    index, table = all_distances(free)
    for row, col in np.argwhere(free)[::23].tolist():
        single = distance_field(free, [(row, col)])
        expected = np.where(free, single, NO_PATH)
        assert np.array_equal(np.where(free, table[index[row, col]], NO_PATH), expected)
    assert (index[~free] == -1).all()


@pytest.mark.parametrize("name", LASERTAG)
def test_episode_ends_at_its_time_limit_and_never_loses_points(name):
    env = LabyrinthEnv(task=name, width=16, height=12)
    env.reset(seed=7)
    rng = np.random.default_rng(7)
    steps, terminated, truncated = 0, False, False
    while not (terminated or truncated):
        _, reward, terminated, truncated, info = env.step(int(rng.integers(9)))
        assert reward >= 0.0  # no self-tags in ours
        steps += 1
        if steps == 100:
            clone = pickle.loads(pickle.dumps(env))
            assert np.array_equal(clone.scene.entities.x, env.scene.entities.x)
    assert truncated and not terminated and steps == 3600
    assert "normalized_score" in info


@pytest.mark.parametrize("name", LASERTAG)
def test_same_seed_same_episode(name):
    level = load_level(name)
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(11)
        scene = level.reset(rng)
        actions = np.random.default_rng(5).integers(0, 9, 300)
        total = sum(level.step(scene, int(a), rng) for a in actions)
        runs.append((scene, total))
    (a, ta), (b, tb) = runs
    assert ta == tb and np.array_equal(a.grid.walls, b.grid.walls) and np.array_equal(a.grid.floor, b.grid.floor)
    for field in ("x", "y", "colour"):
        assert np.array_equal(getattr(a.entities, field), getattr(b.entities, field))
    assert (a.pose.x, a.pose.y, a.pose.yaw) == (b.pose.x, b.pose.y, b.pose.yaw)
    assert a.state.tagged == b.state.tagged


@pytest.mark.parametrize("name", LASERTAG)
def test_oracle_beats_random(name):
    """The oracle in its first 90 s tags more bots than random actions do in the whole 240 s."""
    level = load_level(name)
    for seed in range(2):
        rng = np.random.default_rng(seed)
        scene = level.reset(rng)
        oracle = sum(level.step(scene, level.oracle(scene), rng) for _ in range(1350))
        rng = np.random.default_rng(seed)
        scene = level.reset(rng)
        random = sum(level.step(scene, int(rng.integers(9)), rng) for _ in range(level.max_steps))
        assert oracle >= random + 5, (seed, oracle, random)


def test_a_bot_in_the_agents_line_of_fire_side_steps_out_of_it():
    level, scene, rng = build("lasertag_one_opponent_large", 6)
    walls = scene.grid.walls
    row, col = next(
        (r, c) for r, c in np.argwhere(walls == 0).tolist() if not walls[r - 1 : r + 2, c - 1 : c + 2].any()
    )  # a room cell: open all round, so there is space to side-step
    scene.entities.x[0], scene.entities.y[0] = col + 0.5, row + 0.4
    scene.pose = Pose(x=col - 2.5, y=row + 0.5, yaw=0.0)  # aiming along the row, 0.1 m beside the bot
    scene.state.seen[0] = True
    before = scene.entities.x[0], scene.entities.y[0]
    moved = level.dodge(scene, scene.state.seen)
    after = scene.entities.x[0], scene.entities.y[0]
    assert moved[0] and math.hypot(after[0] - before[0], after[1] - before[1]) == pytest.approx(BOT_SPEED_M)
    pose = scene.pose
    lateral = (after[1] - pose.y) * math.cos(pose.yaw) - (after[0] - pose.x) * math.sin(pose.yaw)
    assert abs(lateral) == pytest.approx(0.1 + BOT_SPEED_M)  # away from the ray, on the side it was on
    scene.state.seen[0] = False  # a bot that has not seen the agent does not dodge
    assert not level.dodge(scene, scene.state.seen).any()

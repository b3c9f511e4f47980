"""The five Labyrinth rooms levels: scripted rule situations, time limits, determinism, oracle vs random."""

from __future__ import annotations

import math
import pickle
from operator import attrgetter

import numpy as np
import pytest

from zipfian_envs.engine.actions import FORWARD, LOOK_LEFT
from zipfian_envs.engine.world import Pose
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.level import END_DELAY_STEPS, LevelOptions
from zipfian_envs.labyrinth.levels import load_level

ROOMS = (
    "rooms_collect_good_objects",
    "rooms_exploit_deferred_effects",
    "rooms_select_nonmatching_object",
    "rooms_watermaze",
    "rooms_keys_doors_puzzle",
)


def build(name: str, seed: int = 0, holdout: bool = False):
    """A level and a fresh scene built from ``seed``, with the generator that built it."""
    level = load_level(name)
    rng = np.random.default_rng(seed)
    return level, level.reset(rng, LevelOptions(holdout=holdout)), rng


def stand_on(scene, x: float, y: float, yaw: float = 0.0) -> None:
    """Teleport the agent (for scripted situations)."""
    scene.pose = Pose(x=float(x), y=float(y), yaw=yaw)


def play(name: str, seed: int, policy: str, max_steps: int | None = None) -> float:
    """Score of one episode stepped on the level directly (no rendering), by the oracle or uniform random actions."""
    level, scene, rng = build(name, seed)
    actions = np.random.default_rng(1000 + seed)
    limit = level.max_steps if max_steps is None else max_steps
    score = 0.0
    while not scene.terminated and scene.steps < limit:
        action = level.oracle(scene) if policy == "oracle" else int(actions.integers(9))
        score += level.step(scene, action, rng)
    return score


def state_of(scene) -> bytes:
    """Everything that defines a scene, as bytes (for bit-for-bit comparisons)."""
    return pickle.dumps((scene.grid.walls, scene.grid.floor, scene.pose, scene.entities, scene.state, scene.hud))


# -- every rooms level -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ROOMS)
def test_same_seed_same_scene_and_steps(name):
    level, first, rng_a = build(name, seed=7)
    _, second, rng_b = build(name, seed=7)
    assert state_of(first) == state_of(second)
    actions = np.random.default_rng(3).integers(9, size=120)
    for action in actions:
        assert level.step(first, int(action), rng_a) == level.step(second, int(action), rng_b)
    assert state_of(first) == state_of(second)
    _, other, _ = build(name, seed=8)
    assert state_of(other) != state_of(build(name, seed=7)[1])


@pytest.mark.parametrize("name", ROOMS)
def test_episode_ends_within_time_limit(name):
    env = LabyrinthEnv(task=name)
    env.reset(seed=0)
    steps, done = 0, False
    while not done:
        _, _, terminated, truncated, info = env.step(LOOK_LEFT)
        steps += 1
        done = terminated or truncated
    level = load_level(name)
    assert steps == level.max_steps == round(level.time_limit_s * 15)
    assert truncated and "normalized_score" in info


@pytest.mark.parametrize("name", ROOMS)
def test_oracle_beats_random(name):
    seeds = range(3)
    oracle = np.mean([play(name, seed, "oracle") for seed in seeds])
    random = np.mean([play(name, seed, "random") for seed in seeds])
    assert oracle > random + 5.0, (oracle, random)


# -- rooms_collect_good_objects ------------------------------------------------------------------
def test_collect_bad_object_costs_one_and_ten_pickups_end():
    level, scene, rng = build("rooms_collect_good_objects")
    ents = scene.entities
    bad = int(np.flatnonzero(ents.kind == 2)[0])
    stand_on(scene, ents.x[bad], ents.y[bad])
    assert level.step(scene, LOOK_LEFT, rng) == -1.0
    assert not ents.active[bad]
    good = np.flatnonzero(ents.kind == 1)
    for index in good[:9]:
        stand_on(scene, ents.x[index], ents.y[index])
        assert level.step(scene, LOOK_LEFT, rng) == 1.0
    assert scene.state.pickups == 10 and not scene.terminated
    for _ in range(END_DELAY_STEPS - 1):  # the pickup's own step is the first of the delay
        assert not scene.terminated
        level.step(scene, LOOK_LEFT, rng)
    assert scene.terminated
    assert not scene.success  # one good object was left


def test_collect_holdout_is_hat_can_swapped():
    for seed in range(5):
        _, scene, _ = build("rooms_collect_good_objects", seed, holdout=True)
        assert (scene.state.pair, scene.state.environment) == ("hat/can", "swapped")
    train = {
        attrgetter("pair", "environment")(build("rooms_collect_good_objects", seed)[1].state)
        for seed in range(30)
    }
    assert ("hat/can", "swapped") not in train and len(train) == 3


# -- rooms_exploit_deferred_effects --------------------------------------------------------------
def deferred(config: str):
    """A deferred-effects scene of the named configuration."""
    holdout = config == "test"
    for seed in range(50):
        level, scene, rng = build("rooms_exploit_deferred_effects", seed, holdout=holdout)
        if scene.state.config == config:
            return level, scene, rng
    raise AssertionError(f"no seed gave {config}")


def take(level, scene, rng, kind: int) -> float:
    """Stand on the first active object of ``kind`` and step once."""
    ents = scene.entities
    index = int(np.flatnonzero(ents.active & (ents.kind == kind))[0])
    stand_on(scene, ents.x[index], ents.y[index])
    return level.step(scene, LOOK_LEFT, rng)


def test_deferred_box_brightens_floor_and_opens_door():
    from zipfian_envs.labyrinth.levels import rooms_exploit_deferred_effects as m

    level, scene, rng = deferred("test")
    door = scene.state.door
    assert scene.grid.walls[door] == m.DOOR_MATERIAL
    assert np.all(scene.grid.floor == m.DARK_FLOOR)
    floor_before = scene.grid.floor.copy()
    assert take(level, scene, rng, m.APPLE) == m.APPLE_VALUE
    assert scene.grid.walls[door] != 0  # an apple opens nothing
    assert take(level, scene, rng, m.BOX) == m.BOX_VALUE == -3.0
    assert scene.grid.walls[door] == 0
    assert np.all(scene.grid.floor == m.BRIGHT_FLOOR) and not np.array_equal(floor_before, scene.grid.floor)
    assert take(level, scene, rng, m.CAKE) == m.CAKE_VALUE == 10.0


def test_deferred_configurations():
    from zipfian_envs.labyrinth.levels import rooms_exploit_deferred_effects as m

    seen = {build("rooms_exploit_deferred_effects", seed)[1].state.config for seed in range(30)}
    assert seen == set(m.TRAIN_CONFIGS)
    # One room: the box only brightens the floor; there is no door and no cake.
    level, scene, rng = deferred("one_room_box")
    assert scene.state.door is None and not np.any(scene.entities.kind == m.CAKE)
    assert take(level, scene, rng, m.BOX) == -3.0 and np.all(scene.grid.floor == m.BRIGHT_FLOOR)
    # Two rooms, shut for good: no box, dark floor, the door stays shut.
    level, scene, rng = deferred("two_rooms_shut")
    assert not np.any(scene.entities.kind == m.BOX) and scene.grid.walls[scene.state.door] != 0
    assert np.all(scene.grid.floor == m.DARK_FLOOR)
    # Two rooms, open: bright floor, open door, cakes to be had.
    level, scene, rng = deferred("two_rooms_open")
    assert scene.grid.walls[scene.state.door] == 0 and np.all(scene.grid.floor == m.BRIGHT_FLOOR)
    # The held-out test configuration: door shut, dark floor, apples and the box in room 1.
    for seed in range(5):
        assert build("rooms_exploit_deferred_effects", seed, holdout=True)[1].state.config == "test"


def test_deferred_ends_after_ten_pickups_and_oracle_pays_for_the_box():
    from zipfian_envs.labyrinth.levels import rooms_exploit_deferred_effects as m

    level, scene, rng = deferred("test")
    take(level, scene, rng, m.BOX)
    for _ in range(9):
        take(level, scene, rng, m.CAKE)
    assert scene.state.pickups == 10
    for _ in range(END_DELAY_STEPS - 1):
        assert not scene.terminated
        level.step(scene, LOOK_LEFT, rng)
    assert scene.terminated
    level, scene, rng = deferred("test")
    score = 0.0
    while not scene.terminated and scene.steps < level.max_steps:
        score += level.step(scene, level.oracle(scene), rng)
    assert not np.any(scene.entities.active & (scene.entities.kind == m.BOX))
    assert score >= 60.0


def test_deferred_apples_never_wall_in_the_agent():
    from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, passable
    from zipfian_envs.labyrinth.levels import rooms_exploit_deferred_effects as m

    for seed in range(20):
        _, scene, _ = build("rooms_exploit_deferred_effects", seed, holdout=True)
        ents = scene.entities
        free = passable(scene.grid)
        apples = np.flatnonzero(ents.kind == m.APPLE)
        free[ents.y[apples].astype(int), ents.x[apples].astype(int)] = False
        reached = distance_field(free, [scene.pose.cell]) != UNREACHABLE
        assert reached[m.DOOR_FRONT]
        box = int(np.flatnonzero(ents.kind == m.BOX)[0])
        assert reached[int(ents.y[box]), int(ents.x[box])]


# -- rooms_select_nonmatching_object -------------------------------------------------------------
def test_nonmatching_teleport_choice_and_restart():
    from zipfian_envs.labyrinth.levels import rooms_select_nonmatching_object as m

    level, scene, rng = build("rooms_select_nonmatching_object", seed=4)
    state, ents = scene.state, scene.entities
    example = state.example
    assert ents.kind[0] == m.EXAMPLE and not ents.touchable[0]
    stand_on(scene, ents.x[0], ents.y[0])
    assert level.step(scene, LOOK_LEFT, rng) == 0.0  # the example cannot be picked up
    others, sides = set(), set()
    for trial in range(12):
        assert not state.in_room2
        row, col = state.teleport
        stand_on(scene, col + 0.5, row + 0.5)
        assert level.step(scene, LOOK_LEFT, rng) == m.TELEPORT_REWARD
        assert state.in_room2 and scene.pose.cell == tuple(state.arrival)
        assert state.example == example != state.other
        match = int(np.flatnonzero(ents.kind == m.MATCH)[0])
        assert (int(ents.shape[match]), tuple(ents.colour[match])) == m.object_look(example)
        others.add(state.other)
        sides.add(state.match_side)
        wanted = m.NONMATCH if trial % 2 == 0 else m.MATCH
        index = int(np.flatnonzero(ents.kind == wanted)[0])
        stand_on(scene, ents.x[index], ents.y[index])
        assert level.step(scene, LOOK_LEFT, rng) == (10.0 if wanted == m.NONMATCH else -10.0)
        assert not state.in_room2 and scene.pose.cell == tuple(state.spawn)  # restarted in room 1
    assert len(others) > 3 and sides == {0, 1}
    assert state.trials == 12 and state.correct == 6


# -- rooms_watermaze -----------------------------------------------------------------------------
def test_watermaze_platform_pays_five_ticks_then_respawns_and_stays_put():
    from zipfian_envs.labyrinth.levels import rooms_watermaze as m

    level, scene, rng = build("rooms_watermaze", seed=2)
    platform = scene.state.platform
    assert math.dist(platform, (m.CENTRE, m.CENTRE)) <= m.PLATFORM_DISC_M
    assert not scene.entities.active[0]  # invisible until stood on
    for find in range(3):
        stand_on(scene, *platform)
        rewards = [level.step(scene, LOOK_LEFT, rng)]
        held_at = (scene.pose.x, scene.pose.y)
        for _ in range(m.TICKS_PER_FIND * m.TICK_STEPS):
            rewards.append(level.step(scene, FORWARD, rng))
            if not scene.state.held:
                break
            assert (scene.pose.x, scene.pose.y) == held_at  # held in place, though it walks forward
            assert scene.entities.active[0]
        assert sum(rewards) == 5.0 and rewards[0] == 1.0
        assert scene.state.finds == find + 1 and scene.state.platform == platform
        pose = scene.pose
        assert math.dist((pose.x, pose.y), (m.CENTRE, m.CENTRE)) == pytest.approx(m.SPAWN_RADIUS_M)
        to_centre = math.atan2(m.CENTRE - pose.y, m.CENTRE - pose.x)
        error = (pose.yaw - to_centre + math.pi) % (2 * math.pi) - math.pi
        assert abs(error) <= math.radians(20) + 1e-9
    # Off the platform nothing is paid.
    stand_on(scene, platform[0] + 2 * m.PLATFORM_HALF_M + 0.5, platform[1])
    if not m.on_platform(scene.pose, platform):
        assert level.step(scene, LOOK_LEFT, rng) == 0.0


def test_watermaze_platform_drawn_uniformly_over_the_disc():
    from zipfian_envs.labyrinth.levels import rooms_watermaze as m

    radii = np.array(
        [math.dist(build("rooms_watermaze", seed)[1].state.platform, (m.CENTRE, m.CENTRE)) for seed in range(200)]
    )
    assert radii.max() <= m.PLATFORM_DISC_M
    # Uniform over a disc: P(r < R / sqrt(2)) = 1/2.
    inner = np.mean(radii < m.PLATFORM_DISC_M / math.sqrt(2))
    assert 0.38 < inner < 0.62


# -- rooms_keys_doors_puzzle ---------------------------------------------------------------------
def door_front(puzzle, door: int) -> tuple[float, float, float]:
    """(x, y, yaw) at the centre of the cell in front of a door, on its first room's side, facing it."""
    from zipfian_envs.labyrinth.rooms_keys_doors import room_of_cell

    row, col, _, room, _, _ = puzzle.doors[door]
    for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        if room_of_cell((row + dr, col + dc)) == room:
            return col + dc + 0.5, row + dr + 0.5, math.atan2(-dr, -dc)
    raise AssertionError("door without a room cell in front")


def walk_into(level, scene, rng, door: int, steps: int = 6) -> float:
    """Stand in front of a door and walk into it; return the reward earned."""
    stand_on(scene, *door_front(scene.state.puzzle, door))
    return sum(level.step(scene, FORWARD, rng) for _ in range(steps))


def hold_key(level, scene, rng, key: int) -> float:
    """Pick up key ``key`` by standing on it."""
    ents = scene.entities
    stand_on(scene, ents.x[key], ents.y[key])
    return level.step(scene, LOOK_LEFT, rng)


def test_keys_doors_door_opens_only_with_its_key_which_is_used_up():
    from zipfian_envs.labyrinth.levels import rooms_keys_doors_puzzle as m
    from zipfian_envs.labyrinth.rooms_keys_doors import CORE, NONE

    level, scene, rng = build("rooms_keys_doors_puzzle", seed=5)
    puzzle, state = scene.state.puzzle, scene.state
    door = next(i for i, d in enumerate(puzzle.doors) if d[5] == CORE)
    colour = puzzle.doors[door][2]
    cell = tuple(state.door_cells[door])
    assert walk_into(level, scene, rng, door) == 0.0 and scene.grid.walls[cell] != 0  # no key: shut
    wrong = next(i for i, k in enumerate(puzzle.keys) if k[2] != colour)
    assert hold_key(level, scene, rng, wrong) == m.KEY_REWARD
    assert state.carried == puzzle.keys[wrong][2] and scene.hud == [m.KEY_RGB[puzzle.keys[wrong][2]]]
    assert walk_into(level, scene, rng, door) == 0.0 and scene.grid.walls[cell] != 0  # wrong colour: shut
    right = next(i for i, k in enumerate(puzzle.keys) if k[2] == colour)
    assert hold_key(level, scene, rng, right) == m.KEY_REWARD
    assert state.carried == colour  # the new key replaced the old one, which is gone
    assert not scene.entities.active[wrong]
    assert walk_into(level, scene, rng, door) == m.DOOR_REWARD
    assert scene.grid.walls[cell] == 0 and state.door_open[door]
    assert state.carried == NONE and scene.hud == []  # the key is used up


def test_keys_doors_goal_pays_fifty_and_ends():
    level, scene, rng = build("rooms_keys_doors_puzzle", seed=6)
    goal = len(scene.state.puzzle.keys)
    stand_on(scene, scene.entities.x[goal], scene.entities.y[goal])
    assert level.step(scene, LOOK_LEFT, rng) == 50.0
    assert scene.success
    for _ in range(END_DELAY_STEPS - 1):
        assert not scene.terminated
        level.step(scene, LOOK_LEFT, rng)
    assert scene.terminated


def test_keys_doors_generator_structure_and_traps():
    from zipfian_envs.labyrinth.rooms_keys_doors import (
        CORE,
        EXTRA,
        HERRING,
        LOCKED,
        NONE,
        TRAP,
        USELESS,
        generate,
        plan,
    )

    lengths, extras = set(), 0
    for seed in range(100):
        puzzle = generate(np.random.default_rng(seed))
        lengths.add(puzzle.core_length)
        roles = [d[5] for d in puzzle.doors]
        assert roles.count(CORE) == puzzle.core_length and roles.count(TRAP) == 1 and roles.count(HERRING) == 1
        key_colours = {k[2] for k in puzzle.keys}
        locked = [d for d in puzzle.doors if d[5] == LOCKED]
        assert len(locked) <= 2 and all(d[2] not in key_colours for d in locked)  # no key opens these
        useless = [k for k in puzzle.keys if k[4] == USELESS]
        assert all(k[2] not in {d[2] for d in puzzle.doors} for k in useless)
        extras += roles.count(EXTRA)
        assert roles.count(EXTRA) == sum(k[4] == EXTRA for k in puzzle.keys) <= 1
        assert len({(k[0], k[1]) for k in puzzle.keys} | {puzzle.goal[:2], puzzle.start}) == len(puzzle.keys) + 2
        solution = plan(puzzle, puzzle.start_state())
        assert solution is not None and solution[-1] == ("goal", 0)
        assert not any(kind == "door" and puzzle.doors[i][5] != CORE for kind, i in solution)
        # Opening the trap with its core key (the real door still shut) leaves the goal out of reach.
        trap = roles.index(TRAP)
        trap_colour = puzzle.doors[trap][2]
        room = puzzle.start_state()[0]
        opened = sum(1 << i for i, d in enumerate(puzzle.doors) if d[5] == CORE and d[2] != trap_colour)
        taken = sum(1 << i for i, k in enumerate(puzzle.keys) if k[4] == CORE)
        assert plan(puzzle, (room, trap_colour, opened, taken)) is not None
        assert plan(puzzle, (room, NONE, opened | 1 << trap, taken)) is None
        # Taking the red herring's key while holding the first core key loses that key for good.
        first = next(i for i, k in enumerate(puzzle.keys) if k[4] == CORE)
        herring = next(i for i, k in enumerate(puzzle.keys) if k[4] == HERRING)
        assert plan(puzzle, (room, puzzle.keys[herring][2], 0, 1 << first | 1 << herring)) is None
    assert lengths == {1, 2, 3} and extras > 0


def test_keys_doors_door_is_touched_face_on_not_by_brushing_its_corner():
    from zipfian_envs.labyrinth.levels.rooms_keys_doors_puzzle import door_touched

    door = np.array([[7, 5]])  # a door in a column of wall at x in [5, 6], y in [7, 8]
    assert door_touched(4.78, 7.5, door)[0]  # just left of its face, centred on it
    assert not door_touched(4.5, 7.5, door)[0]  # at the centre of the cell in front: not yet
    assert not door_touched(4.78, 6.9, door)[0]  # beside its corner, in the cell diagonal to it
    assert door_touched(5.5, 8.2, door)[0]  # below it, face-on


def test_keys_doors_oracle_reaches_the_lolly():
    for seed in range(10, 16):
        level, scene, rng = build("rooms_keys_doors_puzzle", seed)
        while not scene.terminated and scene.steps < level.max_steps:
            level.step(scene, level.oracle(scene), rng)
        assert scene.success, seed

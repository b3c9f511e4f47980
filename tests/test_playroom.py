"""Zipf's Playroom: catalogue, levels, grip/release rules on scripted situations, oracle, modes, viewer."""

from __future__ import annotations

import math
import warnings

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

from zipfian_envs import language, skew
from zipfian_envs.engine.physics import is_free
from zipfian_envs.engine.world import AGENT_RADIUS_M, EYE_HEIGHT_M, Pose
from zipfian_envs.playroom import rules, tasks
from zipfian_envs.playroom.catalogue import ATLAS, BASE_KINDS, MANY_KINDS, max_silhouette_overlap
from zipfian_envs.playroom.env import PlayroomEnv
from zipfian_envs.playroom.room import BED, TABLE, TOP_HEIGHT_M, TRAY
from zipfian_envs.registration import FAMILIES


def _empty_room(env: PlayroomEnv, keep: int = 1) -> None:
    """Clear the furniture and hide all but ``keep`` objects (scripted situations start from here)."""
    state = env.state
    state.collision.walls[:] = state.grid.walls
    state.furniture_cells[:] = -1
    state.entities.active[: state.first_object] = False
    state.entities.active[state.first_object + keep :] = False
    state.object_support[:] = -1


def _place(env: PlayroomEnv, index: int, x: float, y: float, z: float = 0.0) -> None:
    entity = env.state.first_object + index
    env.state.entities.x[entity], env.state.entities.y[entity], env.state.entities.z[entity] = x, y, z


def _aim(env: PlayroomEnv, x: float, y: float, at: int) -> None:
    """Stand at (x, y) looking straight at object ``at``'s centre."""
    e, entity = env.state.entities, env.state.first_object + at
    centre = e.z[entity] + 0.5 * e.size[entity]
    horizontal = math.hypot(e.x[entity] - x, e.y[entity] - y)
    yaw = math.atan2(e.y[entity] - y, e.x[entity] - x)
    env.state.pose = Pose(x=x, y=y, yaw=yaw, pitch=math.atan2(centre - EYE_HEIGHT_M, horizontal))
    env.state.look_pitch = env.state.pose.pitch  # what the next step's view takes (on its 4 degree grid)


def _middle(env: PlayroomEnv) -> tuple[float, float]:
    rows, cols = env.state.grid.shape
    return cols / 2, rows / 2


def test_catalogues_are_large_distinct_and_named_in_the_vocabulary():
    assert len(BASE_KINDS) >= 40 and len(MANY_KINDS) >= 100
    assert MANY_KINDS[: len(BASE_KINDS)] == BASE_KINDS and len(set(MANY_KINDS)) == len(MANY_KINDS)
    assert all(kind in language.TOKEN_IDS for kind in MANY_KINDS)
    iou, a, b = max_silhouette_overlap(MANY_KINDS)
    assert iou < 0.9, (a, b, iou)
    # Silhouette plus the untinted details: every pair differs on at least 15% of the pixels either covers.
    index = [ATLAS.index(kind) for kind in MANY_KINDS]
    alpha = ATLAS.alpha[index].reshape(len(index), -1)
    grey = (ATLAS.shade[index] * 128 + ATLAS.fixed[index]).reshape(len(index), -1)
    for i in range(len(index) - 1):
        union = alpha[i] | alpha[i + 1 :]
        differ = (alpha[i] != alpha[i + 1 :]) | (alpha[i] & alpha[i + 1 :] & (np.abs(grey[i] - grey[i + 1 :]) > 25))
        assert (differ.sum(axis=1) / union.sum(axis=1)).min() >= 0.15, MANY_KINDS[i]


def test_every_reference_level_parses_and_its_id_passes_task_and_level():
    family = next(f for f in FAMILIES if f.name == "Playroom")
    assert len(tasks.LEVELS) == 18 and len(family.paper_levels) == 18
    for name in tasks.LEVELS:
        parsed = tasks.parse(name)
        spec = gym.spec(f"Zipfian/Playroom-{name.replace('/', '.')}-v0")
        assert spec.kwargs == {"task": parsed.task, "level": parsed.distribution}
        assert tasks.parse(spec.kwargs["level"], spec.kwargs["task"]) == parsed
    env = gym.make("Zipfian/Playroom-v0").unwrapped
    assert (env.task, env.level) == ("lift/lift_shape", "zipf2")
    assert tasks.parse("put/lift_shape_many_zipf1").catalogue == "many"
    assert tasks.parse("zipf_1.5", "supervised/find_shape") == tasks.parse("supervised/find_shape_zipf_1.5")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "lift/throw_shape_zipf2"}, "valid forms"),
        ({"level": "lift/lift_shape_zipf_banana"}, "valid forms"),
        ({"level": "zipf2", "task": "lift/juggle"}, "valid: lift/lift_shape"),
        ({"level": "put/put_on_bed_tray_rare", "task": "lift/lift_shape"}, "put/put_on_bed_tray"),
        ({"action_mode": "joystick"}, "discrete, continuous"),
        ({"time_limit_scale": 0}, "time_limit_scale"),
    ],
)
def test_bad_arguments_name_the_value_and_the_choices(kwargs, message):
    with pytest.raises(ValueError, match=message):
        PlayroomEnv(**kwargs)


def test_frequent_and_rare_combination_splits_never_overlap():
    assert tasks.FREQUENT_COMBINATIONS.isdisjoint(tasks.RARE_COMBINATIONS)
    assert len(tasks.RARE_COMBINATIONS) == 16 and len(tasks.FREQUENT_COMBINATIONS) == 64
    assert {(k, r) for k in range(40) for r in range(2)} == tasks.FREQUENT_COMBINATIONS | tasks.RARE_COMBINATIONS
    # Compositional: every kind and both receptacles of the rare split also occur in the frequent split.
    assert {k for k, _ in tasks.RARE_COMBINATIONS} <= {k for k, _ in tasks.FREQUENT_COMBINATIONS}
    assert {r for _, r in tasks.RARE_COMBINATIONS} == {0, 1}
    for level, split in (("frequent", tasks.FREQUENT_COMBINATIONS), ("rare", tasks.RARE_COMBINATIONS)):
        task = tasks.parse(f"put/put_on_bed_tray_{level}")
        support = {task.item(rank) for rank in np.flatnonzero(task.weights()) + 1}
        assert support == split
    env = PlayroomEnv("put/put_on_bed_tray_rare")
    for seed in range(20):
        info = env.reset(seed=seed)[1]
        assert info["frequency_bin"] == "rare" and env.spec_task.item(info["item_rank"]) in tasks.RARE_COMBINATIONS


def test_instructed_kind_frequencies_match_the_level_weights():
    env = PlayroomEnv("lift/lift_shape_zipf2")
    env.reset(seed=0)
    ranks = np.array([env.reset()[1]["item_rank"] for _ in range(500)])
    weights = skew.level_weights("zipf2", 40)
    edges = [(1, 1), (2, 2), (3, 3), (4, 6), (7, 40)]
    observed = [np.sum((ranks >= lo) & (ranks <= hi)) for lo, hi in edges]
    expected = [weights[lo - 1 : hi].sum() * ranks.size for lo, hi in edges]
    assert stats.chisquare(observed, expected).pvalue > 1e-3


@pytest.mark.parametrize(
    "level", ["lift/lift_shape_uniform", "put/put_near_bed_tray_frequent", "put/lift_shape_many_zipf1"]
)
def test_the_instruction_names_exactly_one_object_in_the_room(level):
    env = PlayroomEnv(level)
    for seed in range(15):
        obs, info = env.reset(seed=seed)
        words = language.decode(obs["instruction"]).split()
        assert words[0] in ("lift", "put", "find") and info["instruction"] == " ".join(words)
        kinds = [env.kinds[k] for k in env.state.object_kind]
        assert kinds.count(words[2]) == 1 and kinds[env.state.target] == words[2]
        assert info["item"].split(":")[0] == words[2]
        assert 8 <= len(kinds) <= 16
        if words[0] == "put":
            assert words[-1] == ("bed", "tray")[env.state.receptacle] == info["item"].split(":")[1]


def test_furniture_blocks_the_agent_but_not_the_view():
    env = PlayroomEnv()
    env.reset(seed=3)
    state = env.state
    r, c = (int(v) for v in np.argwhere(state.furniture_cells == TABLE)[0])
    state.pose = Pose(x=c - 0.5, y=r + 0.5, yaw=0.0)
    for _ in range(10):
        env.step(rules.FORWARD)
    assert state.pose.x <= c - AGENT_RADIUS_M + 1e-9 and is_free(state.collision, state.pose.x, state.pose.y, 0.0)
    assert state.grid.walls[r, c] == 0  # the renderer sees through to what is behind


def test_grip_takes_only_a_centred_object_within_reach():
    env = PlayroomEnv()
    env.reset(seed=1)
    _empty_room(env)
    x, y = _middle(env)
    _place(env, 0, x + 0.8, y)
    _aim(env, x, y, 0)
    assert rules.gaze_object(env.state) == 0
    env.state.pose = Pose(x=x, y=y, yaw=math.radians(25), pitch=env.state.pose.pitch)  # off to the side
    assert rules.gaze_object(env.state) == -1
    _place(env, 0, x + 1.5, y)  # centred but out of reach
    _aim(env, x, y, 0)
    assert rules.gaze_object(env.state) == -1
    _place(env, 0, x + 0.8, y)
    _aim(env, x, y, 0)
    env.state.pose.pitch += math.radians(30)  # looking over it
    assert rules.gaze_object(env.state) == -1


def test_cannot_grip_around_a_wall_corner():
    env = PlayroomEnv()
    env.reset(seed=2)
    _empty_room(env)
    state = env.state
    r, c = 3, 3
    x, y = c + 1 - AGENT_RADIUS_M, r + AGENT_RADIUS_M  # the agent in the top-right corner of cell (r, c)
    _place(env, 0, c + 1.1, r - 0.5)  # diagonally up-right, in cell (r - 1, c + 1)
    _aim(env, x, y, 0)
    assert rules.gaze_object(state) == 0
    state.grid.walls[r - 1, c] = 1  # the wall cell above the agent hides the object
    assert rules.gaze_object(state) == -1


def test_release_lands_ahead_on_the_floor_short_of_walls_or_on_the_faced_top():
    env = PlayroomEnv()
    env.reset(seed=4)
    state = env.state
    _empty_room(env)
    x, y = _middle(env)
    state.pose = Pose(x=x, y=y, yaw=0.0)
    state.held = 0
    state.entities.active[state.first_object] = False
    assert rules.release(state) == (pytest.approx(x + rules.DROP_M), pytest.approx(y), -1)
    assert state.held == -1 and state.entities.active[state.first_object]
    cols = state.grid.shape[1]
    state.pose = Pose(x=cols - 1 - 0.3, y=y, yaw=0.0)  # 0.3 m from the east wall
    landing = rules.release_spot(state)
    assert landing[0] == pytest.approx(cols - 1 - rules.DROP_CLEARANCE_M) and landing[2:] == (0.0, -1)

    env.reset(seed=4)
    state = env.state
    r, c = (int(v) for v in np.argwhere(state.furniture_cells == TABLE)[0])
    state.pose = Pose(x=c - 0.3, y=r + 0.5, yaw=0.0)
    x_on, y_on, z_on, support = rules.release_spot(state)
    assert support == TABLE and z_on == TOP_HEIGHT_M["table"]
    assert x_on == pytest.approx(c + rules.PLACE_PAST_EDGE_M) and c + 0.2 <= x_on <= c + 0.8
    state.pose = Pose(x=c - 1.0, y=r + 0.5, yaw=0.0)  # 1 m from the table's edge: beyond the place reach
    assert rules.release_spot(state)[3] == -1


def _hold_target(env: PlayroomEnv) -> None:
    state = env.state
    state.held = state.target
    state.entities.active[state.first_object + state.target] = False


def test_putting_on_the_receptacle_succeeds_and_elsewhere_does_not():
    env = PlayroomEnv("put/put_on_bed_tray_all")
    for seed in range(6):
        _, info = env.reset(seed=seed)
        state = env.state
        receptacle = state.receptacle
        assert receptacle in (BED, TRAY)
        other = TRAY if receptacle == BED else BED
        r, c = (int(v) for v in np.argwhere(state.furniture_cells == other)[0])
        free = [
            (r + dr, c + dc)
            for dr, dc in ((0, -1), (0, 1), (-1, 0), (1, 0))
            if state.collision.walls[r + dr, c + dc] == 0
        ]
        fr, fc = free[0]
        state.pose = Pose(x=fc + 0.5, y=fr + 0.5, yaw=math.atan2(r - fr, c - fc))
        _hold_target(env)
        _, reward, terminated, _, _ = env.step(rules.GRIP)  # onto the wrong piece
        assert (reward, terminated, state.object_support[state.target]) == (0.0, False, other)
        r, c = (int(v) for v in np.argwhere(state.furniture_cells == receptacle)[0])
        free = [
            (r + dr, c + dc)
            for dr, dc in ((0, -1), (0, 1), (-1, 0), (1, 0))
            if state.collision.walls[r + dr, c + dc] == 0
        ]
        fr, fc = free[0]
        state.pose = Pose(x=fc + 0.5, y=fr + 0.5, yaw=math.atan2(r - fr, c - fc))
        _hold_target(env)
        _, reward, terminated, _, info = env.step(rules.GRIP)
        assert (reward, terminated, info["success"]) == (1.0, True, True)


def test_near_means_on_the_floor_within_the_radius():
    env = PlayroomEnv("put/put_near_bed_tray_frequent")
    env.reset(seed=5)
    state = env.state
    x0, y0, x1, y1 = state.furniture_box[state.receptacle]
    assert rules.put_done(state, "put_near", x0 - 0.5, y0, -1)
    assert not rules.put_done(state, "put_near", x0 - 0.9, y0 - 0.9, -1)
    assert not rules.put_done(state, "put_near", 0.5 * (x0 + x1), 0.5 * (y0 + y1), state.receptacle)


def test_gripping_another_kind_ends_the_episode_with_nothing():
    env = PlayroomEnv("put/put_on_bed_tray_frequent")
    env.reset(seed=6)
    _empty_room(env, keep=0)
    other = (env.state.target + 1) % env.state.num_objects
    env.state.entities.active[env.state.first_object + other] = True
    x, y = _middle(env)
    _place(env, other, x + 0.7, y)
    _aim(env, x, y, other)
    obs, reward, terminated, truncated, info = env.step(rules.GRIP)
    assert (reward, terminated, truncated, info["success"]) == (0.0, True, False, False)
    assert info["held"] == env.kinds[env.state.object_kind[other]]


def test_held_object_shows_at_the_bottom_and_pitch_moves_the_horizon():
    env = PlayroomEnv("put/lift_shape_uniform")
    obs, _ = env.reset(seed=7)
    looked, _, _, _, _ = env.step(rules.LOOK_DOWN)
    assert not np.array_equal(obs["image"], looked["image"])
    assert env.state.pose.pitch == pytest.approx(-rules.LOOK_RAD)
    for _ in range(20):
        env.step(rules.LOOK_UP)
    assert env.state.pose.pitch == pytest.approx(rules.MAX_LOOK_RAD)
    before = env.step(rules.NOOP)[0]["image"]
    _hold_target(env)
    after = env.step(rules.NOOP)[0]["image"]
    bottom = slice(int(0.75 * after.shape[0]), None)
    assert not np.array_equal(before[bottom], after[bottom])
    assert np.array_equal(before[: after.shape[0] // 2], after[: after.shape[0] // 2])


@pytest.mark.parametrize("level", ["lift/lift_shape_zipf2", "put/put_on_bed_tray_all", "put/put_near_bed_tray_frequent",
                                   "supervised/find_shape_uniform", "put/lift_shape_many_zipf4"])  # fmt: skip
def test_oracle_succeeds_where_random_play_does_not(level):
    env = PlayroomEnv(level)
    wins = 0
    for seed in range(4):
        env.reset(seed=seed)
        while True:
            _, reward, terminated, truncated, info = env.step(env.oracle_action())
            if terminated or truncated:
                break
        wins += info["success"]
    assert wins == 4
    env = PlayroomEnv(level, time_limit_scale=0.25)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    random_wins = 0
    for _ in range(2):
        while True:
            _, _, terminated, truncated, info = env.step(int(rng.integers(env.action_space.n)))
            if terminated or truncated:
                break
        random_wins += info["success"]
        env.reset()
    assert random_wins < 2


def test_find_levels_give_the_supervised_signal():
    env = PlayroomEnv("supervised/find_shape_zipf2")
    _, info = env.reset(seed=8)
    assert info["target_kind"] == env.state.object_kind[env.state.target]
    assert {"target_visible", "target_bearing", "target_elevation"} <= info.keys()
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        if terminated or truncated:
            break
        previous = info
    assert reward == 1.0 and previous["target_visible"]
    assert abs(previous["target_bearing"]) < math.radians(12) and abs(previous["target_elevation"]) < math.radians(12)
    assert "target_kind" not in PlayroomEnv().reset(seed=0)[1]


def test_continuous_controls_play_the_same_tasks():
    env = PlayroomEnv("put/put_on_bed_tray_frequent", action_mode="continuous")
    assert env.action_space.shape == (5,)
    env.reset(seed=9)
    while True:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        if terminated or truncated:
            break
    assert info["success"]
    env.reset(seed=9)
    for bad in ([0.0, 1.0], [np.nan] * 5, "grip"):
        with pytest.raises(ValueError, match="5 finite numbers"):
            env.step(bad)


def test_key_map_leaves_the_viewer_keys_alone_and_covers_every_action():
    assert not {"r", "p", "h", "escape"} & set(PlayroomEnv.key_map)
    assert {action for action, _ in PlayroomEnv.key_map.values()} == set(range(1, len(rules.ACTION_NAMES)))


def test_the_viewer_plays_it(tmp_path):
    pytest.importorskip("pygame")
    import pygame

    from zipfian_envs import play

    env = gym.make("Zipfian/Playroom-v0", render_mode="rgb_array")
    view = play.Viewer(env, env_id="Zipfian/Playroom-v0", seed=0, fps=0, scale=2)

    def events():
        while not view.records:
            action = view.env.unwrapped.oracle_action()
            name = next(key for key, (act, _) in view.key_map.items() if act == action)
            yield pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name))
            yield pygame.event.Event(pygame.KEYUP, key=pygame.key.key_code(name))
        yield pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code("escape"))

    try:
        view.run(max_frames=1000, events=events())
        view.screenshot(tmp_path / "playroom.png")
    finally:
        view.close()
    assert view.records[0]["success"] and (tmp_path / "playroom.png").stat().st_size > 0


def test_same_seed_same_room_and_continuous_mode_passes_the_checkers():
    from gymnasium.utils.env_checker import check_env

    a, b = PlayroomEnv("put/put_on_bed_tray_all"), PlayroomEnv("put/put_on_bed_tray_all")
    a.reset(seed=11)
    b.reset(seed=11)
    for name in ("x", "y", "z", "shape", "colour", "kind"):
        np.testing.assert_array_equal(getattr(a.state.entities, name), getattr(b.state.entities, name))
    assert (a.state.pose, a.state.target, a.state.receptacle) == (b.state.pose, b.state.target, b.state.receptacle)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make("Zipfian/Playroom-v0", action_mode="continuous", render_mode="rgb_array").unwrapped)


def test_spawned_async_workers_match_sync():
    kwargs = {"num_envs": 2, "time_limit_scale": 0.05}
    sync = gym.make_vec("Zipfian/Playroom-v0", vectorization_mode="sync", **kwargs)
    spawned = gym.make_vec(
        "Zipfian/Playroom-v0", vectorization_mode="async", vector_kwargs={"context": "spawn"}, **kwargs
    )
    try:
        a, _ = sync.reset(seed=5)
        b, _ = spawned.reset(seed=5)
        np.testing.assert_array_equal(a["image"], b["image"])
        for action in np.random.default_rng(0).integers(0, 10, (60, 2)):
            sa, sb = sync.step(action), spawned.step(action)
            for key in ("image", "instruction"):
                np.testing.assert_array_equal(sa[0][key], sb[0][key])
            np.testing.assert_array_equal(sa[1], sb[1])
    finally:
        sync.close()
        spawned.close()

"""Zipf's Gridworld: maps, rules, observations, level statistics and the BFS oracle."""

import json
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from scipy import stats

from zipfian_envs.core import skew
from zipfian_envs.gridworld import dynamics
from zipfian_envs.gridworld.maps import MAP_VERSION, NUM_KINDS, make_map, max_objects
from zipfian_envs.gridworld.render import (
    AGENT_RGB,
    CUE_BACKGROUND_RGB,
    PALETTE,
    SHAPE_MASKS,
    WALL_RGB,
    full_frame,
    object_sprite,
)


def _connected_floor(walls):
    floor = {tuple(c) for c in np.argwhere(~walls)}
    start = next(iter(floor))
    seen, stack = {start}, [start]
    while stack:
        r, c = stack.pop()
        for dr, dc in dynamics.MOVES[::2]:  # 4-connectivity: doors must open walls for real
            nxt = (r + dr, c + dc)
            if nxt in floor and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen == floor


@pytest.mark.parametrize("index", range(20))
def test_map_layout_follows_reference(index):
    grid = make_map(index)
    walls = grid.walls
    assert walls.shape == (13, 13)
    assert walls[[0, 4, 8, 12], :][:, [0, 4, 8, 12]].all()
    assert walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()
    rooms = np.ones((13, 13), bool)
    rooms[[0, 4, 8, 12], :] = False
    rooms[:, [0, 4, 8, 12]] = False
    assert not walls[rooms].any(), "every room is 3x3 open floor"
    for r, c in grid.doors:
        assert (r in (4, 8)) != (c in (4, 8)), "doors sit in internal walls, not at crossings"
        assert not walls[r, c]
    assert _connected_floor(walls)
    assert len(grid.object_kinds) == 20 and len(set(grid.object_kinds.tolist())) == 20
    assert grid.object_kinds.max() < NUM_KINDS
    cells = {tuple(c) for c in grid.object_cells.tolist()}
    assert len(cells) == 20 and grid.start not in cells
    for r, c in [*cells, grid.start]:
        assert rooms[r, c]
        assert walls[r - 1, c] or walls[r + 1, c] or walls[r, c - 1] or walls[r, c + 1], "against a wall"
        for dr, dc in dynamics.MOVES[::2]:
            assert (r + dr, c + dc) not in grid.doors, "never in front of a door"
    for r, c in cells:
        assert max(abs(r - grid.start[0]), abs(c - grid.start[1])) > 1, "start's neighbourhood is clear"


def _room_graph(walls, rooms, room_size):
    """Door openings read from the walls alone: {opening cell: (room, room)}, rooms as (row, col)."""
    step = room_size + 1
    openings = {}
    for r, c in np.argwhere(~walls).tolist():
        if r % step == 0 and 0 < r < walls.shape[0] - 1:  # in a horizontal wall: joins the rooms above and below
            openings[(r, c)] = ((r // step - 1, c // step), (r // step, c // step))
        elif c % step == 0 and 0 < c < walls.shape[1] - 1:  # in a vertical wall: joins left and right
            openings[(r, c)] = ((r // step, c // step - 1), (r // step, c // step))
    return openings


def _connected_rooms(edges, rooms):
    seen, stack = {(0, 0)}, [(0, 0)]
    while stack:
        room = stack.pop()
        for a, b in edges:
            for here, there in ((a, b), (b, a)):
                if here == room and there not in seen:
                    seen.add(there)
                    stack.append(there)
    return len(seen) == rooms * rooms


@pytest.mark.parametrize("rooms, room_size", [(1, 3), (2, 3), (3, 3), (4, 3), (4, 5)])
def test_doors_form_a_spanning_tree_of_the_rooms(rooms, room_size):
    """As in the reference: rooms**2 - 1 doors, every room reachable, exactly one route between two rooms."""
    for index in range(20):
        grid = make_map(index, min(20, max_objects(rooms, room_size)), rooms, room_size)
        openings = _room_graph(grid.walls, rooms, room_size)
        assert set(openings) == set(grid.doors), f"map {index}: every wall opening is a listed door"
        edges = list(openings.values())
        assert len(edges) == rooms * rooms - 1, f"map {index}: {len(edges)} doors"
        assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in edges), "doors join neighbouring rooms"
        assert _connected_rooms(edges, rooms), f"map {index}: some room is unreachable"
        # No loops: every door is the only route between its two sides (removing it disconnects).
        for i in range(len(edges)):
            assert not _connected_rooms(edges[:i] + edges[i + 1 :], rooms), f"map {index}: door {i} closes a loop"


def test_random_policy_matches_the_reference_statistics():
    """The calibrated maps: a random walk on zipf_2 ends like the reference's (3.5% / 95.6% / 0.9%, 18.3 steps).

    Walked in one batch over the env's own move and object tables, 20,000 episodes; measured here
    with seed 0: 3.26% success, 0.84% time-outs, 18.1 mean steps (benchmarks/calibrate_gridworld_seed.py).
    """
    episodes, max_steps = 20_000, 100
    tables = dynamics.world_tables(20, 20, 3, 3)
    rng = np.random.default_rng(0)
    map_index = skew.RankSampler.from_distribution("zipf_2", 20).sample(rng, episodes) - 1
    target = skew.RankSampler.from_distribution("zipf_2", 20).sample(rng, episodes) - 1
    cell = tables.start_cell[map_index]
    touched, length = np.full(episodes, -1), np.full(episodes, max_steps)
    running = np.ones(episodes, dtype=bool)
    for step in range(1, max_steps + 1):
        live = np.flatnonzero(running)
        cell[live] = tables.next_cell[map_index[live], cell[live], rng.integers(8, size=live.size)]
        hit = tables.object_at[map_index[live], cell[live]]
        ended = live[hit >= 0]
        touched[ended], length[ended], running[ended] = hit[hit >= 0], step, False
    success, timeout = np.mean(touched == target), np.mean(touched < 0)
    assert abs(success - 0.035) < 0.006 and abs(timeout - 0.009) < 0.003
    assert abs(length.mean() - 18.3) < 0.6
    assert 0.95 < 1 - success - timeout < 0.962


def test_results_from_other_map_versions_are_never_merged(tmp_path):
    lb = pytest.importorskip("zipfian_envs.evaluation.leaderboard")
    from zipfian_envs.evaluation import evaluate_protocols
    from zipfian_envs.evaluation.report import write_result

    records = evaluate_protocols("oracle", "Zipfian/Gridworld-v0", "zipf_2", episodes=4, seed=0, num_envs=1)
    args = {"env_id": "Zipfian/Gridworld-v0", "level": "zipf_2", "env_kwargs": {}, "seeds": [0], "plot": False}
    new = write_result(tmp_path / "new", records, policy_name="oracle", **args)
    assert MAP_VERSION == 2 and json.loads(new.read_text())["env_config"]["map_version"] == MAP_VERSION
    again = write_result(tmp_path / "again", records, policy_name="again", **args)
    assert len(lb.load_results([new, again])) == 2
    for name, version in (("unversioned", None), ("v1", 1)):
        data = json.loads(new.read_text())
        if version is None:  # files from before map versions were recorded
            del data["env_config"]["map_version"]
        else:
            data["env_config"]["map_version"] = version
        old = tmp_path / f"{name}.json"
        old.write_text(json.dumps(data))
        expected = "no map_version" if version is None else f"map_version {version}"
        with pytest.raises(lb.SchemaError, match=expected):
            lb.load_results([new, old])
        assert lb.main([str(old), str(new)]) == 2


def test_committed_old_map_results_are_refused_next_to_new_ones(tmp_path):
    """A result file run on the version-1 maps (kept in results/old_maps_v1/) never joins a current one."""
    lb = pytest.importorskip("zipfian_envs.evaluation.leaderboard")
    from zipfian_envs.evaluation import evaluate_protocols
    from zipfian_envs.evaluation.report import write_result

    old = Path(__file__).resolve().parents[1] / "results/old_maps_v1/gridworld/symbolic_zipf_2/random.json"
    old_result = json.loads(old.read_text())
    assert "map_version" not in old_result["env_config"]
    kwargs = old_result["env_kwargs"]
    records = evaluate_protocols("random", "Zipfian/Gridworld-v0", "zipf_2", episodes=4, seed=0, num_envs=1, **kwargs)
    new = write_result(tmp_path, records, env_id="Zipfian/Gridworld-v0", level="zipf_2", env_kwargs=kwargs,
                       policy_name="random", seeds=[0], plot=False)  # fmt: skip
    new_config = json.loads(new.read_text())["env_config"]
    assert {k: v for k, v in new_config.items() if k != "map_version"} == old_result["env_config"]
    with pytest.raises(lb.SchemaError, match="no map_version"):
        lb.load_results([new, old])


def _map_fingerprint() -> str:
    return "".join(
        f"{m.walls.tobytes().hex()}{m.object_cells.tolist()}{m.object_kinds.tolist()}{m.start}"
        for m in (make_map(k) for k in range(20))
    )


def test_maps_are_identical_in_another_process():
    code = "from tests.test_gridworld import _map_fingerprint; print(_map_fingerprint())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=".")
    assert out.stdout.strip() == _map_fingerprint()
    assert len({make_map(k).walls.tobytes() for k in range(20)}) > 10, "maps differ from each other"


def test_fewer_objects_keep_the_first_ones():
    full, few = make_map(3, 20), make_map(3, 5)
    np.testing.assert_array_equal(full.object_kinds[:5], few.object_kinds)
    np.testing.assert_array_equal(full.object_cells[:5], few.object_cells)


def test_fifteen_distinct_nine_by_nine_shapes():
    masks = list(SHAPE_MASKS.values())
    assert len(masks) == 15 and all(m.shape == (9, 9) and m.any() and not m.all() for m in masks)
    assert len({m.tobytes() for m in masks}) == 15
    assert len(set(PALETTE.values())) == 15


def test_pixel_observation_layout():
    env = gym.make("Zipfian/Gridworld-v0").unwrapped
    obs, info = env.reset(seed=0, options={"map_rank": 1, "item_rank": 3})
    grid = env.maps[0]
    assert obs.shape == (63, 63, 3) and obs.dtype == np.uint8
    assert (obs[27:36, 27:36] == AGENT_RGB).all(), "agent drawn white in the centre cell"
    kind = grid.object_kinds[2]
    np.testing.assert_array_equal(obs[:9, :9], object_sprite(kind, CUE_BACKGROUND_RGB))
    assert (obs[:9, :9] == CUE_BACKGROUND_RGB).all(axis=-1).any()
    # Every other view cell matches the map: wall grey, floor black or an object sprite.
    r0, c0 = env.agent_cell[0] - 3, env.agent_cell[1] - 3
    for vr in range(7):
        for vc in range(7):
            if (vr, vc) in ((0, 0), (3, 3)):
                continue
            cell = obs[vr * 9 : vr * 9 + 9, vc * 9 : vc * 9 + 9]
            r, c = r0 + vr, c0 + vc
            inside = 0 <= r < 13 and 0 <= c < 13
            if inside and grid.walls[r, c]:
                assert (cell == WALL_RGB).all()
            elif inside and [r, c] in grid.object_cells.tolist():
                k = grid.object_kinds[grid.object_cells.tolist().index([r, c])]
                np.testing.assert_array_equal(cell, object_sprite(k))
            else:
                assert not cell.any(), "floor (and outside the map) is black"


def test_symbolic_observation_agrees_with_map():
    env = gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic").unwrapped
    obs, _ = env.reset(seed=1, options={"map_rank": 2, "item_rank": 5})
    grid = env.maps[1]
    assert obs.shape == (50,) and obs.dtype == np.uint8
    assert obs[24] == dynamics.AGENT_CODE
    assert obs[49] == dynamics.OBJECT_CODE_OFFSET + grid.object_kinds[4]
    view = obs[:49].reshape(7, 7)
    r0, c0 = env.agent_cell[0] - 3, env.agent_cell[1] - 3
    for vr in range(7):
        for vc in range(7):
            r, c = r0 + vr, c0 + vc
            if (vr, vc) == (3, 3):
                continue
            if not (0 <= r < 13 and 0 <= c < 13):
                assert view[vr, vc] == dynamics.FLOOR_CODE
            elif grid.walls[r, c]:
                assert view[vr, vc] == dynamics.WALL_CODE


@pytest.mark.parametrize("level", ["zipf_2", "zipf_1", "uniform", "uniform_rare"])
def test_target_and_map_ranks_follow_level(level):
    env = gym.make("Zipfian/Gridworld-v0", level=level, obs_mode="symbolic")
    env.reset(seed=0)
    item_counts, map_counts = np.zeros(20), np.zeros(20)
    for _ in range(4000):
        _, info = env.reset()
        item_counts[info["item_rank"] - 1] += 1
        map_counts[info["map_rank"] - 1] += 1
        if level == "uniform_rare":
            assert info["frequency_bin"] == "rare"
    weights = skew.distribution_weights(level, 20)
    support = weights > 0
    for counts in (item_counts, map_counts):
        assert counts[~support].sum() == 0
        assert stats.chisquare(counts[support], weights[support] * counts.sum()).pvalue > 1e-3
    # Map and target are drawn independently.
    assert stats.chisquare(item_counts[support], weights[support] * 4000).pvalue > 1e-3


def test_oracle_reaches_target_in_every_seeded_episode():
    env = gym.make("Zipfian/Gridworld-v0", level="uniform", obs_mode="symbolic")
    lengths = []
    for seed in range(1000):
        env.reset(seed=seed)
        for step in range(1, 101):  # noqa: B007 (step is read after the loop)
            _, reward, terminated, truncated, info = env.step(env.unwrapped.oracle_action())
            if terminated or truncated:
                break
        assert terminated and reward == 1.0 and info["success"], f"seed {seed} failed"
        lengths.append(step)
    assert max(lengths) < 100


def test_every_target_reachable_in_every_map():
    for index in range(20):
        grid = make_map(index)
        for target in range(20):
            distance = dynamics.distance_to_target(grid, target)
            assert 0 < distance[grid.start] < 100


def test_wrong_object_ends_with_zero_and_walls_block():
    env = gym.make("Zipfian/Gridworld-v0").unwrapped
    env.reset(seed=0, options={"map_rank": 1, "item_rank": 1})
    grid = env.maps[0]
    while True:  # walk to object 2 instead of the target (object 1)
        action = dynamics.oracle_action(grid, env.agent_cell, 1)
        _, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    assert terminated and reward == 0.0 and info["success"] is False
    tables = dynamics.world_tables(20, 20, 3, 3)
    assert dynamics.move(tables, 0, (1, 1), 0) == (1, 1), "wall to the north blocks"
    assert dynamics.move(tables, 0, (1, 1), 7) == (1, 1)
    assert dynamics.move(tables, 0, (1, 1), 3) == (2, 2)


def test_truncation_after_max_steps():
    env = gym.make("Zipfian/Gridworld-v0", max_steps=3).unwrapped
    env.reset(seed=0)
    tables = dynamics.world_tables(20, 20, 3, 3)
    safe = next(a for a in range(8) if dynamics.move(tables, env._map_index, env.agent_cell, a) == env.agent_cell)
    results = [env.step(safe) for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]
    assert results[-1][4]["success"] is False and not results[-1][2]


def test_configuration_and_validation():
    env = gym.make("Zipfian/Gridworld-v0", exponent=1.5).unwrapped
    assert env.distribution == "zipf_1.5"
    tiny = gym.make("Zipfian/Gridworld-v0", rooms=1, num_objects=2, num_maps=1, obs_mode="symbolic")
    _, info = tiny.reset(seed=0)
    assert info["num_items"] == 2 and info["map_rank"] == 1
    big = gym.make("Zipfian/Gridworld-v0", rooms=4, room_size=5, num_objects=60, num_maps=3)
    assert big.reset(seed=0)[0].shape == (63, 63, 3)
    bad = [
        ({"num_objects": 52}, "num_objects=52"),  # max_objects(3, 3) == 51 with the 8 doors of a tree
        ({"rooms": 1, "num_objects": 8}, "num_objects=8"),
        ({"num_objects": 0}, "num_objects"),
        ({"num_maps": 0}, "num_maps"),
        ({"room_size": 2}, "room_size"),
        ({"max_steps": 0}, "max_steps"),
        ({"rooms": 2.5}, "rooms"),
        ({"obs_mode": "rgb"}, "pixels, symbolic"),
        ({"render_mode": "ansi"}, "ansi"),
        ({"level": "uniform", "exponent": 2}, "not both"),
        ({"exponent": -1}, "valid forms"),
        ({"exponent": "two"}, "exponent must be"),
    ]
    for kwargs, message in bad:
        with pytest.raises(ValueError, match=message):
            gym.make("Zipfian/Gridworld-v0", **kwargs)
    with pytest.raises(ValueError, match="item_rank"):
        env.reset(options={"item_rank": 21})
    with pytest.raises(ValueError, match="valid: item_rank, map_rank"):
        env.reset(options={"target": 1})


def test_pinned_ranks_do_not_shift_the_other_stream():
    a = gym.make("Zipfian/Gridworld-v0")
    b = gym.make("Zipfian/Gridworld-v0")
    a.reset(seed=9)
    b.reset(seed=9)
    for rank in range(1, 21):
        _, info_a = a.reset()
        _, info_b = b.reset(options={"item_rank": rank})
        assert info_b["item_rank"] == rank and info_a["map_rank"] == info_b["map_rank"]


def test_full_render_shows_map_agent_and_target():
    env = gym.make("Zipfian/Gridworld-v0", render_mode="rgb_array", render_view="map")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (126, 126, 3)  # the 117-pixel map centred in the box as high as the 2x view
    base = env.unwrapped
    np.testing.assert_array_equal(frame[4:121, 4:121], full_frame(base._map, base.agent_cell, base._target))
    assert (frame == AGENT_RGB).all(axis=-1).sum() >= 81


def test_symbolic_mode_passes_both_checkers():
    import warnings

    from gymnasium.utils.env_checker import check_env as gym_check_env
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic").unwrapped)
        sb3_check_env(gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic"), warn=True)


def test_human_render_without_pygame_gives_install_hint(monkeypatch):
    from gymnasium.error import DependencyNotInstalled

    monkeypatch.setitem(sys.modules, "pygame", None)
    env = gym.make("Zipfian/Gridworld-v0", render_mode="human")
    with pytest.raises(DependencyNotInstalled, match=r"zipfian-envs\[viewer\]"):
        env.reset(seed=0)


def test_distribution_is_the_keyword_and_level_its_deprecated_spelling():
    from zipfian_envs.gridworld.env import GridworldEnv

    assert GridworldEnv(distribution="uniform").distribution == "uniform"
    with pytest.warns(DeprecationWarning, match=r"level='uniform'.*write distribution='uniform'"):
        assert GridworldEnv(level="uniform").distribution == "uniform"
    assert gym.make("Zipfian/Gridworld-zipf_3-v0").unwrapped.distribution == "zipf_3"
    with pytest.raises(ValueError, match="give distribution='zipf_1' only"):
        GridworldEnv(distribution="zipf_1", level="uniform")


def test_symbolic_ids_are_registered_for_every_paper_level():
    from zipfian_envs.registration import FAMILIES

    family = next(f for f in FAMILIES if f.name == "Gridworld")
    for level in (None, *family.paper_levels):
        env_id = "Zipfian/Gridworld-Symbolic-v0" if level is None else f"Zipfian/Gridworld-Symbolic-{level}-v0"
        env = gym.make(env_id)
        assert env.unwrapped.obs_mode == "symbolic" and env.observation_space.shape == (dynamics.SYMBOLIC_SIZE,)
        assert env.unwrapped.distribution == (level or "zipf_2")
        envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point")
        assert envs.single_observation_space == env.observation_space
        envs.close()

"""Registry-driven harness tests: every registered Zipfian id evaluates under all three protocols.

An env whose level names go beyond the shared grammar states its protocol levels itself (the
``protocol_levels`` classmethod contract of :mod:`zipfian_envs.evaluation.protocols`).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from zipfian_envs.evaluation import EvaluationError, OraclePolicy, evaluate, evaluate_protocols
from zipfian_envs.evaluation import protocols as proto
from zipfian_envs.evaluation.cli import main as eval_main
from zipfian_envs.evaluation.harness import protocol_levels, resolve_training_level
from zipfian_envs.playroom.env import PlayroomEnv

IDS = sorted(env_id for env_id, spec in gym.registry.items() if spec.namespace == "Zipfian")
# Families whose oracle plays full-length episodes (the Labyrinth's run to its time limit) play
# shortened random episodes instead; the others are played by their oracle, which must win.
SHORT_RANDOM = {"Labyrinth": {"time_limit_scale": 0.01}}


@pytest.fixture
def two_uniform_episodes(monkeypatch):
    """The uniform protocol pins ranks 1 and n only (the real one runs every rank at least once)."""
    monkeypatch.setattr(proto, "uniform_episode_count", lambda episodes, num_items, minimum: 2)
    monkeypatch.setattr(proto, "pinned_ranks", lambda total, num_items: np.array([1, num_items])[:total])


def test_every_family_is_covered():
    families = {env_id.split("/")[1].split("-")[0] for env_id in IDS}
    assert {"Gridworld", "Playroom", "Labyrinth"} <= families
    assert "Zipfian/Playroom-put.put_on_bed_tray_frequent-v0" in IDS


@pytest.mark.parametrize("env_id", IDS)
def test_the_harness_evaluates_every_registered_id_under_every_protocol(env_id, two_uniform_episodes):
    family = env_id.split("/")[1].split("-")[0]
    env_kwargs = SHORT_RANDOM.get(family, {})
    level = resolve_training_level(env_id, **env_kwargs)
    levels = protocol_levels(env_id, level, **env_kwargs)
    policy = "random" if family in SHORT_RANDOM else OraclePolicy()
    results = evaluate_protocols(policy, env_id, level, episodes=2, seed=0, num_envs=2, **env_kwargs)
    assert set(results) == set(proto.PROTOCOLS)
    for protocol, records in results.items():
        assert len(records) == 2 and all(r["protocol"] == protocol for r in records)
        num_items = records[0]["num_items"]
        if protocol == "uniform":
            assert [r["item_rank"] for r in records] == [1, num_items]
        if protocol == "rare":
            assert {r["frequency_bin"] for r in records} == {"rare"}
        if policy != "random":
            assert all(r["success"] for r in records), (protocol, records)
    # The zipfian protocol runs the id's own training distribution: the level a plain make reports.
    env = gym.make(env_id, **env_kwargs)
    own = env.reset(seed=0)[1]["level"]
    env.close()
    assert {r["level"] for r in results["zipfian"]} == {own}
    assert levels["zipfian"] == level
    if gym.spec(env_id).vector_entry_point is not None:  # the native vector env gives the records sync does
        sync = evaluate(policy, env_id, level, episodes=2, seed=0, num_envs=2, protocol="rare", vectorization="sync",
                        **env_kwargs)  # fmt: skip
        assert sync == results["rare"]


def test_the_playroom_states_its_protocol_levels():
    frequent = "Zipfian/Playroom-put.put_on_bed_tray_frequent-v0"
    own = {"zipfian": "frequent", "uniform": "uniform", "rare": "uniform_rare"}
    assert protocol_levels(frequent, "frequent") == own
    # A reference name on the plain id keeps its task in every protocol's level.
    assert protocol_levels("Zipfian/Playroom-v0", "put/put_near_bed_tray_frequent") == {
        "zipfian": "put/put_near_bed_tray_frequent",
        "uniform": "put/put_near_bed_tray_uniform",
        "rare": "put/put_near_bed_tray_uniform_rare",
    }
    with pytest.raises(ValueError, match=r"unknown level 'often'.*frequent"):
        protocol_levels(frequent, "often")
    with pytest.raises(ValueError, match="is a 'put/put_on_bed_tray' level but task='lift/lift_shape'"):
        protocol_levels("Zipfian/Playroom-lift.lift_shape_zipf2-v0", "put/put_on_bed_tray_frequent")
    # Envs without the classmethod get the shared grammar, which has no 'frequent'.
    assert protocol_levels("Zipfian/Gridworld-v0", "zipf_1") == proto.default_protocol_levels("zipf_1")
    with pytest.raises(ValueError, match="unknown distribution 'frequent'"):
        protocol_levels("Zipfian/Gridworld-v0", "frequent")


def test_the_frequent_split_trains_and_the_rare_protocol_is_the_held_out_split():
    records = evaluate_protocols(OraclePolicy(), "Zipfian/Playroom-put.put_on_bed_tray_frequent-v0", "frequent",
                                 episodes=12, seed=3, num_envs=2, protocols=("zipfian", "rare"))  # fmt: skip
    assert {r["item_rank"] for r in records["zipfian"]} <= set(range(1, 65))
    assert {r["item_rank"] for r in records["rare"]} <= set(range(65, 81))
    assert all(r["success"] for rs in records.values() for r in rs)


class BadContractEnv(PlayroomEnv):
    """A Playroom whose protocol_levels breaks the contract."""

    @classmethod
    def protocol_levels(cls, level=None, **kwargs):
        """Forgets the rare protocol."""
        return {"zipfian": level, "uniform": "uniform"}


def test_a_broken_contract_is_a_clear_error():
    gym.register("ZipfianTest/BadContract-v0", entry_point=BadContractEnv)
    try:
        with pytest.raises(EvaluationError, match="protocol_levels\\(\\) must return a dict with the keys"):
            evaluate(OraclePolicy(), "ZipfianTest/BadContract-v0", episodes=1, num_envs=1)
    finally:
        del gym.registry["ZipfianTest/BadContract-v0"]


def test_the_cli_evaluates_a_frequent_id(tmp_path, capsys):
    argv = ["--env", "Zipfian/Playroom-put.put_near_bed_tray_frequent-v0", "--policy", "oracle", "--episodes", "3",
            "--protocols", "zipfian", "rare", "--num-envs", "1", "--no-plot", "--no-progress",
            "--out", str(tmp_path)]  # fmt: skip
    assert eval_main(argv) == 0
    out = capsys.readouterr().out
    assert "level=frequent" in out and "uniform_rare" in out
    assert eval_main([*argv[:-2], "--level", "often", "--out", str(tmp_path)]) == 2
    assert "unknown level 'often'" in capsys.readouterr().err


def test_records_without_a_protocol_are_sorted_by_the_envs_own_levels(tmp_path, capsys):
    from zipfian_envs.core.records import save_records
    from zipfian_envs.evaluation.cli import level_protocols

    assert level_protocols("Zipfian/Playroom-v0", "put/put_on_bed_tray_frequent") == {
        "put/put_on_bed_tray_uniform": "uniform",
        "uniform": "uniform",
        "put/put_on_bed_tray_uniform_rare": "rare",
        "uniform_rare": "rare",
        "put/put_on_bed_tray_frequent": "zipfian",
        "frequent": "zipfian",
    }
    # Episodes recorded elsewhere carry the env's info["level"] ("frequent", ...), not the protocol.
    by_protocol = evaluate_protocols(OraclePolicy(), "Zipfian/Playroom-v0", "put/put_on_bed_tray_frequent",
                                     episodes=2, seed=0, num_envs=1, min_episodes_per_rank=0)  # fmt: skip
    records = [{k: v for k, v in r.items() if k != "protocol"} for rs in by_protocol.values() for r in rs]
    assert {r["level"] for r in records} == {"frequent", "uniform", "uniform_rare"}
    path = save_records(records, tmp_path / "played.csv", policy="someone")
    argv = ["--env", "Zipfian/Playroom-v0", "--level", "put/put_on_bed_tray_frequent", "--from-records", str(path),
            "--out", str(tmp_path / "out"), "--no-plot"]  # fmt: skip
    assert eval_main(argv) == 0
    out = capsys.readouterr().out
    assert all(f"{protocol} " in out for protocol in ("zipfian", "uniform", "rare"))


def test_native_vector_resets_merge_dict_observations():
    from zipfian_envs.evaluation.harness import _take_where

    old = {"image": np.zeros((3, 2, 2), np.uint8), "instruction": np.zeros((3, 4), np.int64)}
    new = {"image": np.ones((3, 2, 2), np.uint8), "instruction": np.full((3, 4), 7)}
    merged = _take_where(np.array([False, True, False]), new, old)
    assert merged["image"][:, 0, 0].tolist() == [0, 1, 0] and merged["instruction"][:, 0].tolist() == [0, 7, 0]
    assert old["image"].sum() == 0  # the inputs are left alone
    assert _take_where(np.array([True, False]), np.ones(2), np.zeros(2)).tolist() == [1.0, 0.0]

"""Harness tests: known-answer policies, exact episode accounting, protocols and policy plumbing."""

from collections import Counter

import gymnasium as gym
import numpy as np
import pytest

from zipfian_envs.evaluation import EvaluationError, OraclePolicy, RandomPolicy, as_policy, evaluate, evaluate_protocols
from zipfian_envs.evaluation.protocols import episode_seeds
from zipfian_envs.evaluation.summary import summarize
from zipfian_envs.gridworld import dynamics

ENV = "Zipfian/Gridworld-v0"
# Random-policy success on zipf_2 measured with this harness: 340 of 10,000 episodes (seed 0,
# benchmarks/bench_evaluation.py, map_version 2); the reference implementation's figure is 3.5%
# (shared/REFERENCE.md).
RANDOM_RATE = 0.0340


class RankGatedOracle:
    """Succeeds exactly on item ranks <= 4: the oracle's move there, a walk to a decoy object elsewhere."""

    def bind(self, env):
        self.env = env

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        vec = self.env.unwrapped
        if hasattr(vec, "envs"):  # SyncVectorEnv of single envs
            subs = [sub.unwrapped for sub in vec.envs]
            states = [(env._map, env.agent_cell, env._target) for env in subs]
        else:  # the native vector env: the same state, as arrays
            cells = [tuple(cell) for cell in vec.agent_cells.tolist()]
            states = zip([vec.maps[m] for m in vec.map_indices], cells, vec.targets.tolist())
        actions = []
        for grid_map, cell, target in states:  # target: 0-based object index; item rank = index + 1
            # Paths from distance_to_target treat every other object as a wall, so a walk to the
            # decoy never touches the target: a guaranteed failure.
            goal = target if target + 1 <= 4 else (target + 1) % len(grid_map.object_kinds)
            actions.append(dynamics.oracle_action(grid_map, cell, goal))
        return np.asarray(actions), state


class StepCounter:
    """A stand-in recurrent policy: its state counts steps since episode start and logs finished lengths."""

    def __init__(self, num_envs):
        self.rng = np.random.default_rng(0)
        self.lengths = [[] for _ in range(num_envs)]

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        count = np.zeros(len(obs), dtype=np.int64) if state is None else state
        for i in np.flatnonzero(episode_start):
            if state is not None:
                self.lengths[i].append(int(count[i]))
        count = np.where(episode_start, 0, count) + 1
        return self.rng.integers(0, 8, len(obs)), count


@pytest.mark.parametrize("vectorization", ["auto", "sync"])
def test_rank_gated_policy_gives_exact_rates_under_uniform(vectorization):
    records = evaluate(RankGatedOracle(), ENV, episodes=100, seed=1, num_envs=4, protocol="uniform",
                       vectorization=vectorization)  # fmt: skip
    summary = summarize(records)
    assert len(records) == 200  # 20 ranks x the default minimum of 10
    assert summary["success"]["success"] == pytest.approx(4 / 20)
    assert {b: e["success"] for b, e in summary["bins"].items()} == {"common": 1.0, "medium": 0.0, "rare": 0.0}
    assert summary["bins"]["common"]["ci_low"] == summary["bins"]["common"]["ci_high"] == 1.0
    assert summary["rare_success"] == 0.0
    assert summary["rare_common_ratio"] == 0.0
    assert [row["success"] for row in summary["ranks"]] == [1.0] * 4 + [0.0] * 16


def test_rank_gated_policy_under_zipfian_and_rare():
    results = evaluate_protocols(RankGatedOracle(), ENV, "zipf_1", episodes=120, seed=2, num_envs=4)
    zipfian = results["zipfian"]
    common_share = sum(r["item_rank"] <= 4 for r in zipfian) / len(zipfian)
    assert summarize(zipfian)["success"]["success"] == pytest.approx(common_share)
    assert 0.3 < common_share < 0.9  # zipf_1 over 20 items puts 55% of the mass on ranks 1-4
    assert all(r["success"] == (r["item_rank"] <= 4) for r in zipfian)
    rare = results["rare"]
    assert {r["frequency_bin"] for r in rare} == {"rare"} and not any(r["success"] for r in rare)


def test_oracle_scores_100_percent_on_every_protocol():
    results = evaluate_protocols(OraclePolicy(), ENV, "zipf_2", episodes=60, seed=3, num_envs=4)
    assert set(results) == {"zipfian", "uniform", "rare"}
    for protocol, records in results.items():
        assert records and all(r["success"] and r["return"] == 1.0 for r in records), protocol
        assert all(r["protocol"] == protocol for r in records)


def test_random_policy_scores_near_its_measured_rate():
    records = evaluate("random", ENV, episodes=3000, seed=11, num_envs=8)
    rate = np.mean([r["success"] for r in records])
    sigma = np.sqrt(RANDOM_RATE * (1 - RANDOM_RATE) / len(records))
    assert abs(rate - RANDOM_RATE) < 4 * sigma


def test_records_match_an_independent_replay():
    """num_envs=1 makes the random action stream replayable: every record must match a manual loop."""
    records = evaluate(RandomPolicy(gym.spaces.Discrete(8), seed=5), ENV, episodes=150, seed=4, num_envs=1)
    env = gym.make(ENV)
    rng = np.random.default_rng(5)
    for record, seed in zip(records, episode_seeds(4, "zipfian", 150), strict=True):
        _, info = env.reset(seed=int(seed))
        total, length = 0.0, 0
        while True:
            _, reward, terminated, truncated, info = env.step(rng.integers(0, 8, size=1)[0])
            total, length = total + reward, length + 1
            if terminated or truncated:
                break
        expected = (info["item"], info["item_rank"], info["map_rank"], total, length, info["success"])
        assert (record["item"], record["item_rank"], record["map_rank"]) == expected[:3]
        assert (record["return"], record["length"], record["success"]) == expected[3:]


def test_record_fields_and_order():
    records = evaluate(OraclePolicy(), ENV, level="zipf_1.5", episodes=10, seed=0, num_envs=3)
    assert [r["episode"] for r in records] == list(range(10))
    first = records[0]
    assert set(first) == {
        "env_id", "level", "protocol", "seed", "episode", "item", "item_rank", "num_items",
        "frequency_bin", "map_rank", "return", "length", "success",
    }  # fmt: skip
    assert (first["env_id"], first["level"], first["protocol"], first["num_items"]) == (ENV, "zipf_1.5", "zipfian", 20)


def test_episodes_do_not_depend_on_num_envs():
    one = evaluate(OraclePolicy(), ENV, episodes=24, seed=9, num_envs=1, protocol="rare")
    five = evaluate(OraclePolicy(), ENV, episodes=24, seed=9, num_envs=5, protocol="rare")
    assert one == five


def test_uniform_protocol_spreads_ranks_evenly_with_a_minimum():
    records = evaluate(OraclePolicy(), ENV, episodes=30, seed=0, protocol="uniform", min_episodes_per_rank=3)
    assert Counter(r["item_rank"] for r in records) == {rank: 3 for rank in range(1, 21)}
    records = evaluate(OraclePolicy(), ENV, episodes=70, seed=0, protocol="uniform", min_episodes_per_rank=1)
    assert Counter(r["item_rank"] for r in records) == {rank: 4 for rank in range(1, 21)}
    assert {r["level"] for r in records} == {"uniform"}


def test_recurrent_state_is_carried_and_reset_at_episode_start():
    policy = StepCounter(num_envs=3)
    records = evaluate(policy, ENV, episodes=30, seed=6, num_envs=3)
    for i in range(3):
        own = [r["length"] for r in records if r["episode"] % 3 == i]
        logged = policy.lengths[i][: len(own)]
        # The sub-env that finishes last is never stepped again, so its last episode may go unlogged.
        assert len(logged) >= len(own) - 1 and logged == own[: len(logged)]


def test_plain_callables_are_policies():
    records = evaluate(lambda obs: 2, ENV, episodes=8, seed=0, num_envs=2, obs_mode="symbolic")
    assert len(records) == 8
    batched = as_policy(lambda obs: np.full(len(obs), 4), batched=True)
    assert batched.predict(np.zeros((3, 50)))[0].tolist() == [4, 4, 4]
    with pytest.raises(TypeError):
        as_policy(42)


class BindSpy:
    """Random actions; remembers which vector env the harness bound it to."""

    def bind(self, env):
        self.bound = env.unwrapped

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return np.zeros(len(obs), dtype=np.int64), state


def test_native_vector_env_is_the_default_and_sync_remains_available():
    from zipfian_envs.gridworld.vector import GridworldVectorEnv

    spy = BindSpy()
    evaluate(spy, ENV, episodes=4, seed=0, num_envs=2, obs_mode="symbolic")
    assert isinstance(spy.bound, GridworldVectorEnv)
    evaluate(spy, ENV, episodes=4, seed=0, num_envs=2, obs_mode="symbolic", vectorization="sync")
    assert isinstance(spy.bound, gym.vector.SyncVectorEnv)
    with pytest.raises(EvaluationError, match="no native vector env"):
        evaluate("random", "CartPole-v1", episodes=2, num_envs=1, vectorization="native")


@pytest.mark.parametrize(
    ("protocol", "num_envs", "obs_mode"),
    [("zipfian", 1, "symbolic"), ("uniform", 3, "pixels"), ("rare", 8, "symbolic"), ("zipfian", 5, "pixels")],
)
def test_native_and_sync_vectorization_give_identical_records(protocol, num_envs, obs_mode):
    """Same per-episode seeds, actions and records whichever vector env runs the episodes."""
    kwargs = {"episodes": 60, "seed": 12, "num_envs": num_envs, "protocol": protocol, "obs_mode": obs_mode}
    for make_policy in (lambda: "random", OraclePolicy, lambda: StepCounter(num_envs)):
        native = evaluate(make_policy(), ENV, vectorization="native", **kwargs)
        sync = evaluate(make_policy(), ENV, vectorization="sync", **kwargs)
        assert native == sync and len(native) >= 60
    assert len({r["item"] for r in native}) > 3


def test_async_vectorization_gives_the_same_records():
    sync = evaluate(OraclePolicy(), ENV, episodes=6, seed=8, num_envs=2, obs_mode="symbolic")
    async_ = evaluate(OraclePolicy(), ENV, episodes=6, seed=8, num_envs=2, vectorization="async", obs_mode="symbolic")
    assert sync == async_


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"env_id": "Zipfian/Nope-v0"}, "unknown env id"),
        ({"distribution": "zipf_x"}, "unknown distribution"),
        ({"protocol": "rarest"}, "unknown protocol"),
        ({"episodes": 0}, "episodes must be"),
        ({"num_envs": 0}, "num_envs must be"),
        ({"vectorization": "threads"}, "unknown vectorization"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    args = {"env_id": ENV, "episodes": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        evaluate(OraclePolicy(), **args)


def test_oracle_needs_bind_and_an_oracle():
    with pytest.raises(RuntimeError, match="bind"):
        OraclePolicy().predict(np.zeros((1, 50)))
    vec = gym.make_vec("CartPole-v1", num_envs=2)
    with pytest.raises(EvaluationError, match="oracle_action"):
        OraclePolicy().bind(vec).predict(np.zeros((2, 4)))
    vec.close()


def test_envs_without_the_info_contract_are_refused():
    with pytest.raises(EvaluationError, match="info keys"):
        evaluate("random", "CartPole-v1", episodes=2, num_envs=1)

"""Exploration aids of training (agents/exploration.py): the episodic novelty bonus pays exactly the
first visits, leaves the env's own reward and episode records alone, decays, and runs from the CLI;
the fresh-map aid steps the configured and the fresh-map envs side by side, as one VecEnv of them all."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv

from zipfian_envs.agents import train
from zipfian_envs.agents.exploration import (
    FRESH_MAPS,
    ClipReward,
    ConcatVecEnv,
    EpisodicNoveltyBonus,
    fresh_map_kwargs,
)
from zipfian_envs.evaluation.report import load_result
from zipfian_envs.registration import NAMESPACE
from zipfian_envs.vector import to_sb3

GRIDWORLD = f"{NAMESPACE}/Gridworld-v0"


def _native(num_envs: int = 4):
    batched = gym.make_vec(GRIDWORLD, num_envs=num_envs, vectorization_mode="vector_entry_point",
                           autoreset_mode=AutoresetMode.SAME_STEP, obs_mode="symbolic")  # fmt: skip
    env = to_sb3(batched)
    env.seed(5)
    return env, batched


def test_bonus_pays_first_visits_only_and_resets_with_the_episode() -> None:
    env, batched = _native()
    wrapped = EpisodicNoveltyBonus(env, 0.25)
    wrapped.reset()
    visited = [{tuple(cell)} for cell in batched.agent_cells.tolist()]
    rng = np.random.default_rng(0)
    paid = unpaid = 0
    for _ in range(400):
        actions = rng.integers(0, 8, size=wrapped.num_envs)
        _, rewards, dones, infos = wrapped.step(actions)
        cells = [tuple(cell) for cell in batched.agent_cells.tolist()]
        for i, cell in enumerate(cells):
            # The env's own reward is 1 on success and 0 otherwise, paid on the episode's last step.
            extrinsic = float(infos[i].get("is_success", False)) if dones[i] else 0.0
            if dones[i]:
                expected = extrinsic  # the step that ends an episode gets no bonus
                visited[i] = {cell}  # the new episode's start cell
                assert infos[i]["episode"]["r"] == extrinsic  # Monitor returns stay the env's
            else:
                expected = 0.25 if cell not in visited[i] else 0.0
                visited[i].add(cell)
            assert rewards[i] == pytest.approx(expected), (i, cell)
            paid += expected == 0.25
            unpaid += not dones[i] and expected == 0.0
    assert paid > 50 and unpaid > 50  # both branches were exercised


def test_bonus_decays_linearly_to_zero() -> None:
    env, _ = _native(2)
    wrapped = EpisodicNoveltyBonus(env, 0.1, decay_steps=100)
    assert wrapped.current_bonus() == pytest.approx(0.1)
    wrapped.steps = 50
    assert wrapped.current_bonus() == pytest.approx(0.05)
    wrapped.steps = 150
    assert wrapped.current_bonus() == 0.0
    wrapped.reset()
    wrapped.step(np.zeros(2, dtype=np.int64))
    assert wrapped.steps == 152  # counts environment steps, num_envs per step


@pytest.mark.parametrize("bonus", [0.0, -0.1, float("nan")])
def test_bonus_must_be_positive(bonus: float) -> None:
    env, _ = _native(2)
    with pytest.raises(ValueError, match="must be a positive number"):
        EpisodicNoveltyBonus(env, bonus)


def test_bonus_needs_agent_cells() -> None:
    dummy = make_vec_env(GRIDWORLD, n_envs=2, seed=0, env_kwargs={"obs_mode": "symbolic"}, vec_env_cls=DummyVecEnv)
    with pytest.raises(ValueError, match="agent_cells"):
        EpisodicNoveltyBonus(dummy, 0.1)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--novelty-bonus", "-0.5"], "--novelty-bonus must be a number >= 0, got -0.5"),
        (["--novelty-bonus", "0.1", "--vec-env", "dummy"], "needs the Gridworld's native vector env"),
        (["--novelty-bonus", "0.1", "--env", f"{NAMESPACE}/Labyrinth-v0"], "needs the Gridworld's native vector env"),
    ],
)
def test_bad_novelty_arguments_exit_2(extra: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        train.main(["--algo", "ppo", "--steps", "10", "--out", "x", *extra])
    assert excinfo.value.code == 2
    assert message in capsys.readouterr().err


def test_novelty_training_runs_and_is_recorded(tmp_path: Path) -> None:
    out = tmp_path / "novelty"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "256", "--n-envs", "2", "--out", str(out),
            "--novelty-bonus", "0.01", "--cue-match", "--final-episodes", "3", "--min-episodes-per-rank", "0",
            "--checkpoint-every", "0", "--hp", "n_steps=64", "--hp", "batch_size=64", "--no-progress"]  # fmt: skip
    assert train.main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["novelty_bonus"] == 0.01 and config["training"]["steps"] >= 256
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-cuematch-novelty"


# -- the fresh-map aid -----------------------------------------------------------------------------


def test_concatenated_envs_step_as_one_vec_env_of_them_all() -> None:
    kwargs = {"obs_mode": "symbolic"}
    whole = train.make_env(GRIDWORLD, 4, 7, kwargs)
    joined = ConcatVecEnv([train.make_env(GRIDWORLD, 1, 7, kwargs), train.make_env(GRIDWORLD, 3, 8, kwargs)])
    assert joined.num_envs == 4
    assert np.array_equal(whole.reset(), joined.reset())
    rng = np.random.default_rng(1)
    ends = 0
    for _ in range(300):
        actions = rng.integers(0, 8, size=4)
        a, b = whole.step(actions), joined.step(actions)
        for left, right in zip(a[:3], b[:3]):
            assert np.array_equal(left, right)
        assert [i.get("map_index") for i in a[3]] == [i.get("map_index") for i in b[3]]
        ends += int(a[2].sum())
    assert ends > 20  # episodes ended and reset inside the parts, in step with the whole
    # Per-env calls reach the right part: sub-env 1 is the second part's first.
    assert joined.env_method("oracle_action") == whole.env_method("oracle_action")
    assert joined.env_method("oracle_action", indices=[1, 3]) == whole.env_method("oracle_action", indices=[1, 3])
    assert joined.get_attr("num_maps", indices=[0, 2]) == [20, 20]
    with pytest.raises(ValueError, match="share observation and action spaces"):
        ConcatVecEnv([whole, train.make_env(GRIDWORLD, 1, 0, {"obs_mode": "pixels"})])


def test_fresh_map_kwargs_keep_the_config_and_refuse_too_many_maps() -> None:
    kwargs = fresh_map_kwargs({"obs_mode": "symbolic", "rooms": 2, "level": "zipf_2"})
    assert kwargs == {"obs_mode": "symbolic", "rooms": 2, "num_maps": FRESH_MAPS, "distribution": "uniform"}
    with pytest.raises(ValueError, match=f"num_maps < {FRESH_MAPS}, got num_maps=1000"):
        fresh_map_kwargs({"num_maps": 1000})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fresh-maps", "1"], "--fresh-maps must be a fraction in [0, 1), got 1.0"),
        (["--fresh-maps", "-0.2"], "--fresh-maps must be a fraction in [0, 1), got -0.2"),
        (["--fresh-maps", "nan"], "--fresh-maps must be a fraction in [0, 1), got nan"),
        (["--fresh-maps", "0.5", "--env", f"{NAMESPACE}/Labyrinth-v0"], "--fresh-maps works on the Gridworld"),
        (["--fresh-maps", "0.5", "--novelty-bonus", "0.1"], "cannot be combined"),
        (["--fresh-maps", "0.5", "--env-kwarg", "num_maps=1200"], "num_maps < 1000, got num_maps=1200"),
    ],
)
def test_bad_fresh_map_arguments_exit_2(extra: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        train.main(["--algo", "ppo", "--steps", "10", "--out", "x", *extra])
    assert excinfo.value.code == 2
    assert message in capsys.readouterr().err


def test_fresh_map_training_plays_other_maps_and_is_recorded(tmp_path: Path, monkeypatch) -> None:
    built = []
    make_env = train.make_env

    def spy(env_id, n_envs, seed, env_kwargs, vec_env="auto"):
        built.append((n_envs, seed, env_kwargs))
        return make_env(env_id, n_envs, seed, env_kwargs, vec_env)

    monkeypatch.setattr(train, "make_env", spy)
    out = tmp_path / "fresh"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "256", "--n-envs", "4", "--out", str(out),
            "--fresh-maps", "0.25", "--cue-match", "--final-episodes", "3", "--min-episodes-per-rank", "0",
            "--checkpoint-every", "0", "--hp", "n_steps=64", "--hp", "batch_size=64", "--no-progress"]  # fmt: skip
    assert train.main(argv) == 0
    assert built == [(3, 0, {"obs_mode": "symbolic"}), (1, 3, fresh_map_kwargs({"obs_mode": "symbolic"}))]
    config = json.loads((out / "config.json").read_text())
    assert config["fresh_maps"] == 0.25 and config["vec_env"] == "ConcatVecEnv"
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-cuematch-freshmaps"
    assert result["env_kwargs"] == {"obs_mode": "symbolic"}  # evaluated on the configured env only
    # The fresh part's episodes play maps beyond the configured 20.
    fresh = train.make_env(GRIDWORLD, 8, 0, fresh_map_kwargs({"obs_mode": "symbolic"}))
    fresh.reset()
    maps, rng = set(), np.random.default_rng(0)
    for _ in range(200):
        maps |= {i["map_index"] for i in fresh.step(rng.integers(0, 8, size=8))[3] if "map_index" in i}
    assert max(maps) >= 20 and len(maps) > 20


def test_too_few_envs_for_the_fresh_share_exit_with_a_message(tmp_path: Path, capsys) -> None:
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--n-envs", "1", "--fresh-maps", "0.6",
            "--out", str(tmp_path / "x"), "--no-progress"]  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        train.main(argv)
    assert stop.value.code == 2  # checked with the other arguments, before the run folder is made
    assert "leaves none of 1 envs on the configured maps" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


# -- reward clipping -------------------------------------------------------------------------------


class _Payout(gym.Env):
    """Pays the action's value from a fixed table: -7, -0.25, 0, 0.5, 12."""

    PAYOUTS = (-7.0, -0.25, 0.0, 0.5, 12.0)
    observation_space = gym.spaces.Box(0, 1, (1,), np.float32)
    action_space = gym.spaces.Discrete(len(PAYOUTS))

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        return np.zeros(1, np.float32), self.PAYOUTS[int(action)], False, False, {}


def test_clip_reward_bounds_what_the_agent_learns_from() -> None:
    env = ClipReward(DummyVecEnv([_Payout for _ in range(5)]), 1.0)
    env.reset()
    _, rewards, _, _ = env.step(np.arange(5))
    np.testing.assert_array_equal(rewards, [-1.0, -0.25, 0.0, 0.5, 1.0])
    env.close()


@pytest.mark.parametrize("limit", [0.0, -1.0, float("nan"), float("inf")])
def test_clip_reward_limit_must_be_positive(limit: float) -> None:
    with pytest.raises(ValueError, match="reward clip limit must be a positive number"):
        ClipReward(DummyVecEnv([_Payout]), limit)


@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_bad_clip_reward_exits_2(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        train.main(["--algo", "ppo", "--steps", "10", "--out", "x", "--clip-reward", value])
    assert excinfo.value.code == 2
    assert f"--clip-reward must be a number > 0 (0: off), got {float(value)}" in capsys.readouterr().err


def test_clipped_training_runs_and_is_recorded(tmp_path: Path) -> None:
    out = tmp_path / "clipped"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "256", "--n-envs", "2", "--out", str(out),
            "--clip-reward", "0.5", "--final-episodes", "3", "--min-episodes-per-rank", "0",
            "--checkpoint-every", "0", "--hp", "n_steps=64", "--hp", "batch_size=64", "--no-progress"]  # fmt: skip
    assert train.main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["clip_reward"] == 0.5
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-clip"

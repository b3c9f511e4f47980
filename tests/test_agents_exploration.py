"""Exploration aids of training (agents/exploration.py): the episodic novelty bonus pays exactly the
first visits, leaves the env's own reward and episode records alone, decays, and runs from the CLI."""

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
from zipfian_envs.agents.exploration import EpisodicNoveltyBonus
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

"""Oracle guidance (DAgger before RL): the returns, the buffer, argument checks and a CLI run that imitates."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from zipfian_envs.agents import train
from zipfian_envs.agents.imitation import LabelledBuffer, check_dagger, discounted_returns
from zipfian_envs.evaluation.report import load_result

torch.set_num_threads(1)

TINY = ["--env-kwarg", "rooms=1", "--env-kwarg", "num_objects=2", "--env-kwarg", "num_maps=1"]


def test_discounted_returns_stop_at_episode_ends_and_mark_unfinished_steps() -> None:
    rewards = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]], dtype=np.float32)
    dones = np.array([[False, True], [True, False], [False, False]])
    returns, known = discounted_returns(rewards, dones, gamma=0.5)
    # Env 0: the episode ends at step 1 (return 1 there, 0.5 a step before); step 2 starts an unfinished one.
    np.testing.assert_allclose(returns[:, 0], [0.5, 1.0, 0.0])
    assert known[:, 0].tolist() == [True, True, False]
    # Env 1: a reward on the ending step 0, then an episode that has not ended inside the window.
    np.testing.assert_allclose(returns[:, 1], [1.0, 0.0, 0.0])
    assert known[:, 1].tolist() == [True, False, False]


def test_labelled_buffer_wraps_around_keeping_the_newest_rows() -> None:
    space = spaces.Dict({"image": spaces.Box(0, 255, (2, 2, 3), np.uint8), "instruction": spaces.Box(0, 9, (4,))})
    buffer = LabelledBuffer(space, capacity=5)
    for start in (0, 3):
        obs = {"image": np.full((3, 2, 2, 3), start, np.uint8), "instruction": np.zeros((3, 4), np.float32)}
        buffer.add(obs, np.arange(start, start + 3), np.ones(3, np.float32), np.ones(3, bool))
    assert buffer.size == 5 and buffer.next == 1
    # Row 0 was overwritten by the second batch's last row (action 5); rows 1-2 still hold the first batch's.
    assert buffer.actions.tolist() == [5, 1, 2, 3, 4]
    assert buffer.rows(np.array([0, 1]))["image"][:, 0, 0, 0].tolist() == [3, 0]


def test_value_targets_filled_in_after_the_rows_keep_the_newest_on_overwrite() -> None:
    buffer = LabelledBuffer(spaces.Box(0, 255, (2,), np.uint8), capacity=4)
    slots = [buffer.add(np.full((3, 2), t, np.uint8), np.full(3, t)) for t in range(2)]  # 6 rows into 4 slots
    assert not buffer.has_return.any()
    for t, rows in enumerate(slots):
        buffer.set_returns(rows, np.full(3, 10.0 * (t + 1), np.float32), np.array([True, False, True]))
    # The second batch went to slots 3, 0, 1: its targets there; slot 2 keeps the first batch's last row.
    assert buffer.returns.tolist() == [20.0, 20.0, 10.0, 20.0]
    assert buffer.has_return.tolist() == [False, True, True, True]
    assert buffer.actions.tolist() == [1, 1, 0, 1]


@pytest.mark.parametrize(
    ("algo", "steps", "total", "space", "message"),
    [
        ("ppo", -1, 100, spaces.Discrete(3), "--dagger-steps must be >= 0, got -1"),
        ("dqn", 10, 100, spaces.Discrete(3), "works with ppo, a2c (one action distribution to fit); got dqn"),
        ("ppo", 200, 100, spaces.Discrete(3), "--dagger-steps 200 is more than --steps 100"),
        ("ppo", 10, 100, spaces.Box(-1, 1, (5,)), "needs a discrete action space"),
    ],
)
def test_bad_dagger_settings_name_the_value(algo, steps, total, space, message) -> None:
    assert message in check_dagger(algo, steps, total, space)
    assert "--dagger-epochs must be a number in (0, 1000], got nan" in check_dagger("ppo", 10, 100, space, float("nan"))
    assert check_dagger("ppo", 0, 100, spaces.Box(-1, 1, (5,))) is None


def test_dagger_cli_refuses_an_algorithm_it_cannot_fit(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        train.parse_args(["--algo", "dqn", "--steps", "100", "--dagger-steps", "50", "--out", "x"])
    assert exit_info.value.code == 2
    assert "--dagger-steps works with ppo, a2c" in capsys.readouterr().err


def test_dagger_imitates_the_oracle_then_ppo_goes_on(tmp_path: Path) -> None:
    """The tiny Gridworld from symbols: 4,096 DAgger steps bring greedy success to >= 0.9, PPO keeps it."""
    out = tmp_path / "guided"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "6144", "--dagger-steps", "4096", "--seed", "0",
            "--out", str(out), "--n-envs", "8", "--hp", "n_steps=128", "--hp", "batch_size=256",
            "--eval-every", "2048", "--eval-episodes", "50", "--final-episodes", "100", "--min-episodes-per-rank", "0",
            "--checkpoint-every", "0", "--no-progress", *TINY]  # fmt: skip
    assert train.main(argv) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["dagger_steps"] == 4096 and config["dagger"]["steps"] == 4096
    rounds = config["dagger"]["rounds"]
    assert rounds[0]["beta"] == 1.0 and rounds[-1]["beta"] < 0.01
    assert rounds[-1]["agent_agrees"] > rounds[0]["agent_agrees"] + 0.3
    with (out / "eval.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["protocol"] == "zipfian"]
    # Every 2,048 steps during the imitation (after the round that crosses them), when it ends, then PPO's own.
    assert [int(r["timesteps"]) for r in rows] == [2048, 4096, 6144]
    wall = [float(r["wall_s"]) for r in rows]
    assert wall == sorted(wall), "wall time runs on from the imitation's evaluations"
    assert float(rows[1]["success"]) >= 0.9, rows
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-dagger"
    assert result["protocols"]["zipfian"]["summary"]["success"]["success"] >= 0.9


def test_a_custom_labeller_replaces_the_oracle(tmp_path: Path) -> None:
    """``dagger(labeller=...)``: the policy is fitted to the labeller's actions, here always action 2."""
    from zipfian_envs.agents.imitation import dagger

    args = train.parse_args(["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "1024", "--n-envs", "4",
                             "--out", str(tmp_path / "unused"), *TINY])  # fmt: skip
    env = train.make_training_env(args, 4)
    model = train.build_model(args, env, None)
    report = dagger(model, env, 1024, seed=0, labeller=lambda venv: np.full(venv.num_envs, 2), epochs=8)
    assert report.rounds[-1]["fit_accuracy"] > 0.95
    assert report.rounds[-1]["agent_agrees"] > report.rounds[0]["agent_agrees"]
    actions, _ = model.predict(env.reset(), deterministic=True)
    assert (actions == 2).all()
    env.close()


def test_a_resumed_run_keeps_its_imitation_report(tmp_path: Path) -> None:
    out = tmp_path / "resumed"
    base = ["--algo", "ppo", "--obs-mode", "symbolic", "--n-envs", "4", "--out", str(out), "--no-progress",
            "--dagger-steps", "512", "--hp", "n_steps=64", "--hp", "batch_size=64", "--final-episodes", "0",
            "--checkpoint-every", "0", *TINY]  # fmt: skip
    assert train.main([*base, "--steps", "1024"]) == 0
    first = json.loads((out / "config.json").read_text())["dagger"]
    assert train.main([*base, "--steps", "1536", "--resume", str(out / "model.zip")]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["steps"] == 1536 and config["training"]["steps_this_run"] == 512
    assert config["dagger"] == first

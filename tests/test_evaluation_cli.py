"""zipfian-eval end to end: outputs, exit codes for each bad input, and SB3 models as policies."""

import subprocess
import sys
from pathlib import Path

import pytest

from zipfian_envs.evaluation import EvaluationError, evaluate, load_policy
from zipfian_envs.evaluation.cli import main
from zipfian_envs.evaluation.report import load_result

ENV = "Zipfian/Gridworld-v0"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cartpole_model(tmp_path_factory):
    """A tiny untrained PPO saved on CartPole-v1: spaces that match no Zipfian env."""
    from stable_baselines3 import PPO

    path = tmp_path_factory.mktemp("models") / "cartpole_ppo.zip"
    PPO("MlpPolicy", "CartPole-v1", n_steps=32, batch_size=32, device="cpu").save(path)
    return path


def run_cli(capsys, *argv):
    code = main(["--no-progress", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_writes_json_csv_png_and_prints_a_summary(tmp_path, capsys):
    code, out, err = run_cli(capsys, "--policy", "oracle", "--episodes", "20", "--out", str(tmp_path), "--show-ranks")
    assert code == 0, err
    assert "headline: rare success 1.000" in out and "per rank (uniform)" in out
    result = load_result(tmp_path / "Gridworld-v0_zipf_2_oracle_seed0.json")
    assert result["episodes"] == {"zipfian": 20, "uniform": 200, "rare": 20}
    assert (tmp_path / result["files"]["records"]).is_file() and (tmp_path / result["files"]["plot"]).is_file()


def test_cli_env_kwargs_and_protocol_subset(tmp_path, capsys):
    argv = ["--env", "Zipfian/Gridworld-zipf_1-v0", "--protocols", "rare", "--episodes", "10", "--out", str(tmp_path)]
    code, out, err = run_cli(capsys, *argv, "--env-kwarg", "obs_mode=symbolic", "--env-kwarg", "max_steps=50")
    assert code == 0, err
    result = load_result(next(tmp_path.glob("*.json")))
    assert result["env_kwargs"] == {"obs_mode": "symbolic", "max_steps": 50} and result["level"] == "zipf_1"
    assert list(result["protocols"]) == ["rare"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--env", "Zipfian/Nope-v0"], "unknown env id 'Zipfian/Nope-v0'"),
        (["--env", "NoNamespace-v9"], "unknown env id"),
        (["--level", "zipf_x"], "unknown distribution 'zipf_x'"),
        (["--policy", "missing/model.zip"], "model file not found: missing/model.zip"),
        (["--policy", "oracle", "--algo", "nope"], None),  # oracle needs no algo: accepted
        (["--env-kwarg", "num_objects=999"], "num_objects=999"),
        (["--env-kwarg", "oops"], "KEY=VALUE"),
        (["--episodes", "0"], "--episodes"),
        (["--protocols", "rarest"], "invalid choice"),
    ],
)
def test_cli_bad_input_exits_nonzero_with_one_line(tmp_path, capsys, argv, message):
    code, out, err = run_cli(capsys, "--episodes", "4", "--out", str(tmp_path), "--no-plot", *argv)
    if message is None:
        assert code == 0, err
        return
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_cli_mismatched_model_spaces(tmp_path, capsys, cartpole_model):
    code, out, err = run_cli(capsys, "--policy", str(cartpole_model), "--out", str(tmp_path))
    assert code == 2
    assert "observation space Box" in err and ENV in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli(capsys, "--policy", str(cartpole_model), "--algo", "dqn", "--out", str(tmp_path))
    assert code == 2 and "could not load" in err and len(err.strip().splitlines()) == 1


def test_cli_module_entry_point_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "zipfian_envs.evaluation.cli", "--env", "Zipfian/Nope-v0", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("zipfian-eval: error: unknown env id") and "Traceback" not in proc.stderr


def test_sb3_models_are_policies(tmp_path, capsys):
    """A pixel PPO (SB3 stores image spaces channel-first) and a RecurrentPPO (state carried)."""
    import gymnasium as gym
    from sb3_contrib import RecurrentPPO
    from stable_baselines3 import PPO

    # MlpPolicy keeps the test fast; SB3 transposes image spaces to channel-first whatever the policy.
    ppo = PPO("MlpPolicy", gym.make(ENV), n_steps=16, batch_size=16, device="cpu")
    assert ppo.observation_space.shape == (3, 63, 63)
    ppo.save(tmp_path / "pixels.zip")
    policy = load_policy(str(tmp_path / "pixels.zip"), ENV, algo="ppo")
    assert len(evaluate(policy, ENV, episodes=6, num_envs=3, max_steps=20)) == 6
    # Two model files = two training seeds: one entry, aggregated with the IQM.
    (tmp_path / "pixels2.zip").write_bytes((tmp_path / "pixels.zip").read_bytes())
    models = [str(tmp_path / "pixels.zip"), str(tmp_path / "pixels2.zip")]
    argv = ["--policy", *models, "--name", "ppo", "--episodes", "4", "--protocols", "rare", "--no-plot"]
    code, out, err = run_cli(capsys, *argv, "--env-kwarg", "max_steps=20", "--out", str(tmp_path / "res"))
    assert code == 0, err
    result = load_result(tmp_path / "res" / "Gridworld-v0_zipf_2_ppo_seed0.json")
    assert result["train_seeds"] == [0, 1] and result["protocols"]["rare"]["aggregate"]["runs"] == 2

    symbolic = gym.make(ENV, obs_mode="symbolic")
    lstm = RecurrentPPO("MlpLstmPolicy", symbolic, n_steps=16, batch_size=16, device="cpu")
    lstm.save(tmp_path / "lstm.zip")
    policy = load_policy(str(tmp_path / "lstm.zip"), ENV, algo="recurrentppo", obs_mode="symbolic")
    records = evaluate(policy, ENV, episodes=6, num_envs=3, protocol="rare", obs_mode="symbolic", max_steps=20)
    assert len(records) == 6 and {r["frequency_bin"] for r in records} == {"rare"}
    with pytest.raises(EvaluationError, match="observation space"):
        load_policy(str(tmp_path / "lstm.zip"), ENV, algo="recurrentppo")  # pixels env, symbolic model

"""Ray Tune sweeps (zipfian-sweep) and RLlib training (zipfian-train --backend rllib), on a local 2-CPU Ray.

Skipped where Ray is not installed (the main venv); CI runs this file in a venv of its own with the
`ray` extra (ray 2.60 pins gymnasium 1.2.2): `pytest tests/test_ray.py`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

ray = pytest.importorskip("ray")

from zipfian_envs.agents import curves, rllib_backend, sweep  # noqa: E402
from zipfian_envs.agents.results import main as merge_results  # noqa: E402
from zipfian_envs.agents.rllib_policy import FloatObservations, RLlibPolicy, float_observations  # noqa: E402
from zipfian_envs.agents.train import run  # noqa: E402
from zipfian_envs.core.records import load_records  # noqa: E402
from zipfian_envs.evaluation.harness import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = {"rooms": 1, "num_objects": 2, "num_maps": 1}
TINY_ARGS = [arg for k, v in TINY.items() for arg in ("--env-kwarg", f"{k}={v}")]


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray limited to 2 CPUs for the whole file (sweeps and RLlib runs join it)."""
    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def tiny_config(tmp_path: Path, grid: dict, name: str = "tiny") -> Path:
    """A TOML sweep of 256-step PPO runs on the one-room symbolic Gridworld, 10 episodes per protocol."""
    grid_lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in grid.items())
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
[sweep]
name = "{name}"
[grid]
algo = ["ppo"]
{grid_lines}
[train]
obs_mode = "symbolic"
steps = 256
n_envs = 2
hp = {{ n_steps = 64, batch_size = 64 }}
final_episodes = 10
checkpoint_every = 0
env_kwargs = {{ rooms = 1, num_objects = 2, num_maps = 1 }}
[results]
baseline_episodes = 10
"""
    )
    return path


# -- observations and the adapter (no Ray cluster needed) ------------------------------------------


def test_float_observations_scale_uint8_and_flatten_dicts():
    box, cast = float_observations(spaces.Box(0, 255, (2, 3), np.uint8))
    assert box.dtype == np.float32 and box.shape == (2, 3)
    raw = np.array([[0, 255, 51], [102, 0, 255]], dtype=np.uint8)
    np.testing.assert_allclose(cast(raw), raw / 255.0, rtol=1e-6)
    assert cast(np.stack([raw, raw])).shape == (2, 2, 3)  # a batch keeps its leading dimension

    space = spaces.Dict({"image": spaces.Box(0, 255, (2, 2, 3), np.uint8),
                         "instruction": spaces.Box(0, 9, (4,), np.int64)})  # fmt: skip
    flat, cast = float_observations(space)
    assert flat.shape == (16,) and flat.dtype == np.float32
    sample = space.sample()
    one = cast(sample)
    batch = cast({k: np.stack([v, v, v]) for k, v in sample.items()})
    assert one.shape == (16,) and batch.shape == (3, 16)
    np.testing.assert_array_equal(batch[1], one)
    np.testing.assert_allclose(one[:12], sample["image"].reshape(-1) / 255.0, rtol=1e-6)  # keys sorted
    np.testing.assert_allclose(one[12:], sample["instruction"] / 9.0, rtol=1e-6)
    assert flat.contains(one)

    with pytest.raises(ValueError, match="Discrete"):
        float_observations(spaces.Discrete(3))


def test_env_creator_registers_the_package_and_casts():
    env = rllib_backend.make_rllib_env({"env_id": "Zipfian/Gridworld-v0", "env_kwargs": {"obs_mode": "symbolic"}})
    obs, _ = env.reset(seed=0)
    assert isinstance(env, FloatObservations)
    assert obs.dtype == np.float32 and env.observation_space.contains(obs)
    assert env.unwrapped.observation_space.dtype == np.uint8  # the env itself keeps uint8


def test_missing_ray_gives_an_install_hint(monkeypatch, capsys):
    monkeypatch.setattr(rllib_backend.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as exit_info:
        rllib_backend.require_ray("zipfian-sweep")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pip install 'zipfian-envs[ray]'" in err


# -- sweep configs ---------------------------------------------------------------------------------


def test_committed_matrix_config_expands_to_the_hand_run_matrix():
    config = sweep.check_config(sweep.load_config(ROOT / "configs" / "gridworld_matrix.toml"))
    trials = sweep.expand(config)
    names = {t.name for t in trials}
    expected = {f"small_ppo_{obs}_{level}_s{seed}"
                for seed in (0, 1, 2) for obs in ("symbolic", "pixels") for level in ("zipf_2", "uniform")}  # fmt: skip
    assert names == expected
    argv = sweep.to_argv(next(t for t in trials if t.name == "small_ppo_pixels_uniform_s1").options)
    text = " ".join(argv)
    for part in ("--algo ppo", "--env Zipfian/Gridworld-v0", "--level uniform", "--obs-mode pixels", "--seed 1",
                 "--env-kwarg rooms=2", "--env-kwarg num_objects=10", "--env-kwarg num_maps=10",
                 "--steps 200000", "--n-envs 8", "--eval-every 50000", "--eval-episodes 50",
                 "--final-episodes 500", "--stochastic-eval"):  # fmt: skip
        assert part in text


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.*")), ids=lambda p: p.name)
def test_every_committed_config_expands(path):
    trials = sweep.expand(sweep.check_config(sweep.load_config(path)))
    assert trials and all(sweep.to_argv(t.options) for t in trials)


def test_yaml_example_config_is_valid():
    config = sweep.check_config(sweep.load_config(ROOT / "configs" / "example_sweep.yaml"))
    trials = sweep.expand(config)
    assert len(trials) == np.prod([len(v) for v in config.grid.values()])
    assert len(trials) == 9 and {t.options["backend"] for t in trials} == {"sb3", "rllib"}
    assert {t.options["algo"] for t in trials} == {"ppo", "appo"}
    assert "gridworld_backends_rllib-appo_s2" in {t.name for t in trials}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grid": {"algo": ["ppo"], "stepz": [1]}}, r"unknown key\(s\) \['stepz'\] in \[grid\]"),
        ({"grid": {"algo": "ppo"}}, "must be a non-empty list"),
        ({"grid": {"algo": ["ppo"]}, "train": {"seed": [0, 1]}}, "put axes to sweep under"),
        ({"grid": {"algo": ["ppo"]}, "extra": {}}, r"unknown config section"),
        ({"grid": {"algo": ["ppo"]}, "sweep": {"cpus_per_trial": 0}}, "positive number"),
        ({"grid": {"seed": [0]}}, "names no algo"),
        ({"grid": {"algo": ["ppo"], "out": ["x"]}}, r"unknown key\(s\) \['out'\]"),
        ({"grid": {"variant": [{"algo": "ppo", "n_env": 2}]}}, r"unknown key\(s\) \['n_env'\] in a \[grid\] variant"),
        ({"grid": {"variant": [{"algo": "ppo"}]}, "train": {"algo": "a2c"}}, r"variant sets \['algo'\]"),
    ],
)
def test_bad_configs_name_the_bad_entry(data, message):
    with pytest.raises(sweep.SweepError, match=message):
        sweep.check_config(data)


def test_an_interrupted_trial_goes_on_from_its_latest_checkpoint(tmp_path):
    run_dir = tmp_path / "runs" / "t"
    (run_dir / "checkpoints").mkdir(parents=True)
    for steps in (64, 1024, 256):
        (run_dir / "checkpoints" / f"model_{steps}_steps.zip").write_bytes(b"")
    assert sweep.latest_checkpoint(run_dir).name == "model_1024_steps.zip"
    assert not sweep.is_finished(run_dir)
    (run_dir / "config.json").write_text(json.dumps({"training": {"steps": 1024}}))
    assert not sweep.is_finished(run_dir)  # no result JSON yet
    (run_dir / "result.json").write_text("{}")
    assert sweep.is_finished(run_dir)
    argv = sweep.to_argv({"algo": "ppo", "resume": str(sweep.latest_checkpoint(run_dir)), "stochastic_eval": False})
    assert argv == ["--algo", "ppo", "--resume", str(run_dir / "checkpoints" / "model_1024_steps.zip")]


def test_cli_errors_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        sweep.main([str(tmp_path / "missing.toml")])
    assert exit_info.value.code == 2
    assert "config file not found" in capsys.readouterr().err


# -- sweeps on Ray Tune ----------------------------------------------------------------------------


def test_sweep_merges_seeds_survives_a_failing_trial_and_resumes(tmp_path, capsys, monkeypatch):
    # Two good trials (seeds 0 and 1) and two that fail (a level outside the grammar). The up-front
    # check refuses such a grid before Ray starts (tests/test_cli_bad_inputs.py); turned off here so
    # the trials reach Tune and fail there, as any trial that breaks mid-run does.
    monkeypatch.setattr(sweep, "check_trials", lambda trials, runs_dir: None)
    config_path = tiny_config(tmp_path, {"level": ["zipf_2", "zipf_bad"], "seed": [0, 1]})
    out = tmp_path / "out"
    assert sweep.main([str(config_path), "--out", str(out)]) == 1  # 1: some trial failed, the rest finished
    summary = json.loads((out / "sweep.json").read_text())
    assert sorted(summary["failed"]) == ["tiny_zipf_bad_s0", "tiny_zipf_bad_s1"]
    assert "zipf_bad" in summary["failed"]["tiny_zipf_bad_s0"]
    assert "failed: tiny_zipf_bad_s0" in capsys.readouterr().out
    for name, seed in (("tiny_zipf_2_s0", 0), ("tiny_zipf_2_s1", 1)):
        assert sweep.is_finished(out / "runs" / name)
        result = next(p for p in (out / "runs" / name).glob("*.json") if p.name != "config.json")
        records = load_records(out / "runs" / name / json.loads(result.read_text())["files"]["records"])
        assert {r["seed"] for r in records} == {1_000_000 + seed}  # zipfian-train's evaluation seeds

    # Seeds merged as for the hand-run matrix: one result with an IQM per protocol, baselines, table, plot.
    group = out / "results" / "gridworld" / "symbolic_zipf_2_num_maps-1_num_objects-2_rooms-1"
    merged = json.loads((group / "ppo-symbolic.json").read_text())
    assert merged["train_seeds"] == [0, 1] and merged["episodes"]["rare"] == 20
    assert merged["protocols"]["rare"]["aggregate"]["success"]["runs"] == 2
    assert {p.name for p in group.glob("*.json")} == {"ppo-symbolic.json", "random.json", "oracle.json"}
    table = (out / "results" / "leaderboard_agents.md").read_text()
    assert "ppo-symbolic" in table and "oracle" in table and "random" in table
    assert (out / "results" / "plots" / "success_by_rank.png").stat().st_size > 0

    # Without --resume an existing sweep is refused; with it, only the trials without a result run again.
    with pytest.raises(SystemExit):
        sweep.main([str(config_path), "--out", str(out)])
    assert "--resume" in capsys.readouterr().err
    assert sweep.main([str(config_path), "--out", str(out), "--resume"]) == 1
    summary = json.loads((out / "sweep.json").read_text())
    assert sorted(summary["ran"]) == ["tiny_zipf_bad_s0", "tiny_zipf_bad_s1"]
    assert sorted(summary["skipped_finished"]) == ["tiny_zipf_2_s0", "tiny_zipf_2_s1"]


# -- RLlib -----------------------------------------------------------------------------------------


def test_rllib_ppo_with_a_remote_runner_trains_resumes_and_is_evaluated(tmp_path):
    out = tmp_path / "rllib"

    def ppo(runners: int, *extra: str) -> list[str]:
        return ["--backend", "rllib", "--algo", "ppo", "--obs-mode", "symbolic", *TINY_ARGS, "--steps", "256",
                "--num-env-runners", str(runners), "--num-envs-per-env-runner", "2",
                "--hp", "train_batch_size_per_learner=256", "--hp", "minibatch_size=64", "--hp", "num_epochs=1",
                "--model", "fcnet_hiddens=[32]", "--final-episodes", "10", "--no-progress", *extra]  # fmt: skip

    outcome = run(ppo(1, "--out", str(out)))  # zipfian-train's one entry point hands --backend rllib on
    assert outcome["training"]["steps"] >= 256  # a remote runner that cannot build the env samples nothing
    config = json.loads((out / "config.json").read_text())
    assert config["algo"] == "rllib-ppo" and config["observation_kind"] == "symbolic"
    result = json.loads(outcome["results"][0].read_text())
    assert result["policy"] == "rllib-ppo-symbolic" and result["episodes"]["rare"] == 10
    first = load_records(out / result["files"]["records"])

    # Resume with nothing left to train: the restored module gives the same greedy episodes.
    again = run(ppo(0, "--resume", str(out / "checkpoint"), "--out", str(tmp_path / "resumed")))
    assert again["training"]["steps_this_run"] == 0
    second = load_records(tmp_path / "resumed" / json.loads(again["results"][0].read_text())["files"]["records"])
    key = ("protocol", "episode", "item_rank", "length", "success")
    assert [tuple(r[k] for k in key) for r in first] == [tuple(r[k] for k in key) for r in second]

    # The checkpoint loads without the Algorithm, and the adapter samples reproducibly.
    env = gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic", **TINY)
    policy = RLlibPolicy.from_checkpoint(out / "checkpoint", env.observation_space, seed=3)
    records = [evaluate(RLlibPolicy.from_checkpoint(out / "checkpoint", env.observation_space, seed=3),
                        "Zipfian/Gridworld-v0", "zipf_2", episodes=8, deterministic=False, obs_mode="symbolic",
                        **TINY) for _ in range(2)]  # fmt: skip
    assert records[0] == records[1]
    assert policy.predict(np.stack([env.reset(seed=0)[0]] * 3))[0].shape == (3,)

    # An SB3 run of the same env configuration lands on the same leaderboard as the RLlib agent.
    run(["--algo", "ppo", "--obs-mode", "symbolic", *TINY_ARGS, "--steps", "64", "--n-envs", "2", "--hp", "n_steps=32",
         "--hp", "batch_size=32", "--final-episodes", "10", "--checkpoint-every", "0", "--no-progress",
         "--out", str(tmp_path / "sb3")])  # fmt: skip
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("rllib", "sb3"):
        (runs / name).symlink_to(tmp_path / name)
    merge_results(["--runs", str(runs), "--out", str(tmp_path / "results"), "--baseline-episodes", "10"])
    table = (tmp_path / "results" / "leaderboard_agents.md").read_text()
    assert table.count("### ") == 1 and "| rllib-ppo-symbolic |" in table and "| ppo-symbolic |" in table

    # Merging one group again later (here the RLlib run alone) keeps the agents merged before in the table.
    merge_results(["--runs", str(runs), "--only", "^rllib$", "--out", str(tmp_path / "results"),
                   "--baseline-episodes", "10"])  # fmt: skip
    table = (tmp_path / "results" / "leaderboard_agents.md").read_text()
    assert "| rllib-ppo-symbolic |" in table and "| ppo-symbolic |" in table


def test_rllib_recurrent_policy_carries_state_on_dict_observations(tmp_path):
    env_id = "Zipfian/Labyrinth-v0"
    if env_id not in gym.registry:  # the family is being registered: use its entry point under a test id
        env_id = "ZipfianRayTest/Labyrinth-v0"
        if env_id not in gym.registry:
            gym.register(env_id, entry_point="zipfian_envs.labyrinth.env:LabyrinthEnv")
    kwargs = ["--env-kwarg", "width=16", "--env-kwarg", "height=12", "--env-kwarg", "time_limit_scale=0.02"]
    out = tmp_path / "lab"
    outcome = run(["--backend", "rllib", "--algo", "ppo", "--env", env_id, *kwargs, "--steps", "128",
                   "--num-envs-per-env-runner", "2", "--hp", "train_batch_size_per_learner=128",
                   "--hp", "minibatch_size=64", "--hp", "num_epochs=1", "--model", "use_lstm=True",
                   "--model", "lstm_cell_size=16", "--model", "max_seq_len=8", "--model", "fcnet_hiddens=[32]",
                   "--out", str(out), "--final-episodes", "6", "--min-episodes-per-rank", "0",
                   "--stochastic-eval", "--no-progress"])  # fmt: skip
    assert outcome["training"]["steps"] >= 128
    assert json.loads((out / "config.json").read_text())["observation_kind"] == "dict"
    result = json.loads(outcome["results"][0].read_text())
    assert result["episodes"]["zipfian"] == 6 and result["episodes"]["uniform"] == 30  # one per level rank

    env = gym.make(env_id, width=16, height=12, time_limit_scale=0.02)
    policy = RLlibPolicy.from_checkpoint(out / "checkpoint", env.observation_space)
    assert policy.recurrent
    obs = {k: np.stack([v, v]) for k, v in env.reset(seed=0)[0].items()}
    _, state = policy.predict(obs, None, np.array([True, True]))
    _, carried = policy.predict(obs, state, np.array([False, True]))
    _, fresh = policy.predict(obs, None, np.array([True, True]))
    # Row 0 went on from its state; row 1 restarted, so it equals a fresh first step's state.
    for key in state:
        np.testing.assert_allclose(carried[key][1], state[key][1], rtol=1e-5)
        assert not np.allclose(carried[key][0], state[key][0])
        np.testing.assert_allclose(fresh[key], state[key], rtol=1e-5)


# -- the package's symbolic-Gridworld encoder inside RLlib's modules --------------------------------


def test_grid_catalog_puts_the_embedding_encoder_in_front_of_rllib_models():
    import torch
    from ray.rllib.core.columns import Columns
    from ray.rllib.core.models.base import ENCODER_OUT
    from ray.rllib.core.models.configs import MLPEncoderConfig, RecurrentEncoderConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from zipfian_envs.agents.rllib_models import (
        GRID_ENCODER_KEY,
        SymbolicGridCatalog,
        SymbolicGridEncoderConfig,
        grid_encoder_settings,
    )

    env = gym.make("Zipfian/Gridworld-v0", obs_mode="symbolic")
    space, cast = float_observations(env.observation_space)
    base = dataclasses.asdict(DefaultModelConfig(fcnet_hiddens=[32]))
    grid = grid_encoder_settings(env.observation_space, cue_match=True, hidden=32)
    assert grid["num_codes"] == 228 and grid["features"] == "cue_match"
    # Without the key the catalog is RLlib's own; with it the per-step encoder is ours, also under an LSTM.
    assert isinstance(SymbolicGridCatalog._get_encoder_config(space, base), MLPEncoderConfig)
    feed_forward = SymbolicGridCatalog._get_encoder_config(space, {**base, GRID_ENCODER_KEY: grid})
    assert isinstance(feed_forward, SymbolicGridEncoderConfig) and feed_forward.output_dims == (32,)
    recurrent = SymbolicGridCatalog._get_encoder_config(space, {**base, "use_lstm": True, GRID_ENCODER_KEY: grid})
    assert isinstance(recurrent, RecurrentEncoderConfig)
    assert isinstance(recurrent.tokenizer_config, SymbolicGridEncoderConfig)

    # The encoder undoes the env creator's float cast exactly: the extractor's features on the raw codes.
    encoder = feed_forward.build("torch")
    raw = np.stack([env.reset(seed=seed)[0] for seed in range(6)])
    features = encoder({Columns.OBS: torch.from_numpy(cast(raw))})[ENCODER_OUT]
    torch.testing.assert_close(features, encoder.net(torch.from_numpy(raw).float()))
    with pytest.raises(ValueError, match="unknown framework 'tf2'; valid: torch"):
        feed_forward.build("tf2")
    with pytest.raises(ValueError, match="lower bound of 3"):
        grid_encoder_settings(spaces.Box(3, 9, (4,), np.uint8), cue_match=False)


def test_cue_match_needs_the_symbolic_grid_encoder(capsys):
    with pytest.raises(SystemExit) as exit_info:
        rllib_backend.parse_args(["--algo", "appo", "--steps", "10", "--out", "x", "--cue-match"])  # pixels
    assert exit_info.value.code == 2
    assert "--cue-match needs symbolic Gridworld observations" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        rllib_backend.parse_args(["--algo", "appo", "--steps", "10", "--out", "x", "--obs-mode", "symbolic",
                                  "--encoder", "rllib", "--cue-match"])  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hp", "foo=1"], "unknown --hp key 'foo' for rllib ppo (AlgorithmConfig.training()); valid: "),
        (["--hp", "num_sgd_iter=3"], "unknown --hp key 'num_sgd_iter'"),  # deprecated: num_epochs
        (["--hp", "vf_share_layers=True"], "a model setting; give it as --model vf_share_layers"),
        (["--hp", "model={}"], "use that"),
        (["--hp", "lr=0"], "--hp lr must be > 0.0, got 0"),
        (["--hp", "lr=abc"], "--hp lr must be a finite number"),
        (["--hp", "gamma=nan"], "--hp gamma must be a finite number in (0.0, 1.0]"),
        (["--hp", "num_epochs=2.5"], "--hp num_epochs must be an integer >= 1"),
        (["--hp", "use_gae=maybe"], "--hp use_gae must be True or False, got 'maybe'"),
        (["--hp", "learner_class=x"], "cannot give"),
        (["--hp", "learner_config_dict=3"], "--hp learner_config_dict must be a dict"),
        (["--hp", "minibatch_size=4096"], "minibatch_size=4096 exceeds train_batch_size_per_learner=2048"),
        (["--algo", "appo", "--hp", "vtrace=1"], "--hp vtrace must be True or False"),
        (["--model", "foo=1"], "unknown --model key 'foo' (DefaultModelConfig); valid: "),
        (["--model", "use_lstm=yes"], "--model use_lstm must be True or False"),
        (["--model", "fcnet_hiddens=64"], "--model fcnet_hiddens must be a list"),
    ],
)
def test_rllib_hp_and_model_keys_are_checked_before_ray_starts(tmp_path, capsys, monkeypatch, extra, message):
    monkeypatch.setattr(rllib_backend, "init_ray", lambda *a: pytest.fail("Ray was started"))
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exit_info:
        run(["--backend", "rllib", "--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--out", str(out),
             *extra])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err, err
    assert not out.exists()


def test_rllib_results_dir_keeps_a_result_of_the_run_name_unless_overwrite(tmp_path, capsys):
    (tmp_path / "Gridworld-v0_zipf_2_rllib-ppo-lstm-symbolic_seed1.json").write_text("{}")
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--out", str(tmp_path / "r"), "--seed", "1",
            "--model", "use_lstm=True", "--results-dir", str(tmp_path)]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        rllib_backend.parse_args(argv)
    assert exit_info.value.code == 2
    assert "already holds Gridworld-v0_zipf_2_rllib-ppo-lstm-symbolic_seed1.json" in capsys.readouterr().err
    assert rllib_backend.parse_args([*argv, "--overwrite"]).overwrite


def test_rllib_resume_needs_an_algorithm_checkpoint(tmp_path, capsys):
    (tmp_path / "not_a_checkpoint").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        rllib_backend.parse_args(["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--out", str(tmp_path),
                                  "--resume", str(tmp_path / "not_a_checkpoint")])  # fmt: skip
    assert exit_info.value.code == 2
    assert "is not an RLlib Algorithm checkpoint (no rllib_checkpoint.json)" in capsys.readouterr().err


def test_rllib_good_overrides_pass_the_checks():
    args = rllib_backend.parse_args(["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--out", "x",
                                     "--hp", "lr=[[0, 1e-3], [1000, 1e-4]]", "--hp", "lambda_=0.9",
                                     "--hp", "grad_clip=None", "--model", "fcnet_hiddens=[64, 64]",
                                     "--model", "use_lstm=True"])  # fmt: skip
    assert args.hp_overrides["lr"] == [[0, 1e-3], [1000, 1e-4]] and args.model_overrides["use_lstm"] is True
    assert "vtrace" in rllib_backend.training_keywords(rllib_backend.config_class("appo"))


def test_rllib_appo_lstm_learns_tiny_gridworld(tmp_path):
    """The recurrent agent (APPO, LSTM over the embedding encoder) learns the one-room Gridworld in ~30k steps."""
    out = tmp_path / "appo_lstm"
    outcome = run(["--backend", "rllib", "--algo", "appo", "--obs-mode", "symbolic", *TINY_ARGS, "--steps", "30000",
                   "--seed", "0", "--num-envs-per-env-runner", "8", "--model", "use_lstm=True",
                   "--model", "vf_share_layers=True", "--model", "lstm_cell_size=32", "--model", "fcnet_hiddens=[64]",
                   "--model", "max_seq_len=16", "--hp", "train_batch_size_per_learner=256", "--hp", "lr=1e-3",
                   "--final-episodes", "200", "--min-episodes-per-rank", "0", "--checkpoint-every", "0",
                   "--eval-every", "10000", "--eval-episodes", "20", "--no-progress", "--out", str(out)])  # fmt: skip
    config = json.loads((out / "config.json").read_text())
    assert config["algo"] == "rllib-appo-lstm" and config["encoder"] == "symbolic-grid"
    # Periodic harness evaluations, in zipfian-train's eval.csv format (the learning-curve input).
    evals = curves.read_eval_csv(out / "eval.csv")
    steps = sorted(evals[("zipfian", "success")])
    # Asynchronous APPO overshoots each scheduled point by up to an iteration's batch (it varies with the
    # machine's load), so the check is one evaluation per crossed multiple of --eval-every, in order.
    crossed = [step // 10000 for step in steps]
    assert len(steps) >= 2 and steps[0] >= 10000 and crossed == sorted(set(crossed)), steps
    assert {protocol for protocol, _ in evals} == {"zipfian", "uniform", "rare"}
    result = json.loads(outcome["results"][0].read_text())
    assert result["policy"] == "rllib-appo-lstm-symbolic"
    success = result["protocols"]["zipfian"]["summary"]["success"]["success"]
    assert success >= 0.9, f"tiny Gridworld success {success:.2f} < 0.9"


# -- the SB3 presets' image + instruction encoder inside RLlib's modules ----------------------------


def test_first_person_catalog_feeds_the_image_and_instruction_encoders():
    import torch
    from ray.rllib.core.columns import Columns
    from ray.rllib.core.models.base import ENCODER_OUT
    from ray.rllib.core.models.configs import MLPEncoderConfig, RecurrentEncoderConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from zipfian_envs.agents.rllib_models import (
        FIRST_PERSON_ENCODER_KEY,
        FirstPersonEncoderConfig,
        ZipfianCatalog,
        first_person_encoder_settings,
    )

    env = gym.make("Zipfian/Labyrinth-v0", level="language_select_described_object")
    space, cast = float_observations(env.observation_space)
    settings = first_person_encoder_settings(env.observation_space, hidden=32)
    assert settings["image_shape"] == (72, 96, 3) and settings["num_tokens"] == 16
    base = dataclasses.asdict(DefaultModelConfig(fcnet_hiddens=[32]))
    assert isinstance(ZipfianCatalog._get_encoder_config(space, base), MLPEncoderConfig)
    feed_forward = ZipfianCatalog._get_encoder_config(space, {**base, FIRST_PERSON_ENCODER_KEY: settings})
    assert isinstance(feed_forward, FirstPersonEncoderConfig) and feed_forward.output_dims == (32,)
    recurrent = ZipfianCatalog._get_encoder_config(
        space, {**base, "use_lstm": True, FIRST_PERSON_ENCODER_KEY: settings}
    )
    assert isinstance(recurrent, RecurrentEncoderConfig)
    assert isinstance(recurrent.tokenizer_config, FirstPersonEncoderConfig)

    # The encoder undoes the creator's float cast: the same features as its parts on the raw observation.
    encoder = feed_forward.build("torch")
    raw = [env.reset(seed=seed)[0] for seed in range(4)]
    flat = torch.from_numpy(np.stack([cast(obs) for obs in raw]))
    images = torch.from_numpy(np.stack([obs["image"] for obs in raw]))
    tokens = torch.from_numpy(np.stack([obs["instruction"] for obs in raw]))
    assert tokens.sum() > 0  # a language level: the instruction is not all padding
    expected = encoder.head(torch.cat([encoder.image(images.float() / 255), encoder.instruction(tokens)], dim=-1))
    torch.testing.assert_close(encoder({Columns.OBS: flat})[ENCODER_OUT], expected, atol=1e-5, rtol=1e-4)
    # Tiny views (under 30 px a side) and other spaces stay with RLlib's encoder.
    assert (
        first_person_encoder_settings(gym.make("Zipfian/Labyrinth-v0", width=16, height=12).observation_space) is None
    )
    assert first_person_encoder_settings(gym.make("Zipfian/Gridworld-v0").observation_space) is None


def test_rllib_ppo_trains_the_playroom_with_the_first_person_encoder(tmp_path):
    out = tmp_path / "playroom"
    outcome = run(["--backend", "rllib", "--algo", "ppo", "--env", "Zipfian/Playroom-v0", "--steps", "128",
                   "--env-kwarg", "time_limit_scale=0.02", "--num-envs-per-env-runner", "2",
                   "--hp", "train_batch_size_per_learner=128", "--hp", "minibatch_size=64", "--hp", "num_epochs=1",
                   "--model", "fcnet_hiddens=[32]", "--out", str(out), "--final-episodes", "4",
                   "--min-episodes-per-rank", "0", "--no-progress"])  # fmt: skip
    assert outcome["training"]["steps"] >= 128
    config = json.loads((out / "config.json").read_text())
    assert config["encoder"] == "first-person" and config["observation_kind"] == "dict"
    env = gym.make("Zipfian/Playroom-v0", time_limit_scale=0.02)
    policy = RLlibPolicy.from_checkpoint(out / "checkpoint", env.observation_space)
    obs = {k: np.stack([v, v]) for k, v in env.reset(seed=0)[0].items()}
    actions, _ = policy.predict(obs)
    assert actions.shape == (2,) and all(env.action_space.contains(int(a)) for a in actions)

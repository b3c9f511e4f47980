"""Baseline agents: the training CLI end to end (every algorithm x every env family), resume,
argument errors, presets, and PPO learning the tiny Gridworld within a fixed seeded budget."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from zipfian_envs.agents import train
from zipfian_envs.agents.presets import ALGOS, PRESETS, get_preset, policy_name
from zipfian_envs.evaluation.harness import evaluate
from zipfian_envs.evaluation.policies import load_policy
from zipfian_envs.evaluation.report import load_result
from zipfian_envs.registration import FAMILIES, NAMESPACE

torch.set_num_threads(1)

# Observation modes to exercise per family (families not listed: the env's default observation).
OBS_MODES = {"Gridworld": ("symbolic", "pixels")}
# Short-run overrides so a few hundred steps include real updates.
SMOKE_HP = {
    "ppo": ["n_steps=64", "batch_size=64", "n_epochs=1"],
    "a2c": ["n_steps=8"],
    "recurrentppo": ["n_steps=64", "batch_size=64", "n_epochs=1"],
    "dqn": ["learning_starts=64", "buffer_size=2000", "target_update_interval=64"],
    "qrdqn": ["learning_starts=64", "buffer_size=2000", "target_update_interval=64"],
    "softq": ["learning_starts=64", "buffer_size=2000", "target_update_interval=64"],
}
TINY = ["--env-kwarg", "rooms=1", "--env-kwarg", "num_objects=2", "--env-kwarg", "num_maps=1"]
# Families whose full episodes make the smoke test's evaluations slow play shortened episodes (the
# Playroom's and the Labyrinth's documented time_limit_scale: e.g. 120 s of 900 steps become 18 steps).
SMOKE_ENV_KWARGS = {"Playroom": {"time_limit_scale": 0.02}, "Labyrinth": {"time_limit_scale": 0.01}}


def _smoke_cases() -> list[tuple[str, str, str | None]]:
    cases = []
    for family in FAMILIES:
        modes = OBS_MODES.get(family.name, (None,))
        for algo in sorted(ALGOS):
            cases.append((algo, family.name, modes[0]))
        # The other observation modes once each, with an on-policy and a replay-buffer learner.
        for mode in modes[1:]:
            cases += [("ppo", family.name, mode), ("softq", family.name, mode)]
    return cases


@pytest.mark.parametrize(("algo", "family", "obs_mode"), _smoke_cases())
def test_train_save_load_evaluate_smoke(algo: str, family: str, obs_mode: str | None, tmp_path: Path) -> None:
    env_id = f"{NAMESPACE}/{family}-v0"
    out = tmp_path / "run"
    argv = ["--algo", algo, "--env", env_id, "--steps", "256", "--n-envs", "2", "--seed", "3", "--out", str(out),
            "--checkpoint-every", "128", "--final-episodes", "3", "--min-episodes-per-rank", "0",
            "--no-progress"]  # fmt: skip
    if obs_mode:
        argv += ["--obs-mode", obs_mode]
    for key, value in SMOKE_ENV_KWARGS.get(family, {}).items():
        argv += ["--env-kwarg", f"{key}={value}"]
    for hp in SMOKE_HP[algo]:
        argv += ["--hp", hp]
    assert train.main(argv) == 0

    config = json.loads((out / "config.json").read_text())
    assert config["training"]["steps"] >= 256
    assert sorted(p.name for p in (out / "checkpoints").iterdir())  # at least one checkpoint
    results = sorted(out.glob("*.json"))
    results = [p for p in results if p.name != "config.json"]
    assert len(results) == 1
    result = load_result(results[0])
    assert set(result["protocols"]) == {"zipfian", "uniform", "rare"}
    assert result["training"]["steps"] == config["training"]["steps"]

    env_kwargs = {"obs_mode": obs_mode} if obs_mode else {}
    env_kwargs.update(SMOKE_ENV_KWARGS.get(family, {}))
    policy = load_policy(str(out / "model.zip"), env_id, algo=algo, **env_kwargs)
    records = evaluate(policy, env_id, episodes=2, num_envs=2, seed=1, **env_kwargs)
    assert len(records) == 2 and all(isinstance(r["success"], bool) for r in records)


@pytest.mark.parametrize(("algo", "obs_mode"), [("ppo", "pixels"), ("recurrentppo", "symbolic")])
def test_native_vector_env_trains_the_same_model_as_dummy_vec_env(algo: str, obs_mode: str, tmp_path: Path) -> None:
    """The SB3 adapter over the native vector env (the default) gives the episodes DummyVecEnv gives: same model."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    env_id = f"{NAMESPACE}/Gridworld-v0"
    runs = {}
    for vec_env in ("auto", "dummy"):
        out = tmp_path / vec_env
        argv = ["--algo", algo, "--env", env_id, "--obs-mode", obs_mode, "--steps", "384", "--n-envs", "3",
                "--seed", "5", "--out", str(out), "--checkpoint-every", "0", "--final-episodes", "0", "--no-progress",
                "--vec-env", vec_env, *[arg for hp in SMOKE_HP[algo] for arg in ("--hp", hp)]]  # fmt: skip
        assert train.main(argv) == 0
        runs[vec_env] = json.loads((out / "config.json").read_text())
        model = ALGOS[algo].load(out / "model.zip", device="cpu")
        runs[vec_env]["params"] = {k: v.clone() for k, v in model.policy.state_dict().items()}
    assert runs["auto"]["vec_env"] == "Sb3VectorAdapter" and runs["dummy"]["vec_env"] == DummyVecEnv.__name__
    assert runs["auto"]["training"]["steps"] == runs["dummy"]["training"]["steps"] >= 384
    for name, tensor in runs["dummy"]["params"].items():
        assert torch.equal(runs["auto"]["params"][name], tensor), name


def test_periodic_eval_csv_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["--algo", "ppo", "--obs-mode", "symbolic", "--n-envs", "2", "--out", str(out), "--no-progress",
            "--hp", "n_steps=64", "--hp", "batch_size=64", "--final-episodes", "0", *TINY]  # fmt: skip
    assert train.main([*base, "--steps", "256", "--checkpoint-every", "128", "--eval-every", "128",
                       "--eval-episodes", "2"]) == 0  # fmt: skip
    with (out / "eval.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["protocol"] for r in rows} == {"zipfian", "uniform", "rare"}
    assert {"success_common", "success_medium", "success_rare"} <= set(rows[0])
    checkpoint = out / "checkpoints" / "model_128_steps.zip"
    assert checkpoint.is_file()

    resumed = tmp_path / "resumed"
    argv = [*base, "--steps", "384", "--resume", str(checkpoint)]
    argv[argv.index("--out") + 1] = str(resumed)
    assert train.main(argv) == 0
    config = json.loads((resumed / "config.json").read_text())
    assert config["training"]["steps"] == 384
    assert config["training"]["steps_this_run"] == 256


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--algo", "sac", "--steps", "10", "--out", "x"], "invalid choice"),
        (["--algo", "ppo", "--steps", "0", "--out", "x"], "--steps must be >= 1"),
        (["--algo", "ppo", "--steps", "10"], "--out"),
        (["--algo", "ppo", "--steps", "ten", "--out", "x"], "invalid int"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--env", "Zipfian/Nope-v0"], "unknown env id"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--level", "zipf_minus"], "unknown distribution"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--obs-mode", "audio"], "unknown obs_mode"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--n-envs", "0"], "--n-envs"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--resume", "missing.zip"], "does not exist"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--hp", "gamma"], "KEY=VALUE"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--vec-env", "subproc"], "invalid choice"),
        (["--algo", "ppo", "--steps", "1", "--out", "x", "--env", "CartPole-v1", "--vec-env", "native"], "no native"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--env-kwarg", "rooms=0"], "rooms"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--frame-stack", "0"], "--frame-stack must be >= 1"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--frame-stack", "2"], "gives pixels observations"),
        (["--algo", "ppo", "--steps", "10", "--out", "x", "--env", "Zipfian/Playroom-v0", "--cue-match"],
         "--cue-match works on Gridworld observations"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        train.main(argv)
    assert excinfo.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1


def test_presets_cover_every_algo_and_kind() -> None:
    for algo in ALGOS:
        assert (algo, "*", "*") in PRESETS
        for kind in ("pixels", "symbolic", "dict", "vector"):
            assert get_preset(algo, "Gridworld", kind).n_envs >= 1
            assert policy_name(algo, kind)
    with pytest.raises(ValueError, match="unknown algo"):
        get_preset("sac", "Gridworld", "pixels")
    # Presets are copies: editing one must not leak into the table.
    get_preset("ppo", "Gridworld", "symbolic").algo_kwargs["n_steps"] = 1
    assert get_preset("ppo", "Gridworld", "symbolic").algo_kwargs["n_steps"] != 1


def test_scripted_policies_are_the_harness_ones() -> None:
    import zipfian_envs.evaluation.policies as harness_policies
    from zipfian_envs.agents import policies

    assert policies.OraclePolicy is harness_policies.OraclePolicy
    assert policies.RandomPolicy is harness_policies.RandomPolicy
    env_id = f"{NAMESPACE}/Gridworld-v0"
    oracle = evaluate(policies.OraclePolicy(), env_id, episodes=8, num_envs=2, obs_mode="symbolic")
    assert all(r["success"] for r in oracle)
    env = gym.make(env_id, obs_mode="symbolic")
    random = evaluate(policies.RandomPolicy(env.action_space, seed=0), env_id, episodes=8, num_envs=2,
                      obs_mode="symbolic")  # fmt: skip
    assert len(random) == 8


@pytest.mark.parametrize(("frames", "cue_match"), [(1, False), (4, False), (1, True)])
def test_ppo_symbolic_learns_tiny_gridworld(frames: int, cue_match: bool, tmp_path: Path) -> None:
    """One room, two objects, one map: PPO reaches >= 80% success in a fixed 16k-step seeded budget.

    8 envs x 128-step rollouts: the default-configuration preset's 4,096-step rollouts would give
    this budget only four updates. With ``frames=4`` it is the memory agent of the Gridworld results
    (a 4-frame stack), evaluated on plain envs through FrameStackPolicy; ``cue_match`` adds the
    extractor's cue-match map.
    """
    out = tmp_path / "tiny"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "16384", "--seed", "0", "--out", str(out),
            "--final-episodes", "200", "--min-episodes-per-rank", "0", "--checkpoint-every", "0", "--no-progress",
            "--n-envs", "8", "--hp", "n_steps=128", "--hp", "batch_size=256", "--frame-stack", str(frames),
            *(["--cue-match"] if cue_match else []), *TINY]  # fmt: skip
    assert train.main(argv) == 0
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    success = result["protocols"]["zipfian"]["summary"]["success"]["success"]
    assert success >= 0.8, f"tiny Gridworld success {success:.2f} < 0.8"


def test_results_grouping_and_merge(tmp_path: Path) -> None:
    from zipfian_envs.agents import results

    config = {"env": f"{NAMESPACE}/Gridworld-v0", "env_kwargs": {"level": "zipf_2", "obs_mode": "pixels", "rooms": 2},
              "level": "zipf_2", "algo": "ppo", "observation_kind": "pixels", "seed": 1}  # fmt: skip
    key = results.group_key(config)
    no_aids = (False, False, False, False, False)
    assert key == (f"{NAMESPACE}/Gridworld-v0", '{"rooms": 2}', "zipf_2", "ppo", "pixels", 1, *no_aids)
    assert results.group_key({**config, "frame_stack": 4})[-6] == 4
    assert results.group_key({**config, "cue_match": True})[-5] is True
    assert results.group_key({**config, "novelty_bonus": 0.01})[-4] is True
    assert results.group_key({**config, "fresh_maps": 0.5})[-3] is True
    assert results.group_key({**config, "dagger_steps": 1000})[-2] is True
    assert results.group_key({**config, "clip_reward": 1.0})[-1] is True
    assert results.config_dir(tmp_path, key[0], key[1], "zipf_2", "pixels") == (
        tmp_path / "gridworld" / "pixels_zipf_2_rooms-2"
    )
    runs = [
        {"config": {**config, "seed": seed}, "records": [{"policy": "x", "protocol": p, "success": True} for p in "ab"]}
        for seed in (0, 1)
    ]
    merged = results.merge_group(runs)
    assert sorted(merged) == ["a", "b"]
    assert [r["train_seed"] for r in merged["a"]] == [0, 1]
    assert all("policy" not in r for r in merged["a"])


def test_results_refuse_to_merge_different_step_budgets(tmp_path: Path, monkeypatch, capsys) -> None:
    """Seeds of one configuration trained for different --steps are not averaged into one agent."""
    from zipfian_envs.agents import results

    config = {"env": f"{NAMESPACE}/Gridworld-v0", "env_kwargs": {"obs_mode": "symbolic"}, "level": "zipf_2",
              "algo": "ppo", "observation_kind": "symbolic", "seed": 0}  # fmt: skip
    assert results.step_budget({**config, "argv": ["--steps", "25000000", "--seed", "0"]}) == 25_000_000
    assert results.step_budget(config) is None
    runs = [{"dir": tmp_path / f"run{steps}", "config": {**config, "argv": ["--steps", str(steps)]}}
            for steps in (12_500_000, 25_000_000)]  # fmt: skip
    monkeypatch.setattr(results, "find_runs", lambda runs_dir: runs)
    with pytest.raises(SystemExit) as exit_info:
        results.main(["--runs", str(tmp_path), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "run12500000, run25000000 share a configuration but not --steps (12500000, 25000000)" in err


def test_results_refuse_to_merge_different_hyperparameters(tmp_path: Path, monkeypatch, capsys) -> None:
    """Seeds of one configuration trained with different --hp values are not averaged into one agent."""
    from zipfian_envs.agents import results

    preset = {"algo_kwargs": {"ent_coef": 0.01, "n_steps": 64},
              "policy_kwargs": {"features_extractor_kwargs": {"hidden": 128}}}  # fmt: skip
    config = {"env": f"{NAMESPACE}/Gridworld-v0", "env_kwargs": {"obs_mode": "symbolic"}, "level": "zipf_2",
              "algo": "ppo", "observation_kind": "symbolic", "seed": 0, "preset": preset,
              "hp_overrides": {}}  # fmt: skip
    entropy = {**config, "hp_overrides": {"ent_coef": 0.03}}
    assert results.differing_settings([config, entropy]) == {"algo.ent_coef": ["0.01", "0.03"]}
    assert results.differing_settings([config, {**config, "hp_overrides": {"ent_coef": 0.01}}]) == {}
    # --cue-match and its --hp spelling build the same extractor, so they merge.
    spelled = {"policy_kwargs": {"features_extractor_kwargs": {"hidden": 128, "features": "cue_match"}}}
    cue = {**config, "cue_match": True}
    assert results.differing_settings([cue, {**cue, "hp_overrides": spelled}]) == {}
    rllib = {**config, "backend": "rllib", "training_config": {"lr": 1e-3}, "model_overrides": {"use_lstm": True}}
    slower = {**rllib, "training_config": {"lr": 5e-4}}
    assert results.differing_settings([rllib, slower]) == {"training.lr": ["0.0005", "0.001"]}
    runs = [{"dir": tmp_path / name, "config": c} for name, c in (("base", config), ("ent03", entropy))]
    monkeypatch.setattr(results, "find_runs", lambda runs_dir: runs)
    with pytest.raises(SystemExit) as exit_info:
        results.main(["--runs", str(tmp_path), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    assert "runs base, ent03 share a configuration but not algo.ent_coef (0.01, 0.03)" in capsys.readouterr().err


def test_frame_stack_policy_matches_vec_frame_stack() -> None:
    """The harness-side stack (FrameStackPolicy's state) equals SB3's VecFrameStack over episode ends."""
    from stable_baselines3.common.vec_env import VecFrameStack

    from zipfian_envs.evaluation.policies import FrameStackPolicy

    class Recorder:
        seen: list = []

        def predict(self, obs, deterministic=True):
            self.seen.append(obs.copy())
            return rng.integers(0, 8, size=len(obs)), None

    env_kwargs = {"obs_mode": "symbolic", "rooms": 2, "num_objects": 4, "num_maps": 2}
    stacked = VecFrameStack(train.make_env(f"{NAMESPACE}/Gridworld-v0", 3, 0, env_kwargs), 3)
    plain = train.make_env(f"{NAMESPACE}/Gridworld-v0", 3, 0, env_kwargs)
    policy, rng = FrameStackPolicy(Recorder(), 3), np.random.default_rng(0)
    obs_stacked, obs, state, starts = stacked.reset(), plain.reset(), None, np.ones(3, dtype=bool)
    saw_episode_end = False
    for _ in range(130):  # past the 100-step limit, so every sub-env has restarted at least once
        actions, state = policy.predict(obs, state=state, episode_start=starts)
        np.testing.assert_array_equal(Recorder.seen[-1], obs_stacked)
        obs_stacked, _, _, _ = stacked.step(actions)
        obs, _, starts, _ = plain.step(actions)
        saw_episode_end |= bool(starts.any())
    assert saw_episode_end
    assert obs_stacked.shape == (3, 150)


def test_frame_stack_trains_and_the_saved_model_evaluates_on_plain_envs(tmp_path: Path) -> None:
    out = tmp_path / "stack"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "256", "--n-envs", "2", "--out", str(out),
            "--frame-stack", "3", "--final-episodes", "3", "--min-episodes-per-rank", "0", "--checkpoint-every", "0",
            "--hp", "n_steps=64", "--hp", "batch_size=64", "--no-progress", *TINY]  # fmt: skip
    assert train.main(argv) == 0
    assert json.loads((out / "config.json").read_text())["frame_stack"] == 3
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-stack3"
    kwargs = {"obs_mode": "symbolic", "rooms": 1, "num_objects": 2, "num_maps": 1}
    policy = load_policy(str(out / "model.zip"), f"{NAMESPACE}/Gridworld-v0", **kwargs)
    assert type(policy).__name__ == "FrameStackPolicy" and policy.frames == 3
    assert len(evaluate(policy, f"{NAMESPACE}/Gridworld-v0", episodes=4, num_envs=2, **kwargs)) == 4


def test_cue_match_is_recorded_named_and_reloaded(tmp_path: Path) -> None:
    out = tmp_path / "cue"
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "256", "--n-envs", "2", "--out", str(out),
            "--cue-match", "--final-episodes", "3", "--min-episodes-per-rank", "0", "--checkpoint-every", "0",
            "--hp", "n_steps=64", "--hp", "batch_size=64", "--no-progress", *TINY]  # fmt: skip
    assert train.main(argv) == 0
    assert json.loads((out / "config.json").read_text())["cue_match"] is True
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["policy"] == "ppo-symbolic-cuematch"
    kwargs = {"obs_mode": "symbolic", "rooms": 1, "num_objects": 2, "num_maps": 1}
    policy = load_policy(str(out / "model.zip"), f"{NAMESPACE}/Gridworld-v0", **kwargs)
    assert policy.policy.features_extractor.features == "cue_match"


def test_learning_curves_plot(tmp_path: Path) -> None:
    from zipfian_envs.agents import curves

    for seed in (0, 1):
        run = tmp_path / f"run_s{seed}"
        run.mkdir()
        rows = ["timesteps,wall_s,protocol,episodes,success,success_common,success_medium,success_rare"]
        for steps in (100, 200):
            rows += [f"{steps},1,zipfian,10,0.{seed + 5},0.6,0.3,", f"{steps},1,uniform,20,0.2,0.5,0.2,0.0",
                     f"{steps},1,rare,10,0.0,,,0.0"]  # fmt: skip
        (run / "eval.csv").write_text("\n".join(rows) + "\n")
    table = curves.read_eval_csv(tmp_path / "run_s0" / "eval.csv")
    assert table[("uniform", "success_common")] == {100: 0.5, 200: 0.5}
    assert ("rare", "success_common") not in table
    runs = [curves.read_eval_csv(tmp_path / f"run_s{s}" / "eval.csv") for s in (0, 1)]
    steps, mean, low, high = curves.group_curve(runs, ("zipfian", "success"))
    assert steps.tolist() == [100, 200] and np.allclose(mean, 0.55) and np.allclose([low, high], [[0.5] * 2, [0.6] * 2])
    png = tmp_path / "curves.png"
    assert curves.main(["--group", f"PPO={tmp_path}/run_s*", "--out", str(png)]) == 0
    assert png.stat().st_size > 10_000
    with pytest.raises(SystemExit) as excinfo:
        curves.main(["--group", f"PPO={tmp_path}/nothing*", "--out", str(png)])
    assert excinfo.value.code == 2


def test_learning_curves_of_the_normalised_score(tmp_path: Path) -> None:
    from zipfian_envs.agents import curves
    from zipfian_envs.agents.callbacks import EVAL_FIELDS

    for seed in (0, 1):
        run = tmp_path / f"lab_s{seed}"
        run.mkdir()
        rows = [",".join(EVAL_FIELDS)]
        rows += [f"{k * 500},1,zipfian,10,0.1,0.2,0.0,,0.{seed + 2},0.4,0.05," for k in (1, 2)]
        (run / "eval.csv").write_text("\n".join(rows) + "\n")
    runs = [curves.read_eval_csv(tmp_path / f"lab_s{s}" / "eval.csv") for s in (0, 1)]
    steps, mean, _, _ = curves.group_curve(runs, ("zipfian", "normalized_score"))
    assert steps.tolist() == [500, 1000] and np.allclose(mean, 0.25)
    assert ("zipfian", "normalized_score_rare") not in runs[0]
    png = tmp_path / "scores.png"
    assert curves.main(["--group", f"PPO={tmp_path}/lab_s*", "--out", str(png), "--metric", "normalized_score"]) == 0
    assert png.stat().st_size > 10_000
    with pytest.raises(ValueError, match="unknown metric 'reward'; valid: success, normalized_score"):
        curves.plot_curves({"PPO": [tmp_path / "lab_s0"]}, png, metric="reward")


def test_eval_rows_carry_the_normalised_score_only_for_graded_envs() -> None:
    from zipfian_envs.agents.callbacks import score_by_bin

    graded = [{"success": True, "frequency_bin": "common", "normalized_score": 0.5},
              {"success": False, "frequency_bin": "rare", "normalized_score": -0.1},
              {"success": False, "frequency_bin": "common", "normalized_score": 0.1}]  # fmt: skip
    scores = score_by_bin(graded)
    assert scores["normalized_score"] == pytest.approx(0.5 / 3)
    assert scores["normalized_score_common"] == pytest.approx(0.3)
    assert scores["normalized_score_rare"] == pytest.approx(-0.1) and scores["normalized_score_medium"] is None
    assert score_by_bin([{"success": True, "frequency_bin": "common"}]) == {}


def test_learning_curves_snap_lines_up_evaluations_past_the_scheduled_step(tmp_path: Path) -> None:
    from zipfian_envs.agents import curves

    for seed, late in ((0, 1_204), (1, 23_871)):
        run = tmp_path / f"appo_s{seed}"
        run.mkdir()
        rows = ["timesteps,wall_s,protocol,episodes,success,success_common,success_medium,success_rare"]
        rows += [f"{k * 1_000_000 + late},1,zipfian,10,0.{seed + 3},0.5,0.2," for k in (1, 2)]
        (run / "eval.csv").write_text("\n".join(rows) + "\n")
    raw = [curves.read_eval_csv(tmp_path / f"appo_s{s}" / "eval.csv") for s in (0, 1)]
    assert curves.group_curve(raw, ("zipfian", "success"))[0].size == 0  # no step in common
    snapped = [curves.read_eval_csv(tmp_path / f"appo_s{s}" / "eval.csv", snap=1_000_000) for s in (0, 1)]
    steps, mean, _, _ = curves.group_curve(snapped, ("zipfian", "success"))
    assert steps.tolist() == [1_000_000, 2_000_000] and np.allclose(mean, 0.35)
    png = tmp_path / "curves.png"
    assert curves.main(["--group", f"APPO={tmp_path}/appo_s*", "--out", str(png), "--snap", "1000000"]) == 0
    with pytest.raises(SystemExit) as excinfo:
        curves.main(["--group", f"APPO={tmp_path}/appo_s*", "--out", str(png), "--snap", "-5"])
    assert excinfo.value.code == 2


def test_training_level_keeps_a_full_playroom_level_name() -> None:
    level = "put/put_on_bed_tray_frequent"
    args = train.parse_args(["--algo", "ppo", "--env", f"{NAMESPACE}/Playroom-v0", "--level", level, "--steps", "1",
                             "--out", "x"])  # fmt: skip
    assert args.training_level == level
    default = train.parse_args(["--algo", "ppo", "--steps", "1", "--out", "x", "--obs-mode", "symbolic"])
    assert default.training_level == "zipf_2"


def test_gridworld_symbolic_preset_sizes_the_extractor(tmp_path: Path) -> None:
    argv = ["--algo", "ppo", "--obs-mode", "symbolic", "--steps", "64", "--n-envs", "1", "--out", str(tmp_path),
            "--hp", "n_steps=64", "--hp", "batch_size=64", "--final-episodes", "0", "--no-progress", *TINY]  # fmt: skip
    args = train.parse_args(argv)
    args.kind, args.preset = "symbolic", get_preset("ppo", "Gridworld", "symbolic")
    env = train.make_env(args.env, 1, 0, args.env_kwargs)
    model = train.build_model(args, env, None)
    assert model.policy.features_extractor.mlp[0].out_features == 128 and model.policy.features_dim == 128
    assert get_preset("ppo", "Gridworld", "symbolic").n_envs == 64
    wide = {"features_extractor_kwargs": {"hidden": 64, "features_dim": 32}}
    args.hp_overrides = {"policy_kwargs": wide, "gamma": 0.9}
    model = train.build_model(args, env, None)
    assert model.policy.features_extractor.mlp[0].out_features == 64 and model.gamma == 0.9
    assert args.hp_overrides == {"policy_kwargs": wide, "gamma": 0.9}  # kept for config.json


def test_hp_resizing_the_pixel_extractor_keeps_the_presets_pixel_scale(tmp_path: Path) -> None:
    argv = ["--algo", "ppo", "--obs-mode", "pixels", "--steps", "64", "--n-envs", "1", "--out", str(tmp_path),
            "--hp", "n_steps=64", "--hp", "batch_size=64", "--final-episodes", "0", "--no-progress", *TINY,
            "--hp", "policy_kwargs={'features_extractor_kwargs': {'channels': 24}}"]  # fmt: skip
    args = train.parse_args(argv)
    args.kind, args.preset = "pixels", get_preset("ppo", "Gridworld", "pixels")
    model = train.build_model(args, train.make_env(args.env, 1, 0, args.env_kwargs), None)
    first_conv = model.policy.features_extractor.cnn[0]
    assert first_conv.out_channels == 24 and first_conv.input_scale == pytest.approx(1 / 255)
    assert model.policy.normalize_images is False


def test_evaluating_the_checkpoint_of_a_stopped_run_records_its_training(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["--algo", "ppo", "--obs-mode", "symbolic", "--n-envs", "2", "--out", str(out), "--no-progress",
            "--hp", "n_steps=64", "--hp", "batch_size=64", *TINY]  # fmt: skip
    assert train.main([*base, "--steps", "256", "--checkpoint-every", "128", "--final-episodes", "0"]) == 0
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    del config["training"]  # what a run stopped before its end leaves
    config_path.write_text(json.dumps(config))
    checkpoint = out / "checkpoints" / "model_128_steps.zip"
    argv = [*base, "--steps", "128", "--resume", str(checkpoint), "--final-episodes", "2",
            "--min-episodes-per-rank", "0"]  # fmt: skip
    assert train.main(argv) == 0
    training = json.loads(config_path.read_text())["training"]
    assert training["steps"] == 128 and training["checkpoint"] == str(checkpoint)
    assert training["wall_s"] >= 0 and training["steps_per_s"] > 0
    result = load_result(next(p for p in out.glob("*.json") if p.name != "config.json"))
    assert result["training"]["steps"] == 128

    # An earlier checkpoint of a finished run, evaluated in a folder holding the run's config.json.
    finished = json.loads(config_path.read_text())
    finished["training"] = {"algo": "ppo", "steps": 256, "wall_s": 1.0}
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "config.json").write_text(json.dumps(finished))
    argv[argv.index("--out") + 1] = str(copy)
    assert train.main(argv) == 0
    training = json.loads((copy / "config.json").read_text())["training"]
    assert training["steps"] == 128 and training["checkpoint"] == str(checkpoint)


def test_evaluation_accepts_arguments_without_a_frame_stack() -> None:
    """The RLlib backend hands evaluate_model its own arguments, which carry no frame stack."""
    import argparse

    from zipfian_envs.evaluation.policies import RandomPolicy

    env_kwargs = {"obs_mode": "symbolic", "rooms": 1, "num_objects": 2, "num_maps": 1}
    args = argparse.Namespace(env=f"{NAMESPACE}/Gridworld-v0", env_kwargs=env_kwargs, training_level="zipf_2",
                              min_episodes_per_rank=0, stochastic_eval=False)  # fmt: skip
    policy = RandomPolicy(gym.make(args.env, **env_kwargs).action_space, seed=0)
    records = train.evaluate_model(policy, args, episodes=2, seed=0)
    assert {p: len(r) for p, r in records.items()} == {"zipfian": 2, "uniform": 2, "rare": 2}


def test_frame_stack_policy_matches_vec_frame_stack_on_dict_observations() -> None:
    """Image + instruction: each entry stacks along its last axis (image channels), as VecFrameStack does."""
    from stable_baselines3.common.vec_env import VecFrameStack

    from zipfian_envs.evaluation.policies import FrameStackPolicy

    seen: list = []

    class Recorder:
        def predict(self, obs, deterministic=True):
            seen.append({key: value.copy() for key, value in obs.items()})
            return rng.integers(0, 10, size=2), None

    env_kwargs = {"room": "small", "num_kinds": 2, "time_limit_scale": 0.02}  # 18-step episodes
    stacked = VecFrameStack(train.make_env(f"{NAMESPACE}/Playroom-v0", 2, 0, env_kwargs), 2)
    plain = train.make_env(f"{NAMESPACE}/Playroom-v0", 2, 0, env_kwargs)
    policy, rng = FrameStackPolicy(Recorder(), 2), np.random.default_rng(0)
    obs_stacked, obs, state, starts = stacked.reset(), plain.reset(), None, np.ones(2, dtype=bool)
    ends = 0
    for _ in range(40):
        actions, state = policy.predict(obs, state=state, episode_start=starts)
        for key in ("image", "instruction"):
            np.testing.assert_array_equal(seen[-1][key], obs_stacked[key])
        obs_stacked, _, _, _ = stacked.step(actions)
        obs, _, starts, _ = plain.step(actions)
        ends += int(starts.sum())
    assert ends >= 2
    assert obs_stacked["image"].shape == (2, 72, 96, 6) and obs_stacked["instruction"].shape == (2, 32)


def test_stacked_frames_reads_dict_and_image_stacks() -> None:
    from gymnasium import spaces

    from zipfian_envs.evaluation.policies import stacked_frames

    image, tokens = spaces.Box(0, 255, (72, 96, 3), np.uint8), spaces.Box(0, 9, (16,), np.int64)
    env_space = spaces.Dict({"image": image, "instruction": tokens})

    def model_space(image_shape, token_count):
        return spaces.Dict({"image": spaces.Box(0, 255, image_shape, np.uint8),
                            "instruction": spaces.Box(0, 9, (token_count,), np.int64)})  # fmt: skip

    assert stacked_frames(model_space((3, 72, 96), 16), env_space) == 1  # SB3's channel-first copy
    assert stacked_frames(model_space((12, 72, 96), 64), env_space) == 4
    assert stacked_frames(model_space((72, 96, 12), 64), env_space) == 4
    assert stacked_frames(model_space((12, 72, 96), 32), env_space) == 0  # entries disagree
    assert stacked_frames(model_space((10, 72, 96), 16), env_space) == 0
    assert stacked_frames(model_space((12, 60, 96), 64), env_space) == 0

"""Train a baseline on a Zipfian env: ``zipfian-train`` / ``python -m zipfian_envs.agents.train``.

Example::

    zipfian-train --algo ppo --env Zipfian/Gridworld-v0 --level zipf_2 --obs-mode symbolic \\
        --steps 500000 --seed 0 --out runs/ppo_sym_zipf2_s0 --eval-every 100000

Writes into ``--out``: ``config.json`` (arguments, preset, timing), ``progress.csv`` (SB3 training
log), ``eval.csv`` (periodic harness evaluation: success overall and on common / medium / rare
targets per protocol), ``checkpoints/``, ``model.zip`` and, at the end, the harness's result JSON
(zipfian / uniform / rare protocols) ready for ``zipfian-leaderboard``.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import sys
import time
from typing import Any, NoReturn

import gymnasium as gym
import torch
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.logger import configure
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.utils import set_random_seed
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecFrameStack

import zipfian_envs
from zipfian_envs.agents.callbacks import AtomicCheckpointCallback, HarnessEvalCallback, TqdmCallback, checkpoint_path
from zipfian_envs.agents.cli import (
    BACKENDS,
    add_run_arguments,
    check_results_dir,
    check_run_arguments,
    claim,
    evaluate_model,
    jsonable,
    load_run_config,
    run_parser,
    write_config,
    write_results,
)
from zipfian_envs.agents.exploration import ClipReward, ConcatVecEnv, EpisodicNoveltyBonus, fresh_map_kwargs
from zipfian_envs.agents.extractors import extractor_for, observation_kind
from zipfian_envs.agents.hyper import DEVICES, check_combination, check_device, check_memory, check_overrides
from zipfian_envs.agents.imitation import DEFAULT_EPOCHS, check_dagger, dagger
from zipfian_envs.agents.presets import ALGOS, get_preset, policy_name
from zipfian_envs.core.checks import MAX_NUM_ENVS
from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import atomic_save, finish_run_folder
from zipfian_envs.evaluation.errors import SchemaError
from zipfian_envs.registration import NAMESPACE
from zipfian_envs.vector import to_sb3

# auto: the env's native vector env (through the SB3 adapter) when it has one, else DummyVecEnv.
VEC_ENVS = ("auto", "native", "dummy")
# VecFrameStack concatenates along the last axis: flat vectors, and the channels of a Dict's HxWxC image
# (the instruction's tokens repeat); not the Gridworld's pixels, whose CNN reads 3-channel cells.
FRAME_STACK_KINDS = ("symbolic", "vector", "dict")


def build_parser() -> argparse.ArgumentParser:
    """The ``zipfian-train`` argument parser."""
    p = run_parser("zipfian-train", "Train a baseline agent on a Zipfian environment.")
    add_run_arguments(
        p,
        backends=BACKENDS,
        algos=ALGOS,
        hp_help="override a preset kwarg",
        resume_help="checkpoint .zip to continue from",
        checkpoint_help="steps between checkpoints (0: off)",
        cue_match_help="Gridworld: add the extractor's kind-agnostic cue-match map (features=cue_match)",
    )
    p.add_argument("--n-envs", type=int, default=None, help="parallel envs (default: the preset's)")
    p.add_argument("--frame-stack", type=int, default=1,
                   help="act on the last N observations (VecFrameStack, flat obs): a short memory")  # fmt: skip
    p.add_argument("--novelty-bonus", type=float, default=0.0, metavar="BETA",
                   help="Gridworld: exploration aid, BETA per first visit to a cell in an episode, "
                        "decaying linearly to 0 over --steps (agent side; the env's reward is unchanged)")  # fmt: skip
    p.add_argument("--fresh-maps", type=float, default=0.0, metavar="FRAC",
                   help="Gridworld: map-diversity aid, FRAC of the training envs play fresh maps (1,000 maps, "
                        "uniform) beside the configured ones; evaluation stays on the configured env")  # fmt: skip
    p.add_argument("--dagger-steps", type=int, default=0, metavar="N",
                   help="oracle-guidance aid (ppo, a2c): the first N of --steps imitate the env's scripted oracle "
                        "(DAgger, agent side), then RL goes on from that policy")  # fmt: skip
    p.add_argument("--dagger-epochs", type=float, default=DEFAULT_EPOCHS, metavar="E",
                   help=f"with --dagger-steps: samples fitted per labelled step ({DEFAULT_EPOCHS})")  # fmt: skip
    p.add_argument("--clip-reward", type=float, default=0.0, metavar="C",
                   help="training aid: clip the rewards the agent learns from to [-C, C] (IMPALA's DMLab "
                        "practice; 0: off); evaluation scores the env's own reward")  # fmt: skip
    p.add_argument("--vec-env", choices=VEC_ENVS, default="auto",
                   help="auto: the native vector env when the id has one, else dummy (one object per env)")  # fmt: skip
    p.add_argument("--device", default="cpu", help=f"torch device: {DEVICES} (default: cpu)")
    return p


def family_of(env_id: str) -> str:
    """The env family of an id: ``Zipfian/Gridworld-zipf_2-v0`` -> ``Gridworld``."""
    name = env_id.split("/", 1)[-1]
    return name.split("-", 1)[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse and validate arguments; any problem exits with status 2 and a one-line message."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.frame_stack < 1:
        parser.error(f"--frame-stack must be >= 1, got {args.frame_stack}")
    if args.n_envs is not None and not 1 <= args.n_envs <= MAX_NUM_ENVS:
        parser.error(f"--n-envs must be in 1..{MAX_NUM_ENVS} (the documented limit), got {args.n_envs}")
    if args.resume is not None and not args.resume.is_file():
        parser.error(f"--resume checkpoint {str(args.resume)!r} does not exist")
    check_run_arguments(parser, args).close()
    problem = check_overrides(args.algo, ALGOS[args.algo], args.hp_overrides) or check_device(args.device)
    if problem:
        parser.error(problem)
    if args.vec_env == "native" and not has_native_vector_env(args.env):
        parser.error(f"{args.env} has no native vector env; use --vec-env dummy")
    kind = observation_kind(args.observation_space)
    if args.frame_stack > 1 and kind not in FRAME_STACK_KINDS:
        parser.error(f"--frame-stack works on {', '.join(FRAME_STACK_KINDS)} observations; "
                     f"{args.env} gives {kind} observations")  # fmt: skip
    if args.cue_match and (kind not in ("symbolic", "pixels") or family_of(args.env) != "Gridworld"):
        parser.error(f"--cue-match works on Gridworld observations (symbolic or pixels); {args.env} gives {kind}")
    if not math.isfinite(args.novelty_bonus) or args.novelty_bonus < 0:
        parser.error(f"--novelty-bonus must be a number >= 0, got {args.novelty_bonus}")
    if args.novelty_bonus and (family_of(args.env) != "Gridworld" or args.vec_env == "dummy"):
        parser.error(f"--novelty-bonus needs the Gridworld's native vector env (--vec-env auto or native); "
                     f"got {args.env} with --vec-env {args.vec_env}")  # fmt: skip
    if not math.isfinite(args.fresh_maps) or not 0 <= args.fresh_maps < 1:
        parser.error(f"--fresh-maps must be a fraction in [0, 1), got {args.fresh_maps}")
    if args.fresh_maps:
        if family_of(args.env) != "Gridworld":
            parser.error(f"--fresh-maps works on the Gridworld (its maps are procedural); got {args.env}")
        if args.novelty_bonus:
            parser.error("--fresh-maps and --novelty-bonus cannot be combined (the bonus reads one native vector env)")
        try:
            fresh_map_kwargs(args.env_kwargs)
        except ValueError as exc:
            parser.error(str(exc))
    if not math.isfinite(args.clip_reward) or args.clip_reward < 0:
        parser.error(f"--clip-reward must be a number > 0 (0: off), got {args.clip_reward}")
    problem = check_dagger(args.algo, args.dagger_steps, args.steps, args.action_space, args.dagger_epochs)
    if problem:
        parser.error(problem)
    args.kind = kind
    args.preset = get_preset(args.algo, family_of(args.env), kind)
    n_envs = args.n_envs or args.preset.n_envs
    if args.fresh_maps and round(n_envs * args.fresh_maps) == n_envs:
        parser.error(f"--fresh-maps {args.fresh_maps} leaves none of {n_envs} envs on the configured maps; "
                     "lower it or raise --n-envs")  # fmt: skip
    check_results_dir(parser, args)
    if args.resume is None:  # a resumed model keeps the settings it was saved with
        settings = {**args.preset.algo_kwargs, **args.hp_overrides}
        problem = check_combination(args.algo, ALGOS[args.algo], settings, n_envs) or check_memory(
            args.algo, ALGOS[args.algo], settings, n_envs, args.frame_stack, args.observation_space
        )
        if problem:
            parser.error(problem)
    return args


def has_native_vector_env(env_id: str) -> bool:
    """Whether a Zipfian id registers a native vector env (a ``vector_entry_point``)."""
    spec = gym.spec(env_id)
    return spec.namespace == NAMESPACE and spec.vector_entry_point is not None


def make_env(env_id: str, n_envs: int, seed: int, env_kwargs: dict[str, Any], vec_env: str = "auto") -> VecEnv:
    """``n_envs`` envs as one SB3 ``VecEnv`` in this process, env ``i`` seeded ``seed + i``.

    ``native`` (what ``auto`` picks when the id has one): the family's batched env through
    :func:`zipfian_envs.vector.to_sb3`. ``dummy``: Monitor-wrapped single envs in a ``DummyVecEnv``.
    Both give the same episodes, so the same seed trains the same model.
    """
    if vec_env == "native" or (vec_env == "auto" and has_native_vector_env(env_id)):
        batched = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode="vector_entry_point",
                               autoreset_mode=AutoresetMode.SAME_STEP, **env_kwargs)  # fmt: skip
        env = to_sb3(batched)
        env.seed(seed)
        return env
    return make_vec_env(env_id, n_envs=n_envs, seed=seed, env_kwargs=env_kwargs, vec_env_cls=DummyVecEnv)


def make_training_env(args: argparse.Namespace, n_envs: int) -> VecEnv:
    """The training envs: ``make_env``'s, or with ``--fresh-maps`` the configured and fresh-map envs side by side."""
    n_fresh = round(n_envs * args.fresh_maps)
    if not n_fresh:
        return make_env(args.env, n_envs, args.seed, args.env_kwargs, args.vec_env)
    if n_fresh == n_envs:
        raise SystemExit(f"zipfian-train: error: --fresh-maps {args.fresh_maps} leaves none of {n_envs} envs "
                         "on the configured maps; lower it or raise --n-envs")  # fmt: skip
    configured = make_env(args.env, n_envs - n_fresh, args.seed, args.env_kwargs, args.vec_env)
    fresh = make_env(args.env, n_fresh, args.seed + n_envs - n_fresh, fresh_map_kwargs(args.env_kwargs), args.vec_env)
    return ConcatVecEnv([configured, fresh])


def build_model(args: argparse.Namespace, env: VecEnv, tensorboard_dir: str | None) -> BaseAlgorithm:
    """A fresh model from the preset (with ``--hp`` overrides), or the ``--resume`` checkpoint."""
    algo_cls = ALGOS[args.algo]
    if args.resume is not None:
        model = algo_cls.load(args.resume, env=env, device=args.device)
        replay = args.resume.with_name(args.resume.stem.replace("model", "replay_buffer") + ".pkl")
        if isinstance(model, OffPolicyAlgorithm) and replay.is_file():
            model.load_replay_buffer(replay)
        return model
    preset = args.preset
    policy_kwargs = dict(preset.policy_kwargs)
    extractor, extractor_kwargs = extractor_for(env.observation_space, family_of(args.env))
    if extractor is not None:
        # A preset may size the extractor (e.g. the Gridworld's symbolic one); --hp policy_kwargs still win.
        sizes = {**extractor_kwargs, **policy_kwargs.get("features_extractor_kwargs", {})}
        if getattr(args, "cue_match", False):
            sizes["features"] = "cue_match"
        policy_kwargs.update(features_extractor_class=extractor, features_extractor_kwargs=sizes)
    # Read, not popped: config.json records every --hp override, policy_kwargs included.
    for key, value in args.hp_overrides.get("policy_kwargs", {}).items():
        # One level deep for the extractor's sizes: --hp policy_kwargs={'features_extractor_kwargs':
        # {'channels': 64}} resizes the preset's extractor and keeps its other settings (pixel_scale).
        nested = key == "features_extractor_kwargs" and isinstance(value, dict)
        policy_kwargs[key] = {**policy_kwargs.get(key, {}), **value} if nested else value
    kwargs = {**preset.algo_kwargs, **{k: v for k, v in args.hp_overrides.items() if k != "policy_kwargs"}}
    return algo_cls(
        policy_name(args.algo, args.kind),
        env,
        policy_kwargs=policy_kwargs,
        seed=args.seed,
        device=args.device,
        tensorboard_log=tensorboard_dir,
        verbose=0,
        **kwargs,
    )


def backend_of(argv: list[str]) -> str:
    """The ``--backend`` named in ``argv`` (default sb3); an unknown one exits 2 with the valid choices."""
    pre = OneLineParser(prog="zipfian-train", add_help=False)
    pre.add_argument("--backend", choices=BACKENDS, default="sb3")
    return pre.parse_known_args(argv)[0].backend


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``zipfian-train``: bad input exits 2 with one line, Ctrl-C exits 130 with one line."""
    try:
        run(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:  # outside training (set-up, final evaluation): nothing new to save
        print("zipfian-train: interrupted; the run folder stays marked incomplete", file=sys.stderr)
        return 130
    return 0


def run(argv: list[str]) -> dict[str, Any]:
    """Train and evaluate one run from ``zipfian-train`` arguments; returns its training info and result paths.

    The one training path: ``zipfian-train`` and every ``zipfian-sweep`` trial call it, and
    ``--backend rllib`` hands the same arguments on to :mod:`zipfian_envs.agents.rllib_backend`.
    Bad arguments raise ``SystemExit(2)`` after a one-line message on stderr.
    """
    if backend_of(argv) == "rllib":
        from zipfian_envs.agents.rllib_backend import run_rllib

        return run_rllib(argv)
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    set_random_seed(args.seed)
    n_envs = args.n_envs or args.preset.n_envs
    claim(args, argv, check_only=True)  # a used --out is refused before the envs are built
    args.saved_config = None
    if args.resume is not None and (args.out / "config.json").is_file():
        try:  # the config a resumed run goes on from (or, with nothing left to train, re-records)
            args.saved_config = load_run_config(args.out / "config.json")
        except SchemaError as exc:
            print(f"zipfian-train: error: {exc}; redo the run with --overwrite", file=sys.stderr)
            raise SystemExit(2) from None

    env = make_training_env(args, n_envs)
    novelty = None
    if args.novelty_bonus:
        env = novelty = EpisodicNoveltyBonus(env, args.novelty_bonus, decay_steps=args.steps)
    if args.clip_reward:
        env = ClipReward(env, args.clip_reward)
    if args.frame_stack > 1:
        env = VecFrameStack(env, args.frame_stack)
    has_tb = importlib.util.find_spec("tensorboard") is not None
    try:  # the model is built before --out is claimed: settings only SB3 can check leave no folder behind
        model = build_model(args, env, str(args.out / "tb") if has_tb else None)
    except (TypeError, ValueError, AssertionError, KeyError, RuntimeError, MemoryError) as exc:
        env.close()
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"zipfian-train: error: {args.algo} rejects these settings (--hp, --resume): {message}", file=sys.stderr)
        raise SystemExit(2) from None
    claim(args, argv)
    formats = ["csv", "tensorboard"] if has_tb else ["csv"]
    done_steps = model.num_timesteps
    if novelty is not None:  # a resumed run continues the bonus's decay where the checkpoint left it
        novelty.steps = done_steps
    remaining = max(0, args.steps - done_steps)
    config_path = args.out / "config.json"
    # Nothing left to train (e.g. --resume model.zip --steps <= its steps): evaluate only.
    evaluate_only = remaining == 0 and config_path.is_file()
    if not evaluate_only:
        log_dir = args.out if args.resume is None else args.out / f"resumed_at_{done_steps}"
        model.set_logger(configure(str(log_dir), formats))
    callbacks: list[BaseCallback] = [TqdmCallback(args.steps, initial=done_steps, disable=args.no_progress)]
    if args.checkpoint_every:
        callbacks.append(
            AtomicCheckpointCallback(max(args.checkpoint_every // n_envs, 1), args.out / "checkpoints")
        )
    if args.eval_every:
        callbacks.append(
            HarnessEvalCallback(
                lambda m, s: evaluate_model(m, args, args.eval_episodes, seed=10_000 + s),
                args.eval_every,
                args.out / "eval.csv",
                seed=args.seed * 1000,
            )
        )
    config = {
        "argv": argv,
        "algo": args.algo,
        "env": args.env,
        "env_kwargs": jsonable(args.env_kwargs),
        "level": args.training_level,
        "observation_kind": args.kind,
        "n_envs": n_envs,
        "vec_env": type(env.unwrapped).__name__,
        "frame_stack": args.frame_stack,
        "cue_match": args.cue_match,
        "novelty_bonus": args.novelty_bonus,
        "fresh_maps": args.fresh_maps,
        "dagger_steps": args.dagger_steps,
        "dagger_epochs": args.dagger_epochs,
        "clip_reward": args.clip_reward,
        "seed": args.seed,
        "preset": jsonable(args.preset.__dict__),
        "hp_overrides": jsonable(args.hp_overrides),
        "zipfian_envs": zipfian_envs.__version__,
        "torch": torch.__version__,
    }
    if args.saved_config and "dagger" in args.saved_config:
        config["dagger"] = args.saved_config["dagger"]  # a resumed run keeps the report of its imitation phase
    if evaluate_only:
        saved = args.saved_config
        train_info = saved.get("training")
        # A run stopped at a checkpoint, or an earlier checkpoint of a finished run (its config.json
        # copied here): record what the evaluated checkpoint is, not the run's final model.
        if train_info is None or train_info.get("steps") != done_steps:
            train_info = checkpoint_training_info(args, model, n_envs)
            write_config(args.out, {**saved, "training": train_info})
    else:
        write_config(args.out, config)
        start = time.perf_counter()
        fresh = args.resume is None
        if args.dagger_steps and done_steps < args.dagger_steps:
            config["dagger"] = run_dagger(args, model, env, callbacks)
            write_config(args.out, config)
            remaining, fresh = max(0, args.steps - model.num_timesteps), False
        try:
            model.learn(remaining, callback=CallbackList(callbacks), reset_num_timesteps=fresh)
        except KeyboardInterrupt:
            interrupted(args, model)
        wall = time.perf_counter() - start
        atomic_save(args.out / "model.zip", model.save)
        train_info = {
            "algo": args.algo,
            "steps": int(model.num_timesteps),
            "steps_this_run": int(model.num_timesteps - done_steps),
            "wall_s": round(wall, 1),
            "steps_per_s": round((model.num_timesteps - done_steps) / max(wall, 1e-9), 1),
            "n_envs": n_envs,
            "observation_kind": args.kind,
        }
        config["training"] = train_info
        write_config(args.out, config)
    print(json.dumps({"training": train_info}), flush=True)
    paths = write_results(model, args, train_info) if args.final_episodes else []
    for path in paths:
        print(f"result: {path}", flush=True)
    env.close()
    finish_run_folder(args.out)
    return {"out": args.out, "training": train_info, "results": paths}


def run_dagger(args: argparse.Namespace, model: BaseAlgorithm, env: VecEnv, callbacks: list[BaseCallback]) -> dict:
    """The ``--dagger-steps`` phase (:func:`zipfian_envs.agents.imitation.dagger`), then one harness evaluation.

    Harness evaluations also run after each round that crosses another ``--eval-every`` steps, so the
    learning curve covers the imitation too.
    """
    evaluations = [c for c in callbacks if isinstance(c, HarnessEvalCallback)]
    for callback in evaluations:
        callback.init_callback(model)
        callback.last_eval = model.num_timesteps

    def log(row: dict[str, Any]) -> None:
        if args.no_progress:
            print(json.dumps({"dagger": row}), flush=True)
        for callback in evaluations:
            if row["steps"] < args.dagger_steps and row["steps"] - callback.last_eval >= callback.eval_every:
                callback.last_eval = row["steps"]
                callback.run_eval()

    report = dagger(model, env, args.dagger_steps, seed=args.seed, epochs=args.dagger_epochs, log=log)  # type: ignore[arg-type]
    for callback in evaluations:
        callback.run_eval()
    return report.as_dict()


def interrupted(args: argparse.Namespace, model: BaseAlgorithm) -> NoReturn:
    """Ctrl-C mid-training: save a resumable checkpoint, say how to resume in one line, exit 130."""
    path = atomic_save(checkpoint_path(args.out / "checkpoints", int(model.num_timesteps)), model.save)
    print(f"zipfian-train: interrupted at {model.num_timesteps} steps; {args.out} stays marked incomplete; "
          f"continue with --resume {path} --out {args.out}", file=sys.stderr)  # fmt: skip
    raise SystemExit(130)


def checkpoint_training_info(args: argparse.Namespace, model: Any, n_envs: int) -> dict[str, Any]:
    """Training info of a run stopped at a checkpoint: its steps, and its wall time from progress.csv."""
    steps = int(model.num_timesteps)
    info: dict[str, Any] = {"algo": args.algo, "steps": steps, "checkpoint": str(args.resume), "n_envs": n_envs,
                            "observation_kind": args.kind}  # fmt: skip
    progress = args.out / "progress.csv"
    if progress.is_file():
        with progress.open(newline="") as handle:
            rows = [r for r in csv.DictReader(handle) if r.get("time/total_timesteps") and r.get("time/time_elapsed")]
        done = [r for r in rows if int(r["time/total_timesteps"]) <= steps]
        if done:
            wall, logged = float(done[-1]["time/time_elapsed"]), int(done[-1]["time/total_timesteps"])
            info.update(wall_s=round(wall, 1), steps_per_s=round(logged / max(wall, 1e-9), 1))
    return info


if __name__ == "__main__":
    raise SystemExit(main())

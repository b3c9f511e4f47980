"""``zipfian-train --backend rllib --algo ppo|appo|impala``: train on any ``Zipfian/*`` id with Ray RLlib.

Example::

    zipfian-train --backend rllib --algo appo --env Zipfian/Gridworld-v0 --obs-mode symbolic \\
        --steps 1000000 --num-env-runners 0 --num-envs-per-env-runner 32 --out runs/appo_sym

The run folder has the layout of an SB3 run, so ``python -m zipfian_envs.agents.results`` and
``zipfian-sweep`` merge RLlib runs like any other: ``config.json`` (with ``training``),
``progress.csv`` (one row per RLlib iteration), ``checkpoint/`` (the latest RLlib Algorithm
checkpoint; ``--resume checkpoint`` goes on from it) and the harness's result JSON, evaluated
through :class:`zipfian_envs.agents.rllib_policy.RLlibPolicy` with the same protocols and
evaluation seeds as ``zipfian-train``. Policy names are ``rllib-<algo>-<obs>`` (``rllib-<algo>-lstm-<obs>``
with ``--model use_lstm=True``, plus ``-cuematch``).

Workers build envs with :func:`make_rllib_env`, which imports the package (remote workers do not
otherwise know the ``Zipfian`` ids) and casts observations to float32 (RLlib's encoders reject
uint8). Locally, sampling runs in the driver by default (``--num-env-runners 0``): on 2 cores
that is faster than a remote runner; on a cluster give ``--address`` and more runners.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import importlib.util
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from zipfian_envs.agents.cli import (
    add_run_arguments,
    check_results_dir,
    check_run_arguments,
    claim,
    evaluate_model,
    jsonable,
    key_values,
    run_parser,
    write_config,
    write_results,
)
from zipfian_envs.core.checks import MAX_NUM_ENVS
from zipfian_envs.core.files import atomic_write_text, finish_run_folder

ENV_NAME = "zipfian_envs"
RLLIB_ALGOS = ("ppo", "appo", "impala")
# What Algorithm.save_to_path writes first in a checkpoint folder (Algorithm.METADATA_FILE_NAME).
CHECKPOINT_FILE = "rllib_checkpoint.json"
INSTALL_HINT = "pip install 'zipfian-envs[ray]'"
# Small-batch defaults sized for a 2-core machine; --hp overrides any of them. APPO and IMPALA do not
# normalise advantages (PPO does), so with the Gridworld's 0/1 rewards an entropy bonus of 0.01
# outweighed the policy gradient: APPO stayed near-uniform at the most frequent start state and
# plateaued at 0.3 success, where entropy 0 reached 0.6 by 1.8M steps (docs/baselines/gridworld.md).
TRAINING_DEFAULTS: dict[str, dict[str, Any]] = {
    "ppo": {
        "lr": 5e-4,
        "train_batch_size_per_learner": 2048,
        "minibatch_size": 256,
        "num_epochs": 4,
        "entropy_coeff": 0.01,
    },
    "appo": {"lr": 5e-4, "train_batch_size_per_learner": 512, "entropy_coeff": 0.0},
    "impala": {"lr": 5e-4, "train_batch_size_per_learner": 512, "entropy_coeff": 0.0},
}
# --hp ranges of RLlib's training() keywords (as zipfian_envs.agents.hyper.RANGES for SB3's).
RLLIB_RANGES: dict[str, tuple[str, float | None, float | None, bool]] = {
    "gamma": ("real", 0.0, 1.0, True),
    "lr": ("real", 0.0, None, True),
    "lambda_": ("real", 0.0, 1.0, False),
    "clip_param": ("real", 0.0, None, True),
    "vf_clip_param": ("real", 0.0, None, True),
    "entropy_coeff": ("real", 0.0, None, False),
    "vf_loss_coeff": ("real", 0.0, None, False),
    "kl_coeff": ("real", 0.0, None, False),
    "kl_target": ("real", 0.0, None, True),
    "grad_clip": ("real", 0.0, None, True),
    "tau": ("real", 0.0, 1.0, True),
    "train_batch_size": ("int", 1, None, False),
    "train_batch_size_per_learner": ("int", 1, None, False),
    "minibatch_size": ("int", 1, None, False),
    "num_epochs": ("int", 1, None, False),
}
# Keywords whose default None (off, or "the whole batch") may also be given.
RLLIB_OPTIONAL = ("grad_clip", "minibatch_size")
# RLlib takes a learning-rate or entropy schedule as [[timestep, value], ...] in place of the number.
RLLIB_SCHEDULES = ("lr", "entropy_coeff")
# training() keywords this backend sets through its own flags.
RLLIB_SET_BY_CLI = {"model": "--model"}
# The Gridworld's 63x63 pixels: one 9x9 stride-9 convolution per cell (7x7 cells), then a 3x3 one.
PIXEL_CONV_FILTERS = [[32, 9, 9], [64, 3, 1]]


def require_ray(command: str) -> None:
    """Exit 1 with a one-line install hint when Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        print(f"{command}: error: Ray is not installed; {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    """The ``zipfian-train --backend rllib`` argument parser."""
    p = run_parser("zipfian-train --backend rllib", "Train on a Zipfian env with Ray RLlib.")
    add_run_arguments(
        p,
        backends=("rllib",),
        algos=RLLIB_ALGOS,
        hp_help="an AlgorithmConfig.training() argument, e.g. lr=1e-3",
        resume_help="RLlib checkpoint folder to continue from",
        checkpoint_help="steps between checkpoints (0: end only)",
        cue_match_help="symbolic Gridworld: add the encoder's kind-agnostic cue-match map",
    )
    p.add_argument("--model", action="append", default=[], metavar="KEY=VALUE",
                   help="a DefaultModelConfig field, e.g. use_lstm=True, fcnet_hiddens=[64,64]")  # fmt: skip
    p.add_argument("--encoder", choices=("auto", "rllib"), default="auto",
                   help="auto: the package's encoders (embedded codes for the symbolic Gridworld, image + "
                        "instruction for first-person views of 30 px a side or more; RLlib's elsewhere); "
                        "rllib: RLlib's default encoder everywhere")  # fmt: skip
    p.add_argument("--num-env-runners", type=int, default=0, help="remote sampling workers (0: in the driver)")
    p.add_argument("--num-envs-per-env-runner", type=int, default=8, help="envs per runner")
    p.add_argument("--address", default=None, help="Ray cluster to join (auto, ray://host:port); default: local")
    p.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local Ray (default: all)")
    return p


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse and check arguments; a problem exits 2 with one line (as ``zipfian-train`` does)."""
    import zipfian_envs  # noqa: F401  (registers the ids the probe env needs)

    parser = build_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.num_envs_per_env_runner <= MAX_NUM_ENVS:
        parser.error(f"--num-envs-per-env-runner must be in 1..{MAX_NUM_ENVS}, got {args.num_envs_per_env_runner}")
    if args.num_env_runners < 0:
        parser.error(f"--num-env-runners must be >= 0, got {args.num_env_runners}")
    if args.num_cpus is not None and args.num_cpus < 1:
        parser.error(f"--num-cpus must be >= 1, got {args.num_cpus}")
    if args.address is not None and not args.address.strip():
        parser.error("--address is empty; give auto or ray://host:port, or leave it out for a local Ray")
    if args.resume is not None and not args.resume.is_dir():
        parser.error(f"--resume checkpoint folder {str(args.resume)!r} does not exist")
    if args.resume is not None and not (args.resume / CHECKPOINT_FILE).is_file():
        parser.error(f"--resume {args.resume} is not an RLlib Algorithm checkpoint (no {CHECKPOINT_FILE}); "
                     "give a run's checkpoint/ folder")  # fmt: skip
    check_run_arguments(parser, args).close()
    args.model_overrides = key_values(parser, args.model, "--model")
    args.grid_encoder = args.encoder == "auto" and _is_symbolic_grid(args.observation_space)
    args.first_person_encoder = args.encoder == "auto" and _is_first_person(args.observation_space)
    if args.cue_match and not args.grid_encoder:
        parser.error("--cue-match needs symbolic Gridworld observations (--obs-mode symbolic) and --encoder auto")
    args.kind = _observation_kind(args.observation_space)
    check_results_dir(parser, args, run_algo_name(args))
    if importlib.util.find_spec("ray") is not None:  # without Ray, run_rllib exits 1 with the install hint
        problem = check_training_overrides(args.algo, args.hp_overrides) or check_model_overrides(args.model_overrides)
        if problem:
            parser.error(problem)
    return args


def config_class(algo: str) -> Any:
    """The RLlib AlgorithmConfig class of ``algo`` (ppo, appo, impala)."""
    from ray.rllib.algorithms.appo import APPOConfig
    from ray.rllib.algorithms.impala import IMPALAConfig
    from ray.rllib.algorithms.ppo import PPOConfig

    return {"ppo": PPOConfig, "appo": APPOConfig, "impala": IMPALAConfig}[algo]


def training_keywords(config_cls: Any) -> dict[str, Any]:
    """The keywords ``config_cls().training()`` takes (up its class chain), each with its default.

    Deprecated keywords (default ``DEPRECATED_VALUE``, or no attribute on the config) are left out.
    """
    from ray._common.deprecation import DEPRECATED_VALUE

    config = config_cls()
    names: set[str] = set()
    for klass in config_cls.__mro__:
        method = klass.__dict__.get("training")
        if method is not None:
            names.update(n for n, p in inspect.signature(method).parameters.items() if p.kind is p.KEYWORD_ONLY)
    keywords = {}
    for name in sorted(names):
        default = getattr(config, name, DEPRECATED_VALUE)
        if not (isinstance(default, int) and not isinstance(default, bool) and default == DEPRECATED_VALUE):
            keywords[name] = default
    return keywords


def check_training_overrides(algo: str, overrides: dict[str, Any]) -> str | None:
    """The first problem with ``--hp`` overrides of RLlib's ``training()`` for ``algo``, or None.

    A key must be a keyword of the algorithm config's ``training()``; a value must have its default's
    type (``lr`` and ``entropy_coeff`` may be schedules) and lie in :data:`RLLIB_RANGES`; PPO's
    ``minibatch_size`` may not exceed ``train_batch_size_per_learner``.
    """
    from zipfian_envs.agents.hyper import check_type, check_value

    keywords = training_keywords(config_class(algo))
    valid = [k for k in keywords if k not in RLLIB_SET_BY_CLI]
    for name, value in overrides.items():
        if name in RLLIB_SET_BY_CLI:
            return f"--hp {name} is set by zipfian-train --backend rllib itself ({RLLIB_SET_BY_CLI[name]}); use that"
        if name not in valid:
            if name in _model_fields():
                return f"--hp {name} is a model setting; give it as --model {name}=..."
            return f"unknown --hp key {name!r} for rllib {algo} (AlgorithmConfig.training()); valid: {', '.join(valid)}"
        if name in RLLIB_SCHEDULES and _is_schedule(value):
            continue
        problem = check_value(name, value, RLLIB_RANGES, RLLIB_OPTIONAL) or check_type(
            name, value, keywords[name], RLLIB_RANGES
        )
        if problem:
            return problem
    settings = {**TRAINING_DEFAULTS[algo], **overrides}
    minibatch, batch = settings.get("minibatch_size"), settings.get("train_batch_size_per_learner")
    if algo == "ppo" and isinstance(minibatch, int) and isinstance(batch, int) and minibatch > batch:
        return (f"--hp minibatch_size={minibatch} exceeds train_batch_size_per_learner={batch}; "
                "lower minibatch_size or raise train_batch_size_per_learner")  # fmt: skip
    return None


def _is_schedule(value: Any) -> bool:
    """``[[timestep, value], ...]``: pairs of numbers, the first timestep 0 (what RLlib's Scheduler takes)."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    pairs = [p for p in value if isinstance(p, (list, tuple)) and len(p) == 2]
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for p in pairs for x in p)
    return len(pairs) == len(value) and numbers and pairs[0][0] == 0


def _model_fields() -> list[str]:
    """The field names of RLlib's ``DefaultModelConfig`` (what ``--model`` sets), sorted."""
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    return sorted(f.name for f in dataclasses.fields(DefaultModelConfig))


def check_model_overrides(overrides: dict[str, Any]) -> str | None:
    """The first problem with ``--model`` overrides (a ``DefaultModelConfig`` field and its type), or None."""
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from zipfian_envs.agents.hyper import check_type

    defaults = DefaultModelConfig()
    valid = _model_fields()
    for name, value in overrides.items():
        if name not in valid:
            return f"unknown --model key {name!r} (DefaultModelConfig); valid: {', '.join(valid)}"
        problem = check_type(name, value, getattr(defaults, name), (), flag="--model")
        if problem:
            return problem
    return None


def _observation_kind(space: Any) -> str:
    """The observation kind of ``space`` (symbolic, pixels, dict, vector), as result names spell it."""
    from zipfian_envs.agents.extractors import observation_kind

    return observation_kind(space)


def _is_symbolic_grid(space: Any) -> bool:
    """True for the symbolic Gridworld's space: one row of uint8 codes."""
    from zipfian_envs.agents.extractors import observation_kind

    return observation_kind(space) == "symbolic"


def _is_first_person(space: Any) -> bool:
    """True for an ``{"image", "instruction"}`` space the package's first-person encoder takes."""
    from zipfian_envs.agents.rllib_models import first_person_encoder_settings

    return first_person_encoder_settings(space) is not None


def encoder_name(args: argparse.Namespace) -> str:
    """Which encoder a run's module uses (recorded in config.json)."""
    if getattr(args, "grid_encoder", False):
        return "symbolic-grid"
    return "first-person" if getattr(args, "first_person_encoder", False) else "rllib"


def run_algo_name(args: argparse.Namespace) -> str:
    """The algorithm part of a run's agent name: ``rllib-appo``, plus ``-lstm`` for a recurrent core."""
    lstm = str(args.model_overrides.get("use_lstm", False)).lower() in ("true", "1")
    return f"rllib-{args.algo}" + ("-lstm" if lstm else "")


def make_rllib_env(env_config: dict[str, Any]) -> Any:
    """RLlib env creator: imports the package (so any worker knows ``Zipfian/*``) and casts observations."""
    import gymnasium as gym

    import zipfian_envs  # noqa: F401  (registers the Zipfian namespace in this worker process)
    from zipfian_envs.agents.rllib_policy import FloatObservations

    return FloatObservations(gym.make(env_config["env_id"], **dict(env_config.get("env_kwargs", {}))))


def build_config(args: argparse.Namespace) -> Any:
    """The RLlib AlgorithmConfig of a run: env creator, runners, training defaults with ``--hp``, model."""
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec

    from zipfian_envs.agents.rllib_policy import float_observations

    config_cls = config_class(args.algo)
    model: dict[str, Any] = {"fcnet_hiddens": [256, 256]}
    if len(float_observations(args.observation_space)[0].shape) == 3:
        model["conv_filters"] = PIXEL_CONV_FILTERS
    model.update(args.model_overrides)
    training = {**TRAINING_DEFAULTS[args.algo], **args.hp_overrides}
    try:
        module_kwargs: dict[str, Any] = {"model_config": DefaultModelConfig(**model)}
        if getattr(args, "grid_encoder", False):
            from zipfian_envs.agents.rllib_models import GRID_ENCODER_KEY, SymbolicGridCatalog, grid_encoder_settings

            grid = grid_encoder_settings(args.observation_space, args.cue_match, hidden=model["fcnet_hiddens"][-1])
            module_kwargs = {
                "rl_module_spec": RLModuleSpec(catalog_class=SymbolicGridCatalog),
                "model_config": {**dataclasses.asdict(module_kwargs["model_config"]), GRID_ENCODER_KEY: grid},
            }
        elif getattr(args, "first_person_encoder", False):
            from zipfian_envs.agents.rllib_models import (
                FIRST_PERSON_ENCODER_KEY,
                ZipfianCatalog,
                first_person_encoder_settings,
            )

            first_person = first_person_encoder_settings(args.observation_space, hidden=model["fcnet_hiddens"][-1])
            module_kwargs = {
                "rl_module_spec": RLModuleSpec(catalog_class=ZipfianCatalog),
                "model_config": {
                    **dataclasses.asdict(module_kwargs["model_config"]),
                    FIRST_PERSON_ENCODER_KEY: first_person,
                },
            }
        return (
            config_cls()
            .environment(ENV_NAME, env_config={"env_id": args.env, "env_kwargs": args.env_kwargs})
            .framework("torch")
            .env_runners(num_env_runners=args.num_env_runners, num_envs_per_env_runner=args.num_envs_per_env_runner)
            .learners(num_learners=0)
            .training(**training)
            .rl_module(**module_kwargs)
            .debugging(seed=args.seed)
        )
    except TypeError as exc:  # an unknown --hp or --model name
        raise SystemExit(f"zipfian-train --backend rllib: error: {exc}") from None


def init_ray(address: str | None, num_cpus: int | None) -> float:
    """Start a local Ray (or join ``address``) unless one is running; returns the seconds it took."""
    import ray

    if ray.is_initialized():
        return 0.0
    start = time.perf_counter()
    if address:
        ray.init(address=address, include_dashboard=False)
    else:
        ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False)
    return time.perf_counter() - start


def _steps_file(checkpoint: Path) -> Path:
    return checkpoint / "zipfian_steps.json"


def run_rllib(argv: list[str]) -> dict[str, Any]:
    """Train and evaluate one RLlib run (``zipfian-train --backend rllib``); returns training info and result paths."""
    require_ray("zipfian-train --backend rllib")
    args = parse_args(argv)
    import torch
    from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS, EPISODE_RETURN_MEAN, NUM_ENV_STEPS_SAMPLED
    from ray.tune.registry import register_env

    from zipfian_envs.agents.extractors import observation_kind
    from zipfian_envs.agents.rllib_policy import RLlibPolicy

    torch.set_num_threads(args.threads)
    args.kind = observation_kind(args.observation_space)
    for check_only in (True, False):  # a used --out is refused before Ray starts; the folder is taken after
        claim(args, argv, check_only=check_only)
        if check_only:
            try:
                ray_init_s = init_ray(args.address, args.num_cpus)
            except (ConnectionError, ValueError, RuntimeError) as exc:  # e.g. no cluster at --address
                message = " ".join(str(exc).split())[:300]
                print(f"zipfian-train --backend rllib: error: Ray did not start ({message})", file=sys.stderr)
                raise SystemExit(2) from None
    register_env(ENV_NAME, make_rllib_env)
    config = build_config(args)
    algo = config.build_algo()
    done_steps = 0
    if args.resume is not None:
        algo.restore_from_path(args.resume.resolve().as_posix())
        if _steps_file(args.resume).is_file():
            done_steps = json.loads(_steps_file(args.resume).read_text())["steps"]
    checkpoint = args.out / "checkpoint"
    run_config = {
        "argv": argv,
        "backend": "rllib",
        "algo": run_algo_name(args),
        "env": args.env,
        "env_kwargs": jsonable(args.env_kwargs),
        "level": args.training_level,
        "observation_kind": args.kind,
        "num_env_runners": args.num_env_runners,
        "num_envs_per_env_runner": args.num_envs_per_env_runner,
        "seed": args.seed,
        "training_config": jsonable({**TRAINING_DEFAULTS[args.algo], **args.hp_overrides}),
        "model_overrides": jsonable(args.model_overrides),
        "encoder": encoder_name(args),
        "cue_match": args.cue_match,
        "ray_init_s": round(ray_init_s, 2),
    }
    write_config(args.out, run_config)

    steps, next_checkpoint = done_steps, done_steps + (args.checkpoint_every or args.steps)
    next_eval = (done_steps // args.eval_every + 1) * args.eval_every if args.eval_every else None
    start = time.perf_counter()
    progress_name = "progress.csv" if args.resume is None else f"progress_resumed_at_{done_steps}.csv"
    progress_path = args.out / progress_name
    with progress_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["iteration", "steps", "episode_return_mean", "wall_s"])
        iteration, idle = 0, 0
        while steps < args.steps:
            result = algo.train()
            iteration += 1
            runners = result.get(ENV_RUNNER_RESULTS, {})
            # Our own count: RLlib's lifetime counter is not reliable across a restore.
            sampled = int(runners.get(NUM_ENV_STEPS_SAMPLED, 0))
            steps += sampled
            # Failing remote runners do not raise: each train() waits for them and samples nothing.
            idle = 0 if sampled else idle + 1
            if idle == 3:
                algo.stop()
                raise RuntimeError("RLlib sampled no env steps in 3 iterations: the env runners are failing "
                                   "(see the Ray worker logs)")  # fmt: skip
            return_mean = runners.get(EPISODE_RETURN_MEAN, float("nan"))
            row = [iteration, steps, return_mean, round(time.perf_counter() - start, 2)]
            writer.writerow(row)
            handle.flush()
            if not args.no_progress:
                print(json.dumps(dict(zip(["iteration", "steps", "return_mean", "wall_s"], row))), flush=True)
            if steps >= next_checkpoint and steps < args.steps:
                _save(algo, checkpoint, steps)
                next_checkpoint += args.checkpoint_every or args.steps
            if next_eval is not None and steps >= next_eval:
                _evaluate_periodically(algo, args, steps, time.perf_counter() - start)
                next_eval = (steps // args.eval_every + 1) * args.eval_every
    wall = time.perf_counter() - start
    _save(algo, checkpoint, steps)
    train_info = {
        "algo": run_algo_name(args),
        "steps": steps,
        "steps_this_run": steps - done_steps,
        "wall_s": round(wall, 1),
        "steps_per_s": round((steps - done_steps) / max(wall, 1e-9), 1),
        "num_env_runners": args.num_env_runners,
        "num_envs_per_env_runner": args.num_envs_per_env_runner,
        "observation_kind": args.kind,
    }
    run_config["training"] = train_info
    write_config(args.out, run_config)
    print(json.dumps({"training": train_info}), flush=True)
    paths: list[Path] = []
    if args.final_episodes:
        policy = RLlibPolicy(algo.get_module(), args.observation_space, seed=args.seed)
        # write_results is zipfian-train's own final evaluation: same protocols, seeds and files.
        paths = write_results(policy, argparse.Namespace(**{**vars(args), "algo": run_algo_name(args)}), train_info)
        for path in paths:
            print(f"result: {path}", flush=True)
    algo.stop()
    finish_run_folder(args.out)
    return {"out": args.out, "training": train_info, "results": paths}


def _evaluate_periodically(algo: Any, args: argparse.Namespace, steps: int, wall_s: float) -> None:
    """A harness evaluation mid-training, appended to ``--out``'s ``eval.csv`` in zipfian-train's format.

    The row's ``timesteps`` is the count actually sampled (asynchronous APPO/IMPALA overshoot the
    scheduled point by up to an iteration's batch); the seed follows zipfian-train's periodic evals.
    """
    from zipfian_envs.agents.callbacks import append_csv, success_by_bin
    from zipfian_envs.agents.rllib_policy import RLlibPolicy

    policy = RLlibPolicy(algo.get_module(), args.observation_space, seed=args.seed)
    index = steps // args.eval_every - 1
    by_protocol = evaluate_model(policy, args, args.eval_episodes, seed=10_000 + args.seed * 1000 + index)
    rows = [
        {"timesteps": steps, "wall_s": round(wall_s, 1), "protocol": protocol, "episodes": len(records),
         **success_by_bin(records)}
        for protocol, records in by_protocol.items()
    ]  # fmt: skip
    append_csv(args.out / "eval.csv", rows)
    if not args.no_progress:
        print(json.dumps({"eval": {row["protocol"]: row["success"] for row in rows}, "steps": steps}), flush=True)


def _save(algo: Any, checkpoint: Path, steps: int) -> None:
    """Write the Algorithm checkpoint (and the step count a resume starts from) to ``checkpoint``."""
    algo.save_to_path(checkpoint.resolve().as_posix())
    atomic_write_text(_steps_file(checkpoint), json.dumps({"steps": steps}) + "\n")

"""The training command line's core, shared by both backends of ``zipfian-train`` (SB3 and RLlib).

A backend builds its parser with :func:`add_run_arguments` (the flags every run has: env, level,
steps, seed, run folder, evaluation schedule), adds its own, and checks them with
:func:`check_run_arguments`; it writes ``config.json`` with :func:`write_config` and its final
evaluation with :func:`write_results`, so runs of either backend have the same folder layout,
evaluation seeds and result files.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from zipfian_envs.core.cli import OneLineParser, parse_key_values
from zipfian_envs.core.files import RunFolderError, atomic_write_text, claim_run_folder
from zipfian_envs.registration import NAMESPACE, SELECTION_KEYWORDS, selection_kwargs

PROTOCOLS = ("zipfian", "uniform", "rare")
# sb3: Stable-Baselines3 in this process; rllib: Ray RLlib (extra `ray`, zipfian_envs.agents.rllib_backend).
BACKENDS = ("sb3", "rllib")
# Flags that must be >= 1 and >= 0 on every backend.
POSITIVE_FLAGS = ("steps", "threads", "eval_episodes")
NON_NEGATIVE_FLAGS = ("seed", "checkpoint_every", "eval_every", "final_episodes", "min_episodes_per_rank")
# SB3 and RLlib seed NumPy's global generator with the training seed (np.random.seed: 0..2**32 - 1).
MAX_SEED = 2**32 - 1


def run_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A training parser: one-line usage errors with exit status 2."""
    return OneLineParser(prog=prog, description=description)


def path_argument(text: str) -> Path:
    """A path flag's value; an empty one is a usage error (``Path("")`` would quietly be the current folder)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"empty path {text!r}; give a file or folder path")
    return Path(text)


def add_run_arguments(
    p: argparse.ArgumentParser,
    *,
    backends: Sequence[str],
    algos: Iterable[str],
    hp_help: str,
    resume_help: str,
    checkpoint_help: str,
    cue_match_help: str,
) -> None:
    """Add the flags every training run has, whichever backend trains it."""
    p.add_argument("--backend", choices=backends, default=backends[0], help="sb3, or rllib (--backend rllib --help)")
    p.add_argument("--algo", required=True, choices=sorted(algos), help="learning algorithm")
    p.add_argument("--env", default=f"{NAMESPACE}/Gridworld-v0", help="registered env id")
    p.add_argument("--level", default=None, help="training level (e.g. zipf_2, uniform); default: the env's")
    p.add_argument("--obs-mode", default=None, help="observation mode passed to the env (Gridworld: pixels, symbolic)")
    p.add_argument("--env-kwarg", action="append", default=[], metavar="KEY=VALUE", help="extra env kwarg")
    p.add_argument("--hp", action="append", default=[], metavar="KEY=VALUE", help=hp_help)
    p.add_argument("--cue-match", action="store_true", help=cue_match_help)
    p.add_argument("--steps", type=int, required=True, help="total environment steps (resume trains the rest)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=path_argument, required=True, help="run directory, e.g. runs/NAME")
    p.add_argument("--resume", type=path_argument, default=None, help=resume_help)
    p.add_argument("--overwrite", action="store_true",
                   help="empty a used --out run folder first (else it is refused), and replace this run's "
                        "result in --results-dir (else a result of its name there is refused)")  # fmt: skip
    p.add_argument("--checkpoint-every", type=int, default=100_000, help=checkpoint_help)
    p.add_argument("--eval-every", type=int, default=0, help="steps between harness evaluations (0: off)")
    p.add_argument("--eval-episodes", type=int, default=100, help="episodes per protocol in periodic evals")
    p.add_argument("--final-episodes", type=int, default=500, help="episodes per protocol in the final eval (0: skip)")
    p.add_argument("--min-episodes-per-rank", type=int, default=10, help="uniform-protocol floor per rank")
    p.add_argument("--results-dir", type=path_argument, default=None,
                   help="also write the result JSON here (one of this run's name there: see --overwrite)")  # fmt: skip
    p.add_argument("--stochastic-eval", action="store_true", help="sample actions in evaluation (default: greedy)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or per-iteration lines")


def key_values(parser: argparse.ArgumentParser, items: Sequence[str], flag: str) -> dict[str, Any]:
    """``KEY=VALUE`` items of ``flag``; a malformed one is a usage error (exit 2)."""
    try:
        return parse_key_values(items, flag)
    except ValueError as exc:
        parser.error(str(exc))


def check_run_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """Check the shared flags and build the env kwargs; returns a probe env (the caller closes it).

    Sets ``args.env_kwargs`` (``--env-kwarg`` with ``--level`` and ``--obs-mode``), ``args.hp_overrides``,
    ``args.training_level`` and ``args.observation_space``. Any problem is a one-line usage error.
    """
    import gymnasium as gym

    for name in POSITIVE_FLAGS:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    for name in NON_NEGATIVE_FLAGS:
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(args, name)}")
    if args.seed > MAX_SEED:
        parser.error(f"--seed must be in 0..{MAX_SEED} (NumPy's seed range), got {args.seed}")
    for flag in ("out", "results_dir"):
        path = getattr(args, flag)
        if path is not None and path.exists() and not path.is_dir():
            parser.error(f"--{flag.replace('_', '-')} {path} is a file, not a folder; give a folder path")
    if args.env not in gym.registry:
        known = ", ".join(i for i in gym.registry if i.startswith(f"{NAMESPACE}/") and i.count("-") == 1)
        parser.error(f"unknown env id {args.env!r}; registered families: {known}")
    args.env_kwargs = key_values(parser, args.env_kwarg, "--env-kwarg")
    if args.level is not None:
        args.env_kwargs.update(selection_kwargs(args.level))
    if args.obs_mode is not None:
        args.env_kwargs["obs_mode"] = args.obs_mode
    args.hp_overrides = key_values(parser, args.hp, "--hp")
    try:  # one probe env checks the kwargs (level grammar, obs mode, sizes) before any training
        with warnings.catch_warnings():  # a bad old-style level would warn, then fail: one line, the error
            warnings.simplefilter("ignore", DeprecationWarning)
            probe = gym.make(args.env, **args.env_kwargs)
    except (ValueError, TypeError, gym.error.Error) as exc:
        parser.error(f"bad env arguments for {args.env}: {exc}".replace("\n", " "))
    check_episode_counts(parser, args, probe)
    # The level as given (a Playroom reference name like put/put_on_bed_tray_frequent also pins the
    # task, which the env's own short `level` attribute drops); else the one the env runs at.
    args.training_level = args.level if args.level is not None else getattr(probe.unwrapped, "distribution", None)
    args.observation_space = probe.observation_space
    args.action_space = probe.action_space
    return probe


def check_episode_counts(parser: argparse.ArgumentParser, args: argparse.Namespace, probe: Any) -> None:
    """Refuse evaluation sizes the harness cannot plan (more than MAX_EPISODES of a protocol), before training."""
    from zipfian_envs.evaluation import protocols

    num_items = int(probe.reset(seed=0)[1].get("num_items", 1))
    for flag in ("eval_episodes", "final_episodes"):
        count = protocols.uniform_episode_count(getattr(args, flag), num_items, args.min_episodes_per_rank)
        if max(count, getattr(args, flag)) > protocols.MAX_EPISODES:
            parser.error(f"--{flag.replace('_', '-')} {getattr(args, flag)} with --min-episodes-per-rank "
                         f"{args.min_episodes_per_rank} ({num_items} items) plans {max(count, getattr(args, flag)):,} "
                         f"episodes of a protocol; at most {protocols.MAX_EPISODES:,}")  # fmt: skip


def jsonable(value: Any) -> Any:
    """A JSON-safe copy (classes and other objects become their names or reprs)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return getattr(value, "__name__", repr(value))


def write_config(out: Path, config: dict[str, Any]) -> Path:
    """Write a run's ``config.json`` (JSON-safe, indented) into ``out``; returns its path."""
    return atomic_write_text(out / "config.json", json.dumps(jsonable(config), indent=2) + "\n")


def load_run_config(path: Path, fields: bool = True) -> dict[str, Any]:
    """Read a run's ``config.json``; SchemaError naming the file and the field if it is not one.

    It must be a JSON object; with ``fields``, a finished run's (one with ``training``) must also hold
    the fields the results merge reads, with their types (:data:`RUN_CONFIG_FIELDS`).
    """
    from zipfian_envs.evaluation.errors import SchemaError

    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SchemaError(f"{path}: not a readable JSON file ({' '.join(str(exc).split())})") from None
    if not isinstance(config, dict):
        raise SchemaError(f"{path}: a run config is a JSON object, got {type(config).__name__}")
    if "training" not in config or not fields:
        return config  # an unfinished run: readers skip it
    for field, kinds in {**RUN_CONFIG_FIELDS, **OPTIONAL_RUN_CONFIG_FIELDS}.items():
        if field not in config:
            if field in RUN_CONFIG_FIELDS:
                raise SchemaError(f"{path}: field {field} is missing")
            continue
        value = config[field]
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise SchemaError(f"{path}: field {field} must be {names}, got {value!r}"[:300])
    return config


# The fields of a finished run's config.json that the results merge reads, and their types.
RUN_CONFIG_FIELDS: dict[str, tuple[type, ...]] = {
    "env": (str,), "env_kwargs": (dict,), "level": (str, type(None)), "algo": (str,),
    "observation_kind": (str,), "seed": (int,), "training": (dict,),
}  # fmt: skip
OPTIONAL_RUN_CONFIG_FIELDS: dict[str, tuple[type, ...]] = {
    "argv": (list,), "frame_stack": (int,), "cue_match": (bool,), "novelty_bonus": (int, float),
    "fresh_maps": (int, float), "preset": (dict,), "hp_overrides": (dict,), "backend": (str,),
    "training_config": (dict,), "model_overrides": (dict,), "dagger_steps": (int,), "dagger_epochs": (int, float),
    "dagger": (dict,), "clip_reward": (int, float),
}  # fmt: skip


def agent_name(
    algo: str,
    kind: str,
    frame_stack: int = 1,
    cue_match: bool = False,
    novelty: bool = False,
    fresh_maps: bool = False,
    dagger: bool = False,
    clip_reward: bool = False,
) -> str:
    """An agent's name in results: ``ppo-symbolic`` plus its aids' suffixes (``-cuematch``, ``-dagger``...)."""
    suffixes = (
        ("-cuematch" if cue_match else "") + ("-novelty" if novelty else "") + ("-freshmaps" if fresh_maps else "")
    ) + ("-dagger" if dagger else "") + ("-clip" if clip_reward else "")
    return f"{algo}-{kind}{suffixes}" + (f"-stack{frame_stack}" if frame_stack > 1 else "")


def result_name(args: argparse.Namespace, algo: str | None = None) -> str:
    """The agent name of a run's result (and its file name): :func:`agent_name` of the run's flags."""
    return agent_name(
        algo or args.algo,
        args.kind,
        getattr(args, "frame_stack", 1),
        getattr(args, "cue_match", False),
        getattr(args, "novelty_bonus", 0.0) > 0,
        getattr(args, "fresh_maps", 0.0) > 0,
        getattr(args, "dagger_steps", 0) > 0,
        getattr(args, "clip_reward", 0.0) > 0,
    )


def results_dir_target(args: argparse.Namespace, algo: str | None = None) -> Path | None:
    """The result JSON this run will write into ``--results-dir`` (None without one, or when it is ``--out``)."""
    from zipfian_envs.evaluation.report import file_stem

    if args.results_dir is None or args.results_dir.resolve() == args.out.resolve():
        return None
    return args.results_dir / f"{file_stem(args.env, args.training_level, result_name(args, algo), args.seed)}.json"


def check_results_dir(parser: argparse.ArgumentParser, args: argparse.Namespace, algo: str | None = None) -> None:
    """Refuse (one line, exit 2) a ``--results-dir`` that already holds this run's result, unless ``--overwrite``."""
    target = results_dir_target(args, algo)
    if target is not None and target.exists() and not args.overwrite:
        parser.error(f"--results-dir {args.results_dir} already holds {target.name} (a result of this run's name); "
                     "pass --overwrite to replace it, or give another --results-dir")  # fmt: skip


def evaluate_model(
    model: Any, args: argparse.Namespace, episodes: int, seed: int, protocols: tuple[str, ...] = PROTOCOLS
) -> dict[str, list[dict[str, Any]]]:
    """Records per protocol from the evaluation harness (zipfian = the training level)."""
    from zipfian_envs.evaluation.harness import evaluate_protocols
    from zipfian_envs.evaluation.policies import FrameStackPolicy

    env_kwargs = {k: v for k, v in args.env_kwargs.items() if k not in SELECTION_KEYWORDS}
    frames = getattr(args, "frame_stack", 1)  # the RLlib backend's arguments have no frame stack
    policy = FrameStackPolicy(model, frames) if frames > 1 else model
    return evaluate_protocols(
        policy,
        args.env,
        training_level=args.training_level,
        episodes=episodes,
        seed=seed,
        num_envs=min(8, episodes),
        protocols=protocols,
        min_episodes_per_rank=args.min_episodes_per_rank,
        deterministic=not args.stochastic_eval,
        **env_kwargs,
    )


def write_results(model: Any, args: argparse.Namespace, train_info: dict[str, Any]) -> list[Path]:
    """Final harness evaluation; the result JSON goes to ``--out`` (and ``--results-dir``).

    Records carry ``train_seed`` so runs of several seeds can be merged into one result later; the
    JSON gets an extra ``training`` entry (steps, wall time, steps/s) next to the harness's keys.
    """
    from zipfian_envs.agents.callbacks import success_by_bin
    from zipfian_envs.evaluation.report import write_result

    by_protocol = evaluate_model(model, args, args.final_episodes, seed=1_000_000 + args.seed)
    for records in by_protocol.values():
        for record in records:
            record["train_seed"] = args.seed
    summary = {p: success_by_bin(r) for p, r in by_protocol.items()}
    print(json.dumps({"final_eval": summary}), flush=True)
    name = result_name(args)
    env_kwargs = {k: v for k, v in args.env_kwargs.items() if k not in SELECTION_KEYWORDS}
    shared = results_dir_target(args)
    paths = []
    # The run owns --out; --results-dir is shared: a result of this run's name there is replaced only
    # with --overwrite (checked before training; write_result checks again, for a run that wrote one since).
    for out_dir, overwrite in ((args.out, True), (args.results_dir if shared else None, args.overwrite)):
        if out_dir is None:
            continue
        try:
            paths.append(write_result(out_dir, by_protocol, env_id=args.env, level=args.training_level,
                                      env_kwargs=env_kwargs, policy_name=name, seeds=[args.seed],
                                      extra={"training": train_info}, overwrite=overwrite))  # fmt: skip
        except RunFolderError as exc:
            print(f"zipfian-train: error: {exc} (the result in --out {args.out} is kept)", file=sys.stderr)
            raise SystemExit(2) from None
    return paths


def claim(args: argparse.Namespace, argv: list[str], check_only: bool = False) -> None:
    """Take ``--out`` for this run (marked incomplete until it ends); a used folder is a usage error (exit 2)."""
    try:
        claim_run_folder(args.out, tool="zipfian-train", argv=argv, resume=args.resume is not None,
                         overwrite=args.overwrite, check_only=check_only)  # fmt: skip
    except RunFolderError as exc:
        print(f"zipfian-train: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

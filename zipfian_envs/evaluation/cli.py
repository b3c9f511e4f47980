"""``zipfian-eval``: score a policy on a Zipfian env under the zipfian / uniform / rare protocols.

Example: ``zipfian-eval --env Zipfian/Gridworld-v0 --policy random --episodes 500 --seed 0 --out results/``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym

from zipfian_envs.core.cli import OneLineParser, parse_key_values
from zipfian_envs.core.files import check_out_folder
from zipfian_envs.core.records import load_records
from zipfian_envs.evaluation import protocols as proto
from zipfian_envs.evaluation.errors import EvaluationError
from zipfian_envs.evaluation.harness import (
    DEFAULT_MIN_EPISODES_PER_RANK,
    VECTORIZATION_MODES,
    env_kwargs_for,
    evaluate,
    find_spec,
    protocol_levels,
    resolve_training_level,
)
from zipfian_envs.evaluation.policies import ALGOS, BUILTIN_POLICIES, load_policy, policy_name
from zipfian_envs.evaluation.report import file_stem, format_summary, load_result, write_result
from zipfian_envs.registration import selection_of


def parse_env_kwargs(pairs: Sequence[str]) -> dict[str, Any]:
    """``--env-kwarg KEY=VALUE`` pairs to kwargs (values as in :func:`zipfian_envs.core.cli.parse_value`)."""
    try:
        kwargs = parse_key_values(pairs, "--env-kwarg")
    except ValueError as exc:
        raise EvaluationError(str(exc)) from None
    for keyword in ("level", "distribution"):
        if keyword in kwargs:
            raise EvaluationError(f"give the level or distribution with --level, not --env-kwarg {keyword}=...")
    return kwargs


def build_parser() -> argparse.ArgumentParser:
    """The zipfian-eval argument parser."""
    parser = OneLineParser(prog="zipfian-eval", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("--env", default="Zipfian/Gridworld-v0", help="env id (default: %(default)s)")
    parser.add_argument("--level", default=None, help="training level (default: the env's own)")
    parser.add_argument(
        "--policy",
        nargs="+",
        default=["random"],
        help="random, oracle or path(s) to saved models; several models = several training seeds",
    )
    parser.add_argument("--algo", default="ppo", help=f"model class: {', '.join(ALGOS)} or module:Class")
    parser.add_argument("--name", default=None, help="policy name in tables and file names")
    parser.add_argument("--episodes", type=int, default=500, help="episodes per protocol (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed (default: %(default)s)")
    parser.add_argument("--num-envs", type=int, default=8, help="parallel sub-envs (default: %(default)s)")
    parser.add_argument("--protocols", nargs="+", default=list(proto.PROTOCOLS), choices=proto.PROTOCOLS)
    parser.add_argument(
        "--from-records",
        nargs="+",
        default=None,
        metavar="FILE",
        help="summarise recorded episodes (e.g. zipfian-play --record) instead of running a policy",
    )
    parser.add_argument(
        "--min-episodes-per-rank", type=int, default=DEFAULT_MIN_EPISODES_PER_RANK, help="uniform protocol minimum"
    )
    parser.add_argument("--env-kwarg", action="append", default=[], metavar="KEY=VALUE", help="env kwarg, repeatable")
    parser.add_argument(
        "--vectorization",
        choices=VECTORIZATION_MODES,
        default="auto",
        help="auto (default): the env's native vector env when it has one, else sync",
    )
    parser.add_argument("--out", default="results", help="output folder (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true", help="replace a result of the same name in --out")
    parser.add_argument("--confidence", type=float, default=0.95, help="CI level (default: %(default)s)")
    parser.add_argument("--stochastic", action="store_true", help="sample model actions instead of the mode")
    parser.add_argument("--show-ranks", action="store_true", help="also print per-rank success")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    return parser


def _planned(env_id: str, kwargs: dict[str, Any], protocol: str, args: argparse.Namespace) -> int:
    """Episodes a protocol will run (the uniform one rounds up to whole passes over the items)."""
    if protocol != "uniform":
        return args.episodes
    levels = protocol_levels(env_id, selection_of(kwargs), **kwargs)
    env = gym.make(env_id, **env_kwargs_for(levels["uniform"], kwargs))
    try:
        num_items = int(env.reset(seed=0)[1]["num_items"])
    finally:
        env.close()
    return proto.uniform_episode_count(args.episodes, num_items, args.min_episodes_per_rank)


def level_protocols(env_id: str, training_level: str | None, **env_kwargs: Any) -> dict[str, str]:
    """Level name -> protocol, for records that carry a level but no protocol (e.g. ``zipfian-play --record``).

    Both the ``level=`` each protocol runs at (:func:`protocol_levels`) and the ``info["level"]`` an
    env made with it reports count (the Playroom reports ``frequent`` for ``put/put_on_bed_tray_frequent``);
    where two protocols share a level, uniform wins over rare over zipfian.
    """
    levels = protocol_levels(env_id, training_level, **env_kwargs)
    out: dict[str, str] = {}
    for protocol in ("uniform", "rare", "zipfian"):
        level = levels[protocol]
        env = gym.make(env_id, **env_kwargs_for(level, env_kwargs))
        try:
            reported = env.reset(seed=0)[1].get("level")
        finally:
            env.close()
        for name in (level, reported):
            if name is not None:
                out.setdefault(name, protocol)
    return out


def records_from_files(
    paths: Sequence[str], env_id: str, training_level: str | None, env_kwargs: dict[str, Any] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Recorded episodes grouped by protocol: a record's own protocol if it is one, else its level's."""
    by_protocol: dict[str, list[dict[str, Any]]] = {}
    protocol_of = level_protocols(env_id, training_level, **(env_kwargs or {}))
    for path in paths:
        for record in load_records(path):
            if record.get("env_id") != env_id:
                raise EvaluationError(f"{path}: a record is for env {record.get('env_id')!r}, not --env {env_id!r}")
            protocol = record.get("protocol")
            if protocol not in proto.PROTOCOLS:
                level = record.get("level")
                protocol = protocol_of.get(level) if isinstance(level, str) else None
                if protocol is None:
                    raise EvaluationError(
                        f"{path}: records at level {record.get('level')!r} fit no protocol of training level "
                        f"{training_level!r}; valid levels: {', '.join(protocol_of)}"
                    )
            by_protocol.setdefault(protocol, []).append({**record, "protocol": protocol})
    if not by_protocol:
        raise EvaluationError(f"no records in {', '.join(paths)}")
    return by_protocol


def summarise_records(args: argparse.Namespace) -> int:
    """Write and print a result file for episodes recorded elsewhere (human play, other tools)."""
    find_spec(args.env)
    env_kwargs = parse_env_kwargs(args.env_kwarg)
    level = resolve_training_level(args.env, args.level, **env_kwargs)
    records_by_protocol = records_from_files(args.from_records, args.env, level, env_kwargs)
    name = args.name or str(next(iter(records_by_protocol.values()))[0].get("policy") or "human")
    seeds = sorted({int(r["seed"]) for rs in records_by_protocol.values() for r in rs if r.get("seed") is not None})
    check_result_free(args, level, name, (seeds or [0])[0])
    return write_and_print(args, records_by_protocol, level, env_kwargs, name, seeds[:1] or [0])


def write_and_print(
    args: argparse.Namespace,
    records_by_protocol: dict[str, list[dict[str, Any]]],
    level: str | None,
    env_kwargs: dict[str, Any],
    name: str,
    seeds: list[int],
    min_episodes_per_rank: int | None = None,
) -> int:
    """Write the result files, print the summary table and the paths written."""
    path = write_result(
        args.out,
        records_by_protocol,
        env_id=args.env,
        level=level,
        env_kwargs=env_kwargs,
        policy_name=name,
        seeds=seeds,
        confidence=args.confidence,
        min_episodes_per_rank=min_episodes_per_rank,
        plot=not args.no_plot,
        overwrite=args.overwrite,
    )
    result = load_result(path)
    print(format_summary(result, show_ranks=args.show_ranks))
    files = [path.as_posix()] + [f"{args.out.rstrip('/')}/{f}" for f in result["files"].values() if f]
    print("wrote " + ", ".join(files))
    return 0


def check_result_free(args: argparse.Namespace, level: str | None, name: str, seed: int) -> None:
    """Refuse, before any episode, a result that would replace one in ``--out`` without ``--overwrite``."""
    path = Path(args.out) / f"{file_stem(args.env, level, name, seed)}.json"
    if path.exists() and not args.overwrite:
        raise EvaluationError(f"{path} already exists; pass --overwrite to replace it, or give another --out or --name")


def run(args: argparse.Namespace) -> int:
    """Validate inputs, evaluate every policy under every protocol, print and write the result."""
    from tqdm import tqdm

    check_out_folder(args.out)
    if args.from_records:
        return summarise_records(args)
    for flag, low in (("episodes", 1), ("num_envs", 1), ("seed", 0), ("min_episodes_per_rank", 0)):
        if getattr(args, flag) < low:
            raise EvaluationError(f"--{flag.replace('_', '-')} must be >= {low}, got {getattr(args, flag)}")
    if not 0 < args.confidence < 1:
        raise EvaluationError(f"--confidence must be in (0, 1), got {args.confidence}")
    if any(not spec.strip() for spec in args.policy):
        raise EvaluationError(f"--policy has an empty value in {args.policy}; give random, oracle or a model .zip")
    env_kwargs = parse_env_kwargs(args.env_kwarg)
    find_spec(args.env)
    level = resolve_training_level(args.env, args.level, **env_kwargs)
    kwargs = env_kwargs_for(level, env_kwargs)
    # Load every policy before the first episode so a bad model fails fast.
    policies = [load_policy(spec, args.env, algo=args.algo, seed=args.seed, **kwargs) for spec in args.policy]
    multi = len(policies) > 1
    if multi and any(spec in BUILTIN_POLICIES for spec in args.policy):
        raise EvaluationError("several --policy values mean several trained models; random/oracle go alone")
    name = args.name or policy_name(args.policy[0])
    check_result_free(args, level, name, args.seed)

    planned = {p: _planned(args.env, kwargs, p, args) for p in args.protocols}
    for protocol, count in planned.items():
        if count > proto.MAX_EPISODES:  # the harness plans every episode's target up front
            floor = args.min_episodes_per_rank
            raise EvaluationError(f"--episodes {args.episodes}, --min-episodes-per-rank {floor}: {count:,} "
                                  f"{protocol} episodes; at most {proto.MAX_EPISODES:,} a protocol")  # fmt: skip
    total = sum(planned.values()) * len(policies)
    records_by_protocol: dict[str, list[dict[str, Any]]] = {p: [] for p in args.protocols}
    with tqdm(total=total, unit="ep", desc=name, disable=args.no_progress, file=sys.stderr) as bar:
        for train_seed, policy in enumerate(policies):
            for protocol in args.protocols:
                records = evaluate(
                    policy,
                    args.env,
                    level=level,
                    episodes=args.episodes,
                    seed=args.seed,
                    num_envs=args.num_envs,
                    protocol=protocol,
                    min_episodes_per_rank=args.min_episodes_per_rank,
                    vectorization=args.vectorization,
                    deterministic=not args.stochastic,
                    progress=bar.update,
                    **env_kwargs,
                )
                if multi:
                    for record in records:
                        record["train_seed"] = train_seed
                records_by_protocol[protocol].extend(records)
    return write_and_print(args, records_by_protocol, level, env_kwargs, name, [args.seed], args.min_episodes_per_rank)


def run_with_one_line_errors(
    parser: argparse.ArgumentParser, run_args: Callable[[argparse.Namespace], int], argv: Sequence[str] | None
) -> int:
    """Parse ``argv`` and run; any failure becomes one stderr line (exit 2 for bad input, 1 otherwise)."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or a usage error (already printed as one line)
        return int(exc.code or 0)
    try:
        return run_args(args)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        # Bad input surfaces as many exception types (gym, SB3, the env's ValueErrors); one line each.
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2 if isinstance(exc, (EvaluationError, ValueError, gym.error.Error, OSError)) else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zipfian-eval``; bad input exits 2 with a one-line message on stderr."""
    return run_with_one_line_errors(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())

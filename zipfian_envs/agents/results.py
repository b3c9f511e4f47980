"""Collect finished training runs into committed results: ``python -m zipfian_envs.agents.results``.

For each group of runs that share (env, env kwargs, training level, algorithm, observation kind),
the per-seed evaluation records (written by ``zipfian-train``) are merged into one result JSON with
an IQM over training seeds; random and oracle baselines are evaluated on the same protocols and
episode seeds. Then, per env configuration, the ``zipfian-leaderboard`` table, all of them in one
``leaderboard_agents.md``, and one success-vs-rank plot of the trained groups.

Layout under ``--out`` (default ``results``)::

    <family>/<obs>_<level>[_<kwargs>]/{<algo>-<obs>,random,oracle}.json (+ records/, plots/, leaderboard.md)
    leaderboard_agents.md   (every configuration's table; results/leaderboard.md is the harness's own)
    plots/<name>.png
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from zipfian_envs.agents.cli import agent_name, load_run_config
from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import RunFolderError, atomic_write_text, incomplete_folder
from zipfian_envs.core.records import RecordError, load_records
from zipfian_envs.evaluation import leaderboard
from zipfian_envs.evaluation.errors import EvaluationError
from zipfian_envs.evaluation.harness import evaluate_protocols
from zipfian_envs.evaluation.policies import load_policy
from zipfian_envs.evaluation.report import load_result, plot_success_by_rank, write_result

BASELINES = ("random", "oracle")


def find_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """Every finished run under ``runs_dir``: its config, result JSON and records CSV."""
    runs = []
    for config_path in sorted(runs_dir.glob("*/config.json")):
        run_dir = config_path.parent
        config = load_run_config(config_path)
        results = [p for p in run_dir.glob("*.json") if p.name != "config.json"]
        if "training" not in config or len(results) != 1 or incomplete_folder(run_dir, depth=1) is not None:
            continue
        result = load_result(results[0])
        runs.append(
            {
                "dir": run_dir,
                "config": config,
                "result": result,
                "records": load_records(run_dir / result["files"]["records"]),
            }
        )
    return runs


def group_key(config: dict[str, Any]) -> tuple[str, str, str, str, str, int, bool, bool, bool, bool, bool]:
    """(env id, env kwargs as JSON, level, algo, observation kind, frames stacked, and the aids: cue match, novelty,
    fresh maps, dagger, reward clipping)."""
    kwargs = {k: v for k, v in config["env_kwargs"].items() if k not in ("level", "distribution", "obs_mode")}
    return (
        config["env"],
        json.dumps(kwargs, sort_keys=True),
        config["level"],
        config["algo"],
        config["observation_kind"],
        int(config.get("frame_stack", 1)),
        bool(config.get("cue_match", False)),
        float(config.get("novelty_bonus", 0.0)) > 0,
        float(config.get("fresh_maps", 0.0)) > 0,
        int(config.get("dagger_steps", 0)) > 0,
        float(config.get("clip_reward", 0.0)) > 0,
    )


def step_budget(config: dict[str, Any]) -> int | None:
    """The ``--steps`` a run was asked for (from its recorded argv); None when not recorded."""
    argv = config.get("argv") or []
    return int(argv[argv.index("--steps") + 1]) if "--steps" in argv[:-1] else None


def dagger_budget(config: dict[str, Any]) -> int:
    """The ``--dagger-steps`` a run imitated the oracle for (0: none)."""
    return int(config.get("dagger_steps", 0))


def hyperparameters(config: dict[str, Any]) -> dict[str, Any]:
    """The algorithm and model settings a run trained with: preset plus --hp (SB3), or the RLlib config."""
    if config.get("backend") == "rllib":
        return {"training": config.get("training_config", {}), "model": config.get("model_overrides", {})}
    preset, overrides = config.get("preset") or {}, dict(config.get("hp_overrides") or {})
    policy = {**preset.get("policy_kwargs", {}), **overrides.pop("policy_kwargs", {})}
    if config.get("cue_match"):
        # --cue-match and its --hp spelling (policy_kwargs features="cue_match") build the same extractor.
        extractor = policy.get("features_extractor_kwargs", {})
        policy["features_extractor_kwargs"] = {**extractor, "features": "cue_match"}
    return {"algo": {**preset.get("algo_kwargs", {}), **overrides}, "policy": policy}


def differing_settings(configs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The settings (--steps, then dotted hyperparameter names) on which ``configs`` disagree, with their values."""
    flat = [{"--steps": step_budget(c), "--dagger-steps": dagger_budget(c),
             "--dagger-epochs": c.get("dagger_epochs") if dagger_budget(c) else None,
             "--clip-reward": c.get("clip_reward") or None,
             **_flatten(hyperparameters(c))} for c in configs]  # fmt: skip
    keys = sorted(set().union(*flat), key=lambda k: (not k.startswith("--"), k))
    values = {k: sorted({json.dumps(f.get(k), sort_keys=True) for f in flat}, key=_value_order) for k in keys}
    return {k: v for k, v in values.items() if len(v) > 1}


def _value_order(text: str) -> tuple[int, float, str]:
    """Numbers in numeric order, then anything else as text."""
    value = json.loads(text)
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return (0, float(value), text) if is_number else (1, 0.0, text)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def config_dir(out: Path, env_id: str, kwargs_json: str, level: str, kind: str) -> Path:
    """``<out>/<family>/<obs>_<level>[_<k>-<v>...]`` for one env configuration."""
    family = env_id.split("/")[-1].split("-")[0].lower()
    extra = "".join(f"_{k}-{v}" for k, v in json.loads(kwargs_json).items())
    return out / family / re.sub(r"[^A-Za-z0-9._-]+", "_", f"{kind}_{level}{extra}")


def agent_results(target: Path) -> list[Path]:
    """The trained agents' merged result JSONs in a configuration folder (baselines left out)."""
    return sorted(p for p in target.glob("*.json") if p.stem not in BASELINES)


def result_label(result: dict[str, Any]) -> str:
    """Plot label of a merged agent result: its name, training level and training steps."""
    steps = sorted({int(run["steps"]) for run in result.get("training", [])})
    budget = "/".join(f"{s // 1000}k" for s in steps) or "?"
    return f"{result['policy'].replace('-', ' ')}, trained on {result['level']}, {budget} steps"


def merge_group(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Records of all seeds of one group, by protocol (each record keeps its ``train_seed``)."""
    merged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        for record in run["records"]:
            record = {k: v for k, v in record.items() if k != "policy"}
            record.setdefault("train_seed", run["config"]["seed"])
            merged[record["protocol"]].append(record)
    return dict(merged)


def main(argv: list[str] | None = None) -> int:
    """Merge runs, evaluate baselines, write leaderboards and the plot; a bad file exits 2 with one line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return merge_runs(parser, args)
    except (EvaluationError, RecordError, RunFolderError) as exc:  # SchemaError is an EvaluationError
        parser.exit(2, f"{parser.prog}: error: {' '.join(str(exc).split())}\n")
    except re.error as exc:  # --only or --plot-only
        parser.exit(2, f"{parser.prog}: error: bad regular expression {exc.pattern!r}: {exc}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m zipfian_envs.agents.results``."""
    parser = OneLineParser(prog="python -m zipfian_envs.agents.results", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=Path("runs"), help="directory of zipfian-train run folders")
    parser.add_argument("--out", type=Path, default=Path("results"))
    parser.add_argument("--plot-name", default="ppo_gridworld", help="file stem of the success-vs-rank plot")
    parser.add_argument("--leaderboard", default="leaderboard_agents.md", help="file name of the combined tables")
    parser.add_argument("--baseline-episodes", type=int, default=500, help="episodes per protocol for baselines")
    parser.add_argument("--only", default=None, help="regex on run folder names to include")
    parser.add_argument("--title", default="Success by target rank (uniform protocol), 95% CI", help="plot title")
    parser.add_argument("--agent-suffix", default="", help="appended to each merged agent's name (--agent-suffix=-25m)")
    parser.add_argument("--plot-only", default=None, help="regex on result folders (e.g. 'rooms-2') to plot")
    return parser


def merge_runs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """The merge itself: runs to grouped results, baselines, leaderboards and the plot."""
    for pattern in (args.only, args.plot_only):
        if pattern is not None:
            re.compile(pattern)  # a bad one is refused before any work, matched or not
    runs = find_runs(args.runs)
    if args.only:
        runs = [r for r in runs if re.search(args.only, r["dir"].name)]
    if not runs:
        parser.exit(2, f"{parser.prog}: error: no finished runs with a result under {args.runs}\n")
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[group_key(run["config"])].append(run)

    trained, labels = [], []
    # One table per env configuration, with every algorithm trained on it (SB3 and RLlib agents side by side).
    sections: dict[Path, str] = {}
    plotted_targets: list[Path] = []
    reference: dict[str, Any] | None = None
    for (env_id, kwargs_json, level, algo, kind, frames, cue_match, novelty, fresh, guided, clipped), members in sorted(
        groups.items()
    ):
        settings = differing_settings([r["config"] for r in members])
        if settings:
            # Seeds trained for different step budgets or hyperparameters are different agents: never average them.
            names = ", ".join(sorted(r["dir"].name for r in members))
            differ = "; ".join(f"{k} ({', '.join(v)})" for k, v in settings.items())
            parser.exit(2, f"{parser.prog}: error: runs {names} share a configuration but not {differ}; "
                           "merge them apart with --only and --agent-suffix\n")  # fmt: skip
        agent = agent_name(algo, kind, frames, cue_match, novelty, fresh, guided, clipped) + args.agent_suffix
        members.sort(key=lambda r: r["config"]["seed"])
        target = config_dir(args.out, env_id, kwargs_json, level, kind)
        env_kwargs = members[0]["result"]["env_kwargs"]
        seeds = [r["config"]["seed"] for r in members]
        training = [{"seed": r["config"]["seed"], "run": r["dir"].name, **r["config"]["training"]} for r in members]
        write_result(target, merge_group(members), env_id=env_id, level=level, env_kwargs=env_kwargs,
                     policy_name=agent, seeds=seeds, name=agent, extra={"training": training},
                     overwrite=True)  # fmt: skip
        plotted = args.plot_only is None or re.search(args.plot_only, target.as_posix())
        if plotted and target not in plotted_targets:
            plotted_targets.append(target)

        # Every agent result in the folder: the groups merged now and any merged by an earlier call.
        files = agent_results(target)
        episodes = args.baseline_episodes
        for name in BASELINES:
            baseline = target / f"{name}.json"
            if not baseline.is_file():
                policy = load_policy(name, env_id, seed=0, **env_kwargs)
                records = evaluate_protocols(policy, env_id, training_level=level, episodes=episodes,
                                             seed=1_000_000, **env_kwargs)  # fmt: skip
                write_result(target, records, env_id=env_id, level=level, env_kwargs=env_kwargs,
                             policy_name=name, seeds=[0], name=name)  # fmt: skip
            files.append(baseline)
            if plotted and name == "random" and reference is None:
                reference = load_result(baseline)  # the uniform protocol ignores the training level
        table = target / "leaderboard.md"
        leaderboard.main([str(f) for f in files] + ["--markdown", str(table)])
        heading = f"### `{target.relative_to(args.out).as_posix()}`: {env_id} {json.loads(kwargs_json) or ''}"
        sections[target] = f"{heading}\n\n{table.read_text()}"

    atomic_write_text(args.out / args.leaderboard, "\n".join(sections.values()))
    for target in plotted_targets:
        for path in agent_results(target):
            result = load_result(path)
            trained.append(result)
            labels.append(result_label(result))
    if not trained:
        parser.exit(2, f"{parser.prog}: error: --plot-only {args.plot_only!r} matched no result folder\n")
    if reference is not None:
        trained.append(reference)
        labels.append("random policy (reference)")
    plot = plot_success_by_rank(
        trained,
        args.out / "plots" / f"{args.plot_name}.png",
        labels=labels,
        title=args.title,
    )
    print(f"wrote {args.out / args.leaderboard} and {plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

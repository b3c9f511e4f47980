"""``zipfian-sweep CONFIG``: a grid of ``zipfian-train`` runs on Ray Tune, merged into leaderboards.

Each trial is one call of :func:`zipfian_envs.agents.train.run` (the function behind ``zipfian-train``,
so a trial trains and evaluates exactly as the command line does) writing its run folder into
``<out>/runs/<trial>/``. When every trial has ended, :mod:`zipfian_envs.agents.results` merges the
seeds of each configuration (IQM with the harness's stratified bootstrap), adds the random and
oracle baselines and writes the leaderboards and the success-by-rank plot under ``<out>/results/``:
what the hand-run matrix in the README produced. A failed trial is reported and the others go on;
``--resume`` reruns only the trials without a result.

A config is TOML (``.toml``) or YAML (``.yaml`` / ``.yml``) with four tables (``configs/`` has a
documented example)::

    [sweep]    name, out, cpus_per_trial, num_cpus, address, max_concurrent
    [grid]     axes, each a list: algo, env, level, obs_mode, env_kwargs (a list of tables), seed, ...,
               and variant: a list of option tables for options that go together (name = folder part)
    [train]    fixed zipfian-train options for every trial: steps = 200000, stochastic_eval = true,
               env_kwargs = {rooms = 2}, hp = {learning_rate = 3e-4}, backend = "rllib", ...
    [results]  plot_name, title, plot_only, baseline_episodes, leaderboard

Ray is optional (extra ``ray``); without it the command prints an install hint and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import math
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zipfian_envs.agents.cli import load_run_config, path_argument
from zipfian_envs.agents.rllib_backend import init_ray, require_ray
from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import RunFolderError, atomic_write_text, check_out_folder, incomplete_folder
from zipfian_envs.evaluation.errors import SchemaError

SECTIONS = ("sweep", "grid", "train", "results")
SWEEP_KEYS = ("name", "out", "cpus_per_trial", "num_cpus", "address", "max_concurrent")
RESULTS_KEYS = ("plot_name", "title", "plot_only", "baseline_episodes", "leaderboard")
# zipfian-train options a sweep sets itself, per trial.
RESERVED = ("out", "resume", "overwrite", "results_dir", "no_progress")
# Options given as tables (KEY = VALUE pairs) and the repeatable zipfian-train flag each becomes.
TABLE_OPTIONS = {"env_kwargs": "--env-kwarg", "hp": "--hp", "model": "--model"}
# The grid axis whose values are option tables (options that go together, e.g. a backend and its algo).
VARIANT = "variant"


class SweepError(ValueError):
    """A bad sweep config or command line: reported as one line, exit status 2."""


@dataclass
class Trial:
    """One grid point: its folder name under ``<out>/runs`` and its zipfian-train options."""

    name: str
    options: dict[str, Any]
    argv: list[str] = field(default_factory=list)


@dataclass
class SweepConfig:
    """A parsed config: the grid axes, the fixed options and the sweep / results settings."""

    grid: dict[str, list[Any]]
    train: dict[str, Any]
    sweep: dict[str, Any]
    results: dict[str, Any]


def _train_option_names() -> set[str]:
    """Every option name (argparse dest) of zipfian-train, for both backends."""
    from zipfian_envs.agents import rllib_backend, train

    names: set[str] = set()
    for parser in (train.build_parser(), rllib_backend.build_parser()):
        names.update(action.dest for action in parser._actions if action.dest != "help")
    names -= {"env_kwarg", "hp", "model"}
    return (names | set(TABLE_OPTIONS)) - set(RESERVED)


def _flag_option_names() -> set[str]:
    """The zipfian-train options that are on/off flags (``--stochastic-eval``): a config gives them true or false."""
    from zipfian_envs.agents import rllib_backend, train

    return {action.dest for parser in (train.build_parser(), rllib_backend.build_parser())
            for action in parser._actions if action.nargs == 0 and action.dest != "help"}  # fmt: skip


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML or YAML sweep config into a plain dict (not yet checked)."""
    path = Path(path)
    if not path.is_file():
        raise SweepError(f"config file not found: {path}")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(f"{path}: not a readable text file ({' '.join(str(exc).split())})") from None
    if suffix == ".toml":
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SweepError(f"{path}: not valid TOML ({exc})") from exc
    elif suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise SweepError("YAML configs need PyYAML: pip install 'zipfian-envs[ray]'") from exc
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise SweepError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from exc
    else:
        raise SweepError(f"{path}: unknown config type {suffix!r}; valid: .toml, .yaml, .yml")
    if not isinstance(data, dict):
        raise SweepError(f"{path}: a config is a table of sections {SECTIONS}, got {type(data).__name__}")
    return data


def check_config(data: dict[str, Any]) -> SweepConfig:
    """Check sections, keys and value types; raise :class:`SweepError` naming the bad entry."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise SweepError(f"unknown config section(s) {unknown}; valid: {', '.join(SECTIONS)}")
    sections = {}
    for name in SECTIONS:
        section = data.get(name, {})
        if not isinstance(section, dict):
            raise SweepError(f"[{name}] must be a table, got {section!r}")
        sections[name] = dict(section)
    options = _train_option_names()
    for name, valid in (("sweep", SWEEP_KEYS), ("results", RESULTS_KEYS), ("grid", options | {VARIANT}),
                        ("train", options)):
        bad = sorted(set(sections[name]) - set(valid))
        if bad:
            raise SweepError(f"unknown key(s) {bad} in [{name}]; valid: {', '.join(sorted(valid))}")
    for axis, values in sections["grid"].items():
        if not isinstance(values, list) or not values:
            raise SweepError(f"[grid] {axis} must be a non-empty list, got {values!r}")
        if (axis in TABLE_OPTIONS or axis == VARIANT) and not all(isinstance(v, dict) for v in values):
            raise SweepError(f"[grid] {axis} must be a list of tables, got {values!r}")
    for variant in sections["grid"].get(VARIANT, []):
        bad = sorted(set(variant) - options - {"name"})
        if bad:
            raise SweepError(f"unknown key(s) {bad} in a [grid] variant; valid: name, {', '.join(sorted(options))}")
    fixed = (set(sections["train"]) | set(sections["grid"])) - set(TABLE_OPTIONS) - {VARIANT}
    for variant in sections["grid"].get(VARIANT, []):
        if set(variant) & fixed:
            raise SweepError(f"a [grid] variant sets {sorted(set(variant) & fixed)}, also set by [train] or an axis")
    for key, value in sections["train"].items():
        if key in sections["grid"]:
            raise SweepError(f"{key!r} is both a [grid] axis and a fixed [train] option; keep one")
        if isinstance(value, list):
            raise SweepError(f"[train] {key} = {value!r} is a list; put axes to sweep under [grid]")
        if key in TABLE_OPTIONS and not isinstance(value, dict):
            raise SweepError(f"[train] {key} must be a table of KEY = VALUE, got {value!r}")
    flags = _flag_option_names()
    given = [(f"[train] {k}", v) for k, v in sections["train"].items() if k in flags]
    given += [(f"[grid] {k}", v) for k, values in sections["grid"].items() if k in flags for v in values]
    given += [(f"a [grid] variant's {k}", v) for variant in sections["grid"].get(VARIANT, [])
              for k, v in variant.items() if k in flags]  # fmt: skip
    for where, value in given:
        if not isinstance(value, bool):
            raise SweepError(f"{where} is an on/off flag: give true or false, got {value!r}")
    in_variants = all("algo" in v for v in sections["grid"].get(VARIANT, [{}])) and VARIANT in sections["grid"]
    if "algo" not in sections["grid"] and "algo" not in sections["train"] and not in_variants:
        raise SweepError("the config names no algo: set [grid] algo = [...] or [train] algo = ...")
    for key in ("cpus_per_trial", "num_cpus", "max_concurrent"):
        value = sections["sweep"].get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            raise SweepError(f"[sweep] {key} must be a positive number, got {value!r}")
    return SweepConfig(sections["grid"], sections["train"], sections["sweep"], sections["results"])


def _slug(value: Any) -> str:
    if isinstance(value, dict):
        return "-".join(f"{k}-{_slug(v)}" for k, v in value.items()) or "default"
    text = value.split("/")[-1] if isinstance(value, str) else str(value)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "x"


def to_argv(options: dict[str, Any]) -> list[str]:
    """zipfian-train arguments for one trial's options (tables become repeated KEY=VALUE flags)."""
    argv: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if key in TABLE_OPTIONS:
            for k, v in value.items():
                argv += [TABLE_OPTIONS[key], f"{k}={v}" if isinstance(v, str) else f"{k}={v!r}"]
        elif isinstance(value, bool):
            if value:
                argv.append(flag)
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def expand(config: SweepConfig) -> list[Trial]:
    """Every grid point as a :class:`Trial`, in the config's axis order; names are unique and stable."""
    axes = list(config.grid)
    trials = []
    for values in itertools.product(*(config.grid[a] for a in axes)):
        options = dict(config.train)
        point = dict(zip(axes, values))
        for key, value in point.items():
            updates = {k: v for k, v in value.items() if k != "name"} if key == VARIANT else {key: value}
            for k, v in updates.items():
                # A grid table (e.g. env_kwargs) adds to the fixed table of the same name.
                options[k] = {**options.get(k, {}), **v} if k in TABLE_OPTIONS else v
        # The name says what varies: every axis with more than one value, the seed last.
        labels = {a: point[a].get("name", point[a]) if a == VARIANT else point[a] for a in axes}
        parts = [_slug(labels[a]) for a in axes if a != "seed" and len(config.grid[a]) > 1]
        if "seed" in options:
            parts.append(f"s{options['seed']}")
        name = "_".join(parts) or "trial"
        prefix = config.sweep.get("name")
        trials.append(Trial(f"{prefix}_{name}" if prefix else name, options))
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise SweepError(f"the grid gives several trials the same name {dupes}; give every grid point its own values")
    return trials


def check_trials(trials: list[Trial], runs_dir: Path) -> None:
    """Check every trial's zipfian-train arguments as zipfian-train would (algo, env, level, steps, seed, --hp).

    Done before Ray starts or a dry run prints, so a typo in a grid axis is one line, not N failed trials.
    """
    from zipfian_envs.agents import rllib_backend, train

    for trial in trials:
        argv = [*to_argv(trial.options), "--out", str(runs_dir / trial.name)]
        rllib = trial.options.get("backend") == "rllib"
        if rllib:
            require_ray("zipfian-sweep")  # its checks need RLlib: without Ray, the install hint (exit 1)
        parse = rllib_backend.parse_args if rllib else train.parse_args
        captured = io.StringIO()
        try:
            with contextlib.redirect_stderr(captured):
                parse(argv)
        except SystemExit as exc:
            if exc.code:
                message = captured.getvalue().strip().splitlines()[-1:] or [f"exit {exc.code}"]
                text = re.sub(r"^zipfian-train: error: | \(see --help\)$", "", message[0])
                raise SweepError(f"trial {trial.name}: {text}") from None


def is_finished(run_dir: Path) -> bool:
    """Whether a run folder holds what a finished zipfian-train run leaves: training info and one result."""
    config_path = run_dir / "config.json"
    if not config_path.is_file() or incomplete_folder(run_dir, depth=1) is not None:
        return False
    try:
        finished = "training" in load_run_config(config_path, fields=False)  # the merge checks the fields
    except SchemaError:  # not a JSON object: the trial is redone
        return False
    return finished and len([p for p in run_dir.glob("*.json") if p.name != "config.json"]) == 1


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The SB3 checkpoint with the most steps in ``run_dir/checkpoints`` (an interrupted trial goes on from it)."""
    best, best_steps = None, -1
    for path in (run_dir / "checkpoints").glob("model_*_steps.zip"):
        match = re.fullmatch(r"model_(\d+)_steps\.zip", path.name)
        if match and int(match.group(1)) > best_steps:
            best, best_steps = path, int(match.group(1))
    return best


def _run_trial(config: dict[str, Any]) -> None:
    """Ray Tune trainable: one zipfian-train run; a bad argument or a crash fails only this trial."""
    from ray import tune

    from zipfian_envs.agents import train

    argv = list(config["trial"]["argv"])
    start = time.perf_counter()
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            outcome = train.run(argv)
    except SystemExit as exc:  # zipfian-train's one-line argument errors
        raise RuntimeError(f"zipfian-train exited {exc.code}: {captured.getvalue().strip()}") from None
    finally:
        sys.stderr.write(captured.getvalue())
    info = outcome["training"]
    tune.report({"steps": info.get("steps", 0), "train_wall_s": info.get("wall_s", 0.0),
                 "run_s": time.perf_counter() - start, "results": [str(p) for p in outcome["results"]]})  # fmt: skip


def _trial_lines() -> Any:
    """A Tune callback printing one line per finished or failed trial (Tune's own tables are verbose=0)."""
    from ray.tune import Callback

    class TrialLines(Callback):
        def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            result = trial.last_result or {}
            print(f"zipfian-sweep: finished {trial.config['trial']['name']} ({result.get('steps', '?')} steps, "
                  f"{result.get('run_s', 0.0):.1f} s)", flush=True)  # fmt: skip

        def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
            print(f"zipfian-sweep: FAILED {trial.config['trial']['name']} (the sweep goes on)", flush=True)

    return TrialLines()


def run_sweep(
    config: SweepConfig,
    out: Path,
    *,
    resume: bool = False,
    address: str | None = None,
    cpus_per_trial: float = 1.0,
    num_cpus: float | None = None,
    max_concurrent: int | None = None,
) -> dict[str, Any]:
    """Run every trial not yet finished, then merge seeds into leaderboards; returns the sweep's summary."""
    from ray import tune

    trials = expand(config)
    out = out.resolve()
    runs_dir = out / "runs"
    if runs_dir.is_dir() and any(runs_dir.iterdir()) and not resume:
        raise SweepError(f"{runs_dir} already holds runs; pass --resume to finish that sweep, or another --out")
    todo, skipped = [], []
    for trial in trials:
        run_dir = runs_dir / trial.name
        if resume and is_finished(run_dir):
            skipped.append(trial.name)
            continue
        options = {**trial.options, "out": str(run_dir), "no_progress": True}
        checkpoint = latest_checkpoint(run_dir) if resume else None
        if checkpoint is not None and options.get("backend", "sb3") == "sb3":
            options["resume"] = str(checkpoint)
        elif run_dir.is_dir() and any(run_dir.iterdir()):  # an unfinished trial with nothing to resume: redo it
            options["overwrite"] = True
        trial.argv = to_argv(options)
        todo.append(trial)

    init_s = init_ray(address, int(num_cpus) if num_cpus else None)
    start = time.perf_counter()
    failures: dict[str, str] = {}
    if todo:
        tuner = tune.Tuner(
            tune.with_resources(_run_trial, {"cpu": cpus_per_trial}),
            param_space={"trial": tune.grid_search([{"name": t.name, "argv": t.argv} for t in todo])},
            tune_config=tune.TuneConfig(
                max_concurrent_trials=max_concurrent,
                reuse_actors=True,  # one worker process per CPU: torch and SB3 are imported once, not per trial
                trial_name_creator=lambda t: t.config["trial"]["name"],
                trial_dirname_creator=lambda t: t.config["trial"]["name"],
            ),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=str(out),
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                verbose=0,
                callbacks=[_trial_lines()],
            ),
        )
        grid = tuner.fit()
        for result in grid:
            if result.error is not None:
                name = result.config["trial"]["name"] if result.config else "?"
                failures[name] = " ".join(str(result.error).split())[-500:]
    sweep_s = time.perf_counter() - start
    summary = {
        "trials": [t.name for t in trials],
        "ran": [t.name for t in todo],
        "skipped_finished": skipped,
        "failed": failures,
        "ray_init_s": round(init_s, 2),
        "tune_wall_s": round(sweep_s, 2),
        "cpus_per_trial": cpus_per_trial,
    }
    summary["run_s"] = _run_seconds(out / "tune", [t.name for t in todo])
    summary["merged"] = merge(runs_dir, out / "results", config.results)
    atomic_write_text(out / "sweep.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _run_seconds(tune_dir: Path, names: list[str]) -> dict[str, float]:
    """Seconds each trial spent inside zipfian-train (from its last Tune report), to size the per-trial overhead."""
    seconds = {}
    for name in names:
        result_file = tune_dir / name / "result.json"
        if result_file.is_file():
            lines = result_file.read_text().strip().splitlines()
            if lines:
                seconds[name] = round(json.loads(lines[-1]).get("run_s", 0.0), 2)
    return seconds


def merge(runs_dir: Path, results_dir: Path, settings: dict[str, Any]) -> str | None:
    """Seeds merged, baselines added, leaderboards and plot written (``agents.results``); None if no run finished."""
    from zipfian_envs.agents import results

    settings = {"plot_name": "success_by_rank", **settings}
    argv = ["--runs", str(runs_dir), "--out", str(results_dir)]
    for key, value in settings.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            results.main(argv)
    except SystemExit as exc:
        if exc.code:
            print(f"zipfian-sweep: no leaderboard: {captured.getvalue().strip()}", file=sys.stderr)
            return None
    return str(results_dir / settings.get("leaderboard", "leaderboard_agents.md"))


def build_parser() -> argparse.ArgumentParser:
    """The ``zipfian-sweep`` argument parser."""
    p = OneLineParser(prog="zipfian-sweep", description="Run a grid of zipfian-train runs on Ray Tune and merge them.")
    p.add_argument("config", nargs="?", type=Path, help="sweep config (.toml, .yaml); see configs/")
    p.add_argument("--out", type=path_argument, default=None,
                   help="sweep folder (default: [sweep] out, else runs/sweeps/NAME)")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="run only the trials that have no result yet")
    p.add_argument("--address", default=None, help="join a running Ray cluster: auto or ray://host:port")
    p.add_argument("--cpus-per-trial", type=float, default=None, help="CPUs reserved per trial (default 1)")
    p.add_argument("--num-cpus", type=float, default=None, help="CPUs of a local Ray (default: all of them)")
    p.add_argument("--max-concurrent", type=int, default=None, help="trials at once (default: as CPUs allow)")
    p.add_argument("--dry-run", action="store_true", help="print the trials and their zipfian-train arguments")
    axes = p.add_argument_group("grid axes (replace the config's)")
    axes.add_argument("--algo", nargs="+", default=None)
    axes.add_argument("--backend", nargs="+", default=None, choices=("sb3", "rllib"))
    axes.add_argument("--env", nargs="+", default=None)
    axes.add_argument("--level", nargs="+", default=None)
    axes.add_argument("--obs-mode", nargs="+", default=None)
    axes.add_argument("--seeds", nargs="+", type=int, default=None, help="training seeds")
    axes.add_argument("--steps", type=int, default=None, help="training steps of every trial")
    return p


def _config_from_args(args: argparse.Namespace) -> dict[str, Any]:
    data = load_config(args.config) if args.config is not None else {}
    grid = dict(data.get("grid") or {})
    train = dict(data.get("train") or {})
    for flag, key in (("algo", "algo"), ("backend", "backend"), ("env", "env"), ("level", "level"),
                      ("obs_mode", "obs_mode"), ("seeds", "seed")):  # fmt: skip
        value = getattr(args, flag)
        if value is not None:
            grid[key] = value
            train.pop(key, None)
    if args.steps is not None:
        train["steps"] = args.steps
        grid.pop("steps", None)
    return {**data, "grid": grid, "train": train}


def run_cli(args: argparse.Namespace) -> int:
    """Run the sweep the arguments describe; returns the exit status (1 if any trial failed)."""
    if args.config is None and args.algo is None:
        raise SweepError("give a CONFIG file (see configs/) or at least --algo")
    config = check_config(_config_from_args(args))
    settings = config.sweep
    name = settings.get("name") or (args.config.stem if args.config is not None else "sweep")
    out = args.out or Path(settings.get("out") or Path("runs") / "sweeps" / name)
    check_out_folder(out)
    for flag in ("cpus_per_trial", "num_cpus", "max_concurrent"):
        value = getattr(args, flag)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise SweepError(f"--{flag.replace('_', '-')} must be a number > 0, got {value}")
    check_trials(expand(config), out / "runs")
    if args.dry_run:
        for trial in expand(config):
            print(f"{trial.name}: zipfian-train {' '.join(to_argv(trial.options))}")
        return 0
    require_ray("zipfian-sweep")
    summary = run_sweep(
        config,
        out,
        resume=args.resume,
        address=args.address or settings.get("address"),
        cpus_per_trial=args.cpus_per_trial or settings.get("cpus_per_trial", 1),
        num_cpus=args.num_cpus or settings.get("num_cpus"),
        max_concurrent=args.max_concurrent or settings.get("max_concurrent"),
    )
    print(
        f"zipfian-sweep: {len(summary['trials'])} trials: {len(summary['ran'])} run, "
        f"{len(summary['skipped_finished'])} already finished, {len(summary['failed'])} failed "
        f"(ray.init {summary['ray_init_s']:.1f} s, Tune {summary['tune_wall_s']:.1f} s)"
    )
    for trial, error in summary["failed"].items():
        print(f"  failed: {trial}: {error}")
    print(f"  runs: {out / 'runs'}  leaderboard: {summary['merged'] or '-'}  summary: {out / 'sweep.json'}")
    return 1 if summary["failed"] else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``zipfian-sweep``: bad input exits 2 with one line, a missing Ray exits 1 with a hint."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_cli(args)
    except (SweepError, RunFolderError) as exc:
        parser.error(str(exc))
    except KeyboardInterrupt:
        print("zipfian-sweep: interrupted; finished trials are kept, run it again with --resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

"""Result files: the versioned JSON (schema: docs/evaluation.md, "Result files"), the records CSV and the PNG plot."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gymnasium.envs.registration import load_env_creator

import zipfian_envs
from zipfian_envs.core import skew
from zipfian_envs.core.files import RunFolderError, atomic_save, atomic_write_text, check_complete
from zipfian_envs.core.records import save_records
from zipfian_envs.evaluation import protocols as proto
from zipfian_envs.evaluation.errors import EvaluationError, SchemaError
from zipfian_envs.evaluation.harness import find_spec
from zipfian_envs.evaluation.schema import validate_result
from zipfian_envs.evaluation.summary import N_RESAMPLES, aggregate_seeds, summarize
from zipfian_envs.registration import SELECTION_KEYWORDS

SCHEMA_VERSION = 1
# Image types plot_success_by_rank writes (matplotlib picks the format from the suffix).
PLOT_SUFFIXES = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff")
RESULT_KIND = "zipfian-envs evaluation result"


def file_stem(env_id: str, level: str | None, policy_name: str, seed: int) -> str:
    """Default file name stem, e.g. ``Gridworld-v0_zipf_2_random_seed0``."""
    raw = f"{env_id.split('/')[-1]}_{level or 'default'}_{policy_name}_seed{seed}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", raw)


def env_config(env_id: str, level: str | None, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """What makes two results comparable: entry point and the full constructor kwargs.

    ``Zipfian/Gridworld-v0`` with ``level=zipf_2`` and ``Zipfian/Gridworld-zipf_2-v0`` give the
    same configuration, so the leaderboard accepts them side by side. An env class with a
    ``map_version`` attribute (generated maps) adds it, so results from other maps never merge.
    """
    spec = find_spec(env_id)
    kwargs = {**spec.kwargs, **env_kwargs}
    if level is not None:
        kwargs.pop("exponent", None)
        for keyword in SELECTION_KEYWORDS:
            kwargs.pop(keyword, None)
        kwargs["level"] = level
    elif "distribution" in kwargs:
        kwargs["level"] = kwargs.pop("distribution")
    # One key for the level-or-distribution string (``level``, as in every committed result file), so
    # ``distribution=`` and the old ``level=`` spelling of one configuration still merge.
    config: dict[str, Any] = {"entry_point": str(spec.entry_point), "kwargs": dict(sorted(kwargs.items()))}
    env_class = load_env_creator(spec.entry_point) if isinstance(spec.entry_point, str) else spec.entry_point
    map_version = getattr(env_class, "map_version", None)
    if map_version is not None:
        config["map_version"] = int(map_version)
    return config


def _train_seed_groups(records: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[Any, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record.get("train_seed"), []).append(record)
    return [groups[key] for key in sorted(groups, key=str)]


def _headline(protocols: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Rare success (the rare protocol, else the rare bin of uniform/zipfian) and rare/common ratio."""

    def estimate(name: str) -> dict[str, Any] | None:
        entry = protocols.get(name)
        return None if entry is None else entry.get("aggregate") or entry["summary"]

    # Other protocol names (e.g. the viewer's "human") come last, so their bins still give a headline.
    fallbacks = ["uniform", "zipfian", *sorted(set(protocols) - set(proto.PROTOCOLS))]
    rare, rare_source = None, None
    rare_estimate = estimate("rare")
    if rare_estimate is not None:
        rare, rare_source = rare_estimate["success"], "rare"
    else:
        for name in fallbacks:
            fallback = estimate(name)
            if fallback is not None and "rare" in fallback["bins"]:
                rare, rare_source = fallback["bins"]["rare"], f"{name}:rare-bin"
                break
    common, common_source = None, None
    for name in fallbacks:
        fallback = estimate(name)
        if fallback is not None and "common" in fallback["bins"]:
            common, common_source = fallback["bins"]["common"], f"{name}:common-bin"
            break
    ratio = None
    if rare is not None and common is not None and common["success"] > 0:
        ratio = rare["success"] / common["success"]
    return {
        "rare_success": None if rare is None else rare["success"],
        "rare_ci": None if rare is None else [rare["ci_low"], rare["ci_high"]],
        "rare_source": rare_source,
        "common_success": None if common is None else common["success"],
        "common_source": common_source,
        "rare_common_ratio": ratio,
    }


def build_result(
    records_by_protocol: dict[str, list[dict[str, Any]]],
    *,
    env_id: str,
    level: str | None,
    env_kwargs: dict[str, Any],
    policy_name: str,
    seeds: Sequence[int],
    summary_seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    min_episodes_per_rank: int | None = None,
) -> dict[str, Any]:
    """The result document (everything but file paths) for records grouped by protocol."""
    protocols: dict[str, dict[str, Any]] = {}
    train_seeds: set[Any] = set()
    for protocol, records in records_by_protocol.items():
        entry: dict[str, Any] = {
            "level": records[0].get("level") if records else None,
            "summary": summarize(records, seed=summary_seed, confidence=confidence, n_resamples=n_resamples),
        }
        runs = _train_seed_groups(records)
        train_seeds.update(r.get("train_seed") for r in records if r.get("train_seed") is not None)
        if len(runs) > 1:
            entry["aggregate"] = aggregate_seeds(
                runs, seed=summary_seed, confidence=confidence, n_resamples=n_resamples
            )
        protocols[protocol] = entry
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": RESULT_KIND,
        "package_version": zipfian_envs.__version__,
        "created_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "env_id": env_id,
        "level": level,
        "env_kwargs": dict(env_kwargs),
        "env_config": env_config(env_id, level, dict(env_kwargs)),
        "policy": policy_name,
        "seeds": [int(s) for s in seeds],
        "train_seeds": sorted(train_seeds, key=str),
        "episodes": {protocol: len(records) for protocol, records in records_by_protocol.items()},
        "min_episodes_per_rank": min_episodes_per_rank,
        "protocols": protocols,
        "headline": _headline(protocols),
    }


def write_result(
    out_dir: str | Path,
    records_by_protocol: dict[str, list[dict[str, Any]]],
    *,
    env_id: str,
    level: str | None,
    env_kwargs: dict[str, Any],
    policy_name: str,
    seeds: Sequence[int],
    name: str | None = None,
    summary_seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
    min_episodes_per_rank: int | None = None,
    plot: bool = True,
    extra: dict[str, Any] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``<out>/<name>.json``, ``records/<name>.csv`` and ``plots/<name>.png``; return the JSON path.

    ``extra`` adds keys of the caller's own (e.g. ``training``: steps, wall time) to the JSON; they
    may not replace the schema's keys. An existing JSON of that name is an error unless ``overwrite``;
    then it is removed before the records are written, so an interrupted rewrite leaves no JSON that
    describes other records (every file is written atomically).
    """
    out_dir = Path(out_dir)
    name = name or file_stem(env_id, level, policy_name, int(seeds[0]) if seeds else 0)
    json_path = out_dir / f"{name}.json"
    if json_path.exists() and not overwrite:
        raise RunFolderError(f"{json_path} already exists; pass --overwrite to replace it, "
                             "or give another --out or --name")
    result = build_result(
        records_by_protocol,
        env_id=env_id,
        level=level,
        env_kwargs=env_kwargs,
        policy_name=policy_name,
        seeds=seeds,
        summary_seed=summary_seed,
        confidence=confidence,
        n_resamples=n_resamples,
        min_episodes_per_rank=min_episodes_per_rank,
    )
    clashes = sorted(set(extra or {}) & set(result))
    if clashes:
        raise EvaluationError(f"extra keys {clashes} would replace result keys; use other names")
    result.update(extra or {})
    json_path.unlink(missing_ok=True)
    all_records = [record for records in records_by_protocol.values() for record in records]
    records_path = save_records(all_records, out_dir / "records" / f"{name}.csv", policy=policy_name)
    result["files"] = {"records": records_path.relative_to(out_dir).as_posix(), "plot": None}
    if plot:
        plot_path = plot_success_by_rank([result], out_dir / "plots" / f"{name}.png")
        result["files"]["plot"] = plot_path.relative_to(out_dir).as_posix()
    # The JSON last: it names the records and plot, so a reader that finds it finds them complete.
    # default=str: env kwargs may hold numpy scalars or paths; they are recorded, not re-read.
    return atomic_write_text(json_path, json.dumps(result, indent=2, default=str) + "\n")


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a result JSON, refusing files that are not results or have another schema version."""
    path = Path(path)
    if not path.is_file():
        raise SchemaError(f"result file not found: {path}")
    try:
        check_complete(path)
    except RunFolderError as exc:
        raise SchemaError(str(exc)) from None
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise SchemaError(f"{path}: not a JSON file ({exc})") from exc
    if not isinstance(result, dict) or result.get("kind") != RESULT_KIND or "schema_version" not in result:
        raise SchemaError(f"{path}: not a zipfian-envs evaluation result (no kind/schema_version)")
    version = result["schema_version"]
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"{path}: result schema version {version}, but this zipfian-envs reads version {SCHEMA_VERSION}; "
            "re-run zipfian-eval to regenerate it"
        )
    return validate_result(result, path)


def rank_table(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The per-rank curve to plot: the uniform protocol's if present, else the one covering most ranks."""
    protocols = result["protocols"]
    name = "uniform" if "uniform" in protocols else max(protocols, key=lambda p: len(protocols[p]["summary"]["ranks"]))
    entry = protocols[name]
    return name, entry.get("aggregate") or entry["summary"]


def plot_success_by_rank(
    results: Sequence[dict[str, Any]], path: str | Path, labels: Sequence[str] | None = None, title: str | None = None
) -> Path:
    """Success vs item rank (log x) with CI bands, one line per result; common/rare bins shaded."""
    # The object-oriented API with an Agg canvas never touches pyplot's global backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if not results:
        raise ValueError("plot_success_by_rank needs at least one result")
    fig = Figure(figsize=(7, 4.2), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    num_items = max(rank_table(r)[1]["num_items"] for r in results)
    tail = skew.tail_size(num_items)
    low_edge, high_edge = 0.85, num_items * 1.15
    ax.axvspan(low_edge, tail + 0.5, color="tab:green", alpha=0.08, lw=0)
    ax.axvspan(num_items - tail + 0.5, high_edge, color="tab:red", alpha=0.08, lw=0)
    ax.text(1.0, 1.02, "common", color="tab:green", fontsize=8, va="bottom")
    ax.text(num_items - tail + 0.7, 1.02, "rare", color="tab:red", fontsize=8, va="bottom")
    for index, result in enumerate(results):
        protocol, table = rank_table(result)
        ranks = [row["rank"] for row in table["ranks"]]
        success = [row["success"] for row in table["ranks"]]
        label = labels[index] if labels else result["policy"]
        if table.get("runs"):
            label += f" (IQM of {table['runs']} seeds)"
        line = ax.plot(ranks, success, marker="o", ms=3, lw=1.5, label=f"{label} [{protocol}]")[0]
        lows = [row["ci_low"] for row in table["ranks"]]
        highs = [row["ci_high"] for row in table["ranks"]]
        ax.fill_between(ranks, lows, highs, color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_xlim(low_edge, high_edge)
    ticks = [t for t in (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000) if t <= num_items]
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xticks([], minor=True)
    ax.set_ylim(-0.02, 1.1)
    ax.set_xlabel("item frequency rank (1 = most frequent under the training level)")
    ax.set_ylabel("success rate")
    confidence = rank_table(results[0])[1].get("confidence", 0.95)
    first = results[0]
    ax.set_title(title or f"{first['env_id']} (trained on {first['level']}): {confidence:.0%} bootstrap CI", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return atomic_save(path, fig.savefig)


def _cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "-"
    return f"{entry['success']:.3f} [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"


def _score_cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "-"
    return f"{entry['mean']:.3f} [{entry['ci_low']:.3f}, {entry['ci_high']:.3f}]"


def format_summary(result: dict[str, Any], show_ranks: bool = False) -> str:
    """A plain-text table of a result: per protocol overall and per-bin success, then the headline."""
    seeds = ",".join(str(s) for s in result["seeds"])
    lines = [f"{result['env_id']}  level={result['level']}  policy={result['policy']}  seed={seeds}"]
    if result["train_seeds"]:
        lines[0] += f"  train_seeds={len(result['train_seeds'])} (IQM, stratified bootstrap)"
    header = f"{'protocol':<9} {'level':<13} {'episodes':>8}  " + "  ".join(
        f"{h:<22}" for h in ("success", *skew.FREQUENCY_BINS)
    )
    header = header.rstrip()
    lines += [header, "-" * len(header)]
    for protocol, entry in result["protocols"].items():
        estimate = entry.get("aggregate") or entry["summary"]
        cells = [_cell(estimate["success"])] + [_cell(estimate["bins"].get(b)) for b in skew.FREQUENCY_BINS]
        lines.append(
            f"{protocol:<9} {entry['level'] or '-':<13} {result['episodes'][protocol]:>8}  "
            + "  ".join(f"{c:<22}" for c in cells).rstrip()
        )
    graded = [(p, e.get("aggregate") or e["summary"]) for p, e in result["protocols"].items()]
    graded = [(p, est["normalized_score"]) for p, est in graded if "normalized_score" in est]
    if graded:
        lines.append("normalized score (0 = random, 1 = scripted reference): mean, then per bin")
        for protocol, block in graded:
            cells = [_score_cell(block["overall"])] + [_score_cell(block["bins"].get(b)) for b in skew.FREQUENCY_BINS]
            lines.append(f"{protocol:<9} " + "  ".join(f"{c:<22}" for c in cells).rstrip())
    if show_ranks:
        protocol, table = rank_table(result)
        lines.append(f"per rank ({protocol}): " + "  ".join(f"{r['rank']}:{r['success']:.2f}" for r in table["ranks"]))
    head = result["headline"]
    rare = "-" if head["rare_success"] is None else f"{head['rare_success']:.3f}"
    if head["rare_ci"]:
        rare += f" [{head['rare_ci'][0]:.3f}, {head['rare_ci'][1]:.3f}]"
    ratio = "-" if head["rare_common_ratio"] is None else f"{head['rare_common_ratio']:.3f}"
    lines.append(f"headline: rare success {rare} ({head['rare_source']}), rare/common {ratio}")
    return "\n".join(lines)

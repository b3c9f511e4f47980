"""Result files of the ICL study (one JSON per run), their reader, and the merged table and plots.

A run file holds the run's settings, its ICL / IWL curves over training steps and the per-sequence
outcomes of the final evaluation. :func:`report` merges whatever run files a folder holds (a partial
sweep merges too) into ``summary.json``, ``table.md`` and PNG plots; runs of one *cell* (same settings
but the seed) are pooled with seed-stratified bootstrap intervals.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError

SCHEMA = "zipfian-icl-run/1"
SUMMARY_SCHEMA = "zipfian-icl-summary/1"
RUNS_DIR = "run_files"  # not "runs/": that name is git-ignored (training run folders)
METRICS = ("icl", "icl_open", "iwl", "iwl_uniform")
METRIC_TITLES = {
    "icl": "ICL 2-way",
    "icl_open": "ICL open vocab",
    "iwl": "IWL",
    "iwl_uniform": "IWL uniform classes",
}


def _number(value: float) -> str:
    """Compact text for a setting value: 0.9 -> '0.9', 1.0 -> '1'."""
    return f"{value:g}"


def cell_name(config: dict[str, Any]) -> str:
    """The cell a run belongs to: model, burstiness and exponent, plus any non-default data settings."""
    data = config["data"]
    name = f"{config['model']}_p{_number(data['p_bursty'])}_zipf{_number(data['zipf_exponent'])}"
    if data.get("exemplar", "symbolic") != "symbolic":
        name += f"_{data['exemplar']}"
    if data.get("senses", 1) > 1:
        name += f"_poly{data['senses']}"
    if data.get("common_classes", 0) > 0:
        name += f"_common{data['common_classes']}"
    return name


def run_path(directory: str | Path, config: dict[str, Any]) -> Path:
    """Where a run's file goes: ``DIR/run_files/<cell>_seed<k>.json``."""
    return Path(directory) / RUNS_DIR / f"{cell_name(config)}_seed{config['seed']}.json"


def write_run(result: dict[str, Any], directory: str | Path) -> Path:
    """Write one run's result (from :func:`~zipfian_envs.studies.icl.train.train`) and return its path."""
    path = run_path(directory, result["config"])
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"schema": SCHEMA, "cell": cell_name(result["config"]), **result}
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, separators=(",", ":")))
    temporary.replace(path)  # a reader never sees half a file, even beside a running sweep
    return path


def load_run(path: str | Path) -> dict[str, Any]:
    """Read one run file; other schema versions and missing keys are refused with a clear message."""
    path = Path(path)
    try:
        run = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise StudyError(f"{path} is not a JSON run file: {exc}") from exc
    if not isinstance(run, dict) or run.get("schema") != SCHEMA:
        found = run.get("schema") if isinstance(run, dict) else type(run).__name__
        raise StudyError(f"{path} has schema {found!r}; this reader accepts {SCHEMA!r}")
    missing = [key for key in ("config", "curve", "outcomes", "cell") if key not in run]
    missing += [f"outcomes.{m}" for m in METRICS if m not in run.get("outcomes", {})]
    if missing:
        raise StudyError(f"{path} lacks {', '.join(missing)}")
    return run


def load_runs(directory: str | Path) -> list[dict[str, Any]]:
    """Every run file under ``DIR/run_files`` (sorted by name); an empty or missing folder is an error."""
    folder = Path(directory) / RUNS_DIR
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise StudyError(f"no run files in {folder} (run `zipfian-study icl sweep` or `icl run` first)")
    return [load_run(p) for p in paths]


def _interval(per_seed: list[list[int]], key: int) -> dict[str, Any]:
    """IQM over seeds of per-seed rates (the mean for up to 3 seeds), seed-stratified bootstrap 95% interval."""
    from zipfian_envs.core.stats import iqm_interval

    return iqm_interval(per_seed, key=key)


def summarize_cell(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pool the seeds of one cell: final metrics with intervals, mean curves, peak ICL."""
    configs = [dict(r["config"], seed=None, device=None) for r in runs]
    if any(c != configs[0] for c in configs[1:]):
        raise StudyError(f"cell {runs[0]['cell']} mixes runs with different settings")
    config = runs[0]["config"]
    final = {m: _interval([r["outcomes"][m] for r in runs], key) for key, m in enumerate(METRICS)}
    steps = [r["curve"]["step"] for r in runs]
    common = min(len(s) for s in steps)
    curves = {"step": steps[0][:common]}
    for name in ("loss", *METRICS):
        curves[name] = np.mean([r["curve"][name][:common] for r in runs], axis=0).tolist()
    peak = int(np.argmax(curves["icl"]))
    return {
        "cell": runs[0]["cell"],
        "model": config["model"],
        "p_bursty": config["data"]["p_bursty"],
        "zipf_exponent": config["data"]["zipf_exponent"],
        "seeds": sorted(r["config"]["seed"] for r in runs),
        "steps": config["steps"],
        "parameters": runs[0].get("parameters"),
        "wall_seconds": [r.get("wall_seconds") for r in runs],
        "devices": sorted({r.get("device", "?") for r in runs}),
        "final": final,
        "peak_icl": {"value": curves["icl"][peak], "step": curves["step"][peak]},
        "iwl_by_bin": _iwl_by_bin(runs),
        "curves": curves,
    }


def _iwl_by_bin(runs: list[dict[str, Any]]) -> dict[str, float]:
    """IWL on uniformly drawn trained classes, split by the class's frequency bin under the training order."""
    num_train = runs[0]["config"]["data"]["common_classes"] + runs[0]["config"]["data"]["rare_classes"]
    correct: dict[str, list[int]] = {b: [] for b in skew.FREQUENCY_BINS}
    for run in runs:
        for cls, ok in zip(run.get("query_class_iwl_uniform", []), run["outcomes"]["iwl_uniform"]):
            correct[skew.frequency_bin(int(cls) + 1, num_train)].append(ok)
    return {b: float(np.mean(v)) for b, v in correct.items() if v}


def summarize(runs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One summary per cell, in a stable order (model, burstiness, exponent, name)."""
    cells: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        cells.setdefault(run["cell"], []).append(run)
    summaries = [summarize_cell(sorted(r, key=lambda x: x["config"]["seed"])) for r in cells.values()]
    return sorted(summaries, key=lambda s: (s["model"] != "transformer", s["model"], s["p_bursty"],
                                            s["zipf_exponent"], s["cell"]))  # fmt: skip


def _pct(entry: dict[str, Any]) -> str:
    return f"{100 * entry['mean']:.1f} [{100 * entry['ci_low']:.1f}, {100 * entry['ci_high']:.1f}]"


def markdown_table(summaries: list[dict[str, Any]]) -> str:
    """The results table: final ICL / IWL (IQM over seeds, 95% CI, in %) and the peak of the ICL curve."""
    header = ("| model | p_bursty | Zipf a | seeds | steps | ICL 2-way % | ICL open % | IWL % | IWL uniform % "
              "| peak ICL % (step) |")  # fmt: skip
    lines = [header, "|" + "---|" * 10]
    for s in summaries:
        f = s["final"]
        lines.append(
            f"| {s['model']} | {_number(s['p_bursty'])} | {_number(s['zipf_exponent'])} | {len(s['seeds'])} "
            f"| {s['steps']} | {_pct(f['icl'])} | {_pct(f['icl_open'])} | {_pct(f['iwl'])} "
            f"| {_pct(f['iwl_uniform'])} | {100 * s['peak_icl']['value']:.1f} ({s['peak_icl']['step']}) |"
        )
    return "\n".join(lines) + "\n"


def _plot_against(ax, summaries, key, model, metric, label, marker):
    rows = sorted((s for s in summaries if s["model"] == model), key=lambda s: s[key])
    if not rows:
        return
    x = [s[key] for s in rows]
    y = np.array([100 * s["final"][metric]["mean"] for s in rows])
    low = y - np.array([100 * s["final"][metric]["ci_low"] for s in rows])
    high = np.array([100 * s["final"][metric]["ci_high"] for s in rows]) - y
    ax.errorbar(x, y, yerr=[low, high], marker=marker, capsize=3, label=label)


def plot(summaries: list[dict[str, Any]], directory: str | Path) -> list[Path]:
    """PNGs: ICL / IWL against burstiness (uniform classes), against exponent (p_bursty 0.9), over steps."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    directory = Path(directory)
    written = []
    models = sorted({s["model"] for s in summaries}, key=lambda m: (m != "transformer", m))
    panels = (
        ("p_bursty", "icl_iwl_vs_burstiness.png", "burstiness p_bursty (uniform classes)",
         [s for s in summaries if s["zipf_exponent"] == 0]),
        ("zipf_exponent", "icl_iwl_vs_exponent.png", "Zipf exponent (p_bursty 0.9)",
         [s for s in summaries if math.isclose(s["p_bursty"], 0.9)]),
    )  # fmt: skip
    for key, name, xlabel, rows in panels:
        if not rows:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
        for ax, metric in zip(axes, ("icl", "iwl")):
            for model, marker in zip(models, "os^v"):
                _plot_against(ax, rows, key, model, metric, model, marker)
            ax.set_title(METRIC_TITLES[metric] + (" (chance 50%)" if metric == "icl" else ""))
            ax.set_xlabel(xlabel)
            ax.set_ylim(0, 102)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("final accuracy % (95% CI)")
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(directory / name, dpi=120)
        plt.close(fig)
        written.append(directory / name)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, metric in zip(axes, ("icl", "iwl")):
        for s in summaries:
            style = "-" if s["model"] == "transformer" else "--"
            ax.plot(s["curves"]["step"], 100 * np.asarray(s["curves"][metric]), style, label=s["cell"])
        ax.set_title(f"{METRIC_TITLES[metric]} over training (mean of seeds)")
        ax.set_xlabel("training step")
        ax.set_ylim(0, 102)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("accuracy %")
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(directory / "icl_iwl_over_training.png", dpi=120)
    plt.close(fig)
    written.append(directory / "icl_iwl_over_training.png")
    return written


def report(directory: str | Path, plots: bool = True) -> dict[str, Any]:
    """Merge the run files of ``directory`` into summary.json, table.md and (optionally) PNG plots."""
    directory = Path(directory)
    summaries = summarize(load_runs(directory))
    table = markdown_table(summaries)
    (directory / "table.md").write_text(table)
    summary = {"schema": SUMMARY_SCHEMA, "cells": summaries}
    (directory / "summary.json").write_text(json.dumps(summary, indent=1))
    files = [directory / "table.md", directory / "summary.json"]
    if plots:
        files += plot(summaries, directory)
    return {"table": table, "files": [str(f) for f in files], "cells": len(summaries)}

"""The BYOL comparison: run the matrix of trials (in parallel processes), then merge the result files.

Every trial writes ``OUT/trials/<name>.json`` on its own, so the matrix can run in pieces, on several
machines or be interrupted; :func:`merge` reads whatever trial files exist and writes
``OUT/summary.json``, ``OUT/table.md``, ``OUT/linear_accuracy.png`` and ``OUT/collapse.png``.
Across seeds each cell is the interquartile mean (IQM) of the per-seed accuracies with a stratified
bootstrap interval (the suite's one bootstrap, :mod:`zipfian_envs.core.stats`).
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.core.stats import iqm_interval
from zipfian_envs.studies import StudyError
from zipfian_envs.studies.byol.config import METHODS, NORMS, TrialConfig, make_config
from zipfian_envs.studies.byol.train import SCHEMA, SCHEMA_VERSION, run_trial_to_file, trial_path
from zipfian_envs.studies.glyphs import load_glyphs

# The matrix: norms and baselines under Zipf pre-training, BN and GN+WS again under uniform.
DEFAULT_CONDITIONS = (
    "byol-bn-zipf_1",
    "byol-gn_ws-zipf_1",
    "byol-none-zipf_1",
    "random-bn-zipf_1",
    "supervised-bn-zipf_1",
    "byol-bn-uniform",
    "byol-gn_ws-uniform",
)
NORM_LABELS = {"bn": "BN", "gn_ws": "GN+WS", "gn": "GN", "ln": "LN", "none": "no norm"}
METHOD_LABELS = {"byol": "BYOL", "supervised": "Supervised", "random": "Random init"}
GROUPS = ("all", *skew.FREQUENCY_BINS)
# Optimisation settings every row of one table must share (a folder that mixes them is refused).
SHARED_HYPERPARAMETERS = ("lr", "base_tau", "predictor_lr_scale", "optimizer", "weight_decay")
_GROUP_KEYS = {"all": 0, "common": 1, "medium": 2, "rare": 3}


def parse_condition(condition: str) -> tuple[str, str, str]:
    """``method-norm-level`` -> its three parts; raise StudyError naming the valid forms."""
    method, _, rest = condition.partition("-")
    norm, _, level = rest.partition("-")
    if method not in METHODS or norm not in NORMS or not level:
        raise StudyError(
            f"bad condition {condition!r}; expected METHOD-NORM-LEVEL with METHOD in {', '.join(METHODS)}, "
            f"NORM in {', '.join(NORMS)} and a skew level (e.g. byol-gn_ws-zipf_1)"
        )
    try:
        skew.parse_distribution(level)
    except ValueError as exc:
        raise StudyError(f"bad condition {condition!r}: {exc}") from exc
    return method, norm, level


def condition_label(condition: str) -> str:
    """Readable row label, e.g. ``BYOL, GN+WS (zipf_1)``."""
    method, norm, level = parse_condition(condition)
    if method == "byol":
        return f"BYOL, {NORM_LABELS[norm]} ({level})"
    return f"{METHOD_LABELS[method]} ({NORM_LABELS[norm]}, {level})"


def matrix(
    preset: str, seeds: Sequence[int], conditions: Sequence[str] = DEFAULT_CONDITIONS, **overrides: Any
) -> list[TrialConfig]:
    """Trial configs for every condition and seed (overrides such as steps or device apply to all)."""
    if not seeds:
        raise StudyError("give at least one seed")
    configs = []
    for condition in conditions:
        method, norm, level = parse_condition(condition)
        for seed in seeds:
            configs.append(make_config(preset, method=method, norm=norm, level=level, seed=seed, **overrides))
    return configs


def run_matrix(
    configs: Sequence[TrialConfig],
    out_dir: str | Path,
    jobs: int = 1,
    force: bool = False,
    progress: bool = True,
    cache_directory: str | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Run the trials whose result file is missing (all with ``force``); return (written paths, failures)."""
    if jobs < 1:
        raise StudyError(f"jobs must be >= 1, got {jobs}")
    todo = [c for c in configs if force or not trial_path(out_dir, c.name).exists()]
    if not todo:
        return [], {}
    # Generate the glyph cache once, before workers start, so they do not all render it at the same time.
    for spec in {c.glyph_spec for c in todo}:
        load_glyphs(spec, directory=cache_directory)
    written, failures = [], {}
    bar = _bar(len(todo), "trials", progress)
    if jobs == 1:
        for config in todo:
            try:
                written.append(run_trial_to_file(config.to_dict(), str(out_dir), cache_directory))
            except Exception as exc:  # one failed trial must not lose the others
                failures[config.name] = " ".join(str(exc).split()) or type(exc).__name__
            _advance(bar, config.name)
    else:
        context = multiprocessing.get_context("spawn")  # CUDA and torch threads are not fork-safe
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = {pool.submit(run_trial_to_file, c.to_dict(), str(out_dir), cache_directory): c.name for c in todo}
            for future in as_completed(futures):
                name = futures[future]
                try:
                    written.append(future.result())
                except Exception as exc:
                    failures[name] = " ".join(str(exc).split()) or type(exc).__name__
                _advance(bar, name)
    if bar is not None:
        bar.close()
    return written, failures


def _bar(total: int, desc: str, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, unit="trial", dynamic_ncols=True)


def _advance(bar, name: str) -> None:
    if bar is not None:
        bar.set_postfix_str(name)
        bar.update(1)


def load_trial(path: str | Path) -> dict[str, Any]:
    """Read one trial file; refuse other schemas and versions with a clear message."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise StudyError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise StudyError(f"{path} is not a BYOL study trial file (schema {SCHEMA!r})")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise StudyError(
            f"{path} has schema version {data.get('schema_version')!r}; this reader takes version {SCHEMA_VERSION}"
        )
    return data


def load_trials(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every trial file under ``out_dir/trials``, checked to come from one preset and data set."""
    folder = Path(out_dir) / "trials"
    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise StudyError(f"no trial files in {folder}; run `zipfian-study byol compare` or `... run` first")
    trials = [load_trial(p) for p in paths]
    keys = ("preset", "num_classes", "data_seed", "steps", "probe_test_exemplars", *SHARED_HYPERPARAMETERS)
    settings = {tuple(t["config"].get(k) for k in keys) for t in trials}
    if len(settings) > 1:
        listed = "; ".join(", ".join(f"{k}={v}" for k, v in zip(keys, s)) for s in sorted(settings, key=str))
        raise StudyError(f"trial files in {folder} mix settings ({listed}); merge one setting per folder")
    return trials


def _outcomes(trial: dict[str, Any]) -> dict[str, np.ndarray]:
    correct = np.frombuffer(trial["test"]["correct"].encode(), dtype=np.uint8) - ord("0")
    ranks = np.asarray(trial["test"]["class_rank"])
    num_classes = int(trial["config"]["num_classes"])
    bins = np.array([skew.frequency_bin(int(r), num_classes) for r in range(1, num_classes + 1)])[ranks - 1]
    groups = {"all": correct.astype(np.float64)}
    for name in skew.FREQUENCY_BINS:
        groups[name] = correct[bins == name].astype(np.float64)
    return groups


def summarize_condition(trials: Sequence[dict[str, Any]], seed: int = 0) -> dict[str, Any]:
    """IQM across seeds with stratified bootstrap CIs per group, the rare-common gap and the final diagnostics."""
    per_seed = [_outcomes(t) for t in trials]
    groups = {
        name: iqm_interval([o[name] for o in per_seed if o[name].size], key=_GROUP_KEYS[name], seed=seed)
        for name in GROUPS
    }
    gaps = [float(o["rare"].mean() - o["common"].mean()) for o in per_seed if o["rare"].size and o["common"].size]
    first = trials[0]
    label = condition_label(first["condition"])
    if _default_init(first):
        label = label.replace(" (", ", gamma 1 / beta 0 init (", 1)
    return {
        "condition": _group_key(first),
        "label": label,
        "seeds": sorted(int(t["config"]["seed"]) for t in trials),
        "linear_eval": groups,
        "rare_minus_common": {"mean": float(np.mean(gaps)), "per_seed": gaps} if gaps else None,
        "final_projection_std": float(np.mean([t["history"]["projection_std"][-1] for t in trials])),
        "final_knn_accuracy": float(np.mean([t["history"]["knn_accuracy"][-1] for t in trials])),
        "mean_seconds": float(np.mean([t["seconds"]["total"] for t in trials])),
        "mean_cpu_seconds": _mean_or_none([t["seconds"].get("cpu") for t in trials]),
    }


def _mean_or_none(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _order(condition: str) -> tuple[int, str]:
    return (DEFAULT_CONDITIONS.index(condition), "") if condition in DEFAULT_CONDITIONS else (99, condition)


BATCH_FREE_AFFINE = ("gn_ws", "gn", "ln")  # the norms whose GN/LN layers norm_init applies to


def _default_init(trial: dict[str, Any]) -> bool:
    """A GN/LN trial that kept gamma 1, beta 0 (``--norm-init default``) rather than the data init."""
    config = trial["config"]
    return config["norm"] in BATCH_FREE_AFFINE and config.get("norm_init", "data") == "default"


def _group_key(trial: dict[str, Any]) -> str:
    """Row of a trial: its condition, kept apart when a GN/LN trial used the default (gamma 1, beta 0) init."""
    return trial["condition"] + (DEFAULT_INIT_SUFFIX if _default_init(trial) else "")


DEFAULT_INIT_SUFFIX = "+default_init"


def merge(out_dir: str | Path, plots: bool = True) -> dict[str, Any]:
    """Merge the trial files of ``out_dir`` into summary.json, table.md and (optionally) the PNGs."""
    trials = load_trials(out_dir)
    by_condition: dict[str, list[dict[str, Any]]] = {}
    for trial in trials:
        by_condition.setdefault(_group_key(trial), []).append(trial)
    conditions = sorted(by_condition, key=_order)
    rows = [summarize_condition(by_condition[c]) for c in conditions]
    config = trials[0]["config"]
    summary = {
        "schema": f"{SCHEMA}-summary",
        "schema_version": SCHEMA_VERSION,
        "settings": {
            k: config.get(k)
            for k in ("preset", "steps", "batch_size", "num_classes", "widths", "data_seed", *SHARED_HYPERPARAMETERS)
        },
        "environment": sorted({f"{t['environment']['device']}, torch {t['environment']['torch']}" for t in trials}),
        "rows": rows,
    }
    out = Path(out_dir)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "table.md").write_text(format_table(summary))
    if plots:
        plot_accuracy(rows, out / "linear_accuracy.png")
        plot_collapse(by_condition, conditions, out / "collapse.png")
    return summary


def _cell(entry: dict[str, Any]) -> str:
    return f"{100 * entry['mean']:.1f} [{100 * entry['ci_low']:.1f}, {100 * entry['ci_high']:.1f}]"


def format_table(summary: dict[str, Any]) -> str:
    """The Markdown table: linear top-1 (%) overall and per frequency bin, with the collapse diagnostics."""
    settings = summary["settings"]
    lines = [
        f"Linear-evaluation top-1 (%) on held-out balanced glyphs ({settings['num_classes']} classes, "
        f"preset `{settings['preset']}`, {settings['steps']} pre-training steps of batch {settings['batch_size']}; "
        f"{settings.get('optimizer')} lr {settings.get('lr')}, predictor lr x{settings.get('predictor_lr_scale')}, "
        f"base tau {settings.get('base_tau')}). "
        "Cells: IQM over seeds [95% stratified-bootstrap CI]. Class c has rank c + 1; the bins are ranks "
        "1-20% (common), the middle 60% (medium) and the last 20% (rare) of the Zipf order, so under "
        "`uniform` pre-training the same class sets serve as a control. GN/LN layers (GN+WS, GN, LN) start "
        "with gamma and beta set from one batch so that each channel is zero-mean, unit-variance across the "
        "data, as under BN (`--norm-init data`), unless the row says otherwise.",
        "",
        "| condition | seeds | all | common | medium | rare | rare - common (pts) | proj. std (final) | kNN (final) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["rows"]:
        evals = row["linear_eval"]
        gap = row["rare_minus_common"]
        gap_text = "n/a" if gap is None else f"{100 * gap['mean']:+.1f}"
        cells = " | ".join(_cell(evals[g]) for g in GROUPS)
        lines.append(
            f"| {row['label']} | {len(row['seeds'])} | {cells} | {gap_text} | "
            f"{row['final_projection_std']:.3f} | {100 * row['final_knn_accuracy']:.1f} |"
        )
    lines += ["", f"Ran on: {'; '.join(summary['environment'])}.", ""]
    return "\n".join(lines)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as exc:
        raise StudyError('plots need matplotlib: pip install "zipfian-envs[studies]"') from exc
    return pyplot


def plot_accuracy(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Grouped bars: linear top-1 per condition and frequency bin, with bootstrap error bars."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(max(6.0, 1.3 * len(rows) + 2), 4.2))
    width = 0.8 / len(GROUPS)
    x = np.arange(len(rows))
    for i, group in enumerate(GROUPS):
        means = np.array([100 * r["linear_eval"][group]["mean"] for r in rows])
        low = np.array([100 * r["linear_eval"][group]["ci_low"] for r in rows])
        high = np.array([100 * r["linear_eval"][group]["ci_high"] for r in rows])
        ax.bar(x + (i - 1.5) * width, means, width, label=group, yerr=[means - low, high - means], capsize=2)
    ax.set_xticks(x, [r["label"].replace(" (", "\n(") for r in rows], fontsize=8)
    ax.set_ylabel("linear top-1 (%)")
    ax.set_title("Linear evaluation by pre-training frequency bin (IQM over seeds, 95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_collapse(by_condition: dict[str, list[dict[str, Any]]], conditions: Sequence[str], path: Path) -> None:
    """Collapse diagnostics over training steps: projection std (with 1/sqrt(d)) and kNN accuracy."""
    plt = _pyplot()
    fig, (ax_std, ax_knn) = plt.subplots(1, 2, figsize=(11, 4))
    for index, condition in enumerate(conditions):
        trials = by_condition[condition]
        if trials[0]["config"]["method"] == "random":
            continue
        color = f"C{index}"
        for j, trial in enumerate(trials):
            history = trial["history"]
            label = condition_label(condition.removesuffix(DEFAULT_INIT_SUFFIX)) if j == 0 else None
            if label is not None and condition.endswith(DEFAULT_INIT_SUFFIX):
                label = label.replace(" (", ", gamma 1 / beta 0 init (", 1)
            ax_std.plot(history["step"], history["projection_std"], color=color, alpha=0.8, label=label)
            ax_knn.plot(history["step"], 100 * np.asarray(history["knn_accuracy"]), color=color, alpha=0.8)
    dim = by_condition[conditions[0]][0]["config"]["projection_dim"]
    ax_std.axhline(1 / np.sqrt(dim), color="gray", linestyle="--", linewidth=1, label=f"1/sqrt({dim})")
    ax_std.set_xlabel("step")
    ax_std.set_ylabel("std of L2-normalised projections")
    ax_std.set_yscale("symlog", linthresh=1e-3)
    ax_std.set_title("Collapse diagnostic (0 = collapsed)")
    ax_knn.set_xlabel("step")
    ax_knn.set_ylabel("kNN top-1 (%) on watched classes")
    ax_knn.set_title("kNN accuracy during pre-training")
    ax_std.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

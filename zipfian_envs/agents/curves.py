"""Learning curves from ``zipfian-train`` runs: ``python -m zipfian_envs.agents.curves``.

Reads each run's ``eval.csv`` (periodic harness evaluations, written with ``--eval-every``) and
plots success per frequency bin against environment steps, one panel per protocol: the training
distribution (zipfian), uniform targets split into the common / medium / rare bins, and rare-only
targets. Runs are grouped (``--group LABEL=GLOB``); a group's line is the mean over its runs and the
band spans the runs' minimum to maximum, so three seeds show their spread.

Example::

    python -m zipfian_envs.agents.curves --group "PPO symbolic=runs/gw_sym_s*" \\
        --out results/gridworld/plots/learning_curves.png
"""

from __future__ import annotations

import argparse
import csv
import glob
from collections import defaultdict
from pathlib import Path

import numpy as np

from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import atomic_save

# (panel title, protocol, column in eval.csv, line style)
PANELS: dict[str, list[tuple[str, str, str]]] = {
    "zipfian protocol (training distribution)": [("zipfian", "success", "-")],
    "uniform protocol, by frequency bin": [
        ("uniform", "success_common", "-"),
        ("uniform", "success_medium", "--"),
        ("uniform", "success_rare", ":"),
    ],
    "rare protocol (last 20% of ranks)": [("rare", "success", "-")],
}


# eval.csv column prefixes that curves can plot, and their axis labels.
METRICS = ("success", "normalized_score")
AXIS_LABELS = {"success": "success rate", "normalized_score": "normalised score (0 random, 1 oracle)"}


def read_eval_csv(path: Path, snap: int = 0) -> dict[tuple[str, str], dict[int, float]]:
    """``{(protocol, column): {timesteps: value}}`` from one run's ``eval.csv`` (empty cells skipped).

    ``snap > 0`` rounds each evaluation's steps to the nearest multiple of ``snap``, so runs whose
    evaluations land a little past the scheduled point (RLlib's asynchronous APPO/IMPALA) line up.
    """
    out: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            steps = int(row["timesteps"])
            if snap > 0:
                steps = round(steps / snap) * snap
            for column, value in row.items():
                if column.startswith(METRICS) and value not in ("", None):
                    out[(row["protocol"], column)][steps] = float(value)
    return out


def group_curve(runs: list[dict[tuple[str, str], dict[int, float]]], key: tuple[str, str]) -> tuple[np.ndarray, ...]:
    """Steps and the mean, minimum and maximum over runs at the steps every run evaluated."""
    series = [run.get(key, {}) for run in runs]
    common = sorted(set.intersection(*(set(s) for s in series))) if series else []
    values = np.array([[s[t] for t in common] for s in series], dtype=float).reshape(len(series), len(common))
    if not common:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)
    return np.array(common), values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def plot_curves(
    groups: dict[str, list[Path]], out: Path, title: str | None = None, snap: int = 0, metric: str = "success"
) -> Path:
    """One PNG: a panel per protocol, a colour per group, a line style per frequency bin; ``metric`` from METRICS."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; valid: {', '.join(METRICS)}")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4), dpi=110)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(PANELS), sharey=True)
    colours = [f"C{i}" for i in range(10)]
    for (label, dirs), colour in zip(groups.items(), colours):
        runs = [read_eval_csv(d / "eval.csv", snap) for d in dirs]
        for ax, (panel, lines) in zip(axes, PANELS.items()):
            for protocol, success_column, style in lines:
                column = success_column.replace("success", metric, 1)
                steps, mean, low, high = group_curve(runs, (protocol, column))
                if steps.size == 0:
                    continue
                bin_name = column.removeprefix(f"{metric}_") if column != metric else ""
                if column in (metric, f"{metric}_common"):
                    line_label = f"{label} ({len(runs)} runs)" + (f": {bin_name}" if bin_name else "")
                else:
                    line_label = bin_name
                ax.plot(steps / 1e6, mean, style, color=colour, lw=1.6, marker="o", ms=2.5, label=line_label)
                ax.fill_between(steps / 1e6, low, high, color=colour, alpha=0.15, lw=0)
            ax.set_title(panel, fontsize=10)
            ax.set_xlabel("environment steps (millions)")
            ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"{AXIS_LABELS[metric]} (greedy actions)")
    if metric == "success":
        axes[0].set_ylim(-0.02, 1.02)
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:  # a protocol no run evaluated has nothing to label
            ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    atomic_save(out, fig.savefig)
    return out


def parse_groups(items: list[str], parser: argparse.ArgumentParser) -> dict[str, list[Path]]:
    """``LABEL=GLOB`` pairs to run folders that hold an ``eval.csv``."""
    groups: dict[str, list[Path]] = {}
    for item in items:
        label, sep, pattern = item.partition("=")
        if not sep or not label or not pattern:
            parser.error(f"--group expects LABEL=GLOB, got {item!r}")
        dirs = sorted(Path(p) for p in glob.glob(pattern) if (Path(p) / "eval.csv").is_file())
        if not dirs:
            parser.error(f"--group {label!r}: no run folder with an eval.csv matches {pattern!r}")
        groups[label] = dirs
    return groups


def main(argv: list[str] | None = None) -> int:
    """Entry point: parse groups, plot, print the PNG path."""
    parser = OneLineParser(prog="python -m zipfian_envs.agents.curves", description=__doc__.splitlines()[0])
    parser.add_argument("--group", action="append", required=True, metavar="LABEL=GLOB", help="runs of one line")
    parser.add_argument("--out", type=Path, required=True, help="PNG path")
    parser.add_argument("--title", default=None)
    parser.add_argument("--snap", type=int, default=0, metavar="STEPS",
                        help="round evaluation steps to multiples of STEPS (an RLlib run's --eval-every)")  # fmt: skip
    parser.add_argument("--metric", choices=METRICS, default="success",
                        help="eval.csv column to plot: success, or the graded envs' normalized_score")  # fmt: skip
    args = parser.parse_args(argv)
    if args.snap < 0:
        parser.error(f"--snap must be >= 0, got {args.snap}")
    path = plot_curves(parse_groups(args.group, parser), args.out, args.title, args.snap, args.metric)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Success rates with seeded bootstrap confidence intervals: overall, per frequency bin, per rank.

One set of records (one training seed) -> :func:`summarize`: the mean success and a percentile
bootstrap interval from ``scipy.stats.bootstrap``. Several training seeds -> :func:`aggregate_seeds`:
the interquartile mean (IQM) of the per-seed rates, with a stratified bootstrap (each seed's
episodes resampled on their own, as rliable does), again through ``scipy.stats.bootstrap``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.core.stats import METHOD, N_RESAMPLES, iqm_interval, mean_interval
from zipfian_envs.evaluation.errors import EvaluationError

__all__ = ["METHOD", "N_RESAMPLES", "aggregate_seeds", "summarize"]

# Fixed per-group keys so each interval's random stream does not depend on which groups exist.
_BIN_KEYS = {"common": 1, "medium": 2, "rare": 3}
_RANK_KEY_OFFSET = 1000
# Graded envs also get their normalized score summarised; its intervals use their own random streams.
SCORE_KEY = "normalized_score"
_SCORE_KEY_OFFSET = 100_000


def _check(records: Sequence[dict[str, Any]]) -> int:
    """Validate the keys the summaries need; return the (single) number of items."""
    if not records:
        raise EvaluationError("no records to summarise")
    missing = {"item_rank", "num_items", "success"} - set(records[0])
    if missing:
        raise EvaluationError(f"records lack the keys {sorted(missing)}")
    sizes = {int(r["num_items"]) for r in records}
    if len(sizes) != 1:
        raise EvaluationError(f"records mix envs with different numbers of items: {sorted(sizes)}")
    return sizes.pop()


def _bin(record: dict[str, Any], num_items: int) -> str:
    return record.get("frequency_bin") or skew.frequency_bin(int(record["item_rank"]), num_items)


def _interval(outcomes: Sequence[float], key: int, seed: int, confidence: float, n_resamples: int) -> dict[str, Any]:
    """Mean success with a seeded percentile-bootstrap interval."""
    entry = mean_interval(outcomes, key, seed, confidence, n_resamples)
    return {"success": entry["mean"], "ci_low": entry["ci_low"], "ci_high": entry["ci_high"], "episodes": entry["n"]}


def _ratio(bins: dict[str, dict[str, Any]]) -> float | None:
    if "rare" not in bins or "common" not in bins or bins["common"]["success"] == 0:
        return None
    return bins["rare"]["success"] / bins["common"]["success"]


def _groups(
    records: Sequence[dict[str, Any]], num_items: int, metric: str = "success"
) -> dict[tuple[str, Any], list[float]]:
    """Outcomes (success, or a graded ``metric``) grouped as ('all', None), ('bin', name) and ('rank', r)."""
    groups: dict[tuple[str, Any], list[float]] = {("all", None): []}
    for name in skew.FREQUENCY_BINS:
        groups[("bin", name)] = []
    for rank in range(1, num_items + 1):
        groups[("rank", rank)] = []
    for record in records:
        outcome = float(bool(record["success"])) if metric == "success" else float(record[metric])
        groups[("all", None)].append(outcome)
        groups[("bin", _bin(record, num_items))].append(outcome)
        groups[("rank", int(record["item_rank"]))].append(outcome)
    return {key: values for key, values in groups.items() if values}


def _group_key(group: tuple[str, Any]) -> int:
    kind, value = group
    return 0 if kind == "all" else _BIN_KEYS[value] if kind == "bin" else _RANK_KEY_OFFSET + int(value)


def _assemble(intervals: dict[tuple[str, Any], dict[str, Any]], num_items: int) -> dict[str, Any]:
    bins = {value: entry for (kind, value), entry in intervals.items() if kind == "bin"}
    ranks = [
        {"rank": value, "frequency_bin": skew.frequency_bin(value, num_items), **entry}
        for (kind, value), entry in intervals.items()
        if kind == "rank"
    ]
    return {
        "num_items": num_items,
        "success": intervals[("all", None)],
        "bins": bins,
        "ranks": ranks,
        "rare_success": bins["rare"]["success"] if "rare" in bins else None,
        "rare_common_ratio": _ratio(bins),
    }


def _has_scores(records: Sequence[dict[str, Any]]) -> bool:
    """Whether every record carries a finite normalized score (graded envs such as the Labyrinth)."""
    values = [r.get(SCORE_KEY) for r in records]
    return all(v is not None and v != "" and np.isfinite(float(v)) for v in values)


def _score_block(intervals: dict[tuple[str, Any], dict[str, Any]], num_items: int) -> dict[str, Any]:
    """The normalized-score summary: the same layout as success, with ``mean`` for ``success``."""
    renamed = {g: {("mean" if k == "success" else k): v for k, v in e.items()} for g, e in intervals.items()}
    return {
        "overall": renamed[("all", None)],
        "bins": {value: entry for (kind, value), entry in renamed.items() if kind == "bin"},
        "ranks": [
            {"rank": value, "frequency_bin": skew.frequency_bin(value, num_items), **entry}
            for (kind, value), entry in renamed.items()
            if kind == "rank"
        ],
    }


def summarize(
    records: Sequence[dict[str, Any]], seed: int = 0, confidence: float = 0.95, n_resamples: int = N_RESAMPLES
) -> dict[str, Any]:
    """Success overall, per frequency bin and per rank, each with a seeded bootstrap interval.

    Also the mean return and length, the rare-bin success (the leaderboard headline) and the
    rare/common ratio (None when a bin is absent or common success is 0). When every record has a
    ``normalized_score`` (the Labyrinth), ``summary["normalized_score"]`` holds its mean overall, per
    bin and per rank with the same kind of intervals.
    """
    num_items = _check(records)
    groups = _groups(records, num_items)
    intervals = {g: _interval(v, _group_key(g), seed, confidence, n_resamples) for g, v in groups.items()}
    summary = {"episodes": len(records), **_assemble(intervals, num_items)}
    summary["mean_return"] = float(np.mean([float(r.get("return") or 0.0) for r in records]))
    summary["mean_length"] = float(np.mean([float(r.get("length") or 0) for r in records]))
    if _has_scores(records):
        scores = _groups(records, num_items, SCORE_KEY)
        summary[SCORE_KEY] = _score_block(
            {
                g: _interval(v, _SCORE_KEY_OFFSET + _group_key(g), seed, confidence, n_resamples)
                for g, v in scores.items()
            },
            num_items,
        )
    summary["confidence"] = confidence
    summary["bootstrap"] = {"method": METHOD, "n_resamples": n_resamples, "seed": seed}
    return summary


def _iqm_interval(
    per_run: list[list[float]], key: int, seed: int, confidence: float, n_resamples: int
) -> dict[str, Any]:
    """IQM of per-run rates with a stratified bootstrap: every run's episodes resampled on their own."""
    entry = iqm_interval(per_run, key, seed, confidence, n_resamples)
    return {
        "success": entry["mean"],
        "ci_low": entry["ci_low"],
        "ci_high": entry["ci_high"],
        "episodes": entry["n"],
        "runs": entry["runs"],
        "per_run": entry["per_run"],
    }


def aggregate_seeds(
    runs: Sequence[Sequence[dict[str, Any]]], seed: int = 0, confidence: float = 0.95, n_resamples: int = N_RESAMPLES
) -> dict[str, Any]:
    """Aggregate several training seeds' records: IQM of per-seed success with stratified bootstrap CIs.

    Same layout as :func:`summarize` (``success``, ``bins``, ``ranks``, ``rare_success``,
    ``rare_common_ratio``), each entry also listing the per-run rates. A group (bin or rank) uses
    the runs that have episodes in it.
    """
    if not runs:
        raise EvaluationError("no runs to aggregate")
    sizes = {_check(records) for records in runs}
    if len(sizes) != 1:
        raise EvaluationError(f"runs come from envs with different numbers of items: {sorted(sizes)}")
    num_items = sizes.pop()
    per_group: dict[tuple[str, Any], list[list[float]]] = {}
    for records in runs:
        for group, outcomes in _groups(records, num_items).items():
            per_group.setdefault(group, []).append(outcomes)
    order = sorted(per_group, key=_group_key)
    intervals = {g: _iqm_interval(per_group[g], _group_key(g), seed, confidence, n_resamples) for g in order}
    aggregate = {"runs": len(runs), "episodes": sum(len(r) for r in runs), **_assemble(intervals, num_items)}
    if all(_has_scores(records) for records in runs):
        per_score: dict[tuple[str, Any], list[list[float]]] = {}
        for records in runs:
            for group, values in _groups(records, num_items, SCORE_KEY).items():
                per_score.setdefault(group, []).append(values)
        aggregate[SCORE_KEY] = _score_block(
            {
                g: _iqm_interval(per_score[g], _SCORE_KEY_OFFSET + _group_key(g), seed, confidence, n_resamples)
                for g in sorted(per_score, key=_group_key)
            },
            num_items,
        )
    aggregate["confidence"] = confidence
    aggregate["bootstrap"] = {
        "method": METHOD,
        "n_resamples": n_resamples,
        "seed": seed,
        "statistic": "iqm",
        "stratified": True,
    }
    return aggregate

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
from scipy import stats

from zipfian_envs import skew
from zipfian_envs.evaluation.errors import EvaluationError

N_RESAMPLES = 2000
# Percentile, not BCa: BCa's jackknife builds an n x (n - 1) array (800 MB at n = 10,000 episodes)
# and returns NaN when every episode has the same outcome (an oracle scores 100%).
METHOD = "percentile"
# Resamples evaluated per vectorised batch, to bound memory on large record sets.
_BATCH = 250
# Fixed per-group keys so each interval's random stream does not depend on which groups exist.
_BIN_KEYS = {"common": 1, "medium": 2, "rare": 3}
_RANK_KEY_OFFSET = 1000


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


def _as_sample(values: Sequence[float]) -> np.ndarray:
    sample = np.asarray(values, dtype=np.float64)
    # scipy needs >= 2 observations; resampling [x] or [x, x] gives x every time, so this is exact.
    return np.repeat(sample, 2) if sample.size == 1 else sample


def _bootstrap(samples: tuple[np.ndarray, ...], statistic, key: int, seed: int, confidence: float, n_resamples: int):
    """Seeded percentile-bootstrap (low, high) of ``statistic``; several samples resample independently."""
    result = stats.bootstrap(
        samples,
        statistic,
        n_resamples=n_resamples,
        batch=_BATCH,
        vectorized=True,
        confidence_level=confidence,
        method=METHOD,
        rng=np.random.default_rng([seed, key]),
    )
    return result.confidence_interval


def _interval(outcomes: Sequence[float], key: int, seed: int, confidence: float, n_resamples: int) -> dict[str, Any]:
    """Mean success with a seeded percentile-bootstrap interval."""
    low, high = _bootstrap((_as_sample(outcomes),), np.mean, key, seed, confidence, n_resamples)
    return {
        "success": float(np.mean(outcomes)),
        "ci_low": float(low),
        "ci_high": float(high),
        "episodes": len(outcomes),
    }


def _ratio(bins: dict[str, dict[str, Any]]) -> float | None:
    if "rare" not in bins or "common" not in bins or bins["common"]["success"] == 0:
        return None
    return bins["rare"]["success"] / bins["common"]["success"]


def _groups(records: Sequence[dict[str, Any]], num_items: int) -> dict[tuple[str, Any], list[float]]:
    """Success outcomes grouped as ('all', None), ('bin', name) and ('rank', r), in a stable order."""
    groups: dict[tuple[str, Any], list[float]] = {("all", None): []}
    for name in skew.FREQUENCY_BINS:
        groups[("bin", name)] = []
    for rank in range(1, num_items + 1):
        groups[("rank", rank)] = []
    for record in records:
        outcome = float(bool(record["success"]))
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


def summarize(
    records: Sequence[dict[str, Any]], seed: int = 0, confidence: float = 0.95, n_resamples: int = N_RESAMPLES
) -> dict[str, Any]:
    """Success overall, per frequency bin and per rank, each with a seeded bootstrap interval.

    Also the mean return and length, the rare-bin success (the leaderboard headline) and the
    rare/common ratio (None when a bin is absent or common success is 0).
    """
    num_items = _check(records)
    groups = _groups(records, num_items)
    intervals = {g: _interval(v, _group_key(g), seed, confidence, n_resamples) for g, v in groups.items()}
    summary = {"episodes": len(records), **_assemble(intervals, num_items)}
    summary["mean_return"] = float(np.mean([float(r.get("return") or 0.0) for r in records]))
    summary["mean_length"] = float(np.mean([float(r.get("length") or 0) for r in records]))
    summary["confidence"] = confidence
    summary["bootstrap"] = {"method": METHOD, "n_resamples": n_resamples, "seed": seed}
    return summary


def _iqm_of_means(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    """IQM across seeds of each seed's success rate (vectorised over bootstrap resamples)."""
    means = np.stack([np.mean(sample, axis=axis) for sample in samples], axis=-1)
    return stats.trim_mean(means, 0.25, axis=-1)


def _iqm_interval(
    per_run: list[list[float]], key: int, seed: int, confidence: float, n_resamples: int
) -> dict[str, Any]:
    """IQM of per-run rates with a stratified bootstrap: every run's episodes resampled on their own."""
    samples = tuple(_as_sample(outcomes) for outcomes in per_run)
    low, high = _bootstrap(samples, _iqm_of_means, key, seed, confidence, n_resamples)
    rates = [float(np.mean(outcomes)) for outcomes in per_run]
    return {
        "success": float(stats.trim_mean(rates, 0.25)),
        "ci_low": float(low),
        "ci_high": float(high),
        "episodes": sum(len(outcomes) for outcomes in per_run),
        "runs": len(per_run),
        "per_run": rates,
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
    aggregate["confidence"] = confidence
    aggregate["bootstrap"] = {
        "method": METHOD,
        "n_resamples": n_resamples,
        "seed": seed,
        "statistic": "iqm",
        "stratified": True,
    }
    return aggregate

"""Seeded percentile-bootstrap intervals: the one bootstrap of the suite (scipy imported lazily).

The evaluation harness (:mod:`zipfian_envs.evaluation.summary`) and the companion studies build
their intervals from these helpers: :func:`bootstrap_interval` for any statistic over one or more
independently resampled samples, :func:`mean_interval` for a mean, and :func:`iqm_interval` for the
interquartile mean (IQM) of several runs' means with a stratified bootstrap (each run's outcomes
resampled on their own, as rliable does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

N_RESAMPLES = 2000
# Percentile, not BCa: BCa's jackknife builds an n x (n - 1) array (800 MB at n = 10,000 episodes)
# and returns NaN when every outcome is the same (an oracle scores 100%).
METHOD = "percentile"
# Resamples evaluated per vectorised batch, to bound memory on large samples.
_BATCH = 250


def _scipy_stats():
    try:
        from scipy import stats
    except ImportError as exc:  # scipy ships with the eval and studies extras
        raise ImportError('bootstrap intervals need scipy: pip install "zipfian-envs[eval]"') from exc
    return stats


def as_sample(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Float64 array of the outcomes; a single outcome is doubled (scipy needs >= 2, and the interval is exact)."""
    sample = np.asarray(values, dtype=np.float64)
    return np.repeat(sample, 2) if sample.size == 1 else sample


def bootstrap_interval(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    key: int,
    seed: int,
    confidence: float,
    n_resamples: int = N_RESAMPLES,
) -> tuple[float, float]:
    """Seeded percentile-bootstrap (low, high) of a vectorised ``statistic``; samples resample independently.

    ``key`` separates the random streams of different groups (bins, ranks) under one ``seed``, so an
    interval does not depend on which other groups exist.
    """
    result = _scipy_stats().bootstrap(
        samples,
        statistic,
        n_resamples=n_resamples,
        batch=_BATCH,
        vectorized=True,
        confidence_level=confidence,
        method=METHOD,
        rng=np.random.default_rng([seed, key]),
    )
    low, high = result.confidence_interval
    return float(low), float(high)


def mean_interval(
    outcomes: Sequence[float], key: int = 0, seed: int = 0, confidence: float = 0.95, n_resamples: int = N_RESAMPLES
) -> dict[str, Any]:
    """Mean of the outcomes with its bootstrap interval: ``{"mean", "ci_low", "ci_high", "n"}``."""
    low, high = bootstrap_interval((as_sample(outcomes),), np.mean, key, seed, confidence, n_resamples)
    return {"mean": float(np.mean(outcomes)), "ci_low": low, "ci_high": high, "n": len(outcomes)}


def iqm_of_means(*samples: np.ndarray, axis: int = -1) -> np.ndarray:
    """IQM across runs of each run's mean (vectorised over bootstrap resamples)."""
    means = np.stack([np.mean(sample, axis=axis) for sample in samples], axis=-1)
    return _scipy_stats().trim_mean(means, 0.25, axis=-1)


def iqm_interval(
    per_run: Sequence[Sequence[float] | np.ndarray],
    key: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, Any]:
    """IQM of the runs' means with a stratified bootstrap: ``{"mean", "ci_low", "ci_high", "n", "runs", "per_run"}``."""
    samples = tuple(as_sample(outcomes) for outcomes in per_run)
    low, high = bootstrap_interval(samples, iqm_of_means, key, seed, confidence, n_resamples)
    rates = [float(np.mean(outcomes)) for outcomes in per_run]
    return {
        "mean": float(_scipy_stats().trim_mean(rates, 0.25)),
        "ci_low": low,
        "ci_high": high,
        "n": sum(len(outcomes) for outcomes in per_run),
        "runs": len(per_run),
        "per_run": rates,
    }

"""The result JSON's schema (version 1, docs/evaluation.md "Result files") as checks, which every reader applies.

:func:`validate_result` walks a loaded result and raises :class:`SchemaError` naming the file and the
field (``protocols.rare.summary.success.ci_low``) for a missing key, a wrong type, a rate outside
[0, 1], a number that is not finite, an interval that does not hold its value or a negative count, so
no impossible result (success 5.0, NaN, inverted intervals) reaches a leaderboard.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from zipfian_envs.core.skew import FREQUENCY_BINS
from zipfian_envs.evaluation.errors import SchemaError

# Bootstrap bounds are computed apart from the value; allow float rounding when checking lo <= value <= hi.
TOLERANCE = 1e-9
TOP_KEYS = ("schema_version", "kind", "env_id", "level", "env_kwargs", "env_config", "policy", "seeds",
            "train_seeds", "episodes", "protocols", "headline", "files")  # fmt: skip
ESTIMATE_KEYS = ("episodes", "num_items", "success", "bins", "ranks")
ENTRY_KEYS = ("success", "ci_low", "ci_high", "episodes")
HEADLINE_KEYS = ("rare_success", "rare_ci", "common_success", "rare_common_ratio")


class _Checker:
    """Checks of one file's values; each failure names ``path`` and the dotted field."""

    def __init__(self, path: str | Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str, value: Any) -> SchemaError:
        """The error for ``field``: ``<file>: field <field> <problem>, got <value>``."""
        shown = repr(value)
        return SchemaError(f"{self.path}: field {field} {problem}, got {shown[:80]}")

    def table(self, value: Any, field: str, keys: tuple[str, ...] = ()) -> dict[str, Any]:
        """``value`` as a dict holding ``keys``."""
        if not isinstance(value, dict):
            raise self.fail(field, "must be a table (JSON object)", value)
        for key in keys:
            if key not in value:
                raise SchemaError(f"{self.path}: field {field + '.' if field else ''}{key} is missing")
        return value

    def number(self, value: Any, field: str, low: float | None = None, high: float | None = None) -> float:
        """A finite real number in ``[low, high]`` (either bound optional); bools are not numbers."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(field, "must be a number", value)
        if not math.isfinite(value):
            raise self.fail(field, "must be finite", value)
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(field, f"must be in [{low}, {high}]" if high is not None else f"must be >= {low}", value)
        return float(value)

    def count(self, value: Any, field: str, low: int = 0) -> int:
        """An integer >= ``low``."""
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, "must be an integer", value)
        if value < low:
            raise self.fail(field, f"must be >= {low}", value)
        return value

    def rate(self, value: Any, field: str, optional: bool = False) -> float | None:
        """A rate in [0, 1] (or None when ``optional``)."""
        if value is None and optional:
            return None
        return self.number(value, field, 0.0, 1.0)

    def interval(self, low: float, value: float, high: float, field: str) -> None:
        """``low <= value <= high`` (up to float rounding)."""
        if not low - TOLERANCE <= value <= high + TOLERANCE:
            raise self.fail(field, "must hold its value (ci_low <= value <= ci_high)", [low, value, high])

    def entry(self, value: Any, field: str) -> None:
        """A success entry ``{success, ci_low, ci_high, episodes}`` (IQM entries add ``runs``, ``per_run``)."""
        entry = self.table(value, field, ENTRY_KEYS)
        rates = [self.rate(entry[k], f"{field}.{k}") for k in ("ci_low", "success", "ci_high")]
        low, success, high = (float(r or 0.0) for r in rates)
        self.interval(low, success, high, field)
        self.count(entry["episodes"], f"{field}.episodes")
        if "runs" in entry:
            self.count(entry["runs"], f"{field}.runs", 1)
        for index, run in enumerate(entry.get("per_run") or []):
            self.rate(run, f"{field}.per_run[{index}]")

    def estimate(self, value: Any, field: str) -> dict[str, Any]:
        """A summary or aggregate: counts, the overall entry, its bins, its ranks and the scalar summaries."""
        estimate = self.table(value, field, ESTIMATE_KEYS)
        self.count(estimate["episodes"], f"{field}.episodes")
        num_items = self.count(estimate["num_items"], f"{field}.num_items", 1)
        self.entry(estimate["success"], f"{field}.success")
        for name, entry in self.table(estimate["bins"], f"{field}.bins").items():
            if name not in FREQUENCY_BINS:
                raise self.fail(f"{field}.bins", f"has bin {name!r}; valid bins: {', '.join(FREQUENCY_BINS)}", name)
            self.entry(entry, f"{field}.bins.{name}")
        if not isinstance(estimate["ranks"], list):
            raise self.fail(f"{field}.ranks", "must be a list", estimate["ranks"])
        for index, row in enumerate(estimate["ranks"]):
            where = f"{field}.ranks[{index}]"
            self.entry(row, where)
            rank = self.count(self.table(row, where, ("rank",))["rank"], f"{where}.rank", 1)
            if rank > num_items:
                raise self.fail(f"{where}.rank", f"must be <= num_items {num_items}", rank)
        for key in ("rare_success",):
            if key in estimate:
                self.rate(estimate[key], f"{field}.{key}", optional=True)
        if estimate.get("rare_common_ratio") is not None:
            self.number(estimate["rare_common_ratio"], f"{field}.rare_common_ratio", 0.0)
        if "mean_length" in estimate:
            self.number(estimate["mean_length"], f"{field}.mean_length", 0.0)
        if "mean_return" in estimate:
            self.number(estimate["mean_return"], f"{field}.mean_return")
        if "confidence" in estimate:
            confidence = self.number(estimate["confidence"], f"{field}.confidence", 0.0, 1.0)
            if confidence in (0.0, 1.0):
                raise self.fail(f"{field}.confidence", "must be in (0, 1)", confidence)
        return estimate

    def headline(self, value: Any, field: str = "headline") -> None:
        """The headline: rare and common success, the rare interval and the rare/common ratio."""
        head = self.table(value, field, HEADLINE_KEYS)
        rare = self.rate(head["rare_success"], f"{field}.rare_success", optional=True)
        self.rate(head["common_success"], f"{field}.common_success", optional=True)
        if head["rare_common_ratio"] is not None:
            self.number(head["rare_common_ratio"], f"{field}.rare_common_ratio", 0.0)
        ci = head["rare_ci"]
        if ci is not None:
            if not isinstance(ci, list) or len(ci) != 2:
                raise self.fail(f"{field}.rare_ci", "must be null or [low, high]", ci)
            low, high = (float(self.rate(v, f"{field}.rare_ci[{i}]") or 0.0) for i, v in enumerate(ci))
            self.interval(low, low if rare is None else rare, high, f"{field}.rare_ci")


def validate_result(result: Any, path: str | Path) -> dict[str, Any]:
    """Check a loaded result document against schema version 1; returns it, or raises SchemaError naming the field."""
    check = _Checker(path)
    doc = check.table(result, "", TOP_KEYS)
    for key in ("env_id", "policy"):
        if not isinstance(doc[key], str) or not doc[key]:
            raise check.fail(key, "must be a non-empty string", doc[key])
    if doc["level"] is not None and not isinstance(doc["level"], str):
        raise check.fail("level", "must be a string or null", doc["level"])
    check.table(doc["env_kwargs"], "env_kwargs")
    config = check.table(doc["env_config"], "env_config", ("entry_point", "kwargs"))
    check.table(config["kwargs"], "env_config.kwargs")
    for key in ("seeds", "train_seeds"):
        if not isinstance(doc[key], list):
            raise check.fail(key, "must be a list", doc[key])
    for index, seed in enumerate(doc["seeds"]):
        check.count(seed, f"seeds[{index}]")
    if doc.get("min_episodes_per_rank") is not None:
        check.count(doc["min_episodes_per_rank"], "min_episodes_per_rank")
    protocols = check.table(doc["protocols"], "protocols")
    if not protocols:
        raise check.fail("protocols", "must hold at least one protocol", protocols)
    episodes = check.table(doc["episodes"], "episodes")
    if set(episodes) != set(protocols):
        raise check.fail("episodes", f"must count the protocols {sorted(protocols)}", sorted(episodes))
    for name, entry in protocols.items():
        count = check.count(episodes[name], f"episodes.{name}")
        table = check.table(entry, f"protocols.{name}", ("summary",))
        summary = check.estimate(table["summary"], f"protocols.{name}.summary")
        if summary["episodes"] != count:
            raise check.fail(f"protocols.{name}.summary.episodes", f"must equal episodes.{name} ({count})",
                             summary["episodes"])  # fmt: skip
        if "aggregate" in table:
            check.estimate(table["aggregate"], f"protocols.{name}.aggregate")
    check.headline(doc["headline"])
    files = check.table(doc["files"], "files", ("records",))
    for key in ("records", "plot"):
        if files.get(key) is not None and not isinstance(files[key], str):
            raise check.fail(f"files.{key}", "must be a path string or null", files[key])
    return doc

"""Training callbacks: a tqdm progress bar and periodic evaluation through the harness (CSV log)."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from tqdm.auto import tqdm

from zipfian_envs.core.files import atomic_save, atomic_write
from zipfian_envs.core.skew import FREQUENCY_BINS

EVAL_FIELDS = (
    "timesteps", "wall_s", "protocol", "episodes", "success", *(f"success_{b}" for b in FREQUENCY_BINS),
    "normalized_score", *(f"normalized_score_{b}" for b in FREQUENCY_BINS),
)  # fmt: skip


def checkpoint_path(folder: Path, steps: int) -> Path:
    """Where a checkpoint of ``steps`` steps goes (the name ``zipfian-sweep --resume`` looks for)."""
    return folder / f"model_{steps}_steps.zip"


class AtomicCheckpointCallback(BaseCallback):
    """Save the model every ``save_freq`` calls, each checkpoint written atomically (never a cut zip)."""

    def __init__(self, save_freq: int, save_path: Path) -> None:
        super().__init__()
        self.save_freq, self.save_path = save_freq, Path(save_path)

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq == 0:
            atomic_save(checkpoint_path(self.save_path, self.num_timesteps), self.model.save)
        return True


class TqdmCallback(BaseCallback):
    """A tqdm bar over environment steps (SB3's own bar needs ``rich``, which is not a dependency)."""

    def __init__(self, total: int, initial: int = 0, disable: bool = False) -> None:
        super().__init__()
        self.total, self.initial, self.disable = total, initial, disable
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        self.bar = tqdm(total=self.total, initial=self.initial, unit="step", disable=self.disable, mininterval=2.0)

    def _on_step(self) -> bool:
        assert self.bar is not None
        self.bar.update(self.model.num_timesteps - self.bar.n)
        return True

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.update(self.model.num_timesteps - self.bar.n)
            self.bar.close()


def success_by_bin(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Success rate overall and per frequency bin (None for a bin with no episodes)."""
    out: dict[str, float | None] = {"success": _mean([bool(r["success"]) for r in records])}
    for name in FREQUENCY_BINS:
        out[f"success_{name}"] = _mean([bool(r["success"]) for r in records if r.get("frequency_bin") == name])
    return out


def score_by_bin(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean normalised score overall and per frequency bin; empty for envs without a graded score."""
    if not records or any("normalized_score" not in r for r in records):
        return {}
    out = {"normalized_score": _mean([float(r["normalized_score"]) for r in records])}
    for name in FREQUENCY_BINS:
        scores = [float(r["normalized_score"]) for r in records if r.get("frequency_bin") == name]
        out[f"normalized_score_{name}"] = _mean(scores)
    return out


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


class HarnessEvalCallback(BaseCallback):
    """Every ``eval_every`` steps, evaluate the model with ``evaluate_fn`` and append rows to a CSV.

    ``evaluate_fn(model, seed)`` returns ``{protocol: records}``; one row per protocol gets the
    success rate overall and on common / medium / rare targets (and the mean normalised score, where
    the env grades episodes: the Labyrinth).
    """

    def __init__(
        self,
        evaluate_fn: Callable[[Any, int], dict[str, list[dict[str, Any]]]],
        eval_every: int,
        csv_path: Path,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.evaluate_fn, self.eval_every, self.csv_path, self.seed = evaluate_fn, eval_every, Path(csv_path), seed
        self.last_eval = 0
        self.start = time.perf_counter()
        self.history: list[dict[str, Any]] = []

    def _on_training_start(self) -> None:
        self.last_eval = self.model.num_timesteps
        if not self.history:  # after evaluations of an imitation phase, wall time runs on from them
            self.start = time.perf_counter()

    def _on_step(self) -> bool:
        if self.model.num_timesteps - self.last_eval >= self.eval_every:
            self.last_eval = self.model.num_timesteps
            self.run_eval()
        return True

    def run_eval(self) -> list[dict[str, Any]]:
        """Evaluate now, log to CSV (and the SB3 logger) and return the rows written."""
        by_protocol = self.evaluate_fn(self.model, self.seed + len(self.history))
        rows = []
        for protocol, records in by_protocol.items():
            row = {
                "timesteps": self.model.num_timesteps,
                "wall_s": round(time.perf_counter() - self.start, 1),
                "protocol": protocol,
                "episodes": len(records),
                **success_by_bin(records),
                **score_by_bin(records),
            }
            rows.append(row)
            for key in EVAL_FIELDS[4:]:
                if row.get(key) is not None:
                    self.logger.record(f"eval/{protocol}/{key}", row[key])
        append_csv(self.csv_path, rows)
        self.history.append({"timesteps": self.model.num_timesteps, "rows": rows})
        return rows


def append_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    """Append rows with :data:`EVAL_FIELDS` to a CSV, writing the header for a new file.

    The file is rewritten whole (it holds a few rows per evaluation) so that the append is atomic.
    """
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(old)
        writer = csv.DictWriter(handle, fieldnames=EVAL_FIELDS)
        if not old:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in EVAL_FIELDS})

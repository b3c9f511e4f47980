"""Presets, the sweep's cells, and running many runs in parallel processes (one result file per run).

The ``small`` sweep holds the cells the paper's findings need: burstiness 0 / 0.5 / 0.9 at uniform
classes; Zipf exponent 0 / 0.5 / 1 / 2 at burstiness 0.9 (exponent 0 is the 0.9 cell above; 0.5 helps
locate where ICL gives way to IWL at this scale); the LSTM at burstiness 0.9 with exponents 0 and 1.
Runs whose file already exists are skipped (``force`` redoes them), so an interrupted sweep resumes,
and :func:`~zipfian_envs.studies.icl.results.report` merges whatever is there.
"""

from __future__ import annotations

import dataclasses
import os
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zipfian_envs.studies import StudyError
from zipfian_envs.studies.icl.data import DataConfig
from zipfian_envs.studies.icl.results import cell_name, load_run, run_path, write_run
from zipfian_envs.studies.icl.train import RunConfig

# small: one run takes at most 5 minutes on one CPU core (see the README for the measured time).
# tiny: a smoke test of the whole pipeline in seconds.
PRESETS: dict[str, RunConfig] = {
    "small": RunConfig(),
    "tiny": RunConfig(
        data=DataConfig(rare_classes=32, heldout_classes=8, num_labels=8, dim=16),
        layers=1, heads=2, d_model=16, steps=20, batch_size=8, warmup=5, eval_every=10, eval_sequences=32,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Cell:
    """One sweep cell: the model and the data settings that differ from the preset."""

    model: str
    p_bursty: float
    zipf_exponent: float


SWEEP_CELLS: tuple[Cell, ...] = (
    Cell("transformer", 0.0, 0.0),
    Cell("transformer", 0.5, 0.0),
    Cell("transformer", 0.9, 0.0),
    Cell("transformer", 0.9, 0.5),
    Cell("transformer", 0.9, 1.0),
    Cell("transformer", 0.9, 2.0),
    Cell("lstm", 0.9, 0.0),
    Cell("lstm", 0.9, 1.0),
)


def preset(name: str) -> RunConfig:
    """The named preset; an unknown name lists the valid ones."""
    if name not in PRESETS:
        raise StudyError(f"unknown preset {name!r}; valid: {', '.join(PRESETS)}")
    return PRESETS[name]


def cell_config(base: RunConfig, cell: Cell, seed: int, device: str) -> RunConfig:
    """The preset with a cell's model, burstiness and exponent, a seed and a device."""
    data = dataclasses.replace(base.data, p_bursty=cell.p_bursty, zipf_exponent=cell.zipf_exponent)
    return dataclasses.replace(base, data=data, model=cell.model, seed=seed, device=device).validate()


def select_cells(names: Sequence[str] | None) -> list[Cell]:
    """All sweep cells, or those named (by :func:`cell_name` of the small preset's settings)."""
    if not names:
        return list(SWEEP_CELLS)
    by_name = {cell_name(cell_config(PRESETS["small"], c, 0, "cpu").to_dict()): c for c in SWEEP_CELLS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise StudyError(f"unknown cell(s) {', '.join(unknown)}; valid: {', '.join(by_name)}")
    return [by_name[n] for n in names]


def _limit_threads() -> None:
    """Worker start-up: one torch CPU thread per process, so N jobs use N cores."""
    import torch

    torch.set_num_threads(1)


def run_one(config_dict: dict[str, Any], out: str, progress: bool = False) -> dict[str, Any]:
    """Train one run and write its file; returns ``{"path", "cell", "seed", "wall_seconds", ...}`` or an error."""
    from zipfian_envs.studies.icl.train import train

    config = RunConfig.from_dict(config_dict)
    try:
        result = train(config, progress=progress)
    except Exception as exc:  # reported per run; the other runs of the sweep go on
        return {"cell": cell_name(config_dict), "seed": config.seed, "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()}  # fmt: skip
    path = write_run(result, out)
    return {"path": str(path), "cell": cell_name(config_dict), "seed": config.seed,
            "wall_seconds": result["wall_seconds"], "cpu_seconds": result["cpu_seconds"]}  # fmt: skip


def plan(base: RunConfig, cells: Sequence[Cell], seeds: Sequence[int], device: str, out: str | Path,
         force: bool = False) -> tuple[list[RunConfig], list[RunConfig]]:  # fmt: skip
    """(runs to do, runs already on disk) for the cells x seeds."""
    todo, done = [], []
    for cell in cells:
        for seed in seeds:
            config = cell_config(base, cell, seed, device)
            path = run_path(out, config.to_dict())
            if force or not path.exists():
                todo.append(config)
                continue
            stored = dict(load_run(path)["config"], device=device)
            if stored != config.to_dict():
                raise StudyError(f"{path} holds a run with other settings; use --force to redo it or another --out")
            done.append(config)
    return todo, done


def run_sweep(configs: Sequence[RunConfig], out: str | Path, jobs: int = 1, progress: bool = True,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Run the configs, ``jobs`` at a time in spawned processes (in this process when ``jobs == 1``)."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise StudyError(f"jobs must be an integer >= 1, got {jobs!r}")
    from tqdm.auto import tqdm

    outcomes = []
    if jobs == 1:
        for config in configs:
            outcome = run_one(config.to_dict(), str(out), progress=progress)
            outcomes.append(outcome)
            if on_result:
                on_result(outcome)
        return outcomes
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    # Spawned workers inherit the environment: one OpenMP / BLAS thread each, set before they import numpy.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_limit_threads) as pool, tqdm(
        total=len(configs), unit="run", disable=not progress, desc="icl sweep"
    ) as bar:
        futures = [pool.submit(run_one, config.to_dict(), str(out)) for config in configs]
        for future in as_completed(futures):
            outcome = future.result()
            outcomes.append(outcome)
            bar.update(1)
            if on_result:
                on_result(outcome)
    return outcomes

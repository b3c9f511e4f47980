"""Measure every level's random and oracle mean scores: ``python -m zipfian_envs.labyrinth.calibrate``.

Plays ``--episodes`` seeded episodes per level with the uniform random policy and with the level's
scripted oracle, writes the means into ``zipfian_envs/labyrinth/scores.py`` (they define
``normalized_score``) and a Markdown table beside the DMLab human and random scores. Episodes are
played through the env's own reset and step, without drawing the observations (no policy here reads
them), which makes calibration several times faster. Episode ``e``
of every level and policy uses reset seed ``e``; the random policy's actions come from a generator
seeded with ``(seed, episode)``, so the figures are reproducible.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from zipfian_envs.core.checks import discrete_size
from zipfian_envs.core.types import FirstPersonObs
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.levels import LEVEL_ORDER, implemented_levels, load_level

SCORES_FILE = Path(__file__).with_name("scores.py")


class _UnrenderedEnv(LabyrinthEnv):
    """The Labyrinth env without drawing observations: neither the random policy nor the oracle reads them."""

    requires_calibration = False  # it is what measures the scores

    def _observe(self) -> FirstPersonObs:
        return {}  # no observation: nothing reads it


def play(level: str, policy: str, episode: int, seed: int = 0) -> dict[str, float]:
    """One seeded episode of ``level`` with ``policy`` (``random`` or ``oracle``): score, steps, seconds."""
    env = _UnrenderedEnv(level=level)
    env.reset(seed=episode)
    actions = np.random.default_rng([seed, episode])
    info: dict[str, Any] = {}
    start, steps, done = time.perf_counter(), 0, False
    while not done:
        action = env.oracle_action() if policy == "oracle" else int(actions.integers(discrete_size(env.action_space)))
        _, _, terminated, truncated, info = env.step(action)
        steps += 1
        done = terminated or truncated
    return {"score": float(info["score"]), "steps": steps, "seconds": time.perf_counter() - start}


def _job(args: tuple[str, str, int, int]) -> tuple[str, str, int, dict[str, float]]:
    level, policy, episode, seed = args
    return level, policy, episode, play(level, policy, episode, seed)


def calibrate(levels: list[str], episodes: int, workers: int, seed: int = 0) -> dict[str, dict[str, list[float]]]:
    """Scores of every (level, policy, episode), run across ``workers`` processes."""
    jobs = [(level, policy, e, seed) for level in levels for policy in ("random", "oracle") for e in range(episodes)]
    results: dict[str, dict[str, list[float]]] = {
        level: {"random": [0.0] * episodes, "oracle": [0.0] * episodes} for level in levels
    }
    done = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for level, policy, episode, outcome in pool.map(_job, jobs, chunksize=1):
            results[level][policy][episode] = outcome["score"]
            done += 1
            if done % 20 == 0 or done == len(jobs):
                print(f"{done}/{len(jobs)} episodes", file=sys.stderr, flush=True)
    return results


def write_scores(means: dict[str, tuple[float, float]], episodes: int) -> None:
    """Rewrite scores.py with the measured (random, oracle) means, in level order."""
    lines = [
        '"""Measured reference scores per level: (random policy mean, scripted oracle mean) over seeded episodes.',
        "",
        f"Written by ``python -m zipfian_envs.labyrinth.calibrate --episodes {episodes}``;",
        "they define ``normalized_score``.",
        '"""',
        "",
        "REFERENCE_SCORES: dict[str, tuple[float, float]] = {",
    ]
    for name in LEVEL_ORDER:
        if name in means:
            random_mean, oracle_mean = means[name]
            lines.append(f'    "{name}": ({random_mean!r}, {oracle_mean!r}),')
    lines.append("}")
    SCORES_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def markdown_table(means: dict[str, tuple[float, float]]) -> str:
    """Per-level table: our random and oracle means beside DMLab's published human and random scores."""
    rows = [
        "| rank | level | limit (s) | random (ours) | oracle (ours) | DMLab human | DMLab random |",
        "|---|---|---|---|---|---|---|",
    ]
    for rank, name in enumerate(LEVEL_ORDER, start=1):
        if name not in means:
            continue
        level = load_level(name, calibrated=False)
        random_mean, oracle_mean = means[name]
        rows.append(
            f"| {rank} | {name} | {level.time_limit_s:g} | {random_mean:.2f} | {oracle_mean:.2f} | "
            f"{level.dmlab_human:g} | {level.dmlab_random:g} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m zipfian_envs.labyrinth.calibrate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--levels", nargs="*", help="levels to measure (default: every implemented level)")
    parser.add_argument("--episodes", type=int, default=20, help="seeded episodes per level and policy")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--table", type=Path, default=Path("results/labyrinth/levels.md"), help="Markdown table path")
    parser.add_argument("--json", type=Path, help="also write every episode's score here")
    parser.add_argument("--no-write", action="store_true", help="print only; leave scores.py unchanged")
    args = parser.parse_args(argv)
    levels = list(args.levels) if args.levels else list(implemented_levels())
    unknown = sorted(set(levels) - set(LEVEL_ORDER))
    if unknown:
        parser.error(f"unknown levels {unknown}; valid: {', '.join(LEVEL_ORDER)}")
    if args.episodes < 1 or args.workers < 1:
        parser.error(f"--episodes and --workers must be >= 1, got {args.episodes} and {args.workers}")
    results = calibrate(levels, args.episodes, args.workers)
    means = {name: (float(np.mean(r["random"])), float(np.mean(r["oracle"]))) for name, r in results.items()}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    table = markdown_table(means)
    print(table)
    if not args.no_write:
        from zipfian_envs.labyrinth.scores import REFERENCE_SCORES

        write_scores({**REFERENCE_SCORES, **means}, args.episodes)
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

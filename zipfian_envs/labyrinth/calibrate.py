"""Measure every level's random, oracle and trivial-policy scores: ``python -m zipfian_envs.labyrinth.calibrate``.

Plays ``--episodes`` seeded episodes per level with the uniform random policy and with the level's
scripted oracle, and ``--trivial-episodes`` with each policy of ``labyrinth.trivial`` (constant
actions, alternating pairs); writes the random and oracle means into
``zipfian_envs/labyrinth/scores.py`` (they define ``normalized_score``) with each level's best
trivial policy, and a Markdown table beside the DMLab human and random scores. Episodes are
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
from typing import Any, cast

import numpy as np

from zipfian_envs.core.checks import discrete_size
from zipfian_envs.core.types import FirstPersonObs
from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.labyrinth.level import Scene
from zipfian_envs.labyrinth.levels import LEVEL_ORDER, implemented_levels, load_level
from zipfian_envs.labyrinth.psychlab_common import ChanceAnswerer, PsychlabLevel, PsychlabState
from zipfian_envs.labyrinth.trivial import (
    CHANCE_POLICY,
    TRIVIAL_POLICIES,
    trivial_action,
    trivial_episode_count,
    trivial_policies,
)

SCORES_FILE = Path(__file__).with_name("scores.py")


class _UnrenderedEnv(LabyrinthEnv):
    """The Labyrinth env without drawing observations: neither the random policy nor the oracle reads them."""

    requires_calibration = False  # it is what measures the scores

    def _observe(self) -> FirstPersonObs:
        return {}  # no observation: nothing reads it


def play(level: str, policy: str, episode: int, seed: int = 0, time_limit_scale: float = 1.0) -> dict[str, float]:
    """One seeded episode of ``level`` with ``policy`` (random, oracle or a trivial one): score, steps, seconds."""
    valid = ("random", "oracle", *trivial_policies(load_level(level, calibrated=False).family))
    if policy not in valid:
        raise ValueError(f"unknown policy {policy!r} for {level}; valid: {', '.join(valid)}")
    env = _UnrenderedEnv(level=level, time_limit_scale=time_limit_scale)
    env.reset(seed=episode)
    actions = np.random.default_rng([seed, episode])
    chance = ChanceAnswerer(actions)
    info: dict[str, Any] = {}
    start, steps, done = time.perf_counter(), 0, False
    while not done:
        if policy == "oracle":
            action = env.oracle_action()
        elif policy == "random":
            action = int(actions.integers(discrete_size(env.action_space)))
        elif policy == CHANCE_POLICY:
            level_rules = env.current_level
            assert isinstance(level_rules, PsychlabLevel)
            action = chance.action(level_rules, cast(Scene[PsychlabState], env.scene))
        else:
            action = trivial_action(policy, steps)
        _, _, terminated, truncated, info = env.step(action)
        steps += 1
        done = terminated or truncated
    return {"score": float(info["score"]), "steps": steps, "seconds": time.perf_counter() - start}


def _job(args: tuple[str, str, int, int]) -> tuple[str, str, int, dict[str, float]]:
    level, policy, episode, seed = args
    return level, policy, episode, play(level, policy, episode, seed)


# One level's measured scores: "random" and "oracle" lists, "trivial" a list per trivial policy.
Results = dict[str, dict[str, Any]]


def calibrate(
    levels: list[str], episodes: int, workers: int, seed: int = 0, trivial_episodes: int = 0, reference: bool = True
) -> Results:
    """Scores of every (level, policy, episode), run across ``workers`` processes."""
    jobs: list[tuple[str, str, int, int]] = []
    results: Results = {level: {} for level in levels}
    for level in levels:
        if reference:
            results[level] = {"random": [0.0] * episodes, "oracle": [0.0] * episodes}
            jobs += [(level, policy, e, seed) for policy in ("random", "oracle") for e in range(episodes)]
        if trivial_episodes:
            rules = load_level(level, calibrated=False)
            count = trivial_episode_count(rules.max_steps, trivial_episodes)
            names = trivial_policies(rules.family)
            results[level]["trivial"] = {name: [0.0] * count for name in names}
            jobs += [(level, name, e, seed) for name in names for e in range(count)]
    done = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for level, policy, episode, outcome in pool.map(_job, jobs, chunksize=1):
            target = results[level]["trivial"] if policy not in ("random", "oracle") else results[level]
            target[policy][episode] = outcome["score"]
            done += 1
            if done % 20 == 0 or done == len(jobs):
                print(f"{done}/{len(jobs)} episodes", file=sys.stderr, flush=True)
    return results


def normalise(score: float, random_mean: float, oracle_mean: float) -> float:
    """(score - random) / (oracle - random), the env's ``normalized_score``."""
    return (score - random_mean) / (oracle_mean - random_mean)


def best_trivial(trivial: dict[str, list[float]]) -> tuple[str, float]:
    """The trivial policy with the highest mean score, and that mean (ties: the first in the fixed order)."""
    order = (*TRIVIAL_POLICIES, CHANCE_POLICY)
    means = {name: float(np.mean(trivial[name])) for name in order if name in trivial}
    best = max(means, key=lambda name: means[name])
    return best, means[best]


def write_scores(
    means: dict[str, tuple[float, float]], episodes: int, trivial: dict[str, tuple[str, float]], trivial_episodes: int
) -> None:
    """Rewrite scores.py with the measured (random, oracle) means and best trivial policies, in level order."""
    lines = [
        '"""Measured reference scores per level: (random policy mean, scripted oracle mean) over seeded episodes.',
        "",
        f"Written by ``python -m zipfian_envs.labyrinth.calibrate --episodes {episodes} "
        f"--trivial-episodes {trivial_episodes}``;",
        "they define ``normalized_score``. ``TRIVIAL_SCORES``: each level's best trivial policy",
        "(``labyrinth.trivial``) and its mean score, for the table and the trivial-policy tests.",
        '"""',
        "",
        "REFERENCE_SCORES: dict[str, tuple[float, float]] = {",
    ]
    for name in LEVEL_ORDER:
        if name in means:
            random_mean, oracle_mean = means[name]
            lines.append(f'    "{name}": ({random_mean!r}, {oracle_mean!r}),')
    lines += ["}", "", "TRIVIAL_SCORES: dict[str, tuple[str, float]] = {"]
    for name in LEVEL_ORDER:
        if name in trivial:
            policy, mean = trivial[name]
            lines.append(f'    "{name}": ("{policy}", {mean!r}),')
    lines.append("}")
    SCORES_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def markdown_table(means: dict[str, tuple[float, float]], trivial: dict[str, tuple[str, float]]) -> str:
    """Per-level table: our random, oracle and best trivial means beside DMLab's published human and random scores."""
    rows = [
        "| rank | level | limit (s) | random (ours) | oracle (ours) | best trivial policy (ours): score, normalised "
        "| DMLab human | DMLab random |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rank, name in enumerate(LEVEL_ORDER, start=1):
        if name not in means:
            continue
        level = load_level(name, calibrated=False)
        random_mean, oracle_mean = means[name]
        cell = ""
        if name in trivial:
            policy, mean = trivial[name]
            cell = f"{policy}: {mean:.2f}, {normalise(mean, random_mean, oracle_mean):.3f}"
        rows.append(
            f"| {rank} | {name} | {level.time_limit_s:g} | {random_mean:.2f} | {oracle_mean:.2f} | {cell} | "
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
    parser.add_argument("--trivial-episodes", type=int, default=3, help="seeded episodes per level and trivial policy")
    parser.add_argument(
        "--measure",
        choices=("all", "reference", "trivial"),
        default="all",
        help="reference: random and oracle only; trivial: the trivial policies only (keeps the reference scores)",
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--table", type=Path, default=Path("results/labyrinth/levels.md"), help="Markdown table path")
    parser.add_argument("--json", type=Path, help="also write every episode's score here (merged into its levels)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave scores.py unchanged")
    args = parser.parse_args(argv)
    levels = list(args.levels) if args.levels else list(implemented_levels())
    unknown = sorted(set(levels) - set(LEVEL_ORDER))
    if unknown:
        parser.error(f"unknown levels {unknown}; valid: {', '.join(LEVEL_ORDER)}")
    if args.episodes < 1 or args.workers < 1 or args.trivial_episodes < 1:
        parser.error(
            f"--episodes, --trivial-episodes and --workers must be >= 1, "
            f"got {args.episodes}, {args.trivial_episodes} and {args.workers}"
        )
    from zipfian_envs.labyrinth.scores import REFERENCE_SCORES, TRIVIAL_SCORES

    results = calibrate(
        levels,
        args.episodes,
        args.workers,
        trivial_episodes=0 if args.measure == "reference" else args.trivial_episodes,
        reference=args.measure != "trivial",
    )
    means = dict(REFERENCE_SCORES)
    trivial = dict(TRIVIAL_SCORES)
    for name, r in results.items():
        if "random" in r:
            means[name] = (float(np.mean(r["random"])), float(np.mean(r["oracle"])))
        if "trivial" in r:
            trivial[name] = best_trivial(r["trivial"])
    if args.json:
        merged: Results = json.loads(args.json.read_text(encoding="utf-8")) if args.json.exists() else {}
        for name, r in results.items():
            merged[name] = {**merged.get(name, {}), **r}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        ordered = {name: merged[name] for name in LEVEL_ORDER if name in merged}
        args.json.write_text(json.dumps(ordered, indent=1), encoding="utf-8")
    table = markdown_table(means, trivial)
    print(table)
    if not args.no_write:
        write_scores(means, args.episodes, trivial, args.trivial_episodes)
        args.table.parent.mkdir(parents=True, exist_ok=True)
        args.table.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

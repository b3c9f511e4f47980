"""Evaluation-harness speed: random-policy Gridworld episodes per second (target: 10,000 in < 30 s).

Usage: ``python benchmarks/bench_evaluation.py [--episodes 10000] [--num-envs 8] [--all]``;
``--all`` also times async vectorisation and symbolic observations.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zipfian_envs.evaluation import evaluate


def bench(episodes: int, num_envs: int, vectorization: str, obs_mode: str, seed: int) -> dict[str, float]:
    """Time one random-policy evaluation; return seconds, episodes/s, steps/s and success rate."""
    start = time.perf_counter()
    records = evaluate(
        "random",
        "Zipfian/Gridworld-v0",
        episodes=episodes,
        seed=seed,
        num_envs=num_envs,
        vectorization=vectorization,
        obs_mode=obs_mode,
    )
    seconds = time.perf_counter() - start
    steps = sum(r["length"] for r in records)
    return {
        "seconds": seconds,
        "episodes_per_s": len(records) / seconds,
        "steps_per_s": steps / seconds,
        "success": sum(r["success"] for r in records) / len(records),
        "mean_length": steps / len(records),
    }


def main() -> None:
    """Run the benchmark(s) and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--all", action="store_true", help="also async vectorisation and symbolic observations")
    args = parser.parse_args()
    configs = [("sync", "pixels")]
    if args.all:
        configs += [("sync", "symbolic"), ("async", "pixels")]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for vectorization, obs_mode in configs:
        r = bench(args.episodes, args.num_envs, vectorization, obs_mode, args.seed)
        print(
            f"{args.episodes} random episodes, Zipfian/Gridworld-v0 {obs_mode}, {vectorization} x{args.num_envs}: "
            f"{r['seconds']:.2f} s, {r['episodes_per_s']:.0f} episodes/s, {r['steps_per_s']:.0f} steps/s "
            f"(success {r['success']:.4f}, mean length {r['mean_length']:.1f})"
        )


if __name__ == "__main__":
    main()

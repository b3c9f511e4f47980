"""Labyrinth speed and memory: ``python -m zipfian_envs.labyrinth.benchmark``.

Steps every level through ``gym.make("Zipfian/Labyrinth-v0", level=...)`` (the registered id with
its wrappers) with uniform random actions, resets included, on one thread, and prints a per-level
table of steps/s, the mean over levels and its ratio to the 3,000 steps/s target; then the memory
one more env adds (resident size of 20 envs mid-episode, per env).

``--vector N`` times the native vector env instead (``gym.make_vec(..., num_envs=N,
vectorization_mode="vector_entry_point")``, level ``zipf_1``) against N single envs in a
``SyncVectorEnv``, and prints env-steps/s and the ratio to the 20,000 env-steps/s target.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.core.checks import discrete_size
from zipfian_envs.labyrinth.levels import LEVEL_ORDER, implemented_levels
from zipfian_envs.tools import vector_benchmark

TARGET_STEPS_PER_S = 3000.0
TARGET_MB_PER_ENV = 20.0
ENV_ID = "Zipfian/Labyrinth-v0"


def steps_per_second(level: str, steps: int, seed: int = 0) -> float:
    """Random-action steps per second of one level, resets included."""
    env = gym.make(ENV_ID, level=level)
    actions = np.random.default_rng(seed).integers(0, discrete_size(env.action_space), steps)
    env.reset(seed=seed)
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(int(action))
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def memory_per_env_mb(count: int = 20) -> float:
    """Resident memory added per env: ``count`` envs, each reset and stepped, over the first one's cost."""
    first = gym.make(ENV_ID)
    first.reset(seed=0)
    gc.collect()
    before = _rss_mb()
    envs = []
    for index in range(count):
        env = gym.make(ENV_ID)
        env.reset(seed=index)
        for _ in range(50):
            env.step(0)
        envs.append(env)
    gc.collect()
    return (_rss_mb() - before) / count


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m zipfian_envs.labyrinth.benchmark", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--steps", type=int, default=3000, help="random steps per level")
    parser.add_argument("--levels", nargs="*", help="levels to time (default: all)")
    parser.add_argument(
        "--vector", type=int, metavar="N", help="only time the native vector env with N sub-envs (and N single envs)"
    )
    parser.add_argument("--vector-steps", type=int, default=100, help="vector steps per timing with --vector")
    parser.add_argument("--json", type=Path, help="write the table here as JSON")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    if args.vector is not None:
        return _vector_main(args.vector, args.vector_steps, args.json, parser)
    levels = list(args.levels) if args.levels else list(implemented_levels())
    unknown = sorted(set(levels) - set(LEVEL_ORDER))
    if unknown:
        parser.error(f"unknown levels {unknown}; valid: {', '.join(LEVEL_ORDER)}")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    table = {}
    print(f"{'level':42s} {'steps/s':>9s} {'x target':>9s}")
    for level in levels:
        rate = steps_per_second(level, args.steps)
        table[level] = rate
        print(f"{level:42s} {rate:9.0f} {rate / TARGET_STEPS_PER_S:9.2f}")
    mean = float(np.mean(list(table.values())))
    print(f"{'mean over levels':42s} {mean:9.0f} {mean / TARGET_STEPS_PER_S:9.2f}")
    memory = memory_per_env_mb() if len(levels) == len(LEVEL_ORDER) else float("nan")
    print(f"memory per env: {memory:.1f} MB ({memory / TARGET_MB_PER_ENV:.2f} x the {TARGET_MB_PER_ENV:g} MB budget)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"steps_per_s": table, "mean": mean, "memory_mb_per_env": memory}, indent=1))
    return 0


def _vector_main(num_envs: int, steps: int, json_path: Path | None, parser: argparse.ArgumentParser) -> int:
    """``--vector N``: env-steps/s of the native vector env and of N single envs, and the ratio to the target."""
    if num_envs < 1 or steps < 1:
        parser.error(f"--vector and --vector-steps must be >= 1, got {num_envs} and {steps}")
    figures = vector_benchmark.vector_rates(ENV_ID, num_envs, steps)
    print(vector_benchmark.report(ENV_ID, figures))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"vector": figures}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

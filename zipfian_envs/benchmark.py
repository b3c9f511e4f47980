"""Speed benchmark: ``python -m zipfian_envs.benchmark`` prints steps/s, reset time and ratios.

The ratio divides env throughput by a plain numpy loop measured in the same run (copy one 63x63x3
view per step), so figures from different machines can be compared.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import zipfian_envs  # noqa: F401  (registers the ids)

REFERENCE_STEPS_PER_SECOND = 2900  # pycolab reference, measured on a 2-core machine (REFERENCE.md)


def numpy_baseline(steps: int) -> float:
    """Steps/s of the least work a pixel step can do: copy a 63x63x3 crop out of a padded map."""
    padded = np.zeros((171, 171, 3), dtype=np.uint8)
    offsets = np.random.default_rng(0).integers(0, 12, (steps, 2)) * 9
    start = time.perf_counter()
    for row, col in offsets:
        padded[row : row + 63, col : col + 63].copy()
    return steps / (time.perf_counter() - start)


def env_throughput(env_id: str, steps: int, **kwargs) -> tuple[float, float, int]:
    """Steps/s through ``gym.make`` with random actions (resets included), mean reset ms, episodes."""
    env = gym.make(env_id, **kwargs)
    actions = np.random.default_rng(0).integers(0, env.action_space.n, steps)
    env.reset(seed=0)
    episodes, reset_time = 0, 0.0
    start = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            t = time.perf_counter()
            env.reset()
            reset_time += time.perf_counter() - t
            episodes += 1
    elapsed = time.perf_counter() - start
    return steps / elapsed, 1000 * reset_time / max(episodes, 1), episodes


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one row per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="steps per configuration")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    baseline = numpy_baseline(args.steps)
    print(f"numpy baseline (63x63x3 crop copy per step): {baseline:,.0f} steps/s")
    print(f"{'configuration':42s} {'steps/s':>10s} {'reset ms':>9s} {'/numpy':>7s} {'/reference':>10s}")
    for label, env_id, kwargs in (
        ("Gridworld-v0 pixels (zipf_2)", "Zipfian/Gridworld-v0", {}),
        ("Gridworld-v0 symbolic (zipf_2)", "Zipfian/Gridworld-v0", {"obs_mode": "symbolic"}),
        ("Gridworld-uniform_rare-v0 pixels", "Zipfian/Gridworld-uniform_rare-v0", {}),
    ):
        rate, reset_ms, _ = env_throughput(env_id, args.steps, **kwargs)
        print(
            f"{label:42s} {rate:10,.0f} {reset_ms:9.3f} {rate / baseline:7.2f} "
            f"{rate / REFERENCE_STEPS_PER_SECOND:9.1f}x"
        )


if __name__ == "__main__":
    main()

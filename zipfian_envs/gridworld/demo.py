"""Demo: play random and oracle policies on every Gridworld level; print success by frequency bin.

``python -m zipfian_envs.gridworld.demo [--episodes N] [--seed S]``
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import cast

import gymnasium as gym
import numpy as np

from zipfian_envs.core.checks import discrete_size
from zipfian_envs.core.skew import FREQUENCY_BINS
from zipfian_envs.gridworld.env import GridworldEnv
from zipfian_envs.registration import FAMILIES


def play(env: gym.Env, policy: str, episodes: int, seed: int) -> dict[str, list[bool]]:
    """Run ``episodes`` episodes of the ``random`` or ``oracle`` policy; successes per frequency bin."""
    rng = np.random.default_rng(seed)
    by_bin: dict[str, list[bool]] = defaultdict(list)
    env.reset(seed=seed)
    for _ in range(episodes):
        _, info = env.reset()
        done = False
        while not done:
            if policy == "oracle":
                action = cast(GridworldEnv, env.unwrapped).oracle_action()
            else:
                action = int(rng.integers(discrete_size(env.action_space)))
            _, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        by_bin[info["frequency_bin"]].append(info["success"])
    return by_bin


def _cell(successes: list[bool]) -> str:
    return f"{np.mean(successes):6.1%} ({len(successes):4d})" if successes else f"{'-':>6s} (   0)"


def main(argv: list[str] | None = None) -> None:
    """Print a success-by-bin table for random and oracle play on each paper level."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes per (level, policy)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error(f"--episodes must be >= 1, got {args.episodes}")
    # The table is the Gridworld's (its symbolic observations); other families report in their own READMEs.
    for family in (f for f in FAMILIES if f.name == "Gridworld"):
        print(f"Zipfian/{family.name}: success rate (episodes) by target frequency bin")
        header = "".join(f"{name:>17s}" for name in (*FREQUENCY_BINS, "all"))
        print(f"{'level':14s}{'policy':8s}{header}")
        for level in family.paper_levels:
            env = gym.make(f"Zipfian/{family.name}-{level}-v0", obs_mode="symbolic")
            for policy in ("random", "oracle"):
                by_bin = play(env, policy, args.episodes, args.seed)
                everything = [s for bin_ in by_bin.values() for s in bin_]
                cells = "".join(f"{_cell(by_bin.get(name, [])):>17s}" for name in (*FREQUENCY_BINS,))
                print(f"{level:14s}{policy:8s}{cells}{_cell(everything):>17s}")
            env.close()


if __name__ == "__main__":
    main()

"""Playroom speed, memory and scripted-policy success: ``python -m zipfian_envs.playroom.benchmark``.

Speed: uniform random actions through ``gym.make`` (the registered ids with their wrappers) at
72x96, resets included, on one thread, per task family; the Gridworld (pixels) is timed the same
way as a yardstick, and so is a Labyrinth level on the same engine (rooms_collect_good_objects), so
the ratios say something on a loaded machine. Memory: resident size added
per env (20 envs mid-episode). ``--quality N``: the oracle's success rate over N seeded episodes of
each task family and the random policy's over ``--random-episodes`` (the README's table).

``--vector N`` times the native vector env instead (``gym.make_vec("Zipfian/Playroom-v0",
num_envs=N, vectorization_mode="vector_entry_point")``) against N single envs in a
``SyncVectorEnv``, and prints env-steps/s and the ratio to the 20,000 env-steps/s target.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
from pathlib import Path
from typing import Any, cast

import gymnasium as gym
import numpy as np

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.core.checks import discrete_size
from zipfian_envs.playroom.env import PlayroomEnv
from zipfian_envs.tools import vector_benchmark

TARGET_STEPS_PER_S = 3000.0
TARGET_MB_PER_ENV = 20.0
# One id per task family (level = the distribution its reference levels use most).
FAMILY_IDS: dict[str, str] = {
    "lift/lift_shape": "Zipfian/Playroom-lift.lift_shape_zipf2-v0",
    "put/lift_shape": "Zipfian/Playroom-put.lift_shape_zipf2-v0",
    "put/lift_shape_many": "Zipfian/Playroom-put.lift_shape_many_zipf1-v0",
    "put/put_on_bed_tray": "Zipfian/Playroom-put.put_on_bed_tray_all-v0",
    "put/put_near_bed_tray": "Zipfian/Playroom-put.put_near_bed_tray_frequent-v0",
    "supervised/find_shape": "Zipfian/Playroom-supervised.find_shape_zipf2-v0",
}
GRIDWORLD_ID = "Zipfian/Gridworld-v0"
# The same engine's yardstick: a Labyrinth level with a similar room and a dozen sprites.
LABYRINTH: tuple[str, dict[str, Any]] = ("Zipfian/Labyrinth-v0", {"task": "rooms_collect_good_objects"})


def steps_per_second(env_id: str, steps: int, seed: int = 0, **kwargs) -> float:
    """Random-action steps per second through ``gym.make(env_id, **kwargs)``, resets included."""
    env = gym.make(env_id, **kwargs)
    actions = np.random.default_rng(seed).integers(0, discrete_size(env.action_space), steps)
    env.reset(seed=seed + 1)
    for action in actions[:300]:  # warm the renderer's per-horizon and sprite caches first
        if any(env.step(int(action))[2:4]):
            env.reset()
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


def memory_per_env_mb(env_id: str = "Zipfian/Playroom-v0", count: int = 20) -> float:
    """Resident memory added per env: ``count`` envs, each reset and stepped, over the first one's cost."""
    first = gym.make(env_id)
    first.reset(seed=0)
    gc.collect()
    before = _rss_mb()
    envs = []
    for index in range(count):
        env = gym.make(env_id)
        env.reset(seed=index)
        for action in np.random.default_rng(index).integers(0, 9, 50):
            env.step(int(action))
        envs.append(env)
    gc.collect()
    return (_rss_mb() - before) / count


def success_rate(env_id: str, policy: str, episodes: int, seed: int = 0) -> tuple[float, float]:
    """(success rate, mean episode steps) of ``oracle`` or ``random`` play over seeded episodes."""
    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    successes, lengths = [], []
    for episode in range(episodes):
        env.reset(seed=seed * 100_000 + episode)
        steps = 0
        while True:
            if policy == "oracle":
                action = cast(PlayroomEnv, env.unwrapped).oracle_action()
            else:
                action = int(rng.integers(discrete_size(env.action_space)))
            _, _, terminated, truncated, info = env.step(action)
            steps += 1
            if terminated or truncated:
                break
        successes.append(info["success"])
        lengths.append(steps)
    env.close()
    return float(np.mean(successes)), float(np.mean(lengths))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m zipfian_envs.playroom.benchmark", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--steps", type=int, default=3000, help="random steps per task family")
    parser.add_argument("--quality", type=int, default=0, metavar="N", help="also N oracle and random episodes each")
    parser.add_argument("--random-episodes", type=int, metavar="M", help="random episodes per family (default: N)")
    parser.add_argument("--families", nargs="*", help=f"task families (default: all of {', '.join(FAMILY_IDS)})")
    parser.add_argument(
        "--vector", type=int, metavar="N", help="only time the native vector env with N sub-envs (and N single envs)"
    )
    parser.add_argument("--vector-steps", type=int, default=100, help="vector steps per timing with --vector")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, got {args.steps}")
    if args.quality < 0:
        parser.error(f"--quality must be >= 0, got {args.quality}")
    if args.vector is not None:
        return _vector_main(args.vector, args.vector_steps, args.json, parser)
    random_episodes = args.quality if args.random_episodes is None else args.random_episodes
    if random_episodes < 1 and args.quality:
        parser.error(f"--random-episodes must be >= 1, got {random_episodes}")
    families = list(args.families) if args.families else list(FAMILY_IDS)
    unknown = sorted(set(families) - set(FAMILY_IDS))
    if unknown:
        parser.error(f"unknown task families {unknown}; valid: {', '.join(FAMILY_IDS)}")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    figures: dict = {"steps_per_s": {}, "quality": {}}
    # Yardsticks timed between the families, so a changing load hits all alike.
    gridworld, labyrinth = [], []
    print(f"{'task family':24s} {'steps/s':>9s} {'x target':>9s} {'/ Gridworld':>12s} {'/ Labyrinth':>12s}")
    for family in families:
        gridworld.append(steps_per_second(GRIDWORLD_ID, 10 * args.steps))
        labyrinth.append(steps_per_second(LABYRINTH[0], args.steps, **LABYRINTH[1]))
        rate = steps_per_second(FAMILY_IDS[family], args.steps)
        figures["steps_per_s"][family] = rate
        print(
            f"{family:24s} {rate:9.0f} {rate / TARGET_STEPS_PER_S:9.2f} {rate / gridworld[-1]:12.4f}"
            f" {rate / labyrinth[-1]:12.2f}"
        )
    mean = float(np.mean(list(figures["steps_per_s"].values())))
    figures["mean_steps_per_s"] = mean
    figures["gridworld_steps_per_s"] = float(np.mean(gridworld))
    figures["labyrinth_rooms_collect_good_objects_steps_per_s"] = float(np.mean(labyrinth))
    print(
        f"{'mean':24s} {mean:9.0f} {mean / TARGET_STEPS_PER_S:9.2f} {mean / np.mean(gridworld):12.4f}"
        f" {mean / np.mean(labyrinth):12.2f}"
    )
    print(f"{'Gridworld-v0 (pixels)':24s} {np.mean(gridworld):9.0f}")
    print(f"{'Labyrinth rooms_collect_good_objects':24s} {np.mean(labyrinth):9.0f}")
    memory = memory_per_env_mb()
    figures["memory_mb_per_env"] = memory
    print(f"memory per env: {memory:.1f} MB ({memory / TARGET_MB_PER_ENV:.2f} x the {TARGET_MB_PER_ENV:g} MB budget)")
    if args.quality:
        header = f"{'task family':24s} {'oracle':>8s} {'steps':>7s} {'random':>8s} {'steps':>7s}"
        print(f"\n{header}  ({args.quality} oracle and {random_episodes} random episodes per family)")
        for family in families:
            oracle, oracle_steps = success_rate(FAMILY_IDS[family], "oracle", args.quality)
            random, random_steps = success_rate(FAMILY_IDS[family], "random", random_episodes)
            figures["quality"][family] = {
                "id": FAMILY_IDS[family],
                "oracle_episodes": args.quality,
                "random_episodes": random_episodes,
                "oracle": oracle,
                "oracle_steps": oracle_steps,
                "random": random,
                "random_steps": random_steps,
            }
            print(f"{family:24s} {oracle:8.1%} {oracle_steps:7.1f} {random:8.1%} {random_steps:7.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0


def _vector_main(num_envs: int, steps: int, json_path: Path | None, parser: argparse.ArgumentParser) -> int:
    """``--vector N``: env-steps/s of the native vector env and of N single envs, and the ratio to the target."""
    if num_envs < 1 or steps < 1:
        parser.error(f"--vector and --vector-steps must be >= 1, got {num_envs} and {steps}")
    figures = vector_benchmark.vector_rates("Zipfian/Playroom-v0", num_envs, steps)
    print(vector_benchmark.report("Zipfian/Playroom-v0", figures))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"vector": figures}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

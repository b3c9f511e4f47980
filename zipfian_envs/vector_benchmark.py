"""Speed of a native vector env against N single envs stepped one by one (the families' ``--vector N``).

Both run the same seeded random actions with next-step autoreset, so they do the same work (one
env through ``gym.make`` is timed too, for scale);
the rates are env-steps per second of wall-clock time and per second of this process's CPU time
(the second is steadier on a shared machine). Each is the best of ``repeats`` timings, and the
1-minute load average is printed beside them: a loaded machine slows every figure.
"""

from __future__ import annotations

import os
import time
from typing import Any

import gymnasium as gym
import numpy as np

# The issues' target for 64 sub-envs of a first-person family.
TARGET_ENV_STEPS_PER_S = 20_000.0


def _load() -> float:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else float("nan")


def _time(step, num_envs: int, steps: int, repeats: int, action_n: int, seed: int) -> tuple[float, float]:
    """Best (wall, CPU) env-steps/s of ``steps`` vector steps, after a warm-up."""
    rng = np.random.default_rng(seed)
    for _ in range(min(20, steps)):  # warm the renderer's per-horizon and picture caches
        step(rng.integers(0, action_n, num_envs))
    wall, cpu = 0.0, 0.0
    for _ in range(repeats):
        actions = rng.integers(0, action_n, (steps, num_envs))
        start, start_cpu = time.perf_counter(), time.process_time()
        for row in actions:
            step(row)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        wall = max(wall, steps * num_envs / elapsed)
        cpu = max(cpu, steps * num_envs / max(elapsed_cpu, 1e-9))
    return wall, cpu


def vector_rates(
    env_id: str, num_envs: int, steps: int, repeats: int = 3, seed: int = 0, **kwargs: Any
) -> dict[str, float]:
    """Env-steps/s of ``gym.make_vec(env_id, num_envs, "vector_entry_point")`` and of ``SyncVectorEnv``."""
    figures: dict[str, float] = {"num_envs": num_envs, "steps": steps, "load_before": _load()}
    for name, mode in (("native", "vector_entry_point"), ("sync", "sync")):
        env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
        env.reset(seed=seed)
        wall, cpu = _time(env.step, num_envs, steps, repeats, int(env.single_action_space.n), seed)
        env.close()
        figures[f"{name}_env_steps_per_s"], figures[f"{name}_env_steps_per_cpu_s"] = wall, cpu
    # One env through gym.make, for scale, over the first episodes of 16 seeds (a Labyrinth episode is
    # one level for a minute: one seed alone would time whichever level it draws). SyncVectorEnv of
    # many first-person envs in one process also pays for the single renderer's shared table caches,
    # sized for a few envs per process.
    single = gym.make(env_id, **kwargs)
    episodes = min(num_envs, 16)
    rng = np.random.default_rng(seed)
    wall, cpu = 0.0, 0.0
    for _ in range(repeats):
        elapsed, elapsed_cpu = 0.0, 0.0
        for episode in range(episodes):
            single.reset(seed=seed + episode)
            actions = rng.integers(0, single.action_space.n, steps).tolist()
            start, start_cpu = time.perf_counter(), time.process_time()
            for action in actions:
                _, _, terminated, truncated, _ = single.step(action)
                if terminated or truncated:
                    single.reset()
            elapsed += time.perf_counter() - start
            elapsed_cpu += time.process_time() - start_cpu
        wall = max(wall, episodes * steps / elapsed)
        cpu = max(cpu, episodes * steps / max(elapsed_cpu, 1e-9))
    single.close()
    figures["single_steps_per_s"], figures["single_steps_per_cpu_s"] = wall, cpu
    figures["load_after"] = _load()
    figures["speedup"] = figures["native_env_steps_per_s"] / figures["sync_env_steps_per_s"]
    figures["per_target"] = figures["native_env_steps_per_s"] / TARGET_ENV_STEPS_PER_S
    return figures


def report(env_id: str, figures: dict[str, float]) -> str:
    """The figures as a few printable lines."""
    n = int(figures["num_envs"])
    return "\n".join(
        [
            f"vector env {env_id} x{n} ({int(figures['steps'])} steps per timing, best of the timings; "
            f"load average {figures['load_before']} -> {figures['load_after']}):",
            f"  native vector env: {figures['native_env_steps_per_s']:9.0f} env-steps/s "
            f"({figures['native_env_steps_per_cpu_s']:.0f} per CPU-second), "
            f"{figures['per_target']:.2f} x the {TARGET_ENV_STEPS_PER_S:,.0f} target",
            f"  SyncVectorEnv:     {figures['sync_env_steps_per_s']:9.0f} env-steps/s "
            f"({figures['sync_env_steps_per_cpu_s']:.0f} per CPU-second); native / sync = {figures['speedup']:.2f}",
            f"  one env (gym.make): {figures['single_steps_per_s']:8.0f} steps/s "
            f"({figures['single_steps_per_cpu_s']:.0f} per CPU-second); "
            f"native / one env = {figures['native_env_steps_per_s'] / figures['single_steps_per_s']:.2f}",
        ]
    )

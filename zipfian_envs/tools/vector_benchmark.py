"""Speed of a native vector env against N single envs stepped one by one (the families' ``--vector N``).

Both run the same seeded random actions with next-step autoreset, so they do the same work (one
env through ``gym.make`` is timed too, for scale);
the rates are env-steps per second of wall-clock time and per second of this process's CPU time
(the second is steadier on a shared machine). Each is the best of ``repeats`` timings, and the
1-minute load average is printed beside them: a loaded machine slows every figure.

``python -m zipfian_envs.tools.vector_benchmark`` times the native vector env under each render backend
(``--render numba numpy``, see :mod:`zipfian_envs.engine.backend`) back to back in one process, in
alternating rounds, so that their ratio holds even when the machine's load drifts; it also splits
each step into the observation (rendering and assembly) and the rest (the level rules, resets,
infos).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any, cast

import gymnasium as gym
import numpy as np

from zipfian_envs.core.checks import discrete_size
from zipfian_envs.engine import backend
from zipfian_envs.vector import NativeVectorEnv

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
    figures: dict[str, Any] = {
        "num_envs": num_envs, "steps": steps, "render": backend.render_backend(), "load_before": _load()
    }  # fmt: skip
    for name, mode in (("native", "vector_entry_point"), ("sync", "sync")):
        env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode, **kwargs)
        env.reset(seed=seed)
        wall, cpu = _time(env.step, num_envs, steps, repeats, discrete_size(env.single_action_space), seed)
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
            actions = rng.integers(0, discrete_size(single.action_space), steps).tolist()
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
            f"{figures.get('render', 'numpy')} renderer; "
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


def native_rates(
    env_id: str, num_envs: int, steps: int, repeats: int = 3, seed: int = 0, **kwargs: Any
) -> dict[str, float]:
    """Env-steps/s of the native vector env alone, and the microseconds per env-step spent observing (rendering)."""
    env = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(min(20, steps)):  # warm-up (and the kernels' compilation or cache load)
        env.step(rng.integers(0, discrete_size(env.single_action_space), num_envs))
    best: dict[str, float] = {}
    for _ in range(repeats):
        actions = rng.integers(0, discrete_size(env.single_action_space), (steps, num_envs))
        start, start_cpu = time.perf_counter(), time.process_time()
        for row in actions:
            env.step(row)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        # The rendering share: the public observe() of the state the steps left, as often as step() renders.
        start_observe = time.perf_counter()
        for _ in range(steps):
            cast("NativeVectorEnv[Any]", env).observe()
        observe = time.perf_counter() - start_observe
        if elapsed < best.get("elapsed", np.inf):
            best = {"elapsed": elapsed, "cpu": elapsed_cpu, "observe": min(observe, elapsed)}
    env.close()
    per_step = 1e6 / (steps * num_envs)
    return {
        "env_steps_per_s": steps * num_envs / best["elapsed"],
        "env_steps_per_cpu_s": steps * num_envs / max(best["cpu"], 1e-9),
        "observe_us": best["observe"] * per_step,
        "rest_us": (best["elapsed"] - best["observe"]) * per_step,
    }


def compare_backends(
    env_id: str, num_envs: int, steps: int, renders: list[str], rounds: int = 2, repeats: int = 3, **kwargs: Any
) -> dict[str, Any]:
    """:func:`native_rates` under each render backend, in ``rounds`` alternating rounds; the best round of each."""
    before = backend.render_backend()
    figures: dict[str, Any] = {"env_id": env_id, "num_envs": num_envs, "steps": steps, "load": [_load()], "rounds": {}}
    try:
        for _ in range(rounds):
            for name in renders:
                used = backend.set_render_backend(name)
                rates = native_rates(env_id, num_envs, steps, repeats, **kwargs)
                figures["rounds"].setdefault(used, []).append(rates)
                figures["load"].append(_load())
    finally:
        backend.set_render_backend(before)
    figures["best"] = {
        name: max(runs, key=lambda rates: rates["env_steps_per_s"]) for name, runs in figures["rounds"].items()
    }
    return figures


def compare_report(figures: dict[str, Any]) -> str:
    """The backends' figures as a few printable lines, with the ratio of each to numpy's (or the first's)."""
    lines = [
        f"native vector env {figures['env_id']} x{figures['num_envs']} ({figures['steps']} steps per timing; "
        f"load average during the rounds {', '.join(str(load) for load in figures['load'])}):"
    ]
    names = list(figures["best"])
    reference = "numpy" if "numpy" in names else names[0]
    first = figures["best"][reference]["env_steps_per_s"]
    for name in names:
        best = figures["best"][name]
        rounds = ", ".join(f"{rates['env_steps_per_s']:.0f}" for rates in figures["rounds"][name])
        lines.append(
            f"  {name:6s} {best['env_steps_per_s']:7.0f} env-steps/s (rounds: {rounds}; "
            f"{best['env_steps_per_cpu_s']:.0f} per CPU-second), {best['env_steps_per_s'] / first:.2f} x {reference}, "
            f"{best['env_steps_per_s'] / TARGET_ENV_STEPS_PER_S:.2f} x the {TARGET_ENV_STEPS_PER_S:,.0f} target; "
            f"per env-step {best['observe_us']:.1f} us observing + {best['rest_us']:.1f} us rules and the rest"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m zipfian_envs.tools.vector_benchmark", description=__doc__.split("\n\n")[-1]
    )
    parser.add_argument("--env", nargs="+", default=["Zipfian/Labyrinth-v0", "Zipfian/Playroom-v0"], help="env ids")
    parser.add_argument("--num-envs", type=int, default=64, help="sub-envs (default 64)")
    parser.add_argument("--steps", type=int, default=100, help="vector steps per timing")
    parser.add_argument("--repeats", type=int, default=3, help="timings per round (the best counts)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds over the backends")
    parser.add_argument(
        "--render", nargs="+", default=["numba", "numpy"], choices=backend.CHOICES, help="render backends to compare"
    )
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    if min(args.num_envs, args.steps, args.repeats, args.rounds) < 1:
        parser.error("--num-envs, --steps, --repeats and --rounds must be >= 1")
    import zipfian_envs  # noqa: F401  (registers the ids)

    results = []
    for env_id in args.env:
        figures = compare_backends(env_id, args.num_envs, args.steps, args.render, args.rounds, args.repeats)
        print(compare_report(figures), flush=True)
        results.append(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

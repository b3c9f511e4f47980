"""Speed benchmark: ``python -m zipfian_envs.gridworld.benchmark`` prints env-steps/s of every way to step Gridworlds.

One run measures, with random actions and autoresets included: the single env; the native vector
env at 1 / 16 / 256 / 1,024 envs; Gymnasium's ``SyncVectorEnv`` and ``AsyncVectorEnv`` (spawn) and
SB3's ``DummyVecEnv`` and ``SubprocVecEnv`` over single envs; MiniGrid's FourRooms with RGB
partial observations when ``minigrid`` is installed; and two numpy ceilings for the same 63x63x3
frames: one slice copy per step (what one env must at least do) and one gather of N frames (what
N batched envs must at least do). Ratios to the ceilings make figures from different machines
comparable. ``--json PATH`` writes the table; ``--markdown`` prints it for the README.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import zipfian_envs
from zipfian_envs.core.checks import discrete_size
from zipfian_envs.gridworld.render import pixel_windows
from zipfian_envs.vector import to_sb3

# The pycolab reference release, measured with random actions and resets on one core of a 2-core
# machine: about 2,900 steps/s and 1.9 ms per reset (shared/REFERENCE.md, "Reference speed").
REFERENCE_STEPS_PER_SECOND = 2_900
ENV_ID = "Zipfian/Gridworld-v0"
FRAME = 63  # side of a Gridworld pixel observation
WRAPPED_ENVS = 16  # sub-envs for the vectorisers that hold one env object per sub-env


def _best_rate(run: Callable[[], int], repeats: int) -> float:
    """Best of ``repeats`` timings of ``run`` (which returns env-steps done): env-steps/s."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        steps = run()
        best = max(best, steps / (time.perf_counter() - start))
    return best


def gather_ceiling(num_frames: int, steps: int, repeats: int) -> float:
    """Frames/s of the least work a step of ``num_frames`` pixel envs can do.

    One frame: copy a 63x63x3 slice out of a padded map image. Several: one fancy-index gather of
    that many crops from stacked padded map images (what the native vector env does).
    """
    images = np.random.default_rng(0).integers(0, 256, (20, 19 * 9, 19 * 9, 3), dtype=np.uint8)
    rng = np.random.default_rng(1)
    if num_frames == 1:
        offsets = rng.integers(0, 13, (steps, 2)) * 9
        maps = rng.integers(0, 20, steps)

        def run() -> int:
            for m, (row, col) in zip(maps, offsets):
                images[m, row : row + FRAME, col : col + FRAME].copy()
            return steps

        return _best_rate(run, repeats)
    windows = pixel_windows(images, 13, 13)
    batches = max(1, steps // num_frames)
    index = rng.integers(0, 13, (3, batches, num_frames))
    maps = rng.integers(0, 20, (batches, num_frames))

    def run_batched() -> int:
        for b in range(batches):
            windows[maps[b], index[1, b], index[2, b]]
        return batches * num_frames

    return _best_rate(run_batched, repeats)


def single_env_rate(make: Callable[[], gym.Env], steps: int, repeats: int, warmup: bool = False) -> float:
    """Steps/s of one env stepped in a Python loop (random actions, resets included).

    ``warmup`` takes one untimed step first (lazy tables, compiled kernels, first-step checks).
    """
    env = make()
    actions = np.random.default_rng(0).integers(0, discrete_size(env.action_space), steps)
    env.reset(seed=0)
    if warmup:
        env.step(actions[0])
        env.reset(seed=0)

    def run() -> int:
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        return steps

    rate = _best_rate(run, repeats)
    env.close()
    return rate


def gymnasium_vector_rate(vec: gym.vector.VectorEnv, steps: int, repeats: int) -> float:
    """Env-steps/s of a Gymnasium vector env (its own autoreset), construction excluded."""
    n = vec.num_envs
    batches = max(1, steps // n)
    actions = np.random.default_rng(0).integers(0, discrete_size(vec.single_action_space), (batches, n))
    vec.reset(seed=0)
    vec.step(actions[0])  # warm-up: first-step checks, worker start

    def run() -> int:
        for batch in actions:
            vec.step(batch)
        return batches * n

    rate = _best_rate(run, repeats)
    vec.close()
    return rate


def sb3_vector_rate(vec: Any, steps: int, repeats: int) -> float:
    """Env-steps/s of an SB3 ``VecEnv`` (its own autoreset), construction excluded."""
    n = vec.num_envs
    batches = max(1, steps // n)
    actions = np.random.default_rng(0).integers(0, vec.action_space.n, (batches, n))
    vec.seed(0)
    vec.reset()

    def run() -> int:
        for batch in actions:
            vec.step(batch)
        return batches * n

    rate = _best_rate(run, repeats)
    vec.close()
    return rate


def native(num_envs: int, **kwargs: Any) -> gym.vector.VectorEnv:
    """The native Gridworld vector env."""
    return gym.make_vec(ENV_ID, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)


def minigrid_env() -> gym.Env:
    """MiniGrid FourRooms with RGB partial observations (56x56x3), the observation people train on."""
    import minigrid  # noqa: F401  (registers the MiniGrid ids)
    from minigrid.wrappers import ImgObsWrapper, RGBImgPartialObsWrapper

    return ImgObsWrapper(RGBImgPartialObsWrapper(gym.make("MiniGrid-FourRooms-v0")))


def resident_memory_mb(num_envs: int) -> dict[str, float]:
    """Peak resident memory (MB) of a fresh process stepping ``num_envs`` native pixel envs, and of its imports."""
    code = (
        "import numpy as np, gymnasium as gym, zipfian_envs\n"
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'): return int(line.split()[1]) / 1024\n"
        "base = rss()\n"
        f"env = gym.make_vec('{ENV_ID}', num_envs={num_envs}, vectorization_mode='vector_entry_point')\n"
        "env.reset(seed=0)\n"
        f"for a in np.random.default_rng(0).integers(0, 8, (100, {num_envs})): env.step(a)\n"
        "print(base, rss())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak = (float(v) for v in out.stdout.split())
    return {"imports_mb": base, "peak_mb": peak}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        with open("/proc/cpuinfo") as handle:
            model = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gymnasium": gym.__version__,
        "zipfian_envs": zipfian_envs.__version__,
    }


def load_average() -> float | None:
    """The 1-minute load average (other jobs on a shared machine slow every row)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def run_benchmark(steps: int, repeats: int, skip_processes: bool = False) -> dict[str, Any]:
    """Measure every configuration; returns ``{"machine", "rows", "memory"}``."""
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    rows: list[dict[str, Any]] = []
    load_at_start = load_average()

    def add(label: str, rate: float, num_envs: int, frames_per_copy: int | None) -> None:
        """One row. ``frames_per_copy``: the ceiling to divide by (1: slice copies, N: gathers of N
        frames, None: none), measured again right after the row so both see the same machine load."""
        ceiling = gather_ceiling(frames_per_copy, steps, repeats) if frames_per_copy else None
        rows.append({
            "configuration": label,
            "num_envs": num_envs,
            "steps_per_s": round(rate),
            "ceiling_steps_per_s": round(ceiling) if ceiling else None,
            "per_ceiling": round(rate / ceiling, 2) if ceiling else None,
            "per_reference": round(rate / REFERENCE_STEPS_PER_SECOND, 1),
        })  # fmt: skip
        shown = f"{rows[-1]['per_ceiling']:.2f}" if ceiling else "-"
        print(f"{label:52s} {rate:12,.0f} {shown:>8s} {rate / REFERENCE_STEPS_PER_SECOND:9.1f}x", flush=True)

    print(f"{'configuration':52s} {'steps/s':>12s} {'/ceiling':>8s} {'/reference':>10s}")
    for n in (1, 16, 256, 1024):
        label = "numpy ceiling: 63x63x3 slice copy" if n == 1 else f"numpy ceiling: gather of {n} frames"
        add(label, gather_ceiling(n, steps, repeats), n, None)
    add("single env, pixels", single_env_rate(lambda: gym.make(ENV_ID), steps, repeats), 1, 1)
    add("single env, symbolic", single_env_rate(lambda: gym.make(ENV_ID, obs_mode="symbolic"), steps, repeats), 1, None)
    for n in (1, 16, 256, 1024):
        add(f"native vector env x{n}, pixels", gymnasium_vector_rate(native(n), steps, repeats), n, n)
    for n in (256, 1024):
        rate = gymnasium_vector_rate(native(n, obs_mode="symbolic"), steps, repeats)
        add(f"native vector env x{n}, symbolic", rate, n, None)
    # One env object per sub-env: compared with the one-frame ceiling, the work each of them does.
    n = WRAPPED_ENVS
    sync = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="sync")
    add(f"gymnasium SyncVectorEnv x{n}, pixels", gymnasium_vector_rate(sync, steps, repeats), n, 1)
    dummy = make_vec_env(ENV_ID, n_envs=n, vec_env_cls=DummyVecEnv)
    add(f"SB3 DummyVecEnv x{n}, pixels", sb3_vector_rate(dummy, steps, repeats), n, 1)
    adapter = to_sb3(native(n, autoreset_mode=AutoresetMode.SAME_STEP))
    add(f"SB3 to_sb3(native vector env) x{n}, pixels", sb3_vector_rate(adapter, steps, repeats), n, n)
    if not skip_processes:
        spawned = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="async", vector_kwargs={"context": "spawn"})
        add(f"gymnasium AsyncVectorEnv (spawn) x{n}, pixels", gymnasium_vector_rate(spawned, steps, repeats), n, 1)
        subproc = make_vec_env(ENV_ID, n_envs=n, vec_env_cls=SubprocVecEnv, vec_env_kwargs={"start_method": "spawn"})
        add(f"SB3 SubprocVecEnv (spawn) x{n}, pixels", sb3_vector_rate(subproc, steps, repeats), n, 1)
    if importlib.util.find_spec("minigrid") is not None:
        add("MiniGrid FourRooms, RGB partial obs (56x56x3)", single_env_rate(minigrid_env, steps // 4, repeats), 1, 1)
    else:
        print("MiniGrid FourRooms: skipped (minigrid is not installed)")
    memory = resident_memory_mb(1024)
    print(f"memory: 1,024 native pixel envs: {memory['peak_mb']:.0f} MB peak resident "
          f"({memory['imports_mb']:.0f} MB of it the interpreter and imports)")  # fmt: skip
    load = {"start": load_at_start, "end": load_average()}
    print(f"load average (1 min) at start and end: {load['start']}, {load['end']}")
    return {
        "machine": machine(),
        "load_average": load,
        "steps": steps,
        "repeats": repeats,
        "rows": rows,
        "memory": memory,
    }


def markdown(result: dict[str, Any]) -> str:
    """The table as Markdown, for the README."""
    lines = ["| configuration | env-steps/s | / numpy ceiling | / reference |", "|---|---:|---:|---:|"]
    for row in result["rows"]:
        ceiling = "-" if row["per_ceiling"] is None else f"{row['per_ceiling']:.2f}"
        lines.append(f"| {row['configuration']} | {row['steps_per_s']:,} | {ceiling} | {row['per_reference']:,.1f}x |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one row per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000, help="env-steps per configuration and repeat")
    parser.add_argument("--repeats", type=int, default=3, help="timings per configuration; the best is kept")
    parser.add_argument("--json", default=None, metavar="PATH", help="write the table and machine details here")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    parser.add_argument("--skip-processes", action="store_true", help="skip the multi-process vectorisers")
    args = parser.parse_args(argv)
    for name in ("steps", "repeats"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    result = run_benchmark(args.steps, args.repeats, args.skip_processes)
    if args.markdown:
        print(markdown(result))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)
            handle.write("\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

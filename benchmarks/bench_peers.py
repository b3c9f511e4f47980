"""Speed against the peers: env-steps/s of our envs, MiniGrid and MiniWorld, in one process, one thread.

Usage (from the repository root): ``python benchmarks/bench_peers.py [--steps 10000] [--repeats 3]
[--num-envs 64] [--json results/speed.json]``. Every row steps random actions, resets included, and
keeps the best of ``--repeats`` timings of ``--steps`` env-steps (construction, the first reset and,
for vector envs, a warm-up step are left out). Rows: each of our envs once through ``gym.make`` and
once as the native vector env of ``--num-envs`` sub-envs; the peers MiniGrid (FourRooms, RGB partial
observations) and MiniWorld (FourRooms, its default 60x80 first-person frames, drawn by OpenGL with
pyglet headless over EGL). A peer that does not import or run is skipped, with the reason printed and
written to the JSON. Install the peers with ``pip install --no-deps minigrid miniworld "pyglet<2"``
(``--no-deps``: MiniGrid's ``pygame-ce`` would replace the ``pygame`` the viewer uses). The ratio
column divides each of our rows by its peer: Gridworld by MiniGrid, the first-person envs by MiniWorld
(vector rows too: the peers have no native vector env). ``scripts/gen_docs.py`` renders the JSON as
the first table of docs/speed.md.
"""

from __future__ import annotations

import os

# One thread everywhere, set before numpy, numba or Mesa's llvmpipe start their pools.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS", "LP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym  # noqa: E402

import zipfian_envs  # noqa: E402, F401  (registers the ids)
from zipfian_envs.core.files import atomic_write  # noqa: E402
from zipfian_envs.gridworld.benchmark import (  # noqa: E402
    gymnasium_vector_rate,
    load_average,
    machine,
    minigrid_env,
    single_env_rate,
)

KIND = "zipfian-envs peer benchmark"
MINIGRID = "MiniGrid FourRooms, RGB partial obs (56x56x3)"
MINIWORLD = "MiniWorld FourRooms, first-person RGB (60x80x3)"


@dataclass
class Args:
    """Command-line options (typed, CleanRL style)."""

    steps: int = 20_000
    repeats: int = 3
    num_envs: int = 64
    json: str = "results/speed.json"


HELP = {
    "steps": "env-steps per row and repeat",
    "repeats": "timings per row; the best is kept",
    "num_envs": "sub-envs of the native vector env rows",
    "json": "where to write the result (atomically)",
}


def parse_args(argv: list[str] | None = None) -> Args:
    """Parse the command line into :class:`Args` (one option per field, typed by its default)."""
    defaults = Args()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    for name, value in vars(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value,
                            help=f"{HELP[name]} (default {value})")  # fmt: skip
    args = Args(**vars(parser.parse_args(argv)))
    for name in ("steps", "repeats", "num_envs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    return args


@dataclass
class Ours:
    """One of our envs: its id, kwargs, a label for the table and the peer it is divided by."""

    env_id: str
    kwargs: dict[str, Any]
    label: str
    peer: str


OURS = (
    Ours("Zipfian/Gridworld-v0", {"obs_mode": "symbolic"}, "Gridworld, symbolic obs", MINIGRID),
    Ours("Zipfian/Gridworld-v0", {}, "Gridworld, RGB (63x63x3)", MINIGRID),
    Ours("Zipfian/Labyrinth-v0", {}, "Labyrinth, first-person RGB (72x96x3) + instruction", MINIWORLD),
    Ours("Zipfian/Playroom-v0", {}, "Playroom, first-person RGB (72x96x3) + instruction", MINIWORLD),
)


def miniworld_env() -> gym.Env:
    """MiniWorld FourRooms with its default observation (60x80x3), rendered headless (pyglet over EGL)."""
    import pyglet

    pyglet.options["headless"] = True  # must precede pyglet.gl, which miniworld imports
    import miniworld  # noqa: F401  (registers the MiniWorld ids)

    return gym.make("MiniWorld-FourRooms-v0")


PEERS: dict[str, tuple[str, Callable[[], gym.Env]]] = {
    MINIGRID: ("minigrid", minigrid_env),
    MINIWORLD: ("miniworld", miniworld_env),
}


def versions(names: tuple[str, ...]) -> dict[str, str | None]:
    """Installed versions of the named distributions (None when absent)."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def gl_renderer() -> str | None:
    """The OpenGL renderer MiniWorld drew with (e.g. llvmpipe), when pyglet made a context."""
    module = sys.modules.get("pyglet.gl")
    try:
        return module.gl_info.get_renderer() if module is not None else None
    except Exception:  # no context: nothing to report
        return None


def run(args: Args) -> dict[str, Any]:
    """Measure every row and return the result (machine, load, rows, skipped peers)."""
    from zipfian_envs.engine import render_backend

    load_start = load_average()
    started = dt.datetime.now(dt.timezone.utc)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    print(f"{'configuration':70s} {'env-steps/s':>12s}", flush=True)

    def add(label: str, env_id: str, num_envs: int, rate: float, peer: str | None) -> None:
        """Record and print one row."""
        rows.append({"configuration": label, "env_id": env_id, "num_envs": num_envs, "steps_per_s": round(rate),
                     "peer": peer})  # fmt: skip
        print(f"{label:70s} {rate:12,.0f}", flush=True)

    for peer, (module, make) in PEERS.items():
        try:
            rate = single_env_rate(make, args.steps, args.repeats, warmup=True)
        except Exception as error:  # a peer that cannot run here is skipped, with the reason
            reason = f"{module}: {type(error).__name__}: {error}".strip()
            if isinstance(error, ImportError):
                reason = f"{module} is not importable ({error}); pip install --no-deps minigrid miniworld 'pyglet<2'"
            skipped.append({"configuration": peer, "reason": reason})
            print(f"{peer:70s} skipped: {reason}", flush=True)
            if not isinstance(error, ImportError):
                traceback.print_exc(limit=2, file=sys.stderr)
            continue
        add(peer, {"minigrid": "MiniGrid-FourRooms-v0", "miniworld": "MiniWorld-FourRooms-v0"}[module], 1, rate,
            None)  # fmt: skip
    for env in OURS:
        single = single_env_rate(
            lambda env=env: gym.make(env.env_id, **env.kwargs), args.steps, args.repeats, warmup=True
        )
        add(f"{env.label}, one env (gym.make)", env.env_id, 1, single, env.peer)
        vec = gym.make_vec(env.env_id, num_envs=args.num_envs, vectorization_mode="vector_entry_point", **env.kwargs)
        rate = gymnasium_vector_rate(vec, args.steps, args.repeats)
        add(f"{env.label}, native vector env x{args.num_envs}", env.env_id, args.num_envs, rate, env.peer)
    peer_rates = {row["configuration"]: row["steps_per_s"] for row in rows if row["peer"] is None}
    for row in rows:
        base = peer_rates.get(row["peer"]) if row["peer"] else None
        row["per_peer"] = round(row["steps_per_s"] / base, 2) if base else None
    load = {"start": load_start, "end": load_average()}
    print(f"load average (1 min) at start and end: {load['start']}, {load['end']}")
    info = machine()
    info.update(versions(("minigrid", "miniworld", "pyglet")))
    info["gl_renderer"] = gl_renderer()
    info["render_backend"] = render_backend()
    return {
        "kind": KIND,
        "date": started.isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/bench_peers.py", *sys.argv[1:]]),
        "machine": info,
        "threads": {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "LP_NUM_THREADS")},
        "load_average": load,
        "steps": args.steps,
        "repeats": args.repeats,
        "num_envs": args.num_envs,
        "rows": rows,
        "skipped": skipped,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print the table and write the JSON."""
    args = parse_args(argv)
    result = run(args)
    if argv is not None:  # called from Python (the tests): the command is the arguments given
        result["command"] = " ".join(["python", "benchmarks/bench_peers.py", *argv])
    with atomic_write(args.json) as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print(f"wrote {args.json}")
    return result


if __name__ == "__main__":
    main()

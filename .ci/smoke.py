"""Smoke test of an installed zipfian-envs (a wheel or ``pip install .``), run from outside the checkout.

    python .ci/smoke.py --wheel dist/zipfian_envs-*.whl   # the wheel's top-level names are exactly zipfian_envs
    python .ci/smoke.py --core                            # envs only: numpy + gymnasium
    python .ci/smoke.py                                   # envs, then every console script and python -m form

Run it with the venv's python from a scratch directory: the checkout must not be on ``sys.path``,
so every import below comes from the installed distribution.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

DIST = "zipfian-envs"
PACKAGE = "zipfian_envs"
STEPS = 10


def check(condition: bool, message: str) -> None:
    """Fail the smoke test with ``message`` unless ``condition`` holds."""
    if not condition:
        sys.exit(f"smoke: FAILED: {message}")


def check_wheel(path: Path) -> None:
    """The wheel installs exactly one top-level import name, ``zipfian_envs``, and ships ``py.typed``."""
    names = zipfile.ZipFile(path).namelist()
    tops = {name.split("/")[0] for name in names}
    packages = {top for top in tops if not top.endswith((".dist-info", ".data"))}
    check(packages == {PACKAGE}, f"{path.name} top level is {sorted(packages)}, want ['{PACKAGE}']")
    top_level = [name for name in names if name.endswith(".dist-info/top_level.txt")]
    if top_level:  # setuptools writes it; other backends may not
        declared = zipfile.ZipFile(path).read(top_level[0]).decode().split()
        check(declared == [PACKAGE], f"{top_level[0]} lists {declared}, want ['{PACKAGE}']")
    check(f"{PACKAGE}/py.typed" in names, f"{path.name} lacks {PACKAGE}/py.typed")
    check(f"{PACKAGE}/core/records.py" in names, f"{path.name} lacks {PACKAGE}/core/records.py")
    print(f"smoke: {path.name}: top level {sorted(packages)}, {len(names)} files, py.typed shipped")


def check_installed() -> None:
    """The package comes from the install, not a checkout; its version is the metadata's; no stray names."""
    package = importlib.import_module(PACKAGE)
    location = Path(package.__file__).resolve()
    check("site-packages" in location.parts, f"{PACKAGE} imported from {location}, not from site-packages")
    metadata_version = importlib.metadata.version(DIST)
    check(package.__version__ == metadata_version, f"__version__ {package.__version__!r} != {metadata_version!r}")
    check((location.parent / "py.typed").is_file(), "py.typed not installed")
    # What the installer recorded in site-packages: one package folder plus its metadata (scripts live in bin/).
    installed = {f.parts[0] for f in importlib.metadata.distribution(DIST).files or () if f.parts[0] != ".."}
    beside = sorted(top for top in installed if top != PACKAGE and not top.endswith(".dist-info"))
    check(PACKAGE in installed and not beside, f"the install put {beside} beside {PACKAGE} in site-packages")
    for stray in ("agents", "evaluation"):
        try:
            importlib.import_module(stray)
        except ModuleNotFoundError:
            continue
        check(False, f"`import {stray}` works in the installed venv; only `{PACKAGE}` may be a top-level name")
    print(f"smoke: {PACKAGE} {package.__version__} from {location.parent}; `import agents`/`evaluation` fail")


def check_envs() -> None:
    """Every registered ``Zipfian/*`` id: gym.make, a seeded reset and STEPS seeded random steps."""
    import gymnasium as gym

    import zipfian_envs

    ids = zipfian_envs.env_ids()
    check(len(ids) > 0, "no registered ids")
    missing = [env_id for env_id in ids if env_id not in gym.registry]
    check(not missing, f"ids not in the gymnasium registry: {missing}")
    for env_id in ids:
        start = time.perf_counter()
        env = gym.make(env_id)
        try:
            obs, _ = env.reset(seed=0)
            check(env.observation_space.contains(obs), f"{env_id}: reset observation outside observation_space")
            env.action_space.seed(0)
            for _ in range(STEPS):
                obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
                check(env.observation_space.contains(obs), f"{env_id}: step observation outside observation_space")
                check(math.isfinite(float(reward)), f"{env_id}: reward {reward!r} is not a finite number")
                if terminated or truncated:
                    env.reset()
        finally:
            env.close()
        print(f"smoke: {env_id}: make, reset, {STEPS} steps ({time.perf_counter() - start:.2f} s)")
    # The documented module-prefixed form, in a fresh interpreter that never imported the package.
    code = f"import gymnasium as gym; env = gym.make('{PACKAGE}:{ids[0]}'); env.reset(seed=0); env.close()"
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    check(fresh.returncode == 0, f"gym.make('{PACKAGE}:{ids[0]}') in a fresh interpreter failed:\n{fresh.stderr}")
    print(f"smoke: {len(ids)} env ids OK")
    importlib.import_module(f"{PACKAGE}.tools.play")  # the viewer imports without pygame (it loads it lazily)
    importlib.import_module(f"{PACKAGE}.core.records")
    upward = sorted(m for m in sys.modules if m.startswith((f"{PACKAGE}.agents", f"{PACKAGE}.evaluation")))
    check(not upward, f"the envs, the viewer or the records module imported {upward}")


def run(argv: list[str], cwd: Path) -> str:
    """Run one command (``zipfian-*`` from this venv's bin/); fail with its output if it fails; return it."""
    start = time.perf_counter()
    script = Path(sys.executable).parent / argv[0]
    command = [str(script), *argv[1:]] if argv[0].startswith("zipfian-") else argv
    environ = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}  # 2 shared CI cores
    result = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True, timeout=600)
    shown = " ".join([Path(argv[0]).name, *argv[1:4]]) + (" ..." if len(argv) > 4 else "")
    output = (result.stdout + result.stderr).strip()
    check(result.returncode == 0, f"`{' '.join(argv)}` exited {result.returncode}:\n{output[-3000:]}")
    print(f"smoke: {shown}: OK ({time.perf_counter() - start:.1f} s)")
    return output


def check_commands(scratch: Path) -> None:
    """Every console script and documented ``python -m`` form answers ``--help``; short real runs of eval/train."""
    entry_points = importlib.metadata.distribution(DIST).entry_points
    scripts = sorted(ep.name for ep in entry_points if ep.group == "console_scripts")
    for name in ("zipfian-eval", "zipfian-train", "zipfian-play", "zipfian-leaderboard"):
        check(name in scripts, f"console script {name} is not declared; declared: {scripts}")
    for name in scripts:
        check(run([name, "--help"], scratch).startswith("usage:"), f"{name} --help printed no usage")
    modules = ["zipfian_envs.agents.train", "zipfian_envs.agents.results", "zipfian_envs.evaluation.cli",
               "zipfian_envs.evaluation.leaderboard", "zipfian_envs.tools.play", "zipfian_envs.gridworld.demo",
               "zipfian_envs.gridworld.benchmark", "zipfian_envs.studies"]  # fmt: skip
    for module in modules:
        run([sys.executable, "-m", module, "--help"], scratch)
    demo = run([sys.executable, "-m", "zipfian_envs.gridworld.demo", "--episodes", "20"], scratch)
    check("oracle" in demo and "100.0%" in demo, f"the demo's oracle rows are missing:\n{demo}")

    env = ["--env", "Zipfian/Gridworld-v0"]
    quiet = ["--no-progress", "--no-plot"]
    few = ["--min-episodes-per-rank", "0"]  # else the uniform protocol tops up to 200 episodes
    short = ["--episodes", "5", "--out", "eval", *few, *quiet]
    run(["zipfian-eval", *env, "--policy", "random", "--num-envs", "1", *short], scratch)
    (random_result,) = (scratch / "eval").glob("*random*.json")
    records = list((scratch / "eval" / "records").glob("*.csv"))
    check(len(records) == 1, f"zipfian-eval wrote records {records}")

    train = ["--algo", "ppo", *env, "--steps", "256", "--n-envs", "2", "--out", "train", "--threads", "1"]
    train += ["--eval-every", "0", "--checkpoint-every", "0", "--final-episodes", "5", *few]
    run(["zipfian-train", *train], scratch)
    model = scratch / "train" / "model.zip"
    check(model.is_file(), "zipfian-train wrote no model.zip")
    config = json.loads((scratch / "train" / "config.json").read_text())
    check(config.get("algo") == "ppo", f"train/config.json says algo {config.get('algo')!r}")

    # The trained model goes back through the harness and onto a leaderboard, all from the install.
    model_eval = ["--policy", str(model), "--algo", "ppo", "--name", "ppo-smoke", "--num-envs", "5"]  # batched
    run(["zipfian-eval", *env, *model_eval, *short], scratch)
    (ppo_result,) = (scratch / "eval").glob("*ppo-smoke*.json")
    table = run(["zipfian-leaderboard", str(random_result), str(ppo_result)], scratch)
    check("ppo-smoke" in table and "random" in table, f"leaderboard lacks an entry:\n{table}")
    print("smoke: commands OK")


def main() -> int:
    """Parse the flags and run the chosen checks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="only check this wheel file's contents")
    parser.add_argument("--core", action="store_true", help="envs only (a core install: numpy + gymnasium)")
    args = parser.parse_args()
    if args.wheel is not None:
        check_wheel(args.wheel)
        return 0
    check_installed()
    check_envs()
    if not args.core:
        with tempfile.TemporaryDirectory(prefix="zipfian-smoke-") as scratch:
            check_commands(Path(scratch))
    print("smoke: all OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Training throughput per preset: env alone, policy forward, PPO update, and what training reaches.

Usage: ``python benchmarks/bench_training.py [--families gridworld labyrinth playroom] [--steps N]
[--threads 1 2] [--json PATH]``. For each family it builds SB3 PPO twice, with the preset the
suite shipped before the CPU-sized encoders (``before``: 8 envs, 128-step rollouts, 4 epochs of
minibatches of 256, SB3's small CNN) and with today's preset from ``zipfian_envs.agents.presets``
(``now``), and prints per env-step: the env alone (random actions through the same ``VecEnv``), the
rollout's policy forward, the PPO update, and the training rate of ``model.learn`` over ``--steps``
steps; then the ratio now / before. Timings, never tests: the smoke test runs it with tiny steps.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv

from zipfian_envs.agents.extractors import observation_kind, policy_kwargs_for
from zipfian_envs.agents.presets import Preset, get_preset, policy_name
from zipfian_envs.agents.train import make_env

FAMILIES = {
    "gridworld": ("Zipfian/Gridworld-v0", "Gridworld"),
    "labyrinth": ("Zipfian/Labyrinth-v0", "Labyrinth"),
    "playroom": ("Zipfian/Playroom-v0", "Playroom"),
}
# The presets before issue 25 (PPO's generic preset; the Gridworld's pixel CNN at its default size).
BEFORE = Preset(
    dict(n_steps=128, batch_size=256, n_epochs=4, learning_rate=3e-4, gamma=0.99, gae_lambda=0.95,
         clip_range=0.2, ent_coef=0.01, vf_coef=0.5, max_grad_norm=0.5),
    {"net_arch": dict(pi=[64], vf=[64])},
    n_envs=8,
)  # fmt: skip


@dataclass
class Timing:
    """Microseconds per env-step of each part, and the measured training rate."""

    env_us: float
    forward_us: float
    update_us: float
    train_steps_per_s: float

    def line(self) -> str:
        """One printable row."""
        return (
            f"env {self.env_us:7.1f} us  forward {self.forward_us:7.1f} us  update {self.update_us:7.1f} us"
            f"  -> training {self.train_steps_per_s:7.0f} env-steps/s"
        )


def build(env_id: str, family: str, preset: Preset, seed: int) -> tuple[PPO, VecEnv]:
    """SB3 PPO on the family's native vector env, with ``preset``'s settings and the suite's extractor."""
    env = make_env(env_id, preset.n_envs, seed, {})
    kind = observation_kind(env.observation_space)
    policy_kwargs = policy_kwargs_for(env.observation_space, family, **preset.policy_kwargs)
    sizes = preset.policy_kwargs.get("features_extractor_kwargs")
    if sizes is not None:  # a preset sizes the extractor: its kwargs replace the bare defaults
        policy_kwargs["features_extractor_kwargs"] = sizes
    model = PPO(policy_name("ppo", kind), env, policy_kwargs=policy_kwargs, seed=seed, device="cpu", verbose=0,
                **preset.algo_kwargs)  # fmt: skip
    return model, env


def time_parts(model: PPO, env: VecEnv, steps: int) -> Timing:
    """Each part's cost per env-step, and ``model.learn``'s rate over ``steps`` env-steps."""
    n_envs = env.num_envs
    rng = np.random.default_rng(0)
    env.reset()
    actions = rng.integers(0, int(env.action_space.n), (max(8, steps // n_envs // 4), n_envs))  # type: ignore[attr-defined]
    start = time.perf_counter()
    for row in actions:
        obs, *_ = env.step(row)
    env_us = (time.perf_counter() - start) / actions.size * 1e6

    observations, _ = model.policy.obs_to_tensor(obs)
    with torch.no_grad():
        model.policy(observations)  # warm-up
        start = time.perf_counter()
        for _ in range(8):
            model.policy(observations)
    forward_us = (time.perf_counter() - start) / (8 * n_envs) * 1e6

    rollout = model.n_steps * n_envs
    model.learn(rollout)  # fills the rollout buffer (and trains once)
    start = time.perf_counter()
    model.train()
    update_us = (time.perf_counter() - start) / rollout * 1e6

    total = max(rollout, steps // rollout * rollout)
    start = time.perf_counter()
    model.learn(total, reset_num_timesteps=False)
    return Timing(env_us, forward_us, update_us, total / (time.perf_counter() - start))


def main(argv: list[str] | None = None) -> int:
    """Time both presets per family and thread count; print the rows and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=sorted(FAMILIES))
    parser.add_argument("--steps", type=int, default=20_000, help="env-steps of model.learn per timing")
    parser.add_argument("--threads", type=int, nargs="+", default=[1], help="torch thread counts to time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    if args.steps <= 0 or any(t <= 0 for t in args.threads):
        parser.error(f"--steps and --threads must be positive, got {args.steps} and {args.threads}")
    print(f"# {os.cpu_count()} cores, torch {torch.__version__}; per env-step costs, best preset rows last")
    figures: list[dict[str, Any]] = []
    for name in args.families:
        env_id, family = FAMILIES[name]
        for threads in args.threads:
            torch.set_num_threads(threads)
            rows = {}
            for label, preset in (("before", BEFORE), ("now", now_preset(family, env_id))):
                model, env = build(env_id, family, preset, args.seed)
                rows[label] = time_parts(model, env, args.steps)
                env.close()
                print(f"{name:9s} {threads} thread(s) {label:6s} x{env.num_envs:<3d} {rows[label].line()}")
            ratio = rows["now"].train_steps_per_s / rows["before"].train_steps_per_s
            print(f"{name:9s} {threads} thread(s) now / before: {ratio:.2f}x training env-steps/s")
            figures.append({"family": name, "threads": threads, "ratio": ratio,
                            **{label: vars(row) for label, row in rows.items()}})  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


def now_preset(family: str, env_id: str) -> Preset:
    """Today's PPO preset for the family's default observation kind."""
    env = make_env(env_id, 1, 0, {})
    kind = observation_kind(env.observation_space)
    env.close()
    return get_preset("ppo", family, kind)


if __name__ == "__main__":
    sys.exit(main())

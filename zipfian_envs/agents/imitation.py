"""Oracle guidance: DAgger before RL, an optional, agent-side training aid (``zipfian-train --dagger-steps N``).

Every env of the suite has a scripted oracle reading privileged state (``oracle_action()``). For
the first ``N`` env steps the agent plays in the training envs, each step's action the oracle's
with probability ``beta`` (1 in the first round, halving each round) and the agent's own sampled
action otherwise, and every observation it meets is labelled with the oracle's action (DAgger:
the agent learns to recover from its own mistakes, which plain behaviour cloning never shows it).
After each round the policy is fitted to all labels so far (cross-entropy on the oracle's action)
and the value head to the discounted returns of the episodes that ended in the round. RL then
goes on from this policy for the remaining steps. The agent sees only its observations; the
env's rules and rewards are untouched, and the instructions follow the level's distribution, so
rare items are met (and imitated) as rarely as in RL training.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.vec_env import VecEnv
from torch import nn

# On-policy SB3 algorithms whose policy has one action distribution to fit (no recurrent state).
DAGGER_ALGOS = ("ppo", "a2c")
DEFAULT_ROUNDS = 8
DEFAULT_EPOCHS = 4.0
DEFAULT_BATCH = 256
# The labelled observations kept (oldest dropped first): 72x96x3 views are ~21 kB each.
MAX_BUFFER_BYTES = 4 * 2**30


@dataclass
class DaggerReport:
    """What a DAgger phase did: env steps, rounds, and per round beta, episodes, success and label accuracy."""

    steps: int = 0
    rounds: list[dict[str, float]] = field(default_factory=list)
    wall_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for config.json."""
        return {"steps": self.steps, "wall_s": round(self.wall_s, 1), "rounds": self.rounds}


def _observation_bytes(space: spaces.Space) -> int:
    """Bytes one observation of ``space`` takes in the buffer."""
    if isinstance(space, spaces.Dict):
        return sum(_observation_bytes(s) for s in space.spaces.values())
    assert space.shape is not None and space.dtype is not None
    return int(np.prod(space.shape)) * np.dtype(space.dtype).itemsize


class LabelledBuffer:
    """A ring buffer of observations (arrays or dicts of arrays), oracle actions and value targets."""

    def __init__(self, space: spaces.Space, capacity: int) -> None:
        def empty(sub: spaces.Space) -> np.ndarray:
            assert sub.shape is not None and sub.dtype is not None
            return np.zeros((capacity, *sub.shape), dtype=sub.dtype)

        self.capacity = capacity
        self.obs: dict[str, np.ndarray] | np.ndarray
        self.obs = {k: empty(s) for k, s in space.spaces.items()} if isinstance(space, spaces.Dict) else empty(space)
        self.actions = np.zeros(capacity, dtype=np.int64)
        self.returns = np.zeros(capacity, dtype=np.float32)
        self.has_return = np.zeros(capacity, dtype=bool)
        self.size = 0
        self.next = 0

    def add(
        self, obs: Any, actions: np.ndarray, returns: np.ndarray | None = None, has_return: np.ndarray | None = None
    ) -> np.ndarray:
        """Append a batch (rows along the first axis) and return its slots; without returns, none is known yet."""
        n = len(actions)
        if returns is None or has_return is None:
            returns, has_return = np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool)
        slots = (self.next + np.arange(n)) % self.capacity
        if isinstance(self.obs, dict):
            for key, array in self.obs.items():
                array[slots] = obs[key]
        else:
            self.obs[slots] = obs
        self.actions[slots], self.returns[slots], self.has_return[slots] = actions, returns, has_return
        self.next = int((self.next + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)
        return slots

    def set_returns(self, slots: np.ndarray, returns: np.ndarray, has_return: np.ndarray) -> None:
        """Fill in the value targets of rows added earlier (in the order they were added)."""
        self.returns[slots], self.has_return[slots] = returns, has_return

    def rows(self, index: np.ndarray) -> Any:
        """The observations at ``index``."""
        if isinstance(self.obs, dict):
            return {key: array[index] for key, array in self.obs.items()}
        return self.obs[index]


def oracle_labels(env: VecEnv) -> np.ndarray:
    """Each env's scripted oracle action now."""
    return np.asarray(env.env_method("oracle_action"), dtype=np.int64)


def discounted_returns(rewards: np.ndarray, dones: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Per step (T, n): the discounted return to its episode's end, and whether that end fell inside the window."""
    returns = np.zeros_like(rewards, dtype=np.float32)
    known = np.zeros(rewards.shape, dtype=bool)
    running = np.zeros(rewards.shape[1], dtype=np.float32)
    ended = np.zeros(rewards.shape[1], dtype=bool)
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = np.where(dones[t], 0.0, gamma * running) + rewards[t]
        ended = ended | dones[t]
        returns[t], known[t] = running, ended
    return returns, known


def check_dagger(
    algo: str, steps: int, total_steps: int, action_space: spaces.Space, epochs: float = DEFAULT_EPOCHS
) -> str | None:
    """A one-line problem with ``--dagger-steps`` / ``--dagger-epochs`` for this run, or None."""
    if steps < 0:
        return f"--dagger-steps must be >= 0, got {steps}"
    if not (math.isfinite(epochs) and 0 < epochs <= 1000):
        return f"--dagger-epochs must be a number in (0, 1000], got {epochs}"
    if not steps:
        return None
    if algo not in DAGGER_ALGOS:
        return f"--dagger-steps works with {', '.join(DAGGER_ALGOS)} (one action distribution to fit); got {algo}"
    if steps > total_steps:
        return f"--dagger-steps {steps} is more than --steps {total_steps}"
    if not isinstance(action_space, spaces.Discrete):
        return f"--dagger-steps needs a discrete action space (the oracle's actions), got {action_space}"
    return None


def dagger(
    model: OnPolicyAlgorithm,
    env: VecEnv,
    steps: int,
    seed: int,
    rounds: int = DEFAULT_ROUNDS,
    epochs: float = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH,
    learning_rate: float | None = None,
    log: Any = None,
    labeller: Any = None,
) -> DaggerReport:
    """Run DAgger for ``steps`` env steps in ``env`` (the training envs), fitting ``model``'s policy; see the module.

    ``labeller(env)`` gives each env's label for the current step (default: the envs' ``oracle_action``).
    """
    if labeller is None:
        labeller = oracle_labels
    rng = np.random.default_rng(seed)
    policy = model.policy
    n_envs = env.num_envs
    per_round = max(1, math.ceil(steps / rounds / n_envs))
    fits = max(n_envs, MAX_BUFFER_BYTES // _observation_bytes(env.observation_space))
    capacity = min(per_round * rounds * n_envs, fits)
    buffer = LabelledBuffer(env.observation_space, capacity)
    optimizer = torch.optim.Adam(policy.parameters(), lr=learning_rate or float(model.lr_schedule(1.0)))
    report = DaggerReport()
    start = time.perf_counter()
    obs = env.reset()
    done_steps = 0
    for round_index in range(rounds):
        if done_steps >= steps:
            break
        beta = 0.5**round_index
        length = min(per_round, math.ceil((steps - done_steps) / n_envs))
        # Observations go into the buffer as they come (a round's frames are never held twice); their
        # value targets are known once the round's episodes are.
        slots, rewards, dones = [], [], []
        agrees, successes, episodes = 0, 0, 0
        for _ in range(length):
            oracle = labeller(env)
            own, _ = model.predict(cast("np.ndarray | dict[str, np.ndarray]", obs), deterministic=False)
            own = np.asarray(own, dtype=np.int64).reshape(n_envs)
            agrees += int((own == oracle).sum())
            act = np.where(rng.random(n_envs) < beta, oracle, own)
            slots.append(buffer.add(obs, oracle))
            obs, reward, done, infos = env.step(act)
            rewards.append(reward)
            dones.append(done)
            for i in np.flatnonzero(done):
                episodes += 1
                successes += bool(infos[i].get("is_success", reward[i] > 0))
        returns, known = discounted_returns(np.array(rewards), np.array(dones), float(model.gamma))
        for t, rows in enumerate(slots):  # in order: a row overwritten within the round keeps the newer target
            buffer.set_returns(rows, returns[t], known[t])
        done_steps += length * n_envs
        model.num_timesteps = done_steps  # what a harness evaluation from ``log`` records
        updates = max(1, math.ceil(epochs * length * n_envs / batch_size))
        loss, accuracy = _fit(model, buffer, updates, batch_size, optimizer, rng)
        row = {
            "round": round_index, "beta": beta, "steps": done_steps, "episodes": episodes,
            "success": round(successes / episodes, 4) if episodes else float("nan"),
            "agent_agrees": round(agrees / (length * n_envs), 4), "fit_loss": round(loss, 4),
            "fit_accuracy": round(accuracy, 4), "wall_s": round(time.perf_counter() - start, 1),
        }  # fmt: skip
        report.rounds.append(row)
        if log is not None:
            log(row)
    report.steps = done_steps
    report.wall_s = time.perf_counter() - start
    model.num_timesteps = done_steps
    model._last_obs = None  # RL starts from fresh episodes (SB3 resets the envs in learn())
    return report


def _fit(
    model: OnPolicyAlgorithm,
    buffer: LabelledBuffer,
    updates: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    rng: np.random.Generator,
) -> tuple[float, float]:
    """``updates`` minibatches drawn from the whole buffer: cross-entropy on the oracle's actions, MSE of values."""
    policy = model.policy
    policy.set_training_mode(True)
    losses, hits, seen = [], 0, 0
    vf_coef = float(getattr(model, "vf_coef", 0.5))
    for _ in range(updates):
        index = rng.integers(0, buffer.size, size=batch_size)
        obs_tensor, _ = policy.obs_to_tensor(buffer.rows(index))
        actions = torch.as_tensor(buffer.actions[index], device=policy.device)
        logits, values = _logits_and_values(policy, obs_tensor)
        loss = nn.functional.cross_entropy(logits, actions)
        known = torch.as_tensor(buffer.has_return[index], device=policy.device)
        if bool(known.any()):
            targets = torch.as_tensor(buffer.returns[index], device=policy.device)
            loss = loss + vf_coef * nn.functional.mse_loss(values[known], targets[known])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(policy.parameters(), float(model.max_grad_norm))
        optimizer.step()
        losses.append(float(loss.detach()))
        hits += int((logits.detach().argmax(-1) == actions).sum())
        seen += len(index)
    policy.set_training_mode(False)
    return float(np.mean(losses)) if losses else 0.0, hits / max(seen, 1)


def _logits_and_values(policy: Any, obs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Action logits and values of an SB3 actor-critic policy in one pass through its extractor."""
    features = policy.extract_features(obs)
    if policy.share_features_extractor:
        latent_pi, latent_vf = policy.mlp_extractor(features)
    else:
        latent_pi = policy.mlp_extractor.forward_actor(features[0])
        latent_vf = policy.mlp_extractor.forward_critic(features[1])
    return policy.action_net(latent_pi), policy.value_net(latent_vf).flatten()

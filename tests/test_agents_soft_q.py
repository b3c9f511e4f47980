"""Soft Q-learning: the entropy / log-sum-exp duality and learning a chain MDP's exact soft values."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

from zipfian_envs.agents.soft_q import SoftQ, boltzmann, soft_value, soft_value_iteration


def _entropy(pi: torch.Tensor) -> torch.Tensor:
    return -(pi * torch.log(pi)).sum(-1)


def _kl(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    return (p * (torch.log(p) - torch.log(q))).sum(-1)


@pytest.mark.parametrize("seed", range(5))
def test_duality_logsumexp_is_max_of_entropy_regularised_value(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    n_states, n_actions = 64, 7
    q = torch.randn(n_states, n_actions, generator=gen, dtype=torch.float64) * 3
    tau = float(torch.empty(1, dtype=torch.float64).uniform_(0.05, 5.0, generator=gen))
    value = soft_value(q, tau)
    assert torch.allclose(value, tau * torch.logsumexp(q / tau, dim=-1))

    # The Boltzmann policy attains the maximum of E_pi[Q] + tau * H(pi).
    pi_star = boltzmann(q, tau)
    attained = (pi_star * q).sum(-1) + tau * _entropy(pi_star)
    assert torch.allclose(value, attained, atol=1e-10)

    # Any other policy falls short by exactly tau * KL(pi || pi*) >= 0.
    for _ in range(20):
        pi = torch.distributions.Dirichlet(torch.ones(n_actions, dtype=torch.float64)).sample((n_states,))
        objective = (pi * q).sum(-1) + tau * _entropy(pi)
        gap = value - objective
        assert torch.all(gap >= -1e-12)
        assert torch.allclose(gap, tau * _kl(pi, pi_star), atol=1e-10)

    # Uniform prior mu: tau * log sum_a mu(a) exp(Q/tau) = E_pi*[Q] - tau * KL(pi* || mu)
    # = tau * logsumexp(Q/tau) - tau * log|A|, which is soft_value(..., kl_prior=True).
    mu = torch.full_like(q, 1.0 / n_actions)
    q_max = q.max(-1, keepdim=True).values
    with_prior = tau * torch.log((mu * torch.exp((q - q_max) / tau)).sum(-1)) + q_max[:, 0]
    assert torch.allclose(with_prior, (pi_star * q).sum(-1) - tau * _kl(pi_star, mu), atol=1e-10)
    assert torch.allclose(with_prior, value - tau * math.log(n_actions), atol=1e-10)
    assert torch.allclose(soft_value(q, tau, kl_prior=True), with_prior, atol=1e-10)


def test_soft_value_tends_to_max_and_mean() -> None:
    q = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    assert soft_value(q, 1e-3).item() == pytest.approx(3.0, abs=1e-6)
    assert soft_value(q, 1e4, kl_prior=True).item() == pytest.approx(2.0, abs=1e-3)


class ChainEnv(gym.Env):
    """Deterministic chain: states 0..n-1, actions left/right, reward 1 for reaching the end (terminal)."""

    def __init__(self, n: int = 5, max_steps: int = 20) -> None:
        self.n, self.max_steps = n, max_steps
        self.observation_space = spaces.Box(0.0, 1.0, (n,), np.float32)
        self.action_space = spaces.Discrete(2)

    def _obs(self) -> np.ndarray:
        obs = np.zeros(self.n, np.float32)
        obs[self.state] = 1.0
        return obs

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state, self.t = int(self.np_random.integers(0, self.n - 1)), 0
        return self._obs(), {}

    def step(self, action):
        self.state = min(self.state + 1, self.n - 1) if int(action) == 1 else max(self.state - 1, 0)
        self.t += 1
        terminated = self.state == self.n - 1
        return self._obs(), float(terminated), terminated, self.t >= self.max_steps and not terminated, {}

    @staticmethod
    def tables(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """next_state, reward and terminal tables for soft value iteration."""
        next_state = np.array([[max(s - 1, 0), min(s + 1, n - 1)] for s in range(n)])
        reward = (next_state == n - 1).astype(float)
        reward[n - 1] = 0.0
        terminal = np.arange(n) == n - 1
        return next_state, reward, terminal


def test_soft_q_learns_chain_mdp_soft_values() -> None:
    n, gamma, tau = 5, 0.7, 0.2
    expected = soft_value_iteration(*ChainEnv.tables(n), gamma=gamma, temperature=tau)[: n - 1]
    torch.manual_seed(0)
    model = SoftQ(
        "MlpPolicy",
        ChainEnv(n),
        temperature=tau,
        gamma=gamma,
        learning_rate=1e-2,
        buffer_size=5_000,
        learning_starts=100,
        batch_size=64,
        train_freq=1,
        target_update_interval=100,
        policy_kwargs={"net_arch": []},  # one linear layer on one-hot states: a Q table
        seed=0,
        device="cpu",
    )
    model.learn(3_000)
    learned = model.q_values(np.eye(n, dtype=np.float32)[: n - 1])
    np.testing.assert_allclose(learned, expected, atol=0.05)
    # The greedy policy goes right everywhere; the Boltzmann policy prefers right.
    actions, _ = model.predict(np.eye(n, dtype=np.float32)[: n - 1], deterministic=True)
    assert actions.tolist() == [1] * (n - 1)


def test_soft_value_iteration_matches_bellman_fixed_point() -> None:
    n, gamma, tau = 6, 0.8, 0.3
    next_state, reward, terminal = ChainEnv.tables(n)
    q = soft_value_iteration(next_state, reward, terminal, gamma=gamma, temperature=tau)
    v = np.where(terminal, 0.0, tau * np.log(np.exp(q / tau).sum(1)))
    np.testing.assert_allclose(q, reward + gamma * v[next_state], atol=1e-10)


def test_soft_q_rejects_bad_temperature() -> None:
    with pytest.raises(ValueError, match="temperature"):
        SoftQ("MlpPolicy", ChainEnv(), temperature=0.0)

"""Soft Q-learning: entropy-regularised Q-learning with a Boltzmann policy (REFERENCE.md section 4).

The soft value of a state is ``V(s) = tau * logsumexp(Q(s, .) / tau)`` and the TD target is
``r + gamma * V'(s')`` with ``V'`` from the target network. The policy is Boltzmann,
``pi(a|s) = softmax(Q(s, .) / tau)``. By the Gibbs / Donsker-Varadhan duality,

    tau * logsumexp(Q / tau) = max_pi E_pi[Q] + tau * H(pi),

attained at the Boltzmann policy ``pi*``; for any other ``pi`` the gap is ``tau * KL(pi || pi*)``.
With a uniform prior ``mu`` over ``|A|`` actions this is ``tau * log sum_a mu(a) exp(Q/tau) =
max_pi E_pi[Q] - tau * KL(pi || mu)``, i.e. the same value minus ``tau * log|A|``
(``kl_prior=True`` uses that form: the KL-to-uniform regulariser instead of an entropy bonus).

The learner reuses SB3's off-policy plumbing (replay buffer, vector envs, callbacks, save/load) by
subclassing :class:`stable_baselines3.DQN`; the soft target, the Boltzmann policy and the soft value
helpers below are ours. ``tau`` is the *temperature* here; DQN's ``tau`` (Polyak coefficient) keeps
its SB3 meaning.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import torch
from stable_baselines3 import DQN
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.torch_layers import CombinedExtractor, NatureCNN
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from torch.nn import functional

# -- Soft value helpers (torch and numpy) ----------------------------------------------------------


def soft_value(q: torch.Tensor, temperature: float, kl_prior: bool = False) -> torch.Tensor:
    """``tau * logsumexp(Q / tau)`` over the last axis (minus ``tau * log|A|`` with ``kl_prior``)."""
    value = temperature * torch.logsumexp(q / temperature, dim=-1)
    if kl_prior:
        value = value - temperature * math.log(q.shape[-1])
    return value


def boltzmann(q: torch.Tensor, temperature: float) -> torch.Tensor:
    """The Boltzmann policy ``softmax(Q / tau)`` over the last axis."""
    return torch.softmax(q / temperature, dim=-1)


def soft_value_iteration(
    next_state: np.ndarray,
    reward: np.ndarray,
    terminal: np.ndarray,
    gamma: float,
    temperature: float,
    kl_prior: bool = False,
    iterations: int = 10_000,
    tol: float = 1e-12,
) -> np.ndarray:
    """Exact soft Q-values of a deterministic MDP given as tables.

    ``next_state[s, a]`` and ``reward[s, a]`` describe the transitions; ``terminal[s]`` marks states
    whose value is 0. Returns ``Q[s, a] = r + gamma * V(s')`` with ``V = tau * logsumexp(Q / tau)``.
    """
    q = np.zeros(reward.shape, dtype=np.float64)
    offset = temperature * math.log(reward.shape[1]) if kl_prior else 0.0
    for _ in range(iterations):
        m = q.max(axis=1, keepdims=True)
        v = (m + temperature * np.log(np.exp((q - m) / temperature).sum(axis=1, keepdims=True)))[:, 0] - offset
        v = np.where(terminal, 0.0, v)
        new_q = reward + gamma * v[next_state]
        if np.max(np.abs(new_q - q)) < tol:
            return new_q
        q = new_q
    return q


# -- Policy: a Q-network whose stochastic action is a Boltzmann sample ------------------------------


class SoftQNetwork(QNetwork):
    """SB3 Q-network that samples ``softmax(Q / tau)`` when not deterministic (greedy otherwise)."""

    def __init__(self, *args: Any, temperature: float = 0.01, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.temperature = temperature

    def _predict(self, observation: Any, deterministic: bool = True) -> torch.Tensor:
        q_values = self(observation)
        if deterministic:
            return q_values.argmax(dim=1).reshape(-1)
        return torch.distributions.Categorical(logits=q_values / self.temperature).sample().reshape(-1)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "temperature": self.temperature}


class SoftQPolicy(DQNPolicy):
    """DQN policy (online and target Q-networks) with the Boltzmann :class:`SoftQNetwork`."""

    def __init__(self, *args: Any, temperature: float = 0.01, **kwargs: Any) -> None:
        self.temperature = temperature
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> SoftQNetwork:
        """A fresh soft Q-network (own features extractor)."""
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return SoftQNetwork(**net_args, temperature=self.temperature).to(self.device)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), "temperature": self.temperature}


class CnnSoftQPolicy(SoftQPolicy):
    """:class:`SoftQPolicy` with SB3's NatureCNN by default."""

    def __init__(self, *args: Any, features_extractor_class: type = NatureCNN, **kwargs: Any) -> None:
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)


class MultiInputSoftQPolicy(SoftQPolicy):
    """:class:`SoftQPolicy` for Dict observations (SB3's CombinedExtractor by default)."""

    def __init__(self, *args: Any, features_extractor_class: type = CombinedExtractor, **kwargs: Any) -> None:
        super().__init__(*args, features_extractor_class=features_extractor_class, **kwargs)


# -- The learner ----------------------------------------------------------------------------------------


class SoftQ(DQN):
    """Soft Q-learning: TD target ``r + gamma * tau * logsumexp(Q_target(s') / tau)``, Boltzmann acting.

    ``temperature`` is the entropy temperature ``tau``; ``kl_prior=True`` subtracts
    ``tau * log|A|`` (KL to the uniform prior instead of an entropy bonus: the uniform policy then
    earns nothing for staying alive). Epsilon-greedy exploration is off by default: the Boltzmann
    policy explores (``exploration_*_eps`` still mixes in uniform actions if set above 0).
    """

    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": SoftQPolicy,
        "CnnPolicy": CnnSoftQPolicy,
        "MultiInputPolicy": MultiInputSoftQPolicy,
    }

    def __init__(
        self,
        policy: str | type[SoftQPolicy],
        env: Any,
        temperature: float = 0.01,
        kl_prior: bool = False,
        exploration_initial_eps: float = 0.0,
        exploration_final_eps: float = 0.0,
        policy_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not temperature > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.temperature = float(temperature)
        self.kl_prior = bool(kl_prior)
        policy_kwargs = {**(policy_kwargs or {}), "temperature": self.temperature}
        super().__init__(
            policy,
            env,
            exploration_initial_eps=exploration_initial_eps,
            exploration_final_eps=exploration_final_eps,
            policy_kwargs=policy_kwargs,
            **kwargs,
        )

    def train(self, gradient_steps: int, batch_size: int = 100) -> None:
        """Regress Q(s, a) on the soft Bellman target for ``gradient_steps`` sampled batches."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        losses, values = [], []
        for _ in range(gradient_steps):
            data = self.replay_buffer.sample(batch_size, env=self._vec_normalize_env)  # type: ignore[union-attr]
            discounts = data.discounts if data.discounts is not None else self.gamma
            with torch.no_grad():
                next_v = soft_value(self.q_net_target(data.next_observations), self.temperature, self.kl_prior)
                target = data.rewards + (1 - data.dones) * discounts * next_v.reshape(-1, 1)
            q = torch.gather(self.q_net(data.observations), dim=1, index=data.actions.long())
            loss = functional.smooth_l1_loss(q, target)
            losses.append(loss.item())
            values.append(next_v.mean().item())
            self.policy.optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
            self.policy.optimizer.step()
        self._n_updates += gradient_steps
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")
        self.logger.record("train/loss", float(np.mean(losses)))
        self.logger.record("train/soft_value", float(np.mean(values)))

    def predict(
        self,
        observation: np.ndarray | dict[str, np.ndarray],
        state: tuple[np.ndarray, ...] | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, tuple[np.ndarray, ...] | None]:
        """Greedy action when ``deterministic``, else a Boltzmann sample (epsilon-mixed if eps > 0)."""
        if not deterministic and self.exploration_rate > 0:
            return super().predict(observation, state, episode_start, deterministic)
        return self.policy.predict(observation, state, episode_start, deterministic)

    def q_values(self, observation: np.ndarray) -> np.ndarray:
        """Q-values of a batch of observations from the online network."""
        obs_tensor, _ = self.policy.obs_to_tensor(observation)
        with torch.no_grad():
            return self.q_net(obs_tensor).cpu().numpy()

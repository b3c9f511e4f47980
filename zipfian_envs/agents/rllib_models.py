"""The package's symbolic-Gridworld encoder inside RLlib's default PPO / APPO / IMPALA modules.

RLlib's default encoder reads the symbolic Gridworld's 50 cell codes as 50 floats, so "object 17"
sits numerically between objects 16 and 18 and the agent learns little (a 3M-step APPO + LSTM probe
on the default Gridworld stayed near the random policy). :class:`SymbolicGridCatalog` keeps every
other part of RLlib's default module (heads, LSTM, target networks, checkpoints) and swaps only the
per-step encoder for :class:`~zipfian_envs.agents.extractors.SymbolicGridExtractor`, the embedding
(and optional cue-match) encoder the SB3 agents use. With ``use_lstm=True`` it becomes the LSTM's
tokenizer, so the recurrent core reads embedded cells rather than raw codes.

The encoder's settings ride in the module's model config under :data:`GRID_ENCODER_KEY`, so a
saved checkpoint rebuilds the same module; the env creator's float cast (codes divided by their
upper bound, :func:`zipfian_envs.agents.rllib_policy.float_observations`) is undone with
``code_scale``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from ray.rllib.algorithms.ppo.ppo_catalog import PPOCatalog
from ray.rllib.core.columns import Columns
from ray.rllib.core.models.base import ENCODER_OUT, Encoder
from ray.rllib.core.models.configs import ModelConfig
from ray.rllib.core.models.torch.base import TorchModel

from zipfian_envs.agents.extractors import SymbolicGridExtractor

GRID_ENCODER_KEY = "zipfian_symbolic_grid"


@dataclass
class SymbolicGridEncoderConfig(ModelConfig):
    """Settings of :class:`TorchSymbolicGridEncoder` (``input_dims``: the number of codes per observation)."""

    num_codes: int = 228
    code_scale: float = 227.0
    embed_dim: int = 8
    hidden: int = 256
    features_dim: int = 256
    features: str = "codes"
    match_dim: int = 32

    @property
    def output_dims(self) -> tuple[int, ...]:
        """One feature vector of ``features_dim`` per observation."""
        return (self.features_dim,)

    def build(self, framework: str = "torch") -> TorchSymbolicGridEncoder:
        """The torch encoder (the only framework the package trains with)."""
        if framework != "torch":
            raise ValueError(f"unknown framework {framework!r}; valid: torch")
        return TorchSymbolicGridEncoder(self)


class TorchSymbolicGridEncoder(TorchModel, Encoder):
    """RLlib encoder: float-cast codes back to integers, then :class:`SymbolicGridExtractor`."""

    def __init__(self, config: SymbolicGridEncoderConfig) -> None:
        TorchModel.__init__(self, config)
        Encoder.__init__(self, config)
        n = int(config.input_dims[0])
        space = gym.spaces.Box(0, config.num_codes - 1, (n,), np.uint8)
        self.net = SymbolicGridExtractor(
            space, config.features_dim, config.embed_dim, config.hidden, config.features, config.match_dim
        )

    def _forward(self, inputs: dict, **kwargs: Any) -> dict:
        codes = (inputs[Columns.OBS] * self.config.code_scale).round()
        return {ENCODER_OUT: self.net(codes)}



class SymbolicGridCatalog(PPOCatalog):
    """PPOCatalog (also APPO's and IMPALA's) whose per-step encoder is the symbolic-Gridworld one.

    Without :data:`GRID_ENCODER_KEY` in the model config it is RLlib's PPOCatalog unchanged. With
    ``use_lstm`` RLlib builds its LSTM encoder and asks for a tokenizer through this same method
    (with ``use_lstm`` off), which is where the grid encoder goes in.
    """

    @classmethod
    def _get_encoder_config(
        cls, observation_space: gym.Space, model_config_dict: dict, action_space: gym.Space | None = None
    ) -> ModelConfig:
        grid = model_config_dict.get(GRID_ENCODER_KEY)
        if not grid or model_config_dict.get("use_lstm") or model_config_dict.get("use_attention"):
            return super()._get_encoder_config(observation_space, model_config_dict, action_space)
        if not (isinstance(observation_space, gym.spaces.Box) and len(observation_space.shape) == 1):
            raise ValueError(f"the symbolic-Gridworld encoder needs a 1-D Box of codes, got {observation_space}")
        return SymbolicGridEncoderConfig(input_dims=observation_space.shape, **grid)


def grid_encoder_settings(observation_space: gym.spaces.Box, cue_match: bool, hidden: int = 256) -> dict[str, Any]:
    """The :data:`GRID_ENCODER_KEY` entry for a raw (uint8) symbolic-Gridworld observation space."""
    low, high = int(np.min(observation_space.low)), int(np.max(observation_space.high))
    if low != 0:
        raise ValueError(f"symbolic-Gridworld codes start at 0, got a lower bound of {low}")
    return {
        "num_codes": high + 1,
        "code_scale": float(high),
        "hidden": hidden,
        "features_dim": hidden,
        "features": "cue_match" if cue_match else "codes",
    }

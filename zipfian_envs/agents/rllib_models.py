"""The package's encoders inside RLlib's default PPO / APPO / IMPALA modules.

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

The first-person envs (Labyrinth, Playroom) get the same image + instruction encoder as the SB3
presets (:class:`~zipfian_envs.agents.extractors.FastImageCNN` and
:class:`~zipfian_envs.agents.extractors.InstructionEncoder`) through :class:`ZipfianCatalog` and
:data:`FIRST_PERSON_ENCODER_KEY`: the env creator's flat float vector (the image's pixels / 255,
then the tokens / their bound, in sorted key order) is split and un-scaled back into the two.
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

from zipfian_envs.agents.extractors import FAST_CNN_MIN_SIDE, FastImageCNN, InstructionEncoder, SymbolicGridExtractor

GRID_ENCODER_KEY = "zipfian_symbolic_grid"
FIRST_PERSON_ENCODER_KEY = "zipfian_first_person"


@dataclass
class PackageEncoderConfig(ModelConfig):
    """What the package's RLlib encoder configs share: one ``features_dim`` vector out, torch only."""

    features_dim: int = 256

    @property
    def output_dims(self) -> tuple[int, ...]:
        """One feature vector of ``features_dim`` per observation."""
        return (self.features_dim,)

    def build(self, framework: str = "torch") -> Encoder:
        """The torch encoder (the only framework the package trains with)."""
        if framework != "torch":
            raise ValueError(f"unknown framework {framework!r}; valid: torch")
        return self.torch_encoder()

    def torch_encoder(self) -> Encoder:
        """The encoder this config describes (each subclass names its own)."""
        raise NotImplementedError


@dataclass
class SymbolicGridEncoderConfig(PackageEncoderConfig):
    """Settings of :class:`TorchSymbolicGridEncoder` (``input_dims``: the number of codes per observation)."""

    num_codes: int = 228
    code_scale: float = 227.0
    embed_dim: int = 8
    hidden: int = 256
    features: str = "codes"
    match_dim: int = 32

    def torch_encoder(self) -> TorchSymbolicGridEncoder:
        """:class:`TorchSymbolicGridEncoder` of these settings."""
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


@dataclass
class FirstPersonEncoderConfig(PackageEncoderConfig):
    """Settings of :class:`TorchFirstPersonEncoder` (``input_dims``: the flat float vector's length)."""

    image_shape: tuple[int, int, int] = (72, 96, 3)
    num_tokens: int = 16
    token_scale: float = 1.0
    vocab_size: int = 2
    image_dim: int = 256
    text_dim: int = 64
    instruction_mode: str = "mean"

    def torch_encoder(self) -> TorchFirstPersonEncoder:
        """:class:`TorchFirstPersonEncoder` of these settings."""
        return TorchFirstPersonEncoder(self)


class TorchFirstPersonEncoder(TorchModel, Encoder):
    """RLlib encoder: the flat float observation split into image and tokens, then the SB3 presets' encoders."""

    def __init__(self, config: FirstPersonEncoderConfig) -> None:
        TorchModel.__init__(self, config)
        Encoder.__init__(self, config)
        import torch

        self._torch = torch
        image_space = gym.spaces.Box(0, 255, tuple(config.image_shape), np.uint8)
        self.image = FastImageCNN(image_space, config.image_dim)  # reads the creator's [0, 1] floats
        self.instruction = InstructionEncoder(config.vocab_size, out_dim=config.text_dim, mode=config.instruction_mode)
        self.head = torch.nn.Sequential(torch.nn.Linear(config.image_dim + config.text_dim, config.features_dim),
                                        torch.nn.ReLU())  # fmt: skip
        self._image_size = int(np.prod(config.image_shape))

    def _forward(self, inputs: dict, **kwargs: Any) -> dict:
        flat = inputs[Columns.OBS]
        images = flat[..., : self._image_size].reshape(-1, *self.config.image_shape)
        tokens = (flat[..., self._image_size :].reshape(-1, self.config.num_tokens) * self.config.token_scale).round()
        features = self.head(self._torch.cat([self.image(images), self.instruction(tokens)], dim=-1))
        return {ENCODER_OUT: features.reshape(*flat.shape[:-1], -1)}


class ZipfianCatalog(SymbolicGridCatalog):
    """SymbolicGridCatalog that also puts the first-person encoder in front (FIRST_PERSON_ENCODER_KEY)."""

    @classmethod
    def _get_encoder_config(
        cls, observation_space: gym.Space, model_config_dict: dict, action_space: gym.Space | None = None
    ) -> ModelConfig:
        first_person = model_config_dict.get(FIRST_PERSON_ENCODER_KEY)
        if not first_person or model_config_dict.get("use_lstm") or model_config_dict.get("use_attention"):
            return super()._get_encoder_config(observation_space, model_config_dict, action_space)
        expected = int(np.prod(first_person["image_shape"])) + int(first_person["num_tokens"])
        if not (isinstance(observation_space, gym.spaces.Box) and observation_space.shape == (expected,)):
            raise ValueError(f"the first-person encoder needs a flat Box of {expected} floats, got {observation_space}")
        return FirstPersonEncoderConfig(input_dims=observation_space.shape, **first_person)


def first_person_encoder_settings(observation_space: gym.Space, hidden: int = 256) -> dict[str, Any] | None:
    """The :data:`FIRST_PERSON_ENCODER_KEY` entry for a raw ``{"image", "instruction"}`` space, or None.

    None where the space is not a first-person one or its image is under the encoder's
    ``FAST_CNN_MIN_SIDE`` pixels a side (tiny test views): RLlib's own encoder takes those.
    """
    if not isinstance(observation_space, gym.spaces.Dict) or set(observation_space.spaces) != {"image", "instruction"}:
        return None
    image, tokens = observation_space["image"], observation_space["instruction"]
    if not (isinstance(image, gym.spaces.Box) and isinstance(tokens, gym.spaces.Box)) or len(image.shape) != 3:
        return None
    if min(image.shape[:2]) < FAST_CNN_MIN_SIDE or len(tokens.shape) != 1:
        return None
    low, high = int(np.min(tokens.low)), int(np.max(tokens.high))
    if low != 0:
        raise ValueError(f"instruction token ids start at 0 (padding), got a lower bound of {low}")
    return {
        "image_shape": tuple(int(n) for n in image.shape),
        "num_tokens": int(tokens.shape[0]),
        "token_scale": float(high),
        "vocab_size": high + 1,
        "features_dim": hidden,
    }

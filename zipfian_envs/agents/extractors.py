"""Feature extractors sized for the suite's observations (SB3 ``BaseFeaturesExtractor`` subclasses).

* :class:`GridPixelCNN` - 63x63 Gridworld pixels: a 9x9 stride-9 conv gives one feature vector per
  cell, then a 3x3 conv and a linear layer (PPO trains ~2x faster than with SB3's NatureCNN here).
* :class:`SymbolicGridExtractor` - symbolic Gridworld: cell codes and the target code embedded with one
  shared table, plus their element-wise product (so "this cell holds the target" is linear), then an MLP;
  ``features="cue_match"`` adds each cell's cosine match with the cued kind (a kind-agnostic target map).
* :class:`DictExtractor` - ``{"image": HxWx3 uint8, "instruction": token ids (0 = padding)}``: a small
  CNN (``image_encoder="small"``, or the CPU-sized ``"fast"`` :class:`FastImageCNN` that reads raw
  pixels) and an instruction encoder (token embedding, then a masked mean-pool or a GRU).

:func:`extractor_for` picks one for an observation space. SB3 hands extractors float tensors: images
already divided by 255 and transposed to channels-first, integer codes as floats.
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.preprocessing import is_image_space
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from zipfian_envs.gridworld.dynamics import OBJECT_CODE_OFFSET as OBJECT_CODE

GRID_CELL_PIXELS = 9


def _channels_first(space: spaces.Box) -> bool:
    """True when an image space is CxHxW (SB3's VecTransposeImage output), False for HxWxC.

    The channel axis is the shortest one: 3 colours, or 3k of a k-frame stack (12 of 4 frames).
    """
    shape = space.shape
    return shape[0] < min(shape[1], shape[2])


def _to_nchw(images: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """Batch of images in NCHW layout."""
    return images if channels_first else images.permute(0, 3, 1, 2)


def _cnn_output_dim(cnn: nn.Module, space: spaces.Box, channels_first: bool) -> int:
    """Flattened output size of ``cnn`` on one zero image of ``space``."""
    shape = space.shape if channels_first else (space.shape[2], space.shape[0], space.shape[1])
    with torch.no_grad():
        return int(cnn(torch.zeros(1, *shape)).shape[1])


class ScaledConv2d(nn.Conv2d):
    """A conv of ``input_scale * x``, the scale applied to the (smaller) output: ``s * conv(x) + bias``.

    With SB3's ``normalize_images=False`` a policy hands the extractor raw 0..255 floats; dividing
    the whole batch by 255 was half of a Gridworld pixel PPO update (one more pass over every
    pixel), while the first conv's output is 15x smaller there. ``input_scale=1`` is a plain conv.
    """

    def __init__(self, *args: Any, input_scale: float = 1.0, input_shift: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.input_scale = float(input_scale)
        self.input_shift = float(input_shift)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``conv(input_scale * (x - input_shift))``, as ``input_scale * conv_without_bias(x) + shifted bias``.

        The shift folds into the bias (each output channel loses ``scale * shift * sum(weights)``), so
        centring the pixels costs no pass over them. Without padding that is exact.
        """
        if x.dtype == torch.uint8:
            x = x.float()
        if self.input_scale == 1.0 and self.input_shift == 0.0:
            return super().forward(x)
        out = nn.functional.conv2d(x, self.weight, None, self.stride, self.padding, self.dilation, self.groups)
        out = out * self.input_scale
        bias = self.bias if self.bias is not None else torch.zeros(out.shape[1], device=out.device)
        if self.input_shift:
            bias = bias - self.input_scale * self.input_shift * self.weight.sum(dim=(1, 2, 3))
        return out + bias.view(1, -1, 1, 1)


class GridPixelCNN(BaseFeaturesExtractor):
    """Small CNN for Gridworld pixels: one 9x9/9 conv output per cell, a 3x3 conv, then linear.

    ``pixel_scale=1/255`` with the policy's ``normalize_images=False``: raw pixels in, scaled after
    the first conv (:class:`ScaledConv2d`). ``features="cue_match"`` is the pixel counterpart of the
    symbolic extractor's products: the view's top-left cell shows the cued object, so every cell's
    first-layer features are also multiplied by that cell's, and "this cell looks like the cue"
    becomes one shared, kind-agnostic feature map for the 3x3 conv.
    """

    FEATURES = ("cells", "cue_match")

    def __init__(
        self,
        observation_space: spaces.Box,
        features_dim: int = 256,
        channels: int = 32,
        pixel_scale: float = 1.0,
        features: str = "cells",
    ) -> None:
        super().__init__(observation_space, features_dim)
        if features not in self.FEATURES:
            raise ValueError(f"unknown features {features!r}; valid: {', '.join(self.FEATURES)}")
        self.features = features
        self.channels_first = _channels_first(observation_space)
        in_channels = observation_space.shape[0 if self.channels_first else 2]
        mixed = 2 * channels if features == "cue_match" else channels
        # One Sequential with the same layer indices as before the cue-match option: saved models load.
        self.cnn = nn.Sequential(
            ScaledConv2d(
                in_channels, channels, kernel_size=GRID_CELL_PIXELS, stride=GRID_CELL_PIXELS, input_scale=pixel_scale
            ),
            nn.ReLU(),
            nn.Conv2d(mixed, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = int(self._conv(torch.zeros(1, *observation_space.shape)).shape[1])
        self.linear = nn.Sequential(nn.Linear(n_flat, features_dim), nn.ReLU())

    def _conv(self, observations: torch.Tensor) -> torch.Tensor:
        cells = self.cnn[1](self.cnn[0](_to_nchw(observations, self.channels_first)))
        if self.features == "cue_match":
            cue = cells[:, :, :1, :1]  # the top-left cell: the cued object on grey
            cells = torch.cat([cells, cells * cue], dim=1)
        return cast(torch.Tensor, self.cnn[4](self.cnn[3](self.cnn[2](cells))))

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images."""
        return self.linear(self._conv(observations))


class SymbolicGridExtractor(BaseFeaturesExtractor):
    """Embeds symbolic cell codes and the target code, then an MLP.

    The observation is ``n`` codes: ``n - 1`` cells and the target's code last. The MLP sees the
    flattened cell embeddings, the target embedding and the cells' element-wise products with it
    (one shared table), so "this cell holds the target" is linear per kind. ``features="cue_match"``
    adds a relational map: per cell, the cosine between its kind's embedding and the target's in a
    second table of ``match_dim`` (0 on cells without an object). A cell holding the cued kind scores
    1 whatever the kind, so spotting the target is one skill shared by all kinds, including kinds
    rarely or never cued in training; the per-kind features stay for what is kind-specific.
    """

    FEATURES = ("codes", "cue_match")

    def __init__(
        self,
        observation_space: spaces.Box,
        features_dim: int = 256,
        embed_dim: int = 8,
        hidden: int = 256,
        features: str = "codes",
        match_dim: int = 32,
    ) -> None:
        super().__init__(observation_space, features_dim)
        if features not in self.FEATURES:
            raise ValueError(f"unknown features {features!r}; valid: {', '.join(self.FEATURES)}")
        self.features = features
        self.num_codes = int(np.max(observation_space.high)) + 1
        n = int(observation_space.shape[0])
        self.embed = nn.Embedding(self.num_codes, embed_dim)
        n_in = (2 * (n - 1) + 1) * embed_dim
        if features == "cue_match":
            self.match_embed = nn.Embedding(self.num_codes, match_dim)
            n_in += n - 1
        self.mlp = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Features of a batch of code vectors (floats holding integers)."""
        codes = observations.long().clamp_(0, self.num_codes - 1)
        emb = self.embed(codes)  # (B, n, d)
        cells, target = emb[:, :-1], emb[:, -1:]
        parts = [cells.flatten(1), target.flatten(1), (cells * target).flatten(1)]
        if self.features == "cue_match":
            parts.append(self.cue_match(codes))
        return self.mlp(torch.cat(parts, dim=1))

    def cue_match(self, codes: torch.Tensor) -> torch.Tensor:
        """``(B, n - 1)``: each cell's cosine match with the cued kind, 0 where no object stands."""
        # Cosines between all code pairs first (a num_codes^2 table), then a gather: normalising
        # the looked-up (B, n, match_dim) vectors cost half the training step's backward pass.
        table = nn.functional.normalize(self.match_embed.weight, dim=-1)
        cosines = table @ table.T
        return cosines[codes[:, :-1], codes[:, -1:]] * (codes[:, :-1] >= OBJECT_CODE)


class SmallImageCNN(nn.Module):
    """Generic small CNN for any HxW image (8/4 and 4/2 convs, then a 4x4 adaptive pool)."""

    def __init__(self, space: spaces.Box, out_dim: int = 256, channels: int = 32) -> None:
        super().__init__()
        self.channels_first = _channels_first(space)
        in_channels = space.shape[0 if self.channels_first else 2]
        self.cnn = nn.Sequential(
            nn.Conv2d(in_channels, channels, kernel_size=8, stride=4),
            nn.ReLU(),
            nn.Conv2d(channels, 2 * channels, kernel_size=4, stride=2),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
        )
        self.linear = nn.Sequential(nn.Linear(2 * channels * 16, out_dim), nn.ReLU())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images."""
        return self.linear(self.cnn(_to_nchw(images, self.channels_first)))


FAST_CNN_MIN_SIDE = 30  # 6x6 patches, then two 3x3 convs (one at stride 2): 5 patches a side at least


class FastImageCNN(nn.Module):
    """A first-person image encoder sized for a CPU: 6x6 patches (a 12x16 grid on 72x96 views) to 16
    channels, 3x3 convs to 32 at strides 2 and 1, then linear.

    Its forward and backward pass costs about a sixth of :class:`SmallImageCNN`'s and 0.4 of an
    8/4-stride 16/32/32 CNN's on 72x96 views (benchmarks/bench_training.py). ``pixel_scale=1/255``
    takes raw pixels (uint8, or 0..255 floats from a policy with ``normalize_images=False``) and
    scales after the first conv (:class:`ScaledConv2d`); the default 1 takes SB3's [0, 1] floats.
    ``centre_pixels`` subtracts half the input range first (pixels in [-0.5, 0.5]): fitting the
    Playroom oracle's actions, the encoder leaves its always-forward plateau about twice as soon
    (docs/baselines/first-person.md).
    """

    def __init__(
        self,
        space: spaces.Box,
        out_dim: int = 256,
        channels: tuple[int, int, int] = (16, 32, 32),
        pixel_scale: float = 1.0,
        centre_pixels: bool = False,
    ) -> None:
        super().__init__()
        self.channels_first = _channels_first(space)
        in_channels = space.shape[0 if self.channels_first else 2]
        height, width = space.shape[1:] if self.channels_first else space.shape[:2]
        if min(height, width) < FAST_CNN_MIN_SIDE:
            side = FAST_CNN_MIN_SIDE
            raise ValueError(f"FastImageCNN needs images of at least {side}x{side} pixels, got {height}x{width}")
        first, second, third = channels
        self.cnn = nn.Sequential(
            ScaledConv2d(
                in_channels,
                first,
                kernel_size=6,
                stride=6,
                input_scale=pixel_scale,
                input_shift=0.5 / pixel_scale if centre_pixels else 0.0,
            ),
            nn.ReLU(),
            nn.Conv2d(first, second, kernel_size=3, stride=2),
            nn.ReLU(),
            nn.Conv2d(second, third, kernel_size=3, stride=1),
            nn.ReLU(),
            nn.Flatten(),
        )
        n_flat = _cnn_output_dim(self.cnn, space, self.channels_first)
        self.linear = nn.Sequential(nn.Linear(n_flat, out_dim), nn.ReLU())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images (scaled by ``pixel_scale`` after the first conv)."""
        return cast(torch.Tensor, self.linear(self.cnn(_to_nchw(images, self.channels_first))))

    def forward_with_map(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The features and the second conv's (B, C, h, w) map (5x7 cells of ~18 degrees on 72x96 views)."""
        mid = self.cnn[3](self.cnn[2](self.cnn[1](self.cnn[0](_to_nchw(images, self.channels_first)))))
        return self.linear(self.cnn[6](self.cnn[5](self.cnn[4](mid)))), mid


IMAGE_ENCODERS = ("small", "fast")
FUSIONS = ("concat", "match")


class InstructionEncoder(nn.Module):
    """Token ids (0 = padding) to one vector: embedding, then masked mean-pool or a GRU."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, out_dim: int = 64, mode: str = "mean") -> None:
        super().__init__()
        if mode not in ("mean", "gru"):
            raise ValueError(f"unknown instruction encoder mode {mode!r}; valid: mean, gru")
        self.mode = mode
        self.vocab_size = vocab_size
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        if mode == "gru":
            self.gru = nn.GRU(embed_dim, out_dim, batch_first=True)
            self.proj: nn.Module = nn.Identity()
        else:
            self.proj = nn.Sequential(nn.Linear(embed_dim, out_dim), nn.ReLU())

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Encode a (B, L) batch of token ids."""
        tokens = tokens.long().clamp(0, self.vocab_size - 1)
        mask = (tokens != 0).float()
        emb = self.embed(tokens)
        if self.mode == "mean":
            pooled = (emb * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
            return self.proj(pooled)
        lengths = mask.sum(1).long().clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, hidden = self.gru(packed)
        return hidden[-1]


def _instruction_tokens(space: spaces.Space, value: torch.Tensor) -> torch.Tensor:
    """Token ids from SB3's preprocessed instruction (a Box passes through, MultiDiscrete is one-hot)."""
    if isinstance(space, spaces.MultiDiscrete):
        vocab = int(space.nvec.max())
        return value.reshape(value.shape[0], len(space.nvec), vocab).argmax(-1)
    return value


class DictExtractor(BaseFeaturesExtractor):
    """For ``{"image", "instruction", ...}`` observations: small CNN + instruction encoder (+ flat extras).

    ``fusion="concat"`` (default) joins the image and instruction vectors. ``fusion="match"`` (with
    the fast encoder) adds the first-person counterpart of the Gridworld's cue-match: the
    instruction is turned into ``match_heads`` queries over the channels of the image encoder's
    mid-level map, and each map cell's dot product with each query is a feature, so "where in view
    is something that looks like what the instruction names" is one map shared by every kind.
    """

    def __init__(
        self,
        observation_space: spaces.Dict,
        features_dim: int = 256,
        image_dim: int = 256,
        text_dim: int = 64,
        embed_dim: int = 32,
        instruction_mode: str = "mean",
        image_key: str = "image",
        instruction_key: str = "instruction",
        image_encoder: str = "small",
        pixel_scale: float = 1.0,
        fusion: str = "concat",
        match_heads: int = 4,
        centre_pixels: bool = False,
        image_channels: tuple[int, int, int] = (16, 32, 32),
    ) -> None:
        super().__init__(observation_space, features_dim)
        self.image_key, self.instruction_key = image_key, instruction_key
        subspaces = observation_space.spaces
        if image_key not in subspaces:
            raise ValueError(f"DictExtractor needs an {image_key!r} key, got {sorted(subspaces)}")
        if image_encoder not in IMAGE_ENCODERS:
            raise ValueError(f"unknown image_encoder {image_encoder!r}; valid: {', '.join(IMAGE_ENCODERS)}")
        image_space = cast(spaces.Box, subspaces[image_key])
        # "small" stays the default so models saved before "fast" existed load unchanged.
        if image_encoder == "fast":
            if len(image_channels) != 3 or min(image_channels) < 1:
                raise ValueError(f"image_channels must be 3 positive channel counts, got {image_channels!r}")
            first, second, third = (int(c) for c in image_channels)
            self.image: nn.Module = FastImageCNN(
                image_space, image_dim, (first, second, third), pixel_scale=pixel_scale, centre_pixels=centre_pixels
            )
        elif pixel_scale != 1.0 or centre_pixels:
            raise ValueError(
                f"pixel_scale={pixel_scale}, centre_pixels={centre_pixels} need image_encoder='fast' "
                "(the small CNN reads [0, 1])"
            )
        else:
            self.image = SmallImageCNN(image_space, image_dim)
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; valid: {', '.join(FUSIONS)}")
        if fusion == "match" and (image_encoder != "fast" or instruction_key not in subspaces):
            raise ValueError("fusion='match' needs image_encoder='fast' and an instruction key in the observation")
        if match_heads < 1:
            raise ValueError(f"match_heads must be >= 1, got {match_heads}")
        self.fusion = fusion
        total = image_dim
        self.instruction = None
        if instruction_key in subspaces:
            space = subspaces[instruction_key]
            if isinstance(space, spaces.MultiDiscrete):
                vocab = int(space.nvec.max())
            else:
                vocab = int(np.max(cast(spaces.Box, space).high)) + 1
            self.instruction = InstructionEncoder(vocab, embed_dim, text_dim, instruction_mode)
            total += text_dim
        if fusion == "match":
            with torch.no_grad():
                _, mid = cast(FastImageCNN, self.image).forward_with_map(torch.zeros(1, *image_space.shape))
            self.match_heads, self.match_channels = match_heads, int(mid.shape[1])
            self.query = nn.Linear(text_dim, match_heads * self.match_channels)
            total += match_heads * int(mid.shape[2] * mid.shape[3])
        self.extra_keys = sorted(k for k in subspaces if k not in (image_key, instruction_key))
        total += sum(int(gym.spaces.flatdim(subspaces[k])) for k in self.extra_keys)
        self.head = nn.Sequential(nn.Linear(total, features_dim), nn.ReLU())

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        """Features of a batch of dict observations."""
        if self.fusion == "match":
            image, mid = cast(FastImageCNN, self.image).forward_with_map(observations[self.image_key])
        else:
            image = self.image(observations[self.image_key])
        parts = [image]
        if self.instruction is not None:
            space = cast(spaces.Dict, self._observation_space).spaces[self.instruction_key]
            text = self.instruction(_instruction_tokens(space, observations[self.instruction_key]))
            parts.append(text)
            if self.fusion == "match":
                queries = self.query(text).view(-1, self.match_heads, self.match_channels)
                match = torch.einsum("bchw,bkc->bkhw", mid, queries) / self.match_channels**0.5
                parts.append(match.flatten(1))
        parts += [observations[k].flatten(1).float() for k in self.extra_keys]
        return self.head(torch.cat(parts, dim=1))


def observation_kind(space: spaces.Space) -> str:
    """``pixels``, ``symbolic``, ``dict`` or ``vector`` for an observation space."""
    if isinstance(space, spaces.Dict):
        return "dict"
    if isinstance(space, spaces.Box) and is_image_space(space, check_channels=False):
        return "pixels"
    if isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 1:
        return "symbolic"
    return "vector"


def extractor_for(space: spaces.Space, family: str = "Gridworld") -> tuple[type[BaseFeaturesExtractor] | None, dict]:
    """The extractor class and kwargs suited to an observation space (None: SB3's default)."""
    kind = observation_kind(space)
    if kind == "pixels":
        box = cast(spaces.Box, space)
        shape = box.shape if not _channels_first(box) else (box.shape[1], box.shape[2], box.shape[0])
        if family == "Gridworld" and shape[0] % GRID_CELL_PIXELS == 0 and shape[1] % GRID_CELL_PIXELS == 0:
            return GridPixelCNN, {}
        return ImageCNNExtractor, {}
    if kind == "symbolic":
        return SymbolicGridExtractor, {}
    if kind == "dict":
        return DictExtractor, {}
    return None, {}


class ImageCNNExtractor(BaseFeaturesExtractor):
    """:class:`SmallImageCNN` as an extractor for image observations of other sizes."""

    def __init__(self, observation_space: spaces.Box, features_dim: int = 256) -> None:
        super().__init__(observation_space, features_dim)
        self.cnn = SmallImageCNN(observation_space, features_dim)

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Features of a batch of images."""
        return self.cnn(observations)


def policy_kwargs_for(space: spaces.Space, family: str = "Gridworld", **overrides: Any) -> dict[str, Any]:
    """SB3 ``policy_kwargs`` with the suited extractor (plus ``overrides``)."""
    cls, kwargs = extractor_for(space, family)
    out: dict[str, Any] = {}
    if cls is not None:
        out["features_extractor_class"] = cls
        out["features_extractor_kwargs"] = kwargs
    out.update(overrides)
    return out

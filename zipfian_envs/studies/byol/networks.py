"""A small ResNet and MLP heads whose normalisation is one switch: bn, gn_ws, gn, ln or none.

* ``bn``: batch norm (statistics across the batch in train mode, running averages in eval mode).
* ``gn_ws``: group norm (statistics per example over channel groups) with weight-standardised conv
  and linear layers: each output unit's weights are ``(w - mean) / sqrt(var + eps)`` over its fan-in.
* ``gn``: group norm alone; ``ln``: layer norm (group norm with one group; ``LayerNorm`` in MLPs).
* ``none``: no normalisation at all.

The same switch applies to the encoder and to the projector and predictor MLPs, as in the paper.
Only ``bn`` lets one example's output depend on the rest of the batch.

Initialisation of the batch-independent norms (:func:`init_norms_from_data`). At initialisation a
BN layer in train mode makes every channel zero-mean and unit-variance *across the data*; a GN or LN
layer with its default affine (gamma 1, beta 0) does so only within each example, so the features
of different images share a large input-independent component. Richemond et al. (2020) trace BN's
role in BYOL largely to this conditioning at initialisation (their BN-free network recovers with an
initialisation that mimics BN). :func:`init_norms_from_data` is the batch-independent counterpart:
it sets each GN/LN layer's gamma and beta, once, from one batch of training views, so that at
initialisation every channel is zero-mean and unit-variance across that batch, as under BN. Training
then never looks at batch statistics again: the layer stays a per-example function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from zipfian_envs.studies.byol.config import NORMS

WS_EPS = 1e-5
CHANNELS_PER_GROUP = 8


def check_norm(norm: str) -> str:
    """Return ``norm`` if it is a known normalisation, else raise ValueError listing the choices."""
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; choose from {', '.join(NORMS)}")
    return norm


def standardize_weight(weight: torch.Tensor, eps: float = WS_EPS) -> torch.Tensor:
    """Weight standardisation: zero mean and unit variance per output unit (dim 0) over its fan-in."""
    flat = weight.reshape(weight.shape[0], -1)
    mean = flat.mean(dim=1, keepdim=True)
    var = flat.var(dim=1, unbiased=False, keepdim=True)
    return ((flat - mean) / torch.sqrt(var + eps)).reshape_as(weight)


class WSConv2d(nn.Conv2d):
    """Conv2d whose weights are standardised per output channel on every forward pass."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve with the standardised weights."""
        return self._conv_forward(x, standardize_weight(self.weight), self.bias)


class WSLinear(nn.Linear):
    """Linear layer whose weights are standardised per output unit on every forward pass."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the standardised weights."""
        return functional.linear(x, standardize_weight(self.weight), self.bias)


BATCH_FREE_AFFINE_NORMS = (nn.GroupNorm, nn.LayerNorm)


@torch.no_grad()
def init_norms_from_data(modules: list[nn.Module], forward: Callable[[], Any], eps: float = 1e-5) -> int:
    """Data-dependent initialisation of the GN/LN layers in ``modules``, one layer at a time in module order.

    ``forward`` runs the networks on one fixed batch of training inputs. For each GroupNorm or
    LayerNorm layer (with affine parameters), in the order the modules register them (the order of
    the forward pass for the networks here), it records the layer's output ``y = gamma * xhat + beta``
    on that batch, takes each channel's mean ``m`` and std ``s`` over the batch (and the spatial
    positions), and sets ``gamma <- gamma / s`` and ``beta <- (beta - m) / s``: the channel is then
    zero-mean and unit-variance across the batch, which is what BN gives at initialisation. Later
    layers are measured after the earlier ones are set (as in LSUV). Returns the number of layers set.
    """
    layers = [
        module
        for root in modules
        for module in root.modules()
        if isinstance(module, BATCH_FREE_AFFINE_NORMS) and getattr(module, "weight", None) is not None
    ]
    for layer in layers:
        captured: list[torch.Tensor] = []
        handle = layer.register_forward_hook(lambda _module, _inputs, output, store=captured: store.append(output))
        try:
            forward()
        finally:
            handle.remove()
        if not captured:
            raise RuntimeError(f"init_norms_from_data: the forward pass never reached {layer}")
        output = captured[0]
        if isinstance(layer, nn.LayerNorm):
            reduce = list(range(output.dim() - len(layer.normalized_shape)))
        else:
            reduce = [0, *range(2, output.dim())]
        mean = output.mean(dim=reduce)
        std = output.std(dim=reduce, unbiased=False) + eps
        layer.bias.copy_((layer.bias - mean) / std)
        layer.weight.copy_(layer.weight / std)
    return len(layers)


def _groups(channels: int) -> int:
    return max(1, channels // CHANNELS_PER_GROUP)


def norm_2d(norm: str, channels: int) -> nn.Module:
    """Normalisation layer for (N, C, H, W) feature maps."""
    if norm == "bn":
        return nn.BatchNorm2d(channels)
    if norm in ("gn", "gn_ws"):
        return nn.GroupNorm(_groups(channels), channels)
    if norm == "ln":
        return nn.GroupNorm(1, channels)
    return nn.Identity()


def norm_1d(norm: str, features: int) -> nn.Module:
    """Normalisation layer for (N, F) hidden activations of the MLP heads."""
    if norm == "bn":
        return nn.BatchNorm1d(features)
    if norm in ("gn", "gn_ws"):
        return nn.GroupNorm(_groups(features), features)
    if norm == "ln":
        return nn.LayerNorm(features)
    return nn.Identity()


def conv(norm: str, in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1) -> nn.Conv2d:
    """3x3 (or 1x1) convolution; weight-standardised under gn_ws; biased only when nothing normalises after it."""
    layer = WSConv2d if norm == "gn_ws" else nn.Conv2d
    return layer(in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=norm == "none")


def linear(norm: str, in_features: int, out_features: int, bias: bool = True) -> nn.Linear:
    """Linear layer, weight-standardised under gn_ws."""
    return (WSLinear if norm == "gn_ws" else nn.Linear)(in_features, out_features, bias=bias)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection (a 1x1 projection when the shape changes)."""

    def __init__(self, norm: str, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.conv1 = conv(norm, in_channels, out_channels, stride=stride)
        self.norm1 = norm_2d(norm, out_channels)
        self.conv2 = conv(norm, out_channels, out_channels)
        self.norm2 = norm_2d(norm, out_channels)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(conv(norm, in_channels, out_channels, 1, stride), norm_2d(norm, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """conv-norm-relu-conv-norm, plus the shortcut, then relu."""
        out = functional.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return functional.relu(out + self.shortcut(x))


class ResNetEncoder(nn.Module):
    """Small ResNet for 1-channel images: strided stem, one block per stage, global average pooling."""

    def __init__(self, norm: str = "bn", widths: tuple[int, ...] = (32, 64, 128)) -> None:
        super().__init__()
        check_norm(norm)
        self.norm = norm
        self.stem = nn.Sequential(conv(norm, 1, widths[0], stride=2), norm_2d(norm, widths[0]), nn.ReLU())
        blocks = []
        channels = widths[0]
        for index, width in enumerate(widths):
            blocks.append(BasicBlock(norm, channels, width, stride=1 if index == 0 else 2))
            channels = width
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) images in [0, 1] -> (N, feature_dim) features."""
        return self.blocks(self.stem(x)).mean(dim=(2, 3))


class MLPHead(nn.Module):
    """Linear-norm-ReLU-linear, the BYOL projector and predictor shape."""

    def __init__(self, norm: str, in_features: int, hidden: int, out_features: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            linear(norm, in_features, hidden, bias=norm == "none"),
            norm_1d(norm, hidden),
            nn.ReLU(),
            linear(norm, hidden, out_features),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project (N, in_features) to (N, out_features)."""
        return self.net(x)


class OnlineNetwork(nn.Module):
    """Encoder followed by the projector: the part the EMA target copies."""

    def __init__(self, norm: str, widths: tuple[int, ...], hidden: int, projection_dim: int) -> None:
        super().__init__()
        self.encoder = ResNetEncoder(norm, widths)
        self.projector = MLPHead(norm, self.encoder.feature_dim, hidden, projection_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images -> projections."""
        return self.projector(self.encoder(x))

"""BYOL's pieces as small functions: the regression loss, the EMA target, tau's cosine schedule, diagnostics.

Online network: encoder -> projector -> predictor. Target network: encoder -> projector, an
exponential moving average of the online weights. The loss is the symmetrised
``2 - 2 cos(prediction of view a, target projection of view b)``; no negative pairs.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn
from torch.nn import functional


def regression_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-example ``2 - 2 cos(prediction, target)`` = squared distance of the L2-normalised vectors."""
    return 2.0 - 2.0 * functional.cosine_similarity(prediction, target.detach(), dim=-1, eps=1e-8)


def byol_loss(
    prediction_a: torch.Tensor, prediction_b: torch.Tensor, target_a: torch.Tensor, target_b: torch.Tensor
) -> torch.Tensor:
    """Symmetrised BYOL loss: view a's prediction regresses view b's target projection, and vice versa."""
    return (regression_loss(prediction_a, target_b) + regression_loss(prediction_b, target_a)).mean()


def tau_schedule(step: int, total_steps: int, base_tau: float) -> float:
    """Cosine schedule from ``base_tau`` at step 0 to 1 at the last step: 1 - (1 - base)(cos(pi k / K) + 1) / 2."""
    if total_steps <= 0:
        return 1.0
    progress = min(max(step / total_steps, 0.0), 1.0)
    return 1.0 - (1.0 - base_tau) * (math.cos(math.pi * progress) + 1.0) / 2.0


def make_target(online: nn.Module) -> nn.Module:
    """A frozen copy of the online network, to follow it by EMA."""
    target = copy.deepcopy(online)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """``target <- tau * target + (1 - tau) * online`` for parameters; buffers (BN statistics) are copied."""
    for target_param, online_param in zip(target.parameters(), online.parameters(), strict=True):
        target_param.mul_(tau).add_(online_param.detach(), alpha=1.0 - tau)
    for target_buffer, online_buffer in zip(target.buffers(), online.buffers(), strict=True):
        target_buffer.copy_(online_buffer)


@torch.no_grad()
def projection_std(projections: torch.Tensor) -> float:
    """Mean over dimensions of the across-batch std of L2-normalised projections (~1/sqrt(d) healthy, 0 collapsed)."""
    normalised = functional.normalize(projections.float(), dim=-1)
    return float(normalised.std(dim=0).mean())

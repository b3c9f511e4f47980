"""Frozen-encoder evaluation: feature extraction, a linear probe (L-BFGS logistic regression) and kNN."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional

PROBE_WEIGHT_DECAY = 1e-3
PROBE_MAX_ITER = 150


def to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 images (..., H, W) -> float32 (N, 1, H, W) in [0, 1] on ``device``."""
    flat = images.reshape(-1, 1, images.shape[-2], images.shape[-1])
    return torch.from_numpy(np.ascontiguousarray(flat)).to(device=device, dtype=torch.float32).div_(255.0)


@torch.no_grad()
def extract_features(encoder: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Encoder features of (N, 1, H, W) images in eval mode (BN uses running statistics), on the CPU."""
    was_training = encoder.training
    encoder.eval()
    try:
        chunks = [encoder(images[i : i + batch_size]).float().cpu() for i in range(0, images.shape[0], batch_size)]
    finally:
        encoder.train(was_training)
    return torch.cat(chunks)


def _standardise(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = train.mean(dim=0, keepdim=True)
    std = train.std(dim=0, keepdim=True)
    # Constant (collapsed) dimensions become 0 rather than NaN.
    scale = torch.where(std > 1e-6, std, torch.ones_like(std))
    return (train - mean) / scale, (test - mean) / scale


def linear_probe(
    train_features: torch.Tensor,
    train_labels: torch.Tensor,
    test_features: torch.Tensor,
    num_classes: int,
    weight_decay: float = PROBE_WEIGHT_DECAY,
    max_iter: int = PROBE_MAX_ITER,
) -> torch.Tensor:
    """Multinomial logistic regression on standardised features (full-batch L-BFGS, zero init); test predictions.

    Deterministic: no random initialisation and no minibatches, so the probe adds no seed noise.
    """
    train_x, test_x = _standardise(train_features.double(), test_features.double())
    labels = train_labels.long()
    weight = torch.zeros(train_x.shape[1], num_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = functional.cross_entropy(train_x @ weight + bias, labels) + weight_decay * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return (test_x @ weight + bias).argmax(dim=1)


def knn_predict(
    train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor, k: int = 5
) -> torch.Tensor:
    """Cosine-similarity kNN: majority vote of the ``k`` nearest training features (ties: nearest wins)."""
    train = functional.normalize(train_features.float(), dim=1)
    test = functional.normalize(test_features.float(), dim=1)
    k = min(k, train.shape[0])
    similarity, index = (test @ train.T).topk(k, dim=1)
    neighbours = train_labels.long()[index]
    num_classes = int(train_labels.max()) + 1
    # Vote weight 1 plus a tiny similarity term so ties go to the closer neighbours.
    votes = torch.zeros(test.shape[0], num_classes).scatter_add_(1, neighbours, 1.0 + 1e-3 * similarity)
    return votes.argmax(dim=1)

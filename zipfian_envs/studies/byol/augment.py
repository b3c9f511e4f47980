"""Batched, seeded image augmentations in torch for 1-channel images in [0, 1].

One affine warp does the random resized crop, a small rotation and a shear, plus a smooth elastic
displacement; then Gaussian blur, brightness and contrast, and cutout, each with its own probability.
Every random number comes from the caller's CPU ``torch.Generator`` (so a seed gives the same views
on any device); the images may live on any device. No hue jitter: the glyphs are grayscale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.nn import functional


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each augmentation (fractions are of the image side or area)."""

    crop_scale: tuple[float, float] = (0.5, 1.0)
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)
    max_rotation_deg: float = 15.0
    max_shear: float = 0.15
    elastic: float = 0.03  # displacement amplitude of the smooth random field, in units of the half side
    blur_p: float = 0.5
    blur_sigma: tuple[float, float] = (0.3, 1.2)  # pixels
    brightness: float = 0.2
    contrast: tuple[float, float] = (0.6, 1.4)
    cutout_p: float = 0.5
    cutout_size: tuple[float, float] = (0.15, 0.35)


def _uniform(generator: torch.Generator, size: tuple[int, ...], low: float, high: float) -> torch.Tensor:
    return low + (high - low) * torch.rand(size, generator=generator)


def _affine(images: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Random resized crop + rotation + shear + elastic jitter in one ``grid_sample``."""
    n, _, height, width = images.shape
    area = _uniform(generator, (n,), *config.crop_scale)
    log_ratio = _uniform(generator, (n,), math.log(config.crop_ratio[0]), math.log(config.crop_ratio[1]))
    ratio = torch.exp(log_ratio)
    crop_w = torch.sqrt(area * ratio).clamp(max=1.0)
    crop_h = torch.sqrt(area / ratio).clamp(max=1.0)
    center_x = (1.0 - crop_w) * _uniform(generator, (n,), -1.0, 1.0)
    center_y = (1.0 - crop_h) * _uniform(generator, (n,), -1.0, 1.0)
    angle = torch.deg2rad(_uniform(generator, (n,), -config.max_rotation_deg, config.max_rotation_deg))
    shear = _uniform(generator, (n,), -config.max_shear, config.max_shear)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # Output coordinate u maps to input R @ S @ diag(crop) @ u + centre (all in [-1, 1] grid units).
    a11 = cos * crop_w
    a12 = (cos * shear - sin) * crop_h
    a21 = sin * crop_w
    a22 = (sin * shear + cos) * crop_h
    theta = torch.stack([torch.stack([a11, a12, center_x], -1), torch.stack([a21, a22, center_y], -1)], -2)
    coarse = config.elastic * (2.0 * torch.rand((n, 2, 4, 4), generator=generator) - 1.0)
    device = images.device
    grid = functional.affine_grid(theta.to(device), [n, 1, height, width], align_corners=False)
    field = functional.interpolate(coarse.to(device), size=(height, width), mode="bicubic", align_corners=False)
    grid = grid + field.permute(0, 2, 3, 1)
    return functional.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _blur(images: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Separable Gaussian blur with a per-image sigma; images not chosen get a delta kernel."""
    n, channels, height, width = images.shape
    chosen = torch.rand((n,), generator=generator) < config.blur_p
    sigma = _uniform(generator, (n,), *config.blur_sigma)
    offsets = torch.arange(-2, 3, dtype=torch.float32)
    kernel = torch.exp(-(offsets[None, :] ** 2) / (2.0 * sigma[:, None] ** 2))
    kernel = kernel / kernel.sum(dim=1, keepdim=True)
    delta = (offsets == 0).float().expand(n, -1)
    kernel = torch.where(chosen[:, None], kernel, delta).to(images.device)
    flat = images.reshape(1, n * channels, height, width)
    weights = kernel.repeat_interleave(channels, dim=0)
    flat = functional.conv2d(functional.pad(flat, (2, 2, 0, 0)), weights[:, None, None, :], groups=n * channels)
    flat = functional.conv2d(functional.pad(flat, (0, 0, 2, 2)), weights[:, None, :, None], groups=n * channels)
    return flat.reshape(n, channels, height, width)


def _photometric(images: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Contrast about each image's mean, then a brightness shift."""
    n = images.shape[0]
    contrast = _uniform(generator, (n, 1, 1, 1), *config.contrast).to(images.device)
    brightness = _uniform(generator, (n, 1, 1, 1), -config.brightness, config.brightness).to(images.device)
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * contrast + mean + brightness


def _cutout(images: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Zero a random square in the chosen images."""
    n, _, height, width = images.shape
    chosen = torch.rand((n,), generator=generator) < config.cutout_p
    side = _uniform(generator, (n,), *config.cutout_size)
    top = torch.rand((n,), generator=generator) * (1.0 - side)
    left = torch.rand((n,), generator=generator) * (1.0 - side)
    rows = (torch.arange(height, dtype=torch.float32) + 0.5) / height
    cols = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    inside_rows = (rows[None, :] >= top[:, None]) & (rows[None, :] < (top + side)[:, None])
    inside_cols = (cols[None, :] >= left[:, None]) & (cols[None, :] < (left + side)[:, None])
    mask = chosen[:, None, None] & inside_rows[:, :, None] & inside_cols[:, None, :]
    return images.masked_fill(mask[:, None].to(images.device), 0.0)


def augment(images: torch.Tensor, generator: torch.Generator, config: AugmentConfig | None = None) -> torch.Tensor:
    """One random view of each image: (N, 1, H, W) in [0, 1] -> same shape, values in [0, 1]."""
    if images.ndim != 4:
        raise ValueError(f"augment expects (N, C, H, W) images, got shape {tuple(images.shape)}")
    if generator.device.type != "cpu":
        raise ValueError(f"augment draws from a CPU torch.Generator, got one on {generator.device}")
    config = config or AugmentConfig()
    views = _affine(images, generator, config)
    views = _blur(views, generator, config)
    views = _photometric(views, generator, config)
    views = _cutout(views, generator, config)
    return views.clamp(0.0, 1.0)

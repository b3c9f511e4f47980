"""Procedural wall textures: a base colour times a pattern, 16x16 texels, drawn in numpy.

Textures are fixed assets (the same material always looks the same), so their noise comes from a
generator seeded by the material's own description, never from an episode's generator.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

TEXTURE_SIZE = 16
PATTERNS = ("plain", "bricks", "stripes", "checker", "noise", "planks", "tiles", "dots", "screen")

_u, _v = np.meshgrid(np.arange(TEXTURE_SIZE), np.arange(TEXTURE_SIZE))  # _u: column, _v: row


def _pattern(name: str, seed: int) -> np.ndarray:
    """A (16, 16) brightness pattern in roughly [0.6, 1.15]."""
    rng = np.random.default_rng(seed)
    if name == "plain" or name == "screen":
        return np.ones((TEXTURE_SIZE, TEXTURE_SIZE))
    if name == "bricks":
        row = _v // 4
        offset = np.where(row % 2 == 0, 0, 4)
        mortar = (_v % 4 == 0) | ((_u + offset) % 8 == 0)
        return np.where(mortar, 0.65, 1.0) + 0.05 * rng.standard_normal((TEXTURE_SIZE, TEXTURE_SIZE))
    if name == "stripes":
        return np.where((_u // 2) % 2 == 0, 1.0, 0.8)
    if name == "checker":
        return np.where(((_u // 4) + (_v // 4)) % 2 == 0, 1.0, 0.75)
    if name == "noise":
        return 0.9 + 0.12 * rng.standard_normal((TEXTURE_SIZE, TEXTURE_SIZE))
    if name == "planks":
        return np.where(_u % 5 == 0, 0.7, 1.0) * (0.95 + 0.05 * np.sin(_v * 0.9 + rng.random() * 6))
    if name == "tiles":
        return np.where((_u % 8 == 0) | (_v % 8 == 0), 0.7, 1.0)
    if name == "dots":
        return np.where(((_u % 6 - 3) ** 2 + (_v % 6 - 3) ** 2) <= 2, 0.7, 1.0)
    raise ValueError(f"unknown texture pattern {name!r}; valid: {', '.join(PATTERNS)}")


def make_texture(colour: Sequence[float], pattern: str = "plain") -> np.ndarray:
    """One (16, 16, 3) uint8 texture: ``colour`` modulated by ``pattern``."""
    rgb = np.asarray(colour, dtype=np.float64).reshape(3)
    if np.any(rgb < 0) or np.any(rgb > 255):
        raise ValueError(f"colour must be 3 values in 0..255, got {list(colour)}")
    seed = zlib.crc32(f"{pattern}:{rgb.tolist()}".encode())
    shade = _pattern(pattern, seed)
    return np.clip(shade[:, :, None] * rgb[None, None, :], 0, 255).astype(np.uint8)


def texture_bank(materials: Sequence[tuple[Sequence[float], str]]) -> np.ndarray:
    """Textures for wall materials 1..M as an (M + 1, 16, 16, 3) array; index 0 (open) is black."""
    bank = np.zeros((len(materials) + 1, TEXTURE_SIZE, TEXTURE_SIZE, 3), np.uint8)
    for index, (colour, pattern) in enumerate(materials, start=1):
        bank[index] = make_texture(colour, pattern)
    return bank

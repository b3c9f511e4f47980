"""Packed colours and light levels shared by the renderers.

Colours are composed as packed little-endian uint32 (r | g << 8 | b << 16): one gather per pixel
instead of three, and the RGB image is a view of the bytes at the end. Brightness is quantised to
``LIGHT_LEVELS`` levels so that shaded textures, floors and sprites are table lookups.
"""

from __future__ import annotations

import numpy as np

PACKED = np.dtype("<u4")
LIGHT_LEVELS = 48
MAX_BRIGHTNESS = 1.5
LEVEL_FACTORS = (np.arange(LIGHT_LEVELS) * (MAX_BRIGHTNESS / (LIGHT_LEVELS - 1))).astype(np.float32)


def pack(rgb: np.ndarray) -> np.ndarray:
    """Pack (..., 3) colours (any real dtype, clipped to 0..255) into (...) uint32."""
    rgb = np.minimum(np.maximum(np.asarray(rgb), 0), 255).astype(np.uint32)
    return (rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)).astype(PACKED)


def unpack(packed: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The (..., 3) uint8 colours of a packed array (a fresh, contiguous array, or written into ``out``)."""
    rgb = np.empty((*packed.shape, 3), np.uint8) if out is None else out
    # Assigning uint32 into uint8 keeps the low byte: three shifted copies beat a strided byte copy.
    rgb[..., 0] = packed
    rgb[..., 1] = packed >> 8
    rgb[..., 2] = packed >> 16
    return rgb


def light_index(brightness: np.ndarray) -> np.ndarray:
    """The light level (0..LIGHT_LEVELS - 1) nearest to each brightness."""
    scaled = np.asarray(brightness) * ((LIGHT_LEVELS - 1) / MAX_BRIGHTNESS) + 0.5
    return np.minimum(np.maximum(scaled, 0), LIGHT_LEVELS - 1).astype(np.int64)


def fog(depth: np.ndarray | float, light: np.ndarray | float, fog_m: np.ndarray | float) -> np.ndarray:
    """Brightness at ``depth`` metres: ``light`` dimmed by distance (``fog_m`` is where it halves)."""
    return light / (1.0 + (np.asarray(depth) / fog_m) ** 2)

"""Procedural sprite silhouettes: each shape is a few primitives rasterised into a 24x24 atlas.

A sprite is drawn as ``colour * shade + fixed`` where ``alpha`` is set: ``shade`` carries the part
tinted by the entity's colour (two-tone bodies), ``fixed`` the parts that keep their own grey
(eyes, windows, stalks). Shapes are assets, identical in every episode; :data:`SHAPES` lists them
by name and :func:`shape_index` finds one. Other modules may build larger catalogues with
:func:`rasterise` and the same primitive language.

Primitives, in unit-square coordinates (u to the right, v downwards, both 0..1):
``("circle", cu, cv, r)``, ``("ellipse", cu, cv, ru, rv)``, ``("rect", u0, v0, u1, v1)``,
``("tri", u0, v0, u1, v1, u2, v2)``, ``("ring", cu, cv, r_out, r_in)``; each may end with a
keyword dict ``{"shade": s}`` (tint factor, default 1) or ``{"fixed": g}`` (a fixed grey level,
drawn untinted) or ``{"cut": True}`` (erase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SPRITE_SIZE = 24

_c = (np.arange(SPRITE_SIZE) + 0.5) / SPRITE_SIZE
_U, _V = np.meshgrid(_c, _c)

Primitive = tuple


def _inside(primitive: Primitive) -> np.ndarray:
    kind, *args = primitive
    args = [a for a in args if not isinstance(a, dict)]
    if kind == "circle":
        cu, cv, r = args
        return (_U - cu) ** 2 + (_V - cv) ** 2 <= r * r
    if kind == "ellipse":
        cu, cv, ru, rv = args
        return ((_U - cu) / ru) ** 2 + ((_V - cv) / rv) ** 2 <= 1.0
    if kind == "rect":
        u0, v0, u1, v1 = args
        return (u0 <= _U) & (u1 >= _U) & (v0 <= _V) & (v1 >= _V)
    if kind == "ring":
        cu, cv, r_out, r_in = args
        d2 = (_U - cu) ** 2 + (_V - cv) ** 2
        return (d2 <= r_out * r_out) & (d2 >= r_in * r_in)
    if kind == "tri":
        (u0, v0), (u1, v1), (u2, v2) = args[0:2], args[2:4], args[4:6]
        d0 = (_U - u1) * (v0 - v1) - (u0 - u1) * (_V - v1)
        d1 = (_U - u2) * (v1 - v2) - (u1 - u2) * (_V - v2)
        d2 = (_U - u0) * (v2 - v0) - (u2 - u0) * (_V - v0)
        negative = (d0 < 0) | (d1 < 0) | (d2 < 0)
        positive = (d0 > 0) | (d1 > 0) | (d2 > 0)
        return ~(negative & positive)
    raise ValueError(f"unknown primitive {kind!r}; valid: circle, ellipse, rect, ring, tri")


def rasterise(primitives: Sequence[Primitive]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha bool, shade float32, fixed float32) 24x24 layers of a shape, painted in order."""
    alpha = np.zeros((SPRITE_SIZE, SPRITE_SIZE), bool)
    shade = np.zeros((SPRITE_SIZE, SPRITE_SIZE), np.float32)
    fixed = np.zeros((SPRITE_SIZE, SPRITE_SIZE), np.float32)
    for primitive in primitives:
        options = primitive[-1] if isinstance(primitive[-1], dict) else {}
        mask = _inside(primitive)
        if options.get("cut"):
            alpha &= ~mask
            continue
        alpha |= mask
        if "fixed" in options:
            shade[mask], fixed[mask] = 0.0, float(options["fixed"])
        else:
            shade[mask], fixed[mask] = float(options.get("shade", 1.0)), 0.0
    if not alpha.any():
        raise ValueError("a shape must cover at least one pixel")
    return alpha, shade, fixed


WHITE, BLACK, GREY = {"fixed": 235}, {"fixed": 20}, {"fixed": 150}
DARK, LIGHT = {"shade": 0.6}, {"shade": 1.25}

SHAPE_PRIMITIVES: dict[str, list[Primitive]] = {
    "apple": [
        ("circle", 0.5, 0.58, 0.32),
        ("rect", 0.47, 0.12, 0.53, 0.3, {"fixed": 90}),
        ("ellipse", 0.62, 0.2, 0.1, 0.05, {"fixed": 120}),
    ],
    "cake": [
        ("rect", 0.12, 0.45, 0.88, 0.9),
        ("rect", 0.12, 0.45, 0.88, 0.55, WHITE),
        ("rect", 0.47, 0.2, 0.53, 0.45, WHITE),
        ("circle", 0.5, 0.17, 0.05, {"fixed": 250}),
    ],
    "balloon": [
        ("ellipse", 0.5, 0.35, 0.28, 0.33),
        ("tri", 0.45, 0.7, 0.55, 0.7, 0.5, 0.64),
        ("rect", 0.49, 0.7, 0.51, 0.98, GREY),
    ],
    "hat": [("rect", 0.08, 0.72, 0.92, 0.82), ("rect", 0.25, 0.3, 0.75, 0.72), ("rect", 0.25, 0.6, 0.75, 0.67, BLACK)],
    "can": [
        ("rect", 0.28, 0.15, 0.72, 0.9),
        ("ellipse", 0.5, 0.15, 0.22, 0.05, GREY),
        ("rect", 0.28, 0.42, 0.72, 0.62, WHITE),
    ],
    "key": [
        ("ring", 0.3, 0.35, 0.2, 0.09),
        ("rect", 0.45, 0.31, 0.92, 0.4),
        ("rect", 0.78, 0.4, 0.84, 0.55),
        ("rect", 0.66, 0.4, 0.72, 0.5),
    ],
    "lolly": [("ellipse", 0.5, 0.38, 0.2, 0.3), ("rect", 0.47, 0.68, 0.53, 0.95, {"fixed": 200})],
    "mushroom": [
        ("ellipse", 0.5, 0.42, 0.4, 0.25),
        ("rect", 0.1, 0.42, 0.9, 0.7, {"cut": True}),
        ("rect", 0.4, 0.42, 0.6, 0.92, WHITE),
        ("circle", 0.38, 0.3, 0.05, WHITE),
        ("circle", 0.62, 0.27, 0.05, WHITE),
    ],
    "ball": [("circle", 0.5, 0.55, 0.38), ("ellipse", 0.4, 0.43, 0.1, 0.07, LIGHT)],
    "box": [
        ("rect", 0.15, 0.3, 0.85, 0.92),
        ("rect", 0.15, 0.3, 0.85, 0.4, LIGHT),
        ("rect", 0.47, 0.3, 0.53, 0.92, DARK),
    ],
    "cube": [
        ("rect", 0.2, 0.35, 0.75, 0.9),
        ("tri", 0.2, 0.35, 0.75, 0.35, 0.45, 0.15, LIGHT),
        ("tri", 0.75, 0.35, 0.45, 0.15, 0.9, 0.15, LIGHT),
        ("rect", 0.75, 0.15, 0.9, 0.7, DARK),
        ("tri", 0.75, 0.7, 0.9, 0.7, 0.75, 0.9, DARK),
    ],
    "pyramid": [("tri", 0.5, 0.1, 0.08, 0.92, 0.92, 0.92), ("tri", 0.5, 0.1, 0.5, 0.92, 0.92, 0.92, DARK)],
    "star": [
        ("tri", 0.5, 0.05, 0.2, 0.9, 0.8, 0.9),
        ("tri", 0.05, 0.38, 0.95, 0.38, 0.5, 0.75),
        ("tri", 0.2, 0.9, 0.5, 0.65, 0.5, 0.75),
        ("tri", 0.8, 0.9, 0.5, 0.65, 0.5, 0.75),
    ],
    "ring": [("ring", 0.5, 0.55, 0.38, 0.22)],
    "cross": [("rect", 0.38, 0.1, 0.62, 0.92), ("rect", 0.1, 0.38, 0.9, 0.62)],
    "diamond": [("tri", 0.5, 0.05, 0.1, 0.5, 0.9, 0.5), ("tri", 0.1, 0.5, 0.9, 0.5, 0.5, 0.95, DARK)],
    "heart": [("circle", 0.33, 0.38, 0.2), ("circle", 0.67, 0.38, 0.2), ("tri", 0.14, 0.45, 0.86, 0.45, 0.5, 0.9)],
    "moon": [("circle", 0.5, 0.5, 0.4), ("circle", 0.68, 0.4, 0.33, {"cut": True})],
    "tree": [
        ("rect", 0.42, 0.6, 0.58, 0.97, {"fixed": 90}),
        ("tri", 0.5, 0.02, 0.12, 0.5, 0.88, 0.5),
        ("tri", 0.5, 0.2, 0.08, 0.72, 0.92, 0.72, DARK),
    ],
    "cactus": [
        ("rect", 0.4, 0.1, 0.6, 0.97),
        ("rect", 0.15, 0.35, 0.27, 0.6),
        ("rect", 0.15, 0.55, 0.45, 0.63),
        ("rect", 0.73, 0.25, 0.85, 0.5),
        ("rect", 0.55, 0.45, 0.85, 0.53),
    ],
    "rock": [("ellipse", 0.5, 0.7, 0.42, 0.26), ("ellipse", 0.4, 0.62, 0.15, 0.08, LIGHT)],
    "shrub": [("circle", 0.3, 0.65, 0.25), ("circle", 0.7, 0.65, 0.25), ("circle", 0.5, 0.45, 0.28, LIGHT)],
    "bot": [
        ("circle", 0.5, 0.18, 0.13, LIGHT),
        ("rect", 0.3, 0.3, 0.7, 0.65),
        ("rect", 0.32, 0.65, 0.46, 0.98, DARK),
        ("rect", 0.54, 0.65, 0.68, 0.98, DARK),
        ("rect", 0.15, 0.32, 0.28, 0.6),
        ("rect", 0.72, 0.32, 0.85, 0.6),
        ("rect", 0.4, 0.14, 0.6, 0.2, BLACK),
    ],
    "car": [
        ("rect", 0.05, 0.45, 0.95, 0.75),
        ("rect", 0.25, 0.25, 0.72, 0.47),
        ("rect", 0.3, 0.3, 0.46, 0.44, WHITE),
        ("rect", 0.51, 0.3, 0.67, 0.44, WHITE),
        ("circle", 0.25, 0.78, 0.12, BLACK),
        ("circle", 0.75, 0.78, 0.12, BLACK),
    ],
    "duck": [
        ("ellipse", 0.52, 0.68, 0.38, 0.22),
        ("circle", 0.3, 0.35, 0.16),
        ("tri", 0.08, 0.36, 0.18, 0.3, 0.18, 0.43, {"fixed": 200}),
        ("circle", 0.27, 0.31, 0.03, BLACK),
        ("tri", 0.7, 0.5, 0.95, 0.45, 0.85, 0.65, DARK),
    ],
    "robot": [
        ("rect", 0.3, 0.1, 0.7, 0.35),
        ("rect", 0.22, 0.38, 0.78, 0.75),
        ("rect", 0.27, 0.75, 0.43, 0.97, DARK),
        ("rect", 0.57, 0.75, 0.73, 0.97, DARK),
        ("circle", 0.42, 0.22, 0.05, WHITE),
        ("circle", 0.58, 0.22, 0.05, WHITE),
        ("rect", 0.48, 0.02, 0.52, 0.1, GREY),
        ("rect", 0.35, 0.48, 0.65, 0.6, GREY),
    ],
    "rocket": [
        ("rect", 0.38, 0.25, 0.62, 0.8),
        ("tri", 0.38, 0.25, 0.62, 0.25, 0.5, 0.03),
        ("tri", 0.38, 0.6, 0.38, 0.85, 0.2, 0.88, DARK),
        ("tri", 0.62, 0.6, 0.62, 0.85, 0.8, 0.88, DARK),
        ("circle", 0.5, 0.4, 0.06, WHITE),
        ("tri", 0.42, 0.8, 0.58, 0.8, 0.5, 0.98, {"fixed": 230}),
    ],
    "teddy": [
        ("circle", 0.5, 0.3, 0.18),
        ("circle", 0.33, 0.15, 0.08),
        ("circle", 0.67, 0.15, 0.08),
        ("ellipse", 0.5, 0.68, 0.24, 0.26),
        ("circle", 0.25, 0.88, 0.1),
        ("circle", 0.75, 0.88, 0.1),
        ("circle", 0.44, 0.27, 0.03, BLACK),
        ("circle", 0.56, 0.27, 0.03, BLACK),
        ("ellipse", 0.5, 0.68, 0.12, 0.14, LIGHT),
    ],
    "boat": [
        ("tri", 0.05, 0.6, 0.95, 0.6, 0.75, 0.85),
        ("tri", 0.05, 0.6, 0.25, 0.85, 0.75, 0.85),
        ("rect", 0.48, 0.1, 0.52, 0.6, {"fixed": 120}),
        ("tri", 0.52, 0.12, 0.52, 0.55, 0.85, 0.55, WHITE),
    ],
    "tv": [
        ("rect", 0.1, 0.25, 0.9, 0.8),
        ("rect", 0.17, 0.32, 0.83, 0.73, {"fixed": 60}),
        ("rect", 0.35, 0.8, 0.65, 0.9, DARK),
        ("tri", 0.35, 0.25, 0.5, 0.22, 0.25, 0.05, GREY),
    ],
    "cassette": [
        ("rect", 0.08, 0.3, 0.92, 0.78),
        ("rect", 0.2, 0.38, 0.8, 0.6, WHITE),
        ("circle", 0.35, 0.49, 0.07, BLACK),
        ("circle", 0.65, 0.49, 0.07, BLACK),
        ("rect", 0.3, 0.66, 0.7, 0.78, DARK),
    ],
    "chair": [
        ("rect", 0.25, 0.1, 0.35, 0.95),
        ("rect", 0.25, 0.5, 0.8, 0.6),
        ("rect", 0.7, 0.5, 0.8, 0.95),
        ("rect", 0.25, 0.1, 0.35, 0.5, DARK),
    ],
    "cup": [("rect", 0.2, 0.3, 0.65, 0.88), ("ring", 0.7, 0.55, 0.16, 0.08), ("rect", 0.2, 0.3, 0.65, 0.36, LIGHT)],
    "bottle": [
        ("rect", 0.32, 0.4, 0.68, 0.95),
        ("rect", 0.43, 0.12, 0.57, 0.42),
        ("rect", 0.41, 0.06, 0.59, 0.12, GREY),
        ("rect", 0.32, 0.55, 0.68, 0.75, WHITE),
    ],
    "lamp": [
        ("tri", 0.5, 0.08, 0.2, 0.45, 0.8, 0.45),
        ("rect", 0.47, 0.45, 0.53, 0.85, GREY),
        ("rect", 0.3, 0.85, 0.7, 0.95, GREY),
    ],
    "guitar": [
        ("circle", 0.4, 0.7, 0.22),
        ("circle", 0.5, 0.45, 0.15),
        ("rect", 0.55, 0.05, 0.62, 0.45, {"fixed": 90}),
        ("circle", 0.42, 0.65, 0.06, BLACK),
    ],
    "umbrella": [
        ("ellipse", 0.5, 0.35, 0.42, 0.25),
        ("rect", 0.05, 0.35, 0.95, 0.6, {"cut": True}),
        ("rect", 0.48, 0.35, 0.52, 0.9, GREY),
        ("rect", 0.35, 0.86, 0.52, 0.9, GREY),
    ],
    "flower": [
        ("rect", 0.47, 0.45, 0.53, 0.97, {"fixed": 110}),
        ("circle", 0.5, 0.18, 0.12),
        ("circle", 0.32, 0.32, 0.12),
        ("circle", 0.68, 0.32, 0.12),
        ("circle", 0.4, 0.48, 0.1),
        ("circle", 0.6, 0.48, 0.1),
        ("circle", 0.5, 0.33, 0.09, {"fixed": 240}),
    ],
    "fish": [
        ("ellipse", 0.45, 0.55, 0.32, 0.18),
        ("tri", 0.72, 0.55, 0.95, 0.35, 0.95, 0.75, DARK),
        ("circle", 0.27, 0.5, 0.04, BLACK),
    ],
    "bell": [
        ("ellipse", 0.5, 0.5, 0.3, 0.35),
        ("rect", 0.15, 0.62, 0.85, 0.8),
        ("rect", 0.2, 0.5, 0.8, 0.62),
        ("circle", 0.5, 0.84, 0.07, GREY),
        ("circle", 0.5, 0.12, 0.05, GREY),
    ],
    "house": [
        ("rect", 0.18, 0.45, 0.82, 0.95),
        ("tri", 0.5, 0.1, 0.05, 0.47, 0.95, 0.47, DARK),
        ("rect", 0.42, 0.65, 0.58, 0.95, {"fixed": 70}),
        ("rect", 0.25, 0.55, 0.37, 0.67, WHITE),
    ],
    "plane": [
        ("ellipse", 0.5, 0.5, 0.45, 0.08),
        ("tri", 0.42, 0.5, 0.62, 0.5, 0.45, 0.1),
        ("tri", 0.42, 0.5, 0.62, 0.5, 0.45, 0.9),
        ("tri", 0.85, 0.5, 0.95, 0.5, 0.92, 0.3, DARK),
    ],
    "bus": [
        ("rect", 0.05, 0.25, 0.95, 0.78),
        ("rect", 0.1, 0.32, 0.3, 0.5, WHITE),
        ("rect", 0.35, 0.32, 0.55, 0.5, WHITE),
        ("rect", 0.6, 0.32, 0.8, 0.5, WHITE),
        ("circle", 0.22, 0.8, 0.1, BLACK),
        ("circle", 0.78, 0.8, 0.1, BLACK),
    ],
    "hammer": [("rect", 0.45, 0.3, 0.55, 0.95, {"fixed": 120}), ("rect", 0.2, 0.15, 0.8, 0.35)],
    "pencil": [
        ("rect", 0.4, 0.2, 0.6, 0.8),
        ("tri", 0.4, 0.8, 0.6, 0.8, 0.5, 0.97, {"fixed": 210}),
        ("rect", 0.4, 0.12, 0.6, 0.2, {"fixed": 200}),
    ],
    "tennis_racket": [
        ("ring", 0.5, 0.32, 0.26, 0.18),
        ("circle", 0.5, 0.32, 0.18, {"fixed": 220}),
        ("rect", 0.46, 0.58, 0.54, 0.97, DARK),
    ],
    "candle": [("rect", 0.38, 0.35, 0.62, 0.95), ("ellipse", 0.5, 0.2, 0.07, 0.12, {"fixed": 250})],
    "spoon": [("ellipse", 0.5, 0.25, 0.14, 0.18), ("rect", 0.47, 0.4, 0.53, 0.95)],
    "banana": [
        ("ring", 0.65, 0.35, 0.5, 0.36),
        ("rect", 0.0, 0.0, 1.0, 0.3, {"cut": True}),
        ("rect", 0.65, 0.0, 1.0, 1.0, {"cut": True}),
    ],
    "egg": [("ellipse", 0.5, 0.55, 0.28, 0.38)],
}
SHAPES: tuple[str, ...] = tuple(SHAPE_PRIMITIVES)


@dataclass(frozen=True)
class SpriteAtlas:
    """Rasterised shapes: ``alpha`` (K, 24, 24) bool, ``shade`` and ``fixed`` (K, 24, 24) float32."""

    names: tuple[str, ...]
    alpha: np.ndarray
    shade: np.ndarray
    fixed: np.ndarray

    def index(self, name: str) -> int:
        """Index of a shape by name; ``ValueError`` lists the valid names."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(f"unknown shape {name!r}; valid: {', '.join(self.names)}") from None


def build_atlas(shapes: dict[str, list[Primitive]]) -> SpriteAtlas:
    """Rasterise a name -> primitives table into an atlas."""
    layers = [rasterise(primitives) for primitives in shapes.values()]
    return SpriteAtlas(
        names=tuple(shapes),
        alpha=np.stack([a for a, _, _ in layers]),
        shade=np.stack([s for _, s, _ in layers]),
        fixed=np.stack([f for _, _, f in layers]),
    )


ATLAS = build_atlas(SHAPE_PRIMITIVES)


def shape_index(name: str) -> int:
    """Index of a built-in shape in :data:`ATLAS`."""
    return ATLAS.index(name)


def sprite_image(atlas: SpriteAtlas, shape: int, colour: Sequence[int]) -> np.ndarray:
    """A (24, 24, 4) RGBA uint8 picture of one tinted sprite (for contact sheets and top-down maps)."""
    rgb = np.asarray(colour, np.float32).reshape(1, 1, 3)
    pixels = atlas.shade[shape][:, :, None] * rgb + atlas.fixed[shape][:, :, None]
    rgba = np.zeros((SPRITE_SIZE, SPRITE_SIZE, 4), np.uint8)
    rgba[:, :, :3] = np.clip(pixels, 0, 255).astype(np.uint8)
    rgba[:, :, 3] = atlas.alpha[shape] * 255
    return rgba

"""The fixed-size ``render()`` canvas: the agent's view, upscaled, beside the top-down map in a fixed box.

Video recorders and ``gymnasium.utils.play`` need every frame of an env instance to have one size,
but the maps differ in size between levels and episodes. So a :class:`Canvas` is fixed when the env
is built (from its camera size alone) and every map is fitted into its square box: drawn at the
largest whole number of pixels per cell that fits where the caller can choose the scale, then
shrunk by nearest-neighbour sampling if it still does not fit, and centred on a dark background.
All of it is numpy and a pure function of the pictures it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.core.types import Image

RENDER_VIEWS = ("both", "first_person", "map")
# About this many pixels high: IMPALA's 72-pixel view at 4x, which also suits a 1080p screen.
TARGET_HEIGHT = 288
BACKGROUND_RGB = (24, 24, 24)


def check_render_view(render_view: object) -> str:
    """``render_view`` if it is one of :data:`RENDER_VIEWS`, else a ``ValueError`` naming the choices."""
    if not isinstance(render_view, str) or render_view not in RENDER_VIEWS:
        raise ValueError(f"unknown render_view {render_view!r}; valid: {', '.join(RENDER_VIEWS)}")
    return render_view


def upscale(image: Image, factor: int) -> Image:
    """``image`` with every pixel repeated ``factor`` times along both axes (nearest neighbour)."""
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def fit(image: Image, height: int, width: int, background: tuple[int, int, int] = BACKGROUND_RGB) -> Image:
    """``image`` scaled to fit ``height x width`` (keeping its aspect) and centred on ``background``."""
    rows, cols = image.shape[:2]
    if rows <= height and cols <= width:
        image = upscale(image, min(height // rows, width // cols))
    else:
        # Nearest-neighbour shrink: the source pixel under each output pixel's top-left corner.
        ratio = min(height / rows, width / cols)
        new_rows, new_cols = max(1, int(rows * ratio)), max(1, int(cols * ratio))
        pick_rows = np.arange(new_rows) * rows // new_rows
        pick_cols = np.arange(new_cols) * cols // new_cols
        image = image[pick_rows[:, None], pick_cols[None, :]]
    out = np.empty((height, width, 3), np.uint8)
    out[:] = background
    top, left = (height - image.shape[0]) // 2, (width - image.shape[1]) // 2
    out[top : top + image.shape[0], left : left + image.shape[1]] = image
    return out


def even(n: int) -> int:
    """``n`` rounded up to an even number (H.264 video needs even frame sides)."""
    return n + (n % 2)


@dataclass(frozen=True)
class Canvas:
    """The frame layout of one env instance: which pictures it shows and at what size.

    ``factor`` upscales the agent's ``view_height x view_width`` view; the map box is square, as
    high as the upscaled view. Sides are rounded up to even numbers so video encoders take them.
    """

    render_view: str
    view_height: int
    view_width: int
    factor: int

    @classmethod
    def for_view(cls, render_view: str, view_height: int, view_width: int, factor: int | None = None) -> Canvas:
        """The canvas for a ``view_height x view_width`` agent view (``factor``: about 288 px high by default)."""
        if factor is None:
            factor = max(1, round(TARGET_HEIGHT / view_height))
        return cls(check_render_view(render_view), view_height, view_width, factor)

    @property
    def height(self) -> int:
        """The frame's height in pixels."""
        return even(self.view_height * self.factor)

    @property
    def box(self) -> int:
        """The side of the square map box in pixels."""
        return self.height

    @property
    def view_slot_width(self) -> int:
        """The width of the upscaled view's slot."""
        return even(self.view_width * self.factor)

    @property
    def shows_view(self) -> bool:
        """Whether the frame holds the agent's view."""
        return self.render_view in ("both", "first_person")

    @property
    def shows_map(self) -> bool:
        """Whether the frame holds the top-down map."""
        return self.render_view in ("both", "map")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Every frame's ``(height, width, 3)``."""
        width = (self.view_slot_width if self.shows_view else 0) + (self.box if self.shows_map else 0)
        return self.height, width, 3

    def map_scale(self, rows: int, cols: int) -> int:
        """Pixels per map cell that fit a ``rows x cols`` map into the box (at least 1)."""
        return max(1, self.box // max(rows, cols))

    def compose(self, view: Image | None, top_down: Image | None) -> Image:
        """The frame: the upscaled ``view`` on the left, ``top_down`` fitted into the box on the right."""
        parts = []
        if self.shows_view:
            if view is None:
                raise ValueError(f"render_view={self.render_view!r} needs the agent's view")
            parts.append(fit(upscale(view, self.factor), self.height, self.view_slot_width))
        if self.shows_map:
            if top_down is None:
                raise ValueError(f"render_view={self.render_view!r} needs the top-down map")
            parts.append(fit(top_down, self.box, self.box))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)

"""Gridworld pixels: shape masks, palette and pure frame functions of (map, agent, target)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from zipfian_envs.core.canvas import Canvas
from zipfian_envs.gridworld.maps import COLOURS, SHAPES, GridMap, object_name

CELL_PIXELS = 9
VIEW_CELLS = 7
VIEW_RADIUS = VIEW_CELLS // 2

FLOOR_RGB = (0, 0, 0)
WALL_RGB = (40, 40, 40)
AGENT_RGB = (255, 255, 255)
CUE_BACKGROUND_RGB = (180, 180, 180)
HIGHLIGHT_RGB = (255, 255, 255)

PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (230, 25, 25),
    "green": (40, 200, 40),
    "blue": (40, 90, 255),
    "purple": (150, 40, 200),
    "orange": (255, 140, 0),
    "yellow": (255, 230, 0),
    "brown": (140, 85, 30),
    "pink": (255, 140, 200),
    "cyan": (0, 230, 230),
    "dark_green": (0, 100, 0),
    "dark_red": (130, 0, 0),
    "dark_blue": (0, 0, 140),
    "teal": (0, 128, 128),
    "lavender": (190, 170, 255),
    "rose": (255, 0, 110),
}
assert tuple(PALETTE) == COLOURS


def _shape_masks() -> dict[str, np.ndarray]:
    rows, cols = np.mgrid[0:CELL_PIXELS, 0:CELL_PIXELS]
    centre = CELL_PIXELS // 2
    radius_sq = (rows - centre) ** 2 + (cols - centre) ** 2
    plus = (np.abs(rows - centre) <= 1) | (np.abs(cols - centre) <= 1)
    ex = (np.abs(rows - cols) <= 1) | (np.abs(rows + cols - 2 * centre) <= 1)
    tee = (rows <= 1) | (np.abs(cols - centre) <= 1)
    u = (cols <= 1) | (cols >= CELL_PIXELS - 2) | (rows >= CELL_PIXELS - 2)
    masks = {
        "triangle": np.abs(cols - centre) <= rows // 2,
        "empty_square": (rows == 0) | (rows == CELL_PIXELS - 1) | (cols == 0) | (cols == CELL_PIXELS - 1),
        "plus": plus,
        "inverse_plus": ~plus,
        "ex": ex,
        "inverse_ex": ~ex,
        "circle": radius_sq <= 17,
        "empty_circle": (radius_sq <= 17) & (radius_sq >= 8),
        "tee": tee,
        "upside_down_tee": tee[::-1],
        "h": (cols <= 1) | ((cols >= CELL_PIXELS - 2) & (rows >= 3)) | ((rows == 3) | (rows == 4)),
        "u": u,
        "upside_down_u": u[::-1],
        "vertical_stripes": np.broadcast_to(cols % 2 == 0, rows.shape),
        "horizontal_stripes": np.broadcast_to(rows % 2 == 0, rows.shape),
    }
    assert tuple(masks) == SHAPES
    return {name: np.ascontiguousarray(mask, dtype=bool) for name, mask in masks.items()}


SHAPE_MASKS = _shape_masks()


def object_sprite(kind: int, background: tuple[int, int, int] = FLOOR_RGB) -> np.ndarray:
    """A 9x9x3 uint8 sprite of object kind ``colour * 15 + shape`` on ``background``."""
    colour, shape = divmod(int(kind), len(SHAPES))
    sprite = np.empty((CELL_PIXELS, CELL_PIXELS, 3), dtype=np.uint8)
    sprite[:] = background
    sprite[SHAPE_MASKS[SHAPES[shape]]] = PALETTE[COLOURS[colour]]
    return sprite


def _paint_cell(image: np.ndarray, row: int, col: int, pixels) -> None:
    image[row * CELL_PIXELS : (row + 1) * CELL_PIXELS, col * CELL_PIXELS : (col + 1) * CELL_PIXELS] = pixels


def map_image(grid_map: GridMap, padding: int = 0) -> np.ndarray:
    """Static picture of a map (walls and objects, no agent) with ``padding`` floor cells around it."""
    size = grid_map.walls.shape[0] + 2 * padding
    image = np.zeros((size * CELL_PIXELS, size * CELL_PIXELS, 3), dtype=np.uint8)
    for r, c in zip(*np.nonzero(grid_map.walls)):
        _paint_cell(image, r + padding, c + padding, WALL_RGB)
    for (r, c), kind in zip(grid_map.object_cells, grid_map.object_kinds):
        _paint_cell(image, r + padding, c + padding, object_sprite(kind))
    image.setflags(write=False)
    return image


@functools.lru_cache(maxsize=256)
def padded_map_image(grid_map: GridMap) -> np.ndarray:
    """Map picture padded with floor so every 7x7 egocentric crop is a plain slice."""
    return map_image(grid_map, padding=VIEW_RADIUS)


@functools.lru_cache(maxsize=4096)
def cue_sprite(kind: int) -> np.ndarray:
    """The target cue: the target's sprite on light grey, shown in the top-left view cell."""
    return object_sprite(kind, background=CUE_BACKGROUND_RGB)


def _cue_sprites() -> np.ndarray:
    sprites = np.stack([cue_sprite(kind) for kind in range(len(COLOURS) * len(SHAPES))])
    sprites.setflags(write=False)
    return sprites


CUE_SPRITES = _cue_sprites()  # (225, 9, 9, 3): the cue of every object kind, indexed by kind


FRAME_PIXELS = VIEW_CELLS * CELL_PIXELS  # 63: side of an egocentric frame
_FRAME_ROW = np.dtype((np.void, FRAME_PIXELS * 3))  # one frame row (63 RGB pixels) as a single item


def pixel_windows(padded_images: np.ndarray, height: int, width: int) -> np.ndarray:
    """Every 63x63 egocentric crop of stacked padded map images, as a read-only strided view.

    ``padded_images`` is ``(M, (H + 6) * 9, (W + 6) * 9, 3)`` uint8. Entry ``[m, row, col]`` of
    the result is the crop centred on cell (row, col) of map m, as 63 frame rows of 189 bytes
    each (one opaque item per row, so a gather copies whole rows rather than single bytes:
    about twice as fast). It copies nothing: a batch of frames is one gather from the map images.
    """
    images = np.ascontiguousarray(padded_images)
    s = images.strides
    return np.ndarray(
        shape=(images.shape[0], height, width, FRAME_PIXELS),
        dtype=_FRAME_ROW,
        buffer=images,
        strides=(s[0], CELL_PIXELS * s[1], CELL_PIXELS * s[2], s[1]),
    )


_AGENT_PATCH = np.full((CELL_PIXELS, CELL_PIXELS, 3), AGENT_RGB, dtype=np.uint8)
_CENTRE = slice(VIEW_RADIUS * CELL_PIXELS, (VIEW_RADIUS + 1) * CELL_PIXELS)
_CUE = slice(0, CELL_PIXELS)


def egocentric_views(windows: np.ndarray, map_index: Any, row: Any, col: Any, target_kind: Any) -> np.ndarray:
    """The 63x63x3 agent observation: 7x7 cells centred on the agent (white), target cue top-left.

    ``windows`` is :func:`pixel_windows` of the maps. Scalar indices give one ``(63, 63, 3)``
    frame; equal-length index arrays give a ``(N, 63, 63, 3)`` batch from one gather.
    """
    rows = windows[map_index, row, col]
    if rows.ndim == 1:
        rows = rows.copy()  # scalar indexing gives a view of the map image: never paint on that
    views = rows.view(np.uint8).reshape(*rows.shape[:-1], FRAME_PIXELS, FRAME_PIXELS, 3)
    if views.ndim == 3:
        views[_CENTRE, _CENTRE] = _AGENT_PATCH
        views[_CUE, _CUE] = CUE_SPRITES[target_kind]
    else:
        views[:, _CENTRE, _CENTRE] = _AGENT_PATCH
        views[:, _CUE, _CUE] = CUE_SPRITES[target_kind]
    return views


def full_frame(grid_map: GridMap, agent: tuple[int, int], target_index: int) -> np.ndarray:
    """Top-down picture of the whole map with the agent and a frame around the target."""
    image = map_image(grid_map).copy()
    _paint_cell(image, agent[0], agent[1], AGENT_RGB)
    r, c = grid_map.object_cells[target_index]
    top, left = r * CELL_PIXELS, c * CELL_PIXELS
    image[top - 1 : top + CELL_PIXELS + 1 : CELL_PIXELS + 1, left - 1 : left + CELL_PIXELS + 1] = HIGHLIGHT_RGB
    image[top - 1 : top + CELL_PIXELS + 1, left - 1 : left + CELL_PIXELS + 1 : CELL_PIXELS + 1] = HIGHLIGHT_RGB
    return image


def gridworld_canvas(render_view: str, grid_map: GridMap) -> Canvas:
    """The canvas of a configuration (all its maps are one size): the view upscaled to at least the map's height."""
    map_side = grid_map.walls.shape[0] * CELL_PIXELS
    return Canvas.for_view(render_view, FRAME_PIXELS, FRAME_PIXELS, factor=max(1, -(-map_side // FRAME_PIXELS)))


def canvas_frame(
    canvas: Canvas,
    windows: np.ndarray,
    grid_map: GridMap,
    map_index: int,
    agent: tuple[int, int],
    target_index: int,
) -> np.ndarray:
    """One ``render()`` frame: the egocentric pixel view and/or :func:`full_frame`, laid out by ``canvas``."""
    kind = int(grid_map.object_kinds[target_index])
    view = egocentric_views(windows, map_index, agent[0], agent[1], kind) if canvas.shows_view else None
    top_down = full_frame(grid_map, agent, target_index) if canvas.shows_map else None
    return canvas.compose(view, top_down)


def describe_object(kind: int) -> str:
    """Human-readable object name, e.g. ``dark red triangle``."""
    return object_name(kind).replace("_", " ")

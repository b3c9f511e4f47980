"""The renderer on numba-compiled kernels: :func:`render_packed` and :func:`render_chunk`.

The same frames as :func:`.raycast.render_packed` and :func:`.batch.render_batch`, bit for bit: the
per-pixel work (rays, floors, ceiling, walls, sprites, unpacking) runs in :mod:`.kernels`, and
everything that is not per pixel stays the numpy renderer's own code: the cached row, floor and
texture tables, the opaque cells, the sprites' visibility, order and light levels, the wall
screens and the HUD. Used through :mod:`.backend`, which imports this module only when numba does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from zipfian_envs.engine import kernels
from zipfian_envs.engine.batch import _FLOOR_TABLES, Frame, _texture_table
from zipfian_envs.engine.billboards import paint_sprites
from zipfian_envs.engine.colours import PACKED
from zipfian_envs.engine.raycast import (
    _HEIGHT_STEPS,
    _MAX_WALL_SCREENS,
    Camera,
    View,
    _floor_rows,
    _shaded_floor,
    _shaded_textures,
    _upper_rows,
    draw_hud,
    draw_screens,
    opaque_materials,
    wall_offsets,
)
from zipfian_envs.engine.world import Grid, Pose

__all__ = ["kernels", "render_chunk", "render_packed"]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# Stand-ins for tables a frame does not use (no rows above or below the horizon, no floor heights),
# of the same types as the real ones so that the kernels are compiled once.
_NO_UPPER = _read_only(np.zeros(0, PACKED))
_NO_FLOOR = tuple(_read_only(a) for a in (np.zeros(0), np.zeros((0, 1)), np.zeros(0, np.int64), np.zeros(1, PACKED)))
_NO_HEIGHTS = np.zeros((1, 1), np.float32)


def _draw(
    out: np.ndarray,
    grid: Grid,
    pose: Pose,
    camera: Camera,
    horizon: float,
    cos_sin: tuple[float, float],
    tables: tuple,
    batch: bool,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Sky or ceiling, floor and walls of one frame into ``out``; ``tables`` = (textures, floor table or None)."""
    H, W, f = camera.height, camera.width, camera.focal
    split = int(min(max(math.ceil(horizon - 0.5), 0), H))
    key = (H, W, f, round(horizon, 3), split, grid.fog_m, grid.light)
    upper = _upper_rows(*key, tuple(grid.ceiling), bool(grid.sky)).reshape(-1) if split > 0 else _NO_UPPER
    if split < H:
        plane2, plane2_u, row_levels = _floor_rows(*key)
        floor = (plane2.reshape(-1), plane2_u, row_levels.reshape(-1), tables[1])
    else:
        floor = _NO_FLOOR
    heights = grid.heights
    # floor_block computes `pose.z - heights` in float32 for a Python float z, in float64 for a numpy float64.
    drop_in_float64 = heights is not None and np.result_type(pose.z, heights.dtype) == np.float64
    cos_yaw, sin_yaw = cos_sin
    kernels.draw_frame(
        out,
        opaque_materials(grid, pose.z),
        np.array([pose.x, pose.y, pose.z, cos_yaw, sin_yaw, f], np.float64),
        camera.column_offsets,
        batch,
        upper,
        *floor,
        _NO_HEIGHTS if heights is None else heights,
        drop_in_float64,
        wall_offsets(H, key[3]),
        tables[0],
        np.array([grid.light, grid.fog_m, grid.textures.shape[0], heights is not None], np.float64),
        *columns,
    )


def _screens(out: np.ndarray, view: View, camera: Camera, horizon: float, columns: tuple) -> None:
    """Wall screens over the walls already drawn (``raycast.render_packed``'s screens step)."""
    depth, material, along = columns
    height = camera.focal / depth
    limit = _HEIGHT_STEPS * _MAX_WALL_SCREENS * camera.height
    height_index = np.minimum((height * _HEIGHT_STEPS + 0.5).astype(np.int64), limit)
    is_wall = wall_offsets(camera.height, round(horizon, 3))[height_index].T >= 0
    # Where a column shows no screen, draw_screens keeps the texels already in `out`.
    wall = draw_screens(out, view.screens, material, along, height, horizon, camera.row_centres)
    np.copyto(out, wall, where=is_wall)


def render_packed(grid: Grid, pose: Pose, camera: Camera, view: View) -> np.ndarray:
    """:func:`.raycast.render_packed` on the kernels."""
    H, W = camera.height, camera.width
    out = np.empty((H, W), PACKED)
    columns = (np.empty(W), np.empty(W, np.int64), np.empty(W))
    horizon = camera.horizon(pose.pitch)
    cos_sin = (math.cos(pose.yaw), math.sin(pose.yaw))
    split = int(min(max(math.ceil(horizon - 0.5), 0), H))
    floor = _shaded_floor(grid.floor, grid.floor_checker) if split < H else None
    _draw(out, grid, pose, camera, horizon, cos_sin, (_shaded_textures(grid.textures), floor), False, columns)
    if view.screens:
        _screens(out, view, camera, horizon, columns)
    if view.entities is not None and len(view.entities):
        paint_sprites(
            out[None],
            [(0, view.entities, view.atlas)],
            (float(pose.x), float(pose.y), float(pose.z)),
            cos_sin,
            columns[0][None],
            horizon,
            (float(grid.light), float(grid.fog_m)),
            camera.focal,
        )
    draw_hud(out, view.hud)
    return out


def render_chunk(out: np.ndarray, frames: Sequence[Frame], camera: Camera, limit: int) -> None:
    """:func:`.batch.render_batch`'s frames into ``out`` (N, H, W) on the kernels; ``limit`` sizes the floor cache."""
    n, H, W = len(frames), camera.height, camera.width
    depth, material, along = np.empty((n, W)), np.empty((n, W), np.int64), np.empty((n, W))
    # Per frame: x, y, z, cos yaw, sin yaw, horizon, light, fog (the sprites' arguments).
    per_frame = np.empty((8, n))
    for i, (grid, pose, view) in enumerate(frames):
        horizon = camera.horizon(pose.pitch)
        cos_sin = (math.cos(pose.yaw), math.sin(pose.yaw))
        per_frame[:, i] = (pose.x, pose.y, pose.z, *cos_sin, horizon, grid.light, grid.fog_m)
        split = int(min(max(math.ceil(horizon - 0.5), 0), H))
        floor = _shaded_floor(grid.floor, grid.floor_checker, _FLOOR_TABLES, limit) if split < H else None
        columns = (depth[i], material[i], along[i])
        _draw(out[i], grid, pose, camera, horizon, cos_sin, (_texture_table(grid.textures), floor), True, columns)
        if view.screens:
            _screens(out[i], view, camera, horizon, columns)
    sprites = [(i, view.entities, view.atlas) for i, (_, _, view) in enumerate(frames) if view.entities is not None]
    if sprites:
        x, y, z, cos_yaw, sin_yaw, horizons, light, fog_m = per_frame
        paint_sprites(out, sprites, (x, y, z), (cos_yaw, sin_yaw), depth, horizons, (light, fog_m), camera.focal)
    for i, (_, _, view) in enumerate(frames):
        if view.hud:
            draw_hud(out[i], view.hud)

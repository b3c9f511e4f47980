"""The renderer on numba-compiled kernels: :func:`render_packed` and :func:`render_chunk`.

The same frames as :func:`.raycast.render_packed` and :func:`.batch.render_batch`, bit for bit: the
per-pixel and per-sprite work (rays, floors, ceiling, walls, the wall screens' pixels, the
sprites' visibility, order and geometry, their pixels, unpacking) runs in :mod:`.kernels`, and the
rest stays the numpy renderer's own code: the cached row, floor and texture tables, the opaque
cells, the screens' per-column values, the picture store of tinted sprites and the HUD. Used
through :mod:`.backend`, which imports this module only when numba imports.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from zipfian_envs.engine import kernels
from zipfian_envs.engine.batch import FLOOR_TABLES, Frame, texture_table
from zipfian_envs.engine.billboards import STORE
from zipfian_envs.engine.colours import PACKED, pack
from zipfian_envs.engine.raycast import (
    HEIGHT_STEPS,
    MAX_WALL_SCREENS,
    Camera,
    View,
    draw_hud,
    floor_rows,
    opaque_materials,
    shaded_floor,
    shaded_textures,
    upper_rows,
    wall_offsets,
)
from zipfian_envs.engine.world import EYE_HEIGHT_M, Grid, Pose

__all__ = ["kernels", "render_chunk", "render_packed"]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


# Stand-ins for tables a frame does not use (no rows above or below the horizon, no floor heights),
# of the same types as the real ones so that the kernels are compiled once.
_NO_UPPER = _read_only(np.zeros(0, PACKED))
_NO_FLOOR = tuple(_read_only(a) for a in (np.zeros(0), np.zeros((0, 1)), np.zeros(0, np.int64), np.zeros(1, PACKED)))
_NO_HEIGHTS = np.zeros((0, 0), np.float32)

# Per horizon and lighting: the rows above it, the floor-row tables and the wall texel rows, as the
# kernels take them (one dict lookup per frame instead of three cached calls and reshapes).
_ROW_TABLES: dict[tuple, tuple] = {}


def _row_tables(key: tuple, ceiling: tuple, sky: bool) -> tuple:
    """Upper rows, plane2, plane2_u, row levels, wall rows and spans of (H, W, f, horizon, split, fog, light)."""
    full_key = (*key, ceiling, sky)
    tables = _ROW_TABLES.get(full_key)
    if tables is None:
        H, split = key[0], key[4]
        upper = upper_rows(*key, ceiling, sky).reshape(-1) if split > 0 else _NO_UPPER
        if split < H:
            plane2, plane2_u, row_levels = floor_rows(*key)
            floor: tuple[np.ndarray, ...] = (plane2.reshape(-1), plane2_u, row_levels.reshape(-1))
        else:
            floor = _NO_FLOOR[:3]
        if len(_ROW_TABLES) >= 256:
            _ROW_TABLES.clear()
        rows = wall_offsets(H, key[3])
        tables = _ROW_TABLES[full_key] = (upper, *floor, rows, _wall_spans(rows))
    return tables


@functools.lru_cache(maxsize=256)
def _spans_of(height: int, horizon: float) -> np.ndarray:
    """:func:`_wall_spans` of ``wall_offsets(height, horizon)`` (cached: the screens step reads it per frame)."""
    return _wall_spans(wall_offsets(height, horizon))


def _wall_spans(rows: np.ndarray) -> np.ndarray:
    """Per slice height of a ``wall_offsets`` table: its first row on the wall and the row after its last.

    A slice's texel row grows with the image row, so its rows on the wall are one run (checked).
    """
    on = rows >= 0
    count = on.sum(axis=1)
    top = np.where(count > 0, on.argmax(axis=1), 0)
    last = np.where(count > 0, rows.shape[1] - 1 - on[:, ::-1].argmax(axis=1), -1)
    if not np.array_equal(last - top + 1, count):
        raise AssertionError("a wall slice's rows are not one run; the compiled renderer relies on it")
    return _read_only(np.stack([top, top + count], axis=1).astype(np.int64))


def _draw(
    out: np.ndarray,
    i: int,
    frame: Frame,
    camera: Camera,
    horizon: float,
    cos_sin: tuple[float, float],
    tables: tuple,
    batch: bool,
    columns: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Sky or ceiling, floor and walls of frame ``i`` of ``out``; ``tables`` = (textures, floor table or None)."""
    grid, pose, _ = frame
    key = (camera.height, camera.width, camera.focal, round(horizon, 3), tables[2], grid.fog_m, grid.light)
    upper, plane2, plane2_u, row_levels, wall_rows, wall_spans = _row_tables(key, tuple(grid.ceiling), bool(grid.sky))
    heights = grid.heights
    # floor_block computes `pose.z - heights` in float32 for a Python float z, in float64 for a numpy float64.
    drop_in_float64 = heights is not None and np.result_type(pose.z, heights.dtype) == np.float64
    kernels.draw_frame(
        out,
        i,
        opaque_materials(grid, pose.z),
        float(pose.x),
        float(pose.y),
        float(pose.z),
        cos_sin[0],
        cos_sin[1],
        camera.focal,
        camera.column_offsets,
        batch,
        upper,
        plane2,
        plane2_u,
        row_levels,
        _NO_FLOOR[3] if tables[1] is None else tables[1],
        _NO_HEIGHTS if heights is None else heights,
        drop_in_float64,
        wall_rows,
        wall_spans,
        tables[0],
        float(grid.light),
        float(grid.fog_m),
        grid.textures.shape[0],
        *columns,
    )


def _screens(out: np.ndarray, view: View, camera: Camera, horizon: float, columns: tuple) -> None:
    """Wall screens over the walls already drawn in ``out`` (H, W) (``raycast.render_packed``'s screens step).

    ``raycast.draw_screens``'s arithmetic: the per-column values in numpy (the same expressions),
    the per-pixel rows in :func:`.kernels.paint_screen`, over the rows ``wall_offsets`` puts on the
    wall (the spans of :func:`_row_tables`), each screen over the ones before it.
    """
    depth, material, along = columns
    height = camera.focal / depth
    limit = HEIGHT_STEPS * MAX_WALL_SCREENS * camera.height
    height_index = np.minimum((height * HEIGHT_STEPS + 0.5).astype(np.int64), limit)
    spans = _spans_of(camera.height, round(horizon, 3))
    top = horizon - (1.0 - EYE_HEIGHT_M) * height
    for screen in view.screens:
        on = material == screen.material
        if on.any():
            sh, sw = screen.image.shape[:2]
            su = ((along - screen.start) / (screen.end - screen.start) * sw).astype(np.int64)
            su = np.minimum(np.maximum(su, 0), sw - 1)
            picture = screen.image if screen.image.ndim == 2 else pack(screen.image)
            kernels.paint_screen(out, on, su, top, height, sh, picture, height_index, spans, camera.row_centres[:, 0])


def render_packed(grid: Grid, pose: Pose, camera: Camera, view: View) -> np.ndarray:
    """:func:`.raycast.render_packed` on the kernels."""
    H, W = camera.height, camera.width
    out = np.empty((1, H, W), PACKED)
    columns = (np.empty((1, W)), np.empty((1, W), np.int64), np.empty((1, W)))
    horizon = camera.horizon(pose.pitch)
    cos_sin = (math.cos(pose.yaw), math.sin(pose.yaw))
    split = int(min(max(math.ceil(horizon - 0.5), 0), H))
    floor = shaded_floor(grid.floor, grid.floor_checker) if split < H else None
    tables = (shaded_textures(grid.textures), floor, split)
    _draw(out, 0, (grid, pose, view), camera, horizon, cos_sin, tables, False, columns)
    if view.screens:
        _screens(out[0], view, camera, horizon, tuple(column[0] for column in columns))
    if view.entities is not None and len(view.entities):
        per_frame = np.array([[pose.x, pose.y, pose.z, *cos_sin, horizon, grid.light, grid.fog_m]], np.float64)
        _paint_sprites(out, [(0, view.entities, view.atlas)], per_frame, columns[0], camera)
    draw_hud(out[0], view.hud)
    return out[0]


# Per camera, pitch and lighting: the horizon, its split row and :func:`_row_tables`'s tables (one
# lookup per frame of a chunk: the horizon's tangent, the keys and the tables change only with these).
_PITCH_TABLES: dict[tuple, tuple] = {}


def _pitch_tables(camera: Camera, pitch: float, grid: Grid) -> tuple:
    """(horizon, split, upper, plane2, plane2_u, row_levels, wall_rows, wall_spans) of a frame."""
    ceiling = grid.ceiling if type(grid.ceiling) is tuple else tuple(grid.ceiling)
    key = (camera.height, camera.width, camera.fov_deg, pitch, grid.fog_m, grid.light, ceiling, bool(grid.sky))
    entry = _PITCH_TABLES.get(key)
    if entry is None:
        H = camera.height
        horizon = camera.horizon(pitch)
        split = int(min(max(math.ceil(horizon - 0.5), 0), H))
        row_key = (H, camera.width, camera.focal, round(horizon, 3), split, grid.fog_m, grid.light)
        if len(_PITCH_TABLES) >= 256:
            _PITCH_TABLES.clear()
        entry = _PITCH_TABLES[key] = (horizon, split, *_row_tables(row_key, ceiling, bool(grid.sky)))
    return entry


def render_chunk(out: np.ndarray, frames: Sequence[Frame], camera: Camera, limit: int) -> None:
    """:func:`.batch.render_batch`'s frames into ``out`` (N, H, W) on the kernels; ``limit`` sizes the floor cache."""
    n, H, W = len(frames), camera.height, camera.width
    columns = (np.empty((n, W)), np.empty((n, W), np.int64), np.empty((n, W)))
    # Per frame: x, y, z, cos yaw, sin yaw, horizon, light, fog (the sprites' arguments).
    per_frame = []
    screens, sprites, huds = [], [], []
    focal, offsets, draw_frame = camera.focal, camera.column_offsets, kernels.draw_frame
    no_floor_table = _NO_FLOOR[3]  # _row_tables gives the other stand-ins
    # _draw's work inlined: this loop runs once per frame, and its Python is a good part of a frame's time.
    for i, (grid, pose, view) in enumerate(frames):
        horizon, split, upper, plane2, plane2_u, row_levels, wall_rows, wall_spans = _pitch_tables(
            camera, pose.pitch, grid
        )
        cos_yaw, sin_yaw = math.cos(pose.yaw), math.sin(pose.yaw)
        x, y, z, light, fog_m = float(pose.x), float(pose.y), float(pose.z), float(grid.light), float(grid.fog_m)
        per_frame.append((pose.x, pose.y, pose.z, cos_yaw, sin_yaw, horizon, grid.light, grid.fog_m))
        heights = grid.heights
        if split < H:
            # shaded_floor's own cache key, looked up here first: a hit skips its call and its builder.
            floor_colours = grid.floor
            floor_key = ("floor", floor_colours.shape, grid.floor_checker, hash(floor_colours.tobytes()))
            floor = FLOOR_TABLES.get(floor_key)
            if floor is None:
                floor = shaded_floor(grid.floor, grid.floor_checker, FLOOR_TABLES, limit)
        else:
            floor = no_floor_table
        if heights is None:
            walls, drop_in_float64, heights = grid.walls, False, _NO_HEIGHTS
        else:
            walls = opaque_materials(grid, pose.z)
            # floor_block computes `pose.z - heights` in float32 for a Python float z, in float64 for a numpy float64.
            drop_in_float64 = np.result_type(pose.z, heights.dtype) == np.float64
        draw_frame(out, i, walls, x, y, z, cos_yaw, sin_yaw, focal, offsets, True, upper, plane2, plane2_u, row_levels,
                   floor, heights, drop_in_float64, wall_rows, wall_spans, texture_table(grid.textures), light, fog_m,
                   grid.textures.shape[0], *columns)  # fmt: skip
        if view.screens:
            screens.append(i)
        if view.entities is not None:
            sprites.append((i, view.entities, view.atlas))
        if view.hud:
            huds.append(i)
    for i in screens:
        horizon = per_frame[i][5]
        _screens(out[i], frames[i][2], camera, horizon, tuple(column[i] for column in columns))
    if sprites:
        _paint_sprites(out, sprites, np.array(per_frame, np.float64), columns[0], camera)
    for i in huds:
        draw_hud(out[i], frames[i][2].hud)


_SPRITE_FIELDS = (("x", np.float64), ("y", np.float64), ("z", np.float64), ("size", np.float64),
                  ("shape", np.int64), ("colour", np.uint8), ("active", bool))  # fmt: skip


def _paint_sprites(out: np.ndarray, sprites: list, per_frame: np.ndarray, zbuffer: np.ndarray, camera: Camera) -> None:
    """``billboards.paint_sprites`` on the kernels: ``sprites`` = (frame, entities, atlas), ``per_frame`` (N, 8)."""
    # One pass over the frames gathers every field (the frames are many, the fields few).
    groups, counts, atlases = [], [0], []
    columns: tuple[list, ...] = tuple([] for _ in _SPRITE_FIELDS)
    xs, ys, zs, sizes, shapes, colours, actives = columns
    atlas_number = STORE.atlas_number
    for i, entities, atlas in sprites:
        x = entities.x
        if x.shape[0]:  # len(entities)
            groups.append(i)
            counts.append(x.shape[0])
            atlases.append(atlas_number(atlas))
            xs.append(x)
            ys.append(entities.y)
            zs.append(entities.z)
            sizes.append(entities.size)
            shapes.append(entities.shape)
            colours.append(entities.colour)
            actives.append(entities.active)
    if not groups:
        return
    starts = np.cumsum(counts, dtype=np.int64)
    fields = [np.concatenate(column, dtype=dtype) for column, (_, dtype) in zip(columns, _SPRITE_FIELDS)]
    # numba types an njit function as a Dispatcher whose __call__ takes no arguments: the kernel's own are right.
    frames, depth, left, size, top, bottom, codes = kernels.sprite_layout(  # type: ignore[call-arg]
        np.array(groups, np.int64),
        starts,
        np.array(atlases, np.int64),
        *fields,
        per_frame,
        camera.width,
        camera.focal,
    )
    if codes.size:
        slots = STORE.slots_of_codes(codes.tolist())
        kernels.paint_sprites(out, frames, depth, left, size, top, bottom, slots, zbuffer, STORE.alpha, STORE.pixels)

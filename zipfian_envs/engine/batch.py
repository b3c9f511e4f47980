"""The first-person renderer over a batch of frames: :mod:`.raycast`'s arithmetic, over arrays.

:func:`render_batch` draws N frames (each its own grid, pose and view) and equals
``render_packed`` frame by frame, bit for bit: every pixel goes through the same floating-point
operations in the same order (trigonometry stays in ``math`` per frame, as in the single
renderer), only laid out as (frames, ...) arrays so that each numpy call serves many frames.

What is batched: ray casting (all rays of all frames march through one flat array of every
frame's padded grid), the floor's cell coordinates (frames grouped by horizon share the per-row
tables), the walls' texel indices and the sprites (one flat pass, :mod:`.billboards`). What stays
per frame: the final gathers from each frame's own shaded floor and texture tables (they differ
per grid, and a gather costs the same per pixel either way), screens and the HUD.

Frames are drawn in chunks of ``chunk`` so that the intermediate arrays stay in cache. With numba
installed, :mod:`.backend` (the one module that chooses) passes :func:`.compiled.render_chunk` instead
(the same pixels); the numpy code here is the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from zipfian_envs.engine.billboards import paint_sprites
from zipfian_envs.engine.colours import LEVEL_FACTORS, PACKED, fog, light_index, pack, unpack
from zipfian_envs.engine.raycast import (
    HEIGHT_STEPS,
    MAX_WALL_SCREENS,
    Camera,
    View,
    crossing_steps,
    draw_hud,
    draw_screens,
    floor_block,
    floor_rows,
    opaque_materials,
    shaded_floor,
    upper_rows,
    wall_offsets,
)
from zipfian_envs.engine.textures import TEXTURE_SIZE
from zipfian_envs.engine.world import Grid, Pose

Frame = tuple[Grid, Pose, View]
DEFAULT_CHUNK = 32  # measured: 32 beat 8, 16 and 24 at 64 envs; 64 was about even


ChunkRenderer = Callable[[np.ndarray, Sequence[Frame], Camera, int], None]
Unpacker = Callable[[np.ndarray, np.ndarray], None]


def render_batch(
    frames: Sequence[Frame], camera: Camera, chunk: int = DEFAULT_CHUNK, draw: ChunkRenderer | None = None
) -> np.ndarray:
    """(N, H, W) packed images; image i equals ``render_packed(grid, pose, camera, view)`` of frame i.

    ``draw`` draws one chunk (default: this module's numpy :func:`render_chunk`); :mod:`.backend`
    passes the compiled one when numba is in use.
    """
    draw = render_chunk if draw is None else draw
    out = np.empty((len(frames), camera.height, camera.width), PACKED)
    for start in range(0, len(frames), chunk):
        # Room in the floor cache for every frame's table: episodes draw their own floors.
        draw(out[start : start + chunk], frames[start : start + chunk], camera, 2 * len(frames) + 8)
    return out


def render_batch_rgb(
    frames: Sequence[Frame],
    camera: Camera,
    overlay: Callable[[int, np.ndarray], None] | None = None,
    chunk: int = DEFAULT_CHUNK,
    draw: ChunkRenderer | None = None,
    unpack_into: Unpacker | None = None,
) -> np.ndarray:
    """(N, H, W, 3) uint8 images: :func:`render_batch`, then ``overlay(i, packed_i)``, then unpacked.

    Each chunk is unpacked right after it is drawn, while its pixels are still in cache.
    ``unpack_into(packed, rgb)`` replaces numpy's unpack (the compiled kernel, from :mod:`.backend`).
    """
    draw = render_chunk if draw is None else draw
    rgb = np.empty((len(frames), camera.height, camera.width, 3), np.uint8)
    packed = np.empty((min(chunk, len(frames)), camera.height, camera.width), PACKED)
    for start in range(0, len(frames), chunk):
        part = packed[: len(frames[start : start + chunk])]
        draw(part, frames[start : start + chunk], camera, 2 * len(frames) + 8)
        if overlay is not None:
            for k, frame in enumerate(part):
                overlay(start + k, frame)
        if unpack_into is None:
            unpack(part, out=rgb[start : start + len(part)])
        else:
            unpack_into(part, rgb[start : start + len(part)])
    return rgb


def render_chunk(out: np.ndarray, frames: Sequence[Frame], camera: Camera, limit: int) -> None:
    H, W, f = camera.height, camera.width, camera.focal
    grids = [grid for grid, _, _ in frames]
    poses = [pose for _, pose, _ in frames]
    x = np.array([pose.x for pose in poses])
    y = np.array([pose.y for pose in poses])
    z = np.array([pose.z for pose in poses])
    cos_yaw = np.array([math.cos(pose.yaw) for pose in poses])
    sin_yaw = np.array([math.sin(pose.yaw) for pose in poses])
    horizons = [camera.horizon(pose.pitch) for pose in poses]
    light = np.array([grid.light for grid in grids], np.float64)
    fog_m = np.array([grid.fog_m for grid in grids], np.float64)
    u = camera.column_offsets
    dir_x = cos_yaw[:, None] - sin_yaw[:, None] * u
    dir_y = sin_yaw[:, None] + cos_yaw[:, None] * u
    materials = [opaque_materials(grid, pose.z) for grid, pose in zip(grids, poses)]
    depth_raw, x_side, material = _cast(materials, x, y, dir_x, dir_y)
    along = np.where(x_side, y[:, None] + depth_raw * dir_y, x[:, None] + depth_raw * dir_x)
    depth = np.maximum(depth_raw, 1e-3)

    # Ceiling or sky, and the floor, grouped by the horizon (equal horizons share the row tables).
    keys = []
    flat_groups: dict[tuple, list[int]] = {}
    for i, (grid, horizon) in enumerate(zip(grids, horizons)):
        split = int(min(max(math.ceil(horizon - 0.5), 0), H))
        key = (H, W, f, round(horizon, 3), split, grid.fog_m, grid.light)
        keys.append(key)
        if split > 0:
            out[i, :split] = upper_rows(*key, tuple(grid.ceiling), bool(grid.sky))
        if split < H:
            if grid.heights is None:
                flat_groups.setdefault(key, []).append(i)
            else:
                out[i, split:] = floor_block(grid, poses[i], key)
    for key, members in flat_groups.items():
        _flat_floors(out, key, members, grids, x, y, cos_yaw, sin_yaw, limit)

    # Walls: texel indices for every frame at once, then each frame's gather from its own textures.
    height = f / depth
    height_index = np.minimum((height * HEIGHT_STEPS + 0.5).astype(np.int64), HEIGHT_STEPS * MAX_WALL_SCREENS * H)
    u_texel = np.minimum(((along % 1.0) * TEXTURE_SIZE).astype(np.int64), TEXTURE_SIZE - 1)
    level = light_index(fog(depth, light[:, None], fog_m[:, None]) * np.where(x_side, 1.0, 0.82))
    counts = np.array([grid.textures.shape[0] for grid in grids], np.int64)[:, None]
    base = (((level * counts + material) * TEXTURE_SIZE) * TEXTURE_SIZE + u_texel).astype(np.int32)
    wall_groups: dict[float, list[int]] = {}
    for i, key in enumerate(keys):
        wall_groups.setdefault(key[3], []).append(i)
    for rounded, members in wall_groups.items():
        index = np.array(members)
        offsets = wall_offsets(H, rounded)[height_index[index]].transpose(0, 2, 1)  # (G, H, W)
        is_wall = offsets >= 0
        # Off the wall the index is wrong (or -1, clipped to 0) but never shown.
        texel = offsets + base[index][:, None, :]
        for k, i in enumerate(members):
            wall = np.take(texture_table(grids[i].textures), texel[k], mode="clip")
            screens = frames[i][2].screens
            if screens:
                wall = draw_screens(wall, screens, material[i], along[i], height[i], horizons[i], camera.row_centres)
            np.copyto(out[i], wall, where=is_wall[k])

    sprites = [(i, view.entities, view.atlas) for i, (_, _, view) in enumerate(frames) if view.entities is not None]
    if sprites:
        paint_sprites(out, sprites, (x, y, z), (cos_yaw, sin_yaw), depth, np.array(horizons), (light, fog_m), f)
    for i, (_, _, view) in enumerate(frames):
        if view.hud:
            draw_hud(out[i], view.hud)


def _flat_floors(
    out: np.ndarray,
    key: tuple,
    members: list[int],
    grids: list[Grid],
    x: np.ndarray,
    y: np.ndarray,
    cos_yaw: np.ndarray,
    sin_yaw: np.ndarray,
    limit: int,
) -> None:
    """The floors of frames that share a horizon and have no floor heights (``floor_block``'s arithmetic)."""
    split = key[4]
    plane2, plane2_u, row_levels = floor_rows(*key)
    index = np.array(members)
    shape = (len(members), 1, 1)
    cos_g, sin_g = cos_yaw[index].reshape(shape), sin_yaw[index].reshape(shape)
    rows = np.array([grids[i].walls.shape[0] for i in members], np.int64).reshape(shape)
    cols = np.array([grids[i].walls.shape[1] for i in members], np.int64).reshape(shape)
    fx = ((2 * x[index]).reshape(shape) + cos_g * plane2) - sin_g * plane2_u
    fy = ((2 * y[index]).reshape(shape) + sin_g * plane2) + cos_g * plane2_u
    # floor_block clips in floating point, then truncates; truncating first (coordinates are far
    # inside int32: at most a few hundred thousand half-cells) and clipping the integers gives the
    # same cells, with half the memory traffic.
    fx, fy = fx.astype(np.int32), fy.astype(np.int32)
    np.minimum(np.maximum(fx, 0, out=fx), (2 * cols - 1).astype(np.int32), out=fx)
    np.minimum(np.maximum(fy, 0, out=fy), (2 * rows - 1).astype(np.int32), out=fy)
    cells = np.multiply(fy, (2 * cols).astype(np.int32), out=fy)
    cells += fx
    cells += (row_levels * (4 * rows * cols)).astype(np.int32)
    for k, i in enumerate(members):
        grid = grids[i]
        table = shaded_floor(grid.floor, grid.floor_checker, FLOOR_TABLES, limit)
        np.take(table, cells[k], out=out[i, split:], mode="clip")


def _cast(
    materials: list[np.ndarray], x: np.ndarray, y: np.ndarray, dir_x: np.ndarray, dir_y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``cast_rays`` for (frames, rays) directions, each frame in its own grid: depth, x side, material."""
    n, rays = dir_x.shape
    padded = []
    for grid in materials:
        block = np.full((grid.shape[0] + 2, grid.shape[1] + 2), -1, np.int32)
        block[1:-1, 1:-1] = grid
        padded.append(block.ravel())
    sizes = np.array([block.size for block in padded], np.int64)
    offsets = np.cumsum(sizes) - sizes
    flat_cells = np.concatenate(padded)
    widths = np.array([grid.shape[1] + 2 for grid in materials], np.int64)
    # One row per ray: the frame's position, grid width, and where its cells start in flat_cells.
    per_ray = np.stack([x, y, np.floor(x), np.floor(y), widths, offsets, sizes]).repeat(rays, axis=1)[:, :, None]
    dir_x = np.where(dir_x == 0, 1e-12, dir_x).reshape(-1, 1)
    dir_y = np.where(dir_y == 0, 1e-12, dir_y).reshape(-1, 1)
    # Crossings are examined in windows of growing size, and a ray stops once its nearest hit so far
    # lies within every crossing examined: most rays meet a wall within a few cells. The nearest
    # opaque crossing is the same hit whichever windows find it, and its depth is computed by the
    # same expression as in cast_rays, so the result equals the single renderer's.
    depth = np.full(n * rays, np.inf)
    x_side = np.zeros(n * rays, bool)
    material = np.zeros(n * rays, np.int32)
    active = np.arange(n * rays)
    start, count = 0, _FIRST_WINDOW
    while active.size:
        d, xs, m, reach = _march(flat_cells, per_ray[:, active], dir_x[active], dir_y[active], start, count)
        best = depth[active]
        # On equal depths a vertical grid line wins, as cast_rays's argmin over [x crossings, y crossings].
        better = (d < best) | ((d == best) & xs)
        depth[active[better]], x_side[active[better]], material[active[better]] = d[better], xs[better], m[better]
        active = active[depth[active] > reach]
        start, count = start + count, 2 * count
    return depth.reshape(n, rays), x_side.reshape(n, rays), np.maximum(material, 0).reshape(n, rays)


_FIRST_WINDOW = 6


def _march(
    flat_cells: np.ndarray, per_ray: np.ndarray, dir_x: np.ndarray, dir_y: np.ndarray, start: int, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The nearest opaque crossing among crossings ``start``..``start + count`` of each axis, per ray.

    ``raycast._march``'s arithmetic with per-ray origins and grids. Returns per ray its depth (inf
    if none), whether it is on a vertical grid line, its material, and the depth up to which every
    crossing of this window was examined.
    """
    x, y, floor_x, floor_y, width, offset, _ = per_ray
    index = np.arange(x.shape[0])
    steps = crossing_steps(start + count)[:, start:]
    results = []
    for origin, other, floor_o, direction, across in ((x, y, floor_x, dir_x, dir_y), (y, x, floor_y, dir_y, dir_x)):
        ahead = direction > 0
        # The k-th grid line ahead: floor + 1 + k, or floor - k behind (whole numbers, so exact either way).
        line = np.where(ahead, floor_o + 1, floor_o) + np.where(ahead, 1.0, -1.0) * steps
        t = (line - origin) / direction
        # Cell indices are whole numbers too: only t and the floor below must be raycast._march's own.
        if origin is x:  # vertical grid lines: the cell entered is east or west of the line
            cell = np.floor(other + t * across) * width + (line + (ahead + width + offset))
        else:
            cell = np.floor(other + t * across) + (line * width + ((ahead * width + 1) + offset))
        # Crossings past a grid's edge land on wrong cells (clipped, or another frame's) but only
        # after the ray met the grid's opaque border, so they never win the minimum below.
        material = np.take(flat_cells, cell.astype(np.int64), mode="clip")
        t_hit = np.where(material != 0, t, np.inf)
        k = np.argmin(t_hit, axis=1)
        results.append((t_hit[index, k], material[index, k], t[:, -1]))
    (t_x, m_x, reach_x), (t_y, m_y, reach_y) = results
    on_x = t_x <= t_y
    return np.where(on_x, t_x, t_y), on_x, np.where(on_x, m_x, m_y), np.minimum(reach_x, reach_y)


_TEXTURE_TABLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}
FLOOR_TABLES: dict[tuple, np.ndarray] = {}


def texture_table(textures: np.ndarray) -> np.ndarray:
    """``raycast.shaded_textures``, cached by the textures array itself (textures are never changed in place)."""
    entry = _TEXTURE_TABLES.get(id(textures))
    if entry is None or entry[0] is not textures:
        if len(_TEXTURE_TABLES) >= 64:
            _TEXTURE_TABLES.clear()
        # The key keeps the array alive, so its id is not reused while it is cached.
        table = pack(LEVEL_FACTORS[:, None, None, None, None] * textures[None]).ravel()
        table.flags.writeable = False  # as raycast's tables (one type for the compiled kernels)
        entry = _TEXTURE_TABLES[id(textures)] = (textures, table)
    return entry[1]

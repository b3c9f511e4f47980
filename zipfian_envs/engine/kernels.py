"""Numba-compiled loops of the first-person renderer (the optional ``fast`` extra).

Each kernel is the numpy renderer's per-pixel arithmetic written as loops, with the same float64
(and, for floor heights, float32) operations in the same order: numba compiles without fastmath,
so every operation is IEEE and the pixels equal the numpy path's bit for bit. Nothing here calls
a transcendental function (the callers pass cosines, tables and light levels computed by numpy),
since numba's and numpy's math libraries may differ in the last bit. ``cache=True`` keeps the
machine code on disk, so only the first process after an install or edit pays the compilation.

This module imports numba at the top; :mod:`.backend` imports it only when numba is installed.
"""

from __future__ import annotations

import numba
import numpy as np

# Mirrors of the numpy renderer's constants (checked equal by the tests through the rendered pixels).
_LEVEL_SCALE = (48 - 1) / 1.5  # colours.light_index: (LIGHT_LEVELS - 1) / MAX_BRIGHTNESS
_MAX_LEVEL = 47.0
_TEXTURE = 16
_SPRITE = 24
_VOID = np.uint32(12 | 12 << 8 | 24 << 16)


@numba.njit(cache=True, inline="always")
def _light_index(brightness: float) -> int:
    """``colours.light_index`` of one brightness."""
    scaled = brightness * _LEVEL_SCALE + 0.5
    return np.int64(min(max(scaled, 0.0), _MAX_LEVEL))


@numba.njit(cache=True)
def cast_column(walls, x, y, floor_x, floor_y, dx, dy):
    """The nearest opaque crossing of one ray: (depth, on a vertical grid line, material).

    ``raycast._march`` over every crossing, as a walk in order of depth: the x and y crossings are
    the same expressions, visited nearest first (an x crossing first on equal depths, as the
    argmin over [x crossings, y crossings] picks it), and the walk stops at the first opaque one,
    which is the minimum the numpy path takes. Cells outside the grid are opaque with material 0,
    like the numpy path's padding of -1.
    """
    rows, cols = walls.shape
    east, south = dx > 0, dy > 0
    count_x, count_y = cols + 1, rows + 1
    kx, ky = 0, 0
    # Each axis's next crossing is computed when its index moves on (one division per crossing, not
    # two per iteration); a finished axis's values are never read, as the branch tests its index first.
    line_x = (floor_x + 1.0 + kx) if east else (floor_x - kx)
    t_x = (line_x - x) / dx
    line_y = (floor_y + 1.0 + ky) if south else (floor_y - ky)
    t_y = (line_y - y) / dy
    while kx < count_x or ky < count_y:
        if kx < count_x and (ky >= count_y or t_x <= t_y):
            row = np.int64(np.floor(y + t_x * dy))
            col = np.int64(line_x) if east else np.int64(line_x) - 1
            if row < 0 or row >= rows or col < 0 or col >= cols:
                return t_x, True, 0
            material = walls[row, col]
            if material != 0:
                return t_x, True, max(np.int64(material), 0)
            kx += 1
            line_x = (floor_x + 1.0 + kx) if east else (floor_x - kx)
            t_x = (line_x - x) / dx
        else:
            col = np.int64(np.floor(x + t_y * dx))
            row = np.int64(line_y) if south else np.int64(line_y) - 1
            if row < 0 or row >= rows or col < 0 or col >= cols:
                return t_y, False, 0
            material = walls[row, col]
            if material != 0:
                return t_y, False, max(np.int64(material), 0)
            ky += 1
            line_y = (floor_y + 1.0 + ky) if south else (floor_y - ky)
            t_y = (line_y - y) / dy
    # No opaque crossing at all (a grid without a border): the numpy path's argmin of all-inf picks
    # the first x crossing, whose cell is open.
    return np.inf, True, 0


@numba.njit(cache=True)
def draw_frame(
    frames,
    frame,
    walls,
    x,
    y,
    z,
    cos_yaw,
    sin_yaw,
    focal,
    column_offsets,
    keep_zero_directions,
    upper,
    plane2,
    plane2_u,
    row_levels,
    floor_table,
    heights,
    drop_in_float64,
    wall_rows,
    wall_spans,
    textures,
    light,
    fog_m,
    materials,
    depths,
    materials_hit,
    alongs,
):
    """Frame ``frame``'s ceiling or sky, floor and textured walls into ``frames`` (N, H, W) packed colours.

    Scalars are plain floats (scalars as separate arguments: numba unboxes them fastest).
    ``upper`` holds the packed rows above the horizon (its length is the split row); ``plane2``,
    ``plane2_u`` and ``row_levels`` are ``raycast.floor_rows``'s tables (1-D, 2-D, 1-D);
    ``heights`` is the grid's float32 floor heights, or an empty (0, 0) array for none;
    ``drop_in_float64`` whether ``floor_block``'s ``pose.z - heights`` is float64 (a numpy
    float64 z) rather than float32 (a Python float z); ``wall_rows`` is ``raycast.wall_offsets``'s
    table, ``wall_spans`` its first and end rows on the wall per slice height, and ``materials``
    the number of wall textures. Writes each column's clamped depth, material and along-wall
    coordinate into row ``frame`` of the last three (N, W) arrays, for screens and sprites.
    ``keep_zero_directions``: compute the along-wall coordinate with the unmodified ray direction
    (the batch renderer) rather than the one with zeros replaced by 1e-12 (the single renderer).
    """
    out = frames[frame]
    depth_out, material_out, along_out = depths[frame], materials_hit[frame], alongs[frame]
    H, W = out.shape
    has_heights = heights.size > 0
    split = upper.shape[0]
    # The ceiling or sky and the floor everywhere, as the numpy renderer draws them before the walls.
    for r in range(split):
        colour = upper[r]
        for c in range(W):
            out[r, c] = colour
    if split < H:
        if has_heights:
            _floor_with_heights(out, split, x, y, z, cos_yaw, sin_yaw, plane2, plane2_u, floor_table, heights,
                                drop_in_float64, light, fog_m)  # fmt: skip
        else:
            _flat_floor(out, split, x, y, cos_yaw, sin_yaw, plane2, plane2_u, row_levels, floor_table, walls.shape)
    # Then per column: the ray, and the wall slice over rows wall_spans[height] = [top, bottom).
    floor_x, floor_y = np.floor(x), np.floor(y)
    rows_max = 4 * 8 * H  # raycast.HEIGHT_STEPS * raycast.MAX_WALL_SCREENS * H
    texture_last = textures.shape[0] - 1
    for c in range(W):
        u = column_offsets[c]
        dx = cos_yaw - sin_yaw * u
        dy = sin_yaw + cos_yaw * u
        mx = 1e-12 if dx == 0 else dx
        my = 1e-12 if dy == 0 else dy
        t, x_side, material = cast_column(walls, x, y, floor_x, floor_y, mx, my)
        if not keep_zero_directions:
            dx, dy = mx, my
        along = (y + t * dy) if x_side else (x + t * dx)
        depth = max(t, 1e-3)
        depth_out[c], material_out[c], along_out[c] = depth, material, along
        height = focal / depth
        height_index = min(np.int64(height * 4 + 0.5), rows_max)
        u_texel = min(np.int64((along % 1.0) * _TEXTURE), _TEXTURE - 1)
        ratio = depth / fog_m
        shade = light / (1.0 + ratio * ratio) * (1.0 if x_side else 0.82)
        base = ((_light_index(shade) * np.int64(materials) + material) * _TEXTURE) * _TEXTURE + u_texel
        base32 = np.int32(base)
        for r in range(wall_spans[height_index, 0], wall_spans[height_index, 1]):
            out[r, c] = textures[min(max(np.int64(wall_rows[height_index, r] + base32), 0), texture_last)]


@numba.njit(cache=True)
def _flat_floor(out, split, x, y, cos_yaw, sin_yaw, plane2, plane2_u, row_levels, floor_table, grid_shape):
    """``batch._flat_floors`` (``floor_block`` without floor heights) for the rows from ``split`` down."""
    H, W = out.shape
    grid_rows, grid_cols = grid_shape
    floor_last = floor_table.shape[0] - 1
    cells = 4 * grid_rows * grid_cols
    fine_cols, last_col, last_row = np.int32(2 * grid_cols), np.int32(2 * grid_cols - 1), np.int32(2 * grid_rows - 1)
    two_x, two_y = 2 * x, 2 * y
    # Cell indices first, then the gathers: the first loop is branch-free and compiles to vector code.
    index = np.empty(W, np.int32)
    for r in range(split, H):
        p2 = plane2[r - split]
        level_row = np.int32(row_levels[r - split] * cells)
        ax = two_x + cos_yaw * p2  # the first sum of `(2 x + cos p2) - sin p2u`, as numpy adds them
        ay = two_y + sin_yaw * p2
        row_u = plane2_u[r - split]
        for c in range(W):
            fx = min(max(np.int32(ax - sin_yaw * row_u[c]), np.int32(0)), last_col)
            fy = min(max(np.int32(ay + cos_yaw * row_u[c]), np.int32(0)), last_row)
            index[c] = fy * fine_cols + fx + level_row
        row_out = out[r]
        for c in range(W):
            row_out[c] = floor_table[min(max(np.int64(index[c]), 0), floor_last)]


@numba.njit(cache=True)
def _floor_with_heights(
    out, split, x, y, z, cos_yaw, sin_yaw, plane2, plane2_u, floor_table, heights, drop_in_float64, light, fog_m
):
    """``raycast.floor_block`` with floor heights (lower floors darker, void as the void colour)."""
    H, W = out.shape
    grid_rows, grid_cols = heights.shape
    floor_last = floor_table.shape[0] - 1
    cells = 4 * grid_rows * grid_cols
    fine_cols = 2 * grid_cols
    two_x, two_y = 2 * x, 2 * y
    z32 = np.float32(z)
    for r in range(split, H):
        p2 = plane2[r - split]
        q = p2 / 2 / fog_m
        row_fog = light / (1.0 + q * q)
        for c in range(W):
            p2u = plane2_u[r - split, c]
            fx = min(max(np.int32((two_x + cos_yaw * p2) - sin_yaw * p2u), 0), fine_cols - 1)
            fy = min(max(np.int32((two_y + sin_yaw * p2) + cos_yaw * p2u), 0), 2 * grid_rows - 1)
            below = heights[fy >> 1, fx >> 1]
            if below <= -1000.0:  # world.VOID_HEIGHT
                out[r, c] = _VOID
                continue
            # floor_block's `1.0 - 0.12 * (pose.z - below)`: float32 when z is a Python float.
            if drop_in_float64:
                drop = min(max(1.0 - 0.12 * (z - np.float64(below)), 0.35), 1.0)
            else:
                drop32 = np.float32(1.0) - np.float32(0.12) * (z32 - below)
                drop = np.float64(min(max(drop32, np.float32(0.35)), np.float32(1.0)))
            index = _light_index(row_fog * drop) * cells + np.int64(fy) * fine_cols + np.int64(fx)
            out[r, c] = floor_table[min(max(index, 0), floor_last)]


@numba.njit(cache=True)
def sprite_layout(groups, starts, atlases, x, y, z, size, shape, colour, active, per_frame, width, focal):
    """The sprites to paint, far to near per frame: ``billboards.paint_sprites``'s visibility, order and geometry.

    Entities are laid out group by group (group g: frame ``groups[g]``, atlas number
    ``atlases[g]``, entities ``starts[g]:starts[g + 1]``); ``per_frame`` rows are (x, y, z,
    cos yaw, sin yaw, horizon, light, fog_m). Within a frame the order is a stable sort by
    decreasing depth, as numpy's stable argsort of the negated depths. Returns per sprite to
    paint: frame, depth, left edge, size, top, bottom and its picture code
    ``((atlas * 65536 + shape) << 24 | packed colour) << 6 | light level``.
    """
    total = x.shape[0]
    frames = np.empty(total, np.int64)
    depth = np.empty(total)
    left = np.empty(total)
    size_px = np.empty(total)
    top = np.empty(total)
    bottom = np.empty(total)
    codes = np.empty(total, np.int64)
    order = np.empty(total, np.int64)
    half_width = width / 2
    reach = half_width / focal  # paint_sprites's `W / 2 / focal`
    count = 0
    for g in range(groups.shape[0]):
        frame = groups[g]
        px, py, pz = per_frame[frame, 0], per_frame[frame, 1], per_frame[frame, 2]
        fx, fy = per_frame[frame, 3], per_frame[frame, 4]
        horizon, light, fog_m = per_frame[frame, 5], per_frame[frame, 6], per_frame[frame, 7]
        eye = 0.5 + pz  # world.EYE_HEIGHT_M + pz
        first = count
        for k in range(starts[g], starts[g + 1]):
            rel_x, rel_y = x[k] - px, y[k] - py
            d = rel_x * fx + rel_y * fy
            lateral = rel_y * fx - rel_x * fy
            if not (active[k] and d > 0.05 and abs(lateral) - 0.5 * size[k] < d * reach):
                continue
            # Insert after every sprite at least as far (a stable sort, far to near).
            j = count
            while j > first and depth[j - 1] < d:
                depth[j], order[j], left[j] = depth[j - 1], order[j - 1], left[j - 1]
                j -= 1
            depth[j], order[j], left[j] = d, k, lateral
            count += 1
        for j in range(first, count):
            k, d, lateral = order[j], depth[j], left[j]
            scale = focal / d
            size_j = size[k] * scale
            size_px[j] = size_j
            left[j] = half_width + lateral * scale - size_j / 2
            bottom[j] = horizon + (eye - z[k]) * scale
            top[j] = bottom[j] - size_j
            ratio = d / fog_m
            level = _light_index(light / (1.0 + ratio * ratio))
            packed = np.int64(colour[k, 0]) | np.int64(colour[k, 1]) << 8 | np.int64(colour[k, 2]) << 16
            codes[j] = ((atlases[g] * 65536 + np.int64(shape[k])) << 24 | packed) << 6 | level
            frames[j] = frame
    return frames[:count], depth[:count], left[:count], size_px[:count], top[:count], bottom[:count], codes[:count]


@numba.njit(cache=True)
def paint_sprites(out, frames, depth, left, size, top, bottom, slots, zbuffer, alpha, pixels):
    """Paint sprites (far to near, each over the ones before) into ``out`` (frames, H, W).

    Per sprite: its frame, depth, left edge, size and top and bottom rows in pixels and its row in
    the picture store (``alpha`` and ``pixels``, (pictures, 24 * 24)); the texel and depth-test
    expressions of ``billboards.paint_sprites``.
    """
    _, H, W = out.shape
    for s in range(depth.shape[0]):
        lo, size_s, top_s, d = left[s], size[s], top[s], depth[s]
        c0 = np.int64(max(np.floor(lo), 0.0))
        c1 = np.int64(min(np.ceil(lo + size_s), W))
        r0 = np.int64(max(np.floor(top_s), 0.0))
        r1 = np.int64(min(np.ceil(bottom[s]), H))
        if c0 >= c1 or r0 >= r1:
            continue
        step = _SPRITE / size_s
        frame, slot = frames[s], slots[s]
        for r in range(r0, r1):
            tv = min(max(np.int64((r + 0.5 - top_s) * step), 0), _SPRITE - 1)
            for c in range(c0, c1):
                if zbuffer[frame, c] > d:
                    tu = min(max(np.int64((c + 0.5 - lo) * step), 0), _SPRITE - 1)
                    texel = tv * _SPRITE + tu
                    if alpha[slot, texel]:
                        out[frame, r, c] = pixels[slot, texel]


@numba.njit(cache=True)
def unpack(packed, rgb):
    """``colours.unpack`` of packed colours into uint8 RGB: flat (pixels,) into (3 * pixels,), C order."""
    for i in range(packed.shape[0]):
        value = packed[i]
        rgb[3 * i] = value & 255
        rgb[3 * i + 1] = (value >> 8) & 255
        rgb[3 * i + 2] = (value >> 16) & 255


@numba.njit(cache=True)
def paint_screen(out, on, su, top, height, sh, picture, height_index, wall_spans, rows):
    """One wall screen into ``out`` (H, W): ``raycast.draw_screens``'s rows over each wall slice it covers.

    Per column: whether it hits the screen's material (``on``), its picture column ``su``, the
    wall's top row and height; ``rows`` are the pixel-centre rows. The picture row of a pixel is
    ``draw_screens``'s ``(rows - top) / height * sh``, truncated and clamped.
    """
    last = sh - 1
    for c in range(out.shape[1]):
        if not on[c]:
            continue
        column, top_c, height_c = su[c], top[c], height[c]
        for r in range(wall_spans[height_index[c], 0], wall_spans[height_index[c], 1]):
            sv = min(max(np.int64((rows[r] - top_c) / height_c * sh), 0), last)
            out[r, c] = picture[sv, column]


@numba.njit(cache=True, inline="always")
def _free(walls, x, y, radius):
    """``physics.is_free`` on a grid without floor heights: no wall cell under the square at (x, y)."""
    eps = 1e-9
    r0, r1 = np.int64(np.floor(y - radius)), np.int64(np.floor(y + radius - eps))
    c0, c1 = np.int64(np.floor(x - radius)), np.int64(np.floor(x + radius - eps))
    if r0 < 0 or c0 < 0 or r1 >= walls.shape[0] or c1 >= walls.shape[1]:
        return False
    for r in range(r0, r1 + 1):
        for c in range(c0, c1 + 1):
            if walls[r, c] != 0:
                return False
    return True


@numba.njit(cache=True)
def slide(walls, x, y, sx, sy, substeps, radius):
    """``physics.translate``'s sub-steps on a grid without floor heights: (x, y, x moved, y moved).

    The same float64 sums and cell tests in the same order, so the position equals the Python loop's.
    """
    moved_x, moved_y = False, False
    for _ in range(substeps):
        if sx != 0 and _free(walls, x + sx, y, radius):
            x += sx
            moved_x = True
        if sy != 0 and _free(walls, x, y + sy, radius):
            y += sy
            moved_y = True
    return x, y, moved_x, moved_y


@numba.njit(cache=True)
def may_touch(x, y, size, active, touchable, px, py, reach):
    """Whether any active, touchable entity lies within ``reach`` + a quarter of its size of (px, py) in x and in y.

    A necessary condition for ``physics.touched``'s hit (a hypotenuse is at least either side), with
    a 1 cm margin (wider than any rounding, float32 coordinates included), so that False proves no
    touch without computing the exact distances.
    """
    for k in range(x.shape[0]):
        if active[k] and touchable[k]:
            bound = reach + 0.25 * size[k] + 0.01
            if abs(x[k] - px) <= bound and abs(y[k] - py) <= bound:
                return True
    return False


def warm_up() -> None:
    """Compile (or load from the cache) every kernel with the argument types the renderer passes."""
    walls = np.ones((3, 3), np.int16)
    walls[1, 1] = 0
    out = np.zeros((8, 8), np.uint32)
    f64, empty_f64 = np.zeros(8), np.zeros(0)
    # The renderer's tables are read-only arrays, a type of their own to numba: warm up with the same.
    upper, plane2, plane2_u, row_levels, floor_table, wall_rows, wall_spans, textures = tables = (
        np.zeros(4, np.uint32), np.zeros(4), np.zeros((4, 8)), np.zeros(4, np.int64), np.zeros(64, np.uint32),
        np.full((257, 8), -1, np.int32), np.zeros((257, 2), np.int64), np.zeros(16, np.uint32),
    )  # fmt: skip
    for table in tables:
        table.flags.writeable = False
    draw_frame(
        out[None], 0, walls, 1.5, 1.5, 0.0, 1.0, 0.0, 4.0, f64, False, upper, plane2, plane2_u, row_levels, floor_table,
        np.zeros((0, 0), np.float32), False, wall_rows, wall_spans, textures, 1.0, 12.0, 2, np.zeros((1, 8)),
        np.zeros((1, 8), np.int64), np.zeros((1, 8)),
    )  # fmt: skip
    one = np.zeros(1)
    sprite_layout(
        np.zeros(1, np.int64), np.array([0, 1]), np.zeros(1, np.int64), one + 2.5, one + 1.5, one, one + 0.5,
        np.zeros(1, np.int64), np.zeros((1, 3), np.uint8), np.ones(1, bool),
        np.array([[1.5, 1.5, 0, 1, 0, 4, 1, 12.0]]), 8, 4.0,
    )  # fmt: skip
    paint_sprites(
        out[None], np.zeros(0, np.int64), empty_f64, empty_f64, empty_f64, empty_f64, empty_f64,
        np.zeros(0, np.int64), np.ones((1, 8)), np.zeros((1, 576), bool), np.zeros((1, 576), np.uint32),
    )  # fmt: skip
    unpack(out.reshape(-1), np.zeros(3 * out.size, np.uint8))
    slide(walls, 1.5, 1.5, 0.01, -0.01, 2, 0.16)
    index = np.zeros(8, np.int64)
    paint_screen(out, np.ones(8, bool), index, f64, f64 + 1, 4, np.zeros((4, 4), np.uint32), index, wall_spans, f64)
    may_touch(one, one, one, np.ones(1, bool), np.ones(1, bool), 1.0, 1.0, 0.36)

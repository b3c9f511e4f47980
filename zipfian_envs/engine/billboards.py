"""Billboard sprites, painted into any number of first-person frames in one pass.

Each active entity in front of the camera is a square picture standing upright at its position.
Drawing sprite by sprite (far to near, each hidden where the column's wall is nearer) costs a
dozen numpy calls per sprite; here every candidate pixel of every sprite of every frame is built
as one flat array, tested against the per-column depth buffer and the sprite's alpha, and written
with one scatter. Candidates are laid out far to near (a stable sort, as the per-sprite loop drew
them) and a scatter with repeated pixel indices keeps the last value, so the nearer sprite wins
exactly where the per-sprite loop would have painted over the farther one.

Tinted, shaded sprite pictures come from :class:`PictureStore`, a table of 24x24 packed pictures
keyed by (atlas, shape, colour, light level) that all frames share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from zipfian_envs.engine.colours import LEVEL_FACTORS, PACKED, fog, light_index, pack
from zipfian_envs.engine.sprites import SPRITE_SIZE, SpriteAtlas
from zipfian_envs.engine.world import EYE_HEIGHT_M, Entities

TEXELS = SPRITE_SIZE * SPRITE_SIZE
# Up to this many visible sprites, painting them one by one costs less than the flat arrays' fixed overhead.
FEW_SPRITES = 3
_CENTRES = np.arange(4096) + 0.5  # pixel centres, for columns and rows alike


class PictureStore:
    """Packed pictures of tinted sprites at a light level, one row of a growing table per key.

    Keys are int64 codes of (atlas number, shape, packed colour, light level); the table is
    emptied when it would pass ``limit`` rows (pictures are cheap to rebuild).
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self._slots: dict[int, int] = {}
        self._atlas_numbers: dict[int, int] = {}
        self._atlases: list[SpriteAtlas] = []  # kept alive, so an atlas's id is never reused while numbered
        self.alpha = np.zeros((64, TEXELS), bool)
        self.pixels = np.zeros((64, TEXELS), PACKED)

    def atlas_number(self, atlas: SpriteAtlas) -> int:
        """A small int naming ``atlas`` in picture codes."""
        number = self._atlas_numbers.get(id(atlas))
        if number is None:
            number = self._atlas_numbers[id(atlas)] = len(self._atlases)
            self._atlases.append(atlas)
        return number

    def slots(self, atlas: np.ndarray, shape: np.ndarray, colour: np.ndarray, level: np.ndarray) -> np.ndarray:
        """Each sprite's row in the table (built where missing); arguments are per-sprite int arrays."""
        return self.slots_of_codes((((atlas * 65536 + shape) << 24 | colour) << 6 | level).tolist())

    def slots_of_codes(self, codes: list[int]) -> np.ndarray:
        """:meth:`slots` of picture codes ``((atlas * 65536 + shape) << 24 | packed colour) << 6 | level``."""
        get = self._slots.get
        slots = [get(code, -1) for code in codes]
        if -1 in slots:
            missing = sorted({code for code, slot in zip(codes, slots) if slot < 0})
            if len(self._slots) + len(missing) > self.limit:
                self._slots.clear()
                missing = sorted(set(codes))
            for code in missing:
                self._add(code)
            slots = [self._slots[code] for code in codes]
        return np.array(slots, np.int64)

    def slot(self, code: int) -> int:
        """One picture's row (built if missing); see :meth:`slots`."""
        slot = self._slots.get(code)
        if slot is None:
            if len(self._slots) >= self.limit:
                self._slots.clear()
            self._add(code)
            slot = self._slots[code]
        return slot

    def _add(self, code: int) -> None:
        slot = len(self._slots)
        if slot == self.alpha.shape[0]:
            grown = 2 * slot
            self.alpha = np.concatenate([self.alpha, np.zeros((grown - slot, TEXELS), bool)])
            self.pixels = np.concatenate([self.pixels, np.zeros((grown - slot, TEXELS), PACKED)])
        level, colour = code & 63, (code >> 6) & 0xFFFFFF
        shape, atlas = (code >> 30) & 65535, self._atlases[code >> 46]
        rgb_tuple = (colour & 255, (colour >> 8) & 255, colour >> 16)
        # The same float32 arithmetic as the per-sprite picture it replaces, so pixels match exactly.
        rgb = atlas.shade[shape][:, :, None] * np.asarray(rgb_tuple, np.float32) + atlas.fixed[shape][:, :, None]
        self.pixels[slot] = pack(rgb * LEVEL_FACTORS[level]).ravel()
        self.alpha[slot] = atlas.alpha[shape].ravel()
        self._slots[code] = slot


STORE = PictureStore()


def paint_sprites(
    out: np.ndarray,
    sprites: Sequence[tuple[int, Entities, SpriteAtlas]],
    eye: tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float],
    heading: tuple[np.ndarray | float, np.ndarray | float],
    zbuffer: np.ndarray,
    horizon: np.ndarray | float,
    lighting: tuple[np.ndarray | float, np.ndarray | float],
    focal: float,
) -> None:
    """Paint the active entities of frames into ``out`` ((frames, H, W) packed, C-contiguous).

    ``sprites`` lists (frame index, entities, atlas); per frame: ``eye`` = (x, y, floor z),
    ``heading`` = (cos yaw, sin yaw) as computed by ``math``, ``zbuffer`` (frames, W) wall depths,
    ``horizon`` rows and ``lighting`` = (light, fog_m) of its grid: arrays over frames, or plain
    floats when ``out`` holds one frame.
    """
    sprites = [entry for entry in sprites if len(entry[1])]
    if not sprites:
        return
    _, H, W = out.shape
    px, py, pz = eye
    cos_yaw, sin_yaw = heading
    names = ("x", "y", "z", "size", "shape", "colour", "active")
    frame: Any  # the frame index (one frame) or each sprite's frame index (an array)
    atlas: Any  # likewise the atlas number, or each sprite's
    if len(sprites) == 1:  # one frame (the single env): no copies
        index, entities, atlas_used = sprites[0]
        frame = index
        x, y, z, size, shape, colour, active = (getattr(entities, name) for name in names)
        atlas = STORE.atlas_number(atlas_used)
        # Per-frame values as Python floats (the single renderer passes them so): the same arithmetic, without gathers.
        px, py, pz, cos_yaw, sin_yaw, horizon, light, fog_m = (
            v if isinstance(v, float) else float(v[index]) for v in (px, py, pz, cos_yaw, sin_yaw, horizon, *lighting)
        )
        lighting = (light, fog_m)
    else:
        counts = [len(e) for _, e, _ in sprites]
        frame = np.repeat(np.array([i for i, _, _ in sprites], np.int64), counts)
        x, y, z, size, shape, colour, active = (np.concatenate([getattr(e, n) for _, e, _ in sprites]) for n in names)
        atlas = np.repeat(np.array([STORE.atlas_number(a) for _, _, a in sprites], np.int64), counts)
    one = len(sprites) == 1

    def per_sprite(values: Any, which: Any) -> Any:
        """A per-frame value for each sprite (the Python float itself for one frame)."""
        return values if one else values[which]

    fx, fy = per_sprite(cos_yaw, frame), per_sprite(sin_yaw, frame)
    rel_x, rel_y = x - per_sprite(px, frame), y - per_sprite(py, frame)
    depth = rel_x * fx + rel_y * fy
    lateral = rel_y * fx - rel_x * fy
    visible = active & (depth > 0.05) & (np.abs(lateral) - 0.5 * size < depth * (W / 2 / focal))
    order = np.flatnonzero(visible)
    if order.size == 0:
        return
    # Far to near; the stable sort keeps each frame's ties in entity order, as the per-sprite loop did.
    order = order[np.argsort(-depth[order], kind="stable")]
    where = frame if one else frame[order]
    d = depth[order]
    scale = focal / d
    size_px = size[order] * scale
    left = W / 2 + lateral[order] * scale - size_px / 2
    bottom = per_sprite(horizon, where) + (per_sprite(EYE_HEIGHT_M + pz, where) - z[order]) * scale
    levels = light_index(fog(d, per_sprite(lighting[0], where), per_sprite(lighting[1], where)))
    if one and order.size <= FEW_SPRITES:
        # A few sprites cost less one by one than through the flat arrays below (the same pixels).
        for j, i in enumerate(order.tolist()):
            lo, size_j, base, frame_j = float(left[j]), float(size_px[j]), float(bottom[j]), where
            top_j = base - size_j
            cc0, cc1 = max(math.floor(lo), 0), min(math.ceil(lo + size_j), W)
            rr0, rr1 = max(math.floor(top_j), 0), min(math.ceil(base), H)
            if cc0 >= cc1 or rr0 >= rr1:
                continue
            front = zbuffer[frame_j, cc0:cc1] > d[j]
            if not front.any():
                continue
            r, g, b = colour[i].tolist()
            slot = STORE.slot(((atlas * 65536 + int(shape[i])) << 24 | r | g << 8 | b << 16) << 6 | int(levels[j]))
            step = SPRITE_SIZE / size_j
            tu = np.minimum(np.maximum(((_CENTRES[cc0:cc1] - lo) * step).astype(np.int64), 0), SPRITE_SIZE - 1)
            tv = np.minimum(np.maximum(((_CENTRES[rr0:rr1] - top_j) * step).astype(np.int64), 0), SPRITE_SIZE - 1)
            texel = tv[:, None] * SPRITE_SIZE + tu[None, :]
            mask = STORE.alpha[slot][texel] & front[None, :]
            np.copyto(out[frame_j, rr0:rr1, cc0:cc1], STORE.pixels[slot][texel], where=mask)
        return
    rgb = colour[order].astype(np.int64)
    packed_colour = rgb[:, 0] | rgb[:, 1] << 8 | rgb[:, 2] << 16
    slots = STORE.slots(atlas if one else atlas[order], shape[order].astype(np.int64), packed_colour, levels)
    top = bottom - size_px
    c0 = np.maximum(np.floor(left), 0).astype(np.int64)
    c1 = np.minimum(np.ceil(left + size_px), W).astype(np.int64)
    r0 = np.maximum(np.floor(top), 0).astype(np.int64)
    r1 = np.minimum(np.ceil(bottom), H).astype(np.int64)
    widths, heights = np.maximum(c1 - c0, 0), np.maximum(r1 - r0, 0)
    drawn = np.flatnonzero((widths > 0) & (heights > 0))
    if drawn.size == 0:
        return
    widths, heights, step = widths[drawn], heights[drawn], SPRITE_SIZE / size_px[drawn]
    frames = np.full(drawn.size, where) if one else where[drawn]
    # Per (sprite, column): texel column, screen column and the depth test; per (sprite, row): texel
    # row (with the picture's row in the store) and the pixel row. Same expressions as one by one.
    column_sprite = np.repeat(np.arange(drawn.size), widths)
    first_column = np.cumsum(widths) - widths
    col = c0[drawn][column_sprite] + (np.arange(column_sprite.size) - first_column[column_sprite])
    tu = ((col + 0.5 - left[drawn][column_sprite]) * step[column_sprite]).astype(np.int64)
    tu = np.minimum(np.maximum(tu, 0), SPRITE_SIZE - 1)
    front = zbuffer[frames[column_sprite], col] > d[drawn][column_sprite]
    row_sprite = np.repeat(np.arange(drawn.size), heights)
    row = r0[drawn][row_sprite] + (np.arange(row_sprite.size) - (np.cumsum(heights) - heights)[row_sprite])
    tv = ((row + 0.5 - top[drawn][row_sprite]) * step[row_sprite]).astype(np.int64)
    tv = np.minimum(np.maximum(tv, 0), SPRITE_SIZE - 1)
    picture_row = slots[drawn][row_sprite] * TEXELS + tv * SPRITE_SIZE
    pixel_row = (frames[row_sprite] * H + row) * W
    # Candidates: each (sprite, row) run over the sprite's columns, sprites far to near.
    run = widths[row_sprite]
    total = int(run.sum())
    column = np.arange(total) + np.repeat(first_column[row_sprite] - (np.cumsum(run) - run), run)
    texel = np.repeat(picture_row, run) + tu[column]
    shown = STORE.alpha.ravel()[texel] & front[column]
    pixel = np.repeat(pixel_row, run) + col[column]
    out.reshape(-1)[pixel[shown]] = STORE.pixels.ravel()[texel[shown]]

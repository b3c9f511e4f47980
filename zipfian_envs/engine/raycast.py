"""The first-person renderer: a raycaster vectorised over columns and grid crossings.

One ray per image column. Instead of stepping each ray through the grid (DDA) in a Python loop,
every crossing of a vertical grid line and of a horizontal grid line along every ray is computed
at once, as (columns, crossings) arrays; the first crossing into an opaque cell is an ``argmax``.
With the ray direction ``forward + right * u`` (``u`` the column's offset on the image plane), the
ray parameter at the hit is the perpendicular depth, which gives fish-eye-free wall heights and
the per-column depth buffer that hides sprites behind walls.

Then, per pixel: textured walls, a floor cast onto the grid (per-cell colour, checker texture,
lower floors darker, void as sky), a ceiling or sky gradient, billboard sprites depth-tested per
column, wall screens (images mapped onto a run of wall) and a HUD strip of coloured squares.
Everything is a pure function of its arguments.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from zipfian_envs.engine.billboards import paint_sprites
from zipfian_envs.engine.colours import LEVEL_FACTORS, PACKED, fog, light_index, pack
from zipfian_envs.engine.sprites import ATLAS, SpriteAtlas
from zipfian_envs.engine.textures import TEXTURE_SIZE
from zipfian_envs.engine.world import EYE_HEIGHT_M, STEP_HEIGHT_M, VOID_HEIGHT, Entities, Grid, Pose

HUD_SQUARE = 12
SKY_TOP = np.array([70, 110, 190], np.float32)
SKY_HORIZON = np.array([185, 205, 230], np.float32)
VOID_COLOUR = np.array([12, 12, 24], np.uint8)
_VOID_PACKED = np.uint32(12 | 12 << 8 | 24 << 16)


@dataclass(frozen=True)
class Camera:
    """Image size and horizontal field of view (DeepMind Lab's default is 90 degrees)."""

    width: int = 96
    height: int = 72
    fov_deg: float = 90.0

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 8:
                raise ValueError(f"{name} must be an integer >= 8, got {value!r}")
        if not 10.0 <= float(self.fov_deg) <= 170.0:
            raise ValueError(f"fov_deg must be in 10..170, got {self.fov_deg!r}")

    @cached_property
    def focal(self) -> float:
        """Focal length in pixels (square pixels, so the same vertically)."""
        return (self.width / 2) / math.tan(math.radians(self.fov_deg) / 2)

    @cached_property
    def column_offsets(self) -> np.ndarray:
        """Each column's offset on the image plane at unit depth, left to right."""
        return ((np.arange(self.width) + 0.5 - self.width / 2) / self.focal).astype(np.float64)

    @cached_property
    def row_centres(self) -> np.ndarray:
        """Pixel-centre row coordinates as a (H, 1) column."""
        return (np.arange(self.height, dtype=np.float64) + 0.5)[:, None]

    def horizon(self, pitch: float) -> float:
        """Row of the horizon for a pitch in radians (looking up moves it down the image)."""
        return self.height / 2 + self.focal * math.tan(pitch)


@dataclass(frozen=True)
class Screen:
    """An image shown on the wall cells of material ``material``, stretched over a run of wall.

    ``image`` is (h, w, 3) uint8, or already packed with :func:`pack` as (h, w) uint32 (cheaper for
    a screen that changes rarely but is drawn every frame).

    ``start`` and ``end`` bound the along-wall coordinate (x for a wall facing north or south,
    y for one facing east or west) that maps to the image's left and right edges.
    """

    material: int
    image: np.ndarray
    start: float
    end: float


@dataclass(frozen=True)
class RayHits:
    """Per-column hits: perpendicular depth, material, along-wall coordinate and which side was hit."""

    depth: np.ndarray
    material: np.ndarray
    along: np.ndarray
    x_side: np.ndarray
    cell_row: np.ndarray
    cell_col: np.ndarray


def opaque_materials(grid: Grid, z: float) -> np.ndarray:
    """Wall materials that stop rays for an eye on a floor at ``z`` (cliffs above it count as walls)."""
    if grid.heights is None:
        return grid.walls
    cliff = (grid.heights > z + STEP_HEIGHT_M) & (grid.walls == 0)
    return np.where(cliff, np.int16(grid.cliff_material), grid.walls)


# Rays are first marched over this many crossings per axis; only rays that meet no wall within them
# (long views in big maps) are marched again over every crossing.
_FIRST_PASS_CROSSINGS = 12


def cast_rays(materials: np.ndarray, x: float, y: float, dir_x: np.ndarray, dir_y: np.ndarray) -> RayHits:
    """First opaque cell along each ray from (x, y) with direction (dir_x, dir_y); depth in ray units.

    Every crossing of a vertical and of a horizontal grid line is computed at once as a
    (rays, crossings) array; cells outside the grid stop a ray with material 0.
    """
    rows, cols = materials.shape
    width = cols + 2
    padded = np.full((rows + 2, width), -1, np.int32)
    padded[1:-1, 1:-1] = materials
    flat_cells = padded.ravel()
    # An exactly axis-aligned ray would divide by zero; a tiny component never reaches a crossing.
    dir_x = np.where(dir_x == 0, 1e-12, dir_x)
    dir_y = np.where(dir_y == 0, 1e-12, dir_y)
    every = (cols + 1, rows + 1)
    if max(every) <= 2 * _FIRST_PASS_CROSSINGS:
        depth, x_side, cell, material, _ = _march(flat_cells, width, x, y, dir_x, dir_y, *every)
    else:
        depth, x_side, cell, material, reach = _march(
            flat_cells, width, x, y, dir_x, dir_y, _FIRST_PASS_CROSSINGS, _FIRST_PASS_CROSSINGS
        )
        # A first-pass hit is final when no unexamined crossing comes before it.
        again = np.flatnonzero(depth > reach)
        if again.size:
            far = _march(flat_cells, width, x, y, dir_x[again], dir_y[again], *every)
            for array, values in zip((depth, x_side, cell, material), far[:4]):
                array[again] = values
    along = np.where(x_side, y + depth * dir_y, x + depth * dir_x)
    return RayHits(
        depth=depth,
        material=np.maximum(material, 0),
        along=along,
        x_side=x_side,
        cell_row=cell // width - 1,
        cell_col=cell % width - 1,
    )


def _march(
    flat_cells: np.ndarray,
    width: int,
    x: float,
    y: float,
    dir_x: np.ndarray,
    dir_y: np.ndarray,
    count_x: int,
    count_y: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The nearest opaque crossing among each ray's first ``count_x`` / ``count_y`` crossings.

    Returns per ray: its depth (inf if none), whether it is on a vertical grid line, the padded cell
    index and material, and the depth up to which every crossing was examined.
    """
    dir_x, dir_y = dir_x[:, None], dir_y[:, None]
    east, south = dir_x > 0, dir_y > 0
    kx, ky = crossing_steps(count_x), crossing_steps(count_y)
    # Vertical grid lines x = line_x; the cell entered is east or west of the line.
    line_x = np.where(east, kx + (math.floor(x) + 1), (math.floor(x) - kx))
    t_x = (line_x - x) / dir_x
    cell_x = np.floor(y + t_x * dir_y) * width + (line_x + east + width)
    # Horizontal grid lines y = line_y.
    line_y = np.where(south, ky + (math.floor(y) + 1), (math.floor(y) - ky))
    t_y = (line_y - y) / dir_y
    cell_y = np.floor(x + t_y * dir_x) + ((line_y + south) * width + 1)
    t = np.concatenate([t_x, t_y], axis=1)
    # Crossings past the grid's edge land on clamped, wrong cells, but only after the ray has
    # already met the outside border, so they never win the minimum below.
    cell = np.minimum(np.maximum(np.concatenate([cell_x, cell_y], axis=1), 0), flat_cells.size - 1).astype(np.int64)
    material = flat_cells[cell]
    t_hit = np.where(material != 0, t, np.inf)
    k = np.argmin(t_hit, axis=1)
    index = np.arange(t.shape[0])
    reach = np.minimum(t_x[:, -1], t_y[:, -1])
    return t_hit[index, k], k < count_x, cell[index, k], material[index, k], reach


@functools.lru_cache(maxsize=64)
def crossing_steps(count: int) -> np.ndarray:
    steps = np.arange(count, dtype=np.float64)[None, :]
    steps.flags.writeable = False
    return steps


def ray_directions(camera: Camera, yaw: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-column ray directions ``forward + right * u`` (not normalised)."""
    fx, fy = math.cos(yaw), math.sin(yaw)
    u = camera.column_offsets
    return fx - fy * u, fy + fx * u


def centre_ray(grid: Grid, pose: Pose) -> RayHits:
    """The hit of the ray through the image centre (the gaze), as one-column ``RayHits``."""
    fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
    return cast_rays(opaque_materials(grid, pose.z), pose.x, pose.y, np.array([fx]), np.array([fy]))


def _fog(depth: np.ndarray | float, grid: Grid) -> np.ndarray:
    return fog(depth, grid.light, grid.fog_m)


_TABLES: dict[tuple, np.ndarray] = {}


def _cached(key: tuple, build, cache: dict[tuple, np.ndarray] = _TABLES, limit: int = 24) -> np.ndarray:
    """A read-only table from a bounded cache (cleared when full: tables are cheap to rebuild)."""
    table = cache.get(key)
    if table is None:
        if len(cache) >= limit:
            cache.clear()
        table = cache[key] = build()
        table.flags.writeable = False
    return table


HEIGHT_STEPS = 4  # wall slice heights are looked up in quarter pixels
MAX_WALL_SCREENS = 8  # slices taller than 8 image heights are all clipped alike


@functools.lru_cache(maxsize=64)
def upper_rows(
    H: int, W: int, focal: float, horizon: float, split: int, fog_m: float, light: float, ceiling: tuple, sky: bool
) -> np.ndarray:
    """Packed colours of the rows above the horizon, as (split, 1): a sky gradient or a fogged ceiling."""
    rows = np.arange(split) + 0.5
    if sky:
        t = np.minimum(np.maximum(rows / max(horizon, 1.0), 0.0), 1.0)[:, None]
        colours = (SKY_TOP * (1 - t) + SKY_HORIZON * t) * light
    else:
        distance = (1.0 - EYE_HEIGHT_M) * focal / np.maximum(horizon - rows, 1e-3)
        colours = np.asarray(ceiling, np.float32)[None, :] * (light / (1.0 + (distance / fog_m) ** 2))[:, None]
    table = pack(colours)[:, None]
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=64)
def floor_rows(
    H: int, W: int, focal: float, horizon: float, split: int, fog_m: float, light: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per floor row: twice its plane distance (R, 1), that times each column's offset (R, W), its light level."""
    rows = np.arange(split, H)[:, None] + 0.5
    plane = EYE_HEIGHT_M * focal / np.maximum(rows - horizon, 1e-3)
    offsets = (np.arange(W) + 0.5 - W / 2) / focal
    levels = light_index(light / (1.0 + (plane / fog_m) ** 2))
    tables = (2 * plane, 2 * plane * offsets[None, :], levels)
    for table in tables:
        table.flags.writeable = False
    return tables


@functools.lru_cache(maxsize=32)
def _wall_texel_rows(image_height: int, horizon: float) -> np.ndarray:
    """(slice heights, image rows) texture row of each image row of a wall slice, -1 where off the slice."""
    heights = np.arange(HEIGHT_STEPS * MAX_WALL_SCREENS * image_height + 1) / HEIGHT_STEPS
    rows = np.arange(image_height) + 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = (rows[None, :] - horizon) / heights[:, None] + (1.0 - EYE_HEIGHT_M)
    texel = np.floor(fraction * TEXTURE_SIZE)
    table = np.where((fraction >= 0) & (fraction < 1), np.minimum(texel, TEXTURE_SIZE - 1), -1).astype(np.int64)
    table.flags.writeable = False
    return table


@functools.lru_cache(maxsize=32)
def wall_offsets(image_height: int, horizon: float) -> np.ndarray:
    """``_wall_texel_rows`` as int32 offsets into a texture (texel row x 16), -1 off the slice."""
    rows = _wall_texel_rows(image_height, horizon)
    table = np.where(rows >= 0, rows * TEXTURE_SIZE, -1).astype(np.int32)
    table.flags.writeable = False
    return table


def shaded_textures(textures: np.ndarray) -> np.ndarray:
    """(levels, materials, 16, 16) packed textures at every light level, flattened."""
    key = ("tex", textures.shape, hash(textures.tobytes()))
    return _cached(key, lambda: pack(LEVEL_FACTORS[:, None, None, None, None] * textures[None]).ravel())


def shaded_floor(
    floor: np.ndarray, checker: float, cache: dict[tuple, np.ndarray] = _TABLES, limit: int = 24
) -> np.ndarray:
    """(levels, 2 * rows, 2 * cols) packed floor colours at half-cell resolution (checker baked in)."""
    key = ("floor", floor.shape, checker, hash(floor.tobytes()))

    def build() -> np.ndarray:
        fine = np.repeat(np.repeat(floor.astype(np.float32), 2, axis=0), 2, axis=1)
        parity = (np.add.outer(np.arange(fine.shape[0]), np.arange(fine.shape[1])) % 2).astype(np.float32)
        fine *= (1.0 - checker * parity)[:, :, None]
        return pack(LEVEL_FACTORS[:, None, None, None] * fine[None]).ravel()

    return _cached(key, build, cache, limit)


@dataclass(frozen=True)
class View:
    """What the renderer draws besides the grid: entities, screens and the HUD colours."""

    entities: Entities | None = None
    atlas: SpriteAtlas = ATLAS
    screens: Sequence[Screen] = ()
    hud: Sequence[Sequence[int]] = ()


DEFAULT_CAMERA = Camera()
NO_EXTRAS = View()


def render_packed(grid: Grid, pose: Pose, camera: Camera = DEFAULT_CAMERA, view: View = NO_EXTRAS) -> np.ndarray:
    """The first-person image as packed (height, width) uint32 colours, drawn with numpy (the reference).

    Envs call :func:`.backend.render_packed`, which uses the compiled renderer when numba is in use.
    """
    H, W = camera.height, camera.width
    f = camera.focal
    dir_x, dir_y = ray_directions(camera, pose.yaw)
    hits = cast_rays(opaque_materials(grid, pose.z), pose.x, pose.y, dir_x, dir_y)
    depth = np.maximum(hits.depth, 1e-3)
    horizon = camera.horizon(pose.pitch)
    out = np.empty((H, W), PACKED)

    # Ceiling or sky above the horizon, floor below: both are functions of the row (and cell).
    split = int(min(max(math.ceil(horizon - 0.5), 0), H))
    key = (H, W, f, round(horizon, 3), split, grid.fog_m, grid.light)
    if split > 0:
        out[:split] = upper_rows(*key, tuple(grid.ceiling), bool(grid.sky))
    if split < H:
        out[split:] = floor_block(grid, pose, key)

    # Walls, textured and shaded per column, drawn over floor and ceiling. With the eye at mid-height
    # a wall slice is symmetric about the horizon, so each row's texel depends only on the slice height.
    height = f / depth
    height_index = np.minimum((height * HEIGHT_STEPS + 0.5).astype(np.int64), HEIGHT_STEPS * MAX_WALL_SCREENS * H)
    offsets = wall_offsets(H, round(horizon, 3))[height_index].T  # (H, W): texel row x 16, or -1 off the wall
    is_wall = offsets >= 0
    u = np.minimum(((hits.along % 1.0) * TEXTURE_SIZE).astype(np.int64), TEXTURE_SIZE - 1)
    level = light_index(_fog(depth, grid) * np.where(hits.x_side, 1.0, 0.82))
    materials = grid.textures.shape[0]
    base = (((level * materials + hits.material) * TEXTURE_SIZE) * TEXTURE_SIZE + u).astype(np.int32)
    # Off the wall the index is wrong (or -1, clipped to 0) but never shown.
    wall = shaded_textures(grid.textures).take(offsets + base[None, :], mode="clip")
    if view.screens:
        wall = draw_screens(wall, view.screens, hits.material, hits.along, height, horizon, camera.row_centres)
    np.copyto(out, wall, where=is_wall)

    if view.entities is not None and len(view.entities):
        paint_sprites(
            out[None],
            [(0, view.entities, view.atlas)],
            (float(pose.x), float(pose.y), float(pose.z)),
            (math.cos(pose.yaw), math.sin(pose.yaw)),
            depth[None],
            horizon,
            (float(grid.light), float(grid.fog_m)),
            f,
        )
    draw_hud(out, view.hud)
    return out


def draw_screens(
    wall: np.ndarray,
    screens: Sequence[Screen],
    material: np.ndarray,
    along: np.ndarray,
    height: np.ndarray,
    horizon: float,
    rows: np.ndarray,
) -> np.ndarray:
    """The (H, W) packed wall pixels with each screen's image over the columns that hit its material."""
    top = horizon - (1.0 - EYE_HEIGHT_M) * height
    for screen in screens:
        on = material == screen.material
        if on.any():
            sh, sw = screen.image.shape[:2]
            su = ((along - screen.start) / (screen.end - screen.start) * sw).astype(np.int64)
            sv = ((rows - top) / height * sh).astype(np.int64)
            su, sv = np.minimum(np.maximum(su, 0), sw - 1), np.minimum(np.maximum(sv, 0), sh - 1)
            picture = screen.image if screen.image.ndim == 2 else pack(screen.image)
            wall = np.where(on[None, :], picture[sv, su[None, :]], wall)
    return wall


def draw_hud(out: np.ndarray, hud: Sequence[Sequence[int]]) -> None:
    """Paint the HUD's coloured squares along the top left of a packed (H, W) frame."""
    for index, colour in enumerate(hud):
        x0 = 2 + index * (HUD_SQUARE + 2)
        out[2 : 2 + HUD_SQUARE, x0 : x0 + HUD_SQUARE] = pack(np.asarray(colour))


def floor_block(grid: Grid, pose: Pose, key: tuple) -> np.ndarray:
    """Packed floor pixels below the horizon; ``key`` = (H, W, focal, horizon, split, fog_m, light)."""
    grid_rows, grid_cols = grid.walls.shape
    plane2, plane2_u, row_levels = floor_rows(*key)
    cos_yaw, sin_yaw = math.cos(pose.yaw), math.sin(pose.yaw)
    # Half-cell coordinates of each floor pixel: 2 * (position + plane distance * ray direction).
    fx: np.ndarray = (2 * pose.x + cos_yaw * plane2) - sin_yaw * plane2_u  # float, then int32 below
    fy: np.ndarray = (2 * pose.y + sin_yaw * plane2) + cos_yaw * plane2_u
    # Clipping in floating point then truncating equals truncating then clipping the integers
    # (coordinates stay far inside int32), which moves half the bytes.
    fx, fy = fx.astype(np.int32), fy.astype(np.int32)
    np.minimum(np.maximum(fx, 0, out=fx), 2 * grid_cols - 1, out=fx)
    np.minimum(np.maximum(fy, 0, out=fy), 2 * grid_rows - 1, out=fy)
    cells = 4 * grid_rows * grid_cols
    if grid.heights is None:
        index = np.multiply(fy, 2 * grid_cols, out=fy)
        index += fx
        index += (row_levels * cells).astype(np.int32)
    else:
        below = grid.heights[fy >> 1, fx >> 1]
        drop = np.minimum(np.maximum(1.0 - 0.12 * (pose.z - below), 0.35), 1.0)
        index = light_index(_fog(plane2 / 2, grid) * drop) * cells + fy * (2 * grid_cols) + fx
    floor = shaded_floor(grid.floor, grid.floor_checker)[index]
    if grid.heights is not None:
        floor = np.where(below <= VOID_HEIGHT, _VOID_PACKED, floor)
    return floor

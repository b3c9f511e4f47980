"""A top-down picture of the whole map for humans: cells, entities, the agent and its field of view."""

from __future__ import annotations

import math

import numpy as np

from zipfian_envs.engine.raycast import DEFAULT_CAMERA, Camera, cast_rays, opaque_materials, ray_directions
from zipfian_envs.engine.sprites import ATLAS, SPRITE_SIZE, SpriteAtlas
from zipfian_envs.engine.world import VOID_HEIGHT, Entities, Grid, Pose

AGENT_COLOUR = np.array([255, 255, 255], np.uint8)
FOV_COLOUR = np.array([250, 220, 60], np.uint8)


def cell_scale(grid: Grid, target_px: int = 384) -> int:
    """Pixels per cell so that the map's longer side is about ``target_px`` (4 to 24)."""
    return int(np.clip(target_px // max(grid.walls.shape), 4, 24))


def top_down(
    grid: Grid,
    pose: Pose,
    entities: Entities | None = None,
    atlas: SpriteAtlas = ATLAS,
    camera: Camera = DEFAULT_CAMERA,
    scale: int | None = None,
) -> np.ndarray:
    """An RGB uint8 map: floors in their colours (lower floors darker), walls in their mean texture colour."""
    scale = cell_scale(grid) if scale is None else scale
    rows, cols = grid.walls.shape
    wall_colour = grid.textures.reshape(grid.textures.shape[0], -1, 3).mean(axis=1)
    cells = np.where((grid.walls > 0)[:, :, None], wall_colour[grid.walls], grid.floor.astype(np.float64))
    if grid.heights is not None:
        open_cells = grid.walls == 0
        finite = grid.heights[open_cells & (grid.heights > VOID_HEIGHT)]
        top = float(finite.max()) if finite.size else 0.0
        shade = np.clip(1.0 - 0.12 * (top - grid.heights), 0.35, 1.0)
        cells = cells * np.where(open_cells, shade, 1.0)[:, :, None]
        cells[open_cells & (grid.heights <= VOID_HEIGHT)] = (12, 12, 24)
    image = np.kron(cells.astype(np.uint8), np.ones((scale, scale, 1), np.uint8))

    if entities is not None:
        pick = (np.arange(scale) * SPRITE_SIZE // scale).astype(np.int64)
        for i in np.flatnonzero(entities.active):
            px = int(entities.x[i] * scale - scale / 2)
            py = int(entities.y[i] * scale - scale / 2)
            r0, c0 = max(py, 0), max(px, 0)
            r1, c1 = min(py + scale, image.shape[0]), min(px + scale, image.shape[1])
            if r0 >= r1 or c0 >= c1:
                continue
            shape = int(entities.shape[i])
            tv, tu = pick[r0 - py : r1 - py], pick[c0 - px : c1 - px]
            alpha = atlas.alpha[shape][tv[:, None], tu[None, :]]
            rgb = (
                atlas.shade[shape][tv[:, None], tu[None, :], None] * entities.colour[i]
                + atlas.fixed[shape][tv[:, None], tu[None, :], None]
            )
            patch = image[r0:r1, c0:c1]
            patch[alpha] = np.clip(rgb[alpha], 0, 255).astype(np.uint8)

    # Field of view: the two edge rays and the centre ray, drawn up to the wall they hit.
    materials = opaque_materials(grid, pose.z)
    dir_x, dir_y = ray_directions(camera, pose.yaw)
    edges = np.array([0, camera.width // 2, camera.width - 1])
    hits = cast_rays(materials, pose.x, pose.y, dir_x[edges], dir_y[edges])
    for k, index in enumerate(edges):
        length = min(float(hits.depth[k]), 1.5 * max(rows, cols))
        t = np.linspace(0.0, length, max(2, int(length * scale)))
        xs = ((pose.x + t * dir_x[index]) * scale).astype(np.int64)
        ys = ((pose.y + t * dir_y[index]) * scale).astype(np.int64)
        ok = (xs >= 0) & (xs < image.shape[1]) & (ys >= 0) & (ys < image.shape[0])
        image[ys[ok], xs[ok]] = FOV_COLOUR

    # The agent: a disc with a nose pointing along its heading.
    radius = max(2, scale // 3)
    cy, cx = pose.y * scale, pose.x * scale
    yy, xx = np.ogrid[: image.shape[0], : image.shape[1]]
    image[(yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2] = AGENT_COLOUR
    for t in np.linspace(0, 2 * radius, 4 * radius):
        nx, ny = int(cx + t * math.cos(pose.yaw)), int(cy + t * math.sin(pose.yaw))
        if 0 <= ny < image.shape[0] and 0 <= nx < image.shape[1]:
            image[ny, nx] = (255, 60, 60)
    return image

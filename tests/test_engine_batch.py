"""The batched renderer and the flat sprite painter: bit for bit what the single renderer draws."""

import math
from collections.abc import Iterator

import gymnasium as gym
import numpy as np
import pytest

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.engine import billboards
from zipfian_envs.engine.batch import render_batch
from zipfian_envs.engine.raycast import Camera, View, cast_rays, opaque_materials, ray_directions, render_packed
from zipfian_envs.engine.sprites import ATLAS, SPRITE_SIZE
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import EYE_HEIGHT_M, Entities, Grid, Pose
from zipfian_envs.labyrinth.levels import LEVEL_ORDER


def _frames_of_every_level(steps: int) -> Iterator[tuple[Camera, list[tuple]]]:
    """Per step, (grid, pose, view) of one env per Labyrinth level and three Playrooms, under random play."""
    envs = [gym.make("Zipfian/Labyrinth-v0", level=name).unwrapped for name in LEVEL_ORDER]
    envs += [gym.make(f"Zipfian/Playroom-{level}-v0").unwrapped for level in
             ("lift.lift_shape_zipf2", "put.lift_shape_many_zipf1", "supervised.find_shape_zipf2")]  # fmt: skip
    for seed, env in enumerate(envs):
        env.reset(seed=seed)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        for env in envs:
            _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            if terminated or truncated:
                env.reset()
        # Grids and entities change in place as levels run: the caller renders this step's frames now.
        yield envs[0].camera, [env.view_frame() for env in envs]


@pytest.mark.parametrize("chunk", [1, 7, 16])
def test_render_batch_equals_render_packed_on_every_level(chunk):
    frames_seen = 0
    for camera, frames in _frames_of_every_level(25):
        batch = render_batch(frames, camera, chunk=chunk)
        assert batch.shape == (len(frames), camera.height, camera.width)
        for i, (grid, pose, view) in enumerate(frames):
            np.testing.assert_array_equal(batch[i], render_packed(grid, pose, camera, view), err_msg=f"frame {i}")
        frames_seen += len(frames)
    assert frames_seen == 25 * (len(LEVEL_ORDER) + 3)


def _crowd(rng, count: int) -> Entities:
    """``count`` overlapping sprites in front of the camera, some at equal depths (ties keep entity order)."""
    entities = Entities()
    for index in range(count):
        depth = 1.5 + (index // 2) * 0.3 if index % 3 else 2.0
        entities.add(depth + 1.5, 4.0 + rng.uniform(-0.8, 0.8), int(rng.integers(len(ATLAS.names))),
                     tuple(int(v) for v in rng.integers(0, 256, 3)), size=rng.uniform(0.3, 1.2),
                     z=rng.uniform(0.0, 0.4))  # fmt: skip
    return entities


def _paint_one_by_one(out, entities, pose, camera, zbuffer, horizon, grid):
    """The per-sprite painter the flat one replaced: far to near, each sprite over the ones before."""
    H, W, f = camera.height, camera.width, camera.focal
    fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
    rel_x, rel_y = entities.x - pose.x, entities.y - pose.y
    depth = rel_x * fx + rel_y * fy
    lateral = rel_y * fx - rel_x * fy
    visible = entities.active & (depth > 0.05) & (np.abs(lateral) - 0.5 * entities.size < depth * (W / 2 / f))
    order = np.flatnonzero(visible)
    order = order[np.argsort(-depth[order], kind="stable")]
    centres = np.arange(max(H, W)) + 0.5
    for i in order.tolist():
        d = depth[i]
        scale = f / d
        size = entities.size[i] * scale
        lo = W / 2 + lateral[i] * scale - size / 2
        base = horizon + (EYE_HEIGHT_M + pose.z - entities.z[i]) * scale
        top = base - size
        c0, c1 = max(math.floor(lo), 0), min(math.ceil(lo + size), W)
        r0, r1 = max(math.floor(top), 0), min(math.ceil(base), H)
        if c0 >= c1 or r0 >= r1:
            continue
        step = SPRITE_SIZE / size
        tu = np.clip(((centres[c0:c1] - lo) * step).astype(np.int64), 0, SPRITE_SIZE - 1)
        tv = np.clip(((centres[r0:r1] - top) * step).astype(np.int64), 0, SPRITE_SIZE - 1)
        level = int(billboards.light_index(billboards.fog(d, grid.light, grid.fog_m)))
        colour = entities.colour[i].astype(np.int64)
        code = ((billboards.STORE.atlas_number(ATLAS) * 65536 + int(entities.shape[i])) << 24
                | int(colour[0] | colour[1] << 8 | colour[2] << 16)) << 6 | level  # fmt: skip
        slot = billboards.STORE.slot(code)
        texel = tv[:, None] * SPRITE_SIZE + tu[None, :]
        mask = billboards.STORE.alpha[slot][texel] & (zbuffer[c0:c1] > d)[None, :]
        np.copyto(out[r0:r1, c0:c1], billboards.STORE.pixels[slot][texel], where=mask)


@pytest.mark.parametrize("count", [1, 3, 12, 40])
def test_flat_sprite_painter_equals_painting_one_by_one(count, monkeypatch):
    rng = np.random.default_rng(count)
    walls = np.zeros((8, 10), np.int16)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = 1
    walls[3, 6] = 1  # a pillar that hides some sprites
    grid = Grid(walls=walls, floor=np.full((8, 10, 3), 90, np.uint8), textures=texture_bank([((200, 30, 30), "plain")]))
    camera = Camera()
    entities = _crowd(rng, count)
    for pitch in (0.0, 0.3):
        pose = Pose(x=1.5, y=4.0, yaw=0.05, pitch=pitch)
        for few in (0, 1000):  # the flat arrays, and the one-by-one path for few sprites
            monkeypatch.setattr(billboards, "FEW_SPRITES", few)
            image = render_packed(grid, pose, camera, View(entities=entities))
            plain = render_packed(grid, pose, camera, View())
            zbuffer = _zbuffer(grid, pose, camera)
            _paint_one_by_one(plain, entities, pose, camera, zbuffer, camera.horizon(pitch), grid)
            np.testing.assert_array_equal(image, plain)
        assert (image != render_packed(grid, pose, camera, View())).any()


def _zbuffer(grid, pose, camera):
    dir_x, dir_y = ray_directions(camera, pose.yaw)
    return np.maximum(cast_rays(opaque_materials(grid, pose.z), pose.x, pose.y, dir_x, dir_y).depth, 1e-3)


def test_picture_store_refills_when_full():
    store = billboards.PictureStore(limit=4)
    codes = [((store.atlas_number(ATLAS) * 65536 + shape) << 24 | 0x102030) << 6 | 20 for shape in range(6)]
    first = [store.slot(code) for code in codes[:4]]
    assert sorted(first) == [0, 1, 2, 3]
    slots = store.slots(np.zeros(3, np.int64), np.array([4, 5, 0]), np.full(3, 0x102030), np.full(3, 20))
    assert len(set(slots.tolist())) == 3  # the store was emptied and the three pictures rebuilt
    for slot, shape in zip(slots.tolist(), (4, 5, 0)):
        np.testing.assert_array_equal(store.alpha[slot], ATLAS.alpha[shape].ravel())

"""The first-person engine: collision, raycast geometry, textures, sprites, HUD, top-down map, language."""

import math

import numpy as np
import pytest

from zipfian_envs.core import language
from zipfian_envs.engine import physics
from zipfian_envs.engine.actions import ACTION_COMMANDS
from zipfian_envs.engine.backend import render_view
from zipfian_envs.engine.raycast import Camera, Screen, View, cast_rays, centre_ray
from zipfian_envs.engine.sprites import ATLAS, SHAPES, shape_index
from zipfian_envs.engine.textures import make_texture, texture_bank
from zipfian_envs.engine.topdown import top_down
from zipfian_envs.engine.world import AGENT_RADIUS_M, VOID_HEIGHT, Entities, Grid, Pose, seconds_to_steps

RED, BLUE = (200, 30, 30), (30, 30, 200)


def room(rows=8, cols=10, inner=None, heights=None, textures=None):
    walls = np.zeros((rows, cols), np.int16)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = 1
    if inner is not None:
        for r, c, m in inner:
            walls[r, c] = m
    floor = np.full((rows, cols, 3), 90, np.uint8)
    textures = texture_bank([(RED, "plain"), (BLUE, "plain")]) if textures is None else textures
    return Grid(walls=walls, floor=floor, textures=textures, heights=heights)


def random_maze(rng, size=15):
    walls = (rng.random((size, size)) < 0.3).astype(np.int16)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = 1
    walls[size // 2, size // 2] = 0
    return Grid(walls=walls, floor=np.full((size, size, 3), 90, np.uint8), textures=texture_bank([(RED, "bricks")]))


def inside_wall(grid, pose):
    return not physics.is_free(grid, pose.x, pose.y, pose.z, AGENT_RADIUS_M - 1e-6)


def test_time_and_units():
    assert seconds_to_steps(60) == 900
    assert seconds_to_steps(12) == 180
    assert math.degrees(physics.TURN_STEP_RAD) == pytest.approx(8.4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_walk_of_10000_steps_never_ends_inside_a_wall(seed):
    rng = np.random.default_rng(seed)
    grid = random_maze(rng)
    pose = Pose(x=7.5, y=7.5, yaw=0.0)
    for _ in range(10_000):
        forward, strafe, turn, _ = ACTION_COMMANDS[rng.integers(len(ACTION_COMMANDS))]
        pose = physics.move_agent(grid, pose, forward=forward, strafe=strafe, turn=turn, speed=rng.uniform(0.05, 3.0))
        assert not inside_wall(grid, pose)


def test_no_tunnelling_at_any_speed_and_sliding_along_walls():
    grid = room(inner=[(r, 5, 2) for r in range(1, 7)])
    pose = Pose(x=2.5, y=3.5, yaw=0.0)
    far = physics.translate(grid, pose, 50.0, 0.0)
    assert far.x == pytest.approx(5 - AGENT_RADIUS_M, abs=0.1) and far.x < 5 - AGENT_RADIUS_M + 1e-9
    slid = physics.translate(grid, Pose(x=4.5, y=3.5), 1.0, 1.0)
    assert slid.x < 5 - AGENT_RADIUS_M + 1e-9 and slid.y == pytest.approx(4.5)


def test_cliffs_block_and_drops_are_one_way():
    heights = np.zeros((8, 10), np.float32)
    heights[:, 5:] = -1.0  # a lower step east of column 5
    heights[1, 8] = VOID_HEIGHT
    grid = room(heights=heights)
    pose = Pose(x=3.5, y=3.5, yaw=0.0)
    for _ in range(40):
        pose = physics.move_agent(grid, pose, forward=1)
    assert pose.z == pytest.approx(-1.0) and pose.x > 5 + AGENT_RADIUS_M
    back = pose
    for _ in range(40):
        back = physics.move_agent(grid, Pose(back.x, back.y, math.pi, 0.0, back.z), forward=1)
    assert back.x >= 5 + AGENT_RADIUS_M - 1e-9, "climbed back onto the higher floor"
    assert not physics.is_free(grid, 8.5, 1.5, -1.0)  # void cells block like invisible columns


def test_raycast_depth_matches_analytic_distance():
    grid = room(rows=9, cols=12)
    x, y = 3.3, 4.6
    angles = np.linspace(-math.pi, math.pi, 73)
    hits = cast_rays(grid.walls, x, y, np.cos(angles), np.sin(angles))
    for angle, depth in zip(angles, hits.depth):
        dx, dy = math.cos(angle), math.sin(angle)
        to_x = ((11 - x) / dx) if dx > 1e-12 else ((1 - x) / dx if dx < -1e-12 else math.inf)
        to_y = ((8 - y) / dy) if dy > 1e-12 else ((1 - y) / dy if dy < -1e-12 else math.inf)
        assert depth == pytest.approx(min(to_x, to_y), rel=1e-9)


def test_hit_material_and_texture_column_are_those_at_the_hit_point():
    textures = np.zeros((3, 16, 16, 3), np.uint8)
    textures[1] = make_texture(RED)
    textures[2, :, :8] = (0, 255, 0)  # left half green, right half blue
    textures[2, :, 8:] = (0, 0, 255)
    grid = room(rows=7, cols=7, inner=[(1, 3, 2)], textures=textures)
    camera = Camera(width=96, height=72)
    # Looking north at the blue/green wall cell (row 1, col 3) from below: its face spans x in [3, 4].
    for x, expected in ((3.25, (0, 255, 0)), (3.75, (0, 0, 255))):
        pose = Pose(x=x, y=4.5, yaw=-math.pi / 2)
        hit = centre_ray(grid, pose)
        assert int(hit.material[0]) == 2 and hit.along[0] == pytest.approx(x)
        image = render_view(grid, pose, camera)
        centre = image[camera.height // 2, camera.width // 2].astype(int)
        assert np.argmax(centre) == np.argmax(expected)


def test_sprite_behind_a_wall_is_hidden_and_visible_in_the_open():
    textures = texture_bank([(RED, "plain"), (BLUE, "plain")])
    grid = room(rows=7, cols=9, inner=[(3, 4, 2)], textures=textures)
    pose = Pose(x=1.5, y=3.5, yaw=0.0)
    entities = Entities()
    entities.add(6.5, 3.5, shape_index("ball"), (0, 255, 0), size=0.8)
    hidden = render_view(grid, pose, view=View(entities=entities))
    assert not np.any((hidden[:, :, 1] > 150) & (hidden[:, :, 0] < 100))
    grid.walls[3, 4] = 0
    shown = render_view(grid, pose, view=View(entities=entities))
    assert np.any((shown[:, :, 1] > 150) & (shown[:, :, 0] < 100))


def test_screen_hud_and_image_format():
    grid = room(rows=7, cols=7, inner=[(1, c, 2) for c in range(2, 5)])
    screen_image = np.zeros((8, 8, 3), np.uint8)
    screen_image[:, :] = (255, 255, 0)
    view = View(screens=(Screen(material=2, image=screen_image, start=2.0, end=5.0),), hud=[(0, 255, 255)])
    image = render_view(grid, Pose(x=3.5, y=4.5, yaw=-math.pi / 2), Camera(width=64, height=48), view)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert tuple(image[24, 32]) == (255, 255, 0)
    assert tuple(image[4, 4]) == (0, 255, 255)
    other = render_view(grid, Pose(x=3.5, y=4.5, yaw=-math.pi / 2), Camera(width=64, height=48), view)
    assert other is not image and np.array_equal(other, image)


def test_bad_camera_and_grid_inputs_raise():
    with pytest.raises(ValueError, match="width"):
        Camera(width=3)
    with pytest.raises(ValueError, match="fov_deg"):
        Camera(fov_deg=200)
    with pytest.raises(ValueError, match="texture"):
        Grid(walls=np.full((3, 3), 5), floor=np.zeros((3, 3, 3)), textures=texture_bank([(RED, "plain")]))
    with pytest.raises(ValueError, match="pattern"):
        make_texture(RED, "zigzag")
    with pytest.raises(ValueError, match="unknown shape"):
        shape_index("unicorn")


def test_sprites_are_distinct_silhouettes():
    assert len(SHAPES) >= 40
    masks = ATLAS.alpha.reshape(len(SHAPES), -1)
    assert masks.any(axis=1).all()
    assert len({m.tobytes() for m in masks}) == len(SHAPES)


def test_top_down_map_shows_agent_and_entities():
    grid = room()
    entities = Entities()
    entities.add(6.5, 2.5, shape_index("apple"), (0, 200, 0))
    image = top_down(grid, Pose(x=2.5, y=5.5, yaw=0.3), entities, scale=10)
    assert image.shape == (80, 100, 3) and image.dtype == np.uint8
    assert tuple(image[53, 25]) == (255, 255, 255)
    assert np.any(image[20:30, 60:70, 1] == 200)


def test_language_round_trip_and_errors():
    ids = language.encode("pick the red hat")
    assert ids.shape == (language.MAX_TOKENS,) and ids.dtype == np.int64 and ids[4:].sum() == 0
    assert language.decode(ids) == "pick the red hat"
    assert language.decode(language.encode("is anything red?")) == "is anything red?"
    assert not language.encode("").any()
    with pytest.raises(ValueError, match="unicorn"):
        language.encode("pick the unicorn")
    with pytest.raises(ValueError, match="more than"):
        language.encode(" ".join(["red"] * 17))
    assert set(SHAPES[:48]) <= set(language.VOCABULARY)


def test_two_pass_casting_on_big_maps_equals_one_pass(monkeypatch):
    from zipfian_envs.engine import raycast

    rng = np.random.default_rng(3)
    grid = random_maze(rng, size=41)
    grid.walls[(rng.random(grid.walls.shape) < 0.6) & (grid.walls == 1)] = 0  # long views
    grid.walls[0, :] = grid.walls[-1, :] = grid.walls[:, 0] = grid.walls[:, -1] = 1
    angles = np.linspace(-math.pi, math.pi, 181)
    cases = [(rng.uniform(1, 40), rng.uniform(1, 40)) for _ in range(30)]
    fast = [cast_rays(grid.walls, x, y, np.cos(angles), np.sin(angles)) for x, y in cases]
    monkeypatch.setattr(raycast, "_FIRST_PASS_CROSSINGS", 10**6)
    for (x, y), hits in zip(cases, fast):
        full = cast_rays(grid.walls, x, y, np.cos(angles), np.sin(angles))
        for name in ("depth", "material", "along", "x_side", "cell_row", "cell_col"):
            np.testing.assert_array_equal(getattr(hits, name), getattr(full, name))

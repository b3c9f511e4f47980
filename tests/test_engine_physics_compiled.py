"""The compiled movement and touch kernels give exactly the pure-Python physics: same poses, types, touches."""

import importlib.util

import gymnasium as gym
import numpy as np
import pytest

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.engine import backend
from zipfian_envs.engine.physics import move_agent, touched, translate
from zipfian_envs.engine.world import Entities, Grid, Pose
from zipfian_envs.registration import family_ids

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None,
    reason="the compiled kernels need numba (pip install 'zipfian-envs[fast]'); the Python physics is the reference",
)
FIRST_PERSON_IDS = family_ids("Labyrinth", "Playroom")
SHORT = {"Labyrinth": 0.02, "Playroom": 0.03}


def _typed(value) -> tuple[str, str]:
    """A value with its type, compared exactly (repr of a float is its shortest round-trip form)."""
    return type(value).__name__, repr(value)


def _pose(pose: Pose) -> tuple:
    return tuple(_typed(getattr(pose, name)) for name in ("x", "y", "yaw", "pitch", "z"))


def _random_grid(rng: np.random.Generator) -> Grid:
    rows, cols = rng.integers(4, 12, 2)
    walls = (rng.random((rows, cols)) < 0.3).astype(np.int16)
    walls[0, :] = walls[-1, :] = walls[:, 0] = walls[:, -1] = 1
    return Grid(walls=walls, floor=np.zeros((rows, cols, 3), np.uint8), textures=np.zeros((2, 16, 16, 3), np.uint8))


def test_translate_equals_python_loop_for_every_coordinate_type():
    rng = np.random.default_rng(0)
    moved = 0
    for _ in range(400):
        grid = _random_grid(rng)
        rows, cols = grid.shape
        x_type, y_type, d_type = (rng.choice([float, np.float64, np.float32]) for _ in range(3))
        pose = Pose(x=x_type(rng.uniform(0.5, cols - 0.5)), y=y_type(rng.uniform(0.5, rows - 0.5)), z=0.0)
        step = rng.choice([0.0, 0.05, 0.21, 1.5, 7.0])
        dx, dy = d_type(step * rng.uniform(-1, 1)), d_type(step * rng.uniform(-1, 1) * (rng.random() < 0.8))
        radius = float(rng.choice([0.16, 0.1, 0.3]))
        with backend.using_render_backend("numpy"):
            expected = translate(grid, pose, dx, dy, radius)
        with backend.using_render_backend("numba"):
            got = translate(grid, pose, dx, dy, radius)
        assert _pose(got) == _pose(expected), (pose, dx, dy, radius)
        moved += (expected.x, expected.y) != (pose.x, pose.y)
    assert moved > 100  # the cases move (and slide) often, not only bump


def test_touched_equals_numpy_distances():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(400):
        n = int(rng.integers(0, 12))
        dtype = rng.choice([np.float64, np.float32])
        entities = Entities(
            x=rng.uniform(0, 4, n).astype(dtype), y=rng.uniform(0, 4, n).astype(dtype),
            z=np.zeros(n), size=rng.uniform(0.1, 1.0, n), shape=np.zeros(n, np.int32),
            colour=np.zeros((n, 3), np.uint8), kind=np.zeros(n, np.int32), value=np.zeros(n),
            active=rng.random(n) < 0.8, touchable=rng.random(n) < 0.8,
        )  # fmt: skip
        x, y = rng.uniform(0, 4, 2)
        reach = float(rng.choice([0.36, 0.5, 1.0]))
        with backend.using_render_backend("numpy"):
            expected = touched(entities, x, y, reach)
        with backend.using_render_backend("numba"):
            got = touched(entities, x, y, reach)
        assert got.dtype == expected.dtype == np.int64
        np.testing.assert_array_equal(got, expected)
        hits += expected.size > 0
    assert hits > 50


def test_move_agent_equals_python_loop_along_walls():
    """Long runs of moves into walls and corners: sliding, blocked axes and exact positions."""
    rng = np.random.default_rng(2)
    grid = _random_grid(rng)
    poses = {}
    for name in ("numpy", "numba"):
        pose, trace = Pose(x=1.5, y=1.5), []
        rng = np.random.default_rng(3)
        with backend.using_render_backend(name):
            for _ in range(300):
                forward, strafe, turn = (np.float64(v) for v in rng.integers(-1, 2, 3))
                pose = move_agent(grid, pose, forward=forward, strafe=strafe, turn=turn)
                trace.append(_pose(pose))
        poses[name] = trace
    assert poses["numba"] == poses["numpy"]


@pytest.mark.parametrize("env_id", FIRST_PERSON_IDS)
def test_every_first_person_id_moves_and_scores_alike(env_id):
    """Poses (with types), rewards and infos of seeded episodes, compiled physics against Python."""
    traces = {}
    for name in ("numpy", "numba"):
        env = gym.make(env_id, time_limit_scale=SHORT[gym.registry[env_id].name.split("-")[0]]).unwrapped
        rng = np.random.default_rng(7)
        with backend.using_render_backend(name):
            _, info = env.reset(seed=3)
            trace = [repr(info)]
            for _ in range(60):
                action = int(rng.integers(env.action_space.n)) if env.action_space.shape == () else None
                if action is None:
                    action = rng.uniform(-1, 1, env.action_space.shape)
                _, reward, terminated, truncated, info = env.step(action)
                state = getattr(env, "_scene", None) or getattr(env, "_state", None)
                trace.append((_pose(state.pose), _typed(reward), terminated, truncated, repr(info)))
                if terminated or truncated:
                    trace.append(repr(env.reset()[1]))
        env.close()
        traces[name] = trace
    assert traces["numba"] == traces["numpy"]

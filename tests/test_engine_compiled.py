"""The numba-compiled renderer draws exactly the numpy renderer's frames, single and batched, on every id and level."""

import dataclasses
import importlib.util
import json
import multiprocessing
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.engine import backend
from zipfian_envs.engine.backend import render_batch, render_packed
from zipfian_envs.engine.raycast import Camera, View
from zipfian_envs.engine.world import Grid, Pose
from zipfian_envs.labyrinth.levels import LEVEL_ORDER
from zipfian_envs.registration import family_ids
from zipfian_envs.tools import vector_benchmark

needs_numba = pytest.mark.skipif(
    importlib.util.find_spec("numba") is None,
    reason="the compiled renderer needs numba (pip install 'zipfian-envs[fast]'); the numpy renderer is the reference",
)
FIRST_PERSON_IDS = family_ids("Labyrinth", "Playroom")
# Short episodes, so that the seeded runs below cross resets and (Labyrinth) draw several levels.
SHORT = {"Labyrinth": 0.02, "Playroom": 0.03}


def _kwargs(env_id: str) -> dict:
    return {"time_limit_scale": SHORT[gym.registry[env_id].name.split("-")[0]]}


def _single_images(env_id: str, steps: int, **kwargs) -> list[np.ndarray]:
    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(7)
    images = [env.reset(seed=3)[0]["image"]]
    for _ in range(steps):
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        images.append(obs["image"])
        if terminated or truncated:
            images.append(env.reset()[0]["image"])
    env.close()
    return images


def _vector_images(env_id: str, num_envs: int, steps: int, **kwargs) -> list[np.ndarray]:
    envs = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
    rng = np.random.default_rng(11)
    images = [envs.reset(seed=5)[0]["image"]]
    for _ in range(steps):
        images.append(envs.step(rng.integers(0, envs.single_action_space.n, num_envs))[0]["image"])
    envs.close()
    return images


def assert_same_images(compiled: list[np.ndarray], reference: list[np.ndarray]) -> None:
    assert len(compiled) == len(reference)
    for t, (image, expected) in enumerate(zip(compiled, reference)):
        assert image.dtype == expected.dtype == np.uint8
        np.testing.assert_array_equal(image, expected, err_msg=f"observation {t}")


def test_first_person_ids_are_found():
    assert len(FIRST_PERSON_IDS) >= 20
    assert "Zipfian/Labyrinth-v0" in FIRST_PERSON_IDS and "Zipfian/Playroom-v0" in FIRST_PERSON_IDS


@needs_numba
@pytest.mark.parametrize("env_id", FIRST_PERSON_IDS)
def test_single_env_observations_equal_numpy(env_id):
    with backend.using_render_backend("numba"):
        compiled = _single_images(env_id, 40, **_kwargs(env_id))
    with backend.using_render_backend("numpy"):
        reference = _single_images(env_id, 40, **_kwargs(env_id))
    assert_same_images(compiled, reference)


@needs_numba
@pytest.mark.parametrize("env_id", FIRST_PERSON_IDS)
def test_vector_env_observations_equal_numpy(env_id):
    with backend.using_render_backend("numba"):
        compiled = _vector_images(env_id, 3, 25, **_kwargs(env_id))
    with backend.using_render_backend("numpy"):
        reference = _vector_images(env_id, 3, 25, **_kwargs(env_id))
    assert_same_images(compiled, reference)


@needs_numba
@pytest.mark.parametrize("level", LEVEL_ORDER)
def test_every_labyrinth_level_equals_numpy(level):
    with backend.using_render_backend("numba"):
        compiled = _single_images("Zipfian/Labyrinth-v0", 30, level=level, time_limit_scale=0.05)
    with backend.using_render_backend("numpy"):
        reference = _single_images("Zipfian/Labyrinth-v0", 30, level=level, time_limit_scale=0.05)
    assert_same_images(compiled, reference)


@needs_numba
def test_batch_of_every_level_equals_numpy_single_and_batched():
    """One frame per Labyrinth level and Playroom family in one batch: compiled and numpy, batched and single."""
    envs = [gym.make("Zipfian/Labyrinth-v0", level=name).unwrapped for name in LEVEL_ORDER]
    envs += [gym.make(f"Zipfian/Playroom-{level}-v0").unwrapped for level in
             ("lift.lift_shape_zipf2", "put.put_on_bed_tray_all", "supervised.find_shape_zipf2")]  # fmt: skip
    for seed, env in enumerate(envs):
        env.reset(seed=seed)
    camera = envs[0].camera
    rng = np.random.default_rng(0)
    for _ in range(12):
        for env in envs:
            _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            if terminated or truncated:
                env.reset()
        frames = [env.view_frame() for env in envs]
        with backend.using_render_backend("numpy"):
            reference = render_batch(frames, camera, chunk=7)
        with backend.using_render_backend("numba"):
            batched = render_batch(frames, camera, chunk=16)
            single = [render_packed(grid, pose, camera, view) for grid, pose, view in frames]
        np.testing.assert_array_equal(batched, reference)
        np.testing.assert_array_equal(np.stack(single), reference)


@needs_numba
def test_floor_heights_equal_numpy_for_every_type_of_eye_height():
    """The skymaze floor's `pose.z - heights` is float32 for a Python float z and float64 for a numpy one."""
    env = gym.make("Zipfian/Labyrinth-v0", level="skymaze_irreversible_path_varied").unwrapped
    env.reset(seed=4)
    rng = np.random.default_rng(0)
    for t in range(20):
        env.step(int(rng.integers(env.action_space.n)))
        grid, pose, view = env.view_frame()
        for cast in (float, np.float64, np.float32):
            frame = (grid, dataclasses.replace(pose, z=cast(pose.z + 0.07 * (t % 5))), view)
            with backend.using_render_backend("numpy"):
                expected = render_packed(*frame[:2], env.camera, view), render_batch([frame], env.camera)[0]
            with backend.using_render_backend("numba"):
                got = render_packed(*frame[:2], env.camera, view), render_batch([frame], env.camera)[0]
            np.testing.assert_array_equal(got[0], expected[0], err_msg=f"step {t}, z {cast.__name__}")
            np.testing.assert_array_equal(got[1], expected[1], err_msg=f"step {t}, z {cast.__name__} (batch)")


def test_bad_backend_names_raise_value_error(monkeypatch):
    before = backend.render_backend()
    with pytest.raises(ValueError, match=r"'gpu'.*valid: auto, numba, numpy"):
        backend.set_render_backend("gpu")
    monkeypatch.setenv(backend.ENV_VAR, "fastest")
    with pytest.raises(ValueError, match=r"'fastest' \(from \$ZIPFIAN_ENVS_RENDER\).*valid: auto, numba, numpy"):
        backend.set_render_backend(None)
    assert backend.render_backend() == before  # a refused choice changes nothing
    monkeypatch.setenv(backend.ENV_VAR, "NumPy")
    assert backend.set_render_backend(None) == "numpy"
    backend.set_render_backend(before)


def _child_frame(queue) -> None:
    env = gym.make("Zipfian/Labyrinth-v0", level="rooms_watermaze")
    queue.put((backend.render_backend(), env.reset(seed=2)[0]["image"]))


@needs_numba
@pytest.mark.parametrize("choice", ["auto", "numpy"])
def test_spawned_workers_follow_the_variable(choice, monkeypatch):
    monkeypatch.setenv(backend.ENV_VAR, choice)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_child_frame, args=(queue,))
    worker.start()
    used, image = queue.get(timeout=120)
    worker.join(timeout=60)
    assert used == ("numba" if choice == "auto" else "numpy")
    with backend.using_render_backend("numpy"):
        expected = gym.make("Zipfian/Labyrinth-v0", level="rooms_watermaze").reset(seed=2)[0]["image"]
    np.testing.assert_array_equal(image, expected)


def test_vector_benchmark_compares_backends(tmp_path, capsys):
    renders = ["numba", "numpy"] if importlib.util.find_spec("numba") else ["numpy"]
    argv = ["--env", "Zipfian/Playroom-v0", "--num-envs", "2", "--steps", "3", "--repeats", "1", "--rounds", "1"]
    assert vector_benchmark.main([*argv, "--render", *renders, "--json", str(tmp_path / "bench.json")]) == 0
    assert "x numpy" in capsys.readouterr().out
    (figures,) = json.loads((tmp_path / "bench.json").read_text())
    assert sorted(figures["best"]) == sorted(renders)
    assert all(rates["observe_us"] > 0 and rates["rest_us"] >= 0 for rates in figures["best"].values())


def test_without_numba_auto_renders_with_numpy_and_numba_is_refused():
    """A process where numba cannot be imported: ``auto`` falls back to numpy, ``numba`` says what to install."""
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import gymnasium as gym, zipfian_envs\n"
        "from zipfian_envs.engine import backend\n"
        "image = gym.make('Zipfian/Playroom-v0').reset(seed=0)[0]['image']\n"
        "print(backend.render_backend(), image.shape)\n"
        "try:\n    backend.set_render_backend('numba')\nexcept ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout.splitlines()
    assert lines[0] == "numpy (72, 96, 3)"
    assert "pip install 'zipfian-envs[fast]'" in lines[1]


@needs_numba
@pytest.mark.parametrize("level", [name for name in LEVEL_ORDER if name.startswith("psychlab")])
def test_wall_screens_equal_numpy(level):
    """Screens (the psychlab monitors) seen from every heading and pitch, near and far: compiled against numpy."""
    env = gym.make("Zipfian/Labyrinth-v0", level=level).unwrapped
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    shown = 0
    for t in range(48):
        grid, pose, view = env.view_frame()
        pose = dataclasses.replace(pose, yaw=t * 2 * np.pi / 48 + rng.uniform(0, 0.1), pitch=rng.uniform(-0.6, 0.6))
        frame = (grid, pose, view)
        with backend.using_render_backend("numpy"):
            expected = render_packed(grid, pose, env.camera, view), render_batch([frame], env.camera)[0]
        with backend.using_render_backend("numba"):
            got = render_packed(grid, pose, env.camera, view), render_batch([frame], env.camera)[0]
        np.testing.assert_array_equal(got[0], expected[0], err_msg=f"heading {t}")
        np.testing.assert_array_equal(got[1], expected[1], err_msg=f"heading {t} (batch)")
        without = render_packed(grid, pose, env.camera, dataclasses.replace(view, screens=()))
        shown += bool((without != expected[0]).any())
        env.step(int(rng.integers(4)))  # move about: screens near and far
    assert shown >= 4  # the screens were in view, not only behind the agent


@needs_numba
def test_random_grids_equal_numpy_single_and_batched():
    """Rays from random and grid-aligned poses in random grids, bordered or open: compiled against numpy."""
    rng = np.random.default_rng(5)
    camera = Camera(width=25, height=16)  # odd: the centre column's ray is the view direction itself
    textures = rng.integers(0, 256, (4, 16, 16, 3), dtype=np.uint8)
    frames = []
    for k in range(80):
        rows, cols = (int(v) for v in rng.integers(3, 14, 2))
        walls = np.where(rng.random((rows, cols)) < 0.25, rng.integers(1, 4, (rows, cols)), 0).astype(np.int16)
        if k % 3:  # most levels have a border; the rest let rays leave the grid
            walls[0, :], walls[-1, :], walls[:, 0], walls[:, -1] = 1, 2, 3, 1
        floor = rng.integers(0, 256, (rows, cols, 3), dtype=np.uint8)
        grid = Grid(walls=walls, floor=floor, textures=textures)
        x, y = rng.uniform(0, cols), rng.uniform(0, rows)
        if k % 2 == 0:  # on grid lines or cell centres, facing along the axes or diagonals: ties between crossings
            x, y = int(x) + 0.5 * (k % 4 == 0), int(y) + 0.5 * (k % 4 == 0)
        yaw = rng.integers(8) * np.pi / 4 if k % 2 == 0 else rng.uniform(0, 2 * np.pi)
        frames.append((grid, Pose(x=x, y=y, yaw=float(yaw), pitch=rng.uniform(-0.5, 0.5)), View()))
    with backend.using_render_backend("numpy"):
        reference = render_batch(frames, camera)
        single_reference = [render_packed(grid, pose, camera, view) for grid, pose, view in frames]
    with backend.using_render_backend("numba"):
        batched = render_batch(frames, camera)
        single = [render_packed(grid, pose, camera, view) for grid, pose, view in frames]
    np.testing.assert_array_equal(batched, reference)
    np.testing.assert_array_equal(np.stack(single), np.stack(single_reference))


def test_using_render_backend_restores_the_previous_choice_even_after_an_error() -> None:
    before = backend.render_backend()
    with pytest.raises(RuntimeError), backend.using_render_backend("numpy") as chosen:
        assert chosen == "numpy" == backend.render_backend()
        raise RuntimeError
    assert backend.render_backend() == before


def test_family_ids_lists_registered_ids_and_refuses_unknown_families() -> None:
    assert "Zipfian/Playroom-v0" in FIRST_PERSON_IDS and "Zipfian/Gridworld-v0" not in FIRST_PERSON_IDS
    with pytest.raises(ValueError, match=r"unknown env families \['Maze'\]; valid: .*Gridworld"):
        family_ids("Labyrinth", "Maze")

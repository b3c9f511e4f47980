"""Native vector envs, over every registered Zipfian id with a vector entry point: a new family is
tested without new test code. Each must equal ``SyncVectorEnv`` over single envs bit for bit."""

import importlib.util
import inspect
import json
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv

from zipfian_envs.registration import FAMILIES, NAMESPACE, WITHOUT_VECTOR_ENV, env_ids
from zipfian_envs.vector import to_sb3

VECTOR_IDS = sorted(
    env_id
    for env_id, spec in gym.registry.items()
    if spec.namespace == NAMESPACE and spec.vector_entry_point is not None
)
# The full equivalence matrix runs on each family's plain id; pinned-level ids get one case each.
PLAIN_IDS = [i for i in VECTOR_IDS if i.count("-") == 1]
MODES = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)


def _obs_modes(env_id: str) -> tuple:
    """The env's observation modes (``obs_modes`` class attribute), or just its default."""
    return tuple(getattr(gym.make(env_id).unwrapped, "obs_modes", (None,)))


def _kwargs(obs_mode) -> dict:
    return {} if obs_mode is None else {"obs_mode": obs_mode}


def _short_episodes(env_id: str) -> dict:
    """``time_limit_scale`` for families with long episodes, so a short run covers truncations too."""
    env_class = type(gym.make(env_id).unwrapped)
    accepts = "time_limit_scale" in inspect.signature(env_class.__init__).parameters
    return {"time_limit_scale": 0.25} if accepts else {}


def _row(obs, i: int):
    """Sub-env ``i``'s observation from a batched one (an array or a dict of arrays)."""
    return {key: value[i] for key, value in obs.items()} if isinstance(obs, dict) else obs[i]


def _leaves(obs) -> list[np.ndarray]:
    """The arrays of an observation (itself, or the values of a dict)."""
    return list(obs.values()) if isinstance(obs, dict) else [obs]


def _pair(env_id: str, num_envs: int, mode: AutoresetMode, **kwargs):
    native = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", autoreset_mode=mode,
                          **kwargs)  # fmt: skip
    reference = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync",
                             vector_kwargs={"autoreset_mode": mode}, **kwargs)  # fmt: skip
    return native, reference


def assert_same(a, b, where="") -> None:
    """Exact equality of nested step outputs: dict keys, array dtypes, shapes and every entry."""
    if isinstance(a, dict) or isinstance(b, dict):
        assert isinstance(a, dict) and isinstance(b, dict), where
        assert set(a) == set(b), f"{where}: keys differ: {sorted(set(a) ^ set(b))}"
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, tuple) or isinstance(b, tuple):
        assert isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert (a.dtype, a.shape) == (b.dtype, b.shape), f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        if a.dtype == object:
            for i, (x, y) in enumerate(zip(a, b)):
                assert_same(x, y, f"{where}[{i}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def test_families_without_a_vector_env_are_exactly_the_documented_set():
    lacking = {family.name for family in FAMILIES if family.vector_entry_point is None}
    assert lacking == set(WITHOUT_VECTOR_ENV)
    for family in FAMILIES:
        for env_id in env_ids():
            if env_id.split("/")[1].split("-")[0] == family.name:
                assert gym.spec(env_id).vector_entry_point == family.vector_entry_point, env_id
    assert PLAIN_IDS, "at least one family has a native vector env"


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("num_envs", [1, 7, 64])
@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_equals_sync_vector_env_of_single_envs(env_id, num_envs, mode):
    steps = {1: 400, 7: 250, 64: 300}[num_envs]
    for obs_mode in _obs_modes(env_id):
        native, reference = _pair(env_id, num_envs, mode, **_kwargs(obs_mode), **_short_episodes(env_id))
        assert native.metadata["autoreset_mode"] == mode
        assert (native.single_observation_space, native.single_action_space) == (
            reference.single_observation_space,
            reference.single_action_space,
        )
        assert (native.observation_space, native.action_space) == (reference.observation_space, reference.action_space)
        assert_same(native.reset(seed=11), reference.reset(seed=11), "reset")
        rng = np.random.default_rng(num_envs)
        ended = {"terminated": 0, "truncated": 0}
        for t in range(steps):
            actions = rng.integers(0, native.single_action_space.n, num_envs)
            out = native.step(actions)
            assert_same(out, reference.step(actions), f"{obs_mode} step {t}")
            ended["terminated"] += int(out[2].sum())
            ended["truncated"] += int(out[3].sum())
            if t in (60, 170):  # partial resets with per-env seeds and a pinned item rank
                mask = rng.random(num_envs) < 0.5
                mask[rng.integers(num_envs)] = True
                seeds = [int(s) if s % 3 else None for s in rng.integers(0, 10_000, num_envs)]
                options = {"item_rank": 2} if t == 60 else None
                assert_same(
                    native.reset(seed=seeds, options={"reset_mask": mask, **(options or {})}),
                    reference.reset(seed=seeds, options={"reset_mask": mask.copy(), **(options or {})}),
                    f"partial reset at {t}",
                )
        # Random play rarely ends a Labyrinth level early, so terminations are only required where
        # episodes are short (the Gridworld, the Playroom's wrong grips); truncations at 64 envs always.
        assert ended["terminated"] + ended["truncated"] > 0
        if num_envs == 64:
            assert ended["truncated"] > 0, "the run must cover truncations too"
            assert ended["terminated"] > 0 or not env_id.startswith((f"{NAMESPACE}/Gridworld", f"{NAMESPACE}/Playroom"))
        native.close()
        reference.close()


@pytest.mark.parametrize("env_id", [i for i in VECTOR_IDS if i not in PLAIN_IDS])
def test_pinned_level_ids_equal_sync_vector_env(env_id):
    native, reference = _pair(env_id, 5, AutoresetMode.NEXT_STEP)
    assert_same(native.reset(seed=[4, 5, 9, 7, 8]), reference.reset(seed=[4, 5, 9, 7, 8]))
    rng = np.random.default_rng(0)
    for t in range(120):
        actions = rng.integers(0, native.single_action_space.n, 5)
        assert_same(native.step(actions), reference.step(actions), f"step {t}")


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_per_env_pinned_ranks_equal_single_env_resets(env_id):
    env = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point")
    num_items = env.reset(seed=0)[1]["num_items"][0]
    pins = {"item_rank": [1, None, num_items, 3]}
    if "map_rank" in env.reset(seed=0)[1]:
        pins["map_rank"] = [None, 2, 1, None]
    obs, info = env.reset(seed=[10, 11, 12, 13], options=pins)
    for i in range(4):
        single = gym.make(env_id)
        one_options = {key: values[i] for key, values in pins.items() if values[i] is not None}
        single_obs, single_info = single.reset(seed=10 + i, options=one_options)
        for batched, alone in zip(_leaves(_row(obs, i)), _leaves(single_obs)):
            np.testing.assert_array_equal(batched, alone)
        for key, value in single_info.items():
            assert info[key][i] == value and info["_" + key][i], key
    assert info["item_rank"].tolist()[0] == 1 and info["item_rank"][2] == num_items


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_observations_are_fresh_arrays(env_id):
    env = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    twin = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
    obs, _ = env.reset(seed=1)
    twin.reset(seed=1)
    history = _leaves(obs)
    for t in range(30):
        actions = np.full(3, t % env.single_action_space.n)
        obs = env.step(actions)[0]
        assert not any(np.shares_memory(new, old) for new in _leaves(obs) for old in history)
        for leaf in _leaves(obs):
            leaf[...] = 0  # scribbling on a returned frame must not leak into the env
        history += _leaves(obs)
        twin_obs = twin.step(actions)[0]
        assert _leaves(twin_obs)[0].any()
    for mine, theirs in zip(_leaves(env.step(np.zeros(3, int))[0]), _leaves(twin.step(np.zeros(3, int))[0])):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_bad_input_raises_one_clear_error_and_steps_nothing(env_id):
    def make(**kwargs):
        return gym.make_vec(env_id, vectorization_mode="vector_entry_point", **kwargs)

    for bad in (0, -1, 1.5, True, "4"):
        with pytest.raises(ValueError, match="num_envs must be an integer >= 1"):
            make(num_envs=bad)
    with pytest.raises(ValueError, match="autoreset_mode"):
        make(num_envs=2, autoreset_mode="sometimes")
    env, twin = make(num_envs=3), make(num_envs=3)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(3, dtype=int))
    env.reset(seed=0)
    twin.reset(seed=0)
    n = env.single_action_space.n
    cases = [
        (lambda: env.reset(seed=[1, 2]), ValueError, "2 entries but there are num_envs=3"),
        (lambda: env.reset(seed=[1, 2, -3]), ValueError, "-3"),
        (lambda: env.reset(seed="abc"), TypeError, "seed must be"),
        (lambda: env.reset(options={"reset_mask": np.array([1, 0, 1])}), ValueError, "bool array of shape"),
        (lambda: env.reset(options={"reset_mask": np.zeros(3, bool)}), ValueError, "at least one"),
        (lambda: env.reset(options={"colour": 1}), ValueError, "valid: item_rank"),
        (lambda: env.reset(options={"item_rank": 0}), ValueError, "item_rank"),
        (lambda: env.reset(options={"item_rank": [1, 2]}), ValueError, "2 entries"),
        (lambda: env.step(np.zeros(4, dtype=int)), ValueError, r"shape \(3,\)"),
        (lambda: env.step(np.zeros((3, 1), dtype=int)), ValueError, r"shape \(3,\)"),
        (lambda: env.step(0), ValueError, r"shape \(3,\)"),
        (lambda: env.step(np.array([0, n, 1])), ValueError, f"sub-env 1 got {n}"),
        (lambda: env.step(np.array([0, 1, -1])), ValueError, "sub-env 2 got -1"),
        (lambda: env.step(np.array([0.0, 1.0, 2.0])), TypeError, "integers"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    rng = np.random.default_rng(0)
    for _ in range(50):  # nothing above changed the env: it still matches its twin
        actions = rng.integers(0, n, 3)
        assert_same(env.step(actions), twin.step(actions))


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_disabled_autoreset_waits_for_a_masked_reset(env_id):
    env = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point", autoreset_mode="Disabled")
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    while True:
        _, _, terminated, truncated, info = env.step(rng.integers(0, env.single_action_space.n, 4))
        done = terminated | truncated
        if done.any():
            break
    # success is on every step; True only for a sub-env whose episode just ended at its goal.
    assert info["_success"].all() and not info["success"][~done].any()
    with pytest.raises(RuntimeError, match="DISABLED"):
        env.step(np.zeros(4, dtype=int))
    _, reset_info = env.reset(seed=[50, 51, 52, 53], options={"reset_mask": done})
    assert reset_info["_item"].tolist() == done.tolist()
    env.step(np.zeros(4, dtype=int))


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_oracle_call_pickle_and_render(env_id):
    env = gym.make_vec(env_id, num_envs=6, vectorization_mode="vector_entry_point", autoreset_mode="SameStep",
                       render_mode="rgb_array")  # fmt: skip
    env.reset(seed=5)
    successes, total = [], 0.0
    for _ in range(150):
        _, rewards, terminated, truncated, info = env.step(np.asarray(env.call("oracle_action")))
        total += float(rewards.sum())
        done = terminated | truncated
        successes += info["final_info"]["success"][done].tolist() if done.any() else []
    if env_id.startswith(f"{NAMESPACE}/Gridworld"):  # short episodes: every sub-env ends one within 150 steps
        assert len(successes) >= 6 and all(successes)
    else:  # first-person episodes last minutes: within 150 steps the oracles earn reward
        assert total > 0
    levels = env.get_attr("distribution")  # shared attributes come once per sub-env
    assert len(levels) == 6 and len(set(levels)) == 1
    clone = pickle.loads(pickle.dumps(env))
    for _ in range(40):
        actions = np.asarray(env.call("oracle_action"))
        assert_same(env.step(actions), clone.step(actions))
    frames = env.render()
    single = gym.make(env_id, render_mode="rgb_array")
    single.reset(seed=5)
    alone = single.render()  # an RGB frame of the same kind (its size may depend on the episode's map)
    assert len(frames) == 6 and all(frame.ndim == 3 and frame.dtype == alone.dtype for frame in frames)
    assert frames[0].shape[2] == alone.shape[2]
    with pytest.raises(AttributeError, match="oracle_action"):
        env.call("no_such_method")


def test_sb3_adapter_matches_dummy_vec_env():
    """Same seeds, same actions: the adapter's observations, rewards, dones and terminal frames equal DummyVecEnv's."""
    env_id = PLAIN_IDS[0]
    kwargs = {"obs_mode": _obs_modes(env_id)[-1]} if _obs_modes(env_id) != (None,) else {}
    native = gym.make_vec(env_id, num_envs=5, vectorization_mode="vector_entry_point",
                          autoreset_mode=AutoresetMode.SAME_STEP, **kwargs)  # fmt: skip
    adapter, dummy = to_sb3(native), make_vec_env(env_id, n_envs=5, env_kwargs=kwargs, vec_env_cls=DummyVecEnv)
    adapter.seed(9)
    dummy.seed(9)
    np.testing.assert_array_equal(adapter.reset(), dummy.reset())
    assert adapter.reset_infos[0]["item"] == dummy.reset_infos[0]["item"]
    rng = np.random.default_rng(1)
    episodes = 0
    for _ in range(200):
        actions = rng.integers(0, 8, 5)
        a, b = adapter.step(actions), dummy.step(actions)
        for x, y in zip(a[:3], b[:3]):
            np.testing.assert_array_equal(x, y)
        assert a[1].dtype == b[1].dtype
        for i in np.flatnonzero(a[2]):
            episodes += 1
            np.testing.assert_array_equal(a[3][i]["terminal_observation"], b[3][i]["terminal_observation"])
            for key in ("TimeLimit.truncated", "item", "item_rank", "success"):
                assert a[3][i][key] == b[3][i][key], key
            assert a[3][i]["episode"]["r"] == b[3][i]["episode"]["r"]
            assert a[3][i]["episode"]["l"] == b[3][i]["episode"]["l"]
            assert adapter.reset_infos[i]["item"] == dummy.reset_infos[i]["item"]
    assert episodes > 5
    assert adapter.get_attr("distribution") == dummy.get_attr("distribution")
    assert adapter.env_method("oracle_action", indices=[0, 2]) == dummy.env_method("oracle_action", indices=[0, 2])
    with pytest.raises(ValueError, match="SAME_STEP"):
        to_sb3(gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point"))


def test_benchmark_runs_and_writes_its_table(tmp_path, capsys):
    from zipfian_envs.gridworld import benchmark

    path = tmp_path / "bench.json"
    benchmark.main(["--steps", "2048", "--repeats", "1", "--skip-processes", "--json", str(path), "--markdown"])
    result = json.loads(path.read_text())
    rows = {row["configuration"]: row for row in result["rows"]}
    for label in ("single env, pixels", "native vector env x1024, pixels", "numpy ceiling: gather of 256 frames"):
        assert rows[label]["steps_per_s"] > 0 and rows[label]["per_reference"] > 0
    assert rows["native vector env x256, pixels"]["per_ceiling"] > 0
    assert result["memory"]["peak_mb"] > result["memory"]["imports_mb"] > 0
    out = capsys.readouterr().out
    assert "| native vector env x256, symbolic |" in out
    if importlib.util.find_spec("minigrid") is None:
        assert "skipped (minigrid is not installed)" in out


@pytest.mark.parametrize("family", ["labyrinth", "playroom"])
def test_first_person_benchmarks_time_the_vector_env(family, tmp_path, capsys):
    module = importlib.import_module(f"zipfian_envs.{family}.benchmark")
    path = tmp_path / "vector.json"
    assert module.main(["--vector", "2", "--vector-steps", "3", "--json", str(path)]) == 0
    figures = json.loads(path.read_text())["vector"]
    assert figures["native_env_steps_per_s"] > 0 and figures["sync_env_steps_per_s"] > 0
    assert figures["per_target"] == pytest.approx(figures["native_env_steps_per_s"] / 20_000)
    assert "x the 20,000 target" in capsys.readouterr().out


@pytest.mark.parametrize("env_id", PLAIN_IDS)
def test_render_and_oracle_guards(env_id: str) -> None:
    """NativeVectorEnv's shared guards: render warns without a mode and needs a reset; the oracle needs episodes."""
    kwargs = _short_episodes(env_id)
    env = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", render_mode="rgb_array", **kwargs)
    with pytest.raises(RuntimeError, match="call reset"):
        env.render()
    with pytest.raises(RuntimeError, match="mid-episode"):
        env.unwrapped.oracle_action()
    env.reset(seed=0)
    assert len(env.render()) == 2
    assert np.asarray(env.unwrapped.oracle_action()).shape == (2,)
    silent = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", **kwargs)
    silent.reset(seed=0)
    with pytest.warns(UserWarning, match="without a render_mode"):
        assert silent.render() is None

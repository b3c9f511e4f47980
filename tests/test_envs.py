"""Contract tests run over every registered Zipfian id: a new env is tested without new test code."""

import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from zipfian_envs.core import skew

IDS = sorted(env_id for env_id, spec in gym.registry.items() if spec.namespace == "Zipfian")
CONTRACT_KEYS = {"item", "item_rank", "num_items", "frequency_bin"}


def test_registry_is_populated():
    assert "Zipfian/Gridworld-v0" in IDS
    assert len(IDS) >= 7


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(gym.make(env_id).unwrapped, skip_render_check=False)
        gym_check_env(gym.make(env_id, render_mode="rgb_array").unwrapped, skip_render_check=False)
        sb3_check_env(gym.make(env_id), warn=True)


def _rollout(env, seed, actions):
    obs, info = env.reset(seed=seed)
    trace = [(obs, info)]
    for action in actions:
        obs, reward, terminated, truncated, info = env.step(action)
        trace.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            trace.append(env.reset())
    return trace


def _assert_equal(x, y):
    """Exact equality of observations, rewards, flags and infos (dict observations key by key)."""
    if isinstance(x, dict) and any(isinstance(v, np.ndarray) for v in x.values()):
        assert isinstance(y, dict) and x.keys() == y.keys()
        for key in x:
            _assert_equal(x[key], y[key])
    elif isinstance(x, np.ndarray):
        np.testing.assert_array_equal(x, y)
    else:
        assert x == y


def _image(obs):
    """The image of an observation (the ``image`` entry of a dict observation)."""
    return obs["image"] if isinstance(obs, dict) else obs


def _assert_same(trace_a, trace_b):
    assert len(trace_a) == len(trace_b)
    for a, b in zip(trace_a, trace_b):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_equal(x, y)


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_episodes(env_id):
    actions = np.random.default_rng(0).integers(0, gym.make(env_id).action_space.n, 300)
    _assert_same(_rollout(gym.make(env_id), 123, actions), _rollout(gym.make(env_id), 123, actions))
    different = _rollout(gym.make(env_id), 124, actions)
    first = _rollout(gym.make(env_id), 123, actions)
    assert any(not np.array_equal(_image(a[0]), _image(b[0])) for a, b in zip(first, different))


@pytest.mark.parametrize("env_id", IDS)
def test_pickles_mid_episode(env_id):
    env = gym.make(env_id)
    env.reset(seed=7)
    env.step(0)
    clone = pickle.loads(pickle.dumps(env))
    actions = np.random.default_rng(1).integers(0, env.action_space.n, 200)
    trace_a, trace_b = [], []
    for target, trace in ((env, trace_a), (clone, trace_b)):
        for action in actions:
            step = target.step(action)
            trace.append(step)
            if step[2] or step[3]:
                trace.append(target.reset())
    _assert_same(trace_a, trace_b)


@pytest.mark.parametrize("env_id", IDS)
def test_random_rollout_keeps_contract(env_id):
    env = gym.make(env_id)
    env.action_space.seed(0)
    obs, info = env.reset(seed=0)
    info_keys = info.keys()
    obs_keys = obs.keys() if isinstance(obs, dict) else set()
    assert not info_keys & obs_keys, "an info key must not reuse an observation key's name"
    episodes, previous, steps = 0, None, 0
    # At least 1,000 steps and one finished episode (Labyrinth levels last up to 4,500 steps).
    while steps < 1000 or (episodes == 0 and steps < 6000):
        steps += 1
        assert env.observation_space.contains(obs)
        assert info.keys() >= CONTRACT_KEYS
        assert info.keys() == info_keys, "every step (and reset) reports the same info keys"
        assert 1 <= info["item_rank"] <= info["num_items"]
        assert info["frequency_bin"] == skew.frequency_bin(info["item_rank"], info["num_items"])
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert previous is None or obs is not previous, "observation buffers must be fresh each step"
        previous = obs
        assert isinstance(info["success"], bool)
        if not (terminated or truncated):
            assert info["success"] is False, "success is the episode's outcome: False until it ends"
        if terminated or truncated:
            if "normalized_score" in info:  # graded envs: success is the level's own rule
                assert np.isfinite(info["normalized_score"]), "every graded level needs its reference scores"
            else:
                assert info["success"] == (reward > 0)
            episodes += 1
            obs, info = env.reset()
    assert episodes > 0


@pytest.mark.parametrize("mode", list(gym.vector.AutoresetMode))
@pytest.mark.parametrize("env_id", IDS)
def test_native_vector_env_reports_one_info_key_set(env_id, mode):
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", autoreset_mode=mode)
    envs.action_space.seed(0)
    _, info = envs.reset(seed=0)
    # final_obs / final_info are Gymnasium's same-step markers of a finished episode, not env info keys.
    markers = {"final_obs", "_final_obs", "final_info", "_final_info"}
    keys = info.keys()
    for _ in range(200):
        _, _, terminated, truncated, info = envs.step(envs.action_space.sample())
        assert info.keys() - markers == keys
        assert all(info["_" + key].all() for key in keys if not key.startswith("_"))
        if mode == gym.vector.AutoresetMode.DISABLED and (terminated | truncated).any():
            _, info = envs.reset(options={"reset_mask": terminated | truncated})
            assert info.keys() == keys
    envs.close()


@pytest.mark.parametrize("env_id", IDS)
def test_numeric_info_format_keeps_the_numbers_only(env_id):
    env = gym.make(env_id, info_format="numeric")
    env.action_space.seed(1)
    _, info = env.reset(seed=1)
    keys = info.keys()
    assert {"item_rank", "num_items", "success"} <= keys
    for _ in range(50):
        _, _, terminated, truncated, info = env.step(env.action_space.sample())
        assert info.keys() == keys and not any(isinstance(value, str) for value in info.values())
        if terminated or truncated:
            env.reset()
    with pytest.raises(ValueError, match=r"info_format 'text'.*'full', 'numeric'"):
        gym.make(env_id, info_format="text")


@pytest.mark.parametrize("env_id", IDS)
def test_render_modes(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    image = obs["image"] if isinstance(obs, dict) else obs
    if image.ndim == 3:
        assert frame.shape[0] * frame.shape[1] > image.shape[0] * image.shape[1]
    human = gym.make(env_id, render_mode="human")
    human.reset(seed=0)
    human.step(0)
    assert human.render() is None
    human.close()


@pytest.mark.parametrize("env_id", IDS)
def test_stepping_misuse_raises(env_id):
    env = gym.make(env_id).unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    for bad in (env.action_space.n, -1):
        with pytest.raises(ValueError, match=str(bad)):
            env.step(bad)
    for bad in ("north", 1.5, None):
        with pytest.raises(TypeError):
            env.step(bad)
    while True:
        *_, terminated, truncated, _ = env.step(env.oracle_action())
        if terminated or truncated:
            break
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


@pytest.mark.parametrize("env_id", IDS)
def test_bad_level_is_refused(env_id):
    with pytest.raises(ValueError, match="valid forms"):
        gym.make(env_id, distribution="zipf_banana")


def test_fresh_interpreter_module_prefix_make():
    code = (
        "import gymnasium as gym; e = gym.make('zipfian_envs:Zipfian/Gridworld-v0'); print(e.reset(seed=0)[1]['item'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip()


def test_async_vector_env_with_spawn_matches_sync():
    kwargs = {"num_envs": 2, "obs_mode": "symbolic"}
    sync = gym.make_vec("Zipfian/Gridworld-v0", vectorization_mode="sync", **kwargs)
    spawned = gym.make_vec(
        "Zipfian/Gridworld-v0", vectorization_mode="async", vector_kwargs={"context": "spawn"}, **kwargs
    )
    try:
        a, _ = sync.reset(seed=5)
        b, _ = spawned.reset(seed=5)
        np.testing.assert_array_equal(a, b)
        for action in np.random.default_rng(0).integers(0, 8, (30, 2)):
            sa, sb = sync.step(action), spawned.step(action)
            np.testing.assert_array_equal(sa[0], sb[0])
            np.testing.assert_array_equal(sa[1], sb[1])
    finally:
        sync.close()
        spawned.close()

"""The first-person vector envs beyond the registry-driven tests: continuous actions, the info merge."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from test_vector_envs import assert_same

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.firstperson_vector import merge_infos


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP], ids=lambda m: m.value)
def test_playroom_continuous_actions_equal_sync_vector_env(mode):
    kwargs = {"action_mode": "continuous", "time_limit_scale": 0.1}
    native = gym.make_vec("Zipfian/Playroom-v0", num_envs=5, vectorization_mode="vector_entry_point",
                          autoreset_mode=mode, **kwargs)  # fmt: skip
    reference = gym.make_vec("Zipfian/Playroom-v0", num_envs=5, vectorization_mode="sync",
                             vector_kwargs={"autoreset_mode": mode}, **kwargs)  # fmt: skip
    assert native.action_space == reference.action_space
    assert_same(native.reset(seed=3), reference.reset(seed=3))
    rng = np.random.default_rng(1)
    ended = 0
    for t in range(200):
        actions = rng.uniform(-1, 1, (5, 5)).astype(np.float32)
        out = native.step(actions)
        assert_same(out, reference.step(actions), f"step {t}")
        ended += int((out[2] | out[3]).sum())
    assert ended > 0
    assert np.asarray(native.call("oracle_action")).shape == (5, 5)
    with pytest.raises(ValueError, match=r"shape \(5, 5\)"):
        native.step(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="finite"):
        native.step(np.full((5, 5), np.nan))


def test_merge_infos_equals_gymnasium_add_info():
    infos = [
        {"score": 1, "flag": np.bool_(True), "name": "a", "vec": np.arange(3), "nested": {"x": 1.5}},
        None,
        {"score": 2.7, "flag": np.bool_(False), "name": "b", "extra": True, "vec": np.ones(3)},
        {"score": 3, "extra": False, "nested": {"x": 2, "y": "z"}},
    ]
    sync = SyncVectorEnv([lambda: gym.make("CartPole-v1")] * len(infos))
    expected: dict = {}
    for i, info in enumerate(infos):
        if info is not None:
            expected = sync._add_info(expected, info, i)
    assert_same(merge_infos(infos), expected)
    assert merge_infos([None, None]) == {}

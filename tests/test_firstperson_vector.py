"""The first-person vector envs beyond the registry-driven tests: continuous actions, the info merge."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from test_vector_envs import assert_same

import zipfian_envs  # noqa: F401  (registers the ids)
from zipfian_envs.vector.infos import merge_infos


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


def test_merge_infos_of_full_columns_equals_gymnasium_add_info():
    """Every sub-env with the same keys (the fast path), in any order, strings, objects and nested dicts included."""
    infos = [
        {"score": 1, "flag": np.bool_(True), "name": "a", "obj": ("t", 1), "vec": np.arange(3), "nested": {"x": 1.5}},
        {"flag": np.bool_(False), "score": 2.7, "name": "bb", "obj": "s", "vec": np.ones(3), "nested": {"x": 2}},
        {"score": 3, "flag": np.bool_(True), "name": "", "obj": None, "vec": np.zeros(3), "nested": {"x": 0.5}},
    ]
    sync = SyncVectorEnv([lambda: gym.make("CartPole-v1")] * len(infos))
    expected: dict = {}
    for i, info in enumerate(infos):
        expected = sync._add_info(expected, info, i)
    merged = merge_infos(infos)
    assert_same(merged, expected)
    assert list(merged) == list(expected)  # the keys in the first sub-env's order, each before its mask
    assert [type(value) for value in merged["name"]] == [str] * 3 and merged["obj"][0] == ("t", 1)


SHORT = {"Playroom": "time_limit_scale=0.02", "Labyrinth": "time_limit_scale=0.01"}


@pytest.mark.parametrize(("family", "env_kwarg"), sorted(SHORT.items()))
def test_training_on_the_native_vector_env_gives_the_dummy_vec_env_model(family, env_kwarg, tmp_path):
    """zipfian-train's default (to_sb3 over the native vector env) and DummyVecEnv train the same PPO model."""
    torch = pytest.importorskip("torch")
    from zipfian_envs.agents import train

    params = {}
    for vec_env in ("auto", "dummy"):
        out = tmp_path / vec_env
        argv = ["--algo", "ppo", "--env", f"Zipfian/{family}-v0", "--steps", "128", "--n-envs", "3", "--seed", "5",
                "--out", str(out), "--checkpoint-every", "0", "--final-episodes", "0", "--no-progress",
                "--vec-env", vec_env, "--env-kwarg", env_kwarg, "--hp", "n_steps=32", "--hp", "batch_size=32",
                "--hp", "n_epochs=1"]  # fmt: skip
        assert train.main(argv) == 0
        model = train.ALGOS["ppo"].load(out / "model.zip", device="cpu")
        params[vec_env] = model.policy.state_dict()
    for name, tensor in params["dummy"].items():
        assert torch.equal(params["auto"][name], tensor), name

"""The dm_env adapter: dm_env's own EnvironmentTestMixin on each family, specs from spaces, end-of-episode steps."""

import sys
import unittest

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import DependencyNotInstalled

from zipfian_envs import dm_env as zipfian_dm

dm_env = pytest.importorskip("dm_env", reason="the dm_env adapter needs the dm extra")
from dm_env import specs, test_utils  # noqa: E402

# Short episodes, so that the mixin's action sequences reach LAST steps and the next FIRST.
CASES = {
    "gridworld": ("Zipfian/Gridworld-v0", {"max_steps": 6}),
    "symbolic": ("Zipfian/Gridworld-Symbolic-v0", {"max_steps": 6}),
    "labyrinth": ("Zipfian/Labyrinth-v0", {"level": "language_select_described_object", "time_limit_scale": 0.01}),
    "playroom": ("Zipfian/Playroom-v0", {"time_limit_scale": 0.01}),
    "playroom_continuous": ("Zipfian/Playroom-v0", {"action_mode": "continuous", "time_limit_scale": 0.01}),
}


def _mixin_case(case):
    env_id, kwargs = CASES[case]

    class Case(test_utils.EnvironmentTestMixin, unittest.TestCase):
        def make_object_under_test(self):
            return zipfian_dm.make(env_id, seed=0, **kwargs)

        def make_action_sequence(self):
            rng = np.random.default_rng(0)
            space = self.environment.gym_env.action_space
            for _ in range(40):  # past two episode ends
                if isinstance(space, gym.spaces.Discrete):
                    yield np.int64(rng.integers(space.n))
                else:
                    yield rng.uniform(-1, 1, space.shape).astype(np.float32)

    Case.__name__ = Case.__qualname__ = f"TestDmEnvMixin_{case}"
    return Case


for _case in CASES:
    globals()[f"TestDmEnvMixin_{_case}"] = _mixin_case(_case)


def test_specs_come_from_the_spaces():
    env = zipfian_dm.make("Zipfian/Playroom-v0")
    obs_spec = env.observation_spec()
    assert set(obs_spec) == {"image", "instruction"}
    image = obs_spec["image"]
    assert isinstance(image, specs.BoundedArray) and image.shape == (72, 96, 3) and image.dtype == np.uint8
    assert image.minimum.min() == 0 and image.maximum.max() == 255
    assert obs_spec["instruction"].dtype == np.int64
    action = env.action_spec()
    assert isinstance(action, specs.DiscreteArray) and action.num_values == 10
    continuous = zipfian_dm.make("Zipfian/Playroom-v0", action_mode="continuous").action_spec()
    assert isinstance(continuous, specs.BoundedArray) and continuous.shape == (5,) and continuous.dtype == np.float32


def _run_to_end(env, action):
    step = env.reset()
    assert step.first()
    while not step.last():
        step = env.step(action)
    return step


def test_termination_has_discount_zero_and_truncation_discount_one():
    # The Playroom's no-op never ends an episode, so its episodes end at the time limit: discount 1.
    truncated = zipfian_dm.make("Zipfian/Playroom-v0", seed=0, time_limit_scale=0.005)
    last = _run_to_end(truncated, 0)
    assert last.step_type == dm_env.StepType.LAST and last.discount == 1.0 and last.reward == 0.0
    # The oracle terminates on the target: discount 0.
    env = zipfian_dm.make("Zipfian/Gridworld-v0", seed=0)
    step = env.reset()
    while not step.last():
        step = env.step(env.gym_env.unwrapped.oracle_action())
    assert step.reward == 1.0 and step.discount == 0.0 and step.step_type == dm_env.StepType.LAST
    assert env.step(0).first()  # the step after LAST starts a new episode


def test_one_seed_gives_one_sequence_of_episodes():
    def trace():
        env = zipfian_dm.make("Zipfian/Gridworld-v0", seed=3, max_steps=5)
        steps = [env.step(k % 8) for k in range(30)]
        return [(s.step_type, s.reward, s.discount, s.observation.tobytes()) for s in steps]

    assert trace() == trace()


def test_without_dm_env_the_error_gives_the_install_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "dm_env", None)
    with pytest.raises(DependencyNotInstalled, match=r'pip install "zipfian-envs\[dm\]"'):
        zipfian_dm.make("Zipfian/Gridworld-v0")


def test_an_unsupported_space_is_named():
    with pytest.raises(ValueError, match="MultiBinary"):
        zipfian_dm.spec_of(gym.spaces.MultiBinary(3), "observation")

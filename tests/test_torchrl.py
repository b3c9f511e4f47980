"""TorchRL, a real client: batched TorchRL envs over the Zipfian ids with ``info_format="numeric"``.

TorchRL's batched envs turn every info key into a tensor, so they need the infos without text
(``item_rank`` stands for ``item``); the single-env wrapper reads no infos and takes the default.
Skipped where torchrl is not installed: CI runs this file in a venv with the ``torchrl`` extra.
"""

import gymnasium as gym
import pytest
import torch
from gymnasium.vector import AutoresetMode

torchrl_envs = pytest.importorskip("torchrl.envs")

FAMILIES = ["Zipfian/Gridworld-v0", "Zipfian/Labyrinth-v0", "Zipfian/Playroom-v0"]
NUMERIC_INFO = {"item_rank", "num_items", "success"}


def _native(env_id, num_envs, mode):
    return gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", autoreset_mode=mode, info_format="numeric"
    )


@pytest.mark.parametrize("env_id", FAMILIES)
def test_gym_wrapper_over_the_native_vector_env_reads_the_infos(env_id):
    env = torchrl_envs.GymWrapper(_native(env_id, 3, AutoresetMode.SAME_STEP))
    rollout = env.rollout(40, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([3, 40])
    assert set(rollout["next"].keys()) >= NUMERIC_INFO
    assert rollout["next", "item_rank"].min() >= 1
    assert (rollout["next", "item_rank"] <= rollout["next", "num_items"]).all()
    env.close()


def test_same_step_episodes_end_and_restart_inside_a_rollout():
    env = torchrl_envs.GymWrapper(_native("Zipfian/Gridworld-v0", 4, AutoresetMode.SAME_STEP))
    rollout = env.rollout(150, break_when_any_done=False)
    done = rollout["next", "done"].squeeze(-1)
    assert done.sum() >= 4, "Gridworld episodes last at most 100 steps"
    # success is the finished episode's outcome: never True on a step that ended nothing.
    assert not rollout["next", "success"][~done].any()
    assert torch.equal(rollout["next", "success"][done], rollout["next", "reward"].squeeze(-1)[done] > 0)
    env.close()


def test_disabled_autoreset_native_vector_env_works():
    env = torchrl_envs.GymWrapper(_native("Zipfian/Playroom-v0", 2, AutoresetMode.DISABLED))
    rollout = env.rollout(20, break_when_any_done=False)
    assert rollout["next", "image"].dtype == torch.uint8 and rollout["next", "image"].shape[:2] == (2, 20)
    env.close()


def test_gym_env_with_num_envs_builds_its_own_vector_env():
    # Its worker processes import nothing of ours: the "module:id" form imports the package there.
    env = torchrl_envs.GymEnv("zipfian_envs:Zipfian/Gridworld-v0", num_envs=2, info_format="numeric")
    rollout = env.rollout(120, break_when_any_done=False)
    assert rollout.batch_size == torch.Size([2, 120]) and rollout["next", "done"].any()
    assert set(rollout["next"].keys()) >= NUMERIC_INFO
    env.close()


@pytest.mark.parametrize("env_id", FAMILIES)
def test_single_gym_env_takes_the_default_infos(env_id):
    env = torchrl_envs.GymEnv(env_id)
    rollout = env.rollout(10)
    assert rollout.batch_size[0] <= 10 and "action" in rollout.keys()  # noqa: SIM118 (TensorDict refuses a bare `in`)
    env.close()

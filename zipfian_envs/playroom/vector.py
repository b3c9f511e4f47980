"""Zipf's Playroom as a native Gymnasium vector env: task rules per sub-env, every view rendered in one batch."""

from __future__ import annotations

from zipfian_envs.playroom.env import PlayroomEnv
from zipfian_envs.vector.firstperson import FirstPersonVectorEnv


class PlayroomVectorEnv(FirstPersonVectorEnv):
    """``num_envs`` Playrooms: each sub-env a :class:`PlayroomEnv`, the raycasting and sprites batched.

    Takes the single env's keyword arguments (``level``, ``task``, ``action_mode``,
    ``time_limit_scale``, ``width``, ``height``) plus ``num_envs``, ``autoreset_mode`` and
    ``render_mode`` (None or ``"rgb_array"``: each sub-env's ``render()`` canvas,
    ``render_view=`` as the single env); continuous actions come as a
    ``(num_envs, 5)`` array. For equal seeds and actions the outputs equal ``SyncVectorEnv`` over
    single envs, bit for bit; see :mod:`zipfian_envs.vector.firstperson` for how the work is split.
    """

    env_class = PlayroomEnv
    shared_attributes = ("distribution", "level", "task", "mode", "action_mode", "time_limit_scale", "max_steps")

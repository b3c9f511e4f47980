"""Zipf's Labyrinth as a native Gymnasium vector env: level rules per sub-env, every view rendered in one batch."""

from __future__ import annotations

from zipfian_envs.labyrinth.env import LabyrinthEnv
from zipfian_envs.vector.firstperson import FirstPersonVectorEnv


class LabyrinthVectorEnv(FirstPersonVectorEnv):
    """``num_envs`` Labyrinths: each sub-env a :class:`LabyrinthEnv`, the raycasting batched over envs and rays.

    Takes the single env's keyword arguments (``distribution``, ``level``, ``reverse_order``, ``holdout``,
    ``time_limit_scale``, ``width``, ``height``) plus ``num_envs``, ``autoreset_mode`` and
    ``render_mode`` (None or ``"rgb_array"``: each sub-env's ``render()`` canvas,
    ``render_view=`` as the single env). For equal seeds and actions the
    outputs equal ``SyncVectorEnv`` over single envs, bit for bit; see
    :mod:`zipfian_envs.vector.firstperson` for how the work is split.
    """

    env_class = LabyrinthEnv
    shared_attributes = ("distribution", "level", "reverse_order", "holdout", "time_limit_scale")
    draws_overlays = False  # the HUD is part of the view

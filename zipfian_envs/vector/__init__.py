"""Native vector envs: the shared base and helpers (:mod:`.base`), the first-person batched env (:mod:`.firstperson`).

``zipfian_envs.vector.to_sb3`` turns a native vector env (same-step autoreset) into a Stable-Baselines3 ``VecEnv``.
"""

from zipfian_envs.vector.base import (
    AUTORESET_MODES,
    NativeVectorEnv,
    SubEnvGenerators,
    check_autoreset_mode,
    check_discrete_actions,
    check_num_envs,
    check_reset_mask,
    object_array,
    per_env_pins,
    per_env_seeds,
    to_sb3,
    vector_info,
)

__all__ = [
    "AUTORESET_MODES",
    "NativeVectorEnv",
    "SubEnvGenerators",
    "check_autoreset_mode",
    "check_discrete_actions",
    "check_num_envs",
    "check_reset_mask",
    "object_array",
    "per_env_pins",
    "per_env_seeds",
    "to_sb3",
    "vector_info",
]

"""Native vector envs: the one template and its helpers (:mod:`.base`), the info layout (:mod:`.infos`), the
first-person batched env (:mod:`.firstperson`).

``zipfian_envs.vector.to_sb3`` turns a native vector env (same-step autoreset) into a Stable-Baselines3 ``VecEnv``.
"""

from zipfian_envs.vector.base import (
    AUTORESET_MODES,
    NativeVectorEnv,
    PerEnvCalls,
    SubEnvGenerators,
    check_autoreset_mode,
    check_discrete_actions,
    check_num_envs,
    check_reset_mask,
    observation_rows,
    per_env_pins,
    per_env_seeds,
    to_sb3,
)
from zipfian_envs.vector.infos import (
    INFO_FORMATS,
    check_info_format,
    info_rows,
    merge_infos,
    numeric_columns,
    numeric_info,
    object_array,
    vector_info,
)

__all__ = [
    "AUTORESET_MODES",
    "INFO_FORMATS",
    "NativeVectorEnv",
    "PerEnvCalls",
    "SubEnvGenerators",
    "check_autoreset_mode",
    "check_discrete_actions",
    "check_info_format",
    "check_num_envs",
    "check_reset_mask",
    "info_rows",
    "merge_infos",
    "numeric_columns",
    "numeric_info",
    "object_array",
    "observation_rows",
    "per_env_pins",
    "per_env_seeds",
    "to_sb3",
    "vector_info",
]

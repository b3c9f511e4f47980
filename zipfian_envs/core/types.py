"""The type aliases of the env layer, defined once: observations, actions, infos and the arrays they are made of.

These are for annotations only (``gym.Env[Obs, Act]`` parameters, ``reset`` / ``step`` signatures);
nothing here changes what an env returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

# Arrays by element type.
Array: TypeAlias = NDArray[Any]
BoolArray: TypeAlias = NDArray[np.bool_]
IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
# An RGB image (H, W, 3) or a batch of them, uint8; also the Gridworld's symbolic codes.
Image: TypeAlias = NDArray[np.uint8]
# Instruction token ids (language.MAX_TOKENS,) int64.
Tokens: TypeAlias = NDArray[np.int64]

# The first-person envs' observation: {"image": Image, "instruction": Tokens} (one env or a batch).
FirstPersonObs: TypeAlias = dict[str, NDArray[Any]]
# Gymnasium's info dict.
Info: TypeAlias = dict[str, Any]

# What a Discrete(n) env's step() takes: a Python or numpy integer (Discrete.sample() gives np.int64),
# or an integer array of shape () or (1,) (core.checks.check_discrete_action).
DiscreteAction: TypeAlias = int | np.integer[Any] | NDArray[np.integer[Any]]
# What a Box action space's step() takes: any array-like of the space's shape.
ContinuousAction: TypeAlias = NDArray[np.floating[Any]] | Sequence[float]

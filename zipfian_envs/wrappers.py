"""Observation wrappers for clients that take one array, not the first-person envs' Dict observations.

The Labyrinth and the Playroom observe ``Dict(image=Box uint8 (H, W, 3), instruction=Box int64 (16,))``
and the symbolic Gridworld a ``(50,)`` vector of cell codes; many clients want something else:

- :class:`ImageObservation`: only ``obs["image"]``, the uint8 ``Box`` (image-only CNN policies,
  Gymnasium's image wrappers such as ``ResizeObservation`` or ``FrameStackObservation``).
- :class:`InstructionEncoding`: ``obs["instruction"]`` as a bag of words or one-hot rows instead of
  token ids (SB3's ``MultiInputPolicy`` feeds ids as floats, which means nothing to an MLP).
- :class:`FlattenDictObservation`: the whole Dict as one flat ``Box`` whose pixels stay uint8
  (Gymnasium's ``FlattenObservation`` upcasts them to int64).
- :class:`SymbolicOneHot`: the symbolic Gridworld's cell codes as one-hot rows.

Each wrapper is deterministic and keeps the env's seeding, so equal seeds still give equal episodes.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from zipfian_envs.core import language
from zipfian_envs.core.types import FirstPersonObs, Image

PAD_ID = language.TOKEN_IDS[language.PAD]  # 0
ENCODINGS = ("bag_of_words", "one_hot")
DTYPES = ("uint8", "float32")


def check_choice(name: str, value: object, valid: tuple[str, ...]) -> str:
    """``value`` if it is one of ``valid``, else a ``ValueError`` naming it and the choices."""
    if not isinstance(value, str) or value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid: {', '.join(valid)}")
    return value


def dict_space(env: gym.Env[Any, Any], keys: tuple[str, ...], wrapper: str) -> spaces.Dict:
    """The env's ``Dict`` observation space, checked to hold ``keys`` (a clear error naming what it has)."""
    space = env.observation_space
    if not isinstance(space, spaces.Dict) or not set(keys) <= set(space.spaces):
        has = sorted(space.spaces) if isinstance(space, spaces.Dict) else space
        raise ValueError(f"{wrapper} needs a Dict observation with keys {list(keys)}; this env observes {has}")
    return space


# Each wrapper records its constructor arguments (RecordConstructorArgs) so that env.spec, and
# Gymnasium's checker, can rebuild the wrapped env.
class ImageObservation(gym.ObservationWrapper[Image, Any, FirstPersonObs], gym.utils.RecordConstructorArgs):
    """Observe only ``obs["image"]``: the uint8 ``Box(0, 255, (H, W, 3))`` of the first-person view."""

    def __init__(self, env: gym.Env[FirstPersonObs, Any]) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ObservationWrapper.__init__(self, env)
        image = dict_space(env, ("image",), "ImageObservation")["image"]
        self.observation_space = image

    def observation(self, observation: FirstPersonObs) -> Image:
        """The observation's image."""
        image: Image = observation["image"]
        return image


class InstructionEncoding(gym.ObservationWrapper[FirstPersonObs, Any, FirstPersonObs], gym.utils.RecordConstructorArgs):
    """Replace ``obs["instruction"]`` (token ids, 0 = padding) by a bag of words or one-hot rows.

    ``encoding="bag_of_words"`` (default): ``Box(0, 16, (V,))``, entry ``t`` the number of times token
    ``t`` occurs (word order is lost; entry 0, padding, is always 0). ``encoding="one_hot"``:
    ``Box(0, 1, (16 * V,))``, the ``(16, V)`` rows raveled, row ``i`` the one-hot of the ``i``-th token
    (padding rows all 0; reshape to ``(16, V)`` to get them back). Both are 1-d, as MLP policies and
    SB3's checker want.
    ``V`` is :data:`zipfian_envs.core.language.VOCAB_SIZE`. ``dtype="float32"`` (default) feeds
    networks directly; ``"uint8"`` stores 4x smaller (replay buffers). Other keys pass unchanged.
    """

    def __init__(
        self, env: gym.Env[FirstPersonObs, Any], encoding: str = "bag_of_words", dtype: str = "float32"
    ) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, encoding=encoding, dtype=dtype)
        gym.ObservationWrapper.__init__(self, env)
        self.encoding = check_choice("encoding", encoding, ENCODINGS)
        self.dtype = np.dtype(check_choice("dtype", dtype, DTYPES))
        space = dict_space(env, ("instruction",), "InstructionEncoding")
        tokens = space["instruction"]
        if not isinstance(tokens, spaces.Box) or tokens.shape is None or len(tokens.shape) != 1:
            raise ValueError(f"InstructionEncoding needs instruction token ids as a 1-d Box, got {tokens}")
        self.length = tokens.shape[0]
        self.vocab_size = int(np.max(tokens.high)) + 1
        shape = (self.vocab_size,) if self.encoding == "bag_of_words" else (self.length * self.vocab_size,)
        high = self.length if self.encoding == "bag_of_words" else 1
        encoded = spaces.Box(0, high, shape, self.dtype)
        self.observation_space = spaces.Dict({**space.spaces, "instruction": encoded})  # type: ignore[assignment]

    def observation(self, observation: FirstPersonObs) -> FirstPersonObs:
        """The observation with its instruction encoded."""
        return {**observation, "instruction": self.encode(observation["instruction"])}

    def encode(self, tokens: NDArray[np.integer[Any]]) -> NDArray[Any]:
        """One instruction's token ids as this wrapper's encoding."""
        ids = np.asarray(tokens, dtype=np.int64)
        if self.encoding == "bag_of_words":
            counts = np.bincount(ids, minlength=self.vocab_size)
            counts[PAD_ID] = 0
            return counts.astype(self.dtype)
        rows = np.zeros((self.length, self.vocab_size), self.dtype)
        rows[np.arange(self.length), ids] = 1
        rows[ids == PAD_ID] = 0
        return rows.ravel()


def flat_dtype(parts: list[spaces.Box]) -> np.dtype[Any]:
    """uint8 when every part is integer-valued within 0..255 (pixels, token ids), else float32."""
    fits = all(
        np.issubdtype(part.dtype, np.integer) and np.min(part.low) >= 0 and np.max(part.high) <= 255 for part in parts
    )
    return np.dtype(np.uint8 if fits else np.float32)


class FlattenDictObservation(
    gym.ObservationWrapper[NDArray[Any], Any, FirstPersonObs], gym.utils.RecordConstructorArgs
):
    """The Dict observation as one flat ``Box``: each key's values raveled, in the space's key order.

    The flat dtype is uint8 when every part fits in 0..255 (the raw pixels and token ids: 20,752
    values at 72x96), else float32 (e.g. after :class:`InstructionEncoding` with float32). Each
    part's bounds are kept, so ``observation_space.low``/``high`` still say which values are pixels.
    """

    def __init__(self, env: gym.Env[FirstPersonObs, Any]) -> None:
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.ObservationWrapper.__init__(self, env)
        space = dict_space(env, (), "FlattenDictObservation")
        parts = list(space.spaces.values())
        if not parts or not all(isinstance(part, spaces.Box) for part in parts):
            raise ValueError(f"FlattenDictObservation needs a Dict of Box spaces, got {space}")
        boxes = [part for part in parts if isinstance(part, spaces.Box)]
        self.keys = tuple(space.spaces)
        self.dtype = flat_dtype(boxes)
        low = np.concatenate([np.ravel(part.low) for part in boxes]).astype(self.dtype)
        high = np.concatenate([np.ravel(part.high) for part in boxes]).astype(self.dtype)
        self.observation_space = spaces.Box(low, high, dtype=self.dtype)

    def observation(self, observation: FirstPersonObs) -> NDArray[Any]:
        """The observation's parts raveled and concatenated."""
        return np.concatenate([np.ravel(observation[key]) for key in self.keys]).astype(self.dtype, copy=False)


class SymbolicOneHot(
    gym.ObservationWrapper[NDArray[np.uint8], Any, NDArray[np.uint8]], gym.utils.RecordConstructorArgs
):
    """The symbolic Gridworld's 50 cell codes (49 view cells, then the target) as one-hot rows, uint8.

    ``factored=True`` (default): 34 channels per cell: floor, wall, agent, object, then the object's
    colour (15) and shape (15), so an object's colour and shape are two features that generalise
    across kinds. ``factored=False``: 228 channels, one per code (0 floor, 1 wall, 2 agent,
    3 + colour * 15 + shape). The observation is the ``(50, channels)`` rows raveled, a 1-d
    ``Box(0, 1, (50 * channels,), uint8)`` as MLP policies want; reshape it to get the rows back.
    """

    def __init__(self, env: gym.Env[NDArray[np.uint8], Any], factored: bool = True) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, factored=factored)
        gym.ObservationWrapper.__init__(self, env)
        from zipfian_envs.gridworld import dynamics
        from zipfian_envs.gridworld.maps import COLOURS, NUM_KINDS, SHAPES

        space = env.observation_space
        if not isinstance(space, spaces.Box) or space.shape != (dynamics.SYMBOLIC_SIZE,):
            raise ValueError(
                f"SymbolicOneHot needs the symbolic Gridworld (obs_mode='symbolic', e.g. "
                f"Zipfian/Gridworld-Symbolic-v0: Box of shape ({dynamics.SYMBOLIC_SIZE},)); this env observes {space}"
            )
        if not isinstance(factored, (bool, np.bool_)):
            raise ValueError(f"factored must be True or False, got {factored!r}")
        self.factored = bool(factored)
        offset = dynamics.OBJECT_CODE_OFFSET
        codes = np.arange(offset + NUM_KINDS)
        if self.factored:
            # Row per code: the code's channels, built once; an observation is then one table lookup.
            table = np.zeros((codes.size, offset + 1 + len(COLOURS) + len(SHAPES)), np.uint8)
            table[np.arange(offset), np.arange(offset)] = 1
            colour, shape = np.divmod(codes[offset:] - offset, len(SHAPES))
            objects = np.arange(offset, codes.size)
            table[objects, offset] = 1
            table[objects, offset + 1 + colour] = 1
            table[objects, offset + 1 + len(COLOURS) + shape] = 1
        else:
            table = np.eye(codes.size, dtype=np.uint8)
        table.setflags(write=False)
        self.table = table
        self.channels = table.shape[1]
        self.observation_space = spaces.Box(0, 1, (dynamics.SYMBOLIC_SIZE * self.channels,), np.uint8)

    def observation(self, observation: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """The codes' one-hot rows, raveled (a fresh array)."""
        rows: NDArray[np.uint8] = self.table[observation].ravel()
        return rows

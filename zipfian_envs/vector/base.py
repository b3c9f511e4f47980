"""Native vector envs: the helpers every family's batched env shares, and the SB3 ``VecEnv`` adapter.

A family's native vector env (``zipfian_envs.<family>.vector``) keeps the state of N sub-envs in
arrays and steps them with array operations. The helpers here give every family the same
Gymnasium 1.x conventions: one ``np.random.Generator`` per sub-env seeded exactly as
``Env.reset(seed=...)`` seeds ``np_random`` (so N single envs and one vector env agree bit for
bit), the ``reset(seed=int | list)`` and ``options["reset_mask"]`` rules of ``SyncVectorEnv``,
info dicts of arrays with ``_key`` masks, and one clear error for each kind of bad input.

:func:`to_sb3` turns a native vector env (same-step autoreset) into a Stable-Baselines3 ``VecEnv``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

import gymnasium as gym
import numpy as np
from gymnasium.error import DependencyNotInstalled
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode

from zipfian_envs.core.checks import MAX_NUM_ENVS
from zipfian_envs.core.types import Array, BoolArray, FloatArray, Info, IntArray
from zipfian_envs.vector.infos import info_rows, object_array

AUTORESET_MODES = tuple(AutoresetMode)
# A native vector env's batched observation: an array (Gridworld) or a dict of arrays (first-person envs).
ObsT = TypeVar("ObsT", bound="Array | dict[str, Array]")


def check_num_envs(num_envs: Any) -> int:
    """``num_envs`` as an int in ``1..MAX_NUM_ENVS``, or a ``ValueError`` naming the bad value and the limit."""
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")
    if num_envs > MAX_NUM_ENVS:
        raise ValueError(f"num_envs must be <= {MAX_NUM_ENVS} (the documented limit), got {num_envs!r}")
    return int(num_envs)


def check_autoreset_mode(mode: Any) -> AutoresetMode:
    """An ``AutoresetMode`` from the enum or its value (``"NextStep"``, ``"SameStep"``, ``"Disabled"``)."""
    try:
        return AutoresetMode(mode)
    except ValueError:
        valid = ", ".join(f"AutoresetMode.{m.name} ({m.value!r})" for m in AUTORESET_MODES)
        raise ValueError(f"unknown autoreset_mode {mode!r}; valid: {valid}") from None


def per_env_seeds(seed: Any, num_envs: int) -> list[int | None]:
    """``SyncVectorEnv``'s seed rule: None for all, ``int`` -> ``seed + i``, or one entry (int or None) per env."""
    if seed is None:
        return [None] * num_envs
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return [int(seed) + i for i in range(num_envs)]
    if isinstance(seed, (str, bytes)) or not isinstance(seed, (Sequence, np.ndarray)):
        raise TypeError(f"seed must be None, an int or a list of {num_envs} ints, got {seed!r}")
    if len(seed) != num_envs:
        raise ValueError(f"seed list has {len(seed)} entries but there are num_envs={num_envs} sub-envs")
    seeds = []
    for value in seed:
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0):
            raise ValueError(f"every seed must be an int >= 0 or None, got {value!r} in {list(seed)!r}")
        seeds.append(None if value is None else int(value))
    return seeds


def check_reset_mask(mask: Any, num_envs: int) -> BoolArray:
    """``options["reset_mask"]``: a bool array of shape ``(num_envs,)`` with at least one True."""
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (num_envs,):
        got = f"{type(mask).__name__} {getattr(mask, 'dtype', '')} {getattr(mask, 'shape', '')}".strip()
        raise ValueError(f"options['reset_mask'] must be a numpy bool array of shape ({num_envs},), got {got}")
    if not mask.any():
        raise ValueError("options['reset_mask'] must select at least one sub-env, got all False")
    copy: BoolArray = mask.copy()
    return copy


def per_env_pins(name: str, value: Any, num_envs: int, high: int) -> tuple[IntArray, BoolArray]:
    """A reset option pinning a 1-based rank per env: (ranks, pinned mask).

    ``value`` is one int for every env, or one entry per env: an int, or None to draw as usual.
    """
    if value is None:
        return np.zeros(num_envs, dtype=np.int64), np.zeros(num_envs, dtype=bool)
    entries = [value] * num_envs if np.ndim(value) == 0 else list(value)
    if len(entries) != num_envs:
        raise ValueError(f"options[{name!r}] has {len(entries)} entries but there are num_envs={num_envs} sub-envs")
    ranks = np.zeros(num_envs, dtype=np.int64)
    pinned = np.zeros(num_envs, dtype=bool)
    for i, entry in enumerate(entries):
        if entry is None:
            continue
        if isinstance(entry, bool) or not isinstance(entry, (int, np.integer)) or not 1 <= entry <= high:
            raise ValueError(f"options[{name!r}] entries must be ints in 1..{high} (or None), got {entry!r}")
        ranks[i], pinned[i] = entry, True
    return ranks, pinned


def check_discrete_actions(actions: Any, num_envs: int, num_actions: int, names: Sequence[str] = ()) -> IntArray:
    """A batch of ``Discrete(num_actions)`` actions as an int64 ``(num_envs,)`` array, or one clear error."""
    array = np.asarray(actions)
    if array.shape != (num_envs,):
        raise ValueError(f"actions must have shape ({num_envs},) (one per sub-env), got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise TypeError(f"actions must be integers in 0..{num_actions - 1}, got dtype {array.dtype}")
    # One pass: negative values wrap to huge unsigned ones.
    if (array.astype(np.uint64, copy=False) >= num_actions).any():
        bad = np.flatnonzero((array < 0) | (array >= num_actions))
        valid = f" ({', '.join(names)})" if names else ""
        raise ValueError(
            f"actions must be in 0..{num_actions - 1}{valid}; sub-env {int(bad[0])} got {int(array[bad[0]])}"
        )
    return array.astype(np.int64, copy=False)


class PerEnvCalls(Protocol):
    """``SyncVectorEnv``'s per-sub-env access, which ``gym.vector.VectorEnv`` does not declare.

    ``SyncVectorEnv``, ``AsyncVectorEnv``, Gymnasium's vector wrappers and :class:`NativeVectorEnv` have it.
    """

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call a method (or read an attribute) of every sub-env: one result each."""
        ...

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """An attribute of every sub-env."""
        ...

    def set_attr(self, name: str, values: Any) -> None:
        """Set an attribute of every sub-env (one value for all, or one each)."""
        ...


class SubEnvGenerators:
    """One ``np.random.Generator`` per sub-env, seeded exactly as ``gym.Env.reset(seed=...)`` seeds ``np_random``.

    Uniforms come out of per-env blocks drawn ahead: a Generator's ``random(k)`` yields the same
    numbers as k calls of ``random()``, so a sub-env sees exactly the stream a single env would,
    while a batched reset needs no Python loop except when a block runs out.
    """

    def __init__(self, num_envs: int, block: int = 64) -> None:
        self.num_envs = num_envs
        self.block = block
        self._generators: list[np.random.Generator | None] = [None] * num_envs
        self.seeds: list[int | None] = [None] * num_envs
        self._buffer = np.zeros(num_envs * block, dtype=np.float64)  # sub-env i owns [i * block, (i + 1) * block)
        self._position = np.full(num_envs, block, dtype=np.int64)
        self._offsets = np.arange(block)

    def seed(self, index: int, seed: int | None) -> None:
        """Reseed sub-env ``index`` (None: keep its generator, or start one from OS entropy)."""
        if seed is None and self._generators[index] is not None:
            return
        self._generators[index], self.seeds[index] = seeding.np_random(seed)
        self._position[index] = self.block  # drop numbers drawn ahead from the old stream

    def uniforms(self, indices: IntArray, count: int) -> FloatArray:
        """``(len(indices), count)`` uniforms in [0, 1): the next ``count`` draws of each listed sub-env."""
        position = self._position[indices]
        short = position > self.block - count
        if np.count_nonzero(short):
            for index in indices[short]:  # refills: once per block / count resets of a sub-env
                self._refill(index)
            position = self._position[indices]
        self._position[indices] = position + count
        start = indices * self.block + position
        draws: FloatArray = self._buffer[start[:, None] + self._offsets[:count]]
        return draws

    def _refill(self, index: int) -> None:
        """Keep sub-env ``index``'s unused draws and top its block up from its generator."""
        generator = self._generators[index]
        if generator is None:
            self.seed(index, None)
            generator = self._generators[index]
            assert generator is not None  # seed() always starts one here
        block = self._buffer[index * self.block : (index + 1) * self.block]
        rest = block[self._position[index] :].copy()
        block[: rest.size] = rest
        block[rest.size :] = generator.random(self.block - rest.size)
        self._position[index] = 0


class NativeVectorEnv(gym.vector.VectorEnv[ObsT, Array, Array], Generic[ObsT]):
    """The one template of the families' batched envs: reset, step, autoreset and infos for every family.

    This class owns what every native vector env does the same way: the ``reset(seed=int | list)``
    and ``options`` rules (``reset_mask``, per-env rank pins), the three autoreset modes
    (``NEXT_STEP``: a finished sub-env restarts on the next step, ignoring its action; ``SAME_STEP``:
    it restarts within the step, its last observation and info in ``final_obs`` / ``final_info``;
    ``DISABLED``: it waits for a masked reset), the finished-episode bookkeeping (``_done``) and the
    info layout (:mod:`zipfian_envs.vector.infos`). ``call`` / ``get_attr`` have ``SyncVectorEnv``'s shape.

    A family's subclass calls :meth:`setup_vector` in its ``__init__`` and implements the sub-env
    protocol, five public methods over its own state:

    - ``reset_pins() -> {option: highest rank}``: the per-env rank options ``reset`` takes (``item_rank``, ...);
    - ``start_episodes(indices, seeds, pins)``: new episodes in sub-envs ``indices``; ``seeds`` has one
      entry (int or None) per index, or is None for an autoreset; ``pins`` maps each option to
      ``(ranks, pinned)`` arrays over all sub-envs;
    - ``advance(actions, active) -> (rewards, terminated, truncated)``: one step of the sub-envs in the
      bool mask ``active`` (the others restart instead: their entries are ignored);
    - ``observe(indices=None)``: fresh observations of every sub-env, or of ``indices``;
    - ``episode_info(mask=None)``: the vector info of every sub-env, or of those in ``mask``.

    ``check_actions`` may be overridden (the default takes ``Discrete`` actions).
    """

    per_env_methods: tuple[str, ...] = ()
    action_names: Sequence[str] = ()

    def setup_vector(
        self, num_envs: Any, render_mode: str | None, autoreset_mode: Any, **metadata: Any
    ) -> None:
        """Check and set ``num_envs``, ``render_mode`` and ``autoreset_mode`` (also in ``metadata``)."""
        self.num_envs = check_num_envs(num_envs)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            valid = ", ".join(["None", *self.metadata["render_modes"]])
            raise ValueError(f"unknown render_mode {render_mode!r} for the vector env; valid: {valid}")
        self.render_mode = render_mode
        self.autoreset_mode = check_autoreset_mode(autoreset_mode)
        self.metadata = {**self.metadata, **metadata, "autoreset_mode": self.autoreset_mode}
        self._done = np.ones(self.num_envs, dtype=bool)  # a finished episode: reset (or autoreset) comes next
        self._started = False

    # -- The sub-env protocol (see the class docstring) ------------------------------------------
    def reset_pins(self) -> dict[str, int]:
        """The per-env rank options of ``reset`` and each one's highest rank."""
        raise NotImplementedError

    def start_episodes(
        self, indices: IntArray, seeds: Sequence[int | None] | None, pins: dict[str, tuple[IntArray, BoolArray]]
    ) -> None:
        """Start new episodes in sub-envs ``indices``."""
        raise NotImplementedError

    def advance(self, actions: Any, active: BoolArray) -> tuple[FloatArray, BoolArray, BoolArray]:
        """Step the sub-envs in ``active``: rewards (float64), terminated and truncated (bool)."""
        raise NotImplementedError

    def observe(self, indices: IntArray | None = None) -> ObsT:
        """Fresh observations of every sub-env, or of ``indices``."""
        raise NotImplementedError

    def episode_info(self, mask: BoolArray | None = None) -> Info:
        """The vector info of every sub-env, or of those in ``mask``."""
        raise NotImplementedError

    def render(self) -> tuple[Array, ...] | None:
        """Each sub-env's ``rgb_array`` frame (None without a render_mode)."""
        raise NotImplementedError

    def check_actions(self, actions: Any) -> Any:
        """A batch of ``Discrete`` actions as an int64 array, or one clear error."""
        space = self.single_action_space
        if not isinstance(space, gym.spaces.Discrete):
            raise NotImplementedError(f"{type(self).__name__} must override check_actions for {space}")
        return check_discrete_actions(actions, self.num_envs, int(space.n), self.action_names)

    # -- Gymnasium vector API ----------------------------------------------------------------
    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[ObsT, Info]:
        """Start episodes in every sub-env, or in those of ``options["reset_mask"]``."""
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        limits = self.reset_pins()
        pins = {name: per_env_pins(name, options.pop(name, None), self.num_envs, high) for name, high in limits.items()}
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; valid: {', '.join([*limits, 'reset_mask'])}")
        seeds = per_env_seeds(seed, self.num_envs)
        mask = np.ones(self.num_envs, dtype=bool) if mask is None else check_reset_mask(mask, self.num_envs)
        if not self._started and not mask.all():
            raise RuntimeError("the first reset() must reset every sub-env (no reset_mask)")
        indices = np.flatnonzero(mask)
        self.start_episodes(indices, [seeds[i] for i in indices.tolist()], pins)
        self._done[indices] = False
        self._started = True
        return self.observe(), self.episode_info(mask)

    def step(self, actions: Any) -> tuple[ObsT, FloatArray, BoolArray, BoolArray, Info]:
        """Step every sub-env; finished ones restart as ``autoreset_mode`` says (see the class docstring)."""
        actions = self.check_actions(actions)
        if not self._started:
            raise RuntimeError("step() called before reset(); call reset() first")
        mode = self.autoreset_mode
        if mode == AutoresetMode.DISABLED and self._done.any():
            waiting = np.flatnonzero(self._done).tolist()
            raise RuntimeError(
                f"sub-envs {waiting} finished their episodes and autoreset_mode is DISABLED; "
                "reset them with reset(options={'reset_mask': mask}) before stepping"
            )
        restarting = self._done.copy() if mode == AutoresetMode.NEXT_STEP else np.zeros(self.num_envs, dtype=bool)
        rewards, terminated, truncated = self.advance(actions, ~restarting)
        if restarting.any():
            restarted = np.flatnonzero(restarting)
            self.start_episodes(restarted, None, {})
            rewards[restarted], terminated[restarted], truncated[restarted] = 0.0, False, False
        dones = terminated | truncated
        self._done = dones.copy()
        observations = self.observe()
        finished = np.flatnonzero(dones)
        if mode == AutoresetMode.SAME_STEP and finished.size:
            final_obs = object_array(observation_rows(observations, finished), self.num_envs, finished)
            final_info = self.episode_info(dones)
            self.start_episodes(finished, None, {})
            self._done[finished] = False
            fresh: Any = self.observe(finished)
            if isinstance(observations, dict):
                for key, value in observations.items():
                    value[finished] = fresh[key]
            else:
                observations[finished] = fresh
            info = self.episode_info()
            info.update(final_obs=final_obs, _final_obs=dones.copy(), final_info=final_info, _final_info=dones.copy())
        else:
            info = self.episode_info()
        return observations, rewards, terminated, truncated, info

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """A tuple with one entry per sub-env: a per-env method's results, or a shared attribute."""
        if name in self.per_env_methods:
            return tuple(np.asarray(getattr(self, name)(*args, **kwargs)).tolist())
        if name.startswith("_") or not hasattr(self, name) or callable(getattr(self, name)):
            valid = ", ".join([*self.per_env_methods, "or a public attribute"])
            raise AttributeError(f"{type(self).__name__} has no per-env method or attribute {name!r}; valid: {valid}")
        return (getattr(self, name),) * self.num_envs

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """A shared attribute, once per sub-env (as ``SyncVectorEnv.get_attr`` returns it)."""
        return self.call(name)

    def set_attr(self, name: str, values: Any) -> None:
        """Refused: the sub-envs of a native vector env share one configuration."""
        raise AttributeError(
            f"{type(self).__name__} cannot set {name!r} per sub-env: its sub-envs share one configuration; "
            "make a new vector env with the kwargs you need"
        )

    def _render_ready(self) -> bool:
        """Whether ``render()`` can draw: warns without a render_mode, refuses before the first reset."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return False
        if not self._started:
            raise RuntimeError("render() needs running episodes; call reset() first")
        return True

    def _check_oracle_ready(self) -> None:
        """Refuse ``oracle_action()`` unless every sub-env is mid-episode."""
        if not self._started or self._done.any():
            raise RuntimeError("oracle_action() needs every sub-env mid-episode; reset finished ones first")


def observation_rows(observations: Any, indices: IntArray) -> list[Any]:
    """Sub-env ``indices``'s observations, each its own copy (an array, or a dict of arrays)."""
    if isinstance(observations, dict):
        return [{key: value[i].copy() for key, value in observations.items()} for i in indices.tolist()]
    return list(observations[indices])


def to_sb3(vec_env: gym.vector.VectorEnv[Any, Any, Any]) -> Any:
    """A Stable-Baselines3 ``VecEnv`` over a native vector env made with ``autoreset_mode=SAME_STEP``.

    SB3 resets finished envs inside ``step_wait`` and reads the last observation from
    ``infos[i]["terminal_observation"]``; same-step autoreset gives exactly that, so nothing is
    stepped twice. Seeds set with ``VecEnv.seed(s)`` reach sub-env ``i`` as ``s + i`` at the next
    reset, as with ``DummyVecEnv``, so training on either gives the same episodes. Infos are empty
    mid-episode; at an episode's end they hold the env's info, ``is_success``, SB3's
    ``TimeLimit.truncated`` and ``terminal_observation``, and a Monitor-style ``episode`` entry.
    """
    try:
        adapter = _sb3_adapter_class()
    except ImportError as error:
        raise DependencyNotInstalled(
            'stable-baselines3 is not installed; run `pip install "zipfian-envs[agents]"` to use to_sb3'
        ) from error
    mode = vec_env.metadata.get("autoreset_mode")
    if mode != AutoresetMode.SAME_STEP:
        raise ValueError(
            f"to_sb3 needs a vector env with autoreset_mode=AutoresetMode.SAME_STEP (SB3's convention), got {mode!r}; "
            'make it with gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point", '
            "autoreset_mode=AutoresetMode.SAME_STEP)"
        )
    return adapter(vec_env)


@functools.cache
def _sb3_adapter_class() -> type:
    """The adapter class, defined on first use so ``import zipfian_envs`` never imports SB3 (and torch)."""
    from stable_baselines3.common.vec_env import VecEnv
    from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs

    class Sb3VectorAdapter(VecEnv):
        """SB3 ``VecEnv`` view of a same-step-autoreset Gymnasium vector env (see :func:`to_sb3`)."""

        def __init__(self, env: gym.vector.VectorEnv[Any, Any, Any]) -> None:
            # What the adapter uses beyond VectorEnv's declared API (reset(seed=list), call, get_attr,
            # set_attr) is what native vector envs and SyncVectorEnv have in common.
            self.env = cast("NativeVectorEnv[Any]", env)
            super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)
            self._actions: np.ndarray | None = None
            self._returns = np.zeros(self.num_envs, dtype=np.float64)
            self._lengths = np.zeros(self.num_envs, dtype=np.int64)
            self._start = time.time()

        def reset(self) -> VecEnvObs:
            """Reset every sub-env with the seeds and options set since the last reset."""
            options = _merge_options(self._options)
            obs: VecEnvObs
            obs, info = self.env.reset(seed=list(self._seeds), options=options)
            self.reset_infos = info_rows(info, np.arange(self.num_envs))
            self._reset_seeds()
            self._reset_options()
            self._returns[:] = 0.0
            self._lengths[:] = 0
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            """Remember the actions for :meth:`step_wait`."""
            self._actions = np.asarray(actions)

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            """Step every sub-env; finished ones are already reset (their last frame is in the info)."""
            if self._actions is None:
                raise RuntimeError("step_wait() called without step_async(actions)")
            obs, rewards, terminated, truncated, info = self.env.step(self._actions)
            self._actions = None
            self._returns += rewards
            self._lengths += 1
            dones = terminated | truncated
            infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
            finished = np.flatnonzero(dones)
            if finished.size:
                final_rows = info_rows(info["final_info"], finished)
                reset_rows = info_rows(info, finished)
                elapsed = round(time.time() - self._start, 6)
                for i, row, reset_row in zip(finished, final_rows, reset_rows):
                    row["is_success"] = bool(row.get("success", rewards[i] > 0))
                    row["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                    row["terminal_observation"] = info["final_obs"][i]
                    row["episode"] = {"r": round(float(self._returns[i]), 6), "l": int(self._lengths[i]), "t": elapsed}
                    infos[i] = row
                    self.reset_infos[i] = reset_row
                self._returns[finished] = 0.0
                self._lengths[finished] = 0
            return obs, rewards.astype(np.float32), dones, infos

        def close(self) -> None:
            """Close the vector env."""
            self.env.close()

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            """One value per selected sub-env (``render_mode`` and the env's shared attributes)."""
            if attr_name == "render_mode":
                values = [self.env.render_mode] * self.num_envs
            else:
                values = list(self.env.get_attr(attr_name))
            return [values[i] for i in self._get_indices(indices)]

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            """Passed to the vector env (native vector envs refuse it with a clear error)."""
            self.env.set_attr(attr_name, value)

        def env_method(
            self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
        ) -> list[Any]:
            """Per-env results of the vector env's ``call``."""
            results = self.env.call(method_name, *method_args, **method_kwargs)
            return [results[i] for i in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            """No sub-env is wrapped: a native vector env has no per-env Gymnasium wrappers."""
            return [False for _ in self._get_indices(indices)]

        def get_images(self) -> Sequence[Array | None]:
            """One RGB frame per sub-env (``render_mode="rgb_array"``), else Nones."""
            frames = self.env.render() if self.env.render_mode == "rgb_array" else None
            if frames is None:
                return [None] * self.num_envs
            return list(frames)

    return Sb3VectorAdapter


def _merge_options(options: list[dict[str, Any]]) -> dict[str, Any] | None:
    """SB3's per-env reset options as one vector-env options dict (per-env lists, None where unset)."""
    keys = sorted({key for option in options for key in option})
    if not keys:
        return None
    return {key: [option.get(key) for option in options] for key in keys}

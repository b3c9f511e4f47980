"""Policies the harness can run: anything with SB3's ``predict``, plus random, oracle and callables.

The contract is Stable-Baselines3's: ``predict(obs, state=None, episode_start=None,
deterministic=True) -> (actions, state)`` on a batch of observations (one row per sub-env).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from zipfian_envs.evaluation.errors import EvaluationError
from zipfian_envs.vector.base import PerEnvCalls

# The one table of learning algorithms by name (zipfian-train's --algo, zipfian-eval's --algo):
# "module:Class", imported only when asked for (sb3-contrib is optional for evaluation).
ALGOS: dict[str, str] = {
    "ppo": "stable_baselines3:PPO",
    "a2c": "stable_baselines3:A2C",
    "dqn": "stable_baselines3:DQN",
    "qrdqn": "sb3_contrib:QRDQN",
    "recurrentppo": "sb3_contrib:RecurrentPPO",
    "softq": "zipfian_envs.agents.soft_q:SoftQ",
}
BUILTIN_POLICIES = ("random", "oracle")


@runtime_checkable
class Policy(Protocol):
    """Anything with SB3's ``predict`` signature."""

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """Actions for a batch of observations, and the next recurrent state (or None)."""
        ...


def batch_size(observation: Any) -> int:
    """Number of rows in a batched observation (arrays, dicts or tuples of arrays)."""
    if isinstance(observation, dict):
        return batch_size(next(iter(observation.values())))
    if isinstance(observation, tuple):
        return batch_size(observation[0])
    return int(np.shape(observation)[0])


class RandomPolicy:
    """Uniformly random actions from a single-env action space, from its own seeded generator."""

    def __init__(self, action_space: spaces.Space, seed: int | None = 0) -> None:
        self.action_space = action_space
        self._rng = np.random.default_rng(seed)
        if not isinstance(action_space, spaces.Discrete):
            action_space.seed(seed)

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """One random action per row of ``observation``."""
        n = batch_size(observation)
        space = self.action_space
        if isinstance(space, spaces.Discrete):
            # Fast path: one vectorised draw instead of n space.sample() calls.
            return space.start + self._rng.integers(0, space.n, size=n), state
        return np.stack([np.asarray(space.sample()) for _ in range(n)]), state


class OraclePolicy:
    """Privileged shortest-path policy: asks each sub-env for ``oracle_action()``.

    The harness calls :meth:`bind` with its vector env before the episode loop. Every sub-env must
    be mid-episode when ``predict`` runs, which holds under same-step autoreset (the harness's mode).
    """

    def __init__(self) -> None:
        self._env: Any = None

    def bind(self, env: Any) -> OraclePolicy:
        """Attach the (vector or single) env whose sub-envs answer ``oracle_action()``."""
        self._env = env
        return self

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """The oracle's action for every sub-env of the bound env."""
        env = self._env
        if env is None:
            raise RuntimeError("OraclePolicy.predict() needs an env: call bind(env) first")
        actions: Sequence[Any]
        try:
            if isinstance(env, gym.vector.VectorEnv):
                actions = cast(PerEnvCalls, env).call("oracle_action")
            else:
                actions = [env.get_wrapper_attr("oracle_action")()]
        except AttributeError as exc:
            raise EvaluationError(f"the env has no oracle_action() method, so the oracle cannot run it: {exc}") from exc
        return np.asarray(actions, dtype=np.int64), state


class CallablePolicy:
    """Wraps a plain function: ``fn(obs) -> action`` per observation, or per batch if ``batched``."""

    def __init__(self, fn: Callable[[Any], Any], batched: bool = False) -> None:
        self.fn = fn
        self.batched = batched

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """Apply the function to the batch, or to each row in turn."""
        if self.batched:
            return np.asarray(self.fn(observation)), state
        rows = [_row(observation, i) for i in range(batch_size(observation))]
        return np.asarray([self.fn(row) for row in rows]), state


def _row(observation: Any, i: int) -> Any:
    if isinstance(observation, dict):
        return {key: _row(value, i) for key, value in observation.items()}
    if isinstance(observation, tuple):
        return tuple(_row(value, i) for value in observation)
    return observation[i]


def as_policy(obj: Any, batched: bool = False) -> Policy:
    """Return ``obj`` if it has ``predict``, wrap a callable ``obs -> action``, else raise TypeError."""
    if callable(getattr(obj, "predict", None)):
        return obj
    if callable(obj):
        return CallablePolicy(obj, batched=batched)
    raise TypeError(f"a policy needs predict(obs, state, episode_start, deterministic) or to be callable, got {obj!r}")


def policy_name(spec: str) -> str:
    """Short name of a policy spec for file names and tables: random, oracle or the model's stem."""
    return spec if spec in BUILTIN_POLICIES else Path(spec).stem


class FrameStackPolicy:
    """A model trained on the last ``frames`` observations (SB3's ``VecFrameStack``) as a harness policy.

    The stack is the policy's recurrent ``state``: concatenated along the observation's last axis,
    newest last, and, exactly as ``VecFrameStack`` does, zeros before an episode's first observation.
    So the harness evaluates a frame-stacked model on plain single-observation envs.
    """

    def __init__(self, model: Any, frames: int) -> None:
        if frames < 2:
            raise ValueError(f"FrameStackPolicy needs frames >= 2, got {frames}")
        self.model = model
        self.frames = frames

    def predict(
        self, observation: Any, state: Any = None, episode_start: Any = None, deterministic: bool = True
    ) -> tuple[np.ndarray, Any]:
        """Push ``observation`` onto each row's stack (cleared where an episode starts), then act.

        Dict observations (image + instruction) stack each entry along its own last axis, as
        ``VecFrameStack`` does (an HxWxC image becomes HxWx(kC)).
        """
        if isinstance(observation, dict):
            state = state or {}
            stacked = {key: self._push(value, state.get(key), episode_start) for key, value in observation.items()}
            actions, _ = self.model.predict(stacked, deterministic=deterministic)
            return actions, stacked
        state = self._push(observation, state, episode_start)
        actions, _ = self.model.predict(state, deterministic=deterministic)
        return actions, state

    def _push(self, observation: Any, state: np.ndarray | None, episode_start: Any) -> np.ndarray:
        """One entry's stack with ``observation`` pushed on, newest last."""
        observation = np.asarray(observation)
        width = observation.shape[-1]
        if state is None:
            state = np.zeros((*observation.shape[:-1], width * self.frames), dtype=observation.dtype)
        else:
            state = np.roll(state, -width, axis=-1)
        if episode_start is not None:
            state[np.asarray(episode_start, dtype=bool)] = 0
        state[..., -width:] = observation
        return state


def stacked_frames(model_space: spaces.Space, env_space: spaces.Space) -> int:
    """How many env observations a model's observation stacks (1: none; 0: it is no stack of them).

    Flat vectors stack along their axis, images along their channels (the model's may be stored
    channel-first by SB3), Dict observations entry by entry (every entry the same count).
    """
    if isinstance(model_space, spaces.Dict) and isinstance(env_space, spaces.Dict):
        if model_space.keys() != env_space.keys():
            return 0
        counts = {stacked_frames(model_space[key], env_space[key]) for key in env_space}
        return counts.pop() if len(counts) == 1 else 0
    if not (isinstance(model_space, spaces.Box) and isinstance(env_space, spaces.Box)):
        return 1 if model_space == env_space else 0
    if _space_matches(model_space, env_space):
        return 1
    if model_space.dtype != env_space.dtype or len(model_space.shape) != len(env_space.shape):
        return 0
    env_shape, model_shape = env_space.shape, model_space.shape
    if len(env_shape) == 1:
        frames, rest = divmod(model_shape[0], env_shape[0])
        return frames if rest == 0 else 0
    if len(env_shape) == 3:  # HxWxC: the model's HxWx(kC), or (kC)xHxW after VecTransposeImage
        height, width, channels = env_shape
        stacked = model_shape[2] if model_shape[:2] == (height, width) else model_shape[0]
        if model_shape[1:] != (height, width) and model_shape[:2] != (height, width):
            return 0
        frames, rest = divmod(stacked, channels)
        return frames if rest == 0 and frames > 1 else 0
    return 0


def algo_class(algo: str) -> type[Any]:
    """The model class of an algorithm name in :data:`ALGOS` or of a ``module:Class`` path."""
    target = ALGOS.get(algo.lower(), algo)
    if ":" not in target:
        raise EvaluationError(f"unknown algo {algo!r}; valid: {', '.join(ALGOS)} or module:Class")
    module_name, class_name = target.split(":", 1)
    if not module_name or not class_name.isidentifier():
        valid = ", ".join(ALGOS)
        raise EvaluationError(f"algo {algo!r}: give module:Class (e.g. stable_baselines3:PPO) or one of {valid}")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise EvaluationError(f"algo {algo!r} needs {module_name}, which is not installed ({exc})") from exc
    except AttributeError as exc:
        raise EvaluationError(f"algo {algo!r}: {module_name} has no {class_name}") from exc


def _space_matches(model_space: spaces.Space, env_space: spaces.Space) -> bool:
    """Whether a model trained on ``model_space`` can act on ``env_space`` observations/actions."""
    if isinstance(model_space, spaces.Box) and isinstance(env_space, spaces.Box):
        if model_space.dtype != env_space.dtype:
            return False
        # SB3 stores image spaces channel-first (VecTransposeImage) and transposes HWC input itself.
        shape = env_space.shape
        return model_space.shape in (shape, (shape[-1], *shape[:-1]) if len(shape) == 3 else shape)
    if isinstance(model_space, spaces.Discrete) and isinstance(env_space, spaces.Discrete):
        return (model_space.n, model_space.start) == (env_space.n, env_space.start)
    if isinstance(model_space, spaces.Dict) and isinstance(env_space, spaces.Dict):
        # Dict observations (image + instruction): SB3 transposes each image entry on its own.
        return model_space.keys() == env_space.keys() and all(
            _space_matches(model_space[key], env_space[key]) for key in env_space
        )
    return model_space == env_space


def load_model(path: str | Path, env: gym.Env, algo: str = "ppo", device: str = "cpu") -> Any:
    """Load an SB3 / sb3-contrib model and check its spaces against ``env``'s.

    A model whose flat observation is ``k`` of the env's stacked (trained with ``--frame-stack k``)
    comes back wrapped in :class:`FrameStackPolicy`.
    """
    path = Path(path)
    if not path.is_file() and not path.with_suffix(path.suffix + ".zip").is_file():
        raise EvaluationError(f"model file not found: {path} (a policy is random, oracle or a saved model .zip)")
    model_class = algo_class(algo)
    try:
        model = model_class.load(str(path), device=device)
    except Exception as exc:  # SB3 raises many types for a wrong algo or a corrupt zip
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise EvaluationError(f"could not load {path} as {algo}: {message}") from exc
    frames = stacked_frames(model.observation_space, env.observation_space)
    for kind in ("observation_space", "action_space"):
        model_space, env_space = getattr(model, kind), getattr(env, kind)
        if kind == "observation_space" and frames > 1:
            continue  # a model trained with --frame-stack: wrapped below
        if not _space_matches(model_space, env_space):
            env_id = env.spec.id if env.spec else type(env).__name__
            raise EvaluationError(
                f"model {path.name} has {kind.replace('_', ' ')} {model_space} but {env_id} has {env_space}"
            )
    return FrameStackPolicy(model, frames) if frames > 1 else model


def load_policy(spec: str, env_id: str, algo: str = "ppo", seed: int = 0, **env_kwargs: Any) -> Policy:
    """Turn ``'random'``, ``'oracle'`` or a model path (loaded as ``algo``) into a policy for ``env_id``."""
    if spec == "oracle":
        return OraclePolicy()
    env = gym.make(env_id, **env_kwargs)
    try:
        if spec == "random":
            return RandomPolicy(env.action_space, seed=seed)
        return load_model(spec, env, algo=algo)
    finally:
        env.close()

"""Run a policy for N episodes in a Gymnasium vector env and return one record per episode.

Only the shared ``info`` keys are read (``item``, ``item_rank``, ``num_items``, ``frequency_bin``,
``success``, and ``map_rank``/``level``/``normalized_score`` when present), so any Zipfian env works unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode

import zipfian_envs
from zipfian_envs.core import skew
from zipfian_envs.evaluation import protocols as proto
from zipfian_envs.evaluation.errors import EvaluationError
from zipfian_envs.evaluation.policies import Policy, as_policy, load_policy
from zipfian_envs.registration import NAMESPACE, SELECTION_KEYWORDS, selection_kwargs, selection_of
from zipfian_envs.vector.base import NativeVectorEnv, PerEnvCalls
from zipfian_envs.vector.infos import info_rows

# auto: the id's native vector env when it has one (Zipfian ids with a vector entry point), else sync.
VECTORIZATION_MODES = ("auto", "native", "sync", "async")
DEFAULT_MIN_EPISODES_PER_RANK = 10


class ScheduledEpisodes(gym.Wrapper):
    """Starts each episode with its own seed and reset options, taken in turn from ``schedule``.

    Autoreset happens inside the vector env, so per-episode seeds and pinned ranks must come from
    the sub-env itself. Once the schedule runs out, resets fall back to the env's own draws.
    Only the final step's ``info`` is passed on: the harness reads nothing else.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.schedule: list[tuple[int, dict[str, Any] | None]] = []
        self._position = 0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Reset with the next scheduled (seed, options), or pass the arguments through."""
        if self._position < len(self.schedule):
            seed, options = self.schedule[self._position]
            self._position += 1
        obs, _ = self.env.reset(seed=seed, options=options)
        return obs, {}

    def step(self, action: Any):
        """Step the env; keep ``info`` only on an episode's last step, the one the harness reads."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        # Merging every step's info into vector-env arrays was a third of the evaluation time.
        return obs, reward, terminated, truncated, info if terminated or truncated else {}


class ScheduledVectorEnv(gym.vector.VectorWrapper):
    """A native vector env run the harness's way: every episode starts with its own scheduled seed and options.

    The wrapped env has autoreset disabled. After each step, the sub-envs that finished are reset
    at once (one masked reset) with their next scheduled (seed, options), and the step's info is
    passed on as ``final_info``, as same-step autoreset reports it; so episodes, actions and
    records are those of :class:`ScheduledEpisodes` in a ``SyncVectorEnv``. Once a sub-env's
    schedule runs out, it resets from its own generator.
    """

    env: NativeVectorEnv[Any]

    def __init__(self, env: NativeVectorEnv[Any], schedules: list[list[tuple[int, dict[str, Any] | None]]]) -> None:
        super().__init__(env)
        if env.metadata.get("autoreset_mode") != AutoresetMode.DISABLED:
            raise ValueError("ScheduledVectorEnv needs a vector env made with autoreset_mode=AutoresetMode.DISABLED")
        self.schedules = schedules
        self._positions = [0] * env.num_envs

    def _next_starts(self, mask: np.ndarray) -> tuple[list[int | None], dict[str, list[Any]]]:
        """Seeds and per-env reset options for the sub-envs in ``mask``, taken from their schedules."""
        seeds: list[int | None] = [None] * self.num_envs
        options: dict[str, list[Any]] = {}
        for i in np.flatnonzero(mask):
            if self._positions[i] < len(self.schedules[i]):
                seeds[i], episode_options = self.schedules[i][self._positions[i]]
                self._positions[i] += 1
                for key, value in (episode_options or {}).items():
                    options.setdefault(key, [None] * self.num_envs)[i] = value
        return seeds, options

    def reset(self, *, seed: Any = None, options: dict[str, Any] | None = None):
        """Start every sub-env's first scheduled episode (``seed`` and ``options`` are the schedule's)."""
        seeds, scheduled = self._next_starts(np.ones(self.num_envs, dtype=bool))
        obs, _ = self.env.reset(seed=seeds, options=scheduled or None)
        return obs, {}

    def step(self, actions: Any):
        """Step, then start the next scheduled episode in every sub-env that finished."""
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        dones = terminated | truncated
        if not dones.any():
            return obs, rewards, terminated, truncated, {}
        seeds, scheduled = self._next_starts(dones)
        reset_obs, _ = self.env.reset(seed=seeds, options={"reset_mask": dones, **scheduled})
        return _take_where(dones, reset_obs, obs), rewards, terminated, truncated, {"final_info": info}

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Per-sub-env results of the wrapped env's ``call`` (the oracle policy uses it)."""
        return self.env.call(name, *args, **kwargs)


def _take_where(mask: np.ndarray, new: Any, old: Any) -> Any:
    """Batched observations: sub-env ``i``'s from ``new`` where ``mask[i]``, else from ``old`` (dicts key by key)."""
    if isinstance(old, dict):
        return {key: _take_where(mask, new[key], value) for key, value in old.items()}
    out = np.array(old, copy=True)
    out[mask] = np.asarray(new)[mask]
    return out


def find_spec(env_id: str) -> gym.envs.registration.EnvSpec:
    """The registered spec of ``env_id`` (``module:Id`` imports the module first); one-line error if unknown."""
    name = env_id
    try:
        if ":" in env_id:
            module, name = env_id.split(":", 1)
            importlib.import_module(module)
        return gym.spec(name)
    except (gym.error.Error, ImportError) as exc:
        detail = " ".join(str(exc).split())
        raise EvaluationError(
            f"unknown env id {env_id!r} ({detail}); Zipfian ids: {', '.join(zipfian_envs.env_ids())}"
        ) from exc


def env_creator(env_id: str) -> Callable[..., Any]:
    """The class (or factory) ``env_id`` is registered with."""
    entry_point = find_spec(env_id).entry_point
    if callable(entry_point):
        return entry_point
    if entry_point is None:
        raise EvaluationError(f"{env_id}: registered without an entry point")
    try:
        return gym.envs.registration.load_env_creator(entry_point)
    except (AttributeError, ImportError, ValueError) as exc:
        raise EvaluationError(f"{env_id}: cannot load its entry point {entry_point!r} ({exc})") from exc


def protocol_levels(env_id: str, training_level: str | None = None, **env_kwargs: Any) -> dict[str, str | None]:
    """The ``level=`` each protocol runs ``env_id`` at, from its training level.

    Asks the env class's ``protocol_levels`` classmethod (see :mod:`zipfian_envs.evaluation.protocols`)
    with the id's registered kwargs and ``env_kwargs`` (the level left out); envs without one get the
    shared grammar's :func:`~zipfian_envs.evaluation.protocols.default_protocol_levels`. An unknown
    training level raises ``ValueError`` naming it and the valid forms.
    """
    spec = find_spec(env_id)
    method = getattr(env_creator(env_id), proto.PROTOCOL_LEVELS_METHOD, None)
    if method is None:
        return proto.default_protocol_levels(training_level)
    kwargs = {**spec.kwargs, **env_kwargs}
    for keyword in SELECTION_KEYWORDS:
        kwargs.pop(keyword, None)
    return proto.check_protocol_levels(method(training_level, **kwargs), spec.id)


def resolve_training_level(env_id: str, level: str | None = None, **env_kwargs: Any) -> str | None:
    """``level`` if given, else the level the env reports it runs at; checked through :func:`protocol_levels`."""
    if level is None:
        level = selection_of(find_spec(env_id).kwargs)
    if level is None:
        # The plain id leaves the level to the env (exponent= may stand in for it): ask the env.
        env = gym.make(env_id, **env_kwargs)
        try:
            level = env.reset(seed=0)[1].get("level")
        finally:
            env.close()
    if level is not None:
        protocol_levels(env_id, level, **env_kwargs)
    return level


def _check_count(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise EvaluationError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def env_kwargs_for(level: str | None, env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """Env constructor kwargs for a level (None keeps the env's own)."""
    kwargs = dict(env_kwargs)
    if level is not None:
        # exponent= is Gridworld shorthand for a zipf level; the explicit level replaces it.
        kwargs.pop("exponent", None)
        for keyword in SELECTION_KEYWORDS:
            kwargs.pop(keyword, None)
        kwargs.update(selection_kwargs(level))
    return kwargs


def _probe_num_items(env_id: str, kwargs: dict[str, Any], seed: int) -> int:
    """Make one env (fails fast with a clear error before any worker starts) and read num_items."""
    find_spec(env_id)
    env = gym.make(env_id, **kwargs)
    try:
        _, info = env.reset(seed=seed)
    finally:
        env.close()
    missing = {"item_rank", "num_items"} - set(info)
    if missing:
        raise EvaluationError(f"{env_id} does not report the info keys {sorted(missing)} the harness needs")
    return int(info["num_items"])


def uses_native_vector_env(env_id: str, vectorization: str) -> bool:
    """Whether ``vectorization`` runs ``env_id`` on its native vector env (auto: whenever it has one)."""
    if vectorization not in VECTORIZATION_MODES:
        raise EvaluationError(f"unknown vectorization {vectorization!r}; valid: {', '.join(VECTORIZATION_MODES)}")
    spec = find_spec(env_id)
    native = spec.namespace == NAMESPACE and spec.vector_entry_point is not None
    if vectorization == "native" and not native:
        raise EvaluationError(f"{env_id} has no native vector env; use vectorization 'sync' or 'async'")
    return native and vectorization in ("auto", "native")


def _make_vector_env(
    env_id: str,
    num_envs: int,
    vectorization: str,
    schedules: list[list[tuple[int, dict[str, Any] | None]]],
    kwargs: dict[str, Any],
) -> gym.vector.VectorEnv:
    """The vector env to evaluate in; sub-env ``i`` starts its episodes from ``schedules[i]``."""
    if uses_native_vector_env(env_id, vectorization):
        vec = gym.make_vec(
            env_id,
            num_envs=num_envs,
            vectorization_mode="vector_entry_point",
            autoreset_mode=AutoresetMode.DISABLED,
            **kwargs,
        )
        return ScheduledVectorEnv(cast("NativeVectorEnv[Any]", vec), schedules)
    vec = gym.make_vec(
        env_id,
        num_envs=num_envs,
        vectorization_mode=vectorization if vectorization != "auto" else "sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
        wrappers=[ScheduledEpisodes],
        **kwargs,
    )
    cast(PerEnvCalls, vec).set_attr("schedule", schedules)
    return vec


def _run_episodes(
    policy: Policy,
    vec: gym.vector.VectorEnv,
    quotas: np.ndarray,
    deterministic: bool,
    progress: Callable[[int], None] | None,
) -> list[tuple[int, dict[str, Any], float, int]]:
    """Step until every sub-env has finished its quota; return (episode, final info, return, length).

    Sub-env ``i`` runs episodes ``i, i + k, i + 2k, ...``; episodes beyond its quota (while others
    finish) are discarded, so the kept episodes never favour short ones.
    """
    k = vec.num_envs
    done_count = np.zeros(k, dtype=np.int64)
    returns = np.zeros(k, dtype=np.float64)
    lengths = np.zeros(k, dtype=np.int64)
    finished: list[tuple[int, dict[str, Any], float, int]] = []
    obs, _ = vec.reset()
    episode_start = np.ones(k, dtype=bool)
    state = None
    while np.any(done_count < quotas):
        actions, state = policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)
        obs, rewards, terminated, truncated, infos = vec.step(np.asarray(actions))
        returns += rewards
        lengths += 1
        dones = np.logical_or(terminated, truncated)
        if dones.any():
            # Same-step autoreset: the last step's info is under final_info, obs is already the reset one.
            final_info = infos.get("final_info", {})
            new = 0
            ended = np.flatnonzero(dones)
            for i, row in zip(ended, info_rows(final_info, ended)):
                if done_count[i] < quotas[i]:
                    finished.append((int(i + done_count[i] * k), row, returns[i], lengths[i]))
                    new += 1
                done_count[i] += 1
            returns[dones] = 0.0
            lengths[dones] = 0
            if progress is not None and new:
                progress(new)
        # The recurrent state must restart exactly where a sub-env just began a new episode.
        episode_start = dones
    return finished


def evaluate(
    policy: Any,
    env_id: str,
    level: str | None = None,
    episodes: int = 100,
    seed: int = 0,
    num_envs: int = 8,
    protocol: str | None = None,
    min_episodes_per_rank: int = DEFAULT_MIN_EPISODES_PER_RANK,
    *,
    vectorization: str = "auto",
    deterministic: bool = True,
    progress: Callable[[int], None] | None = None,
    **env_kwargs: Any,
) -> list[dict[str, Any]]:
    """Run ``policy`` on ``env_id`` and return one record per episode, sorted by episode index.

    ``level`` is the training level; ``protocol`` (zipfian, uniform, rare; None means zipfian)
    picks the evaluation distribution from it (:func:`protocol_levels`). The uniform protocol runs
    a multiple of the number of items, at least ``min_episodes_per_rank`` per rank, so it may run
    more than ``episodes``.
    Each episode is reset with a seed derived from (seed, protocol, episode), so which items
    and maps are drawn does not depend on ``num_envs``. ``vectorization``: ``auto`` (default)
    runs the id's native vector env when it has one, else ``sync``; all modes give the same records.
    """
    protocol = "zipfian" if protocol is None else proto.check_protocol(protocol)
    episodes = _check_count("episodes", episodes, 1)
    seed = _check_count("seed", seed, 0)
    num_envs = _check_count("num_envs", num_envs, 1)
    min_episodes_per_rank = _check_count("min_episodes_per_rank", min_episodes_per_rank, 0)
    uses_native_vector_env(env_id, vectorization)  # checks the mode (and the id) before any env is made
    # The env's own protocol-levels contract (or the shared grammar) checks the level and picks the run's.
    run_level = protocol_levels(env_id, level, **env_kwargs)[protocol]
    kwargs = env_kwargs_for(run_level, env_kwargs)
    num_items = _probe_num_items(env_id, kwargs, seed)

    if protocol == "uniform":
        episodes = proto.uniform_episode_count(episodes, num_items, min_episodes_per_rank)
        ranks = proto.pinned_ranks(episodes, num_items)
        options: list[dict[str, Any] | None] = [{"item_rank": int(r)} for r in ranks]
    else:
        options = [None] * episodes
    seeds = proto.episode_seeds(seed, protocol, episodes)
    num_envs = min(num_envs, episodes)
    schedules = [[(int(seeds[e]), options[e]) for e in range(i, episodes, num_envs)] for i in range(num_envs)]
    quotas = np.array([len(s) for s in schedules], dtype=np.int64)

    if isinstance(policy, str):
        policy = load_policy(policy, env_id, seed=seed, **kwargs)
    policy = as_policy(policy)
    vec = _make_vector_env(env_id, num_envs, vectorization, schedules, kwargs)
    try:
        bind = getattr(policy, "bind", None)
        if callable(bind):
            bind(vec)
        finished = _run_episodes(policy, vec, quotas, deterministic, progress)
    finally:
        vec.close()

    records = []
    for episode, info, episode_return, length in sorted(finished, key=lambda f: f[0]):
        rank, n = int(info["item_rank"]), int(info["num_items"])
        pinned = options[episode]
        if pinned is not None and rank != pinned["item_rank"]:
            raise EvaluationError(f"{env_id} ignored reset(options={pinned}) and drew rank {rank}")
        record = {
            "env_id": env_id,
            "level": info.get("level", run_level),
            "protocol": protocol,
            "seed": seed,
            "episode": episode,
            "item": str(info.get("item", rank)),
            "item_rank": rank,
            "num_items": n,
            "frequency_bin": str(info.get("frequency_bin") or skew.frequency_bin(rank, n)),
            "return": float(episode_return),
            "length": int(length),
            # An env without a success flag counts a positive return as success.
            "success": bool(info["success"]) if "success" in info else bool(episode_return > 0),
        }
        if "map_rank" in info:
            record["map_rank"] = int(info["map_rank"])
        if "normalized_score" in info:  # graded envs (the Labyrinth): 0 = random policy, 1 = scripted reference
            record["normalized_score"] = float(info["normalized_score"])
        records.append(record)
    return records


def evaluate_protocols(
    policy: Any,
    env_id: str,
    training_level: str | None = None,
    episodes: int = 100,
    seed: int = 0,
    num_envs: int = 8,
    protocols: Sequence[str] = proto.PROTOCOLS,
    *,
    min_episodes_per_rank: int = DEFAULT_MIN_EPISODES_PER_RANK,
    vectorization: str = "auto",
    deterministic: bool = True,
    progress: Callable[[int], None] | None = None,
    **env_kwargs: Any,
) -> dict[str, list[dict[str, Any]]]:
    """Run :func:`evaluate` under each protocol; returns ``{protocol: records}``."""
    for protocol in protocols:
        proto.check_protocol(protocol)
    if isinstance(policy, str):
        policy = load_policy(policy, env_id, seed=seed, **env_kwargs_for(training_level, env_kwargs))
    return {
        protocol: evaluate(
            policy,
            env_id,
            level=training_level,
            episodes=episodes,
            seed=seed,
            num_envs=num_envs,
            protocol=protocol,
            min_episodes_per_rank=min_episodes_per_rank,
            vectorization=vectorization,
            deterministic=deterministic,
            progress=progress,
            **env_kwargs,
        )
        for protocol in protocols
    }

"""Evaluation protocols (named as in the paper) and the per-episode schedules that realise them.

* ``zipfian``: items drawn from the training level, as the env draws them.
* ``uniform``: every item equally often; ranks are pinned through ``reset(options={"item_rank": r})``
  and spread evenly so every rank gets the same number of episodes (at least a minimum).
* ``rare``: the ``uniform_rare`` level (uniform over the rarest 20% of ranks).

Which ``level=`` each protocol runs an env at is the env's to say (the *protocol-levels
contract*): an env class may define a classmethod ``protocol_levels(level, **kwargs)`` that takes
a training level (None: the env's default) and the id's other constructor kwargs, and returns
``{"zipfian": ..., "uniform": ..., "rare": ...}``, the ``level=`` values to construct the env with
(``zipfian`` may stay None), raising ``ValueError`` naming the bad level and the valid forms. So
an env whose level names carry more than the shared grammar (the Playroom's
``put/put_on_bed_tray_frequent``: a task plus the ``frequent`` split) states its own training
distribution and how to evaluate it. Without the classmethod the shared grammar applies:
:func:`default_protocol_levels` (the training level, ``uniform``, ``uniform_rare``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.evaluation.errors import EvaluationError

PROTOCOLS: tuple[str, ...] = ("zipfian", "uniform", "rare")
# Mixed into each protocol's episode seeds so protocols never replay each other's episodes.
_PROTOCOL_CODES = {"zipfian": 0, "uniform": 1, "rare": 2}


def check_protocol(protocol: str) -> str:
    """Return ``protocol`` if it is known, else raise a one-line ``EvaluationError``."""
    if protocol not in PROTOCOLS:
        raise EvaluationError(f"unknown protocol {protocol!r}; valid: {', '.join(PROTOCOLS)}")
    return protocol


PROTOCOL_LEVELS_METHOD = "protocol_levels"


def default_protocol_levels(training_level: str | None) -> dict[str, str | None]:
    """The shared grammar's protocol levels: the training level (checked), ``uniform``, ``uniform_rare``."""
    if training_level is not None:
        skew.parse_distribution(training_level)
    return {"zipfian": training_level, "uniform": "uniform", "rare": "uniform_rare"}


def check_protocol_levels(levels: Any, owner: str) -> dict[str, str | None]:
    """Return ``levels`` if it maps each protocol to a level (a string; None allowed for zipfian), else raise."""
    if not isinstance(levels, dict) or set(levels) != set(PROTOCOLS):
        raise EvaluationError(
            f"{owner}.{PROTOCOL_LEVELS_METHOD}() must return a dict with the keys {', '.join(PROTOCOLS)}, "
            f"got {levels!r}"
        )
    for protocol, level in levels.items():
        if not (isinstance(level, str) or (level is None and protocol == "zipfian")):
            raise EvaluationError(f"{owner}.{PROTOCOL_LEVELS_METHOD}() gave {protocol!r} the level {level!r}")
    return {protocol: levels[protocol] for protocol in PROTOCOLS}


def protocol_level(protocol: str, training_level: str | None) -> str | None:
    """The level an env of the shared grammar runs at under ``protocol`` (None: the env's own default)."""
    check_protocol(protocol)
    return default_protocol_levels(training_level)[protocol]


def protocol_of_level(level: str, training_level: str | None) -> str:
    """The protocol that episodes played at ``level`` belong to (for records made outside the harness)."""
    if level == "uniform":
        return "uniform"
    if level == "uniform_rare":
        return "rare"
    if training_level is not None and level != training_level:
        raise EvaluationError(
            f"records at level {level!r} fit no protocol of training level {training_level!r}; "
            f"valid levels: {training_level}, uniform, uniform_rare"
        )
    return "zipfian"


# Episodes per protocol of one evaluation (README, "Limits"): the harness plans every episode's target
# and seed up front, so 10**12 ran NumPy out of memory; 10**8 is about a day of the fastest env.
MAX_EPISODES = 100_000_000


def uniform_episode_count(episodes: int, num_items: int, min_episodes_per_rank: int) -> int:
    """Episodes for the uniform protocol: a multiple of ``num_items`` with each rank >= the minimum."""
    per_rank = max(int(min_episodes_per_rank), math.ceil(episodes / num_items))
    return per_rank * num_items


def pinned_ranks(total: int, num_items: int) -> np.ndarray:
    """Item rank of each uniform-protocol episode: ranks 1..n in turn, so counts differ by at most 1."""
    return np.arange(total) % num_items + 1


def episode_seeds(seed: int, protocol: str, total: int) -> np.ndarray:
    """One reset seed per episode, a pure function of (seed, protocol, episode index).

    Seeding every episode (not every sub-env) makes an episode's item and map independent of
    ``num_envs`` and of which sub-env happens to run it.
    """
    sequence = np.random.SeedSequence([int(seed), _PROTOCOL_CODES[check_protocol(protocol)]])
    return sequence.generate_state(max(total, 1), dtype=np.uint32)[:total].astype(np.int64)

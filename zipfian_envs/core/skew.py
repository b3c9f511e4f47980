"""Skew samplers: the one home of every item distribution used by the suite.

Items are ranked 1..n by how often they occur under the Zipf order (rank 1 is the most
frequent). A *distribution* name says how often each rank is drawn:

* ``uniform``: every rank equally likely.
* ``uniform_rare``: uniform over the rarest 20% (the last ``max(1, n // 5)`` ranks).
* ``uniform_common``: uniform over the most frequent 20% (the first ``max(1, n // 5)`` ranks).
* ``zipf_{a}`` or ``zipf{a}``: ``p_k = k**-a / sum_j j**-a`` with float ``a >= 0``.

Every draw takes the caller's ``np.random.Generator``; nothing here owns a random state.

Vocabulary (one meaning each, across the suite): a *distribution* is one of these names; a *level*
is a named environment configuration (one of the Labyrinth's 30, or a Playroom reference level such
as ``lift/lift_shape_zipf2``, which fixes a task and a distribution); a *task* is what a Playroom
instruction asks for (``lift``, ``put_on``, ...). The older names ``Level``, ``parse_level``,
``level_weights``, ``LEVEL_FORMS`` and ``RankSampler.from_level`` still work for one release and
warn with ``DeprecationWarning``.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from zipfian_envs.core.types import FloatArray, IntArray

DISTRIBUTION_FORMS = ("uniform", "uniform_rare", "uniform_common", "zipf_{a}", "zipf{a}")
FREQUENCY_BINS = ("common", "medium", "rare")

_ZIPF_PATTERN = re.compile(r"^zipf_?(?P<exponent>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")


def _check_num_items(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of items must be an integer >= 1, got {n!r}")
    return int(n)


def tail_size(n: int) -> int:
    """Number of ranks in the common (or rare) 20% tail: ``max(1, n // 5)``."""
    return max(1, _check_num_items(n) // 5)


def zipf(n: int, exponent: float) -> np.ndarray:
    """Zipf weights over ranks 1..n: ``k**-exponent``, normalised to sum to 1."""
    n = _check_num_items(n)
    exponent = float(exponent)
    if not math.isfinite(exponent) or exponent < 0:
        raise ValueError(f"Zipf exponent must be a finite float >= 0, got {exponent!r}")
    weights = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    normalised: FloatArray = weights / weights.sum()
    return normalised


def uniform(n: int) -> np.ndarray:
    """Equal weight on every rank."""
    n = _check_num_items(n)
    return np.full(n, 1.0 / n)


def uniform_rare(n: int) -> np.ndarray:
    """Uniform over the rarest ``max(1, n // 5)`` ranks, zero elsewhere."""
    k = tail_size(n)
    weights = np.zeros(n)
    weights[n - k :] = 1.0 / k
    return weights


def uniform_common(n: int) -> np.ndarray:
    """Uniform over the most frequent ``max(1, n // 5)`` ranks, zero elsewhere."""
    k = tail_size(n)
    weights = np.zeros(n)
    weights[:k] = 1.0 / k
    return weights


def reversed_weights(weights: np.ndarray) -> np.ndarray:
    """The same weights in reverse rank order (the rarest item becomes the most frequent)."""
    flipped: FloatArray = validate_weights(weights)[::-1].copy()
    return flipped


def validate_weights(weights: np.ndarray | list[float]) -> np.ndarray:
    """Check a user-given weight vector and return it normalised to sum to 1."""
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or array.size < 1:
        raise ValueError(f"weights must be a non-empty 1-D vector, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"weights must be finite (no NaN or inf), got {array.tolist()}")
    if np.any(array < 0):
        raise ValueError(f"weights must be non-negative, got {array.tolist()}")
    total = array.sum()
    if total <= 0:
        raise ValueError("weights must not sum to 0")
    normalised: FloatArray = array / total
    return normalised


@dataclass(frozen=True)
class Distribution:
    """A parsed distribution name: ``kind`` is uniform, uniform_rare, uniform_common or zipf."""

    name: str
    kind: str
    exponent: float = 0.0

    def weights(self, n: int) -> np.ndarray:
        """Weights over ranks 1..n for this distribution."""
        if self.kind == "zipf":
            return zipf(n, self.exponent)
        return {"uniform": uniform, "uniform_rare": uniform_rare, "uniform_common": uniform_common}[self.kind](n)


def parse_distribution(name: str) -> Distribution:
    """Parse a distribution name of the shared grammar; raise ``ValueError`` listing valid forms."""
    if not isinstance(name, str):
        raise ValueError(f"distribution must be a string, got {name!r}; valid forms: {', '.join(DISTRIBUTION_FORMS)}")
    if name in ("uniform", "uniform_rare", "uniform_common"):
        return Distribution(name=name, kind=name)
    match = _ZIPF_PATTERN.match(name)
    if match:
        exponent = float(match.group("exponent"))
        if math.isfinite(exponent):
            return Distribution(name=name, kind="zipf", exponent=exponent)
    raise ValueError(
        f"unknown distribution {name!r}; valid forms: {', '.join(DISTRIBUTION_FORMS)} "
        "with a float exponent a >= 0 (e.g. zipf_2, zipf_1.5, zipf1)"
    )


def is_distribution(name: object) -> bool:
    """Whether ``name`` is a distribution name of the shared grammar."""
    try:
        parse_distribution(name)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def distribution_weights(distribution: str, n: int) -> np.ndarray:
    """Weights over ranks 1..n for a distribution name."""
    return parse_distribution(distribution).weights(n)


def frequency_bin(rank: int, n: int) -> str:
    """Frequency bin of a 1-based rank: common (top 20%), rare (bottom 20%) or medium."""
    k = tail_size(n)
    if not 1 <= rank <= n:
        raise ValueError(f"rank must be in 1..{n}, got {rank!r}")
    if rank <= k:
        return "common"
    if rank > n - k:
        return "rare"
    return "medium"


class RankSampler:
    """Draws 1-based ranks from a weight vector with a caller-supplied generator."""

    def __init__(self, weights: np.ndarray | list[float]) -> None:
        self.weights = validate_weights(weights)
        self.num_items = int(self.weights.size)
        cdf = np.cumsum(self.weights)
        cdf[-1] = 1.0
        self._cdf = cdf
        self._bins = tuple(frequency_bin(r, self.num_items) for r in range(1, self.num_items + 1))

    @classmethod
    def from_distribution(cls, distribution: str, n: int) -> RankSampler:
        """Sampler over ranks 1..n for a distribution name of the shared grammar."""
        return cls(distribution_weights(distribution, n))

    @classmethod
    def from_level(cls, level: str, n: int) -> RankSampler:
        """Deprecated name of :meth:`from_distribution`."""
        _warn_renamed("RankSampler.from_level", "RankSampler.from_distribution")
        return cls.from_distribution(level, n)

    @overload
    def sample(self, rng: np.random.Generator, size: None = None) -> int: ...
    @overload
    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> IntArray: ...
    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] | None = None) -> int | IntArray:
        """One rank (int) when ``size`` is None, else an int64 array of ranks."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        ranks = self.ranks_from_uniforms(rng.random(size))
        return int(ranks) if size is None else ranks

    def ranks_from_uniforms(self, u: float | np.ndarray) -> IntArray:
        """The ranks (int64) that uniforms in [0, 1) map to: the inverse-cdf rule behind :meth:`sample`.

        Batched envs draw each sub-env's uniforms from its own generator and map them here at once.
        """
        # Zero-weight ranks have flat cdf steps, so side="right" never lands on them.
        ranks: IntArray = np.searchsorted(self._cdf, u, side="right").astype(np.int64) + 1
        return ranks

    def frequency_bin(self, rank: int) -> str:
        """Frequency bin of a rank for this sampler's number of items."""
        if not 1 <= rank <= self.num_items:
            raise ValueError(f"rank must be in 1..{self.num_items}, got {rank!r}")
        return self._bins[rank - 1]


@dataclass(frozen=True)
class BurstyBatch:
    """Context items (B, L), query items (B,), which sequences were bursty (B,) and item senses.

    ``context_sense`` (B, L) and ``query_sense`` (B,) say which of an item's ``senses`` meanings each
    occurrence takes (polysemy); one item keeps one sense within a sequence. All zeros when ``senses=1``.
    """

    context: np.ndarray
    query: np.ndarray
    bursty: np.ndarray
    context_sense: np.ndarray | None = None
    query_sense: np.ndarray | None = None


def _draw_senses(rng: np.random.Generator, items: np.ndarray, senses: int) -> np.ndarray:
    """One sense per (sequence, distinct item), copied to every occurrence of that item in the row."""
    choice = rng.integers(0, senses, size=items.shape)
    # The first position holding the same item in the row decides that item's sense for the whole row.
    first = np.argmax(items[:, :, None] == items[:, None, :], axis=2)
    return np.take_along_axis(choice, first, axis=1)


def bursty_sequences(
    rng: np.random.Generator,
    weights: np.ndarray | list[float],
    num_sequences: int,
    context_length: int = 8,
    p_bursty: float = 0.9,
    shots: int = 3,
    ways: int = 2,
    senses: int = 1,
    exclude_query: bool = False,
    exclusive_bursts: bool = False,
) -> BurstyBatch:
    """Draw item sequences where items arrive in bursts.

    With probability ``p_bursty`` a sequence embeds a ``shots``-shot ``ways``-way problem: ``ways``
    distinct items drawn from ``weights`` appear ``shots`` times each at random positions, the rest
    of the context is i.i.d. from ``weights`` and the query is one of the burst items. Otherwise
    every context item and the query are i.i.d. from ``weights``. Items are 0-based indices.

    ``senses > 1`` also draws a sense per item occurrence (polysemy; see :class:`BurstyBatch`).
    ``exclude_query=True`` (only with ``p_bursty=0``) keeps the query item out of the context, as an
    in-weights test needs; the context is then i.i.d. from ``weights`` conditioned on not being the query.
    ``exclusive_bursts=True`` draws a bursty sequence's other context items conditioned on not being a
    burst item, so each burst item appears exactly ``shots`` times.
    With the defaults the draws are the same as before these options existed.
    """
    probs = validate_weights(weights)
    n = probs.size
    if not 0.0 <= p_bursty <= 1.0:
        raise ValueError(f"p_bursty must be in [0, 1], got {p_bursty!r}")
    if num_sequences < 1 or context_length < 1 or shots < 1 or ways < 1:
        raise ValueError(
            "num_sequences, context_length, shots and ways must be >= 1, got "
            f"{num_sequences}, {context_length}, {shots}, {ways}"
        )
    if shots * ways > context_length:
        raise ValueError(f"shots*ways={shots * ways} exceeds context_length={context_length}")
    if ways > np.count_nonzero(probs):
        raise ValueError(f"ways={ways} exceeds the {np.count_nonzero(probs)} items with weight > 0")
    if isinstance(senses, bool) or not isinstance(senses, (int, np.integer)) or senses < 1:
        raise ValueError(f"senses must be an integer >= 1, got {senses!r}")
    if exclude_query and p_bursty > 0:
        raise ValueError(f"exclude_query needs p_bursty=0 (bursty queries are in their context), got {p_bursty!r}")
    if exclude_query and np.count_nonzero(probs) < 2:
        raise ValueError("exclude_query needs at least 2 items with weight > 0")
    if exclusive_bursts and shots * ways < context_length and np.count_nonzero(probs) <= ways:
        raise ValueError(f"exclusive_bursts needs more than ways={ways} items with weight > 0 to fill the context")

    cdf = np.cumsum(probs)
    cdf[-1] = 1.0

    def draw(shape: int | tuple[int, int]) -> np.ndarray:
        return np.searchsorted(cdf, rng.random(shape), side="right")

    context = draw((num_sequences, context_length))
    query = draw(num_sequences)
    bursty = rng.random(num_sequences) < p_bursty
    idx = np.flatnonzero(bursty)
    if idx.size:
        # Distinct burst items: Gumbel-top-k sampling without replacement, vectorised over rows.
        with np.errstate(divide="ignore"):
            logits = np.log(probs)[None, :] + rng.gumbel(size=(idx.size, n))
        burst_items = np.argsort(-logits, axis=1)[:, :ways]
        positions = np.argsort(rng.random((idx.size, context_length)), axis=1)[:, : shots * ways]
        rows = np.repeat(idx, shots * ways).reshape(idx.size, -1)
        if exclusive_bursts:
            # Rejection keeps the fillers i.i.d. from the weights conditioned on not being a burst item.
            fillers = context[idx]
            is_filler = np.ones(fillers.shape, dtype=bool)
            is_filler[np.arange(idx.size)[:, None], positions] = False
            clash = (fillers[:, :, None] == burst_items[:, None, :]).any(axis=2) & is_filler
            while clash.any():
                fillers[clash] = draw(int(clash.sum()))
                clash = (fillers[:, :, None] == burst_items[:, None, :]).any(axis=2) & is_filler
            context[idx] = fillers
        context[rows, positions] = np.repeat(burst_items, shots, axis=1)
        query[idx] = burst_items[np.arange(idx.size), rng.integers(0, ways, idx.size)]
    if exclude_query:
        # Rejection keeps the exact conditional law; each pass redraws only the clashing positions.
        clash = context == query[:, None]
        while clash.any():
            context[clash] = draw(int(clash.sum()))
            clash = context == query[:, None]
    context, query = context.astype(np.int64), query.astype(np.int64)
    if senses > 1:
        sense = _draw_senses(rng, np.concatenate([context, query[:, None]], axis=1), senses)
        context_sense, query_sense = sense[:, :-1], sense[:, -1]
    else:
        context_sense, query_sense = np.zeros_like(context), np.zeros_like(query)
    return BurstyBatch(context, query, bursty, context_sense.astype(np.int64), query_sense.astype(np.int64))


_RENAMED = {
    "Level": ("Distribution", Distribution),
    "parse_level": ("parse_distribution", parse_distribution),
    "level_weights": ("distribution_weights", distribution_weights),
    "LEVEL_FORMS": ("DISTRIBUTION_FORMS", DISTRIBUTION_FORMS),
}


def _warn_renamed(old: str, new: str) -> None:
    warnings.warn(
        f"zipfian_envs.core.skew.{old} is deprecated and goes in the next release; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


def __getattr__(name: str) -> Any:
    """The deprecated names of this module (one release): they warn and return the new object."""
    if name in _RENAMED:
        new, value = _RENAMED[name]
        _warn_renamed(name, new)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

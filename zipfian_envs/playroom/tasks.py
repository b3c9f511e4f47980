"""Playroom levels: the reference's 18 names, parsed into a task and a distribution over items.

A level name is ``<family>/<task>_<distribution>``, e.g. ``lift/lift_shape_zipf2`` or
``put/put_on_bed_tray_frequent``. Tasks (ours: the reference publishes names only):

* ``lift/lift_shape``, ``put/lift_shape``: "lift a {object}". The put family's lift levels are the
  same task; the reference pairs them with put levels in its training mixtures.
* ``.../lift_shape_many``: the same with the 103-kind catalogue.
* ``put/put_on_bed_tray``: "put a {object} on the {bed|tray}"; ``put/put_near_bed_tray``: "... near ...".
* ``supervised/find_shape`` (and ``_many``): "find a {object}".

Items: for shape tasks an item is an object kind, ranked by its place in the catalogue. For the
bed/tray tasks an item is an (object kind, receptacle) combination of the 40 base kinds: 80 of
them. The compositional cut: the *rare* split holds, for each of the 16 kinds of ranks 25..40, one
receptacle (the bed for an even kind rank, the tray for an odd one): 16 combinations, 20% of 80,
ranked 65..80 (the ``uniform_rare`` tail). The *frequent* split is the other 64 (ranks 1..64),
so every kind and both receptacles occur in both splits; only the pairings differ.

Distributions: the shared grammar of :mod:`zipfian_envs.core.skew` (``uniform``, ``uniform_rare``,
``uniform_common``, ``zipf_{a}`` / ``zipf{a}``), plus ``frequent`` (uniform over every rank but the
rarest 20%); for the bed/tray tasks ``rare`` means ``uniform_rare`` and ``all`` means ``uniform``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.playroom.catalogue import catalogue

# task name -> (mode, catalogue)
TASKS: dict[str, tuple[str, str]] = {
    "lift/lift_shape": ("lift", "base"),
    "lift/lift_shape_many": ("lift", "many"),
    "put/lift_shape": ("lift", "base"),
    "put/lift_shape_many": ("lift", "many"),
    "put/put_on_bed_tray": ("put_on", "base"),
    "put/put_near_bed_tray": ("put_near", "base"),
    "supervised/find_shape": ("find", "base"),
    "supervised/find_shape_many": ("find", "many"),
}
DEFAULT_TASK = "lift/lift_shape"
DEFAULT_DISTRIBUTION = "zipf2"
# The reference's 18 released levels.
LEVELS: tuple[str, ...] = (
    "lift/lift_shape_uniform", "lift/lift_shape_uniform_rare", "lift/lift_shape_zipf2", "lift/lift_shape_zipf3",
    "lift/lift_shape_zipf4",
    "put/lift_shape_uniform", "put/lift_shape_uniform_rare", "put/lift_shape_zipf2", "put/lift_shape_many_zipf1",
    "put/lift_shape_many_zipf4",
    "put/put_on_bed_tray_frequent", "put/put_on_bed_tray_rare", "put/put_on_bed_tray_all",
    "put/put_near_bed_tray_frequent",
    "supervised/find_shape_uniform", "supervised/find_shape_uniform_rare", "supervised/find_shape_zipf2",
    "supervised/find_shape_zipf3",
)  # fmt: skip
RECEPTACLES: tuple[str, ...] = ("bed", "tray")
COMBO_ALIASES = {"rare": "uniform_rare", "all": "uniform"}
LEVEL_FORMS = "<family>/<task>_<distribution> (e.g. lift/lift_shape_zipf2), or a distribution alone: " + ", ".join(
    (*skew.DISTRIBUTION_FORMS, "frequent")
)


@dataclass(frozen=True)
class Task:
    """A parsed level: the task, its mode and catalogue, and the distribution over item ranks."""

    task: str
    mode: str
    catalogue: str
    distribution: str
    num_kinds: int | None = None  # keep only the catalogue's first kinds (see ``with_kinds``)

    @property
    def kinds(self) -> tuple[str, ...]:
        """The catalogue's kinds in rank order (its first ``num_kinds`` when set)."""
        kinds = catalogue(self.catalogue)
        return kinds if self.num_kinds is None else kinds[: self.num_kinds]

    def with_kinds(self, num_kinds: int | None) -> Task:
        """This task over the catalogue's ``num_kinds`` most frequent kinds only (None: all of them)."""
        if num_kinds is None:
            return self
        full = len(catalogue(self.catalogue))
        if isinstance(num_kinds, bool) or not isinstance(num_kinds, (int, np.integer)) or not 2 <= num_kinds <= full:
            raise ValueError(f"num_kinds must be an integer in 2..{full} for {self.task}, got {num_kinds!r}")
        if self.uses_combinations:
            raise ValueError(
                f"num_kinds applies to the lift and find tasks, not {self.task!r} (its items are fixed "
                f"(kind, receptacle) combinations); valid tasks: "
                + ", ".join(t for t, (mode, _) in TASKS.items() if mode in ("lift", "find"))
            )
        return Task(self.task, self.mode, self.catalogue, self.distribution, int(num_kinds))

    @property
    def uses_combinations(self) -> bool:
        """Whether items are (kind, receptacle) combinations."""
        return self.mode in ("put_on", "put_near")

    @property
    def num_items(self) -> int:
        """Number of ranked items."""
        return len(COMBINATIONS) if self.uses_combinations else len(self.kinds)

    def weights(self) -> np.ndarray:
        """Weights over ranks 1..num_items."""
        return distribution_weights(self.distribution, self.num_items)

    def item(self, rank: int) -> tuple[int, int]:
        """(kind index, receptacle index or -1) of a 1-based rank."""
        if self.uses_combinations:
            return COMBINATIONS[rank - 1]
        return rank - 1, -1

    def item_name(self, rank: int) -> str:
        """The ``info["item"]`` string of a rank: the kind, or ``kind:receptacle``."""
        kind, receptacle = self.item(rank)
        name = self.kinds[kind]
        return f"{name}:{RECEPTACLES[receptacle]}" if receptacle >= 0 else name

    def instruction(self, kind: int, receptacle: int) -> str:
        """The instruction text for a target kind (and receptacle)."""
        name = self.kinds[kind]
        article = "an" if name[0] in "aeiou" else "a"
        if self.mode == "lift":
            return f"lift {article} {name}"
        if self.mode == "find":
            return f"find {article} {name}"
        relation = "on" if self.mode == "put_on" else "near"
        return f"put {article} {name} {relation} the {RECEPTACLES[receptacle]}"


def _combinations() -> tuple[tuple[int, int], ...]:
    """(kind, receptacle) pairs in rank order: the 64 frequent ones, then the 16 rare ones."""
    rare = tuple((k, 0 if (k + 1) % 2 == 0 else 1) for k in range(24, 40))
    frequent = tuple((k, r) for k in range(40) for r in range(2) if (k, r) not in rare)
    return frequent + rare


COMBINATIONS: tuple[tuple[int, int], ...] = _combinations()
RARE_COMBINATIONS = frozenset(COMBINATIONS[-skew.tail_size(len(COMBINATIONS)) :])
FREQUENT_COMBINATIONS = frozenset(COMBINATIONS[: -skew.tail_size(len(COMBINATIONS))])


# Distributions the Playroom adds to the shared grammar.
EXTRA_DISTRIBUTIONS = ("frequent",)


def distribution_weights(distribution: str, n: int) -> np.ndarray:
    """Weights of a distribution name (the shared grammar or ``frequent``) over ranks 1..n."""
    if distribution == "frequent":
        weights = np.zeros(n)
        keep = n - skew.tail_size(n) if n > 1 else 1
        weights[:keep] = 1.0 / keep
        return weights
    try:
        return skew.distribution_weights(distribution, n)
    except ValueError:
        raise ValueError(f"unknown level {distribution!r}; valid forms: {LEVEL_FORMS}") from None


def check_task(task: str) -> str:
    """Return ``task`` if known, else raise ``ValueError`` listing the tasks."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; valid: {', '.join(TASKS)}")
    return task


def _slash_name(level: str) -> str:
    """A level name with its family written with ``/`` (ids write ``lift.lift_shape_zipf2``)."""
    if "/" not in level and level.split(".", 1)[0] in ("lift", "put", "supervised"):
        return level.replace(".", "/", 1)
    return level


def protocol_levels(level: str | None, task: str | None = None) -> dict[str, str | None]:
    """The ``level=`` of each evaluation protocol (zipfian, uniform, rare) for training level ``level``.

    ``zipfian`` is the level itself, its own training distribution (``frequent`` included);
    ``uniform`` and ``rare`` are ``uniform`` and ``uniform_rare`` over the same task's items (for the
    bed/tray levels the rare protocol is exactly the held-out rare split). A reference name keeps its
    task in the returned names (``put/put_on_bed_tray_uniform``), a bare distribution leaves it to
    ``task``. Raises ``ValueError`` as :func:`parse` does.
    """
    parsed = parse(level, task)
    prefix = f"{parsed.task}_" if level is not None and "/" in _slash_name(level) else ""
    return {"zipfian": level, "uniform": prefix + "uniform", "rare": prefix + "uniform_rare"}


def is_level_name(name: str) -> bool:
    """Whether ``name`` is written as a level (``<family>/<task>_<distribution>``), not a bare distribution."""
    return "/" in _slash_name(name)


def parse(level: str | None, task: str | None = None, distribution: str | None = None) -> Task:
    """Parse ``level`` (a level name) or ``distribution`` (applied to ``task``) into a :class:`Task`.

    A level name sets the task itself; ``task`` may repeat it but not contradict it. A bare
    distribution given as ``level`` is accepted too (the deprecated spelling; the env warns).
    """
    if task is not None:
        check_task(task)
    if level is not None and distribution is not None:
        raise ValueError(f"give either level={level!r} or distribution={distribution!r}, not both")
    if level is None:
        level = DEFAULT_DISTRIBUTION if distribution is None else distribution
        if not isinstance(level, str):
            raise ValueError(f"distribution must be a string, got {level!r}; valid forms: {LEVEL_FORMS}")
        if is_level_name(level):
            raise ValueError(f"distribution={level!r} is a level name; write level={level!r}")
    if not isinstance(level, str):
        raise ValueError(f"level must be a string, got {level!r}; valid forms: {LEVEL_FORMS}")
    name = _slash_name(level)
    if "/" in name:
        for prefix in sorted(TASKS, key=len, reverse=True):
            if name.startswith(prefix + "_"):
                parsed_task, distribution = prefix, name[len(prefix) + 1 :]
                break
        else:
            raise ValueError(f"unknown level {level!r}; valid forms: {LEVEL_FORMS}; tasks: {', '.join(TASKS)}")
        if task is not None and task != parsed_task:
            raise ValueError(f"level {level!r} is a {parsed_task!r} level but task={task!r} was given")
    else:
        parsed_task, distribution = (task or DEFAULT_TASK), name
    mode, cat = TASKS[parsed_task]
    if mode in ("put_on", "put_near"):
        distribution = COMBO_ALIASES.get(distribution, distribution)
    result = Task(task=parsed_task, mode=mode, catalogue=cat, distribution=distribution)
    try:
        result.weights()  # validates the distribution name
    except ValueError:
        raise ValueError(
            f"unknown level {level!r} (distribution {distribution!r}); valid forms: {LEVEL_FORMS}"
        ) from None
    return result

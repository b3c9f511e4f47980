"""The id table: every ``Zipfian/*`` id, its entry point and default kwargs, in one place.

Naming scheme: ``Zipfian/<Env>-v0`` takes ``level=`` (default: the paper's default level) and
``Zipfian/<Env>-<level>-v0`` pins one of the paper's levels, e.g. ``Zipfian/Gridworld-zipf_1.5-v0``.
A family's variants (fixed constructor kwargs, e.g. the Gridworld's symbolic observations) get the
same ids with the variant's name after the family's: ``Zipfian/Gridworld-Symbolic-v0``,
``Zipfian/Gridworld-Symbolic-zipf_1.5-v0``, so clients that pass only an id can reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

NAMESPACE = "Zipfian"


@dataclass(frozen=True)
class EnvFamily:
    """One environment family: its name, entry points, default level and the paper's levels.

    ``vector_entry_point`` is the family's native batched env (``gym.make_vec(id, num_envs=N,
    vectorization_mode="vector_entry_point")``); None only for the families listed in
    :data:`WITHOUT_VECTOR_ENV`.
    """

    name: str
    entry_point: str
    default_level: str
    paper_levels: tuple[str, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    vector_entry_point: str | None = None
    # A pinned id's kwargs per paper level, where they are not just {"distribution": level} (the Playroom's
    # level names carry a task, so its ids pass task= plus a distribution).
    level_kwargs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Variant name -> the kwargs it fixes; each variant is registered with every id of the family.
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def id_names(self) -> list[str]:
        """The family's name and each variant's ``<family>-<variant>`` name, the first part of its ids."""
        return [self.name, *(f"{self.name}-{variant}" for variant in self.variants)]


def playroom_level_kwargs() -> dict[str, dict[str, str]]:
    """Playroom id level ("/" written ".") -> the env's ``task=`` and ``distribution=``, from the family's own list."""
    from zipfian_envs.playroom.tasks import LEVELS, parse

    kwargs: dict[str, dict[str, str]] = {}
    for name in LEVELS:
        task = parse(name)
        kwargs[name.replace("/", ".")] = {"task": task.task, "distribution": task.distribution}
    return kwargs


_PLAYROOM_LEVELS = playroom_level_kwargs()

# Labyrinth: the reference's level names, plus zipf_1 with the frequency order reversed.
LABYRINTH_REVERSED = "zipf_1_reversed"

FAMILIES: tuple[EnvFamily, ...] = (
    EnvFamily(
        name="Gridworld",
        entry_point="zipfian_envs.gridworld.env:GridworldEnv",
        vector_entry_point="zipfian_envs.gridworld.vector:GridworldVectorEnv",
        default_level="zipf_2",
        paper_levels=("uniform", "uniform_rare", "zipf_1", "zipf_1.5", "zipf_2", "zipf_3"),
        variants={"Symbolic": {"obs_mode": "symbolic"}},
    ),
    EnvFamily(
        name="Playroom",
        entry_point="zipfian_envs.playroom.env:PlayroomEnv",
        vector_entry_point="zipfian_envs.playroom.vector:PlayroomVectorEnv",
        default_level="lift/lift_shape_zipf2",
        # The reference's 18 levels, "/" written "." in ids: Zipfian/Playroom-lift.lift_shape_zipf2-v0.
        paper_levels=tuple(_PLAYROOM_LEVELS),
        level_kwargs=_PLAYROOM_LEVELS,
    ),
    EnvFamily(
        name="Labyrinth",
        entry_point="zipfian_envs.labyrinth.env:LabyrinthEnv",
        vector_entry_point="zipfian_envs.labyrinth.vector:LabyrinthVectorEnv",
        default_level="zipf_1",
        paper_levels=("zipf_1", LABYRINTH_REVERSED, "uniform", "uniform_rare"),
        level_kwargs={LABYRINTH_REVERSED: {"distribution": "zipf_1", "reverse_order": True}},
    ),
)

# Families registered without a native vector env (vector_entry_point=None): each needs its own
# issue for a batched version. tests/test_vector_envs.py checks this set against FAMILIES.
WITHOUT_VECTOR_ENV: frozenset[str] = frozenset()


def env_ids() -> list[str]:
    """Every id this package registers."""
    ids = []
    for family in FAMILIES:
        for name in family.id_names():
            ids.append(f"{NAMESPACE}/{name}-v0")
            ids.extend(f"{NAMESPACE}/{name}-{level}-v0" for level in family.paper_levels)
    return ids


def family_ids(*names: str) -> list[str]:
    """Every registered Zipfian id of the named families (e.g. ``"Labyrinth", "Playroom"``), sorted."""
    known = {family.name for family in FAMILIES}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"unknown env families {unknown}; valid: {', '.join(sorted(known))}")
    return sorted(
        env_id
        for env_id, spec in gym.registry.items()
        if spec.namespace == NAMESPACE and spec.name.split("-")[0] in names
    )


def register_all() -> None:
    """Register every family's ids with Gymnasium (idempotent)."""
    for family in FAMILIES:
        variants: list[tuple[str, dict[str, Any]]] = [(family.name, {})]
        variants += [(f"{family.name}-{variant}", kwargs) for variant, kwargs in family.variants.items()]
        for name, variant_kwargs in variants:
            # The plain id leaves level to the env's own default so exponent= can stand in for it.
            entries: list[tuple[str, dict[str, Any]]] = [(f"{NAMESPACE}/{name}-v0", {})]
            entries += [
                (f"{NAMESPACE}/{name}-{level}-v0", family.level_kwargs.get(level, {"distribution": level}))
                for level in family.paper_levels
            ]
            for env_id, level_kwargs in entries:
                if env_id not in gym.registry:
                    gym.register(
                        id=env_id,
                        entry_point=family.entry_point,
                        vector_entry_point=family.vector_entry_point,
                        kwargs={**family.kwargs, **variant_kwargs, **level_kwargs},
                    )


def selection_kwargs(name: str | None) -> dict[str, str]:
    """The constructor keyword for a level-or-distribution string: ``distribution=`` or ``level=``.

    The tools take one ``--level`` string (a distribution such as ``zipf_2``, or a level such as
    ``put/put_on_bed_tray_frequent`` or a Labyrinth level name); the envs take the two apart.
    """
    if name is None:
        return {}
    from zipfian_envs.core import skew
    from zipfian_envs.playroom.tasks import EXTRA_DISTRIBUTIONS

    if skew.is_distribution(name) or name in EXTRA_DISTRIBUTIONS:
        return {"distribution": name}
    return {"level": name}


def selection_of(kwargs: dict[str, Any]) -> str | None:
    """The level-or-distribution string that env kwargs select (None: the env's default)."""
    selected: str | None = kwargs.get("level", kwargs.get("distribution"))
    return selected


SELECTION_KEYWORDS = ("level", "distribution")

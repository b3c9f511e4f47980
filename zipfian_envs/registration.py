"""The id table: every ``Zipfian/*`` id, its entry point and default kwargs, in one place.

Naming scheme: ``Zipfian/<Env>-v0`` takes ``level=`` (default: the paper's default level) and
``Zipfian/<Env>-<level>-v0`` pins one of the paper's levels, e.g. ``Zipfian/Gridworld-zipf_1.5-v0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gymnasium as gym

NAMESPACE = "Zipfian"


@dataclass(frozen=True)
class EnvFamily:
    """One environment family: its name, entry point, default level and the paper's levels."""

    name: str
    entry_point: str
    default_level: str
    paper_levels: tuple[str, ...]
    kwargs: dict = field(default_factory=dict)


FAMILIES: tuple[EnvFamily, ...] = (
    EnvFamily(
        name="Gridworld",
        entry_point="zipfian_envs.gridworld.env:GridworldEnv",
        default_level="zipf_2",
        paper_levels=("uniform", "uniform_rare", "zipf_1", "zipf_1.5", "zipf_2", "zipf_3"),
    ),
)


def env_ids() -> list[str]:
    """Every id this package registers."""
    ids = []
    for family in FAMILIES:
        ids.append(f"{NAMESPACE}/{family.name}-v0")
        ids.extend(f"{NAMESPACE}/{family.name}-{level}-v0" for level in family.paper_levels)
    return ids


def register_all() -> None:
    """Register every family's ids with Gymnasium (idempotent)."""
    for family in FAMILIES:
        # The plain id leaves level to the env's own default so exponent= can stand in for it.
        entries = [(f"{NAMESPACE}/{family.name}-v0", {})]
        entries += [(f"{NAMESPACE}/{family.name}-{level}-v0", {"level": level}) for level in family.paper_levels]
        for env_id, level_kwargs in entries:
            if env_id not in gym.registry:
                gym.register(id=env_id, entry_point=family.entry_point, kwargs={**family.kwargs, **level_kwargs})

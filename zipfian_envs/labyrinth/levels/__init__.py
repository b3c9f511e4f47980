"""The 30 Labyrinth levels, one module each, in the reference's frequency order (rank 1 first).

Each module ``zipfian_envs.labyrinth.levels.<name>`` defines ``LEVEL``, an instance of a
:class:`~zipfian_envs.labyrinth.level.Level` subclass whose docstring states the rules, rewards,
time limit and what the level tests.

Adding a level: write its module here and put its name in :data:`LEVEL_ORDER` (its position is its
Zipf rank), then measure its scores with ``python -m zipfian_envs.labyrinth.calibrate --levels <name>``.
Until then :func:`load_level` refuses it with :class:`UncalibratedLevelError`, naming that command:
without measured scores ``normalized_score`` would be NaN and the default success rule never true.
"""

from __future__ import annotations

import importlib
import importlib.util

from zipfian_envs.labyrinth.level import Level
from zipfian_envs.labyrinth.scores import REFERENCE_SCORES

LEVEL_ORDER: tuple[str, ...] = (
    "rooms_collect_good_objects",
    "rooms_exploit_deferred_effects",
    "rooms_select_nonmatching_object",
    "rooms_watermaze",
    "rooms_keys_doors_puzzle",
    "language_select_described_object",
    "language_select_located_object",
    "language_execute_random_task",
    "language_answer_quantitative_question",
    "lasertag_one_opponent_small",
    "lasertag_three_opponents_small",
    "lasertag_one_opponent_large",
    "lasertag_three_opponents_large",
    "natlab_fixed_large_map",
    "natlab_varying_map_regrowth",
    "natlab_varying_map_randomized",
    "skymaze_irreversible_path_hard",
    "skymaze_irreversible_path_varied",
    "psychlab_arbitrary_visuomotor_mapping",
    "psychlab_continuous_recognition",
    "psychlab_sequential_comparison",
    "psychlab_visual_search",
    "explore_object_locations_small",
    "explore_object_locations_large",
    "explore_obstructed_goals_small",
    "explore_obstructed_goals_large",
    "explore_goal_locations_small",
    "explore_goal_locations_large",
    "explore_object_rewards_few",
    "explore_object_rewards_many",
)
NUM_LEVELS = len(LEVEL_ORDER)
FAMILIES: tuple[str, ...] = ("rooms", "language", "lasertag", "natlab", "skymaze", "psychlab", "explore")

_LOADED: dict[str, Level] = {}


class UncalibratedLevelError(RuntimeError):
    """A level has no measured (random, oracle) scores in ``zipfian_envs/labyrinth/scores.py``."""


def calibration_command(name: str) -> str:
    """The command that measures a level's reference scores into ``scores.py``."""
    return f"python -m zipfian_envs.labyrinth.calibrate --levels {name} --episodes 20"


def check_calibrated(name: str) -> str:
    """Return ``name`` if its reference scores are measured, else raise naming the command to run."""
    if name not in REFERENCE_SCORES:
        raise UncalibratedLevelError(
            f"Labyrinth level {name!r} has no calibrated scores in zipfian_envs/labyrinth/scores.py "
            f"(normalized_score and success need them); run: {calibration_command(name)}"
        )
    return name


def check_level_name(name: str) -> str:
    """Return ``name`` if it is one of the 30 levels, else raise ``ValueError`` listing them."""
    if name not in LEVEL_ORDER:
        raise ValueError(f"unknown level {name!r}; valid: {', '.join(LEVEL_ORDER)}")
    return name


def load_level(name: str, *, calibrated: bool = True) -> Level:
    """The ``LEVEL`` object of a level module (imported once); ``calibrated=False`` only for the calibration."""
    check_level_name(name)
    if calibrated:
        check_calibrated(name)
    if name not in _LOADED:
        module = importlib.import_module(f"{__name__}.{name}")
        level = module.LEVEL
        if level.name != name:
            raise RuntimeError(f"module {name} defines LEVEL named {level.name!r}")
        _LOADED[name] = level
    return _LOADED[name]


def implemented_levels() -> tuple[str, ...]:
    """The levels whose module exists in this installation (all 30 in a release)."""
    found = []
    for name in LEVEL_ORDER:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            found.append(name)
    return tuple(found)

"""The fixed set of trivial policies every Labyrinth level is measured against (issue 29).

A trivial policy reads nothing: it repeats one action, or alternates two, from the first step to
the last. A level whose score such a policy can farm measures the habit, not the skill, so the
calibration (``python -m zipfian_envs.labyrinth.calibrate``) plays each of them on every level and
the tests require that none reaches a normalised score above :data:`TRIVIAL_LIMIT`. The uniform
random policy is measured as well (it is the ``random`` reference score itself).
"""

from __future__ import annotations

from zipfian_envs.engine.actions import (
    ACTION_NAMES,
    FIRE,
    FORWARD,
    LOOK_LEFT,
    LOOK_RIGHT,
)

# A trivial policy's normalised score must stay at or below this on every level.
TRIVIAL_LIMIT = 0.1

# Every constant action, then the alternating pairs that sweep the view while acting or walking:
# the ones that farmed psychlab trials (look + fire) and those that cover ground (forward + look).
TRIVIAL_POLICIES: dict[str, tuple[int, ...]] = {
    **{name: (index,) for index, name in enumerate(ACTION_NAMES)},
    "look_right+fire": (LOOK_RIGHT, FIRE),
    "look_left+fire": (LOOK_LEFT, FIRE),
    "forward+look_right": (FORWARD, LOOK_RIGHT),
    "forward+look_left": (FORWARD, LOOK_LEFT),
    "forward+fire": (FORWARD, FIRE),
}


# The psychlab levels add a chance answerer: the oracle's fixation and answer moves with a button
# drawn uniformly per trial, so a level whose trials pay for guessing is caught as well.
CHANCE_POLICY = "fixate+guess"
# Trivial episodes per level: at least the calibration's --trivial-episodes, and enough to cover
# this many steps, so short levels (where chance outcomes vary most per episode) get more.
TRIVIAL_STEP_BUDGET = 18_000


def trivial_policies(family: str) -> tuple[str, ...]:
    """The trivial policies measured on a level of ``family``: the fixed set, plus the chance answerer on psychlab."""
    return (*TRIVIAL_POLICIES, CHANCE_POLICY) if family == "psychlab" else tuple(TRIVIAL_POLICIES)


def trivial_episode_count(max_steps: int, minimum: int, budget: int = TRIVIAL_STEP_BUDGET) -> int:
    """Seeded trivial episodes for a level of ``max_steps`` steps: ``minimum``, or more to fill ``budget`` steps."""
    return max(minimum, -(-budget // max_steps))


def trivial_action(policy: str, step: int) -> int:
    """The action ``policy`` takes at ``step`` (0-based) of an episode."""
    if policy not in TRIVIAL_POLICIES:
        raise ValueError(f"unknown trivial policy {policy!r}; valid: {', '.join(TRIVIAL_POLICIES)}")
    cycle = TRIVIAL_POLICIES[policy]
    return cycle[step % len(cycle)]

"""skymaze_irreversible_path_hard: descend a maze of platforms over a void to the goal (difficulty 0.9)."""

from __future__ import annotations

import numpy as np

from zipfian_envs.labyrinth.skymaze_common import SkymazeLevel

DIFFICULTY = 0.9


class IrreversiblePathHard(SkymazeLevel):
    """Platforms over a void: find the descending main path to the goal; side paths are traps.

    Rules: the map is a new maze of one-cell-wide platforms each episode (difficulty 0.9: a 9 x 9
    path grid on a 19 x 19 map, 7 paths, detour up to 10). The agent can walk onto a neighbouring
    platform at most 0.18 m higher (never onto a step up of 0.2 m) and drops onto lower ones; the
    void cannot be entered. The start platform is the highest; the main path to the goal only
    ever stays level or steps down, so it is always walkable, but a step down cannot be undone.
    Side paths branch off the main path and descend to end below the main-path platform they
    come back to: entering one (or dropping into one from its far end) traps the agent for the
    rest of the episode. Higher platforms are drawn as cliffs, lower ones darker.
    Rewards: the goal (a gold star) +100; the episode ends 0.2 s after it is taken.
    Time: 60 s (900 steps). Spawn: on the start platform, random heading.
    Success: taking the goal. Tests: planning a route before committing to irreversible moves.
    """

    name = "skymaze_irreversible_path_hard"
    summary = "descend platforms over a void to the goal; side paths are one-way traps (d = 0.9)"
    dmlab_human = 100.0
    dmlab_random = 0.1

    def difficulty(self, rng: np.random.Generator) -> float:
        """Always 0.9."""
        return DIFFICULTY


LEVEL = IrreversiblePathHard()

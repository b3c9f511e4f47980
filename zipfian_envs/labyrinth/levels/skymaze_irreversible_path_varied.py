"""skymaze_irreversible_path_varied: the skymaze at a difficulty drawn per episode."""

from __future__ import annotations

import numpy as np

from zipfian_envs.labyrinth.skymaze_common import SkymazeLevel


class IrreversiblePathVaried(SkymazeLevel):
    """The skymaze of ``skymaze_irreversible_path_hard`` at a difficulty d ~ U[0, 1) per episode.

    Rules: as in the hard level, but the generator's difficulty is drawn uniformly from [0, 1)
    each episode: path grid side 4 + round(6 d) (a 9 x 9 to 21 x 21 map), 1 + round(7 d) paths
    (one main path, the rest one-way side traps) and a main-path detour up to floor(side (0.3 + d)).
    The agent walks onto platforms at most 0.18 m higher and drops onto lower ones; the main path
    only stays level or steps down (30% of platforms, by 0.2 or 0.4 m); side paths descend to end
    below the main-path platform they rejoin.
    Rewards: the goal (a gold star) +100; the episode ends 0.2 s after it is taken.
    Time: 60 s (900 steps). Spawn: on the start platform (the highest), random heading.
    Success: taking the goal. Tests: planning over irreversible moves across a range of map sizes.
    """

    name = "skymaze_irreversible_path_varied"
    summary = "descend platforms over a void to the goal; difficulty drawn per episode"
    dmlab_human = 100.0
    dmlab_random = 14.4

    def difficulty(self, rng: np.random.Generator) -> float:
        """Uniform on [0, 1)."""
        return float(rng.random())


LEVEL = IrreversiblePathVaried()

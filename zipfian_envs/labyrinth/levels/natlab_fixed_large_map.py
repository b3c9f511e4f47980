"""natlab_fixed_large_map: forage mushrooms on one large outdoor map that never changes."""

from __future__ import annotations

import functools

import numpy as np

from zipfian_envs.labyrinth.level import LevelOptions, Scene
from zipfian_envs.labyrinth.natlab_common import NatLabLevel, NatLabState, NatMap, generate_natmap

# Ours: DMLab's map is a prebuilt .bsp whose size and mushroom count are unpublished.
MAP_SEED = 1  # the one map: the same constant in every episode and process
MAP_SIZE = 41
OUTCROPS = 40
MUSHROOMS = 60
MUSHROOM_PATCHES = 12
SPAWN_POINTS = 8
SCENERY = 70


@functools.lru_cache(maxsize=1)
def fixed_map() -> NatMap:
    """The level's one map (built once per process)."""
    return generate_natmap(
        MAP_SEED,
        MAP_SIZE,
        outcrops=OUTCROPS,
        mushrooms=MUSHROOMS,
        mushroom_patches=MUSHROOM_PATCHES,
        spawns=SPAWN_POINTS,
        scenery=SCENERY,
    )


class FixedLargeMap(NatLabLevel):
    """One large fixed outdoor map with fixed mushroom patches, seen at dawn, by day or at night.

    Rules: the map (ours: 41x41 cells with its boundary, about 40 rock/hedge outcrops, 60
    mushrooms in 12 patches, 8 spawn points, 70 trees/shrubs/rocks as scenery) is generated once
    from a constant seed, so it and its mushroom spots are the same in every episode. Each episode
    draws one of 3 lighting versions (dawn, day, night: light, fog and tint) and one of the 8 spawn
    points, facing a random way. Touching a mushroom eats it for +1 (DMLab's value); eaten
    mushrooms do not regrow. The episode ends at 120 s (1800 steps); there is no early end.
    Success: normalized score >= 0.5. Tests: long-term memory of where the mushrooms grow on a
    map that stays the same across episodes, and efficient foraging routes.
    """

    name = "natlab_fixed_large_map"
    summary = "eat mushrooms (+1) on one fixed large outdoor map; 3 lighting versions; no regrowth"
    dmlab_human = 36.9
    dmlab_random = 2.173

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[NatLabState]:
        """The fixed map in a random light, spawned on one of its spawn points."""
        natmap = fixed_map()
        return self.new_scene(rng, natmap, natmap.mushrooms, natmap.spawns)


LEVEL = FixedLargeMap()

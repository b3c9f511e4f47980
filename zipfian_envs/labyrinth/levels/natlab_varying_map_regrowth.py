"""natlab_varying_map_regrowth: forage on one of 100 small outdoor maps where mushrooms grow back."""

from __future__ import annotations

import functools

import numpy as np

from zipfian_envs.engine.world import seconds_to_steps
from zipfian_envs.labyrinth.level import LevelOptions, Scene
from zipfian_envs.labyrinth.natlab_common import NatLabLevel, NatLabState, NatMap, generate_natmap

# Ours: DMLab's 100 maps (natlab_forage_stm_000..099) are prebuilt; sizes and counts are unpublished.
NUM_MAPS = 100
MAP_SEED_BASE = 1000  # map k comes from seed MAP_SEED_BASE + k
MAP_SIZE = 21
OUTCROPS = 12
MUSHROOMS = 12
SCENERY = 25
REGROW_SECONDS = 60.0  # DMLab's README: about one minute


@functools.lru_cache(maxsize=NUM_MAPS)
def small_map(index: int) -> NatMap:
    """Small map ``index`` (0..99), built once per process."""
    if not 0 <= index < NUM_MAPS:
        raise ValueError(f"map index must be in 0..{NUM_MAPS - 1}, got {index!r}")
    return generate_natmap(MAP_SEED_BASE + index, MAP_SIZE, outcrops=OUTCROPS, mushrooms=MUSHROOMS, scenery=SCENERY)


class VaryingMapRegrowth(NatLabLevel):
    """One of 100 small maps per episode; an eaten mushroom grows back at its spot a minute later.

    Rules: each episode draws map k of 100 (ours: 21x21 cells with the boundary, about 12
    outcrops, 12 mushrooms on fixed spots of that map, 25 scenery sprites; biome, ground and
    scenery differ between maps), a random time of day (dawn, day, night) and a random spawn on
    any open cell without a mushroom, facing a random way. Touching a mushroom eats it for +1
    (DMLab's value); it grows back at the same spot 60 s (900 steps) later (the README's "about a
    minute"), and can be eaten again. The episode ends at 120 s (1800 steps), so each spot pays at
    most twice. Success: normalized score >= 0.5. Tests: short-term memory of which spots were
    eaten and when, on a map seen for the first time in the episode.
    """

    name = "natlab_varying_map_regrowth"
    summary = "eat mushrooms (+1) on one of 100 small maps; an eaten mushroom regrows after 60 s"
    dmlab_human = 24.45
    dmlab_random = 2.989
    regrow_steps = seconds_to_steps(REGROW_SECONDS)

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[NatLabState]:
        """A random small map in a random light; spawn on a random open cell without a mushroom."""
        index = int(rng.integers(NUM_MAPS))
        natmap = small_map(index)
        mushroom_cells = {(int(y), int(x)) for x, y in natmap.mushrooms}
        spawns = np.array([cell for cell in natmap.open_cells.tolist() if tuple(cell) not in mushroom_cells])
        return self.new_scene(rng, natmap, natmap.mushrooms, spawns, map_index=index)


LEVEL = VaryingMapRegrowth()

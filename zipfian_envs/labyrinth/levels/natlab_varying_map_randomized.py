"""natlab_varying_map_randomized: forage on one of 100 medium outdoor maps, mushrooms anywhere."""

from __future__ import annotations

import functools

import numpy as np

from zipfian_envs.labyrinth.level import LevelOptions, Scene
from zipfian_envs.labyrinth.natlab_common import NatLabLevel, NatLabState, NatMap, generate_natmap, spots_in_cells

# Ours: DMLab's 100 maps (natlab_forage_variable_*) are prebuilt; sizes and counts are unpublished.
NUM_MAPS = 100
MAP_SEED_BASE = 2000  # map k comes from seed MAP_SEED_BASE + k
MAP_SIZE = 31
OUTCROPS = 25
MUSHROOMS = 60
SCENERY = 45


@functools.lru_cache(maxsize=NUM_MAPS)
def medium_map(index: int) -> NatMap:
    """Medium map ``index`` (0..99), built once per process (without mushrooms: they are drawn per episode)."""
    if not 0 <= index < NUM_MAPS:
        raise ValueError(f"map index must be in 0..{NUM_MAPS - 1}, got {index!r}")
    return generate_natmap(MAP_SEED_BASE + index, MAP_SIZE, outcrops=OUTCROPS, scenery=SCENERY)


class VaryingMapRandomized(NatLabLevel):
    """One of 100 medium maps per episode, with the mushrooms scattered anew every episode.

    Rules: each episode draws map k of 100 (ours: 31x31 cells with the boundary, about 25
    outcrops, 45 scenery sprites), a random time of day (dawn, day, night), 60 mushrooms (ours) on
    distinct random open cells away from the scenery, and a random spawn on another open cell,
    facing a random way. Touching a mushroom eats it for +1 (DMLab's value); mushrooms do not
    regrow. The episode ends at 120 s (1800 steps); there is no early end. Success: normalized
    score >= 0.5. Tests: efficient foraging by sight on a map and layout both new each episode.
    """

    name = "natlab_varying_map_randomized"
    summary = "eat mushrooms (+1) placed at random on one of 100 medium maps; no regrowth"
    dmlab_human = 42.35
    dmlab_random = 7.346

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[NatLabState]:
        """A random medium map in a random light, random mushroom cells and a random spawn."""
        index = int(rng.integers(NUM_MAPS))
        natmap = medium_map(index)
        scenery_cells = {(int(y), int(x)) for x, y in natmap.scenery}
        cells = np.array([cell for cell in natmap.open_cells.tolist() if tuple(cell) not in scenery_cells])
        order = rng.permutation(len(cells))
        mushrooms = spots_in_cells(rng, cells[order[:MUSHROOMS]])
        return self.new_scene(rng, natmap, mushrooms, cells[order[MUSHROOMS:]], map_index=index)


LEVEL = VaryingMapRandomized()

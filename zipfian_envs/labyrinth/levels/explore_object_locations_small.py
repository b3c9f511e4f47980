"""explore_object_locations_small: find the apples in a new maze, then find them again after each restart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.labyrinth.common import choose_cells
from zipfian_envs.labyrinth.explore_common import (
    LOOK_AROUND,
    ExploreLevel,
    ExploreState,
    cells_not_in,
    place_agent,
    walk_to_nearest,
)
from zipfian_envs.labyrinth.level import LevelOptions, Scene, collect_touched

APPLE = 1
APPLE_COLOUR = (200, 40, 40)


@dataclass(slots=True, kw_only=True)
class ObjectLocationsState(ExploreState):
    """The apple levels' state: the explore state plus the maze's number of rooms."""

    rooms: int


class ObjectLocations(ExploreLevel):
    """Apples (+1 each) on half of the maze's object cells; collecting them all restarts the map.

    Rules: each episode draws a new 11x11 maze of up to 4 rooms of 3..5 cells with 4 object cells
    per room, a random theme and wall decals. Half of the object cells (DMLab's ``rewardDensity``
    0.5, at least one) are drawn once per episode and hold an apple worth +1. When the last apple
    is taken, the map restarts: the same apples come back and the agent reappears on a random
    spawn cell with a random heading; the clock keeps running. The episode ends at 90 s (1350
    steps). Spawn: a random room spawn cell that holds no apple. Success: normalized score >= 0.5.
    Tests: exploring a maze, then remembering where the apples are to collect them faster on each
    restart.
    """

    name = "explore_object_locations_small"
    time_limit_s = 90.0
    summary = "collect the apples in a new maze; all collected restarts the map with the same apples"
    dmlab_human = 74.45
    dmlab_random = 3.575
    reward_density = 0.5

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[ObjectLocationsState]:
        """A themed maze, the episode's apple cells and the agent on a free spawn cell."""
        maze, grid, theme = self.new_world(rng)
        cells = maze.all_objects()
        apples = choose_cells(rng, cells, max(1, round(self.reward_density * len(cells))))
        spawn_cells = cells_not_in(maze.all_spawns(), apples)
        if len(spawn_cells) == 0:
            spawn_cells = maze.all_spawns()
        state = ObjectLocationsState(theme=theme, rooms=maze.num_rooms, spawn_cells=spawn_cells, restarts=0)
        scene = Scene(grid=grid, pose=place_agent(rng, spawn_cells), state=state)
        for row, col in apples.tolist():
            scene.entities.add(col + 0.5, row + 0.5, shape_index("apple"), APPLE_COLOUR, kind=APPLE, value=1.0)
        return scene

    def rules(self, scene: Scene[ObjectLocationsState], action: int, rng: np.random.Generator) -> float:
        """Pick up touched apples; when none is left, restart with the same apples and a new spawn."""
        reward, taken = collect_touched(scene, (APPLE,))
        if taken.size and not scene.entities.active.any():
            scene.entities.active[:] = True
            scene.pose = place_agent(rng, scene.state.spawn_cells)
            scene.state.restarts += 1
        return reward

    def oracle(self, scene: Scene[ObjectLocationsState]) -> int:
        """Walk to the nearest apple by path length (it knows the map and every apple)."""
        action = walk_to_nearest(scene, np.flatnonzero(scene.entities.active))
        return LOOK_AROUND if action is None else action


LEVEL = ObjectLocations()

"""explore_goal_locations_small: find the goal in a new maze, then return to it from new spawns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.mazes import Maze
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.labyrinth.explore_common import LOOK_AROUND, ExploreLevel, ExploreState, place_agent, walk_to_nearest
from zipfian_envs.labyrinth.level import LevelOptions, Scene, collect_touched

GOAL = 1
GOAL_REWARD = 10.0
GOAL_COLOUR = (250, 200, 40)
GOAL_SIZE = 0.6


@dataclass(slots=True, kw_only=True)
class GoalLocationsState(ExploreState):
    """The goal levels' state: the explore state plus the maze's number of rooms and the goal's (row, col) cell."""

    rooms: int
    goal: np.ndarray


def goal_spawn_cells(maze: Maze, goal: np.ndarray) -> np.ndarray:
    """Spawn cells outside the goal's room (all spawn cells but the goal's own when there is one room)."""
    spawns = maze.all_spawns()
    outside = spawns[maze.room[spawns[:, 0], spawns[:, 1]] != maze.room[goal[0], goal[1]]]
    if len(outside):
        return outside
    return spawns[(spawns != goal[None, :]).any(axis=1)]


class GoalLocations(ExploreLevel):
    """One goal (+10) per episode on one of the maze's object cells; reaching it restarts the map.

    Rules: each episode draws a new 11x11 maze of up to 4 rooms of 3..5 cells, a random theme and
    wall decals, and one goal cell among the rooms' object cells (DMLab's 'G' cells). Touching the
    goal gives +10 and restarts the map: the goal stays where it is and the agent reappears on a
    random spawn cell with a random heading; the clock keeps running. The episode ends at 90 s
    (1350 steps). Spawn: a random room spawn cell outside the goal's room (ours: DMLab spawns on any
    cell that can reach the goal; keeping the goal's room out makes every restart a trip).
    Success: normalized score >= 0.5. Tests: finding a goal once by exploring, then going
    straight back to it from anywhere (spatial memory and self-localisation).
    """

    name = "explore_goal_locations_small"
    time_limit_s = 90.0
    summary = "find the one goal (+10) in a new maze; each visit restarts from a new spawn"
    dmlab_human = 267.5
    dmlab_random = 7.66
    objects_per_room = 4

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[GoalLocationsState]:
        """A themed maze, the episode's goal and the agent on a spawn cell away from it."""
        maze, grid, theme = self.new_world(rng)
        objects = maze.all_objects()
        goal = objects[int(rng.integers(len(objects)))]
        spawn_cells = goal_spawn_cells(maze, goal)
        state = self.new_state(maze, theme=theme, rooms=maze.num_rooms, goal=goal, spawn_cells=spawn_cells, restarts=0)
        scene = Scene(grid=grid, pose=place_agent(rng, spawn_cells), state=state)
        scene.entities.add(
            goal[1] + 0.5, goal[0] + 0.5, shape_index("star"), GOAL_COLOUR, kind=GOAL, value=GOAL_REWARD, size=GOAL_SIZE
        )
        self.arrange(scene, rng)
        return scene

    def new_state(self, maze: Maze, **fields) -> GoalLocationsState:
        """The episode's state from the goal levels' ``fields`` and what restarts need from the maze (nothing here)."""
        return GoalLocationsState(**fields)

    def arrange(self, scene: Scene, rng: np.random.Generator) -> None:
        """Set up the map for the agent's new spawn (nothing to do here; doors in the obstructed levels)."""

    def rules(self, scene: Scene[GoalLocationsState], action: int, rng: np.random.Generator) -> float:
        """+10 at the goal, then a restart with a new spawn."""
        reward, taken = collect_touched(scene, (GOAL,))
        if taken.size:
            scene.entities.active[taken] = True
            scene.pose = place_agent(rng, scene.state.spawn_cells)
            scene.state.restarts += 1
            self.arrange(scene, rng)
        return reward

    def oracle(self, scene: Scene[GoalLocationsState]) -> int:
        """Go straight to the goal along the shortest open path (it knows the map and the goal)."""
        action = walk_to_nearest(scene, np.flatnonzero(scene.entities.kind == GOAL))
        return LOOK_AROUND if action is None else action


LEVEL = GoalLocations()

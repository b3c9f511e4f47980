"""explore_obstructed_goals_small: find the goal in a maze whose doors are shut at random after each restart."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.mazes import Maze
from zipfian_envs.labyrinth.explore_common import DOOR, door_regions, random_door_path
from zipfian_envs.labyrinth.level import Scene
from zipfian_envs.labyrinth.levels.explore_goal_locations_small import GoalLocations, GoalLocationsState


@dataclass(slots=True, kw_only=True)
class ObstructedGoalsState(GoalLocationsState):
    """The goal state plus the doors: their cells, the regions between them, the regions each joins, which are open."""

    door_cells: np.ndarray
    door_edges: np.ndarray
    regions: np.ndarray
    doors_open: np.ndarray | None = None  # drawn by ``arrange`` at the start and at every restart


def draw_shut_doors(
    rng: np.random.Generator, state: ObstructedGoalsState, start_region: int, doors_closed: float
) -> np.ndarray:
    """The doors to shut: none on one random path from ``start_region`` to the goal, others with ``doors_closed``."""
    goal = state.goal
    on_path = random_door_path(rng, state.door_edges, start_region, int(state.regions[goal[0], goal[1]]))
    return ~on_path & (rng.random(len(state.door_cells)) < doors_closed)


class ObstructedGoals(GoalLocations):
    """The goal task (+10, restart) with doors: one way to the goal is open, other doors shut at random.

    Rules: each episode draws a new 11x11 maze of up to 4 rooms of 3..5 cells, a random theme,
    wall decals and one goal cell among the rooms' object cells. Every opening of a room is a door.
    At the start and at every restart the doors are re-drawn: the doors on one random path from the
    agent's spawn room to the goal's room are open; every other door is shut with probability 0.5
    (DMLab's ``doorsClosed``). A shut door is a wall in the door material; an open one is a gap.
    Touching the goal gives +10 and restarts the map with a new random spawn outside the goal's
    room and new doors; the clock keeps running. The episode ends at 90 s (1350 steps).
    Success: normalized score >= 0.5. Tests: remembering where the goal is while re-planning the
    route around doors that change between visits.
    """

    name = "explore_obstructed_goals_small"
    time_limit_s = 90.0
    summary = "find the goal (+10) in a new maze; doors off one open route shut at random each restart"
    dmlab_human = 206.0
    dmlab_random = 6.76
    doors_closed = 0.5

    def new_state(self, maze: Maze, **fields) -> ObstructedGoalsState:
        """The goal levels' state plus the door cells, the regions between doors and the regions each door joins."""
        regions, edges = door_regions(maze)
        return ObstructedGoalsState(**fields, door_cells=maze.doors.copy(), door_edges=edges, regions=regions)

    def arrange(self, scene: Scene[ObstructedGoalsState], rng: np.random.Generator) -> None:
        """Open the doors on one random spawn-to-goal path; shut each other door with probability 0.5."""
        state = scene.state
        shut = draw_shut_doors(rng, state, int(state.regions[scene.pose.cell]), self.doors_closed)
        doors = state.door_cells
        scene.grid.walls[doors[:, 0], doors[:, 1]] = np.where(shut, DOOR, 0)
        state.doors_open = ~shut


LEVEL = ObstructedGoals()

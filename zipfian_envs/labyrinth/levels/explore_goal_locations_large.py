"""explore_goal_locations_large: find and return to the goal in a large maze of nine small rooms."""

from __future__ import annotations

from zipfian_envs.labyrinth.levels.explore_goal_locations_small import GoalLocations


class GoalLocationsLarge(GoalLocations):
    """The goal task of ``explore_goal_locations_small`` in a 17x17 maze of up to 9 rooms of 3x3 cells.

    Rules: as in the small level: one goal (+10) per episode on one of the rooms' object cells (5
    per room here); touching it restarts the map with a new random spawn outside the goal's room;
    the clock keeps running. The episode ends at 120 s (1800 steps). Success: normalized score
    >= 0.5. Tests: exploration and returning to a remembered place over a larger map.
    """

    name = "explore_goal_locations_large"
    time_limit_s = 120.0
    summary = "find the one goal (+10) in a large maze; each visit restarts from a new spawn"
    dmlab_human = 194.5
    dmlab_random = 3.14
    maze_size = 17
    max_rooms = 9
    room_size = (3, 3)
    objects_per_room = 5


LEVEL = GoalLocationsLarge()

"""explore_obstructed_goals_large: the obstructed-goal task in a large maze of nine small rooms."""

from __future__ import annotations

from zipfian_envs.labyrinth.levels.explore_obstructed_goals_small import ObstructedGoals


class ObstructedGoalsLarge(ObstructedGoals):
    """The task of ``explore_obstructed_goals_small`` in a 17x17 maze of up to 9 rooms of 3x3 cells.

    Rules: as in the small level: one goal (+10) per episode on one of the rooms' object cells (5
    per room here); at the start and at each restart the doors on one random spawn-to-goal path
    open and every other door shuts with probability 0.5; touching the goal restarts the map with
    a new spawn outside the goal's room. The episode ends at 120 s (1800 steps). Success:
    normalized score >= 0.5. Tests: navigation by memory around changing obstacles in a large map.
    """

    name = "explore_obstructed_goals_large"
    time_limit_s = 120.0
    summary = "find the goal (+10) in a large maze; doors off one open route shut at random each restart"
    dmlab_human = 119.5
    dmlab_random = 2.61
    maze_size = 17
    max_rooms = 9
    room_size = (3, 3)
    objects_per_room = 5


LEVEL = ObstructedGoalsLarge()

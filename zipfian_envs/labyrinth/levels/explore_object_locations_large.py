"""explore_object_locations_large: find and re-find the apples in a large maze of nine small rooms."""

from __future__ import annotations

from zipfian_envs.labyrinth.levels.explore_object_locations_small import ObjectLocations


class ObjectLocationsLarge(ObjectLocations):
    """The apple task of ``explore_object_locations_small`` in a 17x17 maze of up to 9 rooms of 3x3 cells.

    Rules: as in the small level. Apples (+1) on half of the 4 object cells per room (about 18
    apples with 9 rooms), drawn once per episode; collecting all of them restarts the map with the
    same apples and a new random spawn; the clock keeps running. The episode ends at 120 s (1800
    steps). Spawn: a random room spawn cell without an apple. Success: normalized score >= 0.5.
    Tests: exploration and spatial memory over a larger map with more, smaller rooms.
    """

    name = "explore_object_locations_large"
    time_limit_s = 120.0
    summary = "collect the apples in a large maze; all collected restarts the map with the same apples"
    dmlab_human = 65.65
    dmlab_random = 4.673
    maze_size = 17
    max_rooms = 9
    room_size = (3, 3)
    objects_per_room = 4


LEVEL = ObjectLocationsLarge()

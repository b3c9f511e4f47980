"""explore_object_rewards_many: learn which of eight kinds of object are good, in one big room."""

from __future__ import annotations

from zipfian_envs.labyrinth.levels.explore_object_rewards_few import ObjectRewards


class ObjectRewardsMany(ObjectRewards):
    """Eight categories of objects, four good (+2) and four bad (-1), one object of each per restart.

    Rules: as in ``explore_object_rewards_few`` with 16 object cells and 8 categories: each
    (re)start puts one object of every category on 8 of the 16 object cells, +8 on offer and -4 in
    traps; the map restarts (new placement and spawn) once all four good objects are taken. The
    room is again 11x11 in a 13x13 map. The episode ends at 120 s (1800 steps). Success:
    normalized score >= 0.5. Tests: learning the values of more categories within one episode.
    """

    name = "explore_object_rewards_many"
    time_limit_s = 120.0
    summary = "collect the good kinds (+2) of 8 object kinds, avoid the bad (-1); restart when all good are taken"
    dmlab_human = 106.7
    dmlab_random = 2.438
    objects_per_room = 16
    categories = 8


LEVEL = ObjectRewardsMany()

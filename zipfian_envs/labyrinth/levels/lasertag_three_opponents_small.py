"""lasertag_three_opponents_small: tag three bots in a new small maze of rooms and corridors, +1 per tag."""

from __future__ import annotations

from zipfian_envs.labyrinth.lasertag_common import LaserTagLevel


class ThreeOpponentsSmall(LaserTagLevel):
    """Three bots in an 11x11 maze with up to 3 rooms of 3..5 cells, new every episode (DMLab's settings).

    Rules: each episode generates a new maze (a few extra connections make loops) in a random theme
    and puts the agent on one room spawn cell and three bots (each in a random hue) on others. FIRE
    tags the nearest bot on the centre ray in front of the first wall, at most every 0.33 s: +1
    (DMLab's value), and the bot reappears at once on a spawn cell out of the agent's sight. Bots
    (ours, see lasertag_common) roam to random cells, notice the agent in their 120-degree view
    within 14 m (and hear it within 4 m) when no wall is between, hunt where they last saw it,
    side-step out of its line of fire in the open, turn to it and fire with an
    aim error and a 0.8 s recharge; a tagged agent reappears on a spawn cell away from the bots,
    with no score change. DMLab's -1 per self-tag cannot happen in ours (no splash weapon, falls or
    hazards); its 1 weapon and 2 item pickups are left out (one gadget; one hit tags). The episode
    ends at 240 s (3600 steps); there is no early end. Success: normalized score >= 0.5. Tests:
    navigating a maze never seen before, finding, tracking and aiming at moving opponents, and
    keeping out of their line of fire.
    """

    name = "lasertag_three_opponents_small"
    summary = "tag three bots (+1 per tag) in a new small maze; bots roam, aim and tag back"
    dmlab_human = 18.55
    dmlab_random = -0.214
    maze_size = 11
    max_rooms = 3
    room_size = (3, 5)
    num_bots = 3


LEVEL = ThreeOpponentsSmall()

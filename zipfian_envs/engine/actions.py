"""IMPALA's nine discrete actions for DeepMind Lab, as (forward, strafe, turn, fire) commands.

The order is IMPALA's DMLab action set (scalable_agent's DEFAULT_ACTION_SET): forward, backward,
strafe left, strafe right, look left, look right, forward + look left, forward + look right, fire.
There is no look up/down, jump or crouch. One look step turns 8.4 degrees; one move step is
3.2 m/s over 1/15 s, about 0.21 m.
"""

from __future__ import annotations

import numpy as np

ACTION_NAMES: tuple[str, ...] = (
    "forward",
    "backward",
    "strafe_left",
    "strafe_right",
    "look_left",
    "look_right",
    "forward_look_left",
    "forward_look_right",
    "fire",
)
FORWARD, BACKWARD, STRAFE_LEFT, STRAFE_RIGHT, LOOK_LEFT, LOOK_RIGHT, FORWARD_LOOK_LEFT, FORWARD_LOOK_RIGHT, FIRE = (
    range(9)
)
NUM_ACTIONS = len(ACTION_NAMES)

# Columns: forward (+1 forward, -1 back), strafe (+1 right), turn (+1 right, in look steps), fire.
ACTION_COMMANDS = np.array(
    [
        (1, 0, 0, 0),
        (-1, 0, 0, 0),
        (0, -1, 0, 0),
        (0, 1, 0, 0),
        (0, 0, -1, 0),
        (0, 0, 1, 0),
        (1, 0, -1, 0),
        (1, 0, 1, 0),
        (0, 0, 0, 1),
    ],
    dtype=np.float64,
)
ACTION_COMMANDS.flags.writeable = False

# Viewer keys (pygame key names); R, P, H and Escape belong to the viewer.
KEY_MAP: dict[str, tuple[int, str]] = {
    "up": (FORWARD, "forward"), "w": (FORWARD, "forward"),
    "down": (BACKWARD, "backward"), "s": (BACKWARD, "backward"),
    "a": (STRAFE_LEFT, "strafe left"), "d": (STRAFE_RIGHT, "strafe right"),
    "left": (LOOK_LEFT, "look left"), "right": (LOOK_RIGHT, "look right"),
    "q": (FORWARD_LOOK_LEFT, "forward + look left"), "e": (FORWARD_LOOK_RIGHT, "forward + look right"),
    "space": (FIRE, "fire / use"),
}  # fmt: skip

"""A small first-person engine in numpy: grid worlds, sliding collision, a vectorised raycaster.

Modules: :mod:`.world` (plain state and units), :mod:`.physics` (movement, collision, touch),
:mod:`.raycast` (the renderer), :mod:`.batch` (the same renderer over a batch of frames, for the
native vector envs), :mod:`.backend` (numpy or the numba-compiled :mod:`.compiled` / :mod:`.kernels`,
the same pixels), :mod:`.billboards` (sprites painted in one flat pass), :mod:`.colours` (packed
colours and light levels), :mod:`.sprites` (procedural silhouettes), :mod:`.textures`
(procedural wall textures), :mod:`.topdown` (the map for humans), :mod:`.navigation` (privileged
planning for scripted oracles) and :mod:`.actions` (IMPALA's DMLab action set). Environments
build on it (the Labyrinth, the Playroom); nothing here knows about any particular level.
"""

from zipfian_envs.engine.actions import ACTION_COMMANDS, ACTION_NAMES, KEY_MAP, NUM_ACTIONS
from zipfian_envs.engine.backend import (
    render_backend,
    render_packed,
    render_view,
    set_render_backend,
    using_render_backend,
)
from zipfian_envs.engine.physics import is_free, move_agent, touched, translate
from zipfian_envs.engine.raycast import Camera, Screen, View, cast_rays, centre_ray
from zipfian_envs.engine.sprites import ATLAS, SHAPES, SpriteAtlas, build_atlas, shape_index
from zipfian_envs.engine.textures import make_texture, texture_bank
from zipfian_envs.engine.topdown import top_down
from zipfian_envs.engine.world import (
    MOVE_STEP_M,
    STEPS_PER_SECOND,
    TURN_STEP_RAD,
    Entities,
    Grid,
    Pose,
    seconds_to_steps,
)

__all__ = [
    "ACTION_COMMANDS",
    "ACTION_NAMES",
    "ATLAS",
    "KEY_MAP",
    "MOVE_STEP_M",
    "NUM_ACTIONS",
    "SHAPES",
    "STEPS_PER_SECOND",
    "TURN_STEP_RAD",
    "Camera",
    "Entities",
    "Grid",
    "Pose",
    "Screen",
    "SpriteAtlas",
    "View",
    "build_atlas",
    "cast_rays",
    "centre_ray",
    "is_free",
    "make_texture",
    "move_agent",
    "render_backend",
    "render_packed",
    "render_view",
    "seconds_to_steps",
    "set_render_backend",
    "shape_index",
    "texture_bank",
    "top_down",
    "touched",
    "translate",
    "using_render_backend",
]

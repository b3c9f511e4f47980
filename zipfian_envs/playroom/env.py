"""Zipf's Playroom as a Gymnasium environment: follow an instruction about one object in a furnished room."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import NDArray

from zipfian_envs.core import language, skew
from zipfian_envs.core.canvas import Canvas, check_render_view
from zipfian_envs.core.checks import check_discrete_action, check_image_size, warn_renamed_keyword
from zipfian_envs.core.human import RendersForHumans
from zipfian_envs.core.types import Array, ContinuousAction, DiscreteAction, FirstPersonObs, Image, Info, IntArray
from zipfian_envs.engine.backend import render_packed
from zipfian_envs.engine.colours import pack, unpack
from zipfian_envs.engine.raycast import Camera, View
from zipfian_envs.engine.sprites import SPRITE_SIZE
from zipfian_envs.engine.topdown import top_down
from zipfian_envs.engine.world import Grid, Pose
from zipfian_envs.playroom import rules, tasks
from zipfian_envs.playroom.catalogue import ATLAS
from zipfian_envs.playroom.oracle import oracle_action
from zipfian_envs.playroom.room import RoomState, build_room, check_room
from zipfian_envs.vector.infos import check_info_format, numeric_info

ACTION_MODES = ("discrete", "continuous")
EPISODE_SECONDS = 120.0
HELD_FRACTION = 0.42  # the held object's height as a fraction of the image height
TOP_DOWN_SCALE = 40  # pixels per metre in render()

# What the action space holds: Discrete(10) samples (np.int64) or Box(-1, 1, (5,), float32) ones.
PlayroomActType = np.int64 | NDArray[np.float32]
# What step() takes: a discrete action (an int, or an int array of shape () or (1,)) or five numbers.
PlayroomAction = DiscreteAction | ContinuousAction


class PlayroomEnv(RendersForHumans, gym.Env[FirstPersonObs, PlayroomActType]):
    """Lift, put or find the instructed object in a furnished room; the object's kind is drawn by Zipf.

    ## Description
    A re-creation of Zipf's Playroom on the suite's first-person numpy engine (the reference is a
    Unity room shipped only as a Docker image). Each episode builds a new room (6-8 m by 7-9 m)
    with a bed, a tray on a low stand, a table, a shelf and a chest at per-episode positions, and
    8 to 16 objects of distinct kinds on the floor and on furniture tops, colours drawn at random
    (a nuisance). The instructed kind is drawn from the level's distribution over the catalogue's
    ranks (40 kinds; 103 for ``many`` levels); the distractors' kinds are uniform over the other
    kinds, so rare kinds appear as distractors as often as common ones. For quick learning checks
    (ours): ``room="small"`` builds a 4 m by 5 m floor with only the bed and the tray and 2-3
    objects, and ``num_kinds=N`` (lift and find tasks) keeps the catalogue's N most frequent kinds,
    for targets and distractors alike (the distribution is then over N ranks). What the reference does
    not publish (catalogue, wording, rules) is ours: see :mod:`zipfian_envs.playroom.rules` and
    :mod:`zipfian_envs.playroom.tasks`.

    ## Observation
    ``Dict(image=Box(0, 255, (72, 96, 3), uint8), instruction=Box(0, V - 1, (16,), int64))``: the
    first-person view (90 degree field of view, eye 0.5 m up, pitch shifts the horizon; a held
    object shows at the bottom) and the instruction's token ids (:mod:`zipfian_envs.core.language`,
    0 = padding, ``language.decode`` gives the text), e.g. "lift a duck", "put a cup on the bed".

    ## Action Space
    ``action_mode="discrete"`` (default): ``Discrete(10)``: no-op, forward, backward, strafe left,
    strafe right, turn left, turn right, look up, look down, grip (grip again releases).
    ``action_mode="continuous"``: the reference's five controls as ``Box(-1, 1, (5,), float32)``:
    move (+ forward), strafe (+ right), look left/right (+ right), look down/up (+ up) and grip,
    held while > 0 (an object is taken while it is > 0 and released when it drops to <= 0).
    Full scale is 0.2 m per step, 12 degrees of turn and 8 degrees of pitch (+-48 degrees at most).
    Reach: 1.2 m from the eye to the object's centre; release: onto a furniture top faced within
    0.9 m, else 0.45 m ahead on the floor.

    ## Rewards
    1 on success, else 0. Lift: gripping the instructed kind. Find: gripping it while it is
    centred in view within reach (the grip rule itself). Put: releasing it on the receptacle (its
    top), or on the floor within 0.75 m of its footprint for "near".

    ## Termination
    Terminates on success, and with 0 on gripping an object of another kind (any task).
    Truncates after 120 simulated seconds at 7.5 steps/s (900 steps; ``time_limit_scale`` in
    (0, 1] shortens it, for smoke tests only). ``info["success"]`` is False until the episode ends, then reward > 0.

    ## Levels
    A level is a task plus a distribution over its items. ``level`` takes the reference's names
    (``lift/lift_shape_zipf2``; the id-safe ``lift.lift_shape_zipf2`` too; see
    :data:`zipfian_envs.playroom.tasks.LEVELS`) or any ``<task>_<distribution>``; instead,
    ``distribution`` (the shared grammar, e.g. ``zipf_2``, ``uniform_rare``, or ``frequent``)
    applies to ``task`` (default ``lift/lift_shape``). The default is ``lift/lift_shape_zipf2``.
    ``level=<distribution>`` is the deprecated spelling of ``distribution=`` (kept one release).
    ``info["level"]`` is the distribution (the records' historical key), ``info["task"]`` the task.
    ``reset(options={"item_rank": r})`` pins the item. Supervised (``find``) levels add
    ``target_kind``, ``target_visible``, ``target_bearing`` and ``target_elevation`` (radians from the
    gaze) to every step's info.
    :meth:`protocol_levels` tells the evaluation harness which level each protocol runs (the level
    itself for ``zipfian``, ``frequent`` included; the same task at ``uniform`` and ``uniform_rare``).

    ## Rendering
    ``render()`` frames have one size per instance whatever the room: ``render_view="both"``
    (default) puts the agent's view, upscaled by a whole factor (4x at 72x96), beside the top-down
    room fitted into a square box as high as it; ``"first_person"`` and ``"map"`` show one of them.
    ``gymnasium.utils.play.play(env, noop=env.play_noop)`` plays it with the ``key_map`` keys
    (``play_noop`` is the no-op action 0, or five zero controls in continuous mode).
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 8}
    window_title = "Zipf's Playroom"
    action_names = rules.ACTION_NAMES
    key_map = rules.KEY_MAP
    play_noop: int | NDArray[np.float32] = rules.NOOP  # continuous mode: five zero controls (set in __init__)

    def __init__(
        self,
        level: str | None = None,
        *,
        task: str | None = None,
        distribution: str | None = None,
        action_mode: str = "discrete",
        time_limit_scale: float = 1.0,
        width: int = 96,
        height: int = 72,
        render_mode: str | None = None,
        info_format: str = "full",
        render_view: str = "both",
        room: str = "standard",
        num_kinds: int | None = None,
    ) -> None:
        check_image_size(width, height)
        self.info_format = check_info_format(info_format)
        if isinstance(level, str) and not tasks.is_level_name(level):
            warn_renamed_keyword("PlayroomEnv", "level", "distribution", level)
        self.spec_task = tasks.parse(level, task, distribution).with_kinds(num_kinds)
        self.room = room
        self.layout = check_room(room)
        if action_mode not in ACTION_MODES:
            raise ValueError(f"unknown action_mode {action_mode!r}; valid: {', '.join(ACTION_MODES)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: {self.metadata['render_modes']}")
        if (
            isinstance(time_limit_scale, bool)
            or not isinstance(time_limit_scale, (int, float, np.integer, np.floating))
            or not 0 < time_limit_scale <= 1
        ):
            raise ValueError(f"time_limit_scale must be a number in (0, 1], got {time_limit_scale!r}")
        self.camera = Camera(width=width, height=height)
        self.render_view = check_render_view(render_view)
        self.canvas = Canvas.for_view(self.render_view, height, width)
        self.distribution = self.spec_task.distribution
        self.task = self.spec_task.task
        self.level = f"{self.task}_{self.distribution}"
        self.mode = self.spec_task.mode
        self._reward_rule = rules.REWARD_RULES[self.mode]
        self.kinds = self.spec_task.kinds
        self.action_mode = action_mode
        self.time_limit_scale = float(time_limit_scale)
        self.max_steps = max(1, round(EPISODE_SECONDS * rules.STEPS_PER_SECOND * self.time_limit_scale))
        self.render_mode = render_mode
        self.sampler = skew.RankSampler(self.spec_task.weights())
        self.num_items = self.sampler.num_items

        # gymnasium types Dict as Space[dict[str, Space]]; its samples are dicts of arrays.
        self.observation_space = spaces.Dict(  # type: ignore[assignment]
            {
                "image": spaces.Box(0, 255, (height, width, 3), np.uint8),
                "instruction": spaces.Box(0, language.VOCAB_SIZE - 1, (language.MAX_TOKENS,), np.int64),
            }
        )
        if action_mode == "discrete":
            self.action_space = spaces.Discrete(len(rules.ACTION_NAMES))
        else:
            self.action_space = spaces.Box(-1.0, 1.0, (5,), np.float32)
            self.play_noop = np.zeros(5, np.float32)
        self._state: RoomState | None = None
        self._done = True
        self._closed = False
        self._instruction = ""
        self._tokens = np.zeros(language.MAX_TOKENS, np.int64)
        self._episode_info: dict[str, Any] = {}
        # (shape, colour, height, width) -> the held object's (alpha mask, packed picture).
        self._held_pictures: dict[tuple[int, tuple[int, ...], int, int], tuple[Array, Array]] = {}

    @classmethod
    def protocol_levels(cls, level: str | None = None, *, task: str | None = None, **_: Any) -> dict[str, str | None]:
        """The evaluation harness's contract: the ``level=`` of each protocol for training level ``level``.

        See :func:`zipfian_envs.playroom.tasks.protocol_levels`; the other constructor kwargs do not matter.
        """
        return tasks.protocol_levels(level, task)

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[FirstPersonObs, Info]:
        """Start an episode: draw the item (or take ``options["item_rank"]``) and build a room for it."""
        info = self.begin_episode(seed, options)
        if self.render_mode == "human":
            self.render()
        return self._observe(), info

    def begin_episode(self, seed: int | None, options: dict[str, Any] | None) -> dict[str, Any]:
        """``reset`` without the observation (the vector env renders all sub-envs at once)."""
        super().reset(seed=seed)
        options = dict(options or {})
        pinned = options.pop("item_rank", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}; valid: item_rank")
        drawn = self.sampler.sample(self.np_random)
        if pinned is not None:
            if (
                isinstance(pinned, bool)
                or not isinstance(pinned, (int, np.integer))
                or not 1 <= pinned <= self.num_items
            ):
                raise ValueError(f"item_rank must be an integer in 1..{self.num_items}, got {pinned!r}")
            rank = int(pinned)
        else:
            rank = drawn
        kind, receptacle = self.spec_task.item(rank)
        exclude = receptacle if self.mode == "put_on" else -1
        self._state = build_room(
            self.np_random, kind, receptacle, len(self.kinds), exclude_support=exclude, layout=self.layout
        )
        self._instruction = self.spec_task.instruction(kind, receptacle)
        self._tokens = language.encode(self._instruction)
        self._done = False
        self._closed = False
        self._episode_info = {
            "item": self.spec_task.item_name(rank),
            "item_rank": rank,
            "num_items": self.num_items,
            "frequency_bin": self.sampler.frequency_bin(rank),
            "level": self.distribution,
            "task": self.task,
            "instruction_text": self._instruction,
            "success": False,  # the outcome, set when the episode ends: the key is there on every step
        }
        return self._info()

    def step(self, action: PlayroomAction) -> tuple[FirstPersonObs, float, bool, bool, Info]:
        """Apply one action: move, then grip or release, then the task's reward rule."""
        reward, terminated, truncated, info = self.advance(action)
        if self.render_mode == "human":
            self.render()
        return self._observe(), reward, terminated, truncated, info

    def advance(self, action: PlayroomAction) -> tuple[float, bool, bool, Info]:
        """``step`` without the observation: reward, terminated, truncated, info."""
        if self._closed:
            raise RuntimeError("step() called after close(); call reset() to start a new episode")
        if self._done or self._state is None:
            raise RuntimeError("step() called on a finished episode (or before reset()); call reset() first")
        command = self._commands(action)
        state, reward, terminated = rules.transition(
            self._state, command, self._reward_rule, grip_is_held=self.action_mode == "continuous"
        )
        self._state = state
        truncated = not terminated and state.steps >= self.max_steps
        info = self._info()
        if terminated or truncated:
            self._done = True
            info["success"] = reward > 0
        return reward, terminated, truncated, info

    def _commands(self, action: PlayroomAction) -> tuple[float, ...]:
        if self.action_mode == "continuous":
            raw = None if isinstance(action, (str, bytes)) else np.asarray(action)
            # Real numbers only: complex, bool and object arrays were silently cast before.
            if raw is None or raw.dtype.kind not in "iuf" or raw.shape != (5,):
                raise ValueError(
                    f"action must be 5 finite numbers in [-1, 1] (move, strafe, look, pitch, grip), got {action!r}"
                )
            a = raw.astype(np.float64)
            # Out of the box is an error, not clipped: the Box says [-1, 1], and clipping hid agent bugs.
            if not np.all(np.isfinite(a)) or a.min() < -1.0 or a.max() > 1.0:
                raise ValueError(
                    f"action must be 5 finite numbers in [-1, 1] (move, strafe, look, pitch, grip), got {action!r}"
                )
            return float(a[0]), float(a[1]), float(a[2]), float(a[3]), float(a[4])
        value = check_discrete_action(action, rules.ACTION_NAMES)
        return rules.ACTION_COMMAND_TUPLES[value]

    def _info(self) -> dict[str, Any]:
        info = dict(self._episode_info)
        state = self.state
        info["held"] = self.kinds[state.object_kind[state.held]] if state.held >= 0 else ""
        if self.mode == "find":
            visible, bearing, elevation = rules.target_signal(state, (self.camera.height / 2) / self.camera.focal)
            info["target_kind"] = int(state.object_kind[state.target])
            info["target_visible"] = visible
            info["target_bearing"] = bearing
            info["target_elevation"] = elevation
        return numeric_info(info) if self.info_format == "numeric" else info

    def close(self) -> None:
        """Close the window; step() raises until the next reset()."""
        super().close()
        self._done, self._closed = True, True

    def _observe(self) -> FirstPersonObs:
        grid, pose, view = self.view_frame()
        packed = render_packed(grid, pose, self.camera, view)
        self.draw_overlay(packed)
        return {"image": unpack(packed), "instruction": self.instruction_tokens()}

    def view_frame(self) -> tuple[Grid, Pose, View]:
        """What the renderer draws this step: grid, pose and view (the vector env batches these)."""
        state = self.state
        return state.grid, state.pose, View(entities=state.entities, atlas=ATLAS)

    def draw_overlay(self, packed: Array) -> None:
        """Drawn over the rendered (H, W) packed view: the held object."""
        state = self.state
        if state.held >= 0:
            self._draw_held(packed, state)

    def instruction_tokens(self, copy: bool = True) -> IntArray:
        """The instruction's token ids, a fresh array (``copy=False``: the cached one, for a caller that copies)."""
        return self._tokens.copy() if copy else self._tokens

    def _draw_held(self, packed: Array, state: RoomState) -> None:
        """Paint the held object at the bottom centre of the view (its lower part cut by the frame)."""
        entity = state.first_object + state.held
        shape = int(state.entities.shape[entity])
        colour = tuple(int(v) for v in state.entities.colour[entity])
        height, width = packed.shape
        key = (shape, colour, height, width)
        if key not in self._held_pictures:
            if len(self._held_pictures) > 64:
                self._held_pictures.clear()
            size = max(4, round(HELD_FRACTION * height))
            texel = np.arange(size) * SPRITE_SIZE // size
            alpha = ATLAS.alpha[shape][texel[:, None], texel[None, :]]
            rgb = ATLAS.shade[shape][texel[:, None], texel[None, :], None] * np.asarray(colour, np.float32)
            rgb = rgb + ATLAS.fixed[shape][texel[:, None], texel[None, :], None]
            self._held_pictures[key] = (alpha, pack(rgb))
        alpha, picture = self._held_pictures[key]
        size = alpha.shape[0]
        top, left = height - round(0.8 * size), (width - size) // 2
        shown = height - top
        region = packed[top:, left : left + size]
        np.copyto(region, picture[:shown], where=alpha[:shown])

    # -- Privileged access for scripted oracles -----------------------------------------------
    def oracle_action(self) -> int | NDArray[np.float32]:
        """The scripted oracle's action (a discrete index, or its five-control equivalent)."""
        if self._state is None or self._done:
            raise RuntimeError("oracle_action() needs a running episode; call reset() first")
        action = oracle_action(self._state, self.mode)
        if self.action_mode == "discrete":
            return action
        command: NDArray[np.float32] = rules.ACTION_COMMANDS[action].astype(np.float32)
        # Continuous grip is held: keep it up while holding, except to release.
        holding = self._state.held >= 0
        command[4] = 1.0 if (holding and action != rules.GRIP) or (not holding and action == rules.GRIP) else -1.0
        return command

    @property
    def state(self) -> RoomState:
        """The running episode's room state (privileged: for oracles, tests and tools)."""
        if self._state is None:
            raise RuntimeError("no state yet; call reset() first")
        return self._state

    # -- Rendering -------------------------------------------------------------------------------
    def _render_frame(self) -> Image:
        """The canvas: the agent's view beside the top-down map (agent and field of view), as ``render_view`` picks."""
        if self._state is None:
            raise RuntimeError("render() needs a running episode; call reset() first")
        state, canvas = self._state, self.canvas
        view = self._observe()["image"] if canvas.shows_view else None
        top = None
        if canvas.shows_map:
            top = top_down_frame(state, self.camera, scale=canvas.map_scale(*state.grid.walls.shape))
        return canvas.compose(view, top)

    def get_keys_to_action(self) -> dict[tuple[int, ...], Any]:
        """``gymnasium.utils.play`` keys; in continuous mode each key gives its discrete action's five controls."""
        keys = super().get_keys_to_action()
        if self.action_mode == "discrete":
            return keys
        return {key: rules.ACTION_COMMANDS[action].astype(np.float32) for key, action in keys.items()}

    def get_action_meanings(self) -> list[str]:
        """The names of the discrete actions (``action_mode="discrete"`` only: continuous controls have none)."""
        if self.action_mode != "discrete":
            raise ValueError(
                f"get_action_meanings() names Discrete actions; action_mode={self.action_mode!r} has five "
                "continuous controls (move, strafe, look, pitch, grip)"
            )
        return super().get_action_meanings()


def top_down_frame(state: RoomState, camera: Camera, scale: int = TOP_DOWN_SCALE) -> Image:
    """The room from above: furniture cells in their colours, objects as small sprites, the agent and its view."""
    grid = state.grid.copy()
    first = state.first_object
    for furniture in range(first):
        row, col = math.floor(state.entities.y[furniture]), math.floor(state.entities.x[furniture])
        grid.floor[row, col] = (state.entities.colour[furniture].astype(np.int64) * 3 // 4).astype(np.uint8)
    image = top_down(grid, state.pose, None, ATLAS, camera, scale=scale)
    e = state.entities
    side = max(4, round(2 * e.size[first] * scale)) if len(e) > first else 4  # drawn twice their size, to be seen
    texel = np.arange(side) * SPRITE_SIZE // side
    for index in np.flatnonzero(e.active[first:]) + first:
        shape = int(e.shape[index])
        alpha = ATLAS.alpha[shape][texel[:, None], texel[None, :]]
        rgb = ATLAS.shade[shape][texel[:, None], texel[None, :], None] * e.colour[index].astype(np.float32)
        rgb = np.clip(rgb + ATLAS.fixed[shape][texel[:, None], texel[None, :], None], 0, 255).astype(np.uint8)
        top, left = round(e.y[index] * scale - side / 2), round(e.x[index] * scale - side / 2)
        r0, c0 = max(top, 0), max(left, 0)
        r1, c1 = min(top + side, image.shape[0]), min(left + side, image.shape[1])
        patch = image[r0:r1, c0:c1]
        mask = alpha[r0 - top : r1 - top, c0 - left : c1 - left]
        patch[mask] = rgb[r0 - top : r1 - top, c0 - left : c1 - left][mask]
    return image

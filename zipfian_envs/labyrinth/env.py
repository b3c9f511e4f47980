"""Zipf's Labyrinth as a Gymnasium environment: 30 first-person levels drawn from a Zipf distribution."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from zipfian_envs.core import language, skew
from zipfian_envs.core.canvas import Canvas, check_render_view
from zipfian_envs.core.checks import check_discrete_action, check_image_size, warn_renamed_keyword
from zipfian_envs.core.human import RendersForHumans
from zipfian_envs.core.types import DiscreteAction, FirstPersonObs, Image, Info, IntArray
from zipfian_envs.engine.actions import ACTION_NAMES, FIRE, KEY_MAP, NUM_ACTIONS
from zipfian_envs.engine.backend import render_packed
from zipfian_envs.engine.colours import unpack
from zipfian_envs.engine.raycast import Camera, View
from zipfian_envs.engine.topdown import top_down
from zipfian_envs.engine.world import Grid, Pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene
from zipfian_envs.labyrinth.levels import LEVEL_ORDER, NUM_LEVELS, check_level_name, load_level
from zipfian_envs.labyrinth.scores import REFERENCE_SCORES
from zipfian_envs.vector.infos import check_info_format, numeric_info

LABYRINTH_RULES_VERSION = 3


def normalized(level: str, score: float) -> float:
    """(score - random) / (oracle - random) with the level's measured random and oracle means (NaN if unmeasured)."""
    if level not in REFERENCE_SCORES:
        return float("nan")
    random_mean, oracle_mean = REFERENCE_SCORES[level]
    span = oracle_mean - random_mean
    return float((score - random_mean) / span) if span > 0 else float("nan")


def resolve_selection(distribution: str | None, level: str | None, task: str | None) -> tuple[str | None, str | None]:
    """The (distribution, pinned level) of the constructor's keywords, the deprecated spellings mapped with a warning.

    ``task=<level>`` is the old name of ``level=``, and ``level=<distribution>`` the old name of
    ``distribution=`` (a distribution name is never a level name, so the two cannot be confused).
    """
    if task is not None:
        if level is not None:
            raise ValueError(f"give level={level!r} only (task={task!r} is its deprecated name)")
        warn_renamed_keyword("LabyrinthEnv", "task", "level", task, stacklevel=4)
        level = task
    if level is not None and skew.is_distribution(level):
        if distribution is not None:
            raise ValueError(
                f"level={level!r} is a distribution (the deprecated spelling of distribution=) "
                f"but distribution={distribution!r} was given too"
            )
        warn_renamed_keyword("LabyrinthEnv", "level", "distribution", level, stacklevel=4)
        distribution, level = level, None
    if level is not None and level not in LEVEL_ORDER:
        raise ValueError(
            f"unknown level {level!r}; valid: {', '.join(LEVEL_ORDER)} "
            f"(a distribution goes in distribution=; valid forms: {', '.join(skew.DISTRIBUTION_FORMS)})"
        )
    return distribution, level


class LabyrinthEnv(RendersForHumans, gym.Env[FirstPersonObs, np.int64]):
    """Each episode is one of 30 first-person maze tasks modelled on DMLab-30, the level drawn by Zipf.

    ## Description
    A re-creation of Zipf's Labyrinth on the suite's own numpy engine (DeepMind Lab cannot be
    installed from a package registry). Each episode draws one of the 30 DMLab-30 levels from the
    ``level`` distribution over their frequency ranks (rank 1 = ``rooms_collect_good_objects``;
    ``reverse_order=True`` flips the order), or plays the one level named by ``task``. Each level
    is its own module under ``zipfian_envs.labyrinth.levels`` with its rules, rewards and time
    limit (DMLab's reward values and time limits where known).

    ## Observation
    ``Dict(image=Box(0, 255, (height, width, 3), uint8), instruction=Box(0, V - 1, (16,), int64))``:
    the first-person view (72x96 by default, IMPALA's DMLab size, 90 degree field of view) and the
    level's instruction as token ids of :mod:`zipfian_envs.core.language` (0 = padding; all padding on
    levels without language; ``language.decode`` turns it back into text).

    ## Action Space
    ``Discrete(9)``, IMPALA's DMLab action set: forward, backward, strafe left, strafe right, look
    left, look right, forward + look left, forward + look right, fire/use. A move step is 0.21 m
    (3.2 m/s at 15 steps/s), a look step 8.4 degrees.

    ## Rewards
    Each level's own (DMLab's values where published): e.g. +1/-1 for good/bad objects, +10 for a
    goal, +1 per tag in lasertag. ``info["score"]`` is the episode's summed reward so far.

    ## Termination
    Terminates when a level ends early (e.g. all objects collected, skymaze goal taken); truncates
    at the level's time limit (seconds x 15 steps). Every step's ``info`` holds ``normalized_score``
    = (score so far - random) / (oracle - random) with the level's measured random and oracle means,
    and ``success``: False until the episode ends, then the level's own success rule (by default
    normalized score >= 0.5).

    ## Levels
    ``distribution`` follows :mod:`zipfian_envs.core.skew`'s grammar over the 30 level ranks (default
    ``zipf_1``, the reference's default; ``uniform_rare`` is the last 6 levels); ``info["level"]``
    reports it (the records' historical key) and ``info["item"]`` the episode's level.
    ``level=<name>`` pins one of the 30 levels. Deprecated for one release: ``task=<name>`` (now
    ``level=``) and ``level=<distribution>`` (now ``distribution=``).
    ``holdout=True`` plays DMLab's held-out test variants where a level has them.
    ``time_limit_scale`` in (0, 1] shortens every level's time limit (smoke tests and quick
    debugging only: scores of shortened episodes are not comparable with the reference scores).
    ``reset(options={"item_rank": r})`` pins the level rank for evaluation protocols.

    ## Rendering
    ``render()`` frames have one size per instance whatever the level: ``render_view="both"``
    (default) puts the agent's view, upscaled by a whole factor (4x at 72x96), beside the top-down
    map fitted into a square box as high as it; ``"first_person"`` and ``"map"`` show one of them.
    ``gymnasium.utils.play.play(env, noop=env.play_noop)`` plays it with the ``key_map`` keys.
    There is no no-op action: ``play_noop`` is fire (8), which stands still in every level but
    lasertag, where it also tags (pass ``wait_on_player=True`` there to step only while a key is held).
    """

    metadata = {"render_modes": ["rgb_array", "human"], "render_fps": 15}
    window_title = "Zipf's Labyrinth"
    # The levels' rules version: result files record it (env_config["map_version"], as the
    # Gridworld's map generator does), so the leaderboard never merges results across rule changes.
    # Bump it whenever a level's rules or scores change.
    #   (none recorded): the first 30 levels.
    #   2: psychlab trials as DMLab runs them (fixation and answers rest, response windows, error
    #      timeouts, visual search probes) and their recalibrated scores (issue 29).
    map_version = LABYRINTH_RULES_VERSION
    # Every level it plays must have measured reference scores (the calibration itself runs without).
    requires_calibration = True
    action_names = ACTION_NAMES
    key_map = KEY_MAP
    # No no-op in IMPALA's action set: fire stands still (psychlab's oracle holds still with it) but tags in lasertag.
    play_noop = FIRE

    def __init__(
        self,
        distribution: str | None = None,
        *,
        level: str | None = None,
        task: str | None = None,
        reverse_order: bool = False,
        holdout: bool = False,
        time_limit_scale: float = 1.0,
        width: int = 96,
        height: int = 72,
        render_mode: str | None = None,
        info_format: str = "full",
        render_view: str = "both",
    ) -> None:
        check_image_size(width, height)
        distribution, level = resolve_selection(distribution, level, task)
        self.info_format = check_info_format(info_format)
        self.distribution = "zipf_1" if distribution is None else distribution
        skew.parse_distribution(self.distribution)
        if not isinstance(reverse_order, (bool, np.bool_)):
            raise ValueError(f"reverse_order must be True or False, got {reverse_order!r}")
        if not isinstance(holdout, (bool, np.bool_)):
            raise ValueError(f"holdout must be True or False, got {holdout!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: {self.metadata['render_modes']}")
        if (
            isinstance(time_limit_scale, bool)
            or not isinstance(time_limit_scale, (int, float, np.integer, np.floating))
            or not 0 < time_limit_scale <= 1
        ):
            raise ValueError(f"time_limit_scale must be a number in (0, 1], got {time_limit_scale!r}")
        self.time_limit_scale = float(time_limit_scale)
        self.camera = Camera(width=width, height=height)
        self.render_view = check_render_view(render_view)
        self.canvas = Canvas.for_view(self.render_view, height, width)
        self.level = None if level is None else check_level_name(level)
        self.reverse_order = bool(reverse_order)
        self.holdout = bool(holdout)
        self.render_mode = render_mode
        self.order = tuple(reversed(LEVEL_ORDER)) if self.reverse_order else LEVEL_ORDER
        self.sampler = skew.RankSampler.from_distribution(self.distribution, NUM_LEVELS)
        # A pinned task loads only its own module; otherwise every level must load now, not mid-training.
        names = (self.level,) if self.level is not None else self.order
        self._levels: dict[str, Level] = {
            name: load_level(name, calibrated=self.requires_calibration) for name in names
        }

        # gymnasium types Dict as Space[dict[str, Space]]; its samples are dicts of arrays.
        self.observation_space = spaces.Dict(  # type: ignore[assignment]
            {
                "image": spaces.Box(0, 255, (height, width, 3), np.uint8),
                "instruction": spaces.Box(0, language.VOCAB_SIZE - 1, (language.MAX_TOKENS,), np.int64),
            }
        )
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self._scene: Scene[LevelState] | None = None
        self._current: Level | None = None
        self._score = 0.0
        self._done = True
        self._closed = False
        self._episode_info: dict[str, Any] = {}
        self._tokens: tuple[str, np.ndarray] = ("", np.zeros(language.MAX_TOKENS, np.int64))

    # -- Gymnasium API -------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[FirstPersonObs, Info]:
        """Start an episode: draw a level rank (or take ``options["item_rank"]``) and build its scene."""
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
        if self.level is not None:
            rank = self.order.index(self.level) + 1
            if pinned is not None and pinned != rank:
                raise ValueError(f"item_rank={pinned!r} conflicts with level={self.level!r} (rank {rank})")
        elif pinned is not None:
            if isinstance(pinned, bool) or not isinstance(pinned, (int, np.integer)) or not 1 <= pinned <= NUM_LEVELS:
                raise ValueError(f"item_rank must be an integer in 1..{NUM_LEVELS}, got {pinned!r}")
            rank = int(pinned)
        else:
            rank = drawn
        name = self.order[rank - 1]
        self._current = self._levels[name]
        self._scene = self._current.reset(self.np_random, LevelOptions(holdout=self.holdout))
        self._max_steps = self.max_steps  # fixed for the episode; read every step
        self._score = 0.0
        self._done = False
        self._closed = False
        self._episode_info = {
            "item": name,
            "item_rank": rank,
            "num_items": NUM_LEVELS,
            "frequency_bin": self.sampler.frequency_bin(rank),
            "level": self.distribution,
        }
        return self._info()

    def step(self, action: DiscreteAction) -> tuple[FirstPersonObs, float, bool, bool, Info]:
        """Apply one action through the current level's rules."""
        reward, terminated, truncated, info = self.advance(action)
        if self.render_mode == "human":
            self.render()
        return self._observe(), reward, terminated, truncated, info

    def advance(self, action: DiscreteAction) -> tuple[float, bool, bool, Info]:
        """``step`` without the observation: reward, terminated, truncated, info."""
        if self._closed:
            raise RuntimeError("step() called after close(); call reset() to start a new episode")
        scene, level = self._scene, self._current
        if self._done or scene is None or level is None:
            raise RuntimeError("step() called on a finished episode (or before reset()); call reset() first")
        index = check_discrete_action(action, ACTION_NAMES)
        reward = float(level.step(scene, index, self.np_random))
        self._score += reward
        terminated = bool(scene.terminated)
        truncated = not terminated and scene.steps >= self._max_steps
        info = self._info()
        if terminated or truncated:
            self._done = True
            info["success"] = level.is_success(scene, self._score, info["normalized_score"])
        return reward, terminated, truncated, info

    def _info(self) -> Info:
        info = dict(self._episode_info)
        info["score"] = self._score
        # Every key on every step (vector and TorchRL readers need one key set): the score so far,
        # normalised, and the level's success rule, applied once the episode ends.
        info["normalized_score"] = normalized(self.current_level.name, self._score)
        info["success"] = False
        if self.info_format == "numeric":
            return numeric_info(info)
        info["instruction_text"] = self.scene.instruction
        return info

    def close(self) -> None:
        """Close the window; step() raises until the next reset()."""
        super().close()
        self._done, self._closed = True, True

    def _observe(self) -> FirstPersonObs:
        grid, pose, view = self.view_frame()
        image = unpack(render_packed(grid, pose, self.camera, view))
        return {"image": image, "instruction": self.instruction_tokens()}

    def view_frame(self) -> tuple[Grid, Pose, View]:
        """What the renderer draws this step: grid, pose and view (the vector env batches these)."""
        scene = self.scene
        return scene.grid, scene.pose, self.current_level.view(scene)

    def draw_overlay(self, packed: np.ndarray) -> None:
        """Drawn over the rendered (H, W) packed view: nothing in the Labyrinth (the HUD is in the view)."""

    def instruction_tokens(self, copy: bool = True) -> IntArray:
        """The instruction's token ids, a fresh array (``copy=False``: the cached one, for a caller that copies)."""
        instruction = self.scene.instruction
        if self._tokens[0] != instruction:
            self._tokens = (instruction, language.encode(instruction))
        tokens: IntArray = self._tokens[1].copy() if copy else self._tokens[1]
        return tokens

    @property
    def max_steps(self) -> int:
        """The current level's step limit (its time limit x 15 steps/s, times ``time_limit_scale``)."""
        return max(1, round(self.current_level.max_steps * self.time_limit_scale))

    # -- Privileged access for scripted oracles -----------------------------------------------
    def oracle_action(self) -> int:
        """The current level's scripted action, reading privileged state."""
        if self._scene is None or self._done:
            raise RuntimeError("oracle_action() needs a running episode; call reset() first")
        return int(self.current_level.oracle(self._scene))

    @property
    def scene(self) -> Scene[LevelState]:
        """The running episode's scene (privileged: for oracles, tests and tools)."""
        if self._scene is None:
            raise RuntimeError("no scene yet; call reset() first")
        return self._scene

    @property
    def score(self) -> float:
        """The running episode's summed reward so far."""
        return self._score

    @property
    def current_level(self) -> Level:
        """The level being played."""
        if self._current is None:
            raise RuntimeError("no level yet; call reset() first")
        return self._current

    # -- Rendering -------------------------------------------------------------------------------
    def _render_frame(self) -> Image:
        """The canvas: the agent's view beside the top-down map (agent and field of view), as ``render_view`` picks."""
        if self._scene is None:
            raise RuntimeError("render() needs a running episode; call reset() first")
        scene, canvas = self._scene, self.canvas
        view = self._observe()["image"] if canvas.shows_view else None
        top = None
        if canvas.shows_map:
            scale = canvas.map_scale(*scene.grid.walls.shape)
            top = top_down(scene.grid, scene.pose, scene.entities, self.current_level.atlas, self.camera, scale=scale)
        return canvas.compose(view, top)

"""What every Labyrinth level is: a ``reset`` that builds a scene, a ``step`` that applies one action.

A level object holds configuration only (it is shared by every episode and pickles by reference);
everything that changes during an episode lives in its :class:`Scene`, a plain dataclass of the
engine's state plus ``state``, the level's own per-episode values: an instance of a
:class:`LevelState` dataclass that the level (or its family's ``*_common`` module) declares, so
every value has a name and a type. The env owns the clock, the score, the observation and the
info dict; the level owns its rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from zipfian_envs.engine.actions import ACTION_COMMANDS
from zipfian_envs.engine.physics import move_agent, touched
from zipfian_envs.engine.raycast import Screen, View
from zipfian_envs.engine.sprites import ATLAS, SpriteAtlas
from zipfian_envs.engine.world import Entities, Grid, Pose, seconds_to_steps

# A level ends this long after its last event (DMLab waits 0.2 s before ending such episodes).
# Each action's (forward, strafe, turn, look) row unpacked once: the same numpy float64 scalars that
# indexing ACTION_COMMANDS gives, without the indexing per step.
_COMMAND_ROWS = tuple(tuple(row) for row in ACTION_COMMANDS)
END_DELAY_STEPS = 3


@dataclass(slots=True, kw_only=True)
class LevelState:
    """A level's own per-episode values: empty here, subclassed (slots, keyword-only fields) by each level."""


# Covariant: a Scene[SubState] is a Scene[BaseState], so a family's shared rules take its levels' scenes.
StateT = TypeVar("StateT", bound=LevelState, covariant=True)


@dataclass
class Scene(Generic[StateT]):
    """The state of one episode: the world, the agent, the things in it and the level's own ``state``."""

    grid: Grid
    pose: Pose
    state: StateT
    entities: Entities = field(default_factory=Entities)
    instruction: str = ""
    hud: list[tuple[int, int, int]] = field(default_factory=list)
    screens: list[Screen] = field(default_factory=list)
    steps: int = 0
    terminated: bool = False
    success: bool = False
    end_in: int | None = None

    def end_after(self, steps: int = END_DELAY_STEPS) -> None:
        """End the episode ``steps`` agent steps from now (unless it ends sooner)."""
        if self.end_in is None:
            self.end_in = steps


@dataclass(frozen=True)
class LevelOptions:
    """Episode options every level receives: ``holdout`` selects DMLab's held-out test variants."""

    holdout: bool = False


class Level:
    """Base class: subclasses set the class attributes and implement ``build``, ``rules`` and ``oracle``."""

    name: str = ""
    family: str = ""
    time_limit_s: float = 60.0
    summary: str = ""
    # Published DMLab-30 scores (scalable_agent's dmlab30.py), for context only.
    dmlab_human: float = float("nan")
    dmlab_random: float = float("nan")
    atlas: SpriteAtlas = ATLAS
    uses_language: bool = False

    @property
    def max_steps(self) -> int:
        """The level's time limit in agent steps (15 per second)."""
        return seconds_to_steps(self.time_limit_s)

    def reset(self, rng: np.random.Generator, options: LevelOptions = LevelOptions()) -> Scene:
        """A new episode's scene, every random choice drawn from ``rng``."""
        return self.build(rng, options)

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene:
        """Build the episode's scene (subclasses)."""
        raise NotImplementedError

    def step(self, scene: Scene, action: int, rng: np.random.Generator) -> float:
        """Apply one action: move the agent, then the level's rules; return the reward."""
        self.move(scene, action)
        reward = self.rules(scene, action, rng)
        scene.steps += 1
        if scene.end_in is not None:
            scene.end_in -= 1
            if scene.end_in <= 0:
                scene.terminated = True
        return reward

    def move(self, scene: Scene, action: int) -> None:
        """Move the agent by the action's (forward, strafe, turn) command."""
        forward, strafe, turn, _ = _COMMAND_ROWS[action]
        scene.pose = move_agent(scene.grid, scene.pose, forward=forward, strafe=strafe, turn=turn)

    def rules(self, scene: Scene, action: int, rng: np.random.Generator) -> float:
        """The level's rules after the move (subclasses): rewards, pickups, restarts, endings."""
        raise NotImplementedError

    def oracle(self, scene: Scene) -> int:
        """A scripted action that reads privileged state (subclasses)."""
        raise NotImplementedError

    def is_success(self, scene: Scene, score: float, normalized_score: float) -> bool:
        """Level-defined success at episode end; by default a normalized score of at least 0.5."""
        return bool(scene.success or normalized_score >= 0.5)

    def view(self, scene: Scene) -> View:
        """What the renderer draws besides the grid."""
        return View(entities=scene.entities, atlas=self.atlas, screens=tuple(scene.screens), hud=tuple(scene.hud))

    def __repr__(self) -> str:
        return f"<Level {self.name}>"


def collect_touched(scene: Scene, kinds: tuple[int, ...] | None = None) -> tuple[float, np.ndarray]:
    """Pick up every touched entity (of ``kinds``, if given): deactivate it and sum its value."""
    index = touched(scene.entities, scene.pose.x, scene.pose.y)
    if kinds is not None and index.size:
        index = index[np.isin(scene.entities.kind[index], kinds)]
    if index.size == 0:
        return 0.0, index
    scene.entities.active[index] = False
    return float(scene.entities.value[index].sum()), index

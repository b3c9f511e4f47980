"""rooms_watermaze: find an invisible platform in a round arena, again and again, from wall cues."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.actions import ACTION_COMMANDS, LOOK_LEFT
from zipfian_envs.engine.navigation import steer
from zipfian_envs.engine.physics import move_agent
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import Grid, Pose, seconds_to_steps
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene

# DMLab's arena: radius ~768 units (7.68 m); platform 128x128 units, centre uniform over a disc of 580 units.
ARENA_RADIUS_M = 7.6
PLATFORM_HALF_M = 0.64
PLATFORM_DISC_M = 5.8
SPAWN_RADIUS_M = 6.5
NUM_SPAWNS = 8
SPAWN_JITTER_DEG = 20.0
TICKS_PER_FIND = 5
TICK_STEPS = seconds_to_steps(0.5)  # ours: DMLab's timer period is not in our notes
SIZE = 18  # cells per side; the arena's centre is at (9, 9) m
CENTRE = SIZE / 2
FLOOR = (70, 95, 115)
# Cue walls: eight sectors, each its own colour and pattern, so every place in the arena has its own view.
CUE_MATERIALS = (
    ((200, 60, 50), "bricks"),
    ((230, 200, 60), "stripes"),
    ((60, 170, 80), "dots"),
    ((230, 230, 230), "checker"),
    ((70, 90, 200), "tiles"),
    ((160, 80, 180), "planks"),
    ((240, 140, 40), "noise"),
    ((40, 40, 45), "stripes"),
)
CUE_TEXTURES = texture_bank(CUE_MATERIALS)
CUE_TEXTURES.flags.writeable = False


@dataclass(slots=True, kw_only=True)
class WatermazeState(LevelState):
    """The platform's centre (x, y), whether it holds the agent, its ticks paid, steps to the next tick, finds."""

    platform: tuple[float, float]
    held: bool = False
    ticks: int = 0
    next_tick: int = 0
    finds: int = 0


def arena_grid() -> Grid:
    """The round arena on the grid: free cells within the radius, wall cells coloured by their bearing."""
    centres = np.arange(SIZE) + 0.5
    dx, dy = np.meshgrid(centres - CENTRE, centres - CENTRE)
    inside = np.hypot(dx, dy) <= ARENA_RADIUS_M
    sector = np.floor((np.arctan2(dy, dx) % (2 * math.pi)) / (2 * math.pi) * len(CUE_MATERIALS)) % len(CUE_MATERIALS)
    walls = np.where(inside, 0, sector.astype(np.int16) + 1)
    floor = np.empty((SIZE, SIZE, 3), np.uint8)
    floor[:] = FLOOR
    return Grid(walls=walls, floor=floor, textures=CUE_TEXTURES, floor_checker=0.05)


def on_platform(pose: Pose, platform: tuple[float, float]) -> bool:
    """Whether the agent's centre stands on the square platform."""
    return abs(pose.x - platform[0]) <= PLATFORM_HALF_M and abs(pose.y - platform[1]) <= PLATFORM_HALF_M


class Watermaze(Level):
    """A round arena with cue walls and a hidden platform: stand on it for +1 per tick, five times.

    Rules: the arena (radius 7.6 m, DMLab's 7.68 m, approximated on the grid) has walls of eight
    colours and patterns by bearing, the cues. A 1.28 m square platform is hidden in the floor;
    its centre is drawn once per episode uniformly over a disc of radius 5.8 m and it stays put
    for the whole episode. Stepping on it raises it (it becomes visible) and holds the agent in
    place (turning still works); it pays +1 at once and +1 every 0.5 s (ours), five times in all,
    then the agent respawns at one of 8 spawns on the perimeter (6.5 m out), facing the centre
    +-20 degrees. The episode lasts 120 s (1800 steps). Success (ours): the default, a
    normalized score >= 0.5.
    DMLab has no held-out variant of this level, so ``holdout`` changes nothing.
    Tests: place memory: finding the platform once by search, then returning to it directly from
    other starting points using the cues (the Morris water maze).
    """

    name = "rooms_watermaze"
    family = "rooms"
    time_limit_s = 120.0
    summary = "find a hidden platform (+1 per tick, 5 per find) again and again from wall cues"
    dmlab_human = 54.0
    dmlab_random = 4.065

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[WatermazeState]:
        """The arena, the episode's platform and a perimeter spawn."""
        radius = PLATFORM_DISC_M * math.sqrt(rng.uniform())
        angle = rng.uniform(0, 2 * math.pi)
        platform = (CENTRE + radius * math.cos(angle), CENTRE + radius * math.sin(angle))
        state = WatermazeState(platform=platform, held=False, ticks=0, next_tick=0, finds=0)
        scene = Scene(grid=arena_grid(), pose=Pose(CENTRE, CENTRE), state=state)
        # The raised platform, drawn only while the agent stands on it.
        scene.entities.add(*platform, shape_index("box"), (210, 210, 220), size=1.1, touchable=False, active=False)
        self._respawn(scene, rng)
        return scene

    @staticmethod
    def _respawn(scene: Scene, rng: np.random.Generator) -> None:
        """Put the agent at a random perimeter spawn facing the centre +- 20 degrees."""
        bearing = 2 * math.pi * int(rng.integers(NUM_SPAWNS)) / NUM_SPAWNS
        x, y = CENTRE + SPAWN_RADIUS_M * math.cos(bearing), CENTRE + SPAWN_RADIUS_M * math.sin(bearing)
        yaw = bearing + math.pi + math.radians(rng.uniform(-SPAWN_JITTER_DEG, SPAWN_JITTER_DEG))
        scene.pose = Pose(x=x, y=y, yaw=yaw % (2 * math.pi))

    def move(self, scene: Scene[WatermazeState], action: int) -> None:
        """Move as usual, except that the raised platform holds the agent in place (it may still turn)."""
        forward, strafe, turn, _ = ACTION_COMMANDS[action]
        if scene.state.held:
            forward = strafe = 0.0
        scene.pose = move_agent(scene.grid, scene.pose, forward=forward, strafe=strafe, turn=turn)

    def rules(self, scene: Scene[WatermazeState], action: int, rng: np.random.Generator) -> float:
        """Pay a tick on the platform; after the fifth, respawn on the perimeter."""
        state = scene.state
        if not state.held:
            if not on_platform(scene.pose, state.platform):
                return 0.0
            state.held, state.ticks, state.next_tick = True, 0, 0
            scene.entities.active[0] = True
        state.next_tick -= 1
        if state.next_tick > 0:
            return 0.0
        state.ticks += 1
        state.next_tick = TICK_STEPS
        if state.ticks >= TICKS_PER_FIND:
            state.held, state.finds = False, state.finds + 1
            scene.entities.active[0] = False
            self._respawn(scene, rng)
        return 1.0

    def oracle(self, scene: Scene[WatermazeState]) -> int:
        """Walk straight to the platform's centre (privileged: it knows where it is); wait while held."""
        if scene.state.held:
            return LOOK_LEFT
        return steer(scene.pose, *scene.state.platform)


LEVEL = Watermaze()

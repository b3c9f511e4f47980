"""What the four lasertag levels share: a generated arena, bots that roam, aim and tag, and the agent's gadget.

DMLab's lasertag levels are Quake III deathmatches in a random maze of rooms and corridors against
built-in bots (skill 4). Ours keeps the structure and the score (+1 per tag of a bot) with simple,
cheap bots; every bot rule below is ours:

- **Arena.** A new maze each episode from :func:`zipfian_envs.engine.mazes.generate_maze` (with a
  few extra connections, so there are loops to circle), painted in one of a few themes; each room
  floor follows its variation. Spawn points are the maze's per-room spawn cells.
- **Bots** (``bot`` sprites in a random hue each, per episode) walk from cell centre to cell centre
  towards a goal cell along a grid distance field (all of them computed at once when the episode
  starts), at 0.75 of the agent's speed. Roaming, the goal is a random open cell; a bot
  that has seen the agent in the last 4 s hunts the cell where it last saw it. Every 0.2 s a bot
  looks: it sees the agent within 14 m and 60 degrees either side of its heading when the ray from
  the agent to the bot (the engine's ray caster) meets no wall; within 4 m it notices the agent
  whatever its heading (Quake III's bots hear a near enemy), so a turret that waits for bots to
  walk unaware across its aim is found and tagged. It turns towards a seen agent at 12 degrees a step,
  stops closing in at 2.5 m, and once it has seen the agent for 0.33 s fires when its heading is
  within 15 degrees of the agent, at most every 0.8 s. A shot leaves with a normal aim error
  (sd 4 degrees) and tags the agent when it passes within 0.25 m of the agent's centre. A firing
  bot flashes white for 2 steps. A bot that sees the agent and stands within 0.6 m of the agent's
  line of fire side-steps out of it (away from the line, if 0.3 m clear of walls: there is no room
  to dodge in a corridor), as Quake III's bots strafe in a fight. Bots only hunt the agent (they do
  not tag one another).
- **HUD.** A green square shows for 4 steps after the agent tags a bot, a red one for 8 steps
  after a bot tags the agent (DMLab flashes the screen on hits; ours uses the engine's HUD strip).
- **The agent** has one gadget: FIRE tags the nearest bot that the centre ray meets within 0.25 m
  of its centre, nearer than the first wall and within 30 m, at most every 5 steps (0.33 s).
- **Tags.** A tagged bot reappears at once on a spawn cell that the agent cannot see (the
  farthest one when it sees them all); +1. A tagged agent reappears on a spawn cell away from the
  bots, with no score change. DMLab's -1 per self-tag (falls, own splash damage) cannot happen
  here: there is no splash weapon, no fall and no hazard, so the score only ever rises. DMLab's
  weapon and item pickups, shields and its 100-tag limit are left out: everyone has one gadget
  and one hit tags.

The episode's bots, cooldowns and tallies live in a :class:`LaserTagState`.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.actions import FIRE, LOOK_LEFT, LOOK_RIGHT, STRAFE_LEFT, STRAFE_RIGHT
from zipfian_envs.engine.mazes import Maze, generate_maze
from zipfian_envs.engine.navigation import heading_error, next_cell, steer
from zipfian_envs.engine.raycast import cast_rays, centre_ray
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import MOVE_STEP_M, Entities, Grid
from zipfian_envs.labyrinth.common import spawn_pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene

TAG_REWARD = 1.0
BOT = 1
BOT_SIZE_M = 0.8
BOT_HALF_WIDTH_M = 0.25  # the sprite's body: what the agent's centre ray must meet
AGENT_HALF_WIDTH_M = 0.25  # what a bot's shot must pass within
BOT_SPEED_M = 0.75 * MOVE_STEP_M
BOT_TURN_RAD = math.radians(12.0)
BOT_HALF_FOV_RAD = math.radians(60.0)
BOT_SIGHT_M = 14.0
BOT_HEARING_M = 4.0  # ours: a bot notices the agent this near whatever its heading (no wall between)
BOT_REACTION_STEPS = 5
PERCEPTION_PERIOD = 3  # bots look for the agent every 0.2 s (the ray casts are the costliest part of their step)
BOT_FIRE_CONE_RAD = math.radians(15.0)
BOT_COOLDOWN_STEPS = 12
BOT_AIM_SD_RAD = math.radians(4.0)
BOT_KEEP_DISTANCE_M = 2.5
BOT_DODGE_M = 0.6  # ours: a bot that sees the agent side-steps while the agent's aim passes this near it
BOT_CLEARANCE_M = 0.3  # how near a wall a dodging bot may come
BOT_ALERT_STEPS = 60
FLASH_STEPS = 2
AGENT_COOLDOWN_STEPS = 5
AGENT_RANGE_M = 30.0
EXTRA_CONNECTIONS = 0.15
WHITE = np.array([255, 255, 255], np.uint8)
HIT_COLOUR, HIT_HUD_STEPS = (60, 220, 80), 4  # the agent tagged a bot
TAGGED_COLOUR, TAGGED_HUD_STEPS = (230, 40, 40), 8  # a bot tagged the agent
NO_PATH = np.iinfo(np.int16).max


@dataclass(frozen=True)
class ArenaTheme:
    """A lasertag look: wall colour and pattern, floor colours per room variation (corridors first), ceiling."""

    wall: tuple[tuple[int, int, int], str]
    floors: tuple[tuple[int, int, int], ...]
    ceiling: tuple[int, int, int]


THEMES: tuple[ArenaTheme, ...] = (
    ArenaTheme(((60, 70, 120), "tiles"), ((40, 40, 55), (70, 40, 40), (40, 70, 50), (40, 55, 80), (80, 70, 40)),
               (20, 20, 30)),
    ArenaTheme(((150, 150, 160), "bricks"), ((90, 90, 95), (120, 95, 70), (80, 100, 120), (110, 80, 100),
               (95, 115, 85)), (50, 50, 58)),
    ArenaTheme(((120, 60, 40), "planks"), ((70, 60, 50), (100, 85, 60), (60, 75, 70), (90, 60, 60), (75, 75, 95)),
               (35, 28, 24)),
)  # fmt: skip
THEME_TEXTURES = tuple(texture_bank([theme.wall]) for theme in THEMES)
for _bank in THEME_TEXTURES:
    _bank.flags.writeable = False


def arena_grid(maze: Maze, theme_index: int) -> Grid:
    """The maze as a grid in a theme: one wall material, room floors by variation."""
    theme = THEMES[theme_index]
    palette = np.asarray(theme.floors, np.uint8)
    floor = palette[np.minimum(maze.cell_variation(), len(palette) - 1)]
    walls = maze.walls.astype(np.int16)
    return Grid(walls=walls, floor=floor, textures=THEME_TEXTURES[theme_index], ceiling=theme.ceiling)


def bot_colours(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count, 3) uint8 saturated colours of random hues (one per bot)."""
    hues = rng.random(count)
    return np.array([[round(255 * v) for v in colorsys.hsv_to_rgb(h, 0.8, 0.95)] for h in hues], np.uint8)


def visible_from(grid: Grid, x: float, y: float, to_x: np.ndarray, to_y: np.ndarray) -> np.ndarray:
    """Whether each point (to_x, to_y) is in line of sight from (x, y): no wall before it on the ray."""
    dx, dy = np.asarray(to_x, np.float64) - x, np.asarray(to_y, np.float64) - y
    # With the ray direction the full offset, the ray parameter is 1 at the point itself.
    hits = cast_rays(grid.walls, x, y, dx, dy)
    return hits.depth >= 1.0


def all_distances(free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid path lengths between every pair of free cells, by one breadth-first search batched over all of them.

    Returns ``index`` ((rows, cols) int32: each free cell's number, -1 elsewhere) and ``distance``
    ((N, rows, cols) int16: steps from free cell ``n`` to every cell, ``NO_PATH`` where there is none).
    """
    cells = np.argwhere(free)
    index = np.full(free.shape, -1, np.int32)
    index[cells[:, 0], cells[:, 1]] = np.arange(len(cells), dtype=np.int32)
    distance = np.full((len(cells), *free.shape), NO_PATH, np.int16)
    frontier = np.zeros(distance.shape, bool)
    frontier[np.arange(len(cells)), cells[:, 0], cells[:, 1]] = True
    reached = frontier.copy()
    step = 0
    while frontier.any():
        distance[frontier] = step
        grown = np.zeros_like(frontier)
        grown[:, 1:] |= frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        grown[:, :, 1:] |= frontier[:, :, :-1]
        grown[:, :, :-1] |= frontier[:, :, 1:]
        frontier = grown & free & ~reached
        reached |= frontier
        step += 1
    return index, distance


@dataclass(slots=True, kw_only=True)
class LaserTagState(LevelState):
    """The bots' minds (one row per bot), the agent's cooldown and HUD timer, the tallies and the path tables."""

    bots: int
    theme: int
    spawn_cells: np.ndarray
    open_cells: np.ndarray
    colours: np.ndarray
    yaw: np.ndarray
    waypoint: np.ndarray  # the cell centre each bot walks to next
    goal: np.ndarray  # the cell each bot is heading for
    seen: np.ndarray  # which bots saw the agent at the last perception step
    seen_for: np.ndarray  # how long (steps) each bot has seen the agent without a break
    alert: np.ndarray  # steps left of hunting the agent's last seen cell
    last_seen: np.ndarray
    cooldown: np.ndarray
    flash: np.ndarray
    agent_cooldown: int = 0
    hud_steps: int = 0  # steps left of the HUD's hit or tagged signal
    tags: int = 0
    tagged: int = 0
    cell_index: np.ndarray  # every open cell's number in ``distances``
    distances: np.ndarray  # grid path lengths from each open cell to every cell (bots and oracle walk these)


def agent_target(scene: Scene[LaserTagState]) -> int:
    """The bot the agent's centre ray would tag now (nearest first), or -1 for none."""
    ents = scene.entities
    pose = scene.pose
    count = scene.state.bots
    fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
    rel_x, rel_y = ents.x[:count] - pose.x, ents.y[:count] - pose.y
    depth = rel_x * fx + rel_y * fy
    lateral = rel_y * fx - rel_x * fy
    wall = float(centre_ray(scene.grid, pose).depth[0])
    in_front = (depth > 0.1) & (depth < min(wall, AGENT_RANGE_M))
    hit = ents.active[:count] & in_front & (np.abs(lateral) <= BOT_HALF_WIDTH_M)
    if not hit.any():
        return -1
    return int(np.flatnonzero(hit)[np.argmin(depth[hit])])


class LaserTagLevel(Level):
    """Shared configuration and rules: maze size and rooms, the number of bots."""

    family = "lasertag"
    time_limit_s = 240.0
    maze_size: int = 11
    max_rooms: int = 3
    room_size: tuple[int, int] = (3, 5)
    num_bots: int = 1

    def new_maze(self, rng: np.random.Generator) -> Maze:
        """This level's kind of arena, drawn from ``rng``."""
        return generate_maze(
            rng,
            self.maze_size,
            max_rooms=self.max_rooms,
            room_size=self.room_size,
            spawns_per_room=6,
            objects_per_room=0,
            extra_connection_probability=EXTRA_CONNECTIONS,
        )

    # -- episode set-up --------------------------------------------------------------------------
    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[LaserTagState]:
        """A new arena and theme, the agent on a spawn cell and the bots on others."""
        maze = self.new_maze(rng)
        theme = int(rng.integers(len(THEMES)))
        open_cells = np.argwhere(maze.open)
        spawns = maze.all_spawns()
        if len(spawns) < self.num_bots + 1:
            spawns = open_cells  # a maze without enough room spawns: spawn anywhere
        order = rng.permutation(len(spawns))
        pose = spawn_pose(rng, spawns[order[0]])
        bots = spawns[order[1 : 1 + self.num_bots]]
        colours = bot_colours(rng, self.num_bots)
        entities = Entities()
        for (row, col), colour in zip(bots.tolist(), colours):
            entities.add(col + 0.5, row + 0.5, shape_index("bot"), colour, kind=BOT, size=BOT_SIZE_M,
                         touchable=False)  # fmt: skip
        count = self.num_bots
        cell_index, distances = all_distances(maze.open)
        state = LaserTagState(
            bots=count,
            theme=theme,
            spawn_cells=spawns,
            open_cells=open_cells,
            colours=colours,
            yaw=rng.uniform(0, 2 * math.pi, count),
            waypoint=bots.copy(),
            goal=bots.copy(),
            seen=np.zeros(count, bool),
            seen_for=np.zeros(count, np.int64),
            alert=np.zeros(count, np.int64),
            last_seen=np.zeros((count, 2), np.int64),
            cooldown=np.zeros(count, np.int64),
            flash=np.zeros(count, np.int64),
            agent_cooldown=0,
            hud_steps=0,
            tags=0,
            tagged=0,
            cell_index=cell_index,
            distances=distances,
        )
        return Scene(grid=arena_grid(maze, theme), pose=pose, state=state, entities=entities)

    # -- rules -----------------------------------------------------------------------------------
    def rules(self, scene: Scene[LaserTagState], action: int, rng: np.random.Generator) -> float:
        """The agent's shot, then the bots: look, turn, fire, walk."""
        state = scene.state
        reward = 0.0
        if state.agent_cooldown > 0:
            state.agent_cooldown -= 1
        if state.hud_steps > 0:
            state.hud_steps -= 1
            if state.hud_steps == 0:
                scene.hud = []
        if action == FIRE and state.agent_cooldown == 0:
            state.agent_cooldown = AGENT_COOLDOWN_STEPS
            target = agent_target(scene)
            if target >= 0:
                reward += TAG_REWARD
                state.tags += 1
                scene.hud, state.hud_steps = [HIT_COLOUR], HIT_HUD_STEPS
                self.respawn_bot(scene, target, rng)
        self.bots_act(scene, rng)
        return reward

    def bots_act(self, scene: Scene[LaserTagState], rng: np.random.Generator) -> None:
        """All bots at once: perceive the agent (every few steps), turn, maybe fire, then walk their paths."""
        state, ents, pose = scene.state, scene.entities, scene.pose
        count = state.bots
        if scene.steps % PERCEPTION_PERIOD == 0:
            self.perceive(scene)
        seen = state.seen
        any_seen = bool(seen.any())
        x, y, yaw = ents.x[:count], ents.y[:count], state.yaw
        waypoint = state.waypoint
        gx, gy = waypoint[:, 1] + (0.5 - x), waypoint[:, 0] + (0.5 - y)
        gap = np.hypot(gx, gy)
        # Turn: towards a seen agent, else along the path (a bot standing on its waypoint keeps its heading).
        wanted = np.where(gap > 1e-6, np.arctan2(gy, gx), yaw)
        if any_seen:
            to_x, to_y = pose.x - x, pose.y - y
            distance = np.hypot(to_x, to_y)
            bearing = np.arctan2(to_y, to_x)
            wanted = np.where(seen, bearing, wanted)
        turn = (wanted - yaw + math.pi) % (2 * math.pi) - math.pi
        yaw = (yaw + np.minimum(np.maximum(turn, -BOT_TURN_RAD), BOT_TURN_RAD)) % (2 * math.pi)
        state.yaw = yaw

        cooldown, flash = state.cooldown, state.flash
        tagged, recolour = False, bool(flash.any())
        if recolour:
            flash -= flash > 0
        if cooldown.any():
            cooldown -= cooldown > 0
        stride = np.minimum(gap, BOT_SPEED_M)
        if any_seen:
            # Fire: a bot that has watched the agent long enough and roughly faces it.
            aim = (bearing - yaw + math.pi) % (2 * math.pi) - math.pi
            firing = seen & (state.seen_for >= BOT_REACTION_STEPS) & (cooldown == 0)
            firing &= np.abs(aim) <= BOT_FIRE_CONE_RAD
            if firing.any():
                shot_error = aim[firing] - rng.normal(0.0, BOT_AIM_SD_RAD, int(firing.sum()))
                tagged = bool((np.abs(shot_error) <= np.arctan2(AGENT_HALF_WIDTH_M, distance[firing])).any())
                cooldown[firing] = BOT_COOLDOWN_STEPS
                flash[firing] = FLASH_STEPS
                recolour = True
            # Hold still when close to a seen agent.
            stride[seen & (distance <= BOT_KEEP_DISTANCE_M)] = 0.0
            dodging = self.dodge(scene, seen)
            stride[dodging] = 0.0
        scale = stride / np.maximum(gap, 1e-9)
        ents.x[:count] += gx * scale
        ents.y[:count] += gy * scale
        for bot in np.flatnonzero((stride > 0) & (gap <= BOT_SPEED_M) | (gap <= 1e-6)).tolist():
            self.plan(scene, bot, rng)
        if recolour:
            ents.colour[:count] = np.where((flash > 0)[:, None], WHITE, state.colours)
        if tagged:
            self.respawn_agent(scene, rng)

    def dodge(self, scene: Scene[LaserTagState], seen: np.ndarray) -> np.ndarray:
        """Side-step the seen bots that stand in the agent's line of fire, away from it; which ones moved."""
        ents, pose, walls = scene.entities, scene.pose, scene.grid.walls
        count = scene.state.bots
        fx, fy = math.cos(pose.yaw), math.sin(pose.yaw)
        x, y = ents.x[:count], ents.y[:count]
        depth = (x - pose.x) * fx + (y - pose.y) * fy
        lateral = (y - pose.y) * fx - (x - pose.x) * fy
        aimed_at = seen & (depth > 0.0) & (np.abs(lateral) <= BOT_DODGE_M)
        moved = np.zeros(count, bool)
        for bot in np.flatnonzero(aimed_at).tolist():
            side = 1.0 if lateral[bot] >= 0 else -1.0  # away from the ray: the side the bot is already on
            new_x, new_y = x[bot] - side * fy * BOT_SPEED_M, y[bot] + side * fx * BOT_SPEED_M
            corners = [(new_y + dy, new_x + dx) for dy in (-BOT_CLEARANCE_M, BOT_CLEARANCE_M)
                       for dx in (-BOT_CLEARANCE_M, BOT_CLEARANCE_M)]  # fmt: skip
            if all(walls[int(cy), int(cx)] == 0 for cy, cx in corners):
                ents.x[bot], ents.y[bot] = new_x, new_y
                moved[bot] = True
        return moved

    def perceive(self, scene: Scene[LaserTagState]) -> None:
        """Which bots see the agent now: in range, within their view cone, and no wall in between."""
        state, ents, pose = scene.state, scene.entities, scene.pose
        count = state.bots
        x, y = ents.x[:count], ents.y[:count]
        to_x, to_y = pose.x - x, pose.y - y
        off = (np.arctan2(to_y, to_x) - state.yaw + math.pi) % (2 * math.pi) - math.pi
        distance = np.hypot(to_x, to_y)
        seen = (distance <= BOT_SIGHT_M) & (np.abs(off) <= BOT_HALF_FOV_RAD) | (distance <= BOT_HEARING_M)
        if seen.any():
            seen &= visible_from(scene.grid, pose.x, pose.y, x, y)
        state.seen = seen
        state.seen_for = np.where(seen, state.seen_for + PERCEPTION_PERIOD, 0)
        alert = state.alert
        alert -= np.minimum(alert, PERCEPTION_PERIOD)
        if seen.any():
            alert[seen] = BOT_ALERT_STEPS
            state.last_seen[seen] = pose.cell

    def plan(self, scene: Scene[LaserTagState], bot: int, rng: np.random.Generator) -> None:
        """A bot at its waypoint: pick a goal (the agent's last seen cell when alert, else a random cell), step once."""
        state = scene.state
        here = (int(state.waypoint[bot, 0]), int(state.waypoint[bot, 1]))
        goal = (int(state.goal[bot, 0]), int(state.goal[bot, 1]))
        if state.alert[bot] > 0:
            goal = (int(state.last_seen[bot, 0]), int(state.last_seen[bot, 1]))
        elif goal == here:
            cells = state.open_cells
            cell = cells[int(rng.integers(len(cells)))]
            goal = (int(cell[0]), int(cell[1]))
        state.goal[bot] = goal
        if goal == here:
            return
        field = self.field(scene, goal)
        row, col = here
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            if field[row + dr, col + dc] < field[row, col]:
                state.waypoint[bot] = (row + dr, col + dc)
                return

    def field(self, scene: Scene[LaserTagState], goal: tuple[int, int]) -> np.ndarray:
        """The grid distance field to ``goal`` (a row of the episode's all-pairs table)."""
        return scene.state.distances[scene.state.cell_index[goal]]

    def respawn_bot(self, scene: Scene[LaserTagState], bot: int, rng: np.random.Generator) -> None:
        """Put a tagged bot on a random spawn cell the agent cannot see (else the farthest), calm."""
        state, pose = scene.state, scene.pose
        cells = state.spawn_cells
        cx, cy = cells[:, 1] + 0.5, cells[:, 0] + 0.5
        hidden = ~visible_from(scene.grid, pose.x, pose.y, cx, cy) & (np.hypot(cx - pose.x, cy - pose.y) > 3.0)
        if hidden.any():
            choice = int(rng.choice(np.flatnonzero(hidden)))
        else:
            choice = int(np.argmax(np.hypot(cx - pose.x, cy - pose.y)))
        self._place_bot(scene, bot, cells[choice], rng)

    def _place_bot(self, scene: Scene[LaserTagState], bot: int, cell: np.ndarray, rng: np.random.Generator) -> None:
        state = scene.state
        scene.entities.x[bot], scene.entities.y[bot] = cell[1] + 0.5, cell[0] + 0.5
        state.waypoint[bot] = cell
        state.goal[bot] = cell
        state.yaw[bot] = rng.uniform(0, 2 * math.pi)
        state.seen[bot] = False
        state.seen_for[bot] = 0
        state.alert[bot] = 0
        state.cooldown[bot] = 0

    def respawn_agent(self, scene: Scene[LaserTagState], rng: np.random.Generator) -> None:
        """Put the tagged agent on a random spawn cell among the half farthest from the bots; bots lose it."""
        state = scene.state
        count = state.bots
        cells = state.spawn_cells
        bots_x, bots_y = scene.entities.x[None, :count], scene.entities.y[None, :count]
        gap = np.hypot(cells[:, 1, None] + 0.5 - bots_x, cells[:, 0, None] + 0.5 - bots_y).min(axis=1)
        far = np.argsort(-gap, kind="stable")[: max(1, len(cells) // 2)]
        scene.pose = spawn_pose(rng, cells[int(rng.choice(far))])
        state.tagged += 1
        scene.hud, state.hud_steps = [TAGGED_COLOUR], TAGGED_HUD_STEPS
        state.seen[:] = False
        state.seen_for[:] = 0
        state.alert[:] = 0

    # -- oracle ----------------------------------------------------------------------------------
    def oracle(self, scene: Scene[LaserTagState]) -> int:
        """Hunt the nearest bot by grid path; when one is in sight, face it and fire once it is on the centre ray."""
        state, ents, pose = scene.state, scene.entities, scene.pose
        count = state.bots
        if agent_target(scene) >= 0:
            return FIRE  # while the gadget recharges, FIRE changes nothing: hold the aim
        x, y = ents.x[:count], ents.y[:count]
        distance = np.hypot(x - pose.x, y - pose.y)
        in_sight = visible_from(scene.grid, pose.x, pose.y, x, y) & (distance <= AGENT_RANGE_M)
        if in_sight.any():
            bot = int(np.flatnonzero(in_sight)[np.argmin(distance[in_sight])])
            error = heading_error(pose, float(x[bot]), float(y[bot]))
            if abs(error) > 0.5 * math.radians(8.4):
                return LOOK_RIGHT if error > 0 else LOOK_LEFT
            # Finer than a look step: side-step so the bot drifts onto the centre ray.
            return STRAFE_RIGHT if error > 0 else STRAFE_LEFT
        # Out of sight: the nearest bot by path length, then one step along the path to its cell.
        here = pose.cell
        rows, cols = y.astype(np.int64), x.astype(np.int64)
        lengths = np.where(ents.active[:count], state.distances[state.cell_index[here]][rows, cols], NO_PATH)
        bot = int(np.argmin(lengths))
        if lengths[bot] <= 1:
            return steer(pose, float(x[bot]), float(y[bot]))
        step = next_cell(self.field(scene, (int(rows[bot]), int(cols[bot]))), here)
        if step is None:
            return LOOK_RIGHT
        return steer(pose, step[1] + 0.5, step[0] + 0.5)

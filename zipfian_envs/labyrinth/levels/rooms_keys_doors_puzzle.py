"""rooms_keys_doors_puzzle: open coloured doors with keys of their colour, in the right order, to reach a lolly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.actions import LOOK_LEFT
from zipfian_envs.engine.navigation import UNREACHABLE, distance_field, passable, walk_towards
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import AGENT_RADIUS_M, Grid
from zipfian_envs.labyrinth.common import COLOURS, spawn_pose
from zipfian_envs.labyrinth.level import Level, LevelOptions, LevelState, Scene, collect_touched
from zipfian_envs.labyrinth.rooms_keys_doors import (
    KEY_COLOUR_NAMES,
    NONE,
    Puzzle,
    generate,
    plan,
    reachable_rooms,
    room_of_cell,
)

KEY, GOAL = 1, 2
KEY_REWARD, DOOR_REWARD, GOAL_REWARD = 1.0, 1.0, 50.0
GOAL_COLOUR = COLOURS["orange"]
KEY_RGB = tuple(COLOURS[name] for name in KEY_COLOUR_NAMES)
# Material 1: the rooms' walls; 2 + colour: a door of that colour (striped like DMLab's fences, but opaque).
TEXTURES = texture_bank([((150, 140, 130), "bricks"), *((rgb, "stripes") for rgb in KEY_RGB)])
TEXTURES.flags.writeable = False
FLOOR, CEILING = (110, 100, 90), (150, 150, 160)  # a light ceiling keeps the black key's HUD square visible
# The agent touches a door when its body comes this close to the door's cell (collision stops it a sub-step short).
DOOR_TOUCH_M = 0.1


@dataclass(slots=True, kw_only=True)
class KeysDoorsState(LevelState):
    """The puzzle, the carried key's colour (``NONE``: none), each key's colour, each door's cell, colour and state."""

    puzzle: Puzzle
    carried: int = NONE
    key_colour: np.ndarray
    door_cells: np.ndarray
    door_colour: np.ndarray
    door_open: np.ndarray
    doors_opened: int = 0


def door_touched(x: float, y: float, cells: np.ndarray) -> np.ndarray:
    """Which door cells (N, 2 rows/cols) the agent at (x, y) walks into: its centre in front of the door's
    face and its body within ``DOOR_TOUCH_M`` of it (brushing past a door's corner does not count)."""
    reach = AGENT_RADIUS_M + DOOR_TOUCH_M
    rows, cols = cells[:, 0], cells[:, 1]
    facing_x = (rows <= y) & (y < rows + 1) & (x + reach > cols) & (x - reach < cols + 1)
    facing_y = (cols <= x) & (x < cols + 1) & (y + reach > rows) & (y - reach < rows + 1)
    return facing_x | facing_y


class KeysDoorsPuzzle(Level):
    """A new 3x3-room puzzle every episode: coloured keys open doors of their colour; a lolly (+50) ends it.

    Rules: rooms of 3x4 cells on a 3x3 grid are joined by open passages or by doors in one of
    five colours (red, green, blue, white, black). Touching a key picks it up (+1); the agent
    carries one key at most, and a new key replaces the carried one, which is lost. The carried
    key's colour is shown as a square in the HUD (top left). Walking into a door with the key of
    its colour opens it and uses the key up (+1); other doors stay shut. The goal, an orange lolly,
    gives +50 and the episode ends 0.2 s later; otherwise it ends at 60 s (900 steps).
    The generator (ours, after DMLab's keys_doors configs): a core chain of 1-3 doors with each key
    placed somewhere reachable before its door (keys taken in the wrong order lose one); a trap
    room behind a second door of a core colour (opening it wastes the key the core door needs); a
    red-herring room with its own key and door, leading nowhere (its key displaces a carried core
    key); 0-1 extra rooms behind open passages; two doors whose key does not exist; and, with
    free colours, 0-1 keys that open nothing and 0-1 extra doors (with keys) that open onto nothing
    new. Rooms not in the puzzle are solid. Doors are opaque here (DMLab's fences are see-through).
    Spawn: a random cell of the start room, random heading. Success: taking the lolly.
    DMLab has no held-out variant of this level, so ``holdout`` changes nothing.
    Tests: planning the order of keys and doors, and avoiding irreversible mistakes.
    """

    name = "rooms_keys_doors_puzzle"
    family = "rooms"
    time_limit_s = 60.0
    summary = "keys open doors of their colour (+1 each); plan the order to reach the lolly (+50)"
    dmlab_human = 53.8
    dmlab_random = 4.135

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[KeysDoorsState]:
        """A freshly generated puzzle: its walls and doors, keys, the lolly and the agent in the start room."""
        puzzle = generate(rng)
        walls = puzzle.walls()
        floor = np.empty((*walls.shape, 3), np.uint8)
        floor[:] = FLOOR
        grid = Grid(walls=walls, floor=floor, textures=TEXTURES, ceiling=CEILING)
        doors = puzzle.doors
        state = KeysDoorsState(
            puzzle=puzzle,
            carried=NONE,
            key_colour=np.array([colour for _, _, colour, _, _ in puzzle.keys], np.int64),
            door_cells=np.array([(row, col) for row, col, *_ in doors], np.int64).reshape(-1, 2),
            door_colour=np.array([door[2] for door in doors], np.int64),
            door_open=np.zeros(len(doors), bool),
            doors_opened=0,
        )
        scene = Scene(grid=grid, pose=spawn_pose(rng, puzzle.start), state=state)
        for row, col, colour, _, _ in puzzle.keys:
            scene.entities.add(col + 0.5, row + 0.5, shape_index("key"), KEY_RGB[colour], kind=KEY, value=KEY_REWARD)
        row, col, _ = puzzle.goal
        scene.entities.add(col + 0.5, row + 0.5, shape_index("lolly"), GOAL_COLOUR, kind=GOAL, value=GOAL_REWARD)
        return scene

    def rules(self, scene: Scene[KeysDoorsState], action: int, rng: np.random.Generator) -> float:
        """Pick up keys (replacing the carried one), open doors with the matching key, take the lolly."""
        state = scene.state
        reward, taken = collect_touched(scene)
        if taken.size:
            kinds = scene.entities.kind[taken]
            if np.any(kinds == GOAL):
                scene.success = True
                scene.end_after()
            keys = taken[kinds == KEY]
            if keys.size:
                self._carry(scene, int(state.key_colour[keys[-1]]))
        carried = state.carried
        if carried != NONE:
            closed = ~state.door_open & (state.door_colour == carried)
            if closed.any():
                hit = np.flatnonzero(closed & door_touched(scene.pose.x, scene.pose.y, state.door_cells))
                if hit.size:
                    door = int(hit[0])
                    state.door_open[door] = True
                    state.doors_opened += 1
                    scene.grid.walls[tuple(state.door_cells[door])] = 0
                    self._carry(scene, NONE)
                    reward += DOOR_REWARD
        return reward

    @staticmethod
    def _carry(scene: Scene[KeysDoorsState], colour: int) -> None:
        scene.state.carried = colour
        scene.hud = [] if colour == NONE else [KEY_RGB[colour]]

    def oracle(self, scene: Scene[KeysDoorsState]) -> int:
        """Follow the planner's shortest key/door order (privileged puzzle state), walking around other keys."""
        state, ents = scene.state, scene.entities
        puzzle = state.puzzle
        num_keys = len(puzzle.keys)
        taken = sum(1 << i for i in range(num_keys) if not ents.active[i])
        opened = sum(1 << i for i, is_open in enumerate(state.door_open) if is_open)
        room = puzzle.room_at(scene.pose.cell)
        steps = plan(puzzle, (room, state.carried, opened, taken)) if room >= 0 else None
        if steps:
            kind, index = steps[0]
        else:
            kind, index = self._salvage(scene, puzzle, room, opened, taken)
            if kind == "none":
                return LOOK_LEFT
        if kind == "door":
            target = (int(state.door_cells[index, 0]), int(state.door_cells[index, 1]))
        elif kind == "key":
            target = (int(ents.y[index]), int(ents.x[index]))
        else:
            target = (int(ents.y[num_keys]), int(ents.x[num_keys]))
        keys = [
            (int(ents.y[i]), int(ents.x[i])) for i in range(num_keys) if ents.active[i] and (kind, i) != ("key", index)
        ]
        around = [(r + dr, c + dc) for r, c in keys for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
        fronts = []
        if state.carried != NONE:
            # Keep out of the cells in front of other doors of the carried colour: walking into one spends the key.
            for door in np.flatnonzero(~state.door_open & (state.door_colour == state.carried)):
                if (kind, door) != ("door", index):
                    row, col = state.door_cells[door]
                    fronts += [(row + dr, col + dc) for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))]
        # Plan with the widest berth around other keys and doors that still reaches the target.
        for avoid in (around + fronts, keys + fronts, keys, []):
            free = passable(scene.grid)
            for cell in avoid:
                if 0 <= cell[0] < free.shape[0] and 0 <= cell[1] < free.shape[1]:
                    free[cell] = False
            free[scene.pose.cell] = free[target] = True
            distance = distance_field(free, [target])
            if distance[scene.pose.cell] != UNREACHABLE:
                break
        return walk_towards(scene.grid, scene.pose, target[1] + 0.5, target[0] + 0.5, distance)

    @staticmethod
    def _salvage(scene: Scene[KeysDoorsState], puzzle: Puzzle, room: int, opened: int, taken: int) -> tuple[str, int]:
        """When the goal is out of reach (a wrong key or door was taken), still earn +1s: a door, else a key."""
        state, ents = scene.state, scene.entities
        if room < 0:
            return "none", 0
        region = reachable_rooms(puzzle, room, opened)
        for index, (_, _, colour, a, b, _) in enumerate(puzzle.doors):
            if not state.door_open[index] and colour == state.carried and (region >> a & 1 or region >> b & 1):
                return "door", index
        for index in range(len(puzzle.keys)):
            if ents.active[index] and region >> room_of_cell((int(ents.y[index]), int(ents.x[index]))) & 1:
                return "key", index
        return "none", 0


LEVEL = KeysDoorsPuzzle()

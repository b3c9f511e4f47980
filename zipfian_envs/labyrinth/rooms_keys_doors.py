"""The keys-and-doors puzzle behind rooms_keys_doors_puzzle: a generator and a planner over a 3x3 grid of rooms.

A puzzle is plain data: rooms joined by open passages or by coloured doors, keys (each a colour
in a room) and a goal room. The generator draws one from a ``np.random.Generator`` in the spirit
of DMLab's keys_doors map generator: a core chain of 1-3 coloured doors, each key placed before
its door, plus a trap room (behind a door of a core colour, so opening it wastes a needed key), a
red-herring room (its own key and door, leading nowhere), 0-1 extra rooms joined by open
passages, two doors whose key does not exist, 0-1 keys that open nothing and 0-1 extra doors
(with their keys) that open onto nothing new. The planner searches the abstract states (carried
key, doors opened, keys taken) breadth first, so it finds the shortest sequence of pickups and
door openings that reaches the goal, avoiding the traps.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

import numpy as np

ROOMS_PER_SIDE = 3
ROOM_ROWS, ROOM_COLS = 3, 4  # interior cells of a room (DMLab's ASCII rooms are 3 rows x 4 columns)
GRID_ROWS = ROOMS_PER_SIDE * (ROOM_ROWS + 1) + 1
GRID_COLS = ROOMS_PER_SIDE * (ROOM_COLS + 1) + 1
NUM_ROOMS = ROOMS_PER_SIDE * ROOMS_PER_SIDE
KEY_COLOUR_NAMES = ("red", "green", "blue", "white", "black")
NUM_COLOURS = len(KEY_COLOUR_NAMES)
NONE = -1  # no key carried / no colour

# Roles of doors and keys (for tests, the top-down map and the docstring's rules).
CORE, TRAP, HERRING, LOCKED, USELESS, EXTRA = 0, 1, 2, 3, 4, 5
ROLE_NAMES = ("core", "trap", "red herring", "never opens", "useless", "extra")


@dataclass(frozen=True)
class Puzzle:
    """One generated puzzle, as tuples (hashable, so plans can be cached per puzzle).

    ``doors``: (row, col, colour, room_a, room_b, role) per door; ``passages``: (row, col, room_a,
    room_b) per open passage; ``keys``: (row, col, colour, room, role) per key; ``goal``: (row, col,
    room); ``start``: the spawn cell (row, col); ``used``: the rooms that are part of the level.
    """

    doors: tuple[tuple[int, int, int, int, int, int], ...]
    passages: tuple[tuple[int, int, int, int], ...]
    keys: tuple[tuple[int, int, int, int, int], ...]
    goal: tuple[int, int, int]
    start: tuple[int, int]
    used: tuple[int, ...]
    core_length: int

    def walls(self) -> np.ndarray:
        """The (rows, cols) wall map: 1 for walls (unused rooms are solid), 2 + colour for doors, 0 for floor."""
        walls = np.ones((GRID_ROWS, GRID_COLS), np.int16)
        for room in self.used:
            rows, cols = room_slices(room)
            walls[rows, cols] = 0
        for row, col, *_ in self.passages:
            walls[row, col] = 0
        for row, col, colour, *_ in self.doors:
            walls[row, col] = 2 + colour
        return walls

    def start_state(self) -> tuple[int, int, int, int]:
        """(room, carried, opened mask, taken mask) at the start of the episode."""
        return room_of_cell(self.start), NONE, 0, 0

    def room_at(self, cell: tuple[int, int]) -> int:
        """The room of a cell; a doorway counts as the first room it joins (-1 inside a wall)."""
        room = room_of_cell(cell)
        if room >= 0:
            return room
        openings = [(row, col, a) for row, col, a, _ in self.passages]
        openings += [(row, col, a) for row, col, _, a, _, _ in self.doors]
        for row, col, a in openings:
            if (row, col) == tuple(cell):
                return a
        return -1


def room_slices(room: int) -> tuple[slice, slice]:
    """The interior cells of a room as (rows, cols) slices of the grid."""
    i, j = divmod(room, ROOMS_PER_SIDE)
    top, left = i * (ROOM_ROWS + 1) + 1, j * (ROOM_COLS + 1) + 1
    return slice(top, top + ROOM_ROWS), slice(left, left + ROOM_COLS)


def room_cells(room: int) -> list[tuple[int, int]]:
    """The interior (row, col) cells of a room."""
    rows, cols = room_slices(room)
    return [(r, c) for r in range(rows.start, rows.stop) for c in range(cols.start, cols.stop)]


def neighbours(room: int) -> list[int]:
    """Rooms sharing a wall with ``room``."""
    i, j = divmod(room, ROOMS_PER_SIDE)
    out = []
    for di, dj in ((-1, 0), (1, 0), (0, -1), (0, 1)):
        if 0 <= i + di < ROOMS_PER_SIDE and 0 <= j + dj < ROOMS_PER_SIDE:
            out.append((i + di) * ROOMS_PER_SIDE + j + dj)
    return out


def wall_cell(rng: np.random.Generator, a: int, b: int, fronts: set[tuple[int, int]]) -> tuple[int, int]:
    """A random cell of the wall between neighbouring rooms ``a`` and ``b`` (where a door or passage goes).

    No room cell may stand in front of two openings (``fronts`` holds the cells in front of the
    openings so far and gains this one's), so walking through one doorway never brushes another
    door. Raises ``DeadEndError`` when the wall has no such cell left.
    """
    (ia, ja), (ib, jb) = divmod(a, ROOMS_PER_SIDE), divmod(b, ROOMS_PER_SIDE)
    if ia == ib:  # side by side: the wall is a column
        col = max(ja, jb) * (ROOM_COLS + 1)
        cells = [(ia * (ROOM_ROWS + 1) + 1 + k, col) for k in range(ROOM_ROWS)]
        in_front = [((r, c - 1), (r, c + 1)) for r, c in cells]
    else:
        row = max(ia, ib) * (ROOM_ROWS + 1)
        cells = [(row, ja * (ROOM_COLS + 1) + 1 + k) for k in range(ROOM_COLS)]
        in_front = [((r - 1, c), (r + 1, c)) for r, c in cells]
    allowed = [i for i, pair in enumerate(in_front) if not fronts.intersection(pair)]
    if not allowed:
        raise DeadEndError
    choice = allowed[int(rng.integers(len(allowed)))]
    fronts.update(in_front[choice])
    return cells[choice]


class DeadEndError(Exception):
    """This draw painted itself into a corner; the generator draws again."""


def generate(rng: np.random.Generator, attempts: int = 100) -> Puzzle:
    """A solvable puzzle drawn from ``rng`` (draws again, from the same generator, when a draw dead-ends)."""
    # The core length is drawn once, so that redraws do not favour the lengths that dead-end less often.
    core_length = int(rng.integers(1, 4))
    for _ in range(attempts):
        try:
            puzzle = _draw(rng, core_length)
        except DeadEndError:
            continue
        if plan(puzzle, puzzle.start_state()) is not None:
            return puzzle
    raise RuntimeError(f"no solvable keys-doors puzzle in {attempts} draws")


def _draw(rng: np.random.Generator, core_length: int) -> Puzzle:
    colours = [int(c) for c in rng.permutation(NUM_COLOURS)]
    core_colours = colours[:core_length]
    herring_colour, locked_colour = colours[core_length], colours[core_length + 1]
    spare = colours[core_length + 2 :]
    useless_colour = spare.pop(0) if spare and rng.random() < 0.5 else NONE
    extra_colour = spare.pop(0) if spare and rng.random() < 0.5 else NONE

    zone_of: dict[int, int] = {}
    links: list[tuple[int, int, str, int, int]] = []  # (room_a, room_b, "door"|"passage", colour, role)

    def frontier(rooms) -> list[tuple[int, int]]:
        return sorted({(a, b) for a in rooms for b in neighbours(a) if b not in zone_of})

    def attach(rooms, zone: int) -> tuple[int, int]:
        options = frontier(rooms)
        if not options:
            raise DeadEndError
        a, b = options[int(rng.integers(len(options)))]
        zone_of[b] = zone
        return a, b

    start_room = int(rng.integers(NUM_ROOMS))
    zone_of[start_room] = 0
    for k, colour in enumerate(core_colours, start=1):
        a, b = attach([r for r, z in zone_of.items() if z == k - 1], k)
        links.append((a, b, "door", colour, CORE))
    goal_room = next(r for r, z in zone_of.items() if z == core_length)
    if rng.random() < 0.5:  # an extra easy room, open to one of the zones before the goal's
        zone = int(rng.integers(core_length))
        a, b = attach([r for r, z in zone_of.items() if z == zone], zone)
        links.append((a, b, "passage", NONE, CORE))

    def rooms_upto(zone: int) -> list[int]:
        return [r for r, z in zone_of.items() if 0 <= z <= zone and z < core_length]

    key_specs: list[tuple[int, int, int]] = []  # (colour, room, role)
    for k, colour in enumerate(core_colours, start=1):
        # The key of door k lies anywhere reachable before door k: picking keys in the wrong order loses one.
        rooms = rooms_upto(k - 1)
        key_specs.append((colour, rooms[int(rng.integers(len(rooms)))], CORE))
    # The trap: a dead-end room behind a second door of a core colour, reachable while that key is in hand.
    trap_index = int(rng.integers(core_length))
    a, b = attach(rooms_upto(trap_index), -1)
    links.append((a, b, "door", core_colours[trap_index], TRAP))
    # The red herring: its own key and door, leading to an empty dead end.
    herring_zone = int(rng.integers(core_length))
    a, b = attach(rooms_upto(herring_zone), -2)
    links.append((a, b, "door", herring_colour, HERRING))
    rooms = rooms_upto(herring_zone)
    key_specs.append((herring_colour, rooms[int(rng.integers(len(rooms)))], HERRING))
    if useless_colour != NONE:
        rooms = rooms_upto(core_length - 1)
        key_specs.append((useless_colour, rooms[int(rng.integers(len(rooms)))], USELESS))
    if extra_colour != NONE:
        # An extra door that opens (its key lies before it) onto nothing new: a new dead-end room, or a
        # second way into the trap or red-herring room.
        zone = int(rng.integers(core_length))
        rooms = rooms_upto(zone)
        linked = {frozenset((a, b)) for a, b, *_ in links}
        options = frontier(rooms) or sorted(
            (a, b) for a in rooms for b in neighbours(a) if zone_of.get(b, 0) < 0 and frozenset((a, b)) not in linked
        )
        if options:
            a, b = options[int(rng.integers(len(options)))]
            zone_of.setdefault(b, -3)
            links.append((a, b, "door", extra_colour, EXTRA))
            key_specs.append((extra_colour, rooms[int(rng.integers(len(rooms)))], EXTRA))
    # Two doors that never open (no key of their colour exists), on walls between a used room and any other.
    candidates = sorted(
        {(min(a, b), max(a, b)) for a in zone_of for b in neighbours(a)}
        - {(min(a, b), max(a, b)) for a, b, *_ in links}
    )
    for index in rng.permutation(len(candidates))[:2]:
        a, b = candidates[int(index)]
        links.append((a, b, "door", locked_colour, LOCKED))

    doors, passages, openings = [], [], []
    fronts: set[tuple[int, int]] = set()
    for a, b, kind, colour, role in links:
        row, col = wall_cell(rng, a, b, fronts)
        openings.append((row, col))
        if kind == "passage":
            passages.append((row, col, a, b))
        else:
            doors.append((row, col, colour, a, b, role))

    # Objects go on room cells that are not in front of an opening, so walking through a doorway takes nothing.
    def blocked(cell: tuple[int, int]) -> bool:
        return any(abs(cell[0] - r) + abs(cell[1] - c) <= 1 for r, c in openings)

    taken: set[tuple[int, int]] = set()

    def place(room: int) -> tuple[int, int]:
        cells = [cell for cell in room_cells(room) if not blocked(cell) and cell not in taken]
        if not cells:
            raise DeadEndError
        cell = cells[int(rng.integers(len(cells)))]
        taken.add(cell)
        return cell

    keys = []
    for colour, room, role in key_specs:
        row, col = place(room)
        keys.append((row, col, colour, room, role))
    goal = (*place(goal_room), goal_room)
    start = place(start_room)
    return Puzzle(
        doors=tuple(doors),
        passages=tuple(passages),
        keys=tuple(keys),
        goal=goal,
        start=start,
        used=tuple(sorted(zone_of)),
        core_length=core_length,
    )


def room_of_cell(cell: tuple[int, int]) -> int:
    """The room whose interior holds ``cell`` (-1 for walls and doorways)."""
    row, col = cell
    i, r = divmod(row - 1, ROOM_ROWS + 1)
    j, c = divmod(col - 1, ROOM_COLS + 1)
    if row < 1 or col < 1 or r >= ROOM_ROWS or c >= ROOM_COLS or i >= ROOMS_PER_SIDE or j >= ROOMS_PER_SIDE:
        return -1
    return i * ROOMS_PER_SIDE + j


def reachable_rooms(puzzle: Puzzle, room: int, opened: int) -> int:
    """Bit mask of the rooms reachable from ``room`` through passages and the ``opened`` doors."""
    links = [(a, b) for _, _, a, b in puzzle.passages]
    links += [(d[3], d[4]) for i, d in enumerate(puzzle.doors) if opened >> i & 1]
    seen = 1 << room
    grown = True
    while grown:
        grown = False
        for a, b in links:
            if (seen >> a & 1) != (seen >> b & 1):
                seen |= (1 << a) | (1 << b)
                grown = True
    return seen


Step = tuple[str, int]  # ("key", key index) | ("door", door index) | ("goal", 0)


@functools.lru_cache(maxsize=4096)
def plan(puzzle: Puzzle, state: tuple[int, int, int, int]) -> tuple[Step, ...] | None:
    """The shortest sequence of key pickups and door openings from ``state`` to the goal (None if hopeless).

    ``state`` is (agent's room, carried colour, opened-door mask, taken-key mask). Picking a key
    replaces the carried one; a door opens only with the carried key of its colour, which it uses up.
    """
    room, carried, opened, taken = state
    start = (carried, opened, taken)
    parents: dict[tuple[int, int, int], tuple[tuple[int, int, int], Step] | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        carried, opened, taken = node
        region = reachable_rooms(puzzle, room, opened)
        if region >> puzzle.goal[2] & 1:
            steps: list[Step] = [("goal", 0)]
            link = parents[node]
            while link is not None:
                node, step = link
                steps.append(step)
                link = parents[node]
            return tuple(reversed(steps))
        moves: list[tuple[tuple[int, int, int], Step]] = []
        for index, (_, _, colour, key_room, _) in enumerate(puzzle.keys):
            if not taken >> index & 1 and region >> key_room & 1:
                moves.append(((colour, opened, taken | 1 << index), ("key", index)))
        for index, (_, _, colour, a, b, _) in enumerate(puzzle.doors):
            if not opened >> index & 1 and colour == carried and (region >> a & 1 or region >> b & 1):
                moves.append(((NONE, opened | 1 << index, taken), ("door", index)))
        for child, step in moves:
            if child not in parents:
                parents[child] = (node, step)
                queue.append(child)
    return None

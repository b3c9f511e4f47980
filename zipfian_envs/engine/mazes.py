"""Seeded random mazes of rooms and corridors, in the spirit of DeepMind Lab's ``randomMazeGeneration``.

A maze is an odd-sized grid on a lattice: cells with both coordinates odd are *nodes*, the cells
between two nodes are *links*, and cells with both coordinates even are always wall. Generation:

1. **Rooms.** Up to ``max_rooms`` rectangles with odd side lengths drawn from ``room_size`` are
   dropped at random odd positions; a candidate that overlaps a placed room is rejected (rooms may
   share a wall line, never floor). Placement stops after ``max_rooms`` rooms or a fixed number of
   attempts, so small mazes can hold fewer rooms than asked for.
2. **Corridors.** Every node outside the rooms is carved into a perfect maze (a randomised
   depth-first search, one tree per connected stretch of free nodes).
3. **Connections.** Rooms and corridor trees are *regions*. Every wall link between two different
   regions is a candidate connection; in random order (Kruskal's algorithm) a candidate is opened
   when it joins two regions not yet connected, otherwise with ``extra_connection_probability``
   (which makes loops, so there is more than one way round). The region graph of an odd lattice is
   connected, so the result always is.
4. **Simplify.** With ``simplify`` (and at least one room), corridor dead ends are filled back in
   until none is left: what remains are corridors that lead from one room to another. Filling a
   dead end never disconnects anything, so every open cell stays reachable from every other.
5. **Doors, spawns, objects.** An opened link next to a room cell is a *door* cell (a level may
   turn doors into closable doors, or ignore them). In each room, ``objects_per_room`` distinct
   object cells and ``spawns_per_room`` distinct spawn cells are drawn; spawns avoid the room's
   object cells while the room has enough cells, and share them otherwise. Each room also gets a
   *variation* in ``1..max_variations`` (DMLab's per-room floor themes; corridors are variation 0).

Everything comes from the ``rng`` passed in: the same seed gives the same maze. Sizes are in
cells (one cell is one metre in this engine, 100 units in DMLab). DMLab's explore levels use
11x11 mazes with up to 4 rooms of 3..5 cells, or 17x17 with up to 9 rooms of 3 cells; its lasertag
levels use larger ones. :meth:`Maze.text` gives the map as DMLab-like text ('*' wall, ' ' floor,
'D' door, 'P' spawn, 'O' object), which is handy for debugging and for ``grid_from_text``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


@dataclass(frozen=True)
class Maze:
    """A generated maze: wall mask, room membership, doors and per-room spawn and object cells.

    ``walls`` is a (rows, cols) bool mask (True = wall); ``room`` is the room index per cell (-1 for
    walls, corridors and doors); ``rooms`` is (R, 4) of (top, left, height, width) of each room's
    floor; ``doors`` is (D, 2) of (row, col) door cells; ``spawns[i]`` and ``objects[i]`` are
    (k, 2) arrays of (row, col) cells in room ``i``; ``variation[i]`` is room ``i``'s variation.
    """

    walls: np.ndarray
    room: np.ndarray
    rooms: np.ndarray
    doors: np.ndarray
    spawns: tuple[np.ndarray, ...]
    objects: tuple[np.ndarray, ...]
    variation: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.walls.shape

    @property
    def num_rooms(self) -> int:
        """How many rooms were placed."""
        return int(self.rooms.shape[0])

    @property
    def open(self) -> np.ndarray:
        """(rows, cols) bool mask of floor cells (rooms, corridors and doors)."""
        return ~self.walls

    def all_spawns(self) -> np.ndarray:
        """(N, 2) spawn cells of every room, room by room."""
        return np.concatenate([*self.spawns, np.zeros((0, 2), np.int64)]).astype(np.int64)

    def all_objects(self) -> np.ndarray:
        """(N, 2) object cells of every room, room by room."""
        return np.concatenate([*self.objects, np.zeros((0, 2), np.int64)]).astype(np.int64)

    def cell_variation(self) -> np.ndarray:
        """(rows, cols) variation per cell: the room's variation in rooms, 0 elsewhere."""
        lookup = np.concatenate([self.variation.astype(np.int16), np.zeros(1, np.int16)])
        return lookup[self.room]  # room -1 picks the trailing 0

    def text(self) -> list[str]:
        """The maze as text lines: '*' wall, ' ' floor, 'D' door, 'P' spawn, 'O' object (wins over 'P')."""
        chars = np.where(self.walls, "*", " ").astype("<U1")
        for cells, mark in ((self.doors, "D"), (self.all_spawns(), "P"), (self.all_objects(), "O")):
            if len(cells):
                chars[cells[:, 0], cells[:, 1]] = mark
        return ["".join(row) for row in chars]


def region_labels(open_cells: np.ndarray) -> np.ndarray:
    """Label 4-connected components of ``open_cells`` 0, 1, ... in row-major order of first cell; -1 elsewhere."""
    rows, cols = open_cells.shape
    labels = np.full((rows, cols), -1, np.int32)
    flat_open = open_cells.ravel()
    flat = labels.ravel()
    count = 0
    for start in np.flatnonzero(flat_open):
        if flat[start] >= 0:
            continue
        flat[start] = count
        queue = deque([int(start)])
        while queue:
            index = queue.popleft()
            r, c = divmod(index, cols)
            for dr, dc in _STEPS:
                rr, cc = r + dr, c + dc
                if 0 <= rr < rows and 0 <= cc < cols:
                    neighbour = rr * cols + cc
                    if flat_open[neighbour] and flat[neighbour] < 0:
                        flat[neighbour] = count
                        queue.append(neighbour)
        count += 1
    return labels


def is_connected(open_cells: np.ndarray) -> bool:
    """Whether all open cells form one 4-connected component (True for none)."""
    labels = region_labels(open_cells)
    return int(labels.max(initial=-1)) <= 0


def _odd_sizes(room_size: tuple[int, int], limit: int) -> np.ndarray:
    low, high = room_size
    sizes = np.array([s for s in range(low, min(high, limit) + 1) if s % 2 == 1], np.int64)
    if sizes.size == 0:
        raise ValueError(
            f"room_size={room_size!r} has no odd side length that fits a maze of {limit + 2} cells;"
            f" valid: 1 <= low <= high with an odd value in low..min(high, {limit})"
        )
    return sizes


def _check_arguments(size, max_rooms, room_size, spawns_per_room, objects_per_room, probability, max_variations):
    shape = (size, size) if isinstance(size, (int, np.integer)) and not isinstance(size, bool) else size
    if (
        not isinstance(shape, tuple)
        or len(shape) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 5 and s % 2 for s in shape)
    ):
        raise ValueError(f"size must be an odd integer >= 5 or a (rows, cols) pair of them, got {size!r}")
    for name, value in (
        ("max_rooms", max_rooms),
        ("spawns_per_room", spawns_per_room),
        ("objects_per_room", objects_per_room),
        ("max_variations", max_variations),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    if (
        not isinstance(room_size, tuple)
        or len(room_size) != 2
        or not all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in room_size)
        or not 1 <= room_size[0] <= room_size[1]
    ):
        raise ValueError(f"room_size must be a (low, high) pair of integers with 1 <= low <= high, got {room_size!r}")
    if isinstance(probability, bool) or not isinstance(probability, (int, float, np.integer, np.floating)):
        raise ValueError(f"extra_connection_probability must be a number in [0, 1], got {probability!r}")
    if not 0.0 <= float(probability) <= 1.0:
        raise ValueError(f"extra_connection_probability must be in [0, 1], got {probability!r}")
    return int(shape[0]), int(shape[1])


def _place_rooms(
    rng: np.random.Generator, rows: int, cols: int, max_rooms: int, room_size: tuple[int, int], attempts: int
) -> tuple[np.ndarray, np.ndarray]:
    """Room rectangles (top, left, height, width) at odd positions, non-overlapping; and the room map."""
    heights = _odd_sizes(room_size, rows - 2)
    widths = _odd_sizes(room_size, cols - 2)
    room = np.full((rows, cols), -1, np.int16)
    rooms: list[tuple[int, int, int, int]] = []
    # One vectorised draw for every attempt (a generator call per attempt would dominate the cost).
    draws = rng.random((attempts, 4))
    h_all = heights[(draws[:, 0] * heights.size).astype(np.int64)]
    w_all = widths[(draws[:, 1] * widths.size).astype(np.int64)]
    top_all = 1 + 2 * (draws[:, 2] * ((rows - h_all) // 2)).astype(np.int64)
    left_all = 1 + 2 * (draws[:, 3] * ((cols - w_all) // 2)).astype(np.int64)
    for top, left, h, w in zip(top_all.tolist(), left_all.tolist(), h_all.tolist(), w_all.tolist()):
        if len(rooms) >= max_rooms:
            break
        # Plain-integer rectangle tests: much cheaper than a numpy slice per attempt.
        if any(top < t + hh and t < top + h and left < x + ww and x < left + w for t, x, hh, ww in rooms):
            continue
        room[top : top + h, left : left + w] = len(rooms)
        rooms.append((top, left, h, w))
    return np.array(rooms, np.int64).reshape(-1, 4), room


def _carve_corridors(rng, open_cells, room):
    """Carve a perfect maze through every node outside the rooms (randomised depth-first search)."""
    rows, cols = open_cells.shape
    node_rows, node_cols = (rows - 1) // 2, (cols - 1) // 2
    visited = room[1::2, 1::2] >= 0  # room nodes are never corridor nodes
    # Each carving step consumes one pre-drawn uniform; there are fewer steps than nodes.
    uniforms = rng.random(node_rows * node_cols).tolist()
    used = 0
    for start in rng.permutation(node_rows * node_cols).tolist():
        i, j = divmod(start, node_cols)
        if visited[i, j]:
            continue
        visited[i, j] = True
        open_cells[2 * i + 1, 2 * j + 1] = True
        stack = [(i, j)]
        while stack:
            i, j = stack[-1]
            choices = [
                (i + di, j + dj)
                for di, dj in _STEPS
                if 0 <= i + di < node_rows and 0 <= j + dj < node_cols and not visited[i + di, j + dj]
            ]
            if not choices:
                stack.pop()
                continue
            ni, nj = choices[int(uniforms[used] * len(choices))]
            used += 1
            visited[ni, nj] = True
            open_cells[2 * ni + 1, 2 * nj + 1] = True
            open_cells[i + ni + 1, j + nj + 1] = True  # the link between the two nodes
            stack.append((ni, nj))


def _candidate_links(open_cells, labels):
    """Wall links between two open cells of different regions: (cell (K, 2), side labels (K, 2))."""
    cells, sides = [], []
    # Vertical links: even row, odd column, joining the cells above and below.
    for vertical in (True, False):
        if vertical:
            r, c = np.meshgrid(np.arange(2, open_cells.shape[0] - 1, 2), np.arange(1, open_cells.shape[1], 2))
            a, b = labels[r - 1, c], labels[r + 1, c]
        else:
            r, c = np.meshgrid(np.arange(1, open_cells.shape[0], 2), np.arange(2, open_cells.shape[1] - 1, 2))
            a, b = labels[r, c - 1], labels[r, c + 1]
        keep = (~open_cells[r, c]) & (a >= 0) & (b >= 0) & (a != b)
        cells.append(np.stack([r[keep], c[keep]], axis=1))
        sides.append(np.stack([a[keep], b[keep]], axis=1))
    return np.concatenate(cells).astype(np.int64), np.concatenate(sides).astype(np.int64)


def _connect_regions(rng, open_cells, probability):
    """Open links so that all regions connect (a random spanning tree), plus extra links with ``probability``."""
    labels = region_labels(open_cells)
    cells, sides = _candidate_links(open_cells, labels)
    # Sort first so the shuffle alone decides the order (independent of meshgrid layout).
    order = np.lexsort((cells[:, 1], cells[:, 0]))
    cells, sides = cells[order], sides[order]
    shuffle = rng.permutation(len(cells))
    extra = rng.random(len(cells)) < probability
    parent = list(range(int(labels.max(initial=-1)) + 1))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    opened = []
    for k in shuffle.tolist():
        a, b = find(int(sides[k, 0])), find(int(sides[k, 1]))
        if a != b:
            parent[a] = b
            opened.append(k)
        elif extra[k]:
            opened.append(k)
    opened_cells = cells[np.sort(np.array(opened, np.int64))]
    open_cells[opened_cells[:, 0], opened_cells[:, 1]] = True
    return opened_cells


def _fill_dead_ends(open_cells, room):
    """Fill corridor cells with at most one open neighbour until none is left (never room cells)."""
    corridor = room < 0
    rows, cols = open_cells.shape
    padded = np.zeros((rows + 2, cols + 2), np.int8)
    while True:
        padded[1:-1, 1:-1] = open_cells
        neighbours = padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]
        dead = open_cells & corridor & (neighbours <= 1)
        if not dead.any():
            return
        open_cells &= ~dead


def _pick_cells(rng, cells, objects_per_room, spawns_per_room):
    """Distinct object cells, then distinct spawn cells preferring the cells that hold no object."""
    order = rng.permutation(len(cells))
    rest = order[objects_per_room:]
    if len(rest) >= spawns_per_room:
        spawn_index = rest[:spawns_per_room]
    else:
        spawn_index = np.concatenate([rest, order[: min(spawns_per_room, len(cells)) - len(rest)]])
    return cells[np.sort(spawn_index)], cells[np.sort(order[:objects_per_room])]


def generate_maze(
    rng: np.random.Generator,
    size: int | tuple[int, int] = 11,
    *,
    max_rooms: int = 4,
    room_size: tuple[int, int] = (3, 5),
    spawns_per_room: int = 5,
    objects_per_room: int = 4,
    extra_connection_probability: float = 0.05,
    simplify: bool = True,
    max_variations: int = 4,
    room_attempts: int | None = None,
) -> Maze:
    """A random maze of rooms and corridors (see the module docstring), every open cell connected.

    ``size`` is an odd side >= 5 or an odd (rows, cols) pair, the outer wall included; ``room_size``
    bounds each room side (only odd sides are used); ``room_attempts`` caps placement tries
    (default ``50 * max_rooms``). Defaults are DMLab's explore defaults (11x11, <= 4 rooms of 3..5).
    """
    rows, cols = _check_arguments(
        size, max_rooms, room_size, spawns_per_room, objects_per_room, extra_connection_probability, max_variations
    )
    if room_attempts is not None and (
        isinstance(room_attempts, bool) or not isinstance(room_attempts, (int, np.integer)) or room_attempts < 1
    ):
        raise ValueError(f"room_attempts must be None or an integer >= 1, got {room_attempts!r}")
    attempts = 50 * max_rooms if room_attempts is None else int(room_attempts)
    rooms, room = _place_rooms(rng, rows, cols, int(max_rooms), room_size, attempts)
    open_cells = room >= 0
    _carve_corridors(rng, open_cells, room)
    links = _connect_regions(rng, open_cells, float(extra_connection_probability))
    if simplify and len(rooms):
        _fill_dead_ends(open_cells, room)
    # Doors: opened links that survived simplification and touch a room cell.
    doors = np.zeros((0, 2), np.int64)
    if len(links):
        r, c = links[:, 0], links[:, 1]
        padded = np.pad(room, 1, constant_values=-1)
        touches_room = (
            (padded[r, c + 1] >= 0)
            | (padded[r + 2, c + 1] >= 0)
            | (padded[r + 1, c] >= 0)
            | (padded[r + 1, c + 2] >= 0)
        )
        doors = links[open_cells[r, c] & touches_room]
    spawns, objects = [], []
    for index in range(len(rooms)):
        cells = np.argwhere(room == index).astype(np.int64)
        spawn, obj = _pick_cells(rng, cells, int(objects_per_room), int(spawns_per_room))
        spawns.append(spawn)
        objects.append(obj)
    if max_variations > 0:
        variation = rng.integers(1, int(max_variations) + 1, size=len(rooms)).astype(np.int64)
    else:
        variation = np.zeros(len(rooms), np.int64)
    return Maze(
        walls=~open_cells,
        room=room,
        rooms=rooms,
        doors=doors,
        spawns=tuple(spawns),
        objects=tuple(objects),
        variation=variation,
    )

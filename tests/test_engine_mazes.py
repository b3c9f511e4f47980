"""The shared random maze generator: shapes, connectivity, rooms, doors, spawns, determinism, bad input."""

import numpy as np
import pytest

from zipfian_envs.engine.mazes import Maze, generate_maze, is_connected, region_labels

CONFIGS = [
    dict(size=11, max_rooms=4, room_size=(3, 5)),
    dict(size=13, max_rooms=1, room_size=(11, 11), objects_per_room=16),
    dict(size=17, max_rooms=9, room_size=(3, 3), objects_per_room=5),
    dict(size=21, max_rooms=6, room_size=(3, 7), extra_connection_probability=0.3),
    dict(size=(11, 19), max_rooms=3, room_size=(3, 5)),
    dict(size=15, max_rooms=0),
    dict(size=15, max_rooms=3, room_size=(3, 5), simplify=False),
]


def open_neighbours(open_cells):
    padded = np.pad(open_cells, 1).astype(int)
    return padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"{c['size']}-{c['max_rooms']}")
def test_mazes_are_connected_and_well_formed(config):
    size = config["size"]
    rows, cols = (size, size) if isinstance(size, int) else size
    for seed in range(25):
        maze = generate_maze(np.random.default_rng(seed), **config)
        assert isinstance(maze, Maze)
        assert maze.walls.shape == maze.room.shape == (rows, cols)
        assert maze.open.any() and is_connected(maze.open)
        # The outer ring is wall, and so are lattice corners (even, even) outside rooms.
        assert maze.walls[0].all() and maze.walls[-1].all() and maze.walls[:, 0].all() and maze.walls[:, -1].all()
        assert (maze.walls | (maze.room >= 0))[::2, ::2].all()
        assert maze.num_rooms <= config["max_rooms"]
        assert np.array_equal(np.unique(maze.room[maze.room >= 0]), np.arange(maze.num_rooms))
        for index, (top, left, height, width) in enumerate(maze.rooms.tolist()):
            assert top % 2 == left % 2 == height % 2 == width % 2 == 1
            assert config["room_size"][0] <= height <= config["room_size"][1]
            assert (maze.room[top : top + height, left : left + width] == index).all()
            assert (maze.room == index).sum() == height * width
            assert maze.open[top : top + height, left : left + width].all()
        assert len(maze.variation) == maze.num_rooms
        assert ((maze.variation >= 1) & (maze.variation <= 4)).all()


def test_simplify_leaves_no_corridor_dead_ends_and_keeps_rooms():
    for seed in range(25):
        maze = generate_maze(np.random.default_rng(seed), 17, max_rooms=9, room_size=(3, 3))
        corridor = maze.open & (maze.room < 0)
        assert not (corridor & (open_neighbours(maze.open) <= 1)).any()


def test_without_rooms_the_corridors_form_a_perfect_maze():
    # No rooms and no extra connections: every node is open and the open cells form a tree.
    for seed in range(10):
        maze = generate_maze(np.random.default_rng(seed), 15, max_rooms=0, extra_connection_probability=0.0)
        assert maze.num_rooms == 0 and maze.open[1::2, 1::2].all()
        nodes = 7 * 7
        assert maze.open.sum() == 2 * nodes - 1
        assert len(maze.doors) == 0 and len(maze.all_spawns()) == 0 and len(maze.all_objects()) == 0


def test_extra_connections_add_doors():
    # With probability 1 every wall link between two different regions opens; with 0 only a spanning tree does.
    for seed in range(5):
        many = generate_maze(np.random.default_rng(seed), 21, max_rooms=6, extra_connection_probability=1.0)
        few = generate_maze(np.random.default_rng(seed), 21, max_rooms=6, extra_connection_probability=0.0)
        assert np.array_equal(many.room, few.room)
        assert len(many.doors) > len(few.doors)


def test_room_counts():
    counts = [generate_maze(np.random.default_rng(s), 17, max_rooms=9, room_size=(3, 3)).num_rooms for s in range(40)]
    assert max(counts) == 9 and np.mean(counts) > 8.5
    small = [generate_maze(np.random.default_rng(s), 11).num_rooms for s in range(40)]
    assert min(small) >= 1 and max(small) == 4 and np.mean(small) > 2.5
    whole = generate_maze(np.random.default_rng(0), 13, max_rooms=1, room_size=(11, 11))
    assert whole.num_rooms == 1 and whole.open[1:-1, 1:-1].all() and len(whole.doors) == 0
    assert generate_maze(np.random.default_rng(0), 11, max_rooms=0).num_rooms == 0


def test_doors_join_rooms_to_the_rest():
    seen = 0
    for seed in range(20):
        maze = generate_maze(np.random.default_rng(seed), 17, max_rooms=9, room_size=(3, 3))
        for row, col in maze.doors.tolist():
            seen += 1
            assert maze.open[row, col] and maze.room[row, col] == -1
            assert (row % 2) != (col % 2)  # a lattice link
            sides = [(row - 1, col), (row + 1, col)] if row % 2 == 0 else [(row, col - 1), (row, col + 1)]
            assert all(maze.open[r, c] for r, c in sides)
            assert any(maze.room[r, c] >= 0 for r, c in sides)
        # Every room has at least one door (it is connected to something through one).
        if maze.num_rooms > 1:
            padded = np.pad(maze.room, 1, constant_values=-1)
            for index in range(maze.num_rooms):
                r, c = maze.doors[:, 0] + 1, maze.doors[:, 1] + 1
                touching = (
                    (padded[r - 1, c] == index)
                    | (padded[r + 1, c] == index)
                    | (padded[r, c - 1] == index)
                    | (padded[r, c + 1] == index)
                )
                assert touching.any()
    assert seen > 50


def test_spawn_and_object_cells():
    for seed in range(20):
        maze = generate_maze(np.random.default_rng(seed), 17, max_rooms=9, room_size=(3, 3), objects_per_room=5)
        for index in range(maze.num_rooms):
            spawns, objects = maze.spawns[index], maze.objects[index]
            assert len(objects) == 5 and len(spawns) == 5
            for cells in (spawns, objects):
                assert (maze.room[cells[:, 0], cells[:, 1]] == index).all()
                assert len({tuple(c) for c in cells.tolist()}) == len(cells)
            # 3x3 rooms have 9 cells: 5 objects leave 4 object-free cells, all used for spawns first.
            shared = {tuple(c) for c in spawns.tolist()} & {tuple(c) for c in objects.tolist()}
            assert len(shared) == 1
        big = generate_maze(np.random.default_rng(seed), 11, room_size=(5, 5), spawns_per_room=5, objects_per_room=4)
        for spawns, objects in zip(big.spawns, big.objects):
            assert not ({tuple(c) for c in spawns.tolist()} & {tuple(c) for c in objects.tolist()})
        assert len(big.all_spawns()) == 5 * big.num_rooms and len(big.all_objects()) == 4 * big.num_rooms


def test_same_seed_same_maze_and_different_seeds_differ():
    for config in CONFIGS:
        a = generate_maze(np.random.default_rng(7), **config)
        b = generate_maze(np.random.default_rng(7), **config)
        for name in ("walls", "room", "rooms", "doors", "variation"):
            assert np.array_equal(getattr(a, name), getattr(b, name))
        assert all(np.array_equal(x, y) for x, y in zip(a.spawns, b.spawns))
        assert all(np.array_equal(x, y) for x, y in zip(a.objects, b.objects))
        assert a.text() == b.text()
    texts = {"\n".join(generate_maze(np.random.default_rng(s), 11).text()) for s in range(10)}
    assert len(texts) == 10


def test_text_marks_walls_doors_spawns_and_objects():
    maze = generate_maze(np.random.default_rng(3), 17, max_rooms=9, room_size=(3, 3))
    lines = maze.text()
    assert len(lines) == 17 and all(len(line) == 17 for line in lines)
    chars = np.array([list(line) for line in lines])
    assert np.array_equal(chars == "*", maze.walls)
    objects = maze.all_objects()
    assert (chars[objects[:, 0], objects[:, 1]] == "O").all()
    assert (chars == "D").sum() == len(maze.doors)
    assert set(np.unique(chars)) <= {"*", " ", "D", "P", "O"}


def test_region_labels_and_is_connected():
    grid = np.array(
        [
            [1, 1, 0, 1],
            [0, 1, 0, 1],
            [1, 1, 0, 0],
        ],
        bool,
    )
    labels = region_labels(grid)
    assert labels[0, 0] == 0 and labels[0, 3] == 1 and labels[0, 2] == -1
    assert labels[2, 0] == 0 and labels[2, 3] == -1
    assert not is_connected(grid)
    grid[2, 2] = True
    assert not is_connected(grid)
    grid[0, 2] = True
    assert is_connected(grid)
    assert is_connected(np.zeros((3, 3), bool))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=10), "size must be an odd integer"),
        (dict(size=3), "size must be an odd integer"),
        (dict(size=(11, 12)), "size must be an odd integer"),
        (dict(size=True), "size must be an odd integer"),
        (dict(max_rooms=-1), "max_rooms must be an integer >= 0"),
        (dict(spawns_per_room=1.5), "spawns_per_room must be an integer >= 0"),
        (dict(room_size=(5, 3)), "room_size must be a"),
        (dict(room_size=(12, 14)), "no odd side length"),
        (dict(room_size=(4, 4)), "no odd side length"),
        (dict(extra_connection_probability=1.5), "extra_connection_probability must be in"),
        (dict(extra_connection_probability="high"), "extra_connection_probability must be a number"),
        (dict(room_attempts=0), "room_attempts must be None or an integer >= 1"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_maze(np.random.default_rng(0), **{"size": 11, **kwargs})

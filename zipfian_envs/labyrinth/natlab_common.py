"""What the three natlab levels share: outdoor maps of grass and sand, times of day, mushrooms.

DMLab's natlab levels are prebuilt outdoor maps (binary .bsp files whose sizes and mushroom counts
are not published). Ours are generated: a *map* is a terrain of grass and sand patches (a smooth
noise field, plus a little per-cell variation), a ring of rock, hedge or sandstone around it,
scattered outcrops inside (never cutting the open ground in two), decorative scenery (trees,
shrubs, cacti, rocks: drawn, never touched, not solid) and, where the level fixes them, mushroom
spots and spawn points. A map is an asset: map ``k`` of a level comes from a generator seeded by
a constant and ``k``, so it is the same in every episode and process; the episode's own generator
only picks the map, the time of day, the spawn and (where the level says so) the mushroom spots.

Time of day: ``dawn``, ``day`` or ``night`` set the grid's light and fog and tint the floor,
walls and sprites (warm at dawn, blue at night). Mushrooms are +1 each, picked up by touch.
Only sprites within ``draw_distance`` are handed to the renderer, which keeps the number drawn
per frame small on maps with many mushrooms and trees. An episode's tallies and regrowth clock
live in a :class:`NatLabState` (a :class:`VaryingMapState` where the level draws the map).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.mazes import region_labels
from zipfian_envs.engine.raycast import View
from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.textures import texture_bank
from zipfian_envs.engine.world import Entities, Grid, Pose
from zipfian_envs.labyrinth.common import spawn_pose
from zipfian_envs.labyrinth.explore_common import walk_to_nearest
from zipfian_envs.labyrinth.level import Level, LevelState, Scene, collect_touched

MUSHROOM, SCENERY = 1, 2
MUSHROOM_VALUE = 1.0
MUSHROOM_COLOUR = (205, 60, 40)
MUSHROOM_SIZE = 0.35
LOOK_AROUND = 5  # look right: the oracle's action with nothing to walk to

# Wall materials 1..4: rock, hedge, sandstone, bark (a tree line).
ROCK, HEDGE, SANDSTONE, BARK = 1, 2, 3, 4
MATERIALS = (((118, 114, 108), "noise"), ((52, 96, 46), "noise"), ((178, 148, 104), "noise"), ((96, 72, 48), "stripes"))
GRASS = np.array([72, 122, 52], np.float64)
SAND = np.array([192, 172, 124], np.float64)

# Time of day: light factor, fog distance (m) and an RGB tint applied to floors, walls and sprites.
TIMES_OF_DAY: dict[str, tuple[float, float, tuple[float, float, float]]] = {
    "dawn": (0.8, 14.0, (1.12, 0.92, 0.78)),
    "day": (1.0, 20.0, (1.0, 1.0, 1.0)),
    "night": (0.55, 9.0, (0.7, 0.8, 1.15)),
}
TIME_NAMES = tuple(TIMES_OF_DAY)


@dataclass(frozen=True)
class Biome:
    """A kind of landscape: how much of the ground is sand, the boundary and outcrop walls, the scenery."""

    name: str
    sand_fraction: float
    boundary: tuple[int, ...]
    outcrop: tuple[int, ...]
    scenery: tuple[str, ...]


BIOMES: tuple[Biome, ...] = (
    Biome("meadow", 0.15, (HEDGE, BARK), (ROCK, HEDGE), ("tree", "shrub", "tree", "rock")),
    Biome("desert", 0.85, (SANDSTONE, ROCK), (SANDSTONE, ROCK), ("cactus", "rock", "cactus", "shrub")),
    Biome("mixed", 0.45, (ROCK, HEDGE, BARK), (ROCK, SANDSTONE), ("tree", "shrub", "cactus", "rock")),
)
SCENERY_LOOK = {
    "tree": (1.6, (60, 125, 55)),
    "shrub": (0.7, (70, 130, 60)),
    "cactus": (1.2, (80, 150, 70)),
    "rock": (0.6, (130, 125, 118)),
}


@dataclass(frozen=True)
class NatMap:
    """One generated map: walls, ground colours, biome, scenery, and fixed mushroom and spawn spots.

    ``mushrooms`` is (M, 2) of (x, y) positions in metres (empty when the level places them per
    episode); ``spawns`` is (S, 2) of (row, col) cells; ``scenery`` is (K, 2) of (x, y) with
    ``scenery_kind`` naming each one's look; ``open_cells`` is (N, 2) of every open (row, col).
    """

    walls: np.ndarray
    ground: np.ndarray
    biome: int
    mushrooms: np.ndarray
    spawns: np.ndarray
    scenery: np.ndarray
    scenery_kind: tuple[str, ...]
    open_cells: np.ndarray


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """A smooth field in [0, 1]: random values on a coarse lattice ``cell`` cells apart, bilinearly interpolated."""
    rows, cols = shape
    coarse = rng.random((rows // cell + 2, cols // cell + 2))
    r = np.arange(rows) / cell
    c = np.arange(cols) / cell
    r0, c0 = r.astype(np.int64), c.astype(np.int64)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    top = coarse[r0][:, c0] * (1 - fc) + coarse[r0][:, c0 + 1] * fc
    bottom = coarse[r0 + 1][:, c0] * (1 - fc) + coarse[r0 + 1][:, c0 + 1] * fc
    field = top * (1 - fr) + bottom * fr
    low, high = field.min(), field.max()
    return (field - low) / max(high - low, 1e-9)


def generate_natmap(
    seed: int,
    size: int,
    *,
    outcrops: int,
    mushrooms: int = 0,
    mushroom_patches: int = 0,
    spawns: int = 0,
    scenery: int = 0,
) -> NatMap:
    """Map number ``seed`` of side ``size`` (the boundary ring included), the same for the same arguments.

    ``outcrops`` blobs of wall are dropped inside; enclosed pockets are filled so all open ground
    is one region. With ``mushrooms`` > 0 the map fixes that many mushroom spots, grouped around
    ``mushroom_patches`` patch centres (0: scattered uniformly); ``spawns`` fixes spawn cells.
    """
    if size < 7:
        raise ValueError(f"size must be at least 7, got {size}")
    rng = np.random.default_rng([0x4E41544C, seed, size])  # "NATL": maps are assets, not episode draws
    biome_index = int(rng.integers(len(BIOMES)))
    biome = BIOMES[biome_index]
    walls = np.zeros((size, size), np.int16)
    ring = np.zeros((size, size), bool)
    ring[0, :] = ring[-1, :] = ring[:, 0] = ring[:, -1] = True
    # The boundary alternates materials in long runs, like stretches of hedge, rock and trees.
    runs = smooth_noise(rng, (size, size), 6)
    choice = np.minimum((runs * len(biome.boundary)).astype(np.int64), len(biome.boundary) - 1)
    walls[ring] = np.asarray(biome.boundary, np.int16)[choice[ring]]
    # Outcrops: a random walk of 1..5 cells from a random interior cell, in one material each.
    for _ in range(outcrops):
        row, col = (int(v) for v in rng.integers(2, size - 2, 2))
        material = biome.outcrop[int(rng.integers(len(biome.outcrop)))]
        for _ in range(int(rng.integers(1, 6))):
            walls[row, col] = material
            dr, dc = ((-1, 0), (1, 0), (0, -1), (0, 1))[int(rng.integers(4))]
            row, col = int(np.clip(row + dr, 1, size - 2)), int(np.clip(col + dc, 1, size - 2))
    labels = region_labels(walls == 0)
    largest = int(np.argmax(np.bincount(labels[labels >= 0])))
    walls[(labels >= 0) & (labels != largest)] = biome.outcrop[0]
    # Ground: sand where a smooth field falls under the biome's sand fraction, with some per-cell variation.
    sandiness = np.clip((biome.sand_fraction - smooth_noise(rng, (size, size), 5)) * 6 + 0.5, 0, 1)[:, :, None]
    variation = 1.0 + 0.07 * rng.standard_normal((size, size, 1))
    ground = np.clip((GRASS * (1 - sandiness) + SAND * sandiness) * variation, 0, 255).astype(np.uint8)
    open_cells = np.argwhere(walls == 0)

    order = rng.permutation(len(open_cells))
    taken = 0
    spawn_cells = open_cells[order[:spawns]]
    taken += spawns
    mushroom_xy = np.zeros((0, 2))
    if mushrooms:
        rest = open_cells[order[taken:]]
        mushroom_xy = _mushroom_spots(rng, rest, mushrooms, mushroom_patches)
        used = {(int(y), int(x)) for x, y in mushroom_xy}
        keep = np.array([(int(r), int(c)) not in used for r, c in open_cells[order[taken:]]], bool)
        order = np.concatenate([order[:taken], order[taken:][keep]])
    scenery_xy, scenery_kind = _scenery(rng, walls, open_cells[order[taken:]], scenery, biome)
    for array in (walls, ground, mushroom_xy, spawn_cells, scenery_xy, open_cells):
        array.flags.writeable = False
    return NatMap(walls, ground, biome_index, mushroom_xy, spawn_cells, scenery_xy, scenery_kind, open_cells)


def _mushroom_spots(rng: np.random.Generator, cells: np.ndarray, count: int, patches: int) -> np.ndarray:
    """(count, 2) (x, y) mushroom spots on distinct cells: near ``patches`` centres, or uniform when 0."""
    if count > len(cells):
        raise ValueError(f"asked for {count} mushrooms but the map has only {len(cells)} free cells")
    if patches:
        centres = cells[rng.choice(len(cells), size=patches, replace=False)].astype(np.float64)
        gap = np.abs(cells[:, None, :] - centres[None, :, :]).sum(axis=2).min(axis=1)
        # Cells nearer a patch centre come first; ties broken at random.
        order = np.lexsort((rng.random(len(cells)), gap))
        chosen = cells[order[:count]]
    else:
        chosen = cells[rng.choice(len(cells), size=count, replace=False)]
    return spots_in_cells(rng, chosen)


def spots_in_cells(rng: np.random.Generator, cells: np.ndarray) -> np.ndarray:
    """(N, 2) (x, y) points near the centres of (row, col) ``cells``, jittered by up to 0.2 m."""
    jitter = rng.uniform(-0.2, 0.2, (len(cells), 2))
    return np.stack([cells[:, 1] + 0.5, cells[:, 0] + 0.5], axis=1) + jitter


def _scenery(rng, walls, cells, count, biome):
    """Scenery spots, mostly on open cells beside a wall (a tree line along the edge), a few in the open."""
    if count == 0 or len(cells) == 0:
        return np.zeros((0, 2)), ()
    padded = np.pad(walls != 0, 1)
    beside_wall = (
        padded[cells[:, 0], cells[:, 1] + 1]
        | padded[cells[:, 0] + 2, cells[:, 1] + 1]
        | padded[cells[:, 0] + 1, cells[:, 1]]
        | padded[cells[:, 0] + 1, cells[:, 1] + 2]
    )
    weight = np.where(beside_wall, 4.0, 1.0)
    pick = rng.choice(len(cells), size=min(count, len(cells)), replace=False, p=weight / weight.sum())
    xy = spots_in_cells(rng, cells[pick])
    kinds = tuple(biome.scenery[int(i)] for i in rng.integers(len(biome.scenery), size=len(pick)))
    return xy, kinds


@functools.lru_cache(maxsize=8)
def tinted_textures(time_of_day: str) -> np.ndarray:
    """The natural wall materials tinted for a time of day (read-only)."""
    tint = np.asarray(TIMES_OF_DAY[time_of_day][2])
    materials = tuple((tuple(float(min(255, v * t)) for v, t in zip(colour, tint)), p) for colour, p in MATERIALS)
    bank = texture_bank(materials)
    bank.flags.writeable = False
    return bank


def _tint(colour, time_of_day: str) -> np.ndarray:
    tint = np.asarray(TIMES_OF_DAY[time_of_day][2])
    return np.clip(np.asarray(colour, np.float64) * tint, 0, 255).astype(np.uint8)


def build_grid(natmap: NatMap, time_of_day: str) -> Grid:
    """The map as an outdoor grid: sky, tinted ground and walls, light and fog of the time of day."""
    light, fog, _ = TIMES_OF_DAY[time_of_day]
    return Grid(
        walls=natmap.walls.copy(),
        floor=_tint(natmap.ground, time_of_day),
        textures=tinted_textures(time_of_day),
        sky=True,
        light=light,
        fog_m=fog,
        floor_checker=0.04,
    )


def populate(natmap: NatMap, mushrooms_xy: np.ndarray, time_of_day: str) -> Entities:
    """Entities: the mushrooms first (indices 0..M-1, touchable), then the scenery (never touched)."""
    count = len(mushrooms_xy) + len(natmap.scenery)
    entities = Entities(
        x=np.zeros(count),
        y=np.zeros(count),
        z=np.zeros(count),
        size=np.zeros(count),
        shape=np.zeros(count, np.int32),
        colour=np.zeros((count, 3), np.uint8),
        kind=np.zeros(count, np.int32),
        value=np.zeros(count),
        active=np.ones(count, bool),
        touchable=np.zeros(count, bool),
    )
    m = len(mushrooms_xy)
    entities.x[:m], entities.y[:m] = mushrooms_xy[:, 0], mushrooms_xy[:, 1]
    entities.size[:m] = MUSHROOM_SIZE
    entities.shape[:m] = shape_index("mushroom")
    entities.colour[:m] = _tint(MUSHROOM_COLOUR, time_of_day)
    entities.kind[:m] = MUSHROOM
    entities.value[:m] = MUSHROOM_VALUE
    entities.touchable[:m] = True
    if len(natmap.scenery):
        entities.x[m:], entities.y[m:] = natmap.scenery[:, 0], natmap.scenery[:, 1]
        looks = [SCENERY_LOOK[kind] for kind in natmap.scenery_kind]
        entities.size[m:] = [size for size, _ in looks]
        entities.shape[m:] = [shape_index(kind) for kind in natmap.scenery_kind]
        entities.colour[m:] = _tint(np.array([colour for _, colour in looks]), time_of_day)
        entities.kind[m:] = SCENERY
    return entities


@dataclass(slots=True, kw_only=True)
class NatLabState(LevelState):
    """The time of day, the number of mushrooms and of those eaten, and when each eaten one grows back."""

    time_of_day: str
    mushrooms: int
    eaten: int = 0
    regrow_at: np.ndarray  # step at which each mushroom grows back (-1: growing now, or never coming back)
    next_regrow: int = -1  # the soonest of ``regrow_at`` (-1: none pending)


@dataclass(slots=True, kw_only=True)
class VaryingMapState(NatLabState):
    """The natlab state plus the index of the map the episode drew."""

    map: int


def soonest_regrowth(regrow_at: np.ndarray) -> int:
    """The first step at which a pending mushroom grows back, or -1 when none is pending."""
    pending = regrow_at[regrow_at >= 0]
    return int(pending.min()) if pending.size else -1


class NatLabLevel(Level):
    """Shared rules of the natlab levels: +1 mushrooms, optional regrowth, culled sprites, a foraging oracle."""

    family = "natlab"
    time_limit_s = 120.0
    draw_distance_m = 11.0
    regrow_steps: int | None = None  # steps after which an eaten mushroom grows back (None: never)

    def new_scene(
        self,
        rng: np.random.Generator,
        natmap: NatMap,
        mushrooms_xy: np.ndarray,
        spawn_cells,
        map_index: int | None = None,
    ) -> Scene[NatLabState]:
        """A scene on ``natmap`` at a random time of day, spawned on one of ``spawn_cells``, facing anywhere.

        ``map_index``: the map the level drew (its state is then a :class:`VaryingMapState`).
        """
        time_of_day = TIME_NAMES[int(rng.integers(len(TIME_NAMES)))]
        cell = spawn_cells[int(rng.integers(len(spawn_cells)))]
        count = len(mushrooms_xy)
        regrow_at = np.full(count, -1, np.int64)
        state: NatLabState
        if map_index is None:
            state = NatLabState(time_of_day=time_of_day, mushrooms=count, eaten=0, regrow_at=regrow_at)
        else:
            state = VaryingMapState(
                time_of_day=time_of_day, mushrooms=count, eaten=0, regrow_at=regrow_at, map=map_index
            )
        scene = Scene(grid=build_grid(natmap, time_of_day), pose=spawn_pose(rng, cell), state=state)
        scene.entities = populate(natmap, mushrooms_xy, time_of_day)
        return scene

    def rules(self, scene: Scene[NatLabState], action: int, rng: np.random.Generator) -> float:
        """Eat touched mushrooms (+1 each); with regrowth, grow each back at its spot ``regrow_steps`` later."""
        state = scene.state
        ents = scene.entities
        now = scene.steps
        if self.regrow_steps is not None and 0 <= state.next_regrow <= now:
            regrow_at = state.regrow_at
            due = (regrow_at >= 0) & (regrow_at <= now)
            ents.active[: len(regrow_at)] |= due
            regrow_at[due] = -1
            state.next_regrow = soonest_regrowth(regrow_at)
        reward, eaten = collect_touched(scene)
        if eaten.size:
            state.eaten += int(eaten.size)
            if self.regrow_steps is not None:
                state.regrow_at[eaten] = now + self.regrow_steps
                state.next_regrow = soonest_regrowth(state.regrow_at)
        return reward

    def view(self, scene: Scene[NatLabState]) -> View:
        """Only the active sprites within the draw distance (the renderer draws each one separately)."""
        ents = scene.entities
        near = ents.active & ((ents.x - scene.pose.x) ** 2 + (ents.y - scene.pose.y) ** 2 <= self.draw_distance_m**2)
        index = np.flatnonzero(near)
        culled = Entities(**{name: getattr(ents, name)[index] for name in Entities.__dataclass_fields__})
        return View(entities=culled, atlas=self.atlas)

    def oracle(self, scene: Scene[NatLabState]) -> int:
        """Walk by grid path to the nearest mushroom; with none left, to the one that regrows soonest."""
        state = scene.state
        count = state.mushrooms
        ents = scene.entities
        targets = np.flatnonzero(ents.active[:count])
        if targets.size == 0 and self.regrow_steps is not None and state.next_regrow >= 0:
            regrow_at = state.regrow_at
            targets = np.array([int(np.argmin(np.where(regrow_at >= 0, regrow_at, np.iinfo(np.int64).max)))])
            if _at(scene.pose, ents, int(targets[0])):
                return LOOK_AROUND  # wait on the spot for it to grow back
        action = walk_to_nearest(scene, targets)
        return LOOK_AROUND if action is None else action


def _at(pose: Pose, ents: Entities, index: int) -> bool:
    return (ents.x[index] - pose.x) ** 2 + (ents.y[index] - pose.y) ** 2 < 0.1

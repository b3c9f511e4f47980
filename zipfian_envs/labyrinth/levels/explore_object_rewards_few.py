"""explore_object_rewards_few: learn which of four kinds of object are good, in one big room."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.engine.sprites import shape_index
from zipfian_envs.engine.world import Entities
from zipfian_envs.labyrinth.common import COLOURS, choose_cells
from zipfian_envs.labyrinth.explore_common import LOOK_AROUND, ExploreLevel, ExploreState, place_agent, walk_to_nearest
from zipfian_envs.labyrinth.level import LevelOptions, Scene, collect_touched

GOOD_VALUE, BAD_VALUE = 2.0, -1.0
# Recognisable objects for the categories: distinct shapes, tinted with distinct colours.
CATEGORY_SHAPES = (
    "cake", "balloon", "hat", "can", "lolly", "mushroom", "ball", "box", "pyramid", "ring", "heart", "moon",
    "duck", "teddy", "car", "cup", "bottle", "umbrella", "fish", "bell", "banana", "guitar", "flower", "egg",
)  # fmt: skip
CATEGORY_COLOURS = tuple(COLOURS[name] for name in ("red", "green", "blue", "cyan", "magenta", "yellow", "white",
                                                    "orange", "purple", "pink", "brown"))  # fmt: skip


@dataclass(slots=True, kw_only=True)
class ObjectRewardsState(ExploreState):
    """The explore state plus the object cells and each category's shape, colour and value (fixed per episode)."""

    object_cells: np.ndarray
    shapes: np.ndarray
    colours: np.ndarray
    values: np.ndarray


def place_objects(rng: np.random.Generator, state: ObjectRewardsState, categories: int) -> Entities:
    """One object per category on distinct random object cells (kind = category index)."""
    cells = choose_cells(rng, state.object_cells, categories)
    entities = Entities()
    for category, (row, col) in enumerate(cells.tolist()):
        entities.add(
            col + 0.5,
            row + 0.5,
            int(state.shapes[category]),
            state.colours[category],
            kind=category,
            value=float(state.values[category]),
        )
    return entities


class ObjectRewards(ExploreLevel):
    """Four categories of objects, two good (+2) and two bad (-1), one object of each per restart.

    Rules: each episode draws one 11x11 room inside a 13x13 map with 8 object cells and 5 spawn
    cells, a random theme and wall decals, and 4 categories (a distinct shape in a distinct
    colour); 2 categories, drawn at random, are worth +2 and the other 2 are worth -1, fixed for
    the episode. Each (re)start puts one object of every category on 4 of the 8 object cells
    (density 0.5), drawn anew, and the agent on a random spawn cell. Touching an object picks it up
    for its value. When every positive object has been taken the map restarts (objects re-placed,
    new spawn); the clock keeps running. The episode ends at 90 s (1350 steps): +4 per restart at
    most. Success: normalized score >= 0.5. Tests: learning within an episode which kinds of
    object pay, and using it at once on the next restart.
    """

    name = "explore_object_rewards_few"
    time_limit_s = 90.0
    summary = "collect the good kinds (+2) of 4 object kinds, avoid the bad (-1); restart when all good are taken"
    dmlab_human = 77.7
    dmlab_random = 2.073
    maze_size = 13
    max_rooms = 1
    room_size = (11, 11)
    objects_per_room = 8
    categories = 4

    def build(self, rng: np.random.Generator, options: LevelOptions) -> Scene[ObjectRewardsState]:
        """The room, the episode's categories and values, and the first placement."""
        maze, grid, theme = self.new_world(rng)
        shapes = rng.choice(len(CATEGORY_SHAPES), size=self.categories, replace=False)
        colours = rng.choice(len(CATEGORY_COLOURS), size=self.categories, replace=False)
        values = np.full(self.categories, BAD_VALUE)
        values[rng.permutation(self.categories)[: self.categories // 2]] = GOOD_VALUE
        pose = place_agent(rng, maze.all_spawns())
        state = ObjectRewardsState(
            theme=theme,
            object_cells=maze.all_objects(),
            spawn_cells=maze.all_spawns(),
            shapes=np.array([shape_index(CATEGORY_SHAPES[i]) for i in shapes], np.int32),
            colours=np.array([CATEGORY_COLOURS[i] for i in colours], np.uint8),
            values=values,
            restarts=0,
        )
        return Scene(grid=grid, pose=pose, state=state, entities=place_objects(rng, state, self.categories))

    def rules(self, scene: Scene[ObjectRewardsState], action: int, rng: np.random.Generator) -> float:
        """Pick up touched objects; restart (new placement and spawn) once every good one is taken."""
        reward, taken = collect_touched(scene)
        ents = scene.entities
        if taken.size and not (ents.active & (ents.value > 0)).any():
            scene.pose = place_agent(rng, scene.state.spawn_cells)
            scene.entities = place_objects(rng, scene.state, self.categories)
            scene.state.restarts += 1
        return reward

    def oracle(self, scene: Scene[ObjectRewardsState]) -> int:
        """Walk to the nearest good object along a path that keeps off the bad objects' cells."""
        ents = scene.entities
        good = np.flatnonzero(ents.active & (ents.value > 0))
        bad = np.flatnonzero(ents.active & (ents.value < 0))
        action = walk_to_nearest(scene, good, avoid=bad)
        return LOOK_AROUND if action is None else action


LEVEL = ObjectRewards()

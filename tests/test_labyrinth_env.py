"""Zipf's Labyrinth as an env: level draws, pinning, info keys, scores, instructions and bad input.

Checks shared with every Zipfian env (checkers, determinism, pickling, spawn workers, render modes)
run from the registry in test_envs.py; the rules of each level are tested per family.
"""

import copy
import dataclasses
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from zipfian_envs.core import language, skew
from zipfian_envs.labyrinth import LEVEL_ORDER, LabyrinthEnv, load_level
from zipfian_envs.labyrinth.env import normalized
from zipfian_envs.labyrinth.level import LevelState
from zipfian_envs.labyrinth.levels import implemented_levels
from zipfian_envs.labyrinth.scores import REFERENCE_SCORES

ALL_LEVELS = len(implemented_levels()) == len(LEVEL_ORDER)
needs_all_levels = pytest.mark.skipif(not ALL_LEVELS, reason="every level module must exist")


def _same_value(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return type(a) is type(b) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and repr(a) == repr(b)


@pytest.mark.parametrize("name", implemented_levels())
def test_each_level_keeps_its_state_in_a_typed_slotted_dataclass(name):
    """``scene.state`` is the level's own ``*State`` dataclass: a misspelt field raises, copies keep every value."""
    level = load_level(name)
    scene = level.reset(np.random.default_rng(3))
    rng = np.random.default_rng(4)
    for _ in range(30):
        level.step(scene, level.oracle(scene), rng)
    state = scene.state
    assert isinstance(state, LevelState) and type(state) is not LevelState
    assert type(state).__name__.endswith("State") and (type(state).__doc__ or "").strip()
    assert not hasattr(state, "__dict__") and not hasattr(scene, "memory")
    with pytest.raises(AttributeError):
        state.no_such_field = 1
    for clone in (pickle.loads(pickle.dumps(scene)), copy.deepcopy(scene)):
        assert type(clone.state) is type(state) and clone.state is not state
        for field in dataclasses.fields(state):
            assert _same_value(getattr(clone.state, field.name), getattr(state, field.name)), field.name


def test_thirty_levels_in_reference_order_each_with_docstring_and_limit():
    assert len(LEVEL_ORDER) == 30 and len(set(LEVEL_ORDER)) == 30
    assert LEVEL_ORDER[0] == "rooms_collect_good_objects" and LEVEL_ORDER[-1] == "explore_object_rewards_many"
    for name in implemented_levels():
        level = load_level(name)
        assert level.name == name and name.startswith(level.family)
        doc = type(level).__doc__ or ""
        assert len(doc) > 200, f"{name}: the class docstring must state rules, rewards, limit and purpose"
        assert level.max_steps == round(level.time_limit_s * 15)


@needs_all_levels
def test_every_level_is_calibrated_and_its_oracle_beats_random():
    assert set(REFERENCE_SCORES) == set(LEVEL_ORDER)
    for name, (random_mean, oracle_mean) in REFERENCE_SCORES.items():
        assert oracle_mean > random_mean, name
        assert oracle_mean > 0, name


@needs_all_levels
@pytest.mark.parametrize("reverse", [False, True])
def test_level_draws_follow_the_weights(reverse):
    env = LabyrinthEnv(level="zipf_1", reverse_order=reverse)
    order = tuple(reversed(LEVEL_ORDER)) if reverse else LEVEL_ORDER
    counts = np.zeros(30)
    rng = np.random.default_rng(0)
    for _ in range(3000):
        _, info = env.reset(seed=int(rng.integers(2**31)))
        assert info["item"] == order[info["item_rank"] - 1]
        counts[info["item_rank"] - 1] += 1
    expected = skew.zipf(30, 1.0) * counts.sum()
    assert stats.chisquare(counts, expected).pvalue > 0.001
    assert counts[0] > counts[-1] * 5


def test_pinned_task_and_rank_and_their_errors():
    env = LabyrinthEnv(task="rooms_collect_good_objects")
    _, info = env.reset(seed=3)
    assert info["item"] == "rooms_collect_good_objects" and info["item_rank"] == 1
    assert info["num_items"] == 30 and info["frequency_bin"] == "common"
    assert env.reset(seed=3, options={"item_rank": 1})[1]["item_rank"] == 1
    with pytest.raises(ValueError, match="conflicts"):
        env.reset(options={"item_rank": 2})
    with pytest.raises(ValueError, match="unknown reset options"):
        env.reset(options={"map_rank": 1})
    reversed_env = LabyrinthEnv(task="rooms_collect_good_objects", reverse_order=True)
    assert reversed_env.reset(seed=0)[1]["item_rank"] == 30
    assert reversed_env.reset(seed=0)[1]["frequency_bin"] == "rare"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"level": "rooms_find_cake"}, "unknown level.*valid: rooms_collect_good_objects"),
        ({"level": "zipf_banana"}, "unknown level 'zipf_banana'.*distribution=; valid forms"),
        ({"distribution": "zipf_banana"}, "valid forms"),
        ({"reverse_order": "yes"}, "reverse_order"),
        ({"holdout": 1}, "holdout"),
        ({"width": 4}, "width"),
        ({"render_mode": "ansi"}, "render_mode"),
    ],
)
def test_bad_arguments_get_one_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LabyrinthEnv(**{"level": "rooms_collect_good_objects", **kwargs})


def test_out_of_range_and_wrong_type_actions_are_refused():
    env = LabyrinthEnv(task="rooms_collect_good_objects")
    env.reset(seed=0)
    for bad in (9, -1):
        with pytest.raises(ValueError, match=r"0\.\.8"):
            env.step(bad)
    for bad in ("fire", 1.0, None):
        with pytest.raises(TypeError):
            env.step(bad)


def test_score_and_normalized_score_at_episode_end():
    env = LabyrinthEnv(task="rooms_collect_good_objects")
    obs, info = env.reset(seed=1)
    assert obs["image"].shape == (72, 96, 3) and obs["image"].dtype == np.uint8
    assert not obs["instruction"].any(), "a level without language gives an all-padding instruction"
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(env.oracle_action())
        total += reward
        assert info["score"] == pytest.approx(total)
        done = terminated or truncated
    assert terminated and info["success"] and total == 10
    assert info["normalized_score"] == pytest.approx(normalized("rooms_collect_good_objects", total), nan_ok=True)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_normalized_score_formula():
    if "rooms_collect_good_objects" not in REFERENCE_SCORES:
        assert np.isnan(normalized("rooms_collect_good_objects", 3.0))
        return
    random_mean, oracle_mean = REFERENCE_SCORES["rooms_collect_good_objects"]
    assert normalized("rooms_collect_good_objects", random_mean) == pytest.approx(0.0)
    assert normalized("rooms_collect_good_objects", oracle_mean) == pytest.approx(1.0)


@pytest.mark.parametrize("name", LEVEL_ORDER)
def test_exactly_the_language_levels_give_a_decodable_instruction(name):
    env = LabyrinthEnv(task=name)
    obs, info = env.reset(seed=0)
    assert bool(obs["instruction"].any()) == load_level(name).uses_language == name.startswith("language")
    assert language.decode(obs["instruction"]) == info["instruction_text"]


def test_image_size_is_configurable():
    env = LabyrinthEnv(task="rooms_collect_good_objects", width=64, height=48)
    obs, _ = env.reset(seed=0)
    assert obs["image"].shape == (48, 64, 3) and env.observation_space["image"].shape == (48, 64, 3)


def test_key_map_leaves_the_viewer_keys_alone_and_covers_every_action():
    assert not {"r", "p", "h", "escape"} & set(LabyrinthEnv.key_map)
    assert {action for action, _ in LabyrinthEnv.key_map.values()} == set(range(9))


def test_the_viewer_plays_it_with_keys_and_records_the_score(tmp_path):
    pygame = pytest.importorskip("pygame")
    import gymnasium as gym

    from zipfian_envs.tools import play

    env = gym.make("Zipfian/Labyrinth-v0", task="language_select_described_object", render_mode="rgb_array")
    view = play.Viewer(env, env_id="Zipfian/Labyrinth-v0", seed=0, fps=0, scale=2, record_path=tmp_path / "h.csv")

    def events():
        for _ in range(120):
            action = view.env.unwrapped.oracle_action()
            name = next(key for key, (act, _) in view.key_map.items() if act == action)
            yield pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name))
            yield pygame.event.Event(pygame.KEYUP, key=pygame.key.key_code(name))
        yield pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code("escape"))

    try:
        view.run(max_frames=1000, events=events())
        view.screenshot(tmp_path / "labyrinth.png")
    finally:
        view.close()
    assert view.env.unwrapped.scene.steps > 0 and (tmp_path / "labyrinth.png").stat().st_size > 0
    assert view.env.unwrapped.score >= 10  # the oracle picked the described object at least once


def test_distribution_and_level_are_the_keywords_and_the_old_spellings_warn():
    new = LabyrinthEnv(distribution="uniform", level="rooms_watermaze")
    assert (new.distribution, new.level) == ("uniform", "rooms_watermaze")
    with pytest.warns(DeprecationWarning, match=r"task='rooms_watermaze'.*write level='rooms_watermaze'"):
        old = LabyrinthEnv(task="rooms_watermaze")
    assert (old.distribution, old.level) == ("zipf_1", "rooms_watermaze")
    with pytest.warns(DeprecationWarning, match=r"level='uniform'.*write distribution='uniform'"):
        old = LabyrinthEnv(level="uniform")
    assert (old.distribution, old.level) == ("uniform", None)
    assert new.reset(seed=3)[1]["item"] == "rooms_watermaze"
    with pytest.raises(ValueError, match="task='rooms_watermaze' is its deprecated name"):
        LabyrinthEnv(level="rooms_watermaze", task="rooms_watermaze")
    with pytest.raises(ValueError, match="distribution='zipf_2' was given too"):
        LabyrinthEnv(level="uniform", distribution="zipf_2")


def test_a_level_without_calibrated_scores_is_refused_with_the_command_to_run(monkeypatch):
    from zipfian_envs.labyrinth import levels
    from zipfian_envs.labyrinth.calibrate import play

    name = "rooms_watermaze"
    monkeypatch.delitem(levels.REFERENCE_SCORES, name)
    monkeypatch.delitem(levels._LOADED, name, raising=False)
    command = f"python -m zipfian_envs.labyrinth.calibrate --levels {name} --episodes 20"
    with pytest.raises(levels.UncalibratedLevelError, match=re.escape(command)):
        LabyrinthEnv(level=name)
    with pytest.raises(levels.UncalibratedLevelError, match=name):
        LabyrinthEnv()  # every level loads at construction, so a training run fails before it starts
    assert play(name, "random", episode=0)["steps"] > 0  # the calibration itself still plays it


def test_results_from_older_labyrinth_rules_are_never_merged(tmp_path):
    import json

    lb = pytest.importorskip("zipfian_envs.evaluation.leaderboard")
    from zipfian_envs.evaluation.report import env_config
    from zipfian_envs.labyrinth.env import LABYRINTH_RULES_VERSION

    config = env_config("Zipfian/Labyrinth-v0", "zipf_1", {})
    assert LABYRINTH_RULES_VERSION == 3 and config["map_version"] == LABYRINTH_RULES_VERSION
    new = json.loads(
        (Path(__file__).parents[1] / "results/labyrinth/Labyrinth-v0_zipf_1_oracle_seed0.json").read_text()
    )
    assert new["env_config"] == config  # the committed results were run on the current rules
    old = json.loads(json.dumps(new))
    del old["env_config"]["map_version"]  # as files from before the psychlab rules recorded it
    paths = []
    for name, data in (("new", new), ("old", old)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(data))
    with pytest.raises(lb.SchemaError, match="no map_version"):
        lb.load_results(paths)

"""zipfian_envs.wrappers through Gymnasium's and SB3's checkers on every registered id they apply to."""

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from zipfian_envs.core import language
from zipfian_envs.wrappers import FlattenDictObservation, ImageObservation, InstructionEncoding, SymbolicOneHot

IDS = sorted(env_id for env_id, spec in gym.registry.items() if spec.namespace == "Zipfian")
DICT_IDS = [i for i in IDS if not i.startswith("Zipfian/Gridworld")]
SYMBOLIC_IDS = [i for i in IDS if i.startswith("Zipfian/Gridworld-Symbolic")]
# Short episodes: the checkers step a few times only, but a shorter limit also keeps resets cheap.
SHORT = {"Playroom": {"time_limit_scale": 0.05}, "Labyrinth": {"time_limit_scale": 0.05}}


def _make(env_id, **kwargs):
    return gym.make(env_id, **SHORT.get(gym.registry[env_id].name.split("-")[0], {}), **kwargs)


def _check(env):
    """Both checkers, warnings as errors (but the checker's note that a wrapper is not the bare env)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*different from the unwrapped version.*")
        gym_check_env(env)
        sb3_check_env(env, warn=True)


WRAPS = {
    "image": ImageObservation,
    "bag_of_words_float32": lambda env: InstructionEncoding(env),
    "one_hot_uint8": lambda env: InstructionEncoding(env, encoding="one_hot", dtype="uint8"),
    "flatten": FlattenDictObservation,
    "bag_of_words_flatten": lambda env: FlattenDictObservation(InstructionEncoding(env, dtype="uint8")),
}


@pytest.mark.parametrize("wrap", sorted(WRAPS))
@pytest.mark.parametrize("env_id", DICT_IDS)
def test_dict_wrappers_pass_both_checkers(env_id, wrap):
    _check(WRAPS[wrap](_make(env_id)))


@pytest.mark.parametrize("factored", [True, False])
@pytest.mark.parametrize("env_id", SYMBOLIC_IDS)
def test_symbolic_one_hot_passes_both_checkers(env_id, factored):
    _check(SymbolicOneHot(gym.make(env_id), factored=factored))


def test_image_observation_is_the_image():
    env = gym.make("Zipfian/Playroom-v0")
    wrapped = ImageObservation(gym.make("Zipfian/Playroom-v0"))
    obs, _ = env.reset(seed=4)
    image, _ = wrapped.reset(seed=4)
    assert wrapped.observation_space == env.observation_space["image"] and image.dtype == np.uint8
    np.testing.assert_array_equal(image, obs["image"])


def test_instruction_encodings_count_and_place_the_tokens():
    env = gym.make("Zipfian/Playroom-v0")
    obs, _ = env.reset(seed=2)
    tokens = obs["instruction"]
    words = tokens[tokens != 0]
    bag, _ = InstructionEncoding(gym.make("Zipfian/Playroom-v0"), dtype="uint8").reset(seed=2)
    assert bag["instruction"].shape == (language.VOCAB_SIZE,) and bag["instruction"].dtype == np.uint8
    assert bag["instruction"].sum() == len(words) and bag["instruction"][0] == 0
    for word in words:
        assert bag["instruction"][word] == (words == word).sum()
    rows, _ = InstructionEncoding(gym.make("Zipfian/Playroom-v0"), encoding="one_hot").reset(seed=2)
    assert rows["instruction"].shape == (language.MAX_TOKENS * language.VOCAB_SIZE,)
    rows = rows["instruction"].reshape(language.MAX_TOKENS, language.VOCAB_SIZE)
    assert rows.dtype == np.float32
    np.testing.assert_array_equal(rows.argmax(axis=1)[: len(words)], words)
    assert rows[len(words) :].sum() == 0
    np.testing.assert_array_equal(bag["image"], obs["image"])


def test_flatten_keeps_pixels_uint8_and_upcasts_only_for_floats():
    env = FlattenDictObservation(gym.make("Zipfian/Labyrinth-v0", level="language_select_described_object"))
    obs, _ = env.reset(seed=0)
    assert env.observation_space.dtype == np.uint8 and obs.shape == (72 * 96 * 3 + language.MAX_TOKENS,)
    raw = gym.make("Zipfian/Labyrinth-v0", level="language_select_described_object")
    reference, _ = raw.reset(seed=0)
    np.testing.assert_array_equal(obs[: 72 * 96 * 3], reference["image"].ravel())
    np.testing.assert_array_equal(obs[72 * 96 * 3 :], reference["instruction"])
    floats = FlattenDictObservation(InstructionEncoding(gym.make("Zipfian/Playroom-v0")))
    assert floats.observation_space.dtype == np.float32


def test_symbolic_one_hot_factors_colour_and_shape():
    env = gym.make("Zipfian/Gridworld-Symbolic-v0")
    codes, _ = env.reset(seed=1)
    rows, _ = SymbolicOneHot(gym.make("Zipfian/Gridworld-Symbolic-v0")).reset(seed=1)
    assert rows.shape == (50 * 34,) and rows.dtype == np.uint8
    rows = rows.reshape(50, 34)
    target = int(codes[-1]) - 3
    colour, shape = divmod(target, 15)
    assert rows[-1, 3] == 1 and rows[-1, 4 + colour] == 1 and rows[-1, 19 + shape] == 1 and rows[-1].sum() == 3
    assert (rows[codes < 3].sum(axis=1) == 1).all()
    full, _ = SymbolicOneHot(gym.make("Zipfian/Gridworld-Symbolic-v0"), factored=False).reset(seed=1)
    np.testing.assert_array_equal(full.reshape(50, 228).argmax(axis=1), codes)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ImageObservation(gym.make("Zipfian/Gridworld-v0")), "needs a Dict observation"),
        (lambda: InstructionEncoding(gym.make("Zipfian/Playroom-v0"), encoding="words"), "'words'; valid: bag_of"),
        (lambda: InstructionEncoding(gym.make("Zipfian/Playroom-v0"), dtype="int64"), "'int64'; valid: uint8"),
        (lambda: FlattenDictObservation(gym.make("Zipfian/Gridworld-v0")), "needs a Dict observation"),
        (lambda: SymbolicOneHot(gym.make("Zipfian/Gridworld-v0")), "obs_mode='symbolic'"),
        (lambda: SymbolicOneHot(gym.make("Zipfian/Gridworld-Symbolic-v0"), factored="yes"), "'yes'"),
    ],
)
def test_bad_inputs_name_the_value_and_the_choices(make, message):
    with pytest.raises(ValueError, match=message):
        make()

"""Feature extractors: shapes, padding handling, and SB3 training on a synthetic Dict-observation env."""

from __future__ import annotations

import json
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import PPO

from zipfian_envs.agents.extractors import (
    DictExtractor,
    FastImageCNN,
    GridPixelCNN,
    InstructionEncoder,
    ScaledConv2d,
    SymbolicGridExtractor,
    extractor_for,
    observation_kind,
)
from zipfian_envs.agents.soft_q import SoftQ

torch.set_num_threads(1)


class DictObsEnv(gym.Env):
    """Synthetic stand-in for the instruction envs: a 24x32 image plus 6 token ids (0 = padding).

    One token of 1..3 names which of 3 actions earns reward 1; the other tokens are distractors
    (4..9) and padding, so a bag of words suffices. One step per episode.
    """

    def __init__(self) -> None:
        self.observation_space = spaces.Dict(
            {
                "image": spaces.Box(0, 255, (24, 32, 3), np.uint8),
                "instruction": spaces.Box(0, 9, (6,), np.int64),
            }
        )
        self.action_space = spaces.Discrete(3)

    def _obs(self) -> dict[str, np.ndarray]:
        length = int(self.np_random.integers(1, 7))
        tokens = np.zeros(6, np.int64)
        tokens[:length] = self.np_random.integers(4, 10, length)
        tokens[int(self.np_random.integers(0, length))] = 1 + self.goal
        image = np.zeros((24, 32, 3), np.uint8)  # the image carries no information here
        image[self.np_random.integers(0, 24), self.np_random.integers(0, 32)] = 255
        return {"image": image, "instruction": tokens}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.goal = int(self.np_random.integers(0, 3))
        return self._obs(), {}

    def step(self, action):
        return self._obs(), float(int(action) == self.goal), True, False, {}


@pytest.mark.parametrize("channels_first", [False, True])
def test_grid_pixel_cnn_shapes(channels_first: bool) -> None:
    shape = (3, 63, 63) if channels_first else (63, 63, 3)
    extractor = GridPixelCNN(spaces.Box(0, 255, shape, np.uint8), features_dim=64)
    out = extractor(torch.rand(5, *shape))
    assert out.shape == (5, 64)


def test_grid_pixel_cue_match_multiplies_each_cell_by_the_cue_cell() -> None:
    space = spaces.Box(0, 255, (63, 63, 3), np.uint8)
    plain = GridPixelCNN(space, features_dim=32, channels=8, pixel_scale=1 / 255)
    cue = GridPixelCNN(space, features_dim=32, channels=8, pixel_scale=1 / 255, features="cue_match")
    assert list(cue.state_dict()) == list(plain.state_dict())  # same layer names: saved models load
    assert cue.cnn[2].in_channels == 16 and plain.cnn[2].in_channels == 8
    images = torch.randint(0, 256, (3, 63, 63, 3), dtype=torch.uint8)
    assert cue(images).shape == (3, 32)
    # A different cue (the top-left 9x9 cell) with the same room gives other features.
    recued = images.clone()
    recued[:, :9, :9] = 255 - recued[:, :9, :9]
    cells = cue.cnn[1](cue.cnn[0](images.permute(0, 3, 1, 2)))
    assert not torch.equal(cue(images), cue(recued)) and cells.shape == (3, 8, 7, 7)
    with pytest.raises(ValueError, match="unknown features 'kinds'; valid: cells, cue_match"):
        GridPixelCNN(space, features="kinds")


def test_symbolic_extractor_embeds_codes_and_target() -> None:
    space = spaces.Box(0, 227, (50,), np.uint8)
    extractor = SymbolicGridExtractor(space, features_dim=32)
    obs = torch.randint(0, 228, (4, 50)).float()
    out = extractor(obs)
    assert out.shape == (4, 32)
    out.sum().backward()
    assert extractor.embed.weight.grad is not None and extractor.embed.weight.grad.abs().sum() > 0


def test_cue_match_features_score_the_cued_kind_whatever_the_kind() -> None:
    torch.manual_seed(0)
    space = spaces.Box(0, 227, (50,), np.uint8)
    extractor = SymbolicGridExtractor(space, features_dim=32, embed_dim=16, features="cue_match")
    codes = torch.zeros(3, 50, dtype=torch.long)  # floor everywhere
    codes[:, 7] = 1  # a wall
    for row, kind in enumerate((0, 111, 224)):  # a common, a middling and a never-cued kind
        codes[row, 10] = 3 + kind  # the cued kind
        codes[row, 20] = 3 + (kind + 1) % 225  # another object
        codes[row, -1] = 3 + kind
    match = extractor.cue_match(codes)
    assert torch.allclose(match[:, 10], torch.ones(3))
    assert (match[:, 20].abs() < 1).all()
    assert (match[:, 7] == 0).all() and (match[:, 0] == 0).all()  # no object, no match
    assert extractor(codes.float()).shape == (3, 32)


def test_cue_match_equals_the_per_cell_cosine_values_and_gradients() -> None:
    """The gathered code-pair cosines are the per-cell normalised dot products, gradients included."""
    torch.manual_seed(1)
    space = spaces.Box(0, 227, (50,), np.uint8)
    extractor = SymbolicGridExtractor(space, features_dim=32, features="cue_match")
    codes = torch.randint(0, 228, (64, 50))
    weights = torch.randn(64, 49)
    (extractor.cue_match(codes) * weights).sum().backward()
    gathered = extractor.match_embed.weight.grad.clone()
    extractor.zero_grad()
    kinds = torch.nn.functional.normalize(extractor.match_embed(codes), dim=-1)
    per_cell = (kinds[:, :-1] * kinds[:, -1:]).sum(-1) * (codes[:, :-1] >= 3)
    (per_cell * weights).sum().backward()
    assert torch.allclose(extractor.cue_match(codes), per_cell, atol=1e-6)
    assert torch.allclose(gathered, extractor.match_embed.weight.grad, atol=1e-4)


def test_symbolic_extractor_rejects_unknown_features() -> None:
    with pytest.raises(ValueError, match="unknown features 'pixels'; valid: codes, cue_match"):
        SymbolicGridExtractor(spaces.Box(0, 227, (50,), np.uint8), features="pixels")


@pytest.mark.parametrize("mode", ["mean", "gru"])
def test_instruction_encoder_ignores_padding(mode: str) -> None:
    torch.manual_seed(0)
    encoder = InstructionEncoder(vocab_size=10, embed_dim=8, out_dim=16, mode=mode)
    short = torch.tensor([[3, 4, 0, 0, 0, 0]])
    # Same tokens, padding changed only in the padded slots' count: identical codes.
    assert torch.allclose(encoder(short), encoder(torch.tensor([[3, 4, 0, 0]])), atol=1e-6)
    assert not torch.allclose(encoder(short), encoder(torch.tensor([[3, 5, 0, 0, 0, 0]])))


def test_instruction_encoder_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        InstructionEncoder(10, mode="transformer")


def test_extractor_choice_by_space() -> None:
    env = DictObsEnv()
    assert observation_kind(env.observation_space) == "dict"
    assert extractor_for(env.observation_space)[0] is DictExtractor
    assert extractor_for(spaces.Box(0, 255, (63, 63, 3), np.uint8))[0] is GridPixelCNN
    assert extractor_for(spaces.Box(0, 227, (50,), np.uint8))[0] is SymbolicGridExtractor
    assert extractor_for(spaces.Box(-1, 1, (4,), np.float32))[0] is None


@pytest.mark.parametrize("mode", ["mean", "gru"])
def test_ppo_learns_instruction_with_dict_extractor(mode: str, tmp_path) -> None:
    env = DictObsEnv()
    small = {"instruction_mode": mode, "features_dim": 64, "image_dim": 64}
    kwargs = {"features_extractor_class": DictExtractor, "features_extractor_kwargs": small}
    model = PPO("MultiInputPolicy", env, n_steps=256, batch_size=64, n_epochs=4, learning_rate=3e-3, seed=0,
                device="cpu", policy_kwargs=kwargs)  # fmt: skip
    model.learn(4_096)  # 2,048 left the mean encoder at 76-79 wins with some library versions
    model.save(tmp_path / "dict_ppo")
    loaded = PPO.load(tmp_path / "dict_ppo", device="cpu")
    env.reset(seed=123)
    wins = 0
    for _ in range(100):
        obs, _ = env.reset()
        action, _ = loaded.predict(obs, deterministic=True)
        wins += env.step(action)[1]
    assert wins >= 80  # the instruction decides the rewarded action (random: ~33)


def test_soft_q_runs_on_dict_observations(tmp_path) -> None:
    env = DictObsEnv()
    model = SoftQ("MultiInputPolicy", env, learning_starts=32, batch_size=16, buffer_size=500, seed=0,
                  device="cpu", policy_kwargs={"features_extractor_class": DictExtractor})  # fmt: skip
    model.learn(128)
    model.save(tmp_path / "dict_softq")
    loaded = SoftQ.load(tmp_path / "dict_softq", device="cpu")
    obs, _ = env.reset(seed=0)
    action, _ = loaded.predict(obs)
    assert env.action_space.contains(int(action))


FIRST_PERSON = spaces.Box(0, 255, (72, 96, 3), np.uint8)


def test_fast_image_cnn_reads_normalised_floats_uint8_and_raw_pixels() -> None:
    images = torch.randint(0, 256, (5, 72, 96, 3), dtype=torch.uint8)
    torch.manual_seed(0)
    normalised = FastImageCNN(FIRST_PERSON, out_dim=64)
    torch.manual_seed(0)
    raw = FastImageCNN(FIRST_PERSON, out_dim=64, pixel_scale=1 / 255)
    expected = normalised(images.float() / 255)
    assert expected.shape == (5, 64) and expected.dtype == torch.float32
    # uint8 pixels straight in (no float copy made by the caller), and 0..255 floats (SB3, normalize_images=False).
    torch.testing.assert_close(raw(images), expected, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(raw(images.float()), expected, atol=1e-5, rtol=1e-4)
    channels_first = FastImageCNN(spaces.Box(0, 255, (3, 72, 96), np.uint8), out_dim=64, pixel_scale=1 / 255)
    channels_first.load_state_dict(raw.state_dict())
    torch.testing.assert_close(channels_first(images.permute(0, 3, 1, 2)), expected, atol=1e-5, rtol=1e-4)


def test_scaled_conv_is_the_conv_of_the_scaled_input() -> None:
    x = torch.rand(2, 3, 18, 18) * 255
    conv = ScaledConv2d(3, 4, kernel_size=3, stride=2, padding=1, input_scale=0.25)
    plain = torch.nn.functional.conv2d(x * 0.25, conv.weight, conv.bias, stride=2, padding=1)
    torch.testing.assert_close(conv(x), plain, atol=1e-4, rtol=1e-5)


def test_raw_pixel_gridworld_cnn_matches_the_normalised_one() -> None:
    space = spaces.Box(0, 255, (63, 63, 3), np.uint8)
    images = torch.randint(0, 256, (3, 63, 63, 3), dtype=torch.uint8).float()
    torch.manual_seed(1)
    normalised = GridPixelCNN(space, features_dim=32, channels=16)
    torch.manual_seed(1)
    raw = GridPixelCNN(space, features_dim=32, channels=16, pixel_scale=1 / 255)
    torch.testing.assert_close(raw(images), normalised(images / 255), atol=1e-5, rtol=1e-4)


def test_dict_extractor_checks_its_image_encoder() -> None:
    space = spaces.Dict({"image": FIRST_PERSON, "instruction": spaces.Box(0, 9, (6,), np.int64)})
    assert isinstance(DictExtractor(space, image_encoder="fast").image, FastImageCNN)
    with pytest.raises(ValueError, match="at least 30x30 pixels, got 24x32"):
        DictExtractor(DictObsEnv().observation_space, image_encoder="fast")
    with pytest.raises(ValueError, match=r"image_encoder 'resnet'.*small, fast"):
        DictExtractor(space, image_encoder="resnet")
    with pytest.raises(ValueError, match="pixel_scale"):
        DictExtractor(space, pixel_scale=1 / 255)


@pytest.mark.parametrize(("family", "kind"), [("Labyrinth", "dict"), ("Playroom", "dict"), ("Gridworld", "pixels")])
def test_pixel_presets_read_raw_pixels(family: str, kind: str) -> None:
    from zipfian_envs.agents.presets import get_preset

    kwargs = get_preset("ppo", family, kind).policy_kwargs
    # SB3 skips its /255 pass only together with an extractor that scales: both or neither.
    assert kwargs["normalize_images"] is False
    assert kwargs["features_extractor_kwargs"]["pixel_scale"] == pytest.approx(1 / 255)


def test_ppo_with_the_first_person_preset_computes_the_normalised_features() -> None:
    from zipfian_envs.agents.presets import get_preset
    from zipfian_envs.agents.train import make_env

    preset = get_preset("ppo", "Playroom", "dict")
    env = make_env("Zipfian/Playroom-v0", 2, 0, {})
    policy_kwargs = {**preset.policy_kwargs, "features_extractor_class": DictExtractor}
    model = PPO("MultiInputPolicy", env, policy_kwargs=policy_kwargs, n_steps=8, batch_size=16, seed=0, device="cpu")
    model.learn(16)
    tensors, _ = model.policy.obs_to_tensor(env.reset())
    assert tensors["image"].dtype == torch.uint8  # what the rollout buffer keeps, too
    # SB3's own path (no /255 pass) against a twin extractor fed SB3's usual normalised floats.
    twin = DictExtractor(model.observation_space, image_encoder="fast")
    twin.load_state_dict(model.policy.features_extractor.state_dict())
    with torch.no_grad():
        features = model.policy.extract_features(tensors, model.policy.features_extractor)
        normalised = twin({"image": tensors["image"].float() / 255, "instruction": tensors["instruction"].float()})
    assert features.shape == (2, 256)
    torch.testing.assert_close(features, normalised, atol=1e-5, rtol=1e-4)
    env.close()


def test_training_benchmark_runs(tmp_path) -> None:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_training.py"
    spec = importlib.util.spec_from_file_location("bench_training", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # the dataclass decorator looks its module up there
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    assert bench.main(["--families", "gridworld", "playroom", "--steps", "1", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert [f["family"] for f in figures] == ["gridworld", "playroom"]
    assert all(f["ratio"] > 0 and f["now"]["update_us"] > 0 and f["before"]["env_us"] > 0 for f in figures)


def test_match_fusion_maps_the_instruction_onto_the_view() -> None:
    space = spaces.Dict({"image": FIRST_PERSON, "instruction": spaces.Box(0, 9, (6,), np.int64)})
    torch.manual_seed(0)
    extractor = DictExtractor(space, features_dim=32, image_encoder="fast", pixel_scale=1 / 255, fusion="match")
    images = torch.randint(0, 256, (4, 72, 96, 3), dtype=torch.uint8)
    tokens = torch.tensor([[1, 2, 0, 0, 0, 0]] * 2 + [[3, 0, 0, 0, 0, 0]] * 2)
    features = extractor({"image": images, "instruction": tokens})
    assert features.shape == (4, 32) and features.dtype == torch.float32
    # 4 heads over the 5x7 mid-level map: the head's input grows by 140 match features.
    plain = DictExtractor(space, features_dim=32, image_encoder="fast", pixel_scale=1 / 255)
    assert extractor.head[0].in_features == plain.head[0].in_features + 4 * 5 * 7
    # The match term depends on both: the same view under another instruction, another view under the same.
    _, mid = extractor.image.forward_with_map(images)
    queries = extractor.query(extractor.instruction(tokens)).view(4, 4, -1)
    match = torch.einsum("bchw,bkc->bkhw", mid, queries)
    assert not torch.allclose(match[0], match[2]) and not torch.allclose(match[0], match[1])
    features.sum().backward()
    assert extractor.query.weight.grad is not None and extractor.query.weight.grad.abs().sum() > 0


def test_match_fusion_checks_its_settings() -> None:
    space = spaces.Dict({"image": FIRST_PERSON, "instruction": spaces.Box(0, 9, (6,), np.int64)})
    with pytest.raises(ValueError, match=r"unknown fusion 'film'; valid: concat, match"):
        DictExtractor(space, image_encoder="fast", fusion="film")
    with pytest.raises(ValueError, match="needs image_encoder='fast'"):
        DictExtractor(space, fusion="match")
    with pytest.raises(ValueError, match="needs image_encoder='fast' and an instruction"):
        DictExtractor(spaces.Dict({"image": FIRST_PERSON}), image_encoder="fast", fusion="match")
    with pytest.raises(ValueError, match="match_heads must be >= 1, got 0"):
        DictExtractor(space, image_encoder="fast", fusion="match", match_heads=0)
    with pytest.raises(ValueError, match=r"image_channels must be 3 positive channel counts, got \(16, 32\)"):
        DictExtractor(space, image_encoder="fast", image_channels=(16, 32))
    assert DictExtractor(space, image_encoder="fast", image_channels=(8, 16, 16)).image.cnn[0].out_channels == 8


def test_scaled_conv_shift_folds_into_the_bias() -> None:
    x = torch.randint(0, 256, (2, 3, 12, 12), dtype=torch.uint8)
    conv = ScaledConv2d(3, 4, kernel_size=6, stride=6, input_scale=1 / 255, input_shift=127.5)
    plain = torch.nn.functional.conv2d((x.float() - 127.5) / 255, conv.weight, conv.bias, stride=6)
    torch.testing.assert_close(conv(x), plain, atol=1e-5, rtol=1e-4)
    # centre_pixels: raw pixels with pixel_scale 1/255 and SB3's [0, 1] floats give the same features.
    torch.manual_seed(2)
    raw = FastImageCNN(FIRST_PERSON, out_dim=16, pixel_scale=1 / 255, centre_pixels=True)
    torch.manual_seed(2)
    unit = FastImageCNN(FIRST_PERSON, out_dim=16, centre_pixels=True)
    images = torch.randint(0, 256, (3, 72, 96, 3), dtype=torch.uint8)
    torch.testing.assert_close(raw(images), unit(images.float() / 255), atol=1e-5, rtol=1e-4)
    torch.manual_seed(2)
    uncentred = FastImageCNN(FIRST_PERSON, out_dim=16, pixel_scale=1 / 255)
    assert not torch.allclose(raw(images), uncentred(images))

"""Procedural glyphs: deterministic, distinguishable but not trivial, cached on disk."""

import numpy as np
import pytest

from zipfian_envs.studies import glyphs
from zipfian_envs.studies.glyphs import GlyphSpec, generate_glyphs, load_glyphs

SMALL = GlyphSpec(num_classes=60, exemplars_per_class=12, image_size=32, seed=3)


@pytest.fixture(scope="module")
def small_set():
    return generate_glyphs(SMALL)


def test_shape_dtype_and_ink(small_set):
    assert small_set.shape == (60, 12, 32, 32) and small_set.dtype == np.uint8
    ink = (small_set > 0).mean(axis=(2, 3))
    # Every image has a visible stroke and is mostly background.
    assert ink.min() > 0.02 and ink.max() < 0.6
    assert small_set.max() == 255


def test_same_seed_same_bits_and_class_prefix(small_set):
    assert np.array_equal(generate_glyphs(SMALL), small_set)
    fewer = generate_glyphs(GlyphSpec(num_classes=10, exemplars_per_class=12, seed=3))
    assert np.array_equal(fewer, small_set[:10])
    other = generate_glyphs(GlyphSpec(num_classes=10, exemplars_per_class=12, seed=4))
    assert not np.array_equal(other, small_set[:10])


def test_exemplars_of_one_class_differ(small_set):
    flat = small_set.reshape(60, 12, -1).astype(np.int16)
    for c in range(60):
        distinct = {row.tobytes() for row in flat[c]}
        assert len(distinct) == 12


def test_classes_distinguishable_but_not_trivially(small_set):
    """Nearest centroid on raw pixels: far above chance (1/60), below 100%."""
    images = small_set.astype(np.float32).reshape(60, 12, -1) / 255.0
    centroids = images[:, :6].mean(axis=1)
    test = images[:, 6:].reshape(-1, images.shape[-1])
    labels = np.repeat(np.arange(60), 6)
    distances = ((test[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = float((distances.argmin(1) == labels).mean())
    assert 10 / 60 < accuracy < 0.98, accuracy


def test_other_image_size():
    images = generate_glyphs(GlyphSpec(num_classes=3, exemplars_per_class=2, image_size=28))
    assert images.shape == (3, 2, 28, 28) and images.max() > 0


@pytest.mark.parametrize(
    "kwargs",
    [{"num_classes": 0}, {"exemplars_per_class": -1}, {"image_size": 8}, {"seed": -1}, {"num_classes": 2.5}],
)
def test_bad_spec_names_the_value(kwargs):
    name, value = next(iter(kwargs.items()))
    with pytest.raises(ValueError, match=name):
        GlyphSpec(**kwargs)


def test_cache_round_trip_and_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(glyphs.CACHE_ENV_VAR, str(tmp_path / "cache"))
    assert glyphs.cache_dir() == tmp_path / "cache"
    spec = GlyphSpec(num_classes=4, exemplars_per_class=3)
    first = load_glyphs(spec)
    path = tmp_path / "cache" / spec.file_name
    assert path.exists()
    assert np.array_equal(load_glyphs(spec), first)
    # A cached file is what is returned (no regeneration): mark it and read the mark back.
    marked = first.copy()
    marked[0, 0, 0, 0] = 7
    np.save(path, marked)
    assert load_glyphs(spec)[0, 0, 0, 0] == 7
    # A damaged file of the wrong shape is regenerated.
    np.save(path, np.zeros((2, 2), dtype=np.uint8))
    assert np.array_equal(load_glyphs(spec), first)
    assert list((tmp_path / "cache").glob(".glyphs-*")) == []


def test_cache_dir_default(monkeypatch, tmp_path):
    monkeypatch.delenv(glyphs.CACHE_ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert glyphs.cache_dir() == tmp_path / "zipfian_envs"

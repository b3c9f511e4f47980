"""Skew samplers: weights, level grammar, rank sampling, bins and bursty sequences."""

import numpy as np
import pytest
from scipy import stats

from zipfian_envs.core import skew


def test_zipf_weights_match_reference_figures():
    w = skew.zipf(20, 2)
    assert w[0] == pytest.approx(0.627, abs=5e-4)
    assert w[-4:].sum() == pytest.approx(0.0074, abs=5e-5)
    w1 = skew.zipf(20, 1)
    assert (w1[0], w1[-4:].sum()) == (pytest.approx(0.278, abs=5e-4), pytest.approx(0.060, abs=5e-4))
    w30 = skew.zipf(30, 1)
    assert (w30[0], w30[-6:].sum()) == (pytest.approx(0.25, abs=5e-3), pytest.approx(0.055, abs=5e-4))
    np.testing.assert_allclose(skew.zipf(7, 0), skew.uniform(7))


def test_tails_and_reverse():
    rare, common = skew.uniform_rare(20), skew.uniform_common(20)
    np.testing.assert_array_equal(np.nonzero(rare)[0], [16, 17, 18, 19])
    np.testing.assert_array_equal(np.nonzero(common)[0], [0, 1, 2, 3])
    assert skew.uniform_rare(3).tolist() == [0, 0, 1]
    np.testing.assert_allclose(skew.reversed_weights(skew.zipf(5, 1)), skew.zipf(5, 1)[::-1])


@pytest.mark.parametrize(
    ("name", "kind", "exponent"),
    [("uniform", "uniform", 0), ("uniform_rare", "uniform_rare", 0), ("zipf_2", "zipf", 2),
     ("zipf_1.5", "zipf", 1.5), ("zipf1", "zipf", 1), ("zipf0.5", "zipf", 0.5),
     ("uniform_common", "uniform_common", 0)],
)  # fmt: skip
def test_level_grammar(name, kind, exponent):
    level = skew.parse_distribution(name)
    assert (level.kind, level.exponent) == (kind, exponent)
    assert level.weights(10).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("bad", ["zipf", "zipf_-1", "zipf_x", "Uniform", "rare", "", "zipf_nan", "zipf_inf", 2])
def test_bad_level_names_list_valid_forms(bad):
    with pytest.raises(ValueError, match="valid forms"):
        skew.parse_distribution(bad)


@pytest.mark.parametrize(
    "call",
    [lambda: skew.zipf(0, 1), lambda: skew.zipf(5, -1), lambda: skew.uniform(-3), lambda: skew.zipf(2.5, 1),
     lambda: skew.validate_weights([1, -1]), lambda: skew.validate_weights([np.nan, 1]),
     lambda: skew.validate_weights([0, 0]), lambda: skew.validate_weights([]), lambda: skew.RankSampler([])],
)  # fmt: skip
def test_bad_inputs_raise(call):
    with pytest.raises(ValueError):
        call()


def test_frequency_bins():
    bins = [skew.frequency_bin(r, 20) for r in range(1, 21)]
    assert bins == ["common"] * 4 + ["medium"] * 12 + ["rare"] * 4
    assert [skew.frequency_bin(r, 2) for r in (1, 2)] == ["common", "rare"]
    with pytest.raises(ValueError, match=r"1\.\.20"):
        skew.frequency_bin(21, 20)


@pytest.mark.parametrize("level", ["zipf_2", "zipf_1", "uniform", "uniform_rare"])
def test_rank_sampler_matches_weights(level):
    sampler = skew.RankSampler.from_distribution(level, 20)
    ranks = sampler.sample(np.random.default_rng(0), 200_000)
    counts = np.bincount(ranks, minlength=21)[1:]
    expected = sampler.weights * ranks.size
    support = expected > 0
    assert counts[~support].sum() == 0
    assert stats.chisquare(counts[support], expected[support]).pvalue > 1e-3


def test_rank_sampler_scalar_and_generator_only():
    sampler = skew.RankSampler([0, 1, 0])
    assert sampler.sample(np.random.default_rng(1)) == 2
    assert isinstance(sampler.sample(np.random.default_rng(1)), int)
    with pytest.raises(TypeError, match="Generator"):
        sampler.sample(np.random.RandomState(0))
    a = skew.RankSampler(skew.zipf(20, 1)).sample(np.random.default_rng(5), 100)
    b = skew.RankSampler(skew.zipf(20, 1)).sample(np.random.default_rng(5), 100)
    np.testing.assert_array_equal(a, b)


def test_bursty_sequences_structure_and_rates():
    rng = np.random.default_rng(0)
    batch = skew.bursty_sequences(rng, skew.zipf(100, 1), 4000, context_length=8, p_bursty=0.9, shots=3, ways=2)
    assert batch.context.shape == (4000, 8) and batch.query.shape == (4000,)
    assert abs(batch.bursty.mean() - 0.9) < 0.02
    for context, query in zip(batch.context[batch.bursty], batch.query[batch.bursty]):
        values, counts = np.unique(context, return_counts=True)
        assert (counts >= 3).sum() >= 2, context  # two items appear at least 3 times each
        assert query in values[counts >= 3]
    # Non-bursty sequences are i.i.d. from the weights: rank-1 frequency matches p_1.
    iid = batch.context[~batch.bursty]
    assert abs((iid == 0).mean() - skew.zipf(100, 1)[0]) < 0.03


def test_bursty_sequences_reproducible_and_validated():
    a = skew.bursty_sequences(np.random.default_rng(3), skew.uniform(10), 50)
    b = skew.bursty_sequences(np.random.default_rng(3), skew.uniform(10), 50)
    np.testing.assert_array_equal(a.context, b.context)
    with pytest.raises(ValueError, match="context_length"):
        skew.bursty_sequences(np.random.default_rng(0), skew.uniform(10), 5, context_length=4, shots=3, ways=2)
    with pytest.raises(ValueError, match="p_bursty"):
        skew.bursty_sequences(np.random.default_rng(0), skew.uniform(10), 5, p_bursty=1.5)


def test_exclusive_bursts_hold_exactly_shots_of_each_way():
    rng = np.random.default_rng(1)
    batch = skew.bursty_sequences(rng, skew.zipf(50, 2), 2000, p_bursty=1.0, shots=3, ways=2, exclusive_bursts=True)
    for context, query in zip(batch.context, batch.query):
        values, counts = np.unique(context, return_counts=True)
        # Two burst classes exactly 3 times each; the 2 fillers (maybe one class twice) are other classes.
        assert (counts == 3).sum() == 2 and counts.max() == 3, context
        assert query in values[counts == 3]


def test_iid_class_frequencies_match_zipf_weights():
    weights = skew.zipf(30, 1)
    batch = skew.bursty_sequences(np.random.default_rng(7), weights, 20_000, p_bursty=0.0)
    items = np.concatenate([batch.context.ravel(), batch.query])
    counts = np.bincount(items, minlength=30)
    assert stats.chisquare(counts, weights * items.size).pvalue > 1e-3
    assert not batch.bursty.any()


def test_exclude_query_keeps_the_query_out_of_the_context_and_the_law_conditional():
    weights = skew.zipf(10, 2)
    batch = skew.bursty_sequences(np.random.default_rng(2), weights, 20_000, p_bursty=0.0, exclude_query=True)
    assert not (batch.context == batch.query[:, None]).any()
    # Among sequences whose query is item 0, context items follow the weights renormalised without item 0.
    context = batch.context[batch.query == 0].ravel()
    expected = weights[1:] / weights[1:].sum() * context.size
    assert stats.chisquare(np.bincount(context, minlength=10)[1:], expected).pvalue > 1e-3
    with pytest.raises(ValueError, match="exclude_query needs p_bursty=0"):
        skew.bursty_sequences(np.random.default_rng(0), weights, 5, p_bursty=0.5, exclude_query=True)


def test_senses_are_consistent_within_a_sequence():
    batch = skew.bursty_sequences(np.random.default_rng(4), skew.uniform(6), 500, p_bursty=0.5, senses=3)
    items = np.concatenate([batch.context, batch.query[:, None]], axis=1)
    senses = np.concatenate([batch.context_sense, batch.query_sense[:, None]], axis=1)
    assert senses.min() == 0 and senses.max() == 2
    same_item = items[:, :, None] == items[:, None, :]
    assert (senses[:, :, None] == senses[:, None, :])[same_item].all()
    # Different sequences give the same item different senses.
    assert len(np.unique(senses[items == 0])) == 3
    with pytest.raises(ValueError, match="senses"):
        skew.bursty_sequences(np.random.default_rng(0), skew.uniform(6), 5, senses=0)


def test_new_options_keep_the_default_stream_and_are_seeded():
    plain = skew.bursty_sequences(np.random.default_rng(9), skew.zipf(20, 1), 64)
    again = skew.bursty_sequences(np.random.default_rng(9), skew.zipf(20, 1), 64, senses=1)
    np.testing.assert_array_equal(plain.context, again.context)
    assert not plain.context_sense.any() and not plain.query_sense.any()
    a = skew.bursty_sequences(np.random.default_rng(5), skew.zipf(20, 1), 64, senses=2, exclusive_bursts=True)
    b = skew.bursty_sequences(np.random.default_rng(5), skew.zipf(20, 1), 64, senses=2, exclusive_bursts=True)
    for field in ("context", "query", "bursty", "context_sense", "query_sense"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_the_old_level_names_of_the_distribution_api_warn_and_still_work():
    import warnings

    from zipfian_envs.core import skew as module

    for old, new in (("Level", "Distribution"), ("parse_level", "parse_distribution"),
                     ("level_weights", "distribution_weights"), ("LEVEL_FORMS", "DISTRIBUTION_FORMS")):  # fmt: skip
        with pytest.warns(DeprecationWarning, match=f"skew.{old} is deprecated.*use {new}"):
            assert getattr(module, old) is getattr(module, new)
    with pytest.warns(DeprecationWarning, match="from_level"):
        sampler = module.RankSampler.from_level("zipf_1", 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(sampler.weights, module.RankSampler.from_distribution("zipf_1", 5).weights)
    assert module.is_distribution("zipf_1.5") and not module.is_distribution("rooms_watermaze")

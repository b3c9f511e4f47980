"""In-context learning study: sequence data, the ICL / IWL evaluation, models, result files and the CLI."""

import json

import numpy as np
import pytest

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError
from zipfian_envs.studies.icl import results
from zipfian_envs.studies.icl.data import DataConfig, SequenceTask
from zipfian_envs.studies.icl.train import make_eval_sets, score

SMALL = DataConfig(rare_classes=64, heldout_classes=16, num_labels=16, dim=32, noise=0.1)


def _one_hot(labels: np.ndarray, num_labels: int) -> np.ndarray:
    logits = np.zeros((len(labels), num_labels))
    logits[np.arange(len(labels)), labels] = 1.0
    return logits


def copy_matching_label(num_labels: int):
    """Ignores the weights: copies the label of the context exemplar most similar to the query."""

    def predict(exemplars, context_labels):
        similarity = np.einsum("bld,bd->bl", exemplars[:, :-1], exemplars[:, -1])
        nearest = np.argmax(similarity, axis=1)
        return _one_hot(context_labels[np.arange(len(nearest)), nearest], num_labels)

    return predict


def knows_class_labels(task: SequenceTask):
    """Ignores the context: labels the query with the fixed label of the nearest trained prototype."""
    prototypes = task.exemplars.prototypes[: task.config.num_train]

    def predict(exemplars, context_labels):
        nearest = np.argmax(exemplars[:, -1] @ prototypes.T, axis=1)
        return _one_hot(task.label_table[nearest, 0], task.config.num_labels)

    return predict


# --- data -------------------------------------------------------------------------------------------------


def test_training_batches_never_hold_heldout_classes_and_bursts_are_3_shot_2_way():
    task = SequenceTask(SMALL, seed=0)
    batch = task.train_batch(np.random.default_rng(0), 3000)
    assert batch.context_classes.max() < SMALL.num_train and batch.query_class.max() < SMALL.num_train
    assert batch.exemplars.shape == (3000, 9, 32) and batch.exemplars.dtype == np.float32
    bursty = [(c, q) for c, q in zip(batch.context_classes, batch.query_class) if (np.bincount(c) == 3).sum() == 2]
    assert len(bursty) > 0.85 * 3000
    for context, query in bursty:
        assert np.bincount(context)[query] == 3
    # ICL batches use held-out classes only, two of them four times each.
    icl = task.icl_batch(np.random.default_rng(1), 200)
    assert (icl.context_classes >= SMALL.num_train).all() and (icl.query_class >= SMALL.num_train).all()
    assert all(sorted(np.unique(c, return_counts=True)[1]) == [4, 4] for c in icl.context_classes)


def test_icl_labels_are_random_per_sequence_and_consistent_within_it():
    task = SequenceTask(SMALL, seed=0)
    icl = task.icl_batch(np.random.default_rng(2), 500)
    classes = np.concatenate([icl.context_classes, icl.query_class[:, None]], axis=1)
    labels = np.concatenate([icl.context_labels, icl.query_label[:, None]], axis=1)
    same = classes[:, :, None] == classes[:, None, :]
    assert ((labels[:, :, None] == labels[:, None, :]) == same).all()  # one label per class, two labels per row
    assert (np.sort(icl.label_pair, axis=1) == np.sort(np.unique(labels, axis=None)[None, :2], axis=1)).any()
    assert len(np.unique(icl.label_pair)) == SMALL.num_labels  # labels drawn from the whole vocabulary


def test_polysemy_labels_come_from_the_class_label_set():
    config = DataConfig(rare_classes=40, heldout_classes=4, num_labels=40, senses=3, dim=8)
    task = SequenceTask(config, seed=3)
    assert task.label_table.shape == (40, 3)
    batch = task.train_batch(np.random.default_rng(0), 2000)
    for labels, classes in ((batch.context_labels, batch.context_classes), (batch.query_label, batch.query_class)):
        assert (task.label_table[classes] == labels[..., None]).any(axis=-1).all()
    # Every sense of a class is used across sequences.
    used = {int(label) for label in batch.query_label[batch.query_class == 0]}
    assert used == set(task.label_table[0].tolist())


def test_zipf_class_frequencies_in_training_batches():
    config = DataConfig(rare_classes=20, heldout_classes=4, zipf_exponent=1.0, p_bursty=0.0, dim=8)
    batch = SequenceTask(config, seed=0).train_batch(np.random.default_rng(11), 10_000)
    from scipy import stats

    counts = np.bincount(batch.context_classes.ravel(), minlength=20)
    assert stats.chisquare(counts, skew.zipf(20, 1.0) * counts.sum()).pvalue > 1e-3


def test_same_seed_same_batch_and_world():
    a, b = SequenceTask(SMALL, seed=5), SequenceTask(SMALL, seed=5)
    np.testing.assert_array_equal(a.label_table, b.label_table)
    x, y = a.train_batch(np.random.default_rng(1), 64), b.train_batch(np.random.default_rng(1), 64)
    np.testing.assert_array_equal(x.exemplars, y.exemplars)
    np.testing.assert_array_equal(x.query_label, y.query_label)
    assert not np.array_equal(SequenceTask(SMALL, seed=6).label_table, a.label_table)


@pytest.mark.parametrize(
    ("change", "match"),
    [({"exemplar": "photo"}, "symbolic, glyph"), ({"p_bursty": 1.5}, "p_bursty"), ({"heldout_classes": 1}, "heldout"),
     ({"zipf_exponent": -1.0}, "zipf_exponent"), ({"senses": 0}, "senses"), ({"rare_classes": 1}, "trained classes"),
     ({"ways": 3, "context_length": 9, "heldout_classes": 2}, "must be >= ways=3")],
)  # fmt: skip
def test_bad_data_settings_name_the_value(change, match):
    import dataclasses

    with pytest.raises(StudyError, match=match):
        dataclasses.replace(SMALL, **change).validate()


def test_glyph_exemplars_read_the_shared_glyph_set(tmp_path, monkeypatch):
    monkeypatch.setenv("ZIPFIAN_CACHE_DIR", str(tmp_path))
    from zipfian_envs.studies import glyphs

    config = DataConfig(exemplar="glyph", rare_classes=12, heldout_classes=4, num_labels=4)
    task = SequenceTask(config, seed=0)
    assert task.feature_dim == 32 * 32
    batch = task.icl_batch(np.random.default_rng(0), 5)
    assert batch.exemplars.shape == (5, 9, 1024) and batch.exemplars.min() >= 0 and batch.exemplars.max() <= 1
    images = glyphs.load_glyphs(glyphs.GlyphSpec(num_classes=16))
    # Each exemplar is one of its class's stored images.
    query = batch.exemplars[0, -1]
    stored = images[batch.query_class[0]].reshape(-1, 1024) / 255.0
    assert np.isclose(stored, query[None], atol=1e-6).all(axis=1).any()


# --- evaluation -------------------------------------------------------------------------------------------


def test_a_context_copier_scores_full_icl_and_chance_iwl():
    task = SequenceTask(SMALL, seed=0)
    outcome = score(copy_matching_label(SMALL.num_labels), make_eval_sets(task, seed=0, size=800))
    assert outcome["icl"].mean() == 1.0 and outcome["icl_open"].mean() == 1.0
    assert outcome["iwl"].mean() < 0.2 and outcome["iwl_uniform"].mean() < 0.2  # chance is 1/16 + label sharing


def test_a_model_of_class_labels_scores_chance_icl_and_full_iwl():
    task = SequenceTask(SMALL, seed=0)
    outcome = score(knows_class_labels(task), make_eval_sets(task, seed=0, size=2000))
    assert outcome["iwl"].mean() == 1.0 and outcome["iwl_uniform"].mean() == 1.0
    assert abs(outcome["icl"].mean() - 0.5) < 0.05  # 2-way chance
    assert outcome["icl_open"].mean() < 0.2


def test_iwl_queries_are_absent_from_their_context():
    sets = make_eval_sets(SequenceTask(SMALL, seed=0), seed=1, size=500)
    for batch in (sets.iwl, sets.iwl_uniform):
        assert not (batch.context_classes == batch.query_class[:, None]).any()


# --- models, training, result files, CLI ----------------------------------------------------------------------

torch = pytest.importorskip("torch")


def test_lstm_parameters_match_the_transformer():
    from zipfian_envs.studies.icl.models import build_model, count_parameters

    transformer = count_parameters(build_model("transformer", 64, 32, 8, heads=1))
    lstm = count_parameters(build_model("lstm", 64, 32, 8))
    assert abs(lstm - transformer) / transformer < 0.05
    with pytest.raises(StudyError, match="transformer, lstm"):
        build_model("gru", 64, 32, 8)


def test_transformer_is_causal_over_its_tokens():
    from zipfian_envs.studies.icl.models import build_model

    torch.manual_seed(0)
    model = build_model("transformer", 8, 5, 4, d_model=16, heads=2).eval()
    x, y = torch.randn(2, 5, 8), torch.randint(0, 5, (2, 4))
    tokens = model.embed(x, y) + model.position
    changed = tokens.clone()
    changed[:, -1] += 1.0  # the query token must not reach earlier positions
    a = model.blocks(tokens, mask=model.mask, is_causal=True)
    b = model.blocks(changed, mask=model.mask, is_causal=True)
    torch.testing.assert_close(a[:, :-1], b[:, :-1])
    assert not torch.allclose(a[:, -1], b[:, -1])


def _tiny(**changes):
    import dataclasses

    from zipfian_envs.studies.icl.sweep import preset

    return dataclasses.replace(preset("tiny"), **changes)


def test_tiny_training_run_is_seeded_and_writes_a_file_the_reader_accepts(tmp_path):
    from zipfian_envs.studies.icl.train import train

    torch.set_num_threads(1)
    first, second = train(_tiny(seed=3)), train(_tiny(seed=3))
    assert first["curve"] == second["curve"] and first["outcomes"] == second["outcomes"]
    assert first["curve"]["step"] == [10, 20] and len(first["outcomes"]["icl"]) == 32
    path = results.write_run(first, tmp_path)
    assert path.name == "transformer_p0.9_zipf0_seed3.json"
    run = results.load_run(path)
    merged = results.report(tmp_path, plots=False)
    assert merged["cells"] == 1 and "| transformer | 0.9 | 0 | 1 | 20 |" in merged["table"]
    assert run["outcomes"]["icl"] == first["outcomes"]["icl"]


def test_reader_refuses_other_schemas_and_empty_folders(tmp_path):
    with pytest.raises(StudyError, match="no run files"):
        results.load_runs(tmp_path)
    bad = tmp_path / results.RUNS_DIR / "x.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"schema": "zipfian-icl-run/0"}))
    with pytest.raises(StudyError, match="zipfian-icl-run/1"):
        results.load_runs(tmp_path)


def test_cli_sweep_in_parallel_then_report(tmp_path, capsys):
    from zipfian_envs.studies import cli

    out = str(tmp_path)
    argv = ["icl", "sweep", "--preset", "tiny", "--seeds", "0", "1", "--jobs", "2", "--no-progress", "--out", out,
            "--cells", "transformer_p0.9_zipf0", "lstm_p0.9_zipf1"]  # fmt: skip
    assert cli.main(argv) == 0
    table = capsys.readouterr().out
    assert "| transformer | 0.9 | 0 | 2 |" in table and "| lstm | 0.9 | 1 | 2 |" in table
    assert len(list((tmp_path / results.RUNS_DIR).glob("*.json"))) == 4
    for png in ("icl_iwl_vs_burstiness.png", "icl_iwl_vs_exponent.png", "icl_iwl_over_training.png"):
        assert (tmp_path / png).stat().st_size > 0
    # A rerun skips the finished runs and still merges.
    assert cli.main(argv) == 0
    assert "0 runs to do, 4 already" in capsys.readouterr().err
    # Other settings under the same names are not silently taken for finished runs.
    assert cli.main([*argv, "--steps", "30"]) == 2
    assert "holds a run with other settings" in capsys.readouterr().err
    assert cli.main(["icl", "report", "--out", out, "--no-plots"]) == 0


@pytest.mark.parametrize(
    ("argv", "match"),
    [(["icl", "sweep", "--preset", "huge"], "unknown preset 'huge'; valid: small, tiny"),
     (["icl", "run", "--device", "tpu"], "unknown device 'tpu'"),
     (["icl", "sweep", "--jobs", "0"], "--jobs must be >= 1"),
     (["icl", "sweep", "--cells", "nope"], "unknown cell(s) nope"),
     (["icl", "run", "--preset", "tiny", "--steps", "-5"], "steps must be an integer >= 1"),
     (["icl", "run", "--preset", "tiny", "--p-bursty", "2"], "p_bursty must be in [0, 1]"),
     (["icl", "report", "--out", "/nonexistent/icl"], "no run files"),
     (["icl"], "choose an icl command")],
)  # fmt: skip
def test_cli_bad_arguments_are_one_line_errors(argv, match, capsys):
    from zipfian_envs.studies import cli

    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and match in err


def test_cli_run_writes_one_result_file(tmp_path, capsys):
    from zipfian_envs.studies import cli

    argv = ["icl", "run", "--preset", "tiny", "--model", "lstm", "--p-bursty", "0.5", "--zipf-exponent", "1",
            "--seed", "2", "--no-progress", "--out", str(tmp_path)]  # fmt: skip
    assert cli.main(argv) == 0
    run = results.load_run(tmp_path / results.RUNS_DIR / "lstm_p0.5_zipf1_seed2.json")
    assert run["config"]["data"]["p_bursty"] == 0.5 and run["config"]["model"] == "lstm"
    assert "step 20: loss" in capsys.readouterr().err  # --no-progress prints each evaluation


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given when no GPU is there")
def test_cuda_without_a_gpu_is_a_one_line_error(capsys):
    from zipfian_envs.studies import cli

    assert cli.main(["icl", "sweep", "--preset", "tiny", "--device", "cuda"]) == 2
    assert "torch sees no CUDA device" in capsys.readouterr().err

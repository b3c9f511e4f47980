"""BYOL study: normalisation math, batch independence, EMA, loss, augmentations, probe, and an end-to-end run."""

import itertools
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from zipfian_envs.core import skew  # noqa: E402
from zipfian_envs.studies import StudyError  # noqa: E402
from zipfian_envs.studies.byol import algorithm, augment, compare, networks, probe  # noqa: E402
from zipfian_envs.studies.byol.config import NORMS, load_splits, make_config  # noqa: E402
from zipfian_envs.studies.byol.train import _Trainer, run_trial, write_trial  # noqa: E402
from zipfian_envs.studies.cli import main  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread_and_tmp_cache(monkeypatch, tmp_path_factory):
    torch.set_num_threads(1)
    monkeypatch.setenv("ZIPFIAN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "glyph-cache"))


# --- normalisation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [networks.WSConv2d(3, 5, 3), networks.WSLinear(7, 4)])
def test_weight_standardisation_zero_mean_unit_variance_per_output_unit(layer):
    with torch.no_grad():
        layer.weight.mul_(3.0).add_(0.7)  # any raw scale and offset
    flat = networks.standardize_weight(layer.weight).reshape(layer.weight.shape[0], -1)
    assert torch.allclose(flat.mean(dim=1), torch.zeros(flat.shape[0]), atol=1e-6)
    assert torch.allclose(flat.var(dim=1, unbiased=False), torch.ones(flat.shape[0]), atol=1e-3)


def test_ws_layers_use_the_standardised_weights():
    layer = networks.WSLinear(6, 3, bias=False)
    x = torch.randn(4, 6)
    expected = x @ networks.standardize_weight(layer.weight).T
    assert torch.allclose(layer(x), expected, atol=1e-6)
    conv = networks.conv("gn_ws", 2, 4)
    assert isinstance(conv, networks.WSConv2d) and conv.bias is None
    assert type(networks.conv("bn", 2, 4)) is torch.nn.Conv2d


def _example_zero_output(norm, rest_seed):
    torch.manual_seed(0)
    network = networks.OnlineNetwork(norm, (8, 16, 16), hidden=32, projection_dim=8)
    network.train()
    first = torch.rand(1, 1, 32, 32, generator=torch.Generator().manual_seed(1))
    rest = torch.rand(5, 1, 32, 32, generator=torch.Generator().manual_seed(rest_seed))
    return network(torch.cat([first, rest]))[0]


@pytest.mark.parametrize("norm", ["gn_ws", "gn", "ln", "none"])
def test_batch_independence_without_batch_norm(norm):
    """One example's output does not change when the rest of the batch changes (train mode)."""
    assert torch.allclose(_example_zero_output(norm, 2), _example_zero_output(norm, 3), atol=1e-6)


def test_batch_norm_depends_on_the_batch_in_train_mode():
    assert not torch.allclose(_example_zero_output("bn", 2), _example_zero_output("bn", 3), atol=1e-3)


def _norm_outputs(modules, forward):
    """Outputs of every GN/LN layer of ``modules`` during one call of ``forward``."""
    outputs, handles = [], []
    for root in modules:
        for module in root.modules():
            if isinstance(module, networks.BATCH_FREE_AFFINE_NORMS):
                handles.append(module.register_forward_hook(lambda _m, _i, out: outputs.append(out.detach())))
    forward()
    for handle in handles:
        handle.remove()
    return outputs


@pytest.mark.parametrize("norm", ["gn_ws", "gn", "ln"])
def test_data_init_makes_every_norm_channel_zero_mean_unit_variance_across_the_batch(norm):
    torch.manual_seed(0)
    online = networks.OnlineNetwork(norm, (8, 16, 16), hidden=32, projection_dim=8)
    predictor = networks.MLPHead(norm, 8, 32, 8)
    images = torch.rand(64, 1, 32, 32, generator=torch.Generator().manual_seed(1))

    def forward():
        return predictor(online(images))

    before = _norm_outputs([online, predictor], forward)
    assert networks.init_norms_from_data([online, predictor], forward) == len(before) > 0
    for output in _norm_outputs([online, predictor], forward):
        reduce = [0, *range(2, output.dim())]
        assert torch.allclose(output.mean(dim=reduce), torch.zeros(output.shape[1]), atol=1e-4)
        assert torch.allclose(output.std(dim=reduce, unbiased=False), torch.ones(output.shape[1]), atol=1e-3)
    # Still batch-independent after the init: one example's output ignores the rest of the batch.
    first, rest_a, rest_b = images[:1], images[1:6], images[6:11]
    out_a = predictor(online(torch.cat([first, rest_a])))[0]
    out_b = predictor(online(torch.cat([first, rest_b])))[0]
    assert torch.allclose(out_a, out_b, atol=1e-5)


@pytest.mark.parametrize("norm", ["bn", "none"])
def test_data_init_leaves_bn_and_none_alone(norm):
    online = networks.OnlineNetwork(norm, (8, 16, 16), hidden=32, projection_dim=8)
    state = {k: v.clone() for k, v in online.state_dict().items()}
    assert networks.init_norms_from_data([online], lambda: online(torch.rand(4, 1, 32, 32))) == 0
    assert all(torch.equal(state[k], v) for k, v in online.state_dict().items())


def test_trainer_norm_init_data_or_default():
    splits = load_splits(make_config("tiny"))
    default = _Trainer(make_config("tiny", norm="gn_ws", norm_init="default"), splits, torch.device("cpu"))
    data = _Trainer(make_config("tiny", norm="gn_ws"), splits, torch.device("cpu"))
    stem_default, stem_data = default.encoder.stem[1], data.encoder.stem[1]
    assert torch.equal(stem_default.weight, torch.ones_like(stem_default.weight))
    assert torch.equal(stem_default.bias, torch.zeros_like(stem_default.bias))
    assert not torch.equal(stem_data.weight, stem_default.weight)
    # The target starts as an exact copy of the initialised online network.
    for online_param, target_param in zip(data.online.parameters(), data.target.parameters(), strict=True):
        assert torch.equal(online_param, target_param)
    # BN has no GN/LN layers: norm_init changes nothing, bit for bit.
    bn_data = run_trial(make_config("tiny", norm="bn", steps=2, log_every=1))
    bn_default = run_trial(make_config("tiny", norm="bn", steps=2, log_every=1, norm_init="default"))
    assert bn_data["history"] == bn_default["history"] and bn_data["test"] == bn_default["test"]
    with pytest.raises(StudyError, match="unknown norm_init 'lsuv'"):
        make_config("tiny", norm_init="lsuv")


def test_unknown_norm_lists_choices():
    with pytest.raises(ValueError, match="gn_ws"):
        networks.ResNetEncoder("batchnorm")
    with pytest.raises(StudyError, match="unknown norm 'x'"):
        make_config("tiny", norm="x")


# --- BYOL pieces ---------------------------------------------------------------------------------------


def test_ema_update_and_buffers():
    online = networks.OnlineNetwork("bn", (8, 8, 8), hidden=16, projection_dim=4)
    target = algorithm.make_target(online)
    assert all(not p.requires_grad for p in target.parameters())
    before = [p.clone() for p in target.parameters()]
    with torch.no_grad():
        for p in online.parameters():
            p.add_(1.0)
        online.encoder.stem[1].running_mean.fill_(0.5)
    algorithm.ema_update(target, online, tau=0.9)
    for old, new, current in zip(before, target.parameters(), online.parameters()):
        assert torch.allclose(new, 0.9 * old + 0.1 * current, atol=1e-6)
    assert torch.all(target.encoder.stem[1].running_mean == 0.5)
    algorithm.ema_update(target, online, tau=0.0)
    assert all(torch.equal(a, b) for a, b in zip(target.parameters(), online.parameters()))


def test_tau_cosine_schedule():
    assert algorithm.tau_schedule(0, 100, 0.99) == pytest.approx(0.99)
    assert algorithm.tau_schedule(50, 100, 0.99) == pytest.approx(0.995)
    assert algorithm.tau_schedule(100, 100, 0.99) == pytest.approx(1.0)
    values = [algorithm.tau_schedule(k, 100, 0.99) for k in range(101)]
    assert all(b >= a for a, b in itertools.pairwise(values))


def test_loss_zero_for_identical_inputs_and_symmetric():
    g = torch.Generator().manual_seed(0)
    a, b, c, d = (torch.randn(6, 8, generator=g) for _ in range(4))
    assert float(algorithm.byol_loss(a, b, b * 3.0, a * 0.5)) == pytest.approx(0.0, abs=1e-6)
    assert float(algorithm.byol_loss(a, b, c, d)) == pytest.approx(float(algorithm.byol_loss(b, a, d, c)))
    assert 0.0 < float(algorithm.byol_loss(a, b, c, d)) <= 8.0
    assert float(algorithm.byol_loss(a, a, -a, -a)) == pytest.approx(8.0)
    # The target side gets no gradient.
    c.requires_grad_(True)
    a.requires_grad_(True)
    algorithm.byol_loss(a, b, c, d).backward()
    assert c.grad is None and a.grad is not None


def test_projection_std_healthy_and_collapsed():
    d = 64
    healthy = algorithm.projection_std(torch.randn(4096, d, generator=torch.Generator().manual_seed(0)))
    assert healthy == pytest.approx(1 / np.sqrt(d), rel=0.05)
    assert algorithm.projection_std(torch.ones(32, d) * 5.0) == pytest.approx(0.0, abs=1e-6)


# --- augmentations -------------------------------------------------------------------------------------


def test_augment_shape_range_and_seed():
    images = torch.rand(16, 1, 32, 32)
    first = augment.augment(images, torch.Generator().manual_seed(3))
    assert first.shape == images.shape and first.dtype == images.dtype
    assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0
    assert torch.equal(first, augment.augment(images, torch.Generator().manual_seed(3)))
    assert not torch.equal(first, augment.augment(images, torch.Generator().manual_seed(4)))
    # Two views of one image differ (the generator advances).
    g = torch.Generator().manual_seed(5)
    assert not torch.equal(augment.augment(images, g), augment.augment(images, g))


def test_augment_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        augment.augment(torch.rand(32, 32), torch.Generator())


# --- probe ---------------------------------------------------------------------------------------------


def test_linear_probe_and_knn_separate_easy_classes():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(5, 8, generator=g) * 4
    labels = torch.arange(5).repeat_interleave(10)
    train = centres[labels] + torch.randn(50, 8, generator=g)
    test = centres[labels] + torch.randn(50, 8, generator=g)
    assert torch.equal(probe.linear_probe(train, labels, test, 5, max_iter=50), labels)
    assert torch.equal(probe.knn_predict(train, labels, test), labels)
    # Collapsed (constant) features: no NaN, one class for every example.
    constant = probe.linear_probe(torch.ones(50, 8), labels, torch.ones(50, 8), 5, max_iter=10)
    assert constant.unique().numel() == 1


# --- data, sampling, end to end ------------------------------------------------------------------------


def test_splits_are_disjoint_and_balanced():
    config = make_config("tiny")
    splits = load_splits(config)
    assert splits.pretrain.shape[:2] == (40, config.pretrain_exemplars)
    assert splits.probe_train.shape[:2] == (40, config.probe_train_exemplars)
    assert splits.probe_test.shape[:2] == (40, config.probe_test_exemplars)
    seen = {image.tobytes() for image in splits.pretrain.reshape(-1, 32 * 32)}
    for part in (splits.probe_train, splits.probe_test):
        assert not seen & {image.tobytes() for image in part.reshape(-1, 32 * 32)}


def test_pretraining_classes_come_from_the_skew_sampler():
    config = make_config("tiny", level="zipf_1", batch_size=64)
    trainer = _Trainer(config, load_splits(config), torch.device("cpu"))
    _, classes = trainer.batch()
    expected = skew.RankSampler.from_distribution("zipf_1", 40).sample(np.random.default_rng([config.seed, 1]), 64) - 1
    assert np.array_equal(classes.numpy(), expected)


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("byol")
    cache = str(tmp_path_factory.getbasetemp() / "glyph-cache")
    results = {}
    for method, norm in [("byol", "gn_ws"), ("random", "bn")]:
        for seed in (0, 1):
            config = make_config("tiny", method=method, norm=norm, seed=seed)
            result = run_trial(config, cache_directory=cache)
            write_trial(result, out)
            results[config.name] = result
    return out, results


def test_trial_result_contents(tiny_results):
    _, results = tiny_results
    result = results["byol-gn_ws-zipf_1-seed0"]
    assert result["history"]["step"] == [0, 2, 4]
    assert len(result["test"]["correct"]) == 40 * 5 == len(result["test"]["class_rank"])
    assert 0.0 <= result["linear_eval"]["accuracy"] <= 1.0
    assert set(result["linear_eval"]["bins"]) == set(skew.FREQUENCY_BINS)
    assert results["random-bn-zipf_1-seed0"]["history"]["step"] == [0]


def test_same_seed_same_trial():
    config = make_config("tiny", norm="gn_ws", steps=2, log_every=1)
    first, second = run_trial(config), run_trial(config)
    assert first["history"] == second["history"] and first["test"] == second["test"]


def test_merge_reads_trial_files_and_writes_table_and_plots(tiny_results):
    out, _ = tiny_results
    summary = compare.merge(out)
    labels = [row["label"] for row in summary["rows"]]
    assert labels == ["BYOL, GN+WS (zipf_1)", "Random init (BN, zipf_1)"]
    row = summary["rows"][0]
    assert row["seeds"] == [0, 1] and row["linear_eval"]["all"]["runs"] == 2
    assert (
        row["linear_eval"]["rare"]["ci_low"]
        <= row["linear_eval"]["rare"]["mean"]
        <= row["linear_eval"]["rare"]["ci_high"]
    )
    table = (out / "table.md").read_text()
    assert "| BYOL, GN+WS (zipf_1) | 2 |" in table
    assert (out / "linear_accuracy.png").stat().st_size > 0 and (out / "collapse.png").stat().st_size > 0


def test_merge_refuses_other_schema_versions(tmp_path, tiny_results):
    _, results = tiny_results
    trial = dict(results["byol-gn_ws-zipf_1-seed0"], schema_version=99)
    (tmp_path / "trials").mkdir()
    (tmp_path / "trials" / "x.json").write_text(json.dumps(trial))
    with pytest.raises(StudyError, match="schema version 99"):
        compare.merge(tmp_path)
    with pytest.raises(StudyError, match="no trial files"):
        compare.merge(tmp_path / "empty")


def test_merge_keeps_default_init_trials_in_their_own_row(tmp_path):
    for norm_init in ("data", "default"):
        write_trial(
            run_trial(make_config("tiny", norm="gn_ws", norm_init=norm_init, steps=1, log_every=1)),
            tmp_path / norm_init,
        )
        for path in (tmp_path / norm_init / "trials").iterdir():
            (tmp_path / "both" / "trials").mkdir(parents=True, exist_ok=True)
            path.rename(tmp_path / "both" / "trials" / f"{norm_init}-{path.name}")
    labels = [row["label"] for row in compare.merge(tmp_path / "both", plots=False)["rows"]]
    assert labels == ["BYOL, GN+WS (zipf_1)", "BYOL, GN+WS, gamma 1 / beta 0 init (zipf_1)"]


def test_cli_hyperparameter_flags_reach_the_trial_and_merge_refuses_mixed_settings(tmp_path):
    argv = ["byol", "run", "--preset", "tiny", "--steps", "1", "--out", str(tmp_path), "--no-progress"]
    assert main([*argv, "--predictor-lr-scale", "10", "--base-tau", "0.996"]) == 0
    config = json.loads((tmp_path / "trials" / "byol-bn-zipf_1-seed0.json").read_text())["config"]
    assert config["predictor_lr_scale"] == 10.0 and config["base_tau"] == 0.996
    assert main([*argv, "--seed", "1"]) == 0  # default predictor lr and tau in the same folder
    with pytest.raises(StudyError, match="mix settings"):
        compare.merge(tmp_path, plots=False)


def test_compare_cli_runs_merges_and_resumes(tmp_path, capsys):
    argv = ["byol", "compare", "--preset", "tiny", "--seeds", "0", "--out", str(tmp_path), "--no-progress"]
    argv += ["--conditions", "byol-bn-zipf_1", "random-bn-zipf_1"]
    assert main(argv) == 0
    assert "ran 2 trial(s)" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "trials").iterdir()) == [
        "byol-bn-zipf_1-seed0.json",
        "random-bn-zipf_1-seed0.json",
    ]
    assert main(argv) == 0  # second time: nothing left to run, merge only
    assert "ran 0 trial(s); 2 already had result files" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["byol", "run", "--norm", "batch"], "invalid choice: 'batch'"),
        (["byol", "run", "--preset", "huge"], "invalid choice: 'huge'"),
        (["byol", "run", "--norm-init", "lsuv", "--preset", "tiny"], "invalid choice: 'lsuv'"),
        (["byol", "run", "--steps", "-1", "--preset", "tiny"], "--steps must be >= 0, got -1"),
        (["byol", "run", "--level", "zipf_x", "--preset", "tiny"], "unknown distribution 'zipf_x'"),
        (["byol", "compare", "--conditions", "byol-xx-zipf_1", "--preset", "tiny"], "bad condition 'byol-xx-zipf_1'"),
        (["byol", "compare", "--jobs", "0", "--preset", "tiny"], "--jobs must be >= 1"),
    ],
)
def test_bad_arguments_are_one_line_errors(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err, err


def test_every_norm_builds_and_trains_one_step():
    for norm in NORMS:
        result = run_trial(make_config("tiny", norm=norm, steps=1, log_every=1, knn_classes=5))
        assert np.isfinite(result["history"]["loss"][-1])


def test_optimizer_choice_and_bad_optimizer():
    result = run_trial(make_config("tiny", optimizer="sgd", lr=0.01, predictor_lr_scale=10.0, steps=2, log_every=1))
    assert np.isfinite(result["history"]["loss"][-1])
    with pytest.raises(StudyError, match="unknown optimizer 'lars'"):
        make_config("tiny", optimizer="lars")


@pytest.mark.slow
def test_parallel_jobs_write_one_file_per_trial(tmp_path):
    """Spawned workers (each imports torch: ~10 s) write one file per trial; the merge reads them."""
    configs = compare.matrix("tiny", [0, 1], ["byol-gn_ws-uniform"], steps=2, log_every=1)
    written, failures = compare.run_matrix(configs, tmp_path, jobs=2, progress=False)
    assert failures == {} and len(written) == 2
    summary = compare.merge(tmp_path, plots=False)
    assert summary["rows"][0]["seeds"] == [0, 1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_one_line_error(capsys, tmp_path):
    assert main(["byol", "run", "--preset", "tiny", "--device", "cuda", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "sees no CUDA device" in err

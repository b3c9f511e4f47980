"""One trial of the BYOL study, CleanRL-style: pre-train (BYOL or supervised, or not at all), then linear eval.

Pre-training draws each batch's classes through ``skew.RankSampler`` for the trial's level
(``zipf_1``, ``uniform``, ...) and one pre-training exemplar per draw; the linear probe trains on a
balanced set of other exemplars and is scored on a third, balanced set. Every ``log_every`` steps
the collapse diagnostics are logged: the across-batch std of the L2-normalised online projections
and kNN accuracy on a fixed subset of classes spread over the ranks.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError, require_torch
from zipfian_envs.studies.byol.config import GlyphSplits, TrialConfig, frequency_bins, load_splits

SCHEMA = "zipfian-study-byol"
SCHEMA_VERSION = 2  # 2: config.norm_init (GN/LN initialised from data by default)


def _modules():
    """Import the torch-backed modules only once torch is known to be installed."""
    from zipfian_envs.studies.byol import algorithm, augment, networks, probe

    return algorithm, augment, networks, probe


def _monitor_classes(num_classes: int, count: int) -> np.ndarray:
    """Evenly spaced class indices over the ranks, so every frequency bin is watched."""
    return np.unique(np.linspace(0, num_classes - 1, count).round().astype(int))


class _Trainer:
    """Holds the data tensors, networks and optimiser of one trial."""

    def __init__(self, config: TrialConfig, splits: GlyphSplits, device) -> None:
        torch = require_torch()
        self.torch = torch
        self.algorithm, self.augment, networks, self.probe = _modules()
        self.config = config
        self.device = device
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng([config.seed, 1])
        self.generator = torch.Generator().manual_seed(config.seed + 10_000)
        self.sampler = skew.RankSampler.from_distribution(config.level, splits.num_classes)
        self.pool = self.probe.to_tensor(splits.pretrain, device)
        self.pool_size = splits.pretrain.shape[1]
        watched = _monitor_classes(splits.num_classes, config.knn_classes)
        self.knn_train = self.probe.to_tensor(splits.probe_train[watched], device)
        self.knn_test = self.probe.to_tensor(splits.probe_test[watched], device)
        self.knn_train_labels = torch.arange(watched.size).repeat_interleave(splits.probe_train.shape[1])
        self.knn_test_labels = torch.arange(watched.size).repeat_interleave(splits.probe_test.shape[1])
        self.online = networks.OnlineNetwork(config.norm, config.widths, config.hidden, config.projection_dim).to(
            device
        )
        self.encoder = self.online.encoder
        groups = [{"params": list(self.online.parameters()), "lr_scale": 1.0}]
        if config.method == "byol":
            self.predictor = networks.MLPHead(
                config.norm, config.projection_dim, config.hidden, config.projection_dim
            ).to(device)
            groups.append({"params": list(self.predictor.parameters()), "lr_scale": config.predictor_lr_scale})
        if config.norm_init == "data":
            self.init_norms_from_data(networks)
        if config.method == "byol":
            self.target = self.algorithm.make_target(self.online)  # after the init: target and online start equal
        elif config.method == "supervised":
            self.classifier = torch.nn.Linear(self.encoder.feature_dim, splits.num_classes).to(device)
            groups = [{"params": list(self.encoder.parameters()) + list(self.classifier.parameters()), "lr_scale": 1.0}]
        if config.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(groups, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)
        else:
            self.optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
        self.history: dict[str, list[Any]] = {"step": [], "loss": [], "projection_std": [], "knn_accuracy": []}

    def init_norms_from_data(self, networks) -> int:
        """Set the GN/LN affine parameters from one batch of training views (see ``networks.init_norms_from_data``).

        The batch (``norm_init_batch`` images drawn by the trial's skew sampler, one augmented view each) comes
        from its own seeded generators, so the training batches and views are the same with or without it.
        Nothing happens for bn and none (no GN/LN layers).
        """
        torch = self.torch
        rng = np.random.default_rng([self.config.seed, 2])
        generator = torch.Generator().manual_seed(self.config.seed + 20_000)
        size = self.config.norm_init_batch
        classes = self.sampler.sample(rng, size) - 1
        exemplars = rng.integers(0, self.pool_size, size)
        index = torch.from_numpy(classes * self.pool_size + exemplars).to(self.device)
        views = self.augment.augment(self.pool[index], generator)
        modules = [self.online] + ([self.predictor] if self.config.method == "byol" else [])

        def forward():
            projections = self.online(views)
            return self.predictor(projections) if self.config.method == "byol" else projections

        return networks.init_norms_from_data(modules, forward)

    def batch(self):
        """Images (B, 1, H, W) and class indices (B,) drawn by the skew sampler."""
        ranks = self.sampler.sample(self.rng, self.config.batch_size)
        exemplars = self.rng.integers(0, self.pool_size, self.config.batch_size)
        classes = ranks - 1
        index = self.torch.from_numpy(classes * self.pool_size + exemplars).to(self.device)
        return self.pool[index], self.torch.from_numpy(classes).to(self.device)

    def learning_rate(self, step: int) -> float:
        """Linear warm-up over the first 5% of steps, then cosine decay to 0."""
        total = max(1, self.config.steps)
        warmup = max(1, total // 20)
        if step < warmup:
            return self.config.lr * (step + 1) / warmup
        return self.config.lr * 0.5 * (1.0 + np.cos(np.pi * (step - warmup) / max(1, total - warmup)))

    def byol_step(self, step: int) -> tuple[float, float]:
        """One BYOL update on two views; returns the loss and the online projection std."""
        images, _ = self.batch()
        views = self.torch.cat(
            [self.augment.augment(images, self.generator), self.augment.augment(images, self.generator)]
        )
        projections = self.online(views)
        predictions = self.predictor(projections)
        with self.torch.no_grad():
            targets = self.target(views)
        half = images.shape[0]
        loss = self.algorithm.byol_loss(predictions[:half], predictions[half:], targets[:half], targets[half:])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        tau = self.algorithm.tau_schedule(step, self.config.steps, self.config.base_tau)
        self.algorithm.ema_update(self.target, self.online, tau)
        return float(loss.detach()), self.algorithm.projection_std(projections[:half])

    def supervised_step(self) -> tuple[float, float]:
        """One cross-entropy update of encoder + classifier on one view; returns the loss and the projection std."""
        images, classes = self.batch()
        features = self.encoder(self.augment.augment(images, self.generator))
        loss = self.torch.nn.functional.cross_entropy(self.classifier(features), classes)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with self.torch.no_grad():
            spread = self.algorithm.projection_std(self.online.projector(features))
        return float(loss.detach()), spread

    def knn_accuracy(self) -> float:
        """kNN accuracy of the current encoder on the watched classes."""
        train = self.probe.extract_features(self.encoder, self.knn_train)
        test = self.probe.extract_features(self.encoder, self.knn_test)
        predictions = self.probe.knn_predict(train, self.knn_train_labels, test)
        return float((predictions == self.knn_test_labels).float().mean())

    def log(self, step: int, loss: float | None, spread: float) -> None:
        """Append one row of diagnostics (loss None before the first update)."""
        self.history["step"].append(step)
        self.history["loss"].append(loss)
        self.history["projection_std"].append(spread)
        self.history["knn_accuracy"].append(self.knn_accuracy())

    def initial_spread(self) -> float:
        """Projection std of the untrained network on one batch."""
        images, _ = self.batch()
        with self.torch.no_grad():
            return self.algorithm.projection_std(self.online(self.augment.augment(images, self.generator)))

    def train(self, progress: bool) -> None:
        """Pre-train for ``steps`` steps (nothing for random-init), logging diagnostics along the way."""
        config = self.config
        self.log(0, None, self.initial_spread())
        if config.method == "random" or config.steps == 0:
            return
        bar = _progress(config.steps, config.name, progress)
        losses, spreads = [], []
        for step in range(config.steps):
            for group in self.optimizer.param_groups:
                group["lr"] = self.learning_rate(step) * group["lr_scale"]
            loss, spread = self.byol_step(step) if config.method == "byol" else self.supervised_step()
            if not np.isfinite(loss):
                raise FloatingPointError(f"{config.name}: loss is {loss} at step {step}")
            losses.append(loss)
            spreads.append(spread)
            done = step + 1
            if done % config.log_every == 0 or done == config.steps:
                self.log(done, float(np.mean(losses)), float(np.mean(spreads)))
                losses, spreads = [], []
                if bar is not None:
                    bar.set_postfix(
                        loss=f"{self.history['loss'][-1]:.3f}", knn=f"{self.history['knn_accuracy'][-1]:.2f}"
                    )
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def linear_eval(self, splits: GlyphSplits) -> tuple[np.ndarray, np.ndarray]:
        """Linear probe on the frozen encoder: (class index, correct) of every test image."""
        torch = self.torch
        train = self.probe.extract_features(self.encoder, self.probe.to_tensor(splits.probe_train, self.device))
        test = self.probe.extract_features(self.encoder, self.probe.to_tensor(splits.probe_test, self.device))
        train_labels = torch.arange(splits.num_classes).repeat_interleave(splits.probe_train.shape[1])
        test_labels = np.repeat(np.arange(splits.num_classes), splits.probe_test.shape[1])
        predictions = self.probe.linear_probe(
            train, train_labels, test, splits.num_classes, max_iter=self.config.probe_max_iter
        ).numpy()
        return test_labels, predictions == test_labels


def _progress(total: int, name: str, enabled: bool):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=name, unit="step", leave=False, dynamic_ncols=True)


def resolve_device(requested: str) -> str:
    """``auto`` -> ``cuda`` when available, else ``cpu``; an unavailable ``cuda`` is an error."""
    torch = require_torch()
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise StudyError(f"device {requested!r} requested but torch {torch.__version__} sees no CUDA device")
    return requested


def run_trial(config: TrialConfig, progress: bool = False, cache_directory: str | None = None) -> dict[str, Any]:
    """Run one trial and return its result dict (see :func:`write_trial` for the file)."""
    torch = require_torch()
    torch.set_num_threads(config.threads)
    start, cpu_start = time.perf_counter(), time.process_time()
    splits = load_splits(config, cache_directory)
    device = torch.device(resolve_device(config.device))
    trainer = _Trainer(config, splits, device)
    trainer.train(progress)
    train_seconds = time.perf_counter() - start
    classes, correct = trainer.linear_eval(splits)
    bins = frequency_bins(splits.num_classes)[classes]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "name": config.name,
        "condition": config.condition,
        "config": config.to_dict(),
        "linear_eval": {
            "accuracy": float(correct.mean()),
            "bins": {name: float(correct[bins == name].mean()) for name in skew.FREQUENCY_BINS if (bins == name).any()},
        },
        "test": {"class_rank": (classes + 1).tolist(), "correct": "".join("1" if c else "0" for c in correct)},
        "history": trainer.history,
        # Wall clock, and CPU time of this process (all its threads): the cost on a shared machine.
        "seconds": {
            "train": train_seconds,
            "total": time.perf_counter() - start,
            "cpu": time.process_time() - cpu_start,
        },
        "environment": {
            "device": str(device),
            "torch": torch.__version__,
            "threads": config.threads,
            "python": platform.python_version(),
        },
    }


def trial_path(out_dir: str | Path, name: str) -> Path:
    """Where a trial's result file lives under an output folder."""
    return Path(out_dir) / "trials" / f"{name}.json"


def write_trial(result: dict[str, Any], out_dir: str | Path) -> Path:
    """Write a trial result to ``out_dir/trials/<name>.json`` (atomically) and return the path."""
    path = trial_path(out_dir, result["name"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".json.tmp{os.getpid()}")
    temporary.write_text(json.dumps(result, indent=1, allow_nan=True) + "\n")
    os.replace(temporary, path)
    return path


def run_trial_to_file(config_dict: dict[str, Any], out_dir: str, cache_directory: str | None = None) -> str:
    """Worker entry point for parallel runs: run a trial from its plain-dict config and write it."""
    os.environ.setdefault("OMP_NUM_THREADS", str(config_dict.get("threads", 1)))
    config = TrialConfig.from_dict(config_dict)
    return str(write_trial(run_trial(config, progress=False, cache_directory=cache_directory), out_dir))

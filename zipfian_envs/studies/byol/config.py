"""Trial settings, presets and the data split of the BYOL study (no torch needed here)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError
from zipfian_envs.studies.glyphs import GlyphSpec, load_glyphs

NORMS = ("bn", "gn_ws", "gn", "ln", "none")
METHODS = ("byol", "supervised", "random")
DEVICES = ("auto", "cpu", "cuda")
OPTIMIZERS = ("adamw", "sgd")
# How GN/LN layers (gn_ws, gn, ln) start: "data" = gamma and beta set from one batch so that every channel
# is zero-mean, unit-variance across the data at initialisation, as under BN (networks.init_norms_from_data);
# "default" = gamma 1, beta 0. No effect on bn and none. norm_init_batch images (one augmented view each, drawn
# by the trial's skew sampler) set them: 1024 by default, since with 256 the seed-to-seed spread was larger.
NORM_INITS = ("data", "default")

# Presets: network size, data size and training length. "small" is sized for <= 5 minutes on one CPU core.
PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {
        "steps": 4,
        "batch_size": 16,
        "num_classes": 40,
        "widths": (8, 16, 16),
        "hidden": 32,
        "projection_dim": 16,
        "log_every": 2,
        "knn_classes": 20,
        "probe_max_iter": 20,
        "norm_init_batch": 64,
    },
    "small": {
        "steps": 2400,
        "batch_size": 64,
        "num_classes": 400,
        "widths": (16, 32, 64),
        "hidden": 256,
        "projection_dim": 64,
        "log_every": 50,
        "knn_classes": 100,
        "probe_max_iter": 150,
    },
    "medium": {
        "steps": 6000,
        "batch_size": 128,
        "num_classes": 1600,
        "widths": (32, 64, 128),
        "hidden": 512,
        "projection_dim": 128,
        "log_every": 250,
        "knn_classes": 200,
        "probe_max_iter": 200,
    },
}


@dataclass(frozen=True)
class TrialConfig:
    """One trial: a method (BYOL, supervised or random-init), a normalisation, a pre-training level and a seed."""

    method: str = "byol"
    norm: str = "bn"
    level: str = "zipf_1"
    seed: int = 0
    preset: str = "small"
    steps: int = 2400
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-5
    base_tau: float = 0.99
    optimizer: str = "adamw"
    norm_init: str = "data"
    norm_init_batch: int = 1024
    predictor_lr_scale: float = 1.0
    num_classes: int = 400
    widths: tuple[int, ...] = (16, 32, 64)
    hidden: int = 256
    projection_dim: int = 64
    pretrain_exemplars: int = 10
    probe_train_exemplars: int = 5
    probe_test_exemplars: int = 5
    image_size: int = 32
    data_seed: int = 0
    log_every: int = 50
    knn_classes: int = 100
    probe_max_iter: int = 150
    device: str = "cpu"
    threads: int = 1

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise StudyError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")
        if self.norm not in NORMS:
            raise StudyError(f"unknown norm {self.norm!r}; choose from {', '.join(NORMS)}")
        if self.preset not in PRESETS:
            raise StudyError(f"unknown preset {self.preset!r}; choose from {', '.join(PRESETS)}")
        if self.optimizer not in OPTIMIZERS:
            raise StudyError(f"unknown optimizer {self.optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
        if self.norm_init not in NORM_INITS:
            raise StudyError(f"unknown norm_init {self.norm_init!r}; choose from {', '.join(NORM_INITS)}")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise StudyError(f"unknown device {self.device!r}; choose from cpu, cuda, cuda:N")
        try:
            skew.parse_distribution(self.level)
        except ValueError as exc:
            raise StudyError(str(exc)) from exc
        counts = {
            "steps": (self.steps, 0),
            "batch_size": (self.batch_size, 2),
            "num_classes": (self.num_classes, 5),
            "pretrain_exemplars": (self.pretrain_exemplars, 1),
            "probe_train_exemplars": (self.probe_train_exemplars, 1),
            "probe_test_exemplars": (self.probe_test_exemplars, 1),
            "log_every": (self.log_every, 1),
            "knn_classes": (self.knn_classes, 2),
            "probe_max_iter": (self.probe_max_iter, 1),
            "threads": (self.threads, 1),
            "norm_init_batch": (self.norm_init_batch, 2),
            "seed": (self.seed, 0),
            "data_seed": (self.data_seed, 0),
        }
        for name, (value, low) in counts.items():
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise StudyError(f"{name} must be an integer >= {low}, got {value!r}")
        for name in ("lr", "weight_decay", "predictor_lr_scale"):
            if not float(getattr(self, name)) >= 0:
                raise StudyError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.base_tau <= 1.0:
            raise StudyError(f"base_tau must be in [0, 1], got {self.base_tau!r}")
        if self.knn_classes > self.num_classes:
            raise StudyError(f"knn_classes ({self.knn_classes}) exceeds num_classes ({self.num_classes})")

    @property
    def name(self) -> str:
        """File-system name of the trial, e.g. ``byol-gn_ws-zipf_1-seed0``."""
        return f"{self.method}-{self.norm}-{self.level}-seed{self.seed}"

    @property
    def condition(self) -> str:
        """The trial's name without the seed: one row of the comparison table."""
        return f"{self.method}-{self.norm}-{self.level}"

    @property
    def glyph_spec(self) -> GlyphSpec:
        """The glyph data set this trial reads."""
        exemplars = self.pretrain_exemplars + self.probe_train_exemplars + self.probe_test_exemplars
        return GlyphSpec(self.num_classes, exemplars, self.image_size, self.data_seed)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (tuples as lists)."""
        data = dataclasses.asdict(self)
        data["widths"] = list(self.widths)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise StudyError(f"unknown trial settings: {', '.join(unknown)}")
        data = dict(data)
        if "widths" in data:
            data["widths"] = tuple(data["widths"])
        return cls(**data)


def make_config(preset: str = "small", **overrides: Any) -> TrialConfig:
    """A trial config from a preset with some fields overridden (None values are ignored)."""
    if preset not in PRESETS:
        raise StudyError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    settings = {**PRESETS[preset], **{k: v for k, v in overrides.items() if v is not None}}
    return TrialConfig(preset=preset, **settings)


@dataclass(frozen=True)
class GlyphSplits:
    """Disjoint exemplar splits of every class: pre-training pool, balanced probe train and test sets.

    Class ``c`` has rank ``c + 1`` under the pre-training distribution (classes are i.i.d. draws of
    the generator, so which class gets which rank is arbitrary; the identity keeps it readable).
    """

    pretrain: np.ndarray  # (C, P, H, W) uint8
    probe_train: np.ndarray  # (C, T, H, W)
    probe_test: np.ndarray  # (C, E, H, W)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return int(self.pretrain.shape[0])


def load_splits(config: TrialConfig, cache_directory: str | None = None) -> GlyphSplits:
    """Load (or generate and cache) the glyphs and split each class's exemplars."""
    images = load_glyphs(config.glyph_spec, directory=cache_directory)
    p, t = config.pretrain_exemplars, config.probe_train_exemplars
    return GlyphSplits(images[:, :p], images[:, p : p + t], images[:, p + t :])


def frequency_bins(num_classes: int) -> np.ndarray:
    """Frequency bin name of every class (class c has rank c + 1)."""
    return np.array([skew.frequency_bin(rank, num_classes) for rank in range(1, num_classes + 1)])

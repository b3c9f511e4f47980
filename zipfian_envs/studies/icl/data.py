"""Sequences for the in-context learning study: classes, exemplars, labels and the three batch kinds.

Class ids: ``0 .. num_train - 1`` are trained classes in frequency-rank order (the first
``common_classes`` of them are the common ones), ``num_train .. num_train + heldout_classes - 1`` are
held out: they never appear in training batches (the training weights cover trained classes only).
Every class sequence comes from the suite's bursty sampler, :func:`zipfian_envs.core.skew.bursty_sequences`.

Batch kinds, all with 8 (exemplar, label) context pairs and a query exemplar by default:

* ``train_batch``: bursty with probability ``p_bursty`` (3-shot 2-way: two classes exactly 3 times each,
  the other context items from other classes), else i.i.d. from the training
  distribution; labels fixed per class (``senses`` > 1 gives each class that many labels, one chosen per
  sequence);
* ``icl_batch``: 2 held-out classes, 4 exemplars each, the two labels drawn at random per sequence from
  the vocabulary, so only the context can tell them;
* ``iwl_batch``: trained classes i.i.d., the query class absent from the context, fixed labels.

Numpy only; every draw takes the caller's ``np.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError

EXEMPLAR_TYPES = ("symbolic", "glyph")


@dataclass(frozen=True)
class DataConfig:
    """What the sequences look like; defaults are the ``small`` preset's data."""

    exemplar: str = "symbolic"
    common_classes: int = 0
    rare_classes: int = 1536
    heldout_classes: int = 64
    p_common: float = 0.9
    zipf_exponent: float = 0.0
    p_bursty: float = 0.9
    num_labels: int = 32
    senses: int = 1
    dim: int = 64
    noise: float = 0.1
    context_length: int = 8
    shots: int = 3
    ways: int = 2

    @property
    def num_train(self) -> int:
        """Number of trained (common + rare) classes."""
        return self.common_classes + self.rare_classes

    def validate(self) -> DataConfig:
        """Raise :class:`StudyError` naming the bad value and the valid range; return self."""
        if self.exemplar not in EXEMPLAR_TYPES:
            raise StudyError(f"unknown exemplar type {self.exemplar!r}; valid: {', '.join(EXEMPLAR_TYPES)}")
        for name, low in (("common_classes", 0), ("rare_classes", 0), ("heldout_classes", 2), ("num_labels", 2),
                          ("senses", 1), ("dim", 2), ("context_length", 2), ("shots", 1), ("ways", 2)):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise StudyError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.num_train < self.ways:
            raise StudyError(f"need at least ways={self.ways} trained classes, got {self.num_train}")
        if self.heldout_classes < self.ways or self.num_labels < self.ways:
            raise StudyError(
                f"heldout_classes={self.heldout_classes} and num_labels={self.num_labels} must be >= ways={self.ways}"
            )
        if self.shots * self.ways > self.context_length:
            raise StudyError(f"shots*ways={self.shots * self.ways} exceeds context_length={self.context_length}")
        if self.context_length % self.ways:
            raise StudyError(f"context_length={self.context_length} must be a multiple of ways={self.ways}")
        for name in ("p_bursty", "p_common"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise StudyError(f"{name} must be in [0, 1], got {value!r}")
        if not np.isfinite(self.zipf_exponent) or self.zipf_exponent < 0:
            raise StudyError(f"zipf_exponent must be a finite float >= 0, got {self.zipf_exponent!r}")
        if not np.isfinite(self.noise) or self.noise < 0:
            raise StudyError(f"noise must be a finite float >= 0, got {self.noise!r}")
        return self


@dataclass(frozen=True)
class SequenceBatch:
    """Exemplars (B, L+1, F) float32 (the query last), context labels (B, L), query labels (B,), classes."""

    exemplars: np.ndarray
    context_labels: np.ndarray
    query_label: np.ndarray
    context_classes: np.ndarray
    query_class: np.ndarray
    # ICL batches only: the two labels in play, (B, 2), for closed-set (2-way) accuracy.
    label_pair: np.ndarray | None = None


def training_weights(config: DataConfig) -> np.ndarray:
    """Class weights over trained classes: Zipf (exponent 0 = uniform), or common/rare split if common > 0."""
    if config.common_classes == 0:
        return skew.zipf(config.rare_classes, config.zipf_exponent)
    weights = np.full(config.common_classes, config.p_common / config.common_classes)
    if config.rare_classes:
        rare = (1.0 - config.p_common) * skew.zipf(config.rare_classes, config.zipf_exponent)
        weights = np.concatenate([weights, rare])
    return skew.validate_weights(weights)


class SymbolicExemplars:
    """Each class a random unit vector in ``dim`` dimensions; exemplars add Gaussian within-class noise."""

    def __init__(self, num_classes: int, dim: int, noise: float, rng: np.random.Generator) -> None:
        prototypes = rng.standard_normal((num_classes, dim))
        self.prototypes = (prototypes / np.linalg.norm(prototypes, axis=1, keepdims=True)).astype(np.float32)
        self.noise = float(noise)
        self.feature_dim = dim

    def __call__(self, classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Exemplars of ``classes`` (any shape) -> float32 array of shape ``classes.shape + (dim,)``."""
        # (mu + noise * eta) / sqrt(1 + noise^2) with eta ~ N(0, I/dim) keeps exemplars near unit norm.
        eta = rng.standard_normal((*classes.shape, self.feature_dim)).astype(np.float32)
        scale = np.float32(self.noise / np.sqrt(self.feature_dim))
        return (self.prototypes[classes] + scale * eta) / np.float32(np.sqrt(1.0 + self.noise**2))


class GlyphExemplars:
    """Glyph images (the procedural Omniglot substitute) as flattened pixels in [0, 1]."""

    def __init__(self, images: np.ndarray) -> None:
        if images.ndim != 4:
            raise StudyError(f"glyph images must be (classes, exemplars, H, W), got shape {images.shape}")
        self.images = images
        self.feature_dim = int(images.shape[2] * images.shape[3])

    def __call__(self, classes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random stored exemplar of each class in ``classes``, flattened, float32 in [0, 1]."""
        which = rng.integers(0, self.images.shape[1], size=classes.shape)
        pixels = self.images[classes, which].reshape(*classes.shape, self.feature_dim)
        scale = 1.0 / 255.0 if pixels.dtype == np.uint8 else 1.0
        return pixels.astype(np.float32) * np.float32(scale)


def _glyph_exemplars(num_classes: int) -> GlyphExemplars:
    """The first ``num_classes`` classes of the shared glyph set (classes do not depend on the set's size)."""
    from zipfian_envs.studies import glyphs

    shared = glyphs.GlyphSpec()
    # Reuse the shared 1,600-class cache when it is there and large enough; else make (and cache) just enough.
    if num_classes <= shared.num_classes and (glyphs.cache_dir() / shared.file_name).exists():
        return GlyphExemplars(glyphs.load_glyphs(shared)[:num_classes])
    return GlyphExemplars(glyphs.load_glyphs(glyphs.GlyphSpec(num_classes=num_classes)))


class SequenceTask:
    """The classes, exemplars and fixed labels of one run, and its training / ICL / IWL batches."""

    def __init__(self, config: DataConfig, seed: int) -> None:
        self.config = config.validate()
        rng = np.random.default_rng([seed, 0x1C1])  # the run's fixed world (prototypes, labels)
        total = config.num_train + config.heldout_classes
        self.exemplars: SymbolicExemplars | GlyphExemplars
        if config.exemplar == "symbolic":
            self.exemplars = SymbolicExemplars(total, config.dim, config.noise, rng)
        else:
            self.exemplars = _glyph_exemplars(total)
        self.feature_dim = self.exemplars.feature_dim
        self.weights = training_weights(config)
        # Fixed labels: each trained class gets `senses` labels, spread evenly over the vocabulary.
        slots = config.num_train * config.senses
        table = rng.permutation(np.resize(np.arange(config.num_labels), slots))
        self.label_table = table.reshape(config.num_train, config.senses).astype(np.int64)

    @property
    def heldout(self) -> np.ndarray:
        """Ids of the held-out classes."""
        return np.arange(self.config.num_train, self.config.num_train + self.config.heldout_classes)

    def _batch(self, items: skew.BurstyBatch, rng: np.random.Generator) -> SequenceBatch:
        classes = np.concatenate([items.context, items.query[:, None]], axis=1)
        return SequenceBatch(
            exemplars=self.exemplars(classes, rng),
            context_labels=self.label_table[items.context, items.context_sense],
            query_label=self.label_table[items.query, items.query_sense],
            context_classes=items.context,
            query_class=items.query,
        )

    def train_batch(self, rng: np.random.Generator, size: int) -> SequenceBatch:
        """A training batch: bursty with probability p_bursty, else i.i.d. from the training weights."""
        c = self.config
        items = skew.bursty_sequences(
            rng, self.weights, size, c.context_length, c.p_bursty, c.shots, c.ways, senses=c.senses,
            exclusive_bursts=True,
        )
        return self._batch(items, rng)

    def iwl_batch(self, rng: np.random.Generator, size: int, weights: np.ndarray | None = None) -> SequenceBatch:
        """Trained classes drawn from ``weights`` (default: the training ones), query class not in the context."""
        c = self.config
        weights = self.weights if weights is None else weights
        items = skew.bursty_sequences(
            rng, weights, size, c.context_length, 0.0, c.shots, c.ways, senses=c.senses, exclude_query=True
        )
        return self._batch(items, rng)

    def icl_batch(self, rng: np.random.Generator, size: int) -> SequenceBatch:
        """Held-out classes, ``ways``-way with context_length / ways shots; labels random per sequence."""
        c = self.config
        shots = c.context_length // c.ways
        local = skew.bursty_sequences(
            rng, skew.uniform(c.heldout_classes), size, c.context_length, 1.0, shots, c.ways
        )
        # Labels: `ways` distinct vocabulary labels per sequence, given to the classes in order of appearance.
        pair = np.argsort(rng.random((size, c.num_labels)), axis=1)[:, : c.ways]
        order = _appearance_order(local.context, c.ways)  # (B, ways) class ids, first appearance first
        classes = np.concatenate([local.context, local.query[:, None]], axis=1)
        slot = np.argmax(classes[:, :, None] == order[:, None, :], axis=2)
        labels = np.take_along_axis(pair, slot, axis=1)
        offset = c.num_train
        return SequenceBatch(
            exemplars=self.exemplars(classes + offset, rng),
            context_labels=labels[:, :-1],
            query_label=labels[:, -1],
            context_classes=local.context + offset,
            query_class=local.query + offset,
            label_pair=pair,
        )


def _appearance_order(context: np.ndarray, ways: int) -> np.ndarray:
    """The distinct items of each row in order of first appearance, (B, ways); rows hold exactly ``ways``."""
    first = np.argmax(context[:, :, None] == context[:, None, :], axis=2)
    is_first = first == np.arange(context.shape[1])[None, :]
    positions = np.argsort(~is_first, axis=1, kind="stable")[:, :ways]
    return np.take_along_axis(context, positions, axis=1)

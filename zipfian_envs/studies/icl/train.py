"""Train one sequence model on bursty sequences and track ICL and IWL over training (CleanRL-like loop).

One run = one :class:`RunConfig`: build the :class:`SequenceTask`, draw fixed evaluation sets, then
for ``steps`` steps draw a training batch, take an Adam step on the query-label cross-entropy, and
every ``eval_every`` steps score the fixed evaluation sets. The result is a plain dict (see
:mod:`zipfian_envs.studies.icl.results`) holding the curves and, per metric, the per-sequence outcomes
of the final evaluation.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zipfian_envs.core import skew
from zipfian_envs.studies import StudyError, require_torch
from zipfian_envs.studies.icl.data import DataConfig, SequenceBatch, SequenceTask

DEVICES = ("cpu", "cuda", "auto")
# Logits from (exemplars (B, L+1, F), context labels (B, L)) -> (B, num_labels); any model or hand-built rule.
Predictor = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RunConfig:
    """One training run: data, model, optimisation and evaluation settings."""

    data: DataConfig = field(default_factory=DataConfig)
    model: str = "transformer"
    layers: int = 2
    heads: int = 1
    d_model: int = 64
    steps: int = 8000
    batch_size: int = 32
    lr: float = 1e-3
    warmup: int = 200
    eval_every: int = 400
    eval_sequences: int = 512
    seed: int = 0
    device: str = "cpu"

    def validate(self) -> RunConfig:
        """Raise :class:`StudyError` naming the bad value; return self."""
        self.data.validate()
        for name, low in (("layers", 1), ("heads", 1), ("d_model", 2), ("steps", 1), ("batch_size", 1),
                          ("warmup", 0), ("eval_every", 1), ("eval_sequences", 2), ("seed", 0)):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise StudyError(f"{name} must be an integer >= {low}, got {value!r}")
        if not (np.isfinite(self.lr) and self.lr > 0):
            raise StudyError(f"lr must be a positive float, got {self.lr!r}")
        if self.device not in DEVICES:
            raise StudyError(f"unknown device {self.device!r}; valid: {', '.join(DEVICES)}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (data settings nested under ``data``)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RunConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error naming them."""
        raw = dict(raw)
        data = raw.pop("data", {})
        known = {f.name for f in dataclasses.fields(cls)}
        known_data = {f.name for f in dataclasses.fields(DataConfig)}
        bad = sorted(set(raw) - known) + sorted(f"data.{k}" for k in set(data) - known_data)
        if bad:
            raise StudyError(f"unknown run settings: {', '.join(bad)}")
        return cls(data=DataConfig(**data), **raw)


@dataclass(frozen=True)
class EvalSets:
    """The fixed evaluation batches of a run."""

    icl: SequenceBatch
    iwl: SequenceBatch
    iwl_uniform: SequenceBatch


def make_eval_sets(task: SequenceTask, seed: int, size: int) -> EvalSets:
    """ICL on held-out classes, IWL under the training weights and under uniform trained classes."""
    rng = np.random.default_rng([seed, 0xE7A1])
    return EvalSets(
        icl=task.icl_batch(rng, size),
        iwl=task.iwl_batch(rng, size),
        iwl_uniform=task.iwl_batch(rng, size, skew.uniform(task.config.num_train)),
    )


def score(predict: Predictor, sets: EvalSets) -> dict[str, np.ndarray]:
    """Per-sequence 0/1 outcomes: ICL closed-set (2-way) and open-vocabulary, IWL (training and uniform)."""
    icl = sets.icl
    logits = np.asarray(predict(icl.exemplars, icl.context_labels))
    label_pair = icl.label_pair
    if label_pair is None:
        raise ValueError("the ICL batch has no label pairs (make it with SequenceTask.icl_batch)")
    pair_logits = np.take_along_axis(logits, label_pair, axis=1)
    # Ties go to the first label of the pair, which is the query's label half of the time.
    closed = label_pair[np.arange(len(logits)), np.argmax(pair_logits, axis=1)] == icl.query_label
    outcomes = {"icl": closed, "icl_open": np.argmax(logits, axis=1) == icl.query_label}
    for name in ("iwl", "iwl_uniform"):
        batch = getattr(sets, name)
        logits = np.asarray(predict(batch.exemplars, batch.context_labels))
        outcomes[name] = np.argmax(logits, axis=1) == batch.query_label
    return {k: v.astype(np.int8) for k, v in outcomes.items()}


def resolve_device(device: str) -> str:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    torch = require_torch()
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise StudyError("--device cuda but torch sees no CUDA device; valid here: cpu, auto")
    return device


def torch_predictor(model, device: str, chunk: int = 1024) -> Predictor:
    """Wrap a torch model as a numpy :data:`Predictor` (eval mode, no gradients, in chunks)."""
    torch = require_torch()

    def predict(exemplars: np.ndarray, context_labels: np.ndarray) -> np.ndarray:
        was_training = model.training
        model.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(exemplars), chunk):
                x = torch.from_numpy(exemplars[start : start + chunk]).to(device)
                y = torch.from_numpy(context_labels[start : start + chunk]).to(device)
                out.append(model(x, y).float().cpu().numpy())
        model.train(was_training)
        return np.concatenate(out)

    return predict


def train(config: RunConfig, progress: bool = False, log: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run one training run and return its result dict (curves + final per-sequence outcomes)."""
    config.validate()
    torch = require_torch()
    from torch.nn import functional as F  # noqa: N812

    from zipfian_envs.studies.icl.models import build_model, count_parameters

    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    task = SequenceTask(config.data, config.seed)
    sets = make_eval_sets(task, config.seed, config.eval_sequences)
    model = build_model(config.model, task.feature_dim, config.data.num_labels, config.data.context_length,
                        config.d_model, config.layers, config.heads).to(device)  # fmt: skip
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / max(1, config.warmup)))
    predict = torch_predictor(model, device)
    rng = np.random.default_rng([config.seed, 0x7A1])

    curve: dict[str, list[float]] = {"step": [], "loss": [], "icl": [], "icl_open": [], "iwl": [], "iwl_uniform": []}
    loss_sum = torch.zeros((), device=device)  # summed on the device: no host sync every step
    started, cpu_started = time.perf_counter(), time.process_time()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.steps, unit="step", desc=f"{config.model} p_bursty={config.data.p_bursty}",
                   mininterval=2.0)  # fmt: skip
    outcomes: dict[str, np.ndarray] = {}
    for step in range(1, config.steps + 1):
        batch = task.train_batch(rng, config.batch_size)
        x = torch.from_numpy(batch.exemplars).to(device)
        y = torch.from_numpy(batch.context_labels).to(device)
        target = torch.from_numpy(batch.query_label).to(device)
        loss = F.cross_entropy(model(x, y), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        loss_sum += loss.detach()
        if step % config.eval_every == 0 or step == config.steps:
            outcomes = score(predict, sets)
            since = step - (curve["step"][-1] if curve["step"] else 0)
            curve["step"].append(step)
            curve["loss"].append(float(loss_sum) / since)
            loss_sum.zero_()
            for name, values in outcomes.items():
                curve[name].append(float(values.mean()))
            if log is not None:
                log(f"step {step}: loss {curve['loss'][-1]:.3f} " + " ".join(
                    f"{k} {curve[k][-1]:.3f}" for k in outcomes))  # fmt: skip
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    return {
        "config": config.to_dict(),
        "device": device,
        "parameters": count_parameters(model),
        "wall_seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu_started,
        "curve": curve,
        "outcomes": {k: v.tolist() for k, v in outcomes.items()},
        "query_class_iwl_uniform": sets.iwl_uniform.query_class.tolist(),
    }

"""Sequence models over interleaved (exemplar, label) tokens: a causal transformer and an LSTM.

Both read ``x_1, y_1, ..., x_L, y_L, x_query`` (2L + 1 tokens) and predict the query's label from the
last position. Exemplars enter through a learned linear embedding, labels through an embedding table.
The LSTM's hidden size is chosen so that its parameter count matches the transformer's.
Imports torch at module level: import this module only after :func:`zipfian_envs.studies.require_torch`.
"""

from __future__ import annotations

import torch
from torch import nn

from zipfian_envs.studies import StudyError

MODEL_KINDS = ("transformer", "lstm")


class TokenEmbedding(nn.Module):
    """Exemplar features and labels -> the interleaved token sequence (B, 2L + 1, D)."""

    def __init__(self, feature_dim: int, num_labels: int, d_model: int) -> None:
        super().__init__()
        self.exemplar = nn.Linear(feature_dim, d_model)
        self.label = nn.Embedding(num_labels, d_model)

    def forward(self, exemplars: torch.Tensor, context_labels: torch.Tensor) -> torch.Tensor:
        """``exemplars`` (B, L+1, F), ``context_labels`` (B, L) -> tokens (B, 2L+1, D)."""
        x = self.exemplar(exemplars)
        y = self.label(context_labels)
        batch, length = context_labels.shape
        pairs = torch.stack([x[:, :length], y], dim=2).reshape(batch, 2 * length, -1)
        return torch.cat([pairs, x[:, length:]], dim=1)


class CausalTransformer(nn.Module):
    """Pre-norm causal transformer (no dropout) with learned positions; logits at the query token."""

    def __init__(self, feature_dim: int, num_labels: int, seq_tokens: int, d_model: int = 64, layers: int = 2,
                 heads: int = 8, ff_mult: int = 4) -> None:  # fmt: skip
        super().__init__()
        self.embed = TokenEmbedding(feature_dim, num_labels, d_model)
        self.position = nn.Parameter(torch.randn(seq_tokens, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, ff_mult * d_model, dropout=0.0, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_labels)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(seq_tokens), persistent=False)

    def forward(self, exemplars: torch.Tensor, context_labels: torch.Tensor) -> torch.Tensor:
        """Label logits (B, V) for the query."""
        tokens = self.embed(exemplars, context_labels) + self.position
        hidden = self.blocks(tokens, mask=self.mask, is_causal=True)
        return self.head(self.norm(hidden[:, -1]))


class LSTMModel(nn.Module):
    """An LSTM over the same tokens; logits from the last hidden state."""

    def __init__(self, feature_dim: int, num_labels: int, d_model: int = 64, hidden: int = 64, layers: int = 2):
        super().__init__()
        self.embed = TokenEmbedding(feature_dim, num_labels, d_model)
        self.lstm = nn.LSTM(d_model, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, num_labels)

    def forward(self, exemplars: torch.Tensor, context_labels: torch.Tensor) -> torch.Tensor:
        """Label logits (B, V) for the query."""
        hidden, _ = self.lstm(self.embed(exemplars, context_labels))
        return self.head(hidden[:, -1])


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def build_model(kind: str, feature_dim: int, num_labels: int, context_length: int, d_model: int = 64,
                layers: int = 2, heads: int = 8) -> nn.Module:  # fmt: skip
    """A transformer, or an LSTM of ``layers`` layers whose hidden size matches the transformer's parameters."""
    if kind not in MODEL_KINDS:
        raise StudyError(f"unknown model {kind!r}; valid: {', '.join(MODEL_KINDS)}")
    if d_model % heads:
        raise StudyError(f"d_model={d_model} must be a multiple of heads={heads}")
    seq_tokens = 2 * context_length + 1
    transformer = CausalTransformer(feature_dim, num_labels, seq_tokens, d_model, layers, heads)
    if kind == "transformer":
        return transformer
    target = count_parameters(transformer)

    def size(hidden: int) -> int:
        return count_parameters(LSTMModel(feature_dim, num_labels, d_model, hidden, layers))

    # Parameters grow monotonically with the hidden size: bisect for the closest count.
    low, high = 1, 4 * d_model
    while size(high) < target:
        high *= 2
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if size(mid) < target else (low, mid)
    hidden = min((low, high), key=lambda h: abs(size(h) - target))
    return LSTMModel(feature_dim, num_labels, d_model, hidden, layers)

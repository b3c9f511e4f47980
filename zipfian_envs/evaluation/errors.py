"""Errors the evaluation tools raise for bad input; the CLIs turn them into one-line messages."""

from __future__ import annotations


class EvaluationError(ValueError):
    """Bad input to the evaluation tools (unknown policy, missing model, mismatched spaces, ...)."""


class SchemaError(EvaluationError):
    """A result file of another schema version or an incompatible env configuration."""

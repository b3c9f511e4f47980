"""Companion studies on Zipf-distributed data: BYOL normalisation (byol/) and bursty in-context learning (icl/).

Torch is imported lazily inside each study, so ``import zipfian_envs.studies`` and the shared data
(:mod:`zipfian_envs.studies.glyphs`) need only numpy. Run a study with ``zipfian-study <study> ...``.
"""

from __future__ import annotations


class StudyError(ValueError):
    """Bad input to a study (unknown norm, negative steps, unknown preset, unreadable result file, ...)."""


def require_torch():
    """Import torch, or raise a one-line install hint when the ``studies`` extra is missing."""
    try:
        import torch
    except ImportError as exc:
        raise StudyError('the studies need torch: pip install "zipfian-envs[studies]"') from exc
    return torch

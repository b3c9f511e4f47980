"""Rare-vs-common evaluation: run any policy on any Zipfian env, summarise, report, compare."""

from evaluation.errors import EvaluationError, SchemaError
from evaluation.harness import evaluate, evaluate_protocols
from evaluation.policies import OraclePolicy, RandomPolicy, as_policy, load_policy
from evaluation.protocols import PROTOCOLS
from evaluation.records import load_records, save_records
from evaluation.summary import aggregate_seeds, summarize

__all__ = [
    "PROTOCOLS",
    "EvaluationError",
    "OraclePolicy",
    "RandomPolicy",
    "SchemaError",
    "aggregate_seeds",
    "as_policy",
    "evaluate",
    "evaluate_protocols",
    "load_policy",
    "load_records",
    "save_records",
    "summarize",
]

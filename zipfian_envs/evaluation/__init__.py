"""Rare-vs-common evaluation: run any policy on any Zipfian env, summarise, report, compare."""

from zipfian_envs.core.records import load_records, save_records
from zipfian_envs.evaluation.errors import EvaluationError, SchemaError
from zipfian_envs.evaluation.harness import evaluate, evaluate_protocols
from zipfian_envs.evaluation.policies import OraclePolicy, RandomPolicy, as_policy, load_policy
from zipfian_envs.evaluation.protocols import PROTOCOLS
from zipfian_envs.evaluation.summary import aggregate_seeds, summarize

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

"""``zipfian-leaderboard results/*.json``: merge result files into a Markdown / CSV table by rare success."""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from zipfian_envs.core.cli import OneLineParser
from zipfian_envs.core.files import atomic_write, atomic_write_text, check_output_file
from zipfian_envs.evaluation.cli import run_with_one_line_errors
from zipfian_envs.evaluation.errors import EvaluationError, SchemaError
from zipfian_envs.evaluation.report import PLOT_SUFFIXES, load_result, plot_success_by_rank

COLUMNS = (
    "rank", "policy", "rare_success", "rare_ci_low", "rare_ci_high", "rare_common_ratio",
    "common_success", "uniform_success", "zipfian_success", "episodes", "train_seeds", "file",
)  # fmt: skip


def _config_text(result: dict[str, Any], other: dict[str, Any]) -> str:
    config = result["env_config"]
    kwargs = ", ".join(f"{k}={v}" for k, v in config["kwargs"].items())
    text = f"{config['entry_point']}({kwargs})"
    if config.get("map_version") != other["env_config"].get("map_version"):
        version = config.get("map_version")
        text += (
            " with no map_version (maps older than any recorded version)"
            if version is None
            else f" with map_version {version}"
        )
    return text


def refuse_duplicates(paths: Sequence[Path]) -> None:
    """Refuse a file given twice (by any spelling of its path) or two files with the same content."""
    seen: dict[Any, Path] = {}
    for path in paths:
        if not path.is_file():
            continue  # load_result names the missing file
        for key in (("file", path.resolve()), ("content", hashlib.sha256(path.read_bytes()).hexdigest())):
            if key in seen:
                what = "the same file" if key[0] == "file" else "identical copies of one result"
                raise EvaluationError(f"{seen[key]} and {path} are {what}; give each result once")
            seen[key] = path


def load_results(paths: Sequence[str | Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Load result files, refusing other schema versions and any env configuration but the first's."""
    if not paths:
        raise EvaluationError("no result files given")
    refuse_duplicates([Path(p) for p in paths])
    loaded = [(Path(p), load_result(p)) for p in paths]
    first_path, first = loaded[0]
    for path, result in loaded[1:]:
        if result["env_config"] != first["env_config"]:
            raise SchemaError(
                f"{path} was run on {_config_text(result, first)} but {first_path} on {_config_text(first, result)}; "
                "a leaderboard compares one env configuration"
            )
    return loaded


def _overall(result: dict[str, Any], protocol: str) -> float | None:
    entry = result["protocols"].get(protocol)
    if entry is None:
        return None
    return (entry.get("aggregate") or entry["summary"])["success"]["success"]


def leaderboard_rows(loaded: Sequence[tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per result, sorted by rare success (highest first; entries without one last)."""
    rows = []
    for path, result in loaded:
        head = result["headline"]
        rows.append(
            {
                "policy": result["policy"],
                "rare_success": head["rare_success"],
                "rare_ci_low": head["rare_ci"][0] if head["rare_ci"] else None,
                "rare_ci_high": head["rare_ci"][1] if head["rare_ci"] else None,
                "rare_common_ratio": head["rare_common_ratio"],
                "common_success": head["common_success"],
                "uniform_success": _overall(result, "uniform"),
                "zipfian_success": _overall(result, "zipfian"),
                "episodes": sum(result["episodes"].values()),
                "train_seeds": len(result["train_seeds"]) or 1,
                "file": path.as_posix(),
            }
        )
    rows.sort(key=lambda r: (r["rare_success"] is None, -(r["rare_success"] or 0.0), r["policy"]))
    for index, row in enumerate(rows, start=1):
        row["rank"] = index
    return [{column: row[column] for column in COLUMNS} for row in rows]


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def to_markdown(rows: Sequence[dict[str, Any]], title: str = "") -> str:
    """The leaderboard as a Markdown table (with an optional heading line)."""
    lines = [title, ""] if title else []
    lines.append("| # | policy | rare success (95% CI) | rare/common | common | uniform | zipfian | episodes | seeds |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        rare = _number(row["rare_success"])
        if row["rare_ci_low"] is not None:
            rare += f" [{row['rare_ci_low']:.3f}, {row['rare_ci_high']:.3f}]"
        lines.append(
            f"| {row['rank']} | {row['policy']} | {rare} | {_number(row['rare_common_ratio'])} | "
            f"{_number(row['common_success'])} | {_number(row['uniform_success'])} | "
            f"{_number(row['zipfian_success'])} | {row['episodes']} | {row['train_seeds']} |"
        )
    return "\n".join(lines) + "\n"


def write_csv(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """The leaderboard rows as CSV."""
    path = Path(path)
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def build_parser() -> argparse.ArgumentParser:
    """The zipfian-leaderboard argument parser."""
    parser = OneLineParser(prog="zipfian-leaderboard", description=__doc__.splitlines()[0].replace("``", ""))
    parser.add_argument("results", nargs="+", help="result JSON files written by zipfian-eval")
    parser.add_argument("--markdown", default=None, help="also write the Markdown table here")
    parser.add_argument("--csv", default=None, help="also write the table as CSV here")
    parser.add_argument("--plot", default=None, help="also plot every entry's success-by-rank curve here (PNG)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks instead of one-line errors")
    return parser


def run(args: argparse.Namespace) -> int:
    """Merge the result files, print the table and write the requested outputs."""
    for flag, suffixes in (("markdown", ()), ("csv", ()), ("plot", PLOT_SUFFIXES)):
        if getattr(args, flag) is not None:  # checked before any file is read: "" is refused, not skipped
            check_output_file(getattr(args, flag), f"--{flag}", suffixes)
    loaded = load_results(args.results)
    rows = leaderboard_rows(loaded)
    first = loaded[0][1]
    markdown = to_markdown(rows, title=f"**{first['env_id']}**, trained on `{first['level']}`")
    print(markdown, end="")
    if args.markdown:
        atomic_write_text(args.markdown, markdown)
    if args.csv:
        write_csv(rows, args.csv)
    if args.plot:
        by_path = dict((p.as_posix(), r) for p, r in loaded)
        plot_success_by_rank([by_path[row["file"]] for row in rows], args.plot)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zipfian-leaderboard``; bad input exits 2 with a one-line message on stderr."""
    return run_with_one_line_errors(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())

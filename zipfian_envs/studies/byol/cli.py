"""``zipfian-study byol``: run one trial, the comparison matrix, or merge trial files into tables and plots.

Examples::

    zipfian-study byol run --norm gn_ws --level zipf_1 --seed 0 --preset small --out results/studies/byol
    zipfian-study byol compare --preset small --seeds 0 1 2 --jobs 8 --device cuda --out results/studies/byol
    zipfian-study byol merge --out results/studies/byol
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zipfian_envs.studies import StudyError
from zipfian_envs.studies.byol.config import DEVICES, METHODS, NORM_INITS, NORMS, PRESETS

DEFAULT_OUT = "results/studies/byol"


def _add_common(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``run`` and ``compare``."""
    parser.add_argument("--preset", default="small", choices=list(PRESETS), help="sizes (default: %(default)s)")
    parser.add_argument("--steps", type=int, default=None, help="pre-training steps (default: the preset's)")
    parser.add_argument("--batch-size", type=int, default=None, help="pre-training batch (default: the preset's)")
    parser.add_argument("--num-classes", type=int, default=None, help="glyph classes (default: the preset's)")
    parser.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default: the preset's)")
    parser.add_argument(
        "--predictor-lr-scale",
        type=float,
        default=None,
        help="predictor learning rate as a multiple of --lr (default: 1, the same as the rest)",
    )
    parser.add_argument("--base-tau", type=float, default=None, help="EMA tau at step 0, rising to 1 (default: 0.99)")
    parser.add_argument(
        "--norm-init",
        default="data",
        choices=list(NORM_INITS),
        help="start of the GN/LN gamma and beta: data = set from one batch so each channel is zero-mean, "
        "unit-variance across the data, as under BN; default = 1 and 0 (no effect on bn, none; default: %(default)s)",
    )
    parser.add_argument(
        "--norm-init-batch",
        type=int,
        default=None,
        help="images in the batch that sets the GN/LN gamma and beta (default: the preset's, 1024 for small)",
    )
    parser.add_argument("--device", default="cpu", choices=DEVICES, help="auto = cuda if available (default: cpu)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per trial (default: %(default)s)")
    parser.add_argument(
        "--cache-dir", default=None, help="glyph cache folder (default: $ZIPFIAN_CACHE_DIR or ~/.cache)"
    )
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    from zipfian_envs.studies.byol.train import resolve_device

    for name in ("steps", "batch_size", "num_classes", "threads", "norm_init_batch"):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise StudyError(f"--{name.replace('_', '-')} must be >= 0, got {value}")
    return {
        "steps": args.steps,
        "batch_size": args.batch_size,
        "num_classes": args.num_classes,
        "lr": args.lr,
        "norm_init": args.norm_init,
        "norm_init_batch": args.norm_init_batch,
        "predictor_lr_scale": args.predictor_lr_scale,
        "base_tau": args.base_tau,
        "threads": args.threads,
        "device": resolve_device(args.device),
    }


def _run(args: argparse.Namespace) -> int:
    from zipfian_envs.studies.byol.config import make_config
    from zipfian_envs.studies.byol.train import run_trial, write_trial

    config = make_config(
        args.preset, method=args.method, norm=args.norm, level=args.level, seed=args.seed, **_overrides(args)
    )
    result = run_trial(config, progress=not args.no_progress, cache_directory=args.cache_dir)
    path = write_trial(result, args.out)
    evals = result["linear_eval"]
    bins = ", ".join(f"{name} {100 * value:.1f}%" for name, value in evals["bins"].items())
    print(f"{config.name}: linear top-1 {100 * evals['accuracy']:.1f}% ({bins}) in {result['seconds']['total']:.0f} s")
    print(f"wrote {path}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from zipfian_envs.studies.byol import compare

    if args.jobs < 1:
        raise StudyError(f"--jobs must be >= 1, got {args.jobs}")
    if any(seed < 0 for seed in args.seeds):
        raise StudyError(f"seeds must be >= 0, got {args.seeds}")
    configs = compare.matrix(args.preset, args.seeds, args.conditions, **_overrides(args))
    written, failures = compare.run_matrix(
        configs,
        args.out,
        jobs=args.jobs,
        force=args.force,
        progress=not args.no_progress,
        cache_directory=args.cache_dir,
    )
    print(f"ran {len(written)} trial(s); {len(configs) - len(written) - len(failures)} already had result files")
    summary = compare.merge(args.out)
    print(compare.format_table(summary))
    if failures:
        listed = "; ".join(f"{name}: {message}" for name, message in failures.items())
        raise RuntimeError(f"{len(failures)} trial(s) failed (merged the rest): {listed}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from zipfian_envs.studies.byol import compare

    summary = compare.merge(args.out, plots=not args.no_plots)
    print(compare.format_table(summary))
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``byol`` with its ``run``, ``compare`` and ``merge`` subcommands."""
    from zipfian_envs.studies.byol.compare import DEFAULT_CONDITIONS

    parser = subparsers.add_parser("byol", help="BYOL with and without batch statistics on Zipf-distributed glyphs")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="one trial: pre-train, then linear evaluation; writes OUT/trials/NAME.json")
    run.add_argument("--method", default="byol", choices=METHODS, help="(default: %(default)s)")
    run.add_argument("--norm", default="bn", choices=NORMS, help="normalisation (default: %(default)s)")
    run.add_argument("--level", default="zipf_1", help="pre-training class distribution (default: %(default)s)")
    run.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    _add_common(run)
    run.set_defaults(func=_run)

    matrix = commands.add_parser("compare", help="run the comparison matrix over seeds, then merge")
    matrix.add_argument("--seeds", type=int, nargs="+", default=[0], help="(default: 0)")
    matrix.add_argument(
        "--conditions",
        nargs="+",
        default=list(DEFAULT_CONDITIONS),
        metavar="METHOD-NORM-LEVEL",
        help="rows to run (default: " + " ".join(DEFAULT_CONDITIONS) + ")",
    )
    matrix.add_argument("--jobs", type=int, default=1, help="trials run in parallel processes (default: %(default)s)")
    matrix.add_argument("--force", action="store_true", help="rerun trials that already have a result file")
    _add_common(matrix)
    matrix.set_defaults(func=_compare)

    merged = commands.add_parser("merge", help="merge OUT/trials/*.json into summary.json, table.md and PNGs")
    merged.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    merged.add_argument("--no-plots", action="store_true", help="write the table and summary only")
    merged.set_defaults(func=_merge)
    return parser


if __name__ == "__main__":
    from zipfian_envs.studies.cli import main

    sys.exit(main(["byol", *sys.argv[1:]]))

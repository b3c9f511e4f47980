"""``zipfian-study icl``: train on bursty Zipfian sequences and measure in-context vs in-weights learning.

Subcommands:

* ``run``: one training run (preset settings, overridable), written to ``OUT/run_files/<cell>_seed<k>.json``;
* ``sweep``: the preset's cells x seeds, ``--jobs`` runs in parallel processes, then ``report``;
* ``report``: merge the run files in ``OUT`` (a partial sweep too) into table.md, summary.json and PNGs.

Example: ``zipfian-study icl sweep --preset small --seeds 0 1 --jobs 14 --out results/studies/icl``
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from zipfian_envs.studies import StudyError, require_torch
from zipfian_envs.studies.icl.data import EXEMPLAR_TYPES
from zipfian_envs.studies.icl.results import cell_name, report, write_run
from zipfian_envs.studies.icl.sweep import PRESETS, plan, preset, run_sweep, select_cells
from zipfian_envs.studies.icl.train import DEVICES

DEFAULT_OUT = "results/studies/icl"
MODELS = ("transformer", "lstm")

# Flag -> (RunConfig field, or "data.<DataConfig field>"), for the per-run overrides of `run` and `sweep`.
_OVERRIDES = {
    "steps": "steps", "batch_size": "batch_size", "lr": "lr", "eval_every": "eval_every",
    "eval_sequences": "eval_sequences", "layers": "layers", "heads": "heads",
    "exemplar": "data.exemplar", "rare_classes": "data.rare_classes", "common_classes": "data.common_classes",
    "heldout_classes": "data.heldout_classes", "p_common": "data.p_common", "num_labels": "data.num_labels",
    "senses": "data.senses", "noise": "data.noise",
}  # fmt: skip


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("overrides of the preset (default: the preset's value)")
    group.add_argument("--steps", type=int, help="training steps")
    group.add_argument("--batch-size", type=int, help="sequences per training batch")
    group.add_argument("--lr", type=float, help="Adam learning rate")
    group.add_argument("--eval-every", type=int, help="steps between evaluations (the curves' resolution)")
    group.add_argument("--eval-sequences", type=int, help="sequences per evaluation set")
    group.add_argument("--layers", type=int, help="transformer / LSTM layers")
    group.add_argument("--heads", type=int, help="attention heads")
    group.add_argument("--exemplar", choices=EXEMPLAR_TYPES, help="exemplar type")
    group.add_argument("--rare-classes", type=int, help="number of rare (Zipf-ranked) trained classes")
    group.add_argument("--common-classes", type=int, help="number of common classes (share p_common of the data)")
    group.add_argument("--p-common", type=float, help="probability mass of the common classes")
    group.add_argument("--heldout-classes", type=int, help="classes never trained on (the ICL test)")
    group.add_argument("--num-labels", type=int, help="label vocabulary size")
    group.add_argument("--senses", type=int, help="labels per class (polysemy); 1 = fixed labels")
    group.add_argument("--noise", type=float, help="within-class noise of symbolic exemplars")


def _apply_overrides(base, args: argparse.Namespace):
    data_changes: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for flag, target in _OVERRIDES.items():
        value = getattr(args, flag)
        if value is None:
            continue
        if target.startswith("data."):
            data_changes[target[5:]] = value
        else:
            changes[target] = value
    return dataclasses.replace(base, data=dataclasses.replace(base.data, **data_changes), **changes)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="small", help=f"settings preset: {', '.join(PRESETS)} (default: small)")
    parser.add_argument("--device", default="cpu", help=f"torch device: {', '.join(DEVICES)} (default: cpu)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (run: print each evaluation)")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``icl`` subcommand (with run / sweep / report) to the zipfian-study parser."""
    parser = subparsers.add_parser("icl", help="bursty, Zipfian sequences and emergent in-context learning",
                                   description=__doc__.splitlines()[0].replace("``", ""))  # fmt: skip
    commands = parser.add_subparsers(dest="icl_command", metavar="COMMAND", parser_class=type(parser))

    run = commands.add_parser("run", help="one training run")
    _common(run)
    run.add_argument("--model", default="transformer", choices=MODELS, help="sequence model (default: transformer)")
    run.add_argument("--p-bursty", type=float, default=0.9, help="probability a sequence is bursty (default: 0.9)")
    run.add_argument("--zipf-exponent", type=float, default=0.0, help="class Zipf exponent, 0 = uniform")
    run.add_argument("--seed", type=int, default=0, help="seed (classes, labels, batches, init)")
    _add_overrides(run)
    run.set_defaults(func=_run)

    sweep = commands.add_parser("sweep", help="the preset's cells x seeds, in parallel processes, then report")
    _common(sweep)
    sweep.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds (default: 0)")
    sweep.add_argument("--jobs", type=int, default=1, help="runs at once, one process each (default: 1)")
    sweep.add_argument("--cells", nargs="+", help="only these cells (names as in the run files)")
    sweep.add_argument("--force", action="store_true", help="redo runs whose result file exists")
    sweep.add_argument("--no-plots", action="store_true", help="table and summary only")
    _add_overrides(sweep)
    sweep.set_defaults(func=_sweep)

    merge = commands.add_parser("report", help="merge the run files in --out into a table and plots")
    merge.add_argument("--out", default=DEFAULT_OUT, help="folder holding run_files/ (default: %(default)s)")
    merge.add_argument("--no-plots", action="store_true", help="table and summary only")
    merge.set_defaults(func=_report)
    parser.set_defaults(func=_no_command)
    return parser


def _no_command(args: argparse.Namespace) -> int:
    raise StudyError("choose an icl command: run, sweep, report (see zipfian-study icl --help)")


def _check_device(device: str) -> str:
    if device not in DEVICES:
        raise StudyError(f"unknown device {device!r}; valid: {', '.join(DEVICES)}")
    from zipfian_envs.studies.icl.train import resolve_device

    return resolve_device(device)


def _run(args: argparse.Namespace) -> int:
    require_torch()
    device = _check_device(args.device)
    base = _apply_overrides(preset(args.preset), args)
    data = dataclasses.replace(base.data, p_bursty=args.p_bursty, zipf_exponent=args.zipf_exponent)
    config = dataclasses.replace(base, data=data, model=args.model, seed=args.seed, device=device).validate()
    from zipfian_envs.studies.icl.train import train

    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.no_progress else None
    result = train(config, progress=not args.no_progress, log=log)
    path = write_run(result, args.out)
    print(f"{cell_name(result['config'])} seed {config.seed}: {result['wall_seconds']:.0f} s "
          f"({result['cpu_seconds']:.0f} s CPU) -> {path}")  # fmt: skip
    return 0


def _sweep(args: argparse.Namespace) -> int:
    require_torch()
    device = _check_device(args.device)
    if args.jobs < 1:
        raise StudyError(f"--jobs must be >= 1, got {args.jobs}")
    if any(seed < 0 for seed in args.seeds):
        raise StudyError(f"seeds must be >= 0, got {args.seeds}")
    base = _apply_overrides(preset(args.preset), args).validate()
    todo, done = plan(base, select_cells(args.cells), args.seeds, device, args.out, args.force)
    print(f"icl sweep: {len(todo)} runs to do, {len(done)} already in {args.out}; jobs={args.jobs} device={device}",
          file=sys.stderr)  # fmt: skip

    def show(outcome: dict[str, Any]) -> None:
        if "error" in outcome:
            print(f"FAILED {outcome['cell']} seed {outcome['seed']}: {outcome['error']}", file=sys.stderr)
        else:
            print(f"done {outcome['cell']} seed {outcome['seed']} in {outcome['wall_seconds']:.0f} s "
                  f"({outcome['cpu_seconds']:.0f} s CPU)", file=sys.stderr)  # fmt: skip

    outcomes = run_sweep(todo, args.out, jobs=args.jobs, progress=not args.no_progress, on_result=show)
    failed = [o for o in outcomes if "error" in o]
    merged = report(args.out, plots=not args.no_plots)
    print(merged["table"], end="")
    print(f"merged {merged['cells']} cells -> {', '.join(merged['files'])}", file=sys.stderr)
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(outcomes)} runs failed (the table merges the rest)")
    return 0


def _report(args: argparse.Namespace) -> int:
    merged = report(args.out, plots=not args.no_plots)
    print(merged["table"], end="")
    print(f"merged {merged['cells']} cells -> {', '.join(merged['files'])}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m zipfian_envs.studies.icl.cli ...`` is ``zipfian-study icl ...``."""
    from zipfian_envs.studies.cli import main as study_main

    return study_main(["icl", *(sys.argv[1:] if argv is None else argv)])

"""The zipfian-study CLI: lazy per-study subcommands and one-line errors."""

import subprocess
import sys

import pytest

from zipfian_envs.studies import cli


def test_no_study_is_one_line_error(capsys):
    assert cli.main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "choose a study" in err and "byol" in err


def test_unknown_study_lists_choices(capsys):
    assert cli.main(["nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'nope'" in err and "byol" in err


def test_missing_study_module_is_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.STUDIES, "ghost", ("zipfian_envs.studies.ghost.cli:add_parser", "not built"))
    assert cli.main(["ghost", "run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'ghost' study is not available" in err


def test_only_the_chosen_study_is_imported(monkeypatch, capsys):
    monkeypatch.setitem(cli.STUDIES, "ghost", ("zipfian_envs.studies.ghost.cli:add_parser", "not built"))
    # --help lists every study without importing any of them.
    with pytest.raises(SystemExit) as exc:
        cli.build_parser().parse_args(["--help"])
    assert exc.value.code == 0
    assert "ghost" in capsys.readouterr().out


def test_study_errors_become_one_line(monkeypatch, capsys):
    import types

    def add_parser(subparsers):
        parser = subparsers.add_parser("fake")
        parser.add_argument("--steps", type=int, default=1)

        def run(args):
            raise ValueError(f"steps must be >= 0, got {args.steps}\nsecond line")

        parser.set_defaults(func=run)
        return parser

    module = types.ModuleType("fake_study_cli")
    module.add_parser = add_parser
    monkeypatch.setitem(sys.modules, "fake_study_cli", module)
    monkeypatch.setitem(cli.STUDIES, "fake", ("fake_study_cli:add_parser", "a fake study"))
    assert cli.main(["fake", "--steps", "-3"]) == 2
    assert capsys.readouterr().err.strip() == "zipfian-study: error: steps must be >= 0, got -3 second line"
    assert cli.main(["fake", "--stepz", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--stepz" in err


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "zipfian_envs.studies", "nope"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("zipfian-study: error:") and result.stderr.count("\n") == 1

"""Writing files so that a crash never leaves half of one, and run folders that have one owner.

Every file the tools write goes through :func:`atomic_write` (or its text and bytes forms): the data
goes to a temporary file in the same folder, is flushed and fsynced, then ``os.replace``-d over the
target, so a reader sees the old file or the new one, never a mix. A run folder (``zipfian-train
--out``) is claimed with :func:`claim_run_folder`, which writes the :data:`MARKER` file first, and
released with :func:`finish_run_folder`; readers call :func:`check_complete`, which refuses any file
inside a folder whose marker is still there (the run was interrupted, or is still going).
Standard library only: the viewer and the record format use it without the harness's dependencies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

MARKER = ".incomplete"
# Files whose presence says "this folder is a zipfian run folder", so --overwrite may empty it.
RUN_FILES = (MARKER, "config.json")


class RunFolderError(ValueError):
    """A run folder that is taken, incomplete or not a folder (the message names it and what to do)."""


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every platform opens folders)."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _scratch_path(path: Path) -> Path:
    """A fresh hidden name beside ``path`` that keeps its suffix (savefig and model.save read it)."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(handle)
    return Path(name)


@contextlib.contextmanager
def _scratch_for(path: str | os.PathLike[str]) -> Iterator[tuple[Path, Path]]:
    """A scratch file beside ``path`` that replaces it when the block ends without error, else is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = _scratch_path(target)
    try:
        yield scratch, target
        os.replace(scratch, target)
    except BaseException:
        scratch.unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def atomic_save(path: str | os.PathLike[str], save: Callable[[Path], Any]) -> Path:
    """Call ``save(scratch)`` to write a scratch file, fsync it and rename it to ``path``; returns ``path``.

    For writers that want a path (matplotlib's ``savefig``, SB3's ``model.save``); the scratch file
    sits in the same folder (a rename is atomic only within one file system) and keeps the suffix.
    """
    with _scratch_for(path) as (scratch, target):
        save(scratch)
        with scratch.open("rb+") as handle:
            os.fsync(handle.fileno())
    return target


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs: Any) -> Iterator[IO[Any]]:
    """``with atomic_write(path) as handle:`` writes to a scratch file that replaces ``path`` on success only."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write opens files for writing, mode 'w' or 'wb', got {mode!r}")
    with _scratch_for(path) as (scratch, _), scratch.open(mode, **open_kwargs) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically; returns ``path``."""
    with atomic_write(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns ``path``."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def check_out_folder(out: str | os.PathLike[str], flag: str = "--out") -> Path:
    """``out`` as a Path if it is a folder or does not exist yet; RunFolderError if it is a file or empty."""
    if not str(out).strip():
        raise RunFolderError(f"{flag} is empty; give a folder path")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{flag} {out} is a file, not a folder; give a folder path")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise RunFolderError(f"{flag} {out}: {parent} is a file, not a folder")
    return out


def check_output_file(path: str | os.PathLike[str], flag: str, suffixes: Sequence[str] = ()) -> Path:
    """``path`` as a Path a file can be written to; RunFolderError naming ``flag`` if it cannot.

    Refused: an empty path, a folder, a path under a file, and (with ``suffixes``) another suffix.
    """
    if not str(path).strip():
        raise RunFolderError(f"{flag} is empty; give a file path")
    path = Path(path)
    if path.is_dir():
        raise RunFolderError(f"{flag} {path} is a folder; give a file path")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise RunFolderError(f"{flag} {path}: {parent} is a file, not a folder")
    if suffixes and path.suffix.lower().lstrip(".") not in suffixes:
        raise RunFolderError(f"{flag} {path}: unknown file type {path.suffix or '(none)'!r}; valid: "
                             f"{', '.join('.' + s for s in suffixes)}")  # fmt: skip
    return path


def _is_run_folder(out: Path) -> bool:
    return any((out / name).exists() for name in RUN_FILES)


def claim_run_folder(
    out: str | os.PathLike[str],
    *,
    tool: str,
    argv: Sequence[str],
    resume: bool = False,
    overwrite: bool = False,
    check_only: bool = False,
) -> Path:
    """Make ``out`` this run's folder and mark it incomplete; refuse a used folder unless told what to do.

    A non-empty ``out`` is an error unless ``resume`` (continue the run there: its files stay) or
    ``overwrite`` (empty it first; only a folder that holds a run, so a typo never empties a home folder).
    ``check_only``: raise what claiming would raise, but touch nothing.
    """
    out = check_out_folder(out)
    used = out.is_dir() and any(out.iterdir())
    if used and not resume:
        if not overwrite:
            raise RunFolderError(f"--out {out} already holds files; pass --resume to continue that run, "
                                 "--overwrite to replace it, or give another --out")  # fmt: skip
        if not _is_run_folder(out):
            raise RunFolderError(f"--overwrite refuses to empty {out}: it holds no run (no config.json or {MARKER})")
    if check_only:
        return out
    if used and not resume:
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    note = {"tool": tool, "argv": list(argv), "pid": os.getpid(), "started_utc": started}
    atomic_write_text(out / MARKER, json.dumps(note) + "\n")
    return out


def finish_run_folder(out: str | os.PathLike[str]) -> None:
    """Mark ``out`` complete: remove its :data:`MARKER` (the last thing a finished run does)."""
    out = Path(out)
    (out / MARKER).unlink(missing_ok=True)
    _fsync_folder(out)


def incomplete_folder(path: str | os.PathLike[str], depth: int = 2) -> Path | None:
    """The folder holding ``path`` (or ``path`` itself, or up to ``depth`` levels up) that is marked incomplete."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    for _ in range(depth):
        if (folder / MARKER).exists():
            return folder
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def check_complete(path: str | os.PathLike[str]) -> None:
    """Raise RunFolderError if ``path`` lies in a run folder whose run was interrupted or is still going."""
    folder = incomplete_folder(path)
    if folder is not None:
        raise RunFolderError(f"{folder} is an incomplete run (interrupted, or still running: {folder / MARKER} "
                             f"is there), so {path} is not read; finish it with --resume or redo it "
                             "with --overwrite")  # fmt: skip

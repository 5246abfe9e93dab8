"""Safe file writing: atomic writes, atomic publication of a pair of files, checksums, and a cache of results.

A reader of a path written here always finds either the complete old content or the complete new content,
never a half-written file. The save rule of the package: no writer replaces an existing file unless asked
(``overwrite=True``), and a failed save leaves neither a temporary nor a backup beside the target and reports the
original error. This module imports only :mod:`helpers.checks`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from helpers import checks

__all__ = ["sha256_of", "temporary_path", "check_overwrite", "atomic_write", "previous_copy", "publish_pair",
           "package_digest", "cached", "CACHE_DIR"]


def sha256_of(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes (read in chunks by :func:`hashlib.file_digest`)."""
    path = checks.file_path("path", path, must_exist=True)
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


CACHE_DIR = Path(__file__).resolve().parent.parent / "build" / "cache"
"""The project's folder for cached results (:func:`cached`); ``build/`` is never committed."""

T = TypeVar("T")


def package_digest(package: ModuleType) -> tuple[str, ...]:
    """The SHA-256 digests of a package's ``*.py`` files (sorted by name): part of a :func:`cached` key, so that
    a change to any of its code recomputes the result."""
    if not isinstance(package, ModuleType) or not getattr(package, "__path__", None):
        raise checks.WrongTypeError(f"package must be an imported package (a module with __path__), got {package!r}")
    return tuple(sha256_of(p) for p in sorted(Path(package.__path__[0]).glob("*.py")))


def cached(path: str | Path, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or the result that an earlier call with an equal ``key`` saved at ``path``.

    For a long computation that later cells or notebooks reuse: ``key`` must hold everything the result depends on
    (settings, the model's checksum, :func:`package_digest` of the code). A new result is pickled and written
    atomically, replacing a file saved under another key (or one that no longer loads); so ``path`` belongs in the project's :data:`CACHE_DIR`,
    never on a user's file. Pickles run code when loaded: read only files this project wrote.
    """
    path = checks.file_path("path", path)
    if not callable(compute):
        raise checks.WrongTypeError(f"compute must be a function without arguments, got {type(compute).__name__}")
    try:
        hash(key)
    except TypeError:
        raise checks.WrongTypeError(f"key must be hashable (numbers, strings, tuples of them), got "
                                    f"{type(key).__name__} {key!r:.80}") from None
    try:
        saved = pickle.loads(path.read_bytes()) if path.is_file() else None
    except Exception:  # damaged, or saved by code whose classes have changed: computed anew, like a stale key
        saved = None
    if isinstance(saved, dict) and saved.get("key") == key:
        return saved["result"]
    result = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(pickle.dumps({"key": key, "result": result})), overwrite=True)
    return result


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove_quietly(path: str | Path) -> None:
    """Remove ``path`` if it exists; a failure here never masks the error being handled."""
    with contextlib.suppress(OSError):
        os.remove(path)


def temporary_path(target: str | Path) -> Path:
    """A new, empty, hidden file in ``target``'s folder with ``target``'s suffix (mode 0666 less the umask)."""
    target = checks.file_path("target", target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=target.suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; what we write are ordinary files
    return Path(tmp)


def check_overwrite(paths: Sequence[str | Path] | str | Path, overwrite: bool, hint: str = "pass overwrite=True") -> None:
    """Raise :class:`FileExistsError` if any of ``paths`` (one path or a sequence of them) exists and
    ``overwrite`` is false.

    ``hint`` says how the caller's user allows replacing (a keyword for code, a checkbox for a widget).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if isinstance(paths, bytes) or not isinstance(paths, Sequence) or not paths:
        raise checks.WrongTypeError(f"paths must be a path or a non-empty sequence of paths, got "
                                    f"{type(paths).__name__} {paths!r}")
    paths = [checks.file_path("each of paths", p) for p in paths]
    overwrite = checks.flag("overwrite", overwrite)
    checks.string("hint", hint)
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{', '.join(existing)} already exists; {hint} to replace it")


def atomic_write(path: str | Path, write: Callable[[Path], None], overwrite: bool = False,
                 hint: str = "pass overwrite=True") -> Path:
    """Write a file through ``write(tmp_path)`` to a temporary name, then rename it to ``path``.

    Raises :class:`FileExistsError` if ``path`` exists and ``overwrite`` is false (``hint`` tells the user how
    to allow it). On any failure the temporary file is removed and the original error propagates.
    """
    path = checks.file_path("path", path)
    if not callable(write):
        raise checks.WrongTypeError(f"write must be a function of the temporary path, got {type(write).__name__}")
    check_overwrite([path], overwrite, hint)
    tmp = temporary_path(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        _remove_quietly(tmp)
    return path


def previous_copy(path: str | Path) -> Path:
    """Where :func:`publish_pair` keeps the previous version of ``path`` while a new pair is published."""
    path = checks.file_path("path", path)
    return path.with_name(f".{path.stem}.previous{path.suffix}")


def publish_pair(first: tuple[Path, Path], second: tuple[Path, Path]) -> None:
    """Move two finished temporary files onto their targets so that readers see the old or the new pair.

    ``first`` and ``second`` are ``(temporary, target)``. The old ``first`` target is kept as a hidden
    :func:`previous_copy` (a hard link, or a copy where links are not possible) until both renames are done;
    if the second rename fails, the old first file is put back. A reader that finds the new first file beside
    the old second file (the process was killed between the two renames) can recover the old pair from the
    previous copy. Temporaries never outlive this call, and neither does the backup after a failure that left the
    old first file in place; the original error propagates.
    """
    (tmp_first, first_path), (tmp_second, second_path) = (_pair("first", first), _pair("second", second))
    backup = previous_copy(first_path)
    _remove_quietly(backup)
    had_first = first_path.exists()
    keep_backup = False  # only where restoring the old first file failed: then the backup is its one copy
    try:
        if had_first:
            try:
                os.link(first_path, backup)
            except OSError:
                import shutil

                shutil.copy2(first_path, backup)
        os.replace(tmp_first, first_path)
        try:
            os.replace(tmp_second, second_path)
        except BaseException:
            if had_first:
                try:
                    os.replace(backup, first_path)
                except OSError:
                    keep_backup = True
            else:
                _remove_quietly(first_path)
            raise
    finally:
        for leftover in (tmp_first, tmp_second):
            _remove_quietly(leftover)
        if not keep_backup:
            _remove_quietly(backup)


def _pair(name: str, value) -> tuple[Path, Path]:
    """``value`` as ``(temporary, target)`` paths."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise checks.WrongTypeError(f"{name} must be a pair (temporary, target) of paths, got {value!r}")
    return checks.file_path(f"{name}'s temporary", value[0]), checks.file_path(f"{name}'s target", value[1])

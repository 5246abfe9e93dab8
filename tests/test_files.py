"""helpers.files: atomic writes and pairs leave the old or the new content and no stray files; checksums."""

import hashlib
import os
import stat
from pathlib import Path

import pytest

from helpers import files


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_sha256_of_is_the_digest_of_the_bytes(tmp_path):
    path = tmp_path / "data.bin"
    content = bytes(range(256)) * 5000  # more than one read chunk
    path.write_bytes(content)
    assert files.sha256_of(path) == hashlib.sha256(content).hexdigest()
    assert files.sha256_of(str(path)) == hashlib.sha256(content).hexdigest()


def test_temporary_path_is_hidden_empty_beside_the_target_with_its_suffix(tmp_path):
    target = tmp_path / "new" / "figure.png"
    tmp = files.temporary_path(target)
    assert tmp.parent == target.parent and tmp.name.startswith(".figure.") and tmp.suffix == ".png"
    assert tmp.read_bytes() == b""
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o666 & ~umask  # an ordinary file, not mkstemp's 0600
    assert files.temporary_path(target) != tmp


def test_check_overwrite_names_every_existing_file_and_the_hint(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    a.write_text("a")
    b.write_text("b")
    with pytest.raises(FileExistsError, match=r"a\.txt, .*b\.txt already exists; tick Overwrite to replace it"):
        files.check_overwrite([a, b, c], overwrite=False, hint="tick Overwrite")
    files.check_overwrite([a, b], overwrite=True)
    files.check_overwrite([c], overwrite=False)


def test_atomic_write_writes_and_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "out.txt"
    assert files.atomic_write(path, lambda tmp: tmp.write_text("first")) == path
    assert path.read_text() == "first"
    with pytest.raises(FileExistsError, match="already exists; pass overwrite=True"):
        files.atomic_write(path, lambda tmp: tmp.write_text("second"))
    assert path.read_text() == "first"
    files.atomic_write(str(path), lambda tmp: tmp.write_text("second"), overwrite=True)
    assert path.read_text() == "second" and _names(tmp_path) == ["out.txt"]


def test_a_failed_atomic_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")

    def fail(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        files.atomic_write(path, fail, overwrite=True)
    assert path.read_text() == "old" and _names(tmp_path) == ["out.txt"]


def _pair(folder: Path, first: str, second: str) -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    """Two finished temporary files for model.keras and model.json."""
    targets = folder / "model.keras", folder / "model.json"
    temporaries = [files.temporary_path(t) for t in targets]
    temporaries[0].write_text(first)
    temporaries[1].write_text(second)
    return (temporaries[0], targets[0]), (temporaries[1], targets[1])


def test_publish_pair_writes_both_and_leaves_nothing_else(tmp_path):
    files.publish_pair(*_pair(tmp_path, "weights 1", "record 1"))
    assert _names(tmp_path) == ["model.json", "model.keras"]
    assert (tmp_path / "model.keras").read_text() == "weights 1"


def test_publish_pair_over_an_old_pair_leaves_no_previous_copy(tmp_path):
    files.publish_pair(*_pair(tmp_path, "weights 1", "record 1"))
    files.publish_pair(*_pair(tmp_path, "weights 2", "record 2"))
    assert _names(tmp_path) == ["model.json", "model.keras"]  # no .model.previous.keras left behind
    assert not files.previous_copy(tmp_path / "model.keras").exists()
    assert [(tmp_path / n).read_text() for n in ("model.keras", "model.json")] == ["weights 2", "record 2"]


def _fail_renames_onto(name: str, monkeypatch) -> None:
    """Make ``os.replace`` fail (a full disk) whenever its target is called ``name``."""
    real_replace = os.replace

    def replace(src, dst):
        if Path(dst).name == name:
            raise OSError("no space left")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_publish_pair_puts_the_old_first_file_back_when_the_second_rename_fails(tmp_path, monkeypatch):
    files.publish_pair(*_pair(tmp_path, "weights 1", "record 1"))
    pair = _pair(tmp_path, "weights 2", "record 2")
    _fail_renames_onto("model.json", monkeypatch)
    with pytest.raises(OSError, match="no space left"):
        files.publish_pair(*pair)
    monkeypatch.undo()
    assert [(tmp_path / n).read_text() for n in ("model.keras", "model.json")] == ["weights 1", "record 1"]
    assert _names(tmp_path) == ["model.json", "model.keras"]


def test_a_failed_first_publication_leaves_no_half_pair(tmp_path, monkeypatch):
    pair = _pair(tmp_path, "weights 1", "record 1")
    _fail_renames_onto("model.json", monkeypatch)
    with pytest.raises(OSError, match="no space left"):
        files.publish_pair(*pair)
    assert _names(tmp_path) == []


def test_publish_pair_copies_where_hard_links_are_refused(tmp_path, monkeypatch):
    files.publish_pair(*_pair(tmp_path, "weights 1", "record 1"))
    seen = []
    real_replace = os.replace

    def no_link(src, dst):
        raise OSError("links not supported")

    def replace(src, dst):  # look at the previous copy while the new pair is being published
        backup = files.previous_copy(tmp_path / "model.keras")
        seen.append(backup.read_text() if backup.exists() else None)
        real_replace(src, dst)

    monkeypatch.setattr(os, "link", no_link)
    monkeypatch.setattr(os, "replace", replace)
    files.publish_pair(*_pair(tmp_path, "weights 2", "record 2"))
    assert seen == ["weights 1", "weights 1"]
    assert _names(tmp_path) == ["model.json", "model.keras"]


def test_previous_copy_is_hidden_beside_the_file():
    assert files.previous_copy("data/models/mnist_cnn.keras") == Path("data/models/.mnist_cnn.previous.keras")


def test_check_overwrite_takes_one_path_or_a_sequence_and_nothing_else(tmp_path):
    existing = tmp_path / "a.txt"
    existing.write_text("a")
    for one in (existing, str(existing)):
        with pytest.raises(FileExistsError, match=r"a\.txt already exists"):
            files.check_overwrite(one, overwrite=False)
    files.check_overwrite(tmp_path / "new.txt", overwrite=False)
    for wrong in (5, [], b"a.txt"):
        with pytest.raises(TypeError, match="paths must be a path or a non-empty sequence of paths"):
            files.check_overwrite(wrong, overwrite=True)


def test_cached_computes_once_per_key_and_replaces_a_stale_result(tmp_path):
    path, calls = tmp_path / "cache" / "result.pkl", []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    assert files.cached(path, ("settings", 1), compute) == {"value": 1}
    assert files.cached(path, ("settings", 1), compute) == {"value": 1} and len(calls) == 1  # read back, not run
    assert files.cached(path, ("settings", 2), compute) == {"value": 2} and len(calls) == 2  # another key: run
    assert files.cached(path, ("settings", 2), compute) == {"value": 2} and len(calls) == 2
    assert _names(path.parent) == ["result.pkl"]  # written atomically: no temporary left
    path.write_bytes(b"not a pickle")  # damaged: computed anew, not an error
    assert files.cached(path, ("settings", 2), compute) == {"value": 3} and len(calls) == 3


def test_cached_refuses_what_it_cannot_use(tmp_path):
    with pytest.raises(files.checks.WrongTypeError, match="compute must be a function"):
        files.cached(tmp_path / "r.pkl", 1, 42)
    with pytest.raises(TypeError, match="key must be hashable"):
        files.cached(tmp_path / "r.pkl", [1, 2], lambda: 0)
    assert not (tmp_path / "r.pkl").exists()


def test_package_digest_follows_the_package_code():
    from helpers import oip

    digest = files.package_digest(oip)
    assert len(digest) == len(list(Path(oip.__file__).parent.glob("*.py"))) and all(len(d) == 64 for d in digest)
    with pytest.raises(files.checks.WrongTypeError, match="an imported package"):
        files.package_digest(files)  # a module, not a package

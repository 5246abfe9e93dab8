"""helpers.data: the good path and every bad-input path of the MNIST loader, and standardization."""

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import MnistDataError, Standardizer, load_mnist, read_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/mnist that a test may damage."""
    target = tmp_path / "mnist"
    shutil.copytree(data.DATA_DIR, target)
    return target


def test_load_mnist_shapes_dtypes_and_label_counts(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test).tolist() == TEST_COUNTS
    assert x_train.max() == 255 and x_train.min() == 0


def test_committed_sha256sums_file_matches_the_sums_in_code():
    lines = (data.DATA_DIR / "SHA256SUMS").read_text().split("\n")
    listed = dict(reversed(line.split()) for line in lines if line.strip())
    assert listed == data.MNIST_SHA256


def test_missing_folder(tmp_path):
    with pytest.raises(MnistDataError, match="folder is missing"):
        load_mnist(tmp_path / "nowhere")


def test_missing_file_names_the_file(data_copy):
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistDataError, match=r"t10k-labels-idx1-ubyte\.gz: file is missing"):
        load_mnist(data_copy)


def test_truncated_gzip(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(MnistDataError, match=r"t10k-images-idx3-ubyte\.gz: file is truncated"):
        load_mnist(data_copy)


def test_not_gzip_is_corrupt(data_copy):
    (data_copy / "train-labels-idx1-ubyte.gz").write_bytes(b"this is not gzip data at all" * 10)
    with pytest.raises(MnistDataError, match=r"train-labels-idx1-ubyte\.gz: file is corrupt"):
        load_mnist(data_copy)


def _rewrite_payload(path: Path, transform) -> None:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(transform(raw))


def test_bad_magic_number(data_copy):
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    _rewrite_payload(path, lambda raw: b"\x00\x00\x0d\x01" + raw[4:])  # float data type, not ubyte
    with pytest.raises(MnistDataError, match="bad IDX magic number 0x00000d01"):
        load_mnist(data_copy)


def test_payload_shorter_than_header_announces(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    _rewrite_payload(path, lambda raw: raw[:-100])  # valid gzip, but IDX data cut
    with pytest.raises(MnistDataError, match="truncated: the header announces shape"):
        load_mnist(data_copy)


def test_wrong_dimensions(data_copy):
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    # announce 9999 labels and drop one byte: a self-consistent IDX file that is not MNIST's test labels
    _rewrite_payload(path, lambda raw: raw[:4] + (9999).to_bytes(4, "big") + raw[8:-1])
    with pytest.raises(MnistDataError, match=r"IDX shape \(9999,\) does not match MNIST's \(10000,\)"):
        load_mnist(data_copy)


def test_wrong_checksum_on_a_well_formed_file(data_copy):
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    _rewrite_payload(path, lambda raw: raw[:-1] + bytes([(raw[-1] + 1) % 10]))  # one label changed
    with pytest.raises(MnistDataError, match="wrong checksum"):
        load_mnist(data_copy)
    # the same file loads when the caller opts out of the canonical check (e.g. a relabelled variant)
    (_, _), (_, y_test) = load_mnist(data_copy, verify_checksums=False)
    assert y_test.shape == (10000,)


def test_read_idx_on_a_small_handmade_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "tiny-idx3-ubyte.gz"
    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in images.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + images.tobytes())
    np.testing.assert_array_equal(read_idx(path), images)


def test_standardizer_fit_apply_invert_roundtrip(mnist):
    (x_train, _), (x_test, _) = mnist
    std = Standardizer.fit(x_train)
    assert 33.0 < std.mean < 33.6 and 78.3 < std.std < 78.9  # MNIST's well-known pixel statistics
    x = std.apply(x_train[:5000])
    assert x.shape == (5000, 28, 28, 1) and x.dtype == np.float32
    full = std.apply(x_train)
    assert abs(float(full.mean())) < 1e-3 and abs(float(full.std()) - 1) < 1e-3
    np.testing.assert_allclose(std.invert(std.apply(x_test[:10]))[..., 0], x_test[:10], atol=1e-3)
    assert Standardizer.from_dict(std.to_dict()) == std


def test_standardizer_keeps_channel_axis_and_rejects_bad_shapes():
    std = Standardizer(mean=1.0, std=2.0)
    assert std.apply(np.ones((2, 5, 5, 3), np.uint8)).shape == (2, 5, 5, 3)
    with pytest.raises(ValueError, match=r"expected images of shape \(n, h, w\)"):
        std.apply(np.ones((28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"std \(pixel units\) must be a finite number > 0"):
        Standardizer(mean=0.0, std=0.0)
    with pytest.raises(ValueError, match="'mean' and 'std'"):
        Standardizer.from_dict({"mean": 1.0})
    with pytest.raises(ValueError, match="empty"):
        Standardizer.fit(np.zeros((0, 28, 28), np.uint8))


def test_an_idx_header_whose_shape_overflows_is_a_clear_error(tmp_path):
    # 3 dimensions of 2^32 - 1: the product overflows 64 bits (and wrapped around with NumPy integers)
    path = tmp_path / "huge-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + (2**32 - 1).to_bytes(4, "big") * 3 + bytes(100))
    with pytest.raises(MnistDataError, match=r"truncated: the header announces shape \(4294967295, 4294967295, "
                                             r"4294967295\) \(79228162458924105385300197375 bytes\) but only 100 bytes"):
        read_idx(path)
    # 2^31 x 2^31 x 4 = 2^64 wraps to 0 in int64 arithmetic: it must not pass as an empty payload
    path.unlink()
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + (2**31).to_bytes(4, "big") * 2 + (4).to_bytes(4, "big"))
    with pytest.raises(MnistDataError, match=r"truncated: the header announces shape \(2147483648, 2147483648, 4\) "
                                             r"\(18446744073709551616 bytes\) but only 0 bytes"):
        read_idx(path)


def test_sha256_of_is_the_one_helper_in_files():
    from helpers import files

    assert data.sha256_of is files.sha256_of
    path = data.DATA_DIR / "t10k-labels-idx1-ubyte.gz"
    assert data.sha256_of(path) == data.MNIST_SHA256[path.name]


def _write_idx(path: Path, payload: bytes) -> Path:
    with gzip.open(path, "wb") as f:
        f.write(payload)
    return path


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"", r"file is truncated \(0 bytes, shorter than the 4-byte IDX magic number\)"),
        (bytes([0, 0, 8]), r"file is truncated \(3 bytes, shorter than the 4-byte IDX magic number\)"),
        (bytes([0, 0, 8, 3]), r"file is truncated inside the IDX header \(4 of 16 bytes\)"),
        (bytes([0, 0, 8, 1, 0, 0, 0]), r"file is truncated inside the IDX header \(7 of 8 bytes\)"),
        (bytes([1, 0, 8, 1]) + bytes(4), r"bad IDX magic number 0x01000801"),
        (bytes([0, 1, 8, 1]) + bytes(4), r"bad IDX magic number 0x00010801"),
        (bytes([0, 0, 8, 2]) + bytes(8), r"bad IDX magic number 0x00000802; expected 0x00000801 \(labels\) or 0x00000803"),
        (bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + bytes(4), r"file is corrupt: 1 unexpected bytes after the \(3,\) data"),
    ],
    ids=["empty", "3 bytes", "header cut (images)", "header cut (labels)", "first byte", "second byte", "2-D",
         "extra byte"],
)
def test_read_idx_header_errors(tmp_path, payload, message):
    with pytest.raises(MnistDataError, match=message):
        read_idx(_write_idx(tmp_path / "bad-idx-ubyte.gz", payload))


def test_read_idx_labels_and_empty_arrays(tmp_path):
    labels = _write_idx(tmp_path / "labels-idx1-ubyte.gz", bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + bytes([7, 0, 9]))
    np.testing.assert_array_equal(read_idx(labels), [7, 0, 9])
    empty = _write_idx(tmp_path / "empty-idx3-ubyte.gz", bytes([0, 0, 8, 3]) + b"".join(
        n.to_bytes(4, "big") for n in (0, 28, 28)))
    assert read_idx(empty).shape == (0, 28, 28) and read_idx(empty).dtype == np.uint8


def test_labels_outside_0_to_9_are_refused_even_without_checksums(data_copy):
    path = data_copy / "train-labels-idx1-ubyte.gz"
    _rewrite_payload(path, lambda raw: raw[:8] + bytes([10]) + raw[9:])
    with pytest.raises(MnistDataError, match=r"train-labels-idx1-ubyte\.gz: labels outside 0\.\.9"):
        load_mnist(data_copy, verify_checksums=False)
    (data_copy / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    with pytest.raises(MnistDataError, match=r"t10k-labels-idx1-ubyte\.gz: file is truncated"):
        load_mnist(data_copy, verify_checksums=False)

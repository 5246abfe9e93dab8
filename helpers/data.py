"""Verified, offline MNIST loading and the one standardization used throughout the series.

The four canonical IDX files live in ``data/mnist/``. :func:`load_mnist` checks each file's IDX header
(magic number, dimensions, item count, payload size) and its SHA-256 sum before returning arrays, and
raises :class:`MnistDataError` naming the file and the problem otherwise.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import checks, files

__all__ = ["DATA_DIR", "MNIST_FILES", "MNIST_SHA256", "MnistDataError", "sha256_of", "read_idx", "load_mnist",
           "Standardizer"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist"
"""Default location of the MNIST files (the repository's ``data/mnist``)."""

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
    "t10k-images-idx3-ubyte.gz": "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
    "t10k-labels-idx1-ubyte.gz": "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
}
"""SHA-256 of the canonical gzip files (the same as ``data/mnist/SHA256SUMS``)."""

# Expected IDX shapes: images (count, 28, 28), labels (count,)
_EXPECTED_SHAPES = {
    "train-images-idx3-ubyte.gz": (60000, 28, 28),
    "train-labels-idx1-ubyte.gz": (60000,),
    "t10k-images-idx3-ubyte.gz": (10000, 28, 28),
    "t10k-labels-idx1-ubyte.gz": (10000,),
}

_IDX_UBYTE = 0x08  # data-type code for unsigned bytes, the only one MNIST uses


class MnistDataError(ValueError):
    """A data file is missing, truncated, corrupt, or not the canonical MNIST file."""


sha256_of = files.sha256_of
"""Hex SHA-256 of a file's bytes: :func:`helpers.files.sha256_of` (``hashlib.file_digest``), kept under this name."""


def read_idx(path: str | Path) -> np.ndarray:
    """Read one gzip-compressed IDX file of unsigned bytes into a uint8 array.

    The shape comes from the header: ``(n,)`` for labels, ``(n, rows, cols)`` for images.
    Raises :class:`MnistDataError` if the file is missing, not gzip, truncated, or has a bad header.
    """
    path = checks.file_path("path", path)
    if not path.is_file():
        raise MnistDataError(f"{path}: file is missing (expected a gzip-compressed IDX file)")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except EOFError as e:
        raise MnistDataError(f"{path}: file is truncated (the gzip stream ends early: {e})") from e
    except (OSError, zlib.error) as e:
        raise MnistDataError(f"{path}: file is corrupt (not a valid gzip stream: {e})") from e

    if len(raw) < 4:
        raise MnistDataError(f"{path}: file is truncated ({len(raw)} bytes, shorter than the 4-byte IDX magic number)")
    zero0, zero1, dtype_code, n_dims = raw[0], raw[1], raw[2], raw[3]
    if zero0 != 0 or zero1 != 0 or dtype_code != _IDX_UBYTE or n_dims not in (1, 3):
        magic = int.from_bytes(raw[:4], "big")
        raise MnistDataError(
            f"{path}: bad IDX magic number 0x{magic:08x}; expected 0x00000801 (labels) or 0x00000803 (images)"
        )
    header_len = 4 + 4 * n_dims
    if len(raw) < header_len:
        raise MnistDataError(f"{path}: file is truncated inside the IDX header ({len(raw)} of {header_len} bytes)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    expected_bytes = math.prod(shape)  # Python integers: a huge header cannot overflow and wrap around
    payload = len(raw) - header_len
    if payload < expected_bytes:
        raise MnistDataError(
            f"{path}: file is truncated: the header announces shape {shape} ({expected_bytes} bytes) "
            f"but only {payload} bytes of data follow"
        )
    if payload > expected_bytes:
        raise MnistDataError(
            f"{path}: file is corrupt: {payload - expected_bytes} unexpected bytes after the {shape} data"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def _load_checked(path: Path, verify_checksum: bool) -> np.ndarray:
    array = read_idx(path)
    expected_shape = _EXPECTED_SHAPES.get(path.name)
    if expected_shape is not None and array.shape != expected_shape:
        raise MnistDataError(f"{path}: IDX shape {array.shape} does not match MNIST's {expected_shape}")
    if verify_checksum:
        actual = sha256_of(path)
        expected = MNIST_SHA256[path.name]
        if actual != expected:
            raise MnistDataError(
                f"{path}: wrong checksum: SHA-256 {actual} differs from the canonical {expected}; "
                "restore the file from the repository (git checkout -- data/mnist)"
            )
    return array


def load_mnist(
    data_dir: str | Path | None = None, verify_checksums: bool = True
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST from local IDX files; nothing is downloaded.

    Args:
        data_dir: folder holding the four ``*-ubyte.gz`` files (default: the repository's ``data/mnist``).
        verify_checksums: compare each file's SHA-256 with the canonical sum.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape (60000, 28, 28) and (10000, 28, 28),
        uint8 labels of shape (60000,) and (10000,).
    """
    if data_dir is not None and (not isinstance(data_dir, (str, os.PathLike)) or not str(data_dir).strip()):
        raise checks.WrongTypeError(f"data_dir must be a folder (str or pathlib.Path) or None, got "
                                    f"{type(data_dir).__name__} {data_dir!r}")
    verify_checksums = checks.flag("verify_checksums", verify_checksums)
    folder = Path(data_dir) if data_dir is not None else DATA_DIR
    if folder.is_file():
        raise MnistDataError(f"{folder}: is a file; data_dir must be the folder holding {sorted(MNIST_FILES.values())}")
    if not folder.is_dir():
        raise MnistDataError(f"{folder}: MNIST data folder is missing (expected the files {sorted(MNIST_FILES.values())})")
    # each file's shape is pinned (_EXPECTED_SHAPES), so images and labels of a split always match in number
    arrays = {key: _load_checked(folder / name, verify_checksums) for key, name in MNIST_FILES.items()}
    for split in ("train", "test"):
        if arrays[f"{split}_labels"].max() > 9:
            raise MnistDataError(f"{folder / MNIST_FILES[split + '_labels']}: labels outside 0..9")
    return (arrays["train_images"], arrays["train_labels"]), (arrays["test_images"], arrays["test_labels"])


RAW_TOLERANCE = 1e-3
"""How far outside 0..255 raw pixels may lie (float rounding of interpolated pixels) before
:meth:`Standardizer.apply` calls them standardized already."""


def _check_raw(images: np.ndarray) -> None:
    """Raise ValueError unless ``images`` are raw pixels in 0..255 (within :data:`RAW_TOLERANCE`)."""
    if images.size and (images.min() < -RAW_TOLERANCE or images.max() > 255 + RAW_TOLERANCE):
        raise ValueError(f"images_uint8 must be raw pixels in 0..255, got values in {float(images.min()):.3g}.."
                         f"{float(images.max()):.3g}: standardized already? (apply standardizes raw pixels once)")


@dataclass(frozen=True)
class Standardizer:
    """Pixel standardization ``x = (pixels - mean) / std`` with one global mean and std (pixel units, 0..255).

    Fit it on the training images only; apply it to any images; invert it to display standardized images
    (e.g. OIPs) in pixel units. ``to_dict``/``from_dict`` let the statistics travel with a saved model.
    """

    mean: float
    std: float

    def __post_init__(self) -> None:
        checks.real("mean (pixel units)", self.mean, -1e6, 1e6)
        checks.real("std (pixel units)", self.std, 0, 1e6, open_low=True, why="pixels lie in 0..255")

    @classmethod
    def fit(cls, images_uint8: np.ndarray) -> "Standardizer":
        """Global mean and std of the pixel values of ``images_uint8`` (any shape)."""
        pixels = checks.finite_array("images_uint8", images_uint8, dtype=np.float64)
        if pixels.size == 0:
            raise ValueError("cannot fit a Standardizer on an empty array")
        _check_raw(pixels)
        if pixels.std() == 0:
            raise ValueError(f"images_uint8 are constant (every pixel {float(pixels.flat[0]):g}): a Standardizer needs "
                             "pixels that vary")
        return cls(mean=float(pixels.mean()), std=float(pixels.std()))

    def apply(self, images_uint8: np.ndarray) -> np.ndarray:
        """Standardized float32 images. ``(n, h, w)`` gains a channel axis -> ``(n, h, w, 1)``;
        ``(n, h, w, c)`` keeps its shape."""
        images = checks.finite_array("images_uint8", images_uint8)
        if images.ndim not in (3, 4):
            raise ValueError(f"expected images of shape (n, h, w) or (n, h, w, c), got shape {images.shape}")
        _check_raw(images)
        x = (images.astype(np.float32) - np.float32(self.mean)) / np.float32(self.std)
        return x[..., np.newaxis] if images.ndim == 3 else x

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Back to pixel units (float32, not clipped: OIPs may leave the 0..255 range)."""
        return checks.finite_array("x", x, dtype=np.float32) * np.float32(self.std) + np.float32(self.mean)

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "std": self.std}

    @classmethod
    def from_dict(cls, record: dict) -> "Standardizer":
        if not isinstance(record, dict) or "mean" not in record or "std" not in record:
            raise checks.WrongTypeError(f"standardization record must be a dict with numbers 'mean' and 'std', got "
                                        f"{record!r}")
        try:
            checked = cls(mean=record["mean"], std=record["std"])  # refuses strings, booleans, NaN
        except ValueError as e:
            raise ValueError(f"standardization record must hold numbers 'mean' and 'std' ({e}), got {record!r}") from e
        return cls(mean=float(checked.mean), std=float(checked.std))

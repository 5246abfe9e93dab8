"""Parameterization: ascend on pixels (no trick) or in lucid's decorrelated 1/f Fourier basis, which for this
normalized gradient ascent is the same as filtering each pixel gradient by :func:`fourier_preconditioner`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from helpers import checks
from helpers.oip.damping import _frequency2, spectral_filter


def fourier_preconditioner(height: int, width: int, decay: float = 1.0) -> np.ndarray:
    """The gradient filter equivalent to lucid's 1/f Fourier parameterization, (height, width), mean 1.

    With the image written as ``x = IFFT(scale * s)`` and ``scale = 1 / max(f, 1 / max(h, w)) ** decay`` (``f`` in
    cycles per pixel), a gradient step on ``s`` moves ``x`` by the pixel gradient filtered with ``scale ** 2``.
    """
    height = checks.size("height", height, 2**16, "larger than any image")
    width = checks.size("width", width, 2**16, "larger than any image")
    decay = checks.real("decay", decay, 0, 4)
    frequency = np.sqrt(_frequency2(height, width)) * 0.5  # cycles per pixel
    scale = 1.0 / np.maximum(frequency, 1.0 / max(height, width)) ** decay
    filter_ = scale**2
    return (filter_ / filter_.mean()).astype(np.float32)


@dataclass(frozen=True)
class FourierBasis:
    """Filter the pixel gradient by the 1/f preconditioner of ``decay`` (an ascent in the Fourier basis)."""

    stage: ClassVar[str] = "gradient"
    decay: float
    height: int
    width: int

    def apply(self, grad):
        import tensorflow as tf

        preconditioner = tf.constant(fourier_preconditioner(self.height, self.width, self.decay), dtype=tf.complex64)
        return spectral_filter(grad, preconditioner)


def parameterization_trick(settings, image_shape: tuple[int, int, int]) -> FourierBasis | None:
    """:class:`FourierBasis` for ``parameterization="fourier"``, None for pixels."""
    if settings.parameterization != "fourier":
        return None
    return FourierBasis(settings.fourier_decay, *image_shape[:2])

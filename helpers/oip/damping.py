"""Damping tricks: what keeps high spatial frequencies out of the pattern.

:class:`Blur` (a light Gaussian blur) and :class:`FourierDamping` (a Gaussian low-pass in frequency space) act on
the image every ``every`` steps; :func:`low_pass` is the coarse-to-fine schedule's filter of the gradient (its
cutoff is an input of the compiled step, so the schedule needs no trick of its own). Each trick is a small frozen
object: equal settings give equal (hashable) tricks, and the engine keys its compiled steps by them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from helpers import checks

def gaussian_kernel(sigma: float, channels: int) -> np.ndarray:
    """Normalized 2-D Gaussian of ``sigma`` pixels as a depthwise kernel (k, k, channels, 1), k = 2*ceil(2*sigma)+1."""
    sigma = checks.real("sigma", sigma, 0, 1000, open_low=True, why="pixels; a wider blur than any image")
    channels = checks.size("channels", channels, 2**16, "more channels than any image model has")
    radius = max(1, int(math.ceil(2 * sigma)))
    offsets = np.arange(-radius, radius + 1, dtype=np.float32)
    profile = np.exp(-0.5 * (offsets / sigma) ** 2)
    profile /= profile.sum()
    kernel = np.outer(profile, profile)[:, :, np.newaxis, np.newaxis]
    return np.repeat(kernel, channels, axis=2).astype(np.float32)  # (k, k, channels, 1) depthwise


def _frequency2(height: int, width: int) -> np.ndarray:
    """Squared spatial frequency of each FFT coefficient in units of the Nyquist frequency, (height, width)."""
    fy = np.fft.fftfreq(height)[:, np.newaxis] / 0.5
    fx = np.fft.fftfreq(width)[np.newaxis, :] / 0.5
    return (fy**2 + fx**2).astype(np.float32)


def _fourier_mask(height: int, width: int, cutoff: float) -> np.ndarray:
    """Gaussian low-pass in frequency space: components at ``cutoff`` x Nyquist are damped by 1/e."""
    return np.exp(-_frequency2(height, width) / cutoff**2).astype(np.float32)



def spectral_filter(x, mask):
    """Multiply each channel's 2-D spectrum of ``x`` (B, h, w, c) by ``mask`` (h, w, complex64)."""
    import tensorflow as tf

    channels_first = tf.transpose(x, [0, 3, 1, 2])
    spectrum = tf.signal.fft2d(tf.cast(channels_first, tf.complex64)) * mask
    return tf.transpose(tf.math.real(tf.signal.ifft2d(spectrum)), [0, 2, 3, 1])


def low_pass(grad, cutoff, frequency2):
    """``grad`` with frequencies above ``cutoff`` (fraction of Nyquist) damped by a Gaussian (coarse to fine);
    ``frequency2``: :func:`_frequency2` of the image size, a float32 tensor."""
    import tensorflow as tf

    return spectral_filter(grad, tf.cast(tf.exp(-frequency2 / tf.square(cutoff)), tf.complex64))


@dataclass(frozen=True)
class Blur:
    """Every ``every`` steps, blur the image with a Gaussian of ``sigma`` pixels (edges reflected)."""

    stage: ClassVar[str] = "image"
    sigma: float
    every: int
    channels: int

    def apply(self, x, step):
        import tensorflow as tf

        kernel = gaussian_kernel(self.sigma, self.channels)
        p = kernel.shape[0] // 2
        kernel = tf.constant(kernel)

        def blur():
            padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")
            return tf.nn.depthwise_conv2d(padded, kernel, strides=[1, 1, 1, 1], padding="VALID")

        return tf.cond(step % self.every == 0, blur, lambda: x)


@dataclass(frozen=True)
class FourierDamping:
    """Every ``every`` steps, damp the image's frequencies at ``sigma`` x Nyquist by 1/e (a Gaussian low-pass)."""

    stage: ClassVar[str] = "image"
    sigma: float
    every: int
    height: int
    width: int

    def apply(self, x, step):
        import tensorflow as tf

        mask = tf.constant(_fourier_mask(self.height, self.width, self.sigma), dtype=tf.complex64)
        return tf.cond(step % self.every == 0, lambda: spectral_filter(x, mask), lambda: x)


def damping_trick(settings, image_shape: tuple[int, int, int]):
    """The damping trick of ``settings`` (an :class:`~helpers.oip.AscentSettings`) for images of ``image_shape``,
    or None."""
    height, width, channels = image_shape
    if settings.damping == "blur":
        return Blur(settings.sigma, settings.damping_every, channels)
    if settings.damping == "fourier":
        return FourierDamping(settings.sigma, settings.damping_every, height, width)
    return None

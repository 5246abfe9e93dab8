"""Transformation robustness (Olah et al. 2017): the model sees a randomly shifted, rotated and scaled copy of the
image, drawn anew each step (stateless random numbers from the run's seed, the chunk and the step)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class RandomTransform:
    """Shift by up to ``jitter`` whole pixels, rotate by up to ``rotate`` degrees, scale by ``1 +- scale``; the
    three share one draw of four uniform numbers per image, so any combination costs one resampling."""

    stage: ClassVar[str] = "view"
    jitter: int
    rotate: float
    scale: float
    height: int
    width: int

    def apply(self, x, rng):
        """Transformed copies of ``x`` (B, h, w, c), edges reflected; ``rng`` (2,) int32."""
        import tensorflow as tf

        height, width = self.height, self.width
        u = tf.random.stateless_uniform(tf.stack([tf.shape(x)[0], 4]), seed=rng, minval=-1.0, maxval=1.0)
        shift_x, shift_y = tf.round(u[:, 0] * self.jitter), tf.round(u[:, 1] * self.jitter)
        angle = u[:, 2] * (self.rotate * math.pi / 180)
        zoom = 1.0 + u[:, 3] * self.scale
        cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
        cx, cy = (width - 1) / 2, (height - 1) / 2
        # output pixel (x, y) reads input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2)
        a2 = cx - cos * cx - sin * cy + shift_x
        b2 = cy + sin * cx - cos * cy + shift_y
        zeros = tf.zeros_like(cos)
        transforms = tf.stack([cos, sin, a2, -sin, cos, b2, zeros, zeros], axis=1)
        return tf.raw_ops.ImageProjectiveTransformV3(
            images=x, transforms=transforms, output_shape=tf.constant([height, width]), fill_value=0.0,
            interpolation="BILINEAR", fill_mode="REFLECT")


def transform_trick(settings, image_shape: tuple[int, int, int]) -> RandomTransform | None:
    """The transformation trick of ``settings``, or None when jitter, rotation and scaling are all off."""
    if not settings.transforms:
        return None
    return RandomTransform(settings.jitter, settings.rotate, settings.scale, *image_shape[:2])

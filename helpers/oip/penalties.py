"""Penalties subtracted from each image's objective: total variation, L1 and L2 of the pixels (weights >= 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class TotalVariation:
    """``weight`` x the mean absolute difference of vertically and of horizontally neighbouring pixels, (B,)."""

    stage: ClassVar[str] = "penalty"
    weight: float

    def penalty(self, x):
        import tensorflow as tf

        dy = tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
        dx = tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3])
        return self.weight * (dx + dy)


@dataclass(frozen=True)
class L1:
    """``weight`` x the mean absolute pixel value, (B,)."""

    stage: ClassVar[str] = "penalty"
    weight: float

    def penalty(self, x):
        import tensorflow as tf

        return self.weight * tf.reduce_mean(tf.abs(x), axis=[1, 2, 3])


@dataclass(frozen=True)
class L2:
    """``weight`` x the mean squared pixel value, (B,)."""

    stage: ClassVar[str] = "penalty"
    weight: float

    def penalty(self, x):
        import tensorflow as tf

        return self.weight * tf.reduce_mean(tf.square(x), axis=[1, 2, 3])


def penalty_tricks(settings) -> tuple:
    """The penalties of ``settings`` whose weight is not 0, in the order TV, L1, L2."""
    return tuple(trick(weight) for trick, weight in ((TotalVariation, settings.tv_weight), (L1, settings.l1_weight),
                                                     (L2, settings.l2_weight)) if weight)

"""Diversity (Olah et al. 2017): images that share an objective are pushed apart by a penalty on the mean
Gram-matrix cosine between them, measured on one layer's activations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar


def similarity(acts, group, pairs: bool):
    """Each image's mean Gram-matrix cosine with the other images of its group, (B,) (``group``: (B,) ids).

    ``pairs`` (conv layers): take the Gram products in node space, <F_i^T F_i, F_j^T F_j> = ||F_i F_j^T||^2
    (F: nodes x maps), for every pair of images of one group -- nodes^2 numbers per pair instead of maps^2 per
    image, far less work where maps outnumber nodes (Conv2D_3: 9 nodes, 128 maps).
    """
    import tensorflow as tf

    if pairs:
        n, nodes = tf.shape(acts)[0], acts.shape[1] * acts.shape[2]
        flat = tf.reshape(acts, [n, nodes, acts.shape[3]]) / math.sqrt(nodes)  # flat^T flat: the Gram matrix
        norm = tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(tf.matmul(flat, flat, transpose_b=True)), axis=[1, 2]),
                                  1e-12))  # each Gram matrix's norm, floored as in l2_normalize
        same = tf.where(tf.equal(group[:, None], group[None, :]) & ~tf.eye(n, dtype=tf.bool))  # (P, 2)
        first, second = same[:, 0], same[:, 1]
        inner = tf.reduce_sum(tf.square(tf.matmul(tf.gather(flat, first), tf.gather(flat, second),
                                                  transpose_b=True)), axis=[1, 2])
        cosine = inner / (tf.gather(norm, first) * tf.gather(norm, second))
        counts = tf.math.unsorted_segment_sum(tf.ones_like(cosine), first, n)
        return tf.math.unsorted_segment_sum(cosine, first, n) / tf.maximum(counts, 1.0)
    if len(acts.shape) == 4:
        flat = tf.reshape(acts, [tf.shape(acts)[0], -1, acts.shape[-1]])  # (B, nodes, maps)
        gram = tf.matmul(flat, flat, transpose_a=True) / tf.cast(tf.shape(flat)[1], tf.float32)
        acts = tf.reshape(gram, [tf.shape(acts)[0], -1])
    unit = tf.math.l2_normalize(acts, axis=1)
    n_groups = tf.reduce_max(group) + 1
    sums = tf.math.unsorted_segment_sum(unit, group, n_groups)  # (G, features): each group's sum of unit vectors
    counts = tf.math.unsorted_segment_sum(tf.ones_like(unit[:, 0]), group, n_groups)
    others = tf.reduce_sum(unit * tf.gather(sums, group), axis=1) - tf.reduce_sum(unit * unit, axis=1)
    return others / tf.maximum(tf.gather(counts, group) - 1.0, 1.0)  # O(B) instead of all B x B pairs


@dataclass(frozen=True)
class Diversity:
    """``weight`` x the sum over images of :func:`similarity` on ``layer``'s activations (``pairs``: compare in node
    space, see there)."""

    stage: ClassVar[str] = "outputs"
    weight: float
    layer: str
    pairs: bool = False

    @property
    def needs(self) -> tuple[tuple[str, bool], ...]:
        """The (layer, pre_activation) outputs the forward pass must return for this trick."""
        return ((self.layer, False),)

    def penalty(self, outputs: dict, group):
        """The term subtracted from the summed objective (a scalar); ``group``: (B,) objective of each image."""
        import tensorflow as tf

        return self.weight * tf.reduce_sum(similarity(outputs[(self.layer, False)], group, self.pairs))

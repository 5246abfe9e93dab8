"""helpers.oip.diversity: the diversity trick."""


import numpy as np

from helpers import oip
from oip_toys import _same_objective_gram_cosine


def test_diversity_makes_the_images_of_one_objective_differ(toy):
    maps = np.repeat([0, 1, 2], 3)
    x0 = oip.initial_images(9, (12, 12, 1), seed=3)
    kwargs = dict(x0=x0, n_steps=40, epsilon=0.05, early_stop=False, progress=False)
    alike = oip.run_oip(toy, "deep", maps, **kwargs)
    diverse = oip.run_oip(toy, "deep", maps, diversity_weight=1.0, **kwargs)
    cos_alike = _same_objective_gram_cosine(toy, "deep", alike.images, maps)
    cos_diverse = _same_objective_gram_cosine(toy, "deep", diverse.images, maps)
    assert cos_alike > 0.9 and cos_diverse < 0.5 * cos_alike
    # on another layer, measured there
    other = oip.run_oip(toy, "deep", maps, diversity_weight=1.0, diversity_layer="first", **kwargs)
    assert _same_objective_gram_cosine(toy, "first", other.images, maps) < \
        0.75 * _same_objective_gram_cosine(toy, "first", alike.images, maps)
    # images of different objectives are not compared: one image per map with diversity is refused (see the
    # errors below), and pairs of maps in separate groups give the same as separate runs
    pairs = oip.run_oip(toy, "deep", [0, 0, 1, 1], x0=x0[:4], n_steps=20, epsilon=0.05, early_stop=False,
                        diversity_weight=1.0)
    for k in (0, 2):
        alone = oip.run_oip(toy, "deep", [k // 2] * 2, x0=x0[k : k + 2], n_steps=20, epsilon=0.05, early_stop=False,
                            diversity_weight=1.0)
        np.testing.assert_allclose(alone.images, pairs.images[k : k + 2], atol=1e-5)


def test_diversity_in_node_space_equals_the_gram_matrix_cosine():
    """The pairwise node-space form (used where maps outnumber nodes) gives the same similarities and gradients as
    comparing the maps x maps Gram matrices directly."""
    import tensorflow as tf

    from helpers.oip.diversity import similarity as similarity_of

    acts = tf.constant(np.random.default_rng(5).random((7, 2, 3, 16)), tf.float32)  # 6 nodes, 16 maps
    group = tf.constant([0, 0, 1, 1, 1, 2, 0], tf.int32)  # group 2 has one image: similarity 0
    values = {}
    for pairs in (False, True):
        with tf.GradientTape() as tape:
            tape.watch(acts)
            similarity = similarity_of(acts, group, pairs)
            total = tf.reduce_sum(similarity)
        values[pairs] = (similarity.numpy(), tape.gradient(total, acts).numpy())
    np.testing.assert_allclose(values[True][0], values[False][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(values[True][1], values[False][1], rtol=1e-4, atol=1e-6)
    assert values[True][0][5] == 0 and np.all(values[True][0][:5] > 0.5)

"""Models and NumPy references shared by the tests of helpers.oip (tests/oip/test_*.py)."""

import numpy as np

import keras

from helpers import activations as A
from helpers import oip

def _toy_conv(bias: float = 0.0, seed: int = 0, input_shape=(12, 12, 1), maps: int = 4) -> keras.Model:
    """Conv(3x3, ReLU) -> pool -> Conv(3x3, ReLU) named 'deep', with seeded weights."""
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(6, 3, activation="relu", name="first", kernel_initializer=keras.initializers.GlorotUniform(seed))(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(maps, 3, activation="relu", name="deep", bias_initializer=keras.initializers.Constant(bias),
                            kernel_initializer=keras.initializers.GlorotUniform(seed + 1))(x)
    x = keras.layers.Flatten(name="flat")(x)
    outputs = keras.layers.Dense(3, name="dense", kernel_initializer=keras.initializers.GlorotUniform(seed + 2))(x)
    return keras.Model(inputs, outputs, name="toy")


def _colour_model() -> keras.Model:
    """16x20 RGB input; layer names unlike the series': 'rgb_conv' (5 maps) -> pool -> 'rgb_deep' (4 maps of 5x7)
    -> global average 'rgb_gap' -> dense head 'rgb_head' (3 classes, softmax)."""
    init = keras.initializers.GlorotUniform
    inputs = keras.Input((16, 20, 3))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="rgb_conv", kernel_initializer=init(30))(inputs)
    x = keras.layers.MaxPooling2D(2, name="rgb_pool")(x)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="rgb_deep", kernel_initializer=init(31),
                            bias_initializer=keras.initializers.Constant(0.05))(x)
    x = keras.layers.GlobalAveragePooling2D(name="rgb_gap")(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="rgb_head", kernel_initializer=init(32))(x)
    return keras.Model(inputs, outputs, name="rgb_toy")


def _first_converged_reference(losses: np.ndarray, tolerance: float, window: int, first: int, end: int) -> np.ndarray:
    """The documented criterion, one row and one image at a time: the first row t in first..end-1 with a positive
    objective whose change over the last ``window`` rows is below ``tolerance * window * |objective|``."""
    found = np.full(losses.shape[1], -1)
    for i in range(losses.shape[1]):
        for t in range(max(first, window), end):
            now, before = float(losses[t, i]), float(losses[t - window, i])
            if now > 0 and abs(now - before) < tolerance * window * max(abs(now), 1e-12):
                found[i] = t
                break
    return found


def _total_variation(x: np.ndarray) -> np.ndarray:
    """Mean absolute difference of vertically and of horizontally neighbouring pixels, summed, per image."""
    return np.abs(np.diff(x, axis=1)).mean(axis=(1, 2, 3)) + np.abs(np.diff(x, axis=2)).mean(axis=(1, 2, 3))


def _same_objective_gram_cosine(model, layer_name: str, images: np.ndarray, groups) -> float:
    """Mean cosine between the Gram matrices (maps x maps, over the nodes) of images with the same objective,
    computed with NumPy from activations.extract."""
    acts = A.extract(model, images, layer_name).astype(np.float64)
    flat = acts.reshape(len(acts), -1, acts.shape[-1])
    gram = np.einsum("bnm,bnk->bmk", flat, flat).reshape(len(acts), -1) / flat.shape[1]
    unit = gram / np.maximum(np.linalg.norm(gram, axis=1, keepdims=True), 1e-12)
    groups = np.asarray(groups)
    same = (groups[:, None] == groups[None, :]) & ~np.eye(len(groups), dtype=bool)
    return float((unit @ unit.T)[same].mean())


def _transform(settings: "oip.AscentSettings", x: np.ndarray, rng) -> np.ndarray:
    """The ascent's random transformation of ``x`` for the RNG key ``rng`` (the trick of ``settings``)."""
    import tensorflow as tf

    from helpers.oip.transforms import transform_trick

    trick = transform_trick(settings, x.shape[1:])
    return trick.apply(tf.constant(x, tf.float32), tf.constant(rng, tf.int32)).numpy()


def _reference_step(model, layer_name, maps, x, epsilon, tv_weight=0.0, l1_weight=0.0, l2_weight=0.0,
                    diversity_weight=0.0, fourier=False):
    """One ascent step written out from the documentation (no damping, no transformation): the gradient of each
    image's map mean, minus tv_weight x total variation (mean absolute difference of neighbouring pixels, rows plus
    columns), l1_weight x mean |x|, l2_weight x mean x^2 and diversity_weight x the mean Gram cosine with the
    *other* images of the same map; optionally filtered by the Fourier preconditioner; divided by its RMS; a step
    of epsilon; re-standardized."""
    import tensorflow as tf

    sub = keras.Model(model.input, model.get_layer(layer_name).output)
    maps = np.asarray(maps)
    x = tf.constant(x, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        acts = sub(x, training=False)
        objective = tf.stack([tf.reduce_mean(acts[i, :, :, m]) for i, m in enumerate(maps)])
        tv = (tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]), axis=[1, 2, 3])
              + tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]), axis=[1, 2, 3]))
        l1, l2 = tf.reduce_mean(tf.abs(x), axis=[1, 2, 3]), tf.reduce_mean(x**2, axis=[1, 2, 3])
        flat = tf.reshape(acts, [len(maps), -1, acts.shape[-1]])
        gram = tf.reshape(tf.einsum("bnm,bnk->bmk", flat, flat), [len(maps), -1]) / flat.shape[1]
        unit = gram / tf.norm(gram, axis=1, keepdims=True)
        others = [[j for j in range(len(maps)) if j != i and maps[j] == maps[i]] for i in range(len(maps))]
        similarity = tf.stack([tf.reduce_mean(tf.stack([tf.reduce_sum(unit[i] * unit[j]) for j in js]))
                               if js else tf.constant(0.0) for i, js in enumerate(others)])
        total = tf.reduce_sum(objective - tv_weight * tv - l1_weight * l1 - l2_weight * l2
                              - diversity_weight * similarity)
    grad = tape.gradient(total, x).numpy().astype(np.float64)
    if fourier:
        f = oip.fourier_preconditioner(x.shape[1], x.shape[2])[None, :, :, None]
        grad = np.real(np.fft.ifft2(np.fft.fft2(grad, axes=(1, 2)) * f, axes=(1, 2)))
    rms = np.sqrt((grad**2).mean(axis=(1, 2, 3), keepdims=True))
    grad = np.divide(grad, rms, out=np.zeros_like(grad), where=rms > 0)  # a silent map: no gradient, no step
    moved = x.numpy() + epsilon * grad
    return oip.standardize_per_image(moved)


_EVERY_OPTION = dict(jitter=3, rotate=20.0, scale=0.15, tv_weight=0.05, l1_weight=0.05, l2_weight=0.05,
                     parameterization="fourier", diversity_weight=0.5, precision="bfloat16")

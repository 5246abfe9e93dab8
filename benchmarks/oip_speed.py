#!/usr/bin/env python3
"""Speed of the OIP algorithm (all 128 maps of Conv2D_3, 600 steps) three ways, in one process.

1. eager loop:    one map at a time, a plain eager ``GradientTape`` loop (the naive tutorial approach)
2. compiled loop: one map at a time through ``helpers.oip.run_oip`` (compiled step)
3. batched:       all maps in one batch through ``run_oip`` (one compiled step for all images)

Variants 1 and 2 are timed on a few maps and scaled to 128 (printed as such); variant 3 runs all 128 maps.
The script also measures this machine's float32 matmul peak (2048 x 2048) and prints the FLOP rate that the
batched run achieves as a fraction of it. Uses the committed model (weights matter only for the look of the
patterns, not for the cost). Usage: python benchmarks/oip_speed.py [N_STEPS]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from helpers import device, oip
from helpers import model as cnn_model

LAYER = "Conv2D_3"


def ascent_flops_per_image_step(model, layer_name: str) -> float:
    """FLOPs of one forward pass to ``layer_name`` plus the gradient with respect to the input (conv layers).

    Each convolution costs 2 x (output positions x output maps x kernel size x input maps) FLOPs forward, and
    about the same again for the gradient with respect to its input.
    """
    flops = 0.0
    for layer in model.layers:
        if layer.__class__.__name__ == "Conv2D":
            _, h, w, maps = layer.output.shape
            kh, kw = layer.kernel_size
            flops += 2 * 2 * h * w * maps * kh * kw * layer.input.shape[-1]
        if layer.name == layer_name:
            return flops
    raise ValueError(f"no layer {layer_name!r}")


def matmul_peak_flops(size: int = 2048, repeats: int = 10, trials: int = 5) -> float:
    """Best of ``trials`` timings of ``repeats`` float32 matrix products (size x size): this machine's peak."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    (a @ b).numpy()
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(repeats):
            c = a @ b
        c.numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best


def eager_one_map(model, map_index: int, x0: np.ndarray, n_steps: int, epsilon: float = 0.01) -> np.ndarray:
    """The naive version: the same algorithm, one map, eager TensorFlow, a Python loop."""
    import keras
    import tensorflow as tf

    sub = keras.Model(model.inputs[0], model.get_layer(LAYER).output)
    kernel = tf.constant(oip.gaussian_kernel(oip.DEFAULT_DAMPING_SIGMA["blur"], 1))
    x = tf.Variable(x0)
    for step in range(1, n_steps + 1):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(sub(x, training=False)[..., map_index])
        grad = tape.gradient(loss, x)
        grad = grad / (tf.sqrt(tf.reduce_mean(grad**2)) + 1e-12)
        new = x + epsilon * grad
        if step % 4 == 0:
            new = tf.nn.depthwise_conv2d(tf.pad(new, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"), kernel,
                                         [1, 1, 1, 1], "VALID")
        mean, variance = tf.nn.moments(new, axes=[1, 2, 3], keepdims=True)
        x.assign((new - mean) / tf.sqrt(variance))
    return x.numpy()


def main(n_steps: int = 600) -> None:
    info = device.setup_device()
    model, _, _ = cnn_model.load_model()
    n_maps = oip.layer_info(model, LAYER).n_maps
    x0 = oip.initial_images(n_maps, oip.model_image_shape(model), seed=0)
    print(f"device: {info.device}; {n_maps} maps of {LAYER}, {n_steps} steps each")

    peak = matmul_peak_flops()  # measured first and again last; the higher reading is the machine's peak
    total_flops = ascent_flops_per_image_step(model, LAYER) * n_maps * n_steps
    floor = total_flops / peak
    print(f"matmul peak {peak / 1e9:.0f} GFLOP/s; work {total_flops / 1e12:.2f} TFLOP "
          f"({ascent_flops_per_image_step(model, LAYER) / 1e6:.1f} MFLOP per image-step) -> floor {floor:.1f} s")

    times = {}
    n_eager = 2
    start = time.perf_counter()
    for map_index in range(n_eager):
        eager_one_map(model, map_index, x0[map_index : map_index + 1], n_steps)
    times["eager loop, one map at a time"] = (time.perf_counter() - start) * n_maps / n_eager
    print(f"eager loop:    {n_eager} maps measured, scaled to {n_maps}: {times['eager loop, one map at a time']:7.1f} s", flush=True)

    n_single = 8
    oip.run_oip(model, LAYER, 0, x0=x0[:1], n_steps=3, early_stop=False)  # trace once
    start = time.perf_counter()
    for map_index in range(n_single):
        oip.run_oip(model, LAYER, map_index, x0=x0[map_index : map_index + 1], n_steps=n_steps, early_stop=False)
    times["compiled, one map at a time"] = (time.perf_counter() - start) * n_maps / n_single
    print(f"compiled loop: {n_single} maps measured, scaled to {n_maps}: {times['compiled, one map at a time']:7.1f} s", flush=True)

    oip.run_oip(model, LAYER, range(n_maps), x0=x0, n_steps=3, early_stop=False)  # trace once
    runs = []
    for _ in range(2):  # best of two: a shared machine's background load only ever adds time
        start = time.perf_counter()
        oip.run_oip(model, LAYER, range(n_maps), x0=x0, n_steps=n_steps, early_stop=False)
        runs.append(time.perf_counter() - start)
    times["batched, all maps at once"] = min(runs)
    print(f"batched:       all {n_maps} maps, best of 2 runs:       {times['batched, all maps at once']:7.1f} s", flush=True)

    peak = max(peak, matmul_peak_flops())
    floor = total_flops / peak
    batched = times["batched, all maps at once"]
    print("\nresults (128 maps x {} steps):".format(n_steps))
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:8.1f} s   speed-up vs eager {times['eager loop, one map at a time'] / seconds:7.1f}x")
    print(f"batched run: {total_flops / batched / 1e9:.0f} GFLOP/s = {total_flops / batched / peak:.0%} of the matmul "
          f"peak; {batched / floor:.1f}x the floor of {floor:.1f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600)

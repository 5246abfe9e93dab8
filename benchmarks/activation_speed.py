#!/usr/bin/env python3
"""Throughput of reading out Conv2D_3 and Dense_1 activations for the MNIST test images, three ways, in one process.

1. naive per image:  a sub-model called eagerly on one image at a time, ``sub(x[i:i+1])``
   (timed on ``N_NAIVE`` images: it is slow)
2. Keras predict:    ``keras.Model(model.input, outputs).predict(x)`` with Keras' default batch of 32
3. helpers:          ``activations.extract_many`` (cached sub-model, one traced function, batches of 1000)

Variants 2 and 3 get a warm-up call on 100 images (tracing), then one timed pass over all ``N_IMAGES``; the
cold time of variant 3 (sub-model built and traced inside the timed call) is printed as well. Uses the committed
model if it exists, else an untrained CNN of the same architecture (the cost is the same). Prints images/s and
the ratio against the naive variant.
Usage: python benchmarks/activation_speed.py [N_IMAGES] [N_NAIVE]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from helpers import activations, data, device
from helpers import model as cnn_model

LAYERS = ["Conv2D_3", "Dense_1"]


def main(n_images: int = 10000, n_naive: int = 300) -> None:
    import keras

    info = device.setup_device()
    if cnn_model.COMMITTED_MODEL.is_file():
        model, _, standardizer = cnn_model.load_model()
        source = "committed model"
    else:
        (x_train_uint8, _), _ = data.load_mnist()
        model, standardizer = cnn_model.build_cnn(seed=0), data.Standardizer.fit(x_train_uint8)
        source = "untrained CNN (no committed model yet)"
    _, (x_test_uint8, _) = data.load_mnist()
    x = standardizer.apply(x_test_uint8[:n_images])
    print(f"device: {info.device}, {source}, layers {', '.join(LAYERS)}, {len(x)} test images")

    results = {}

    # 1. naive: one eager call per image
    sub = keras.Model(model.input, [model.get_layer(name).output for name in LAYERS])
    sub(x[:1])
    start = time.perf_counter()
    for i in range(n_naive):
        [np.asarray(t) for t in sub(x[i : i + 1], training=False)]
    results["naive: sub(x[i:i+1]) per image"] = n_naive / (time.perf_counter() - start)

    # 2. Keras predict, default batch size
    sub = keras.Model(model.input, [model.get_layer(name).output for name in LAYERS])
    sub.predict(x[:100], verbose=0)
    start = time.perf_counter()
    reference = sub.predict(x, verbose=0)
    results["keras predict, batch 32"] = len(x) / (time.perf_counter() - start)

    # 3. helpers.activations.extract_many: cold (build + trace inside the timing), then warm
    start = time.perf_counter()
    activations.extract_many(model, x, LAYERS)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    ours = activations.extract_many(model, x, LAYERS)
    results["helpers extract_many, batch 1000"] = len(x) / (time.perf_counter() - start)
    for name, expected in zip(LAYERS, reference):
        np.testing.assert_allclose(ours[name], expected, rtol=1e-4, atol=1e-4)

    for name, rate in results.items():
        print(f"{name:36s} {rate:9.0f} images/s", flush=True)
    print(f"helpers extract_many, first call incl. building and tracing: {cold:.2f} s for {len(x)} images")
    baseline = results["naive: sub(x[i:i+1]) per image"]
    print("\nratio against the naive per-image calls:")
    for name, rate in results.items():
        print(f"  {name:36s} {rate / baseline:7.1f}x")
    print(f"helpers vs keras predict: {results['helpers extract_many, batch 1000'] / results['keras predict, batch 32']:.1f}x")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))

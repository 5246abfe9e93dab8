#!/usr/bin/env python3
"""Training throughput of the series' CNN on this machine, three ways, in one process.

1. naive:      ``model.fit`` on standardized NumPy arrays, batch 64 (the usual tutorial code)
2. tf.data:    the project's ``make_dataset`` pipeline (shuffle, map, prefetch), batch 64
3. tf.data256: the same pipeline with batch 256

Each variant gets a fresh model, one warm-up epoch on a small subset (tracing and compilation), then one timed
epoch on ``N_IMAGES`` images. Prints images/s and the ratio against the naive variant.
Usage: python benchmarks/train_speed.py [N_IMAGES]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from helpers import data, device
from helpers import model as cnn_model


def timed_epoch(fit_once, n_images: int) -> float:
    start = time.perf_counter()
    fit_once()
    return n_images / (time.perf_counter() - start)


def main(n_images: int = 20000) -> None:
    info = device.setup_device()
    (x_train_uint8, y_train), _ = data.load_mnist()
    standardizer = data.Standardizer.fit(x_train_uint8)
    images, labels = x_train_uint8[:n_images], y_train[:n_images]
    warm_images, warm_labels = x_train_uint8[-2048:], y_train[-2048:]
    print(f"device: {info.device}, {n_images} images per timed epoch")

    results = {}
    for name, batch_size, use_pipeline in [("naive numpy fit, batch 64", 64, False),
                                           ("tf.data + prefetch, batch 64", 64, True),
                                           ("tf.data + prefetch, batch 256", 256, True)]:
        config = cnn_model.TrainConfig(batch_size=batch_size)
        device.set_seeds(0)
        model = cnn_model.build_cnn(l2=config.l2, seed=0)
        cnn_model.compile_for_training(model, config, steps_per_epoch=int(np.ceil(n_images / batch_size)))
        if use_pipeline:
            def fit_on(x, y):
                ds = cnn_model.make_dataset(x, y, standardizer, batch_size, shuffle=True, seed=0)
                model.fit(ds, epochs=1, verbose=0, shuffle=False)
        else:
            def fit_on(x, y):
                model.fit(standardizer.apply(x), y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True)
        fit_on(warm_images, warm_labels)
        results[name] = timed_epoch(lambda: fit_on(images, labels), n_images)
        print(f"{name:32s} {results[name]:8.0f} images/s", flush=True)

    baseline = results["naive numpy fit, batch 64"]
    print("\nratio against the naive numpy fit (batch 64):")
    for name, rate in results.items():
        print(f"  {name:32s} {rate / baseline:5.2f}x")
    best = max(results, key=results.get)
    print(f"fastest: {best}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)

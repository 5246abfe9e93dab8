"""Progress bars for long steps (training, OIP runs, scans) that leave nothing behind when they finish.

Bars are ``tqdm`` text bars on stderr with ``leave=False``: JupyterLab and a terminal redraw them in place,
and a finished bar erases itself, so stored notebook outputs keep only the results (``make run`` drops the
erased bar's carriage returns). Bars are off when stderr is neither a terminal nor a notebook kernel's,
unless asked for explicitly. This module is a leaf: it imports nothing else from ``helpers``.
"""

from __future__ import annotations

import os
import sys

from helpers import checks

__all__ = ["PROGRESS_ENV", "enabled", "bar", "keras_callback"]

PROGRESS_ENV = "MNIST_OIP_PROGRESS"
"""Set to 0 to switch every bar off, to 1 to force bars on (e.g. in a log)."""


def enabled(requested: bool | None = None) -> bool:
    """Whether to show a bar: ``requested`` if given, else the environment switch, else a kernel or a terminal."""
    if requested is not None:
        return checks.flag("progress", requested, allow_none=True)
    switch = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if switch in ("0", "false", "no", "off"):
        return False
    if switch in ("1", "true", "yes", "on"):
        return True
    return "ipykernel" in sys.modules or sys.stderr.isatty()


def bar(total: int, desc: str, unit: str = "step", progress: bool | None = None):
    """A ``tqdm`` bar over ``total`` units that erases itself when closed (a no-op bar when disabled).

    Use it as a context manager and call ``update(n)``.
    """
    from tqdm import tqdm

    total = checks.integer("total", total, 0)
    checks.string("desc", desc, allow_empty=True)
    checks.string("unit", unit)
    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr, disable=not enabled(progress),
                dynamic_ncols=True, mininterval=0.5)


def keras_callback(epochs: int, steps_per_epoch: int, progress: bool | None = None):
    """A Keras callback that shows one bar over all training batches (epoch k of n in its description)."""
    import keras

    epochs = checks.integer("epochs", epochs, 1)
    steps_per_epoch = checks.integer("steps_per_epoch", steps_per_epoch, 1)
    enabled(progress)

    class TrainingBar(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = bar(epochs * steps_per_epoch, f"training, epoch 1/{epochs}", unit="batch", progress=progress)

        def on_epoch_begin(self, epoch, logs=None):
            self.bar.set_description(f"training, epoch {epoch + 1}/{epochs}", refresh=False)

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return TrainingBar()

"""The series' CNN: building, training recipes, atomic saving with a JSON record, and checked loading.

Architecture (layer names are stable; later notebooks refer to them)::

    Input (28, 28, 1) -> Conv2D_1 (32 maps, 3x3, ReLU) -> MaxPool_1 (2x2)
    -> Conv2D_2 (64) -> MaxPool_2 -> Conv2D_3 (128 maps of 3x3 nodes) -> Flatten
    -> Dense_1 (70, ReLU; the "MLP part") -> Dense_2 (10 logits) -> Softmax

The logits layer ``Dense_2`` is separate from the ``Softmax`` layer so that class objectives can use the
logits (softmax "swapped for linear") without rebuilding the model.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpers import checks, data, device, files

__all__ = [
    "ModelFileError", "TrainingDivergedError", "build_cnn", "build_mlp", "TrainConfig", "TrainResult",
    "make_schedule", "learning_rates_per_epoch", "make_optimizer", "check_images_and_labels",
    "augment_images", "make_dataset", "split_train_validation", "apply_l2",
    "kernel_norm", "compile_for_training", "train", "evaluate_accuracy", "predict_probabilities", "predict_classes",
    "make_record", "record_path", "check_record", "save_model", "read_record", "load_model",
]

MODELS_DIR = Path(__file__).resolve().parent.parent / "data" / "models"
"""Where the committed, trained model and its record live."""

COMMITTED_MODEL = MODELS_DIR / "mnist_cnn.keras"
"""The trained model that the notebooks explain (its record is ``mnist_cnn.json`` beside it)."""

RECORD_FORMAT = "mnist-oip-model-record"
RECORD_VERSION = 1

VALID_OPTIMIZERS = ("sgd", "adam")
VALID_SCHEDULES = ("constant", "exponential", "step", "cosine")
MAX_EPOCHS = 10_000
"""The most epochs a recipe may ask for (one epoch of MNIST takes about 20 s on a laptop CPU)."""
MAX_BATCH = 60_000
"""The largest batch size: the whole MNIST training set; a larger batch fails inside TensorFlow."""
MAX_IMAGES = 10_000_000
"""The largest ``validation_size`` or ``train_size``: more images than fit in memory."""
MAX_LAYER_SIZE = 65_536
"""The most maps or units :func:`build_cnn` and :func:`build_mlp` build per layer (and the largest input side)."""


class ModelFileError(ValueError):
    """A saved model or its record is missing, corrupt, or incompatible with this code."""


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite: training was stopped and no result is returned."""


def _sizes(name: str, values, count: int | None = None) -> tuple[int, ...]:
    """``values`` as a tuple of layer sizes in 1..:data:`MAX_LAYER_SIZE` (``count`` of them if given)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise checks.WrongTypeError(f"{name} must be a sequence of positive integers, got {type(values).__name__} "
                                    f"{values!r}")
    if count is not None and len(values) != count:
        raise ValueError(f"{name} must give {count} sizes, got {tuple(values)}")
    return tuple(checks.size(f"each of {name}", v, MAX_LAYER_SIZE, "model.MAX_LAYER_SIZE") for v in values)


def _regularizer(l2):
    import keras

    l2 = checks.real("l2", l2, 0, 1e6, why="the recipe uses 1e-4")
    return keras.regularizers.L2(l2) if l2 > 0 else None


def build_cnn(
    input_shape: tuple[int, int, int] = (28, 28, 1),
    n_classes: int = 10,
    conv_filters: Sequence[int] = (32, 64, 128),
    kernel_size: int = 3,
    dense_units: int = 70,
    l2: float = 0.0,
    seed: int | None = None,
) -> "keras.Model":  # noqa: F821
    """Build (uncompiled) the functional CNN of the series; sizes are parameters with the series' defaults.

    Args:
        input_shape: (height, width, channels) of the standardized input images.
        conv_filters: maps of Conv2D_1, Conv2D_2, Conv2D_3 (a max-pooling layer follows the first two).
        dense_units: nodes of the hidden dense layer Dense_1 (the MLP part).
        l2: L2 penalty factor on every kernel (0 disables the regularizer).
        seed: seed of the weight initializers (None: from the global seed).
    """
    import keras

    input_shape = _sizes("input_shape", input_shape, 3)
    n_classes = checks.size("n_classes", n_classes, MAX_LAYER_SIZE, "model.MAX_LAYER_SIZE")
    conv_filters = _sizes("conv_filters (the maps of the three conv layers)", conv_filters, 3)
    kernel_size = checks.size("kernel_size", kernel_size, min(input_shape[:2]), "the input's smaller side")
    dense_units = checks.size("dense_units", dense_units, MAX_LAYER_SIZE, "model.MAX_LAYER_SIZE")
    seed = None if seed is None else checks.integer("seed", seed, 0, 2**31 - 1, "TensorFlow's 31-bit seeds")
    regularizer = _regularizer(l2)

    def init(i: int):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)

    def conv(i: int, filters: int):
        return keras.layers.Conv2D(
            filters, kernel_size, activation="relu", kernel_regularizer=regularizer,
            kernel_initializer=init(i), name=f"Conv2D_{i}",
        )

    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = conv(1, conv_filters[0])(inputs)
    x = keras.layers.MaxPooling2D(2, name="MaxPool_1")(x)
    x = conv(2, conv_filters[1])(x)
    x = keras.layers.MaxPooling2D(2, name="MaxPool_2")(x)
    x = conv(3, conv_filters[2])(x)
    x = keras.layers.Flatten(name="Flatten")(x)
    x = keras.layers.Dense(dense_units, activation="relu", kernel_regularizer=regularizer,
                           kernel_initializer=init(4), name="Dense_1")(x)
    x = keras.layers.Dense(n_classes, kernel_regularizer=regularizer, kernel_initializer=init(5), name="Dense_2")(x)
    outputs = keras.layers.Softmax(name="Softmax")(x)
    return keras.Model(inputs, outputs, name="mnist_cnn")


def build_mlp(
    input_shape: tuple[int, int, int] = (28, 28, 1),
    hidden_units: Sequence[int] = (70, 30),
    n_classes: int = 10,
    l2: float = 0.0,
    seed: int | None = None,
) -> "keras.Model":  # noqa: F821
    """A plain dense network (e.g. 784 -> 70 -> 30 -> 10) as a baseline without convolutions."""
    import keras

    input_shape = _sizes("input_shape", input_shape, 3)
    hidden_units = _sizes("hidden_units", hidden_units)
    n_classes = checks.size("n_classes", n_classes, MAX_LAYER_SIZE, "model.MAX_LAYER_SIZE")
    seed = None if seed is None else checks.integer("seed", seed, 0, 2**31 - 1, "TensorFlow's 31-bit seeds")
    regularizer = _regularizer(l2)
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = keras.layers.Flatten(name="Flatten")(inputs)
    for i, units in enumerate(hidden_units, start=1):
        x = keras.layers.Dense(units, activation="relu", kernel_regularizer=regularizer,
                               kernel_initializer=keras.initializers.GlorotUniform(seed=None if seed is None else seed + i),
                               name=f"Dense_{i}")(x)
    x = keras.layers.Dense(n_classes, kernel_regularizer=regularizer, name=f"Dense_{len(hidden_units) + 1}")(x)
    return keras.Model(inputs, keras.layers.Softmax(name="Softmax")(x), name="mnist_mlp")


@dataclass
class TrainConfig:
    """One training recipe; the defaults are the recipe of the committed model. Schedules are per epoch.

    - ``optimizer``: "sgd" (with ``momentum``; 0 gives plain SGD) or "adam".
    - ``schedule``: "constant"; "exponential" (lr x ``decay_rate`` every epoch, smoothly per step);
      "step" (lr x ``decay_rate`` after every ``step_epochs`` epochs); "cosine" (cosine decay to 0 over ``epochs``).
    - ``l2``: L2 penalty on all kernels. ``augment``: random shifts of up to ``shift_pixels`` and rotations of
      up to ``rotation_degrees`` on the training images (never on validation or test images).
    - ``validation_size``: images held out from the end of the training set (the test set is for the final
      number only). ``train_size``: use only the first n training images (None: all), e.g. for CI's fast path.
    """

    epochs: int = 15
    batch_size: int = 64
    optimizer: str = "sgd"
    learning_rate: float = 0.05
    momentum: float = 0.9
    schedule: str = "exponential"
    decay_rate: float = 0.8
    step_epochs: int = 5
    l2: float = 1e-4
    augment: bool = True
    shift_pixels: float = 2.0
    rotation_degrees: float = 10.0
    validation_size: int = 5000
    train_size: int | None = None
    seed: int = 42

    def __post_init__(self) -> None:
        # checked, not converted: the record and the repr show the values as given
        for name in ("optimizer", "schedule"):
            checks.string(name, getattr(self, name))
        checks.choice("optimizer", self.optimizer, VALID_OPTIMIZERS)
        checks.choice("schedule", self.schedule, VALID_SCHEDULES)
        checks.size("epochs", self.epochs, MAX_EPOCHS, "model.MAX_EPOCHS; an epoch of MNIST takes about 20 s on a "
                    "laptop CPU")
        checks.size("batch_size", self.batch_size, MAX_BATCH, "model.MAX_BATCH, the whole MNIST training set")
        checks.size("step_epochs", self.step_epochs, MAX_EPOCHS, "model.MAX_EPOCHS")
        checks.size("validation_size", self.validation_size, MAX_IMAGES, "model.MAX_IMAGES")
        if self.train_size is not None:
            checks.size("train_size", self.train_size, MAX_IMAGES, "model.MAX_IMAGES")
        checks.integer("seed", self.seed, 0, 2**31 - 1, "TensorFlow's 31-bit seeds")
        checks.flag("augment", self.augment)
        checks.real("learning_rate", self.learning_rate, 0, 1e6, open_low=True, why="the recipe uses 0.01..0.05")
        checks.real("momentum", self.momentum, 0, 0.999)
        checks.real("decay_rate", self.decay_rate, 0, 1, open_low=True)
        checks.real("l2", self.l2, 0, 1e6, why="the recipe uses 1e-4")
        checks.real("shift_pixels", self.shift_pixels, 0, 14)
        checks.real("rotation_degrees", self.rotation_degrees, 0, 180)
        if self.schedule != "step":
            checks.unused("step_epochs", self.step_epochs, 5, "only with schedule='step'")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> "TrainConfig":
        if not isinstance(record, dict):
            raise checks.WrongTypeError(f"record must be a dict of training settings (TrainConfig.to_dict()), got "
                                        f"{type(record).__name__} {record!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise ValueError(f"unknown training settings {unknown}; valid: {sorted(known)}")
        return cls(**record)


def _check_config(config, name: str = "config") -> "TrainConfig":
    if not isinstance(config, TrainConfig):
        raise checks.WrongTypeError(f"{name} must be a TrainConfig, got {type(config).__name__}")
    return config


def _check_steps(steps_per_epoch) -> int:
    return checks.size("steps_per_epoch", steps_per_epoch, MAX_IMAGES, "model.MAX_IMAGES")


def _check_standardizer(standardizer) -> data.Standardizer:
    if not isinstance(standardizer, data.Standardizer):
        raise checks.WrongTypeError(f"standardizer must be a data.Standardizer, got {type(standardizer).__name__}")
    return standardizer


def make_schedule(config: TrainConfig, steps_per_epoch: int):
    """The learning rate as a Keras schedule of the optimizer step (or a float for "constant")."""
    import keras

    _check_config(config)
    steps_per_epoch = _check_steps(steps_per_epoch)

    lr = config.learning_rate
    if config.schedule == "constant":
        return lr
    if config.schedule == "exponential":
        return keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=steps_per_epoch, decay_rate=config.decay_rate)
    if config.schedule == "step":
        n_drops = max(0, (config.epochs - 1) // config.step_epochs)
        # a boundary b means "steps <= b keep the old rate": the new rate starts at the epoch's first step
        boundaries = [steps_per_epoch * config.step_epochs * (k + 1) - 1 for k in range(n_drops)]
        values = [lr * config.decay_rate**k for k in range(n_drops + 1)]
        return keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values) if boundaries else lr
    return keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps_per_epoch * config.epochs)


def learning_rates_per_epoch(config: TrainConfig, steps_per_epoch: int) -> np.ndarray:
    """Learning rate at the first step of each epoch, shape (epochs,): for plotting a schedule."""
    _check_config(config)
    steps_per_epoch = _check_steps(steps_per_epoch)
    schedule = make_schedule(config, steps_per_epoch)
    steps = np.arange(config.epochs) * steps_per_epoch
    if isinstance(schedule, float):
        return np.full(config.epochs, schedule)
    return np.array([float(schedule(int(s))) for s in steps])


def make_optimizer(config: TrainConfig, steps_per_epoch: int):
    """The Keras optimizer for ``config`` with its learning-rate schedule."""
    import keras

    lr = make_schedule(config, steps_per_epoch)
    if config.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=config.momentum)
    return keras.optimizers.Adam(learning_rate=lr)


def check_images_and_labels(images_uint8: np.ndarray, labels: np.ndarray, n_classes: int = 10) -> None:
    """Raise a clear error unless ``images_uint8`` are raw pixels (n, h, w) and ``labels`` (n,) class indices.

    Raw pixels are integers or floats in 0..255; standardized images (negative values) are refused, and
    images scaled to 0..1 are refused too, because the recipe standardizes raw pixels itself.
    """
    n_classes = checks.size("n_classes", n_classes, MAX_LAYER_SIZE, "model.MAX_LAYER_SIZE")
    images = checks.finite_array("images (raw pixels 0..255)", images_uint8)
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(f"images must have shape (n, height, width) with n >= 1, got {images.shape}")
    if np.issubdtype(images.dtype, np.floating):
        low, high = float(images.min()), float(images.max())
        if low < 0 or high > 255 or high <= 1.0:
            raise ValueError(
                f"images must be raw pixels in 0..255 (uint8 as load_mnist returns them), got values in "
                f"{low:.3g}..{high:.3g}: they look standardized or scaled already"
            )
    if np.shape(labels) != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},), one per image, got {np.shape(labels)}")
    checks.labels("labels", labels, n_classes)


def augmentation_transforms(seed, batch_size, height: int, width: int, shift_pixels: float, rotation_degrees: float):
    """Random rotation-plus-shift transforms for one batch, drawn statelessly from ``seed`` (2 int32 values).

    Returns ``(batch_size, 8)`` projective transforms in the layout of :func:`keras.ops.image.affine_transform`
    (output pixel -> input pixel): a rotation by up to ``rotation_degrees`` about the image centre followed by a
    shift of up to ``shift_pixels`` in each direction. The same seed always gives the same transforms, whichever
    thread computes them: this is what makes augmented training reproducible.
    """
    import tensorflow as tf

    draws = tf.random.stateless_uniform((batch_size, 3), seed=seed, minval=-1.0, maxval=1.0)
    angle = draws[:, 0] * (rotation_degrees * np.pi / 180.0)
    dx, dy = draws[:, 1] * shift_pixels, draws[:, 2] * shift_pixels
    cos, sin = tf.cos(angle), tf.sin(angle)
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    zeros = tf.zeros_like(angle)
    # input = R^-1 (output - centre - shift) + centre, with R^-1 = [[cos, sin], [-sin, cos]]
    return tf.stack([
        cos, sin, cx - cos * (cx + dx) - sin * (cy + dy),
        -sin, cos, cy + sin * (cx + dx) - cos * (cy + dy),
        zeros, zeros,
    ], axis=1)


def _augment(x, seed, config: TrainConfig):
    """Rotate and shift a batch ``x`` (n, h, w, c) of raw pixels with transforms keyed by ``seed``; empty paper
    (0) fills what is shifted in."""
    import keras
    import tensorflow as tf

    height, width = int(x.shape[1]), int(x.shape[2])
    transforms = augmentation_transforms(seed, tf.shape(x)[0], height, width, config.shift_pixels,
                                         config.rotation_degrees)
    return keras.ops.image.affine_transform(x, transforms, interpolation="bilinear", fill_mode="constant",
                                            fill_value=0.0)


def augment_images(images_uint8: np.ndarray, config: TrainConfig, seed: tuple[int, int] = (0, 0)) -> np.ndarray:
    """The training augmentation of ``config`` applied once to raw images (n, h, w): float32 (n, h, w) pixels.

    For looking at what training sees; ``seed`` (two integers) picks the random shifts and rotations.
    """
    import tensorflow as tf

    images = checks.finite_array("images (raw pixels 0..255)", images_uint8, ndim=3)
    _check_config(config)
    if isinstance(seed, (str, bytes)) or np.shape(seed) != (2,) or not all(
            checks.is_integer(v) and -2**63 <= v < 2**63 for v in seed):
        raise checks.WrongTypeError(f"seed must be two integers, e.g. (0, 0), got {seed!r}")
    x = tf.constant(images[..., np.newaxis].astype(np.float32))
    return np.asarray(_augment(x, tf.constant(seed, tf.int64), config))[..., 0]


def make_dataset(
    images_uint8: np.ndarray,
    labels: np.ndarray,
    standardizer: data.Standardizer,
    batch_size: int,
    shuffle: bool = False,
    augment: TrainConfig | None = None,
    seed: int = 0,
    epochs: int = 1,
):
    """A ``tf.data`` pipeline of standardized ``(batch, 28, 28, 1)`` images and labels for ``epochs`` epochs.

    Deterministic: the order of epoch ``e`` is a stateless shuffle keyed by ``(seed, e)``, and the augmentation
    of global batch ``b`` (``augment`` is a config with ``augment=True``: random shifts and rotations, applied
    to raw ink values so that the area shifted in is empty paper, before standardization) is keyed by
    ``(seed, b)``. So the same arguments give the same batches in every run, whatever the thread scheduling.
    """
    import tensorflow as tf

    check_images_and_labels(images_uint8, labels)
    _check_standardizer(standardizer)
    batch_size = checks.size("batch_size", batch_size, MAX_BATCH, "model.MAX_BATCH, the whole MNIST training set")
    shuffle = checks.flag("shuffle", shuffle)
    if augment is not None:
        _check_config(augment, "augment (a TrainConfig or None)")
    seed = checks.integer("seed", seed, 0, 2**63 - 1, "64-bit seeds")
    epochs = checks.size("epochs", epochs, MAX_EPOCHS, "model.MAX_EPOCHS")
    images = tf.constant(np.asarray(images_uint8)[..., np.newaxis])
    targets = tf.constant(np.asarray(labels, dtype=np.int32))
    n = len(images_uint8)
    steps_per_epoch = int(np.ceil(n / batch_size))
    mean, std = np.float32(standardizer.mean), np.float32(standardizer.std)
    augmenting = augment is not None and augment.augment

    def epoch_batches(epoch):
        key = tf.stack([tf.constant(seed, tf.int64), epoch])
        order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=key) if shuffle else tf.range(n)
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size).enumerate()
        return batches.map(lambda b, idx: (epoch * steps_per_epoch + b, idx))

    def load(step, idx):
        x = tf.cast(tf.gather(images, idx), tf.float32)
        if augmenting:
            x = _augment(x, tf.stack([tf.constant(seed, tf.int64), step]), augment)
        return (x - mean) / std, tf.gather(targets, idx)

    ds = tf.data.Dataset.range(epochs).flat_map(epoch_batches)
    ds = ds.apply(tf.data.experimental.assert_cardinality(epochs * steps_per_epoch))  # Keras knows the length
    return ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)


def split_train_validation(
    images_uint8: np.ndarray, labels: np.ndarray, config: TrainConfig
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out the last ``validation_size`` training images; optionally keep only ``train_size`` of the rest."""
    _check_config(config)
    images = checks.finite_array("images_uint8", images_uint8, allow_empty=False)
    checks.labels("labels", labels, count=len(images), per="image of images_uint8")
    n = len(images_uint8)
    if config.validation_size >= n:
        raise ValueError(f"validation_size {config.validation_size} leaves no training images (have {n})")
    cut = n - config.validation_size
    train_end = cut if config.train_size is None else min(cut, config.train_size)
    val = (images_uint8[cut:], labels[cut:])
    return (images_uint8[:train_end], labels[:train_end]), val


@dataclass
class TrainResult:
    """What :func:`train` returns: per-epoch history (Keras' metrics, ``lr`` and ``kernel_norm`` at each epoch's
    end), the best epoch and the timing."""

    history: dict[str, list[float]]
    best_epoch: int  # 1-based epoch with the highest validation accuracy (its weights are in the model)
    best_val_accuracy: float
    train_seconds: float
    images_per_second: float


def _epoch_logger(epochs: int):
    import keras

    class EpochLog(keras.callbacks.Callback):
        """One compact line per epoch (no timings: stored notebook outputs stay comparable)."""

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            print(
                f"epoch {epoch + 1:2d}/{epochs}  loss {logs.get('loss', float('nan')):.4f}  "
                f"acc {logs.get('accuracy', float('nan')):.4f}  val_loss {logs.get('val_loss', float('nan')):.4f}  "
                f"val_acc {logs.get('val_accuracy', float('nan')):.4f}",
                flush=True,
            )

    return EpochLog()


def apply_l2(model, l2: float) -> int:
    """Put an L2 penalty ``l2 * sum(w**2)`` on every kernel of ``model`` (0 removes it); returns how many kernels.

    :func:`train` calls this with ``TrainConfig.l2``, so the recipe, not the way the model was built, decides.
    """
    checks.keras_model("model", model)
    regularizer = _regularizer(l2)
    count = 0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and hasattr(layer, "kernel_regularizer"):
            layer.kernel_regularizer = regularizer
            kernel.regularizer = regularizer
            count += 1
    return count


def kernel_norm(model) -> float:
    """Root of the sum of squared kernel weights over all layers (biases excluded): what L2 penalizes."""
    checks.keras_model("model", model)
    return float(np.sqrt(sum(float(np.sum(np.square(np.asarray(layer.kernel))))
                             for layer in model.layers if getattr(layer, "kernel", None) is not None)))


def _kernel_norm_logger():
    import keras

    class KernelNorm(keras.callbacks.Callback):
        """Adds ``kernel_norm`` at each epoch's end to the logs (and so to the training history)."""

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None:
                logs["kernel_norm"] = kernel_norm(self.model)

    return KernelNorm()


def compile_for_training(model, config: TrainConfig, steps_per_epoch: int) -> None:
    """Compile ``model`` with the optimizer and schedule of ``config``, cross-entropy loss and accuracy."""
    checks.keras_model("model", model)
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def train(
    model,
    config: TrainConfig,
    images_uint8: np.ndarray,
    labels: np.ndarray,
    standardizer: data.Standardizer,
    verbose: int = 1,
    progress: bool | None = None,
) -> TrainResult:
    """Train ``model`` on the training split of ``images_uint8`` with the recipe ``config``, reproducibly.

    Every setting of ``config`` takes effect here (its L2 factor too, through :func:`apply_l2`). Seeds and
    TensorFlow's deterministic ops are set from ``config.seed``, and the input pipeline is keyed by the seed
    (:func:`make_dataset`), so two runs with the same config on the same machine give bit-identical weights.
    The last ``config.validation_size`` images are held out for validation; after training the model holds
    the weights of the epoch with the best validation accuracy (Keras' ``EarlyStopping`` with
    ``restore_best_weights``, never stopping early).

    Args:
        images_uint8: training images (n, 28, 28) as raw pixels 0..255; labels (n,) in 0..9.
        verbose: 0 silent, 1 one compact line per epoch, 2 Keras' own per-epoch lines.
        progress: a bar over the batches while training runs (None: automatic, see :mod:`helpers.progress`).
    """
    import keras

    from helpers import progress as progress_bars

    checks.keras_model("model", model)
    _check_config(config)
    _check_standardizer(standardizer)
    verbose = checks.choice("verbose", verbose, (0, 1, 2))
    progress = checks.flag("progress", progress, allow_none=True)
    check_images_and_labels(images_uint8, labels, n_classes=int(model.output_shape[-1]))
    (x_tr, y_tr), (x_val, y_val) = split_train_validation(images_uint8, labels, config)
    device.set_seeds(config.seed, deterministic=True)
    apply_l2(model, config.l2)
    steps_per_epoch = int(np.ceil(len(x_tr) / config.batch_size))
    train_ds = make_dataset(x_tr, y_tr, standardizer, config.batch_size, shuffle=True, augment=config,
                            seed=config.seed, epochs=config.epochs)
    val_ds = make_dataset(x_val, y_val, standardizer, 256)
    compile_for_training(model, config, steps_per_epoch)
    keeper = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max", patience=config.epochs + 1,
                                           restore_best_weights=True)
    callbacks = [keras.callbacks.TerminateOnNaN(), _kernel_norm_logger(), keeper,
                 progress_bars.keras_callback(config.epochs, steps_per_epoch, progress)]
    if verbose == 1:
        callbacks.append(_epoch_logger(config.epochs))
    start = time.perf_counter()
    fit = model.fit(train_ds, validation_data=val_ds, epochs=config.epochs, steps_per_epoch=steps_per_epoch,
                    callbacks=callbacks, shuffle=False, verbose=2 if verbose == 2 else 0)  # the dataset shuffles
    seconds = time.perf_counter() - start
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    _refuse_divergence(model, config, history)
    history["lr"] = learning_rates_per_epoch(config, steps_per_epoch).tolist()
    return TrainResult(
        history=history,
        best_epoch=keeper.best_epoch + 1,
        best_val_accuracy=float(keeper.best),
        train_seconds=seconds,
        images_per_second=len(x_tr) * config.epochs / seconds,
    )


def _refuse_divergence(model, config: TrainConfig, history: dict) -> None:
    """Raise :class:`TrainingDivergedError` if the loss or the weights became NaN or infinite (Keras'
    ``TerminateOnNaN`` has stopped the run then): a model with NaN weights is never returned as a result."""
    losses = history.get("loss", [])
    bad_epoch = next((i + 1 for i, value in enumerate(losses) if not np.isfinite(value)), None)
    weights_finite = all(np.isfinite(np.asarray(w)).all() for w in model.get_weights())
    if bad_epoch is None and weights_finite and len(losses) == config.epochs:
        return
    where = f"in epoch {bad_epoch}" if bad_epoch is not None else "in the weights"
    raise TrainingDivergedError(
        f"training diverged: the loss became NaN or infinite {where} and training was stopped; the model's "
        f"weights are unusable. Most likely cause: learning_rate={config.learning_rate:g} is too large for "
        f"optimizer {config.optimizer!r} (the recipe uses 0.01..0.05); try a learning rate 10x smaller"
    )


def evaluate_accuracy(model, images_uint8: np.ndarray, labels: np.ndarray, standardizer: data.Standardizer) -> float:
    """Fraction of correctly classified images (raw pixels ``(n, h, w)`` 0..255 and labels ``(n,)``)."""
    check_images_and_labels(images_uint8, labels, n_classes=int(checks.keras_model("model", model).output_shape[-1]))
    predictions = predict_classes(model, images_uint8, standardizer)
    return float(np.mean(predictions == np.asarray(labels)))


def predict_probabilities(model, images_uint8: np.ndarray, standardizer: data.Standardizer, batch_size: int = 1000) -> np.ndarray:
    """Class probabilities, shape (n, n_classes)."""
    checks.keras_model("model", model)
    _check_standardizer(standardizer)
    batch_size = checks.size("batch_size", batch_size, MAX_BATCH, "model.MAX_BATCH")
    return np.asarray(model.predict(standardizer.apply(images_uint8), batch_size=batch_size, verbose=0))


def predict_classes(model, images_uint8: np.ndarray, standardizer: data.Standardizer) -> np.ndarray:
    """Predicted class per image, shape (n,)."""
    return predict_probabilities(model, images_uint8, standardizer).argmax(axis=1)


# ----------------------------------------------------------------------------------------------- saving


def make_record(
    model,
    standardizer: data.Standardizer,
    config: TrainConfig,
    result: TrainResult,
    test_accuracy: float,
) -> dict:
    """The JSON record saved beside a model: everything needed to trust and reuse it."""
    import keras
    import tensorflow as tf

    checks.keras_model("model", model)
    _check_standardizer(standardizer)
    _check_config(config)
    if not isinstance(result, TrainResult):
        raise checks.WrongTypeError(f"result must be a TrainResult (from train), got {type(result).__name__}")
    test_accuracy = checks.real("test_accuracy", test_accuracy, 0, 1)

    return {
        "format": RECORD_FORMAT,
        "format_version": RECORD_VERSION,
        "model_name": model.name,
        "input_shape": list(model.input_shape[1:]),
        "layer_names": [layer.name for layer in model.layers],
        "standardization": standardizer.to_dict(),
        "config": config.to_dict(),
        "data_sha256": dict(data.MNIST_SHA256),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "numpy": np.__version__,
        },
        "best_epoch": result.best_epoch,
        "val_accuracy": result.best_val_accuracy,
        "test_accuracy": test_accuracy,
        "train_seconds": round(result.train_seconds, 1),
        "history": result.history,
    }


def record_path(model_path: str | Path) -> Path:
    """The JSON record that belongs to a ``.keras`` file (same name, ``.json``)."""
    return checks.file_path("model_path", model_path).with_suffix(".json")


_RECORD_FIELDS = {
    "format": str, "format_version": int, "input_shape": list, "layer_names": list,
    "standardization": dict, "versions": dict,
}


def check_record(record: dict, where: str = "record", saved: bool = True) -> None:
    """Raise :class:`ModelFileError` unless ``record`` is a complete model record with fields of the right type.

    ``saved=False`` checks a record about to be saved (``model_sha256`` and ``model_file`` are added then).
    """
    checks.string("where", where)
    checks.flag("saved", saved)
    if not isinstance(record, dict):
        raise ModelFileError(f"{where}: a record must be a dict (see make_record), got {type(record).__name__}")
    fields = dict(_RECORD_FIELDS, **({"model_sha256": str} if saved else {}))
    missing = [k for k in fields if k not in record]
    if missing:
        raise ModelFileError(f"{where}: the record lacks {missing} (make_record writes a complete one)")
    wrong = [f"{k} ({type(record[k]).__name__}, expected {t.__name__})" for k, t in fields.items()
             if not isinstance(record[k], t) or isinstance(record[k], bool)]
    if wrong:
        raise ModelFileError(f"{where}: record fields of the wrong type: {', '.join(wrong)}")
    if record["format"] != RECORD_FORMAT:
        raise ModelFileError(f"{where}: not a {RECORD_FORMAT} record (format {record['format']!r})")
    if record["format_version"] != RECORD_VERSION:
        raise ModelFileError(
            f"{where}: record format version {record['format_version']!r} is not supported "
            f"(this code reads version {RECORD_VERSION})"
        )
    try:
        data.Standardizer.from_dict(record["standardization"])
    except ValueError as e:
        raise ModelFileError(f"{where}: bad standardization ({e}); std must be a finite number > 0") from e
    if not isinstance(record["versions"].get("keras"), str):
        raise ModelFileError(f"{where}: the record's versions lack the Keras version")


def save_model(model, record: dict, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``model`` as a ``.keras`` file and ``record`` as JSON beside it, as one atomic pair.

    Both files are written to hidden temporary files in the target folder first; then the pair is published
    (:func:`helpers.files.publish_pair`): a reader finds either the previous pair or the new one, never a mix,
    and :func:`load_model` recovers the previous pair if the process died between the two renames. No
    temporary file outlives a failure, and the original error is reported. The record is checked before
    anything is written. Existing files are replaced only with ``overwrite=True``.
    """
    checks.keras_model("model", model)
    path = checks.file_path("path", path)
    if path.suffix != ".keras":
        raise ValueError(f"model files use the .keras format; got {path.name!r}")
    overwrite = checks.flag("overwrite", overwrite)
    check_record(record, where="save_model", saved=False)
    json_path = record_path(path)
    files.check_overwrite([path, json_path], overwrite)
    tmp_model = files.temporary_path(path)
    tmp_json = None
    try:
        model.save(tmp_model, overwrite=True)
        full_record = dict(record, model_file=path.name, model_sha256=files.sha256_of(tmp_model))
        tmp_json = files.temporary_path(json_path)
        tmp_json.write_text(json.dumps(full_record, indent=1, sort_keys=True) + "\n")
    except BaseException:
        for leftover in (tmp_model, tmp_json):
            if leftover is not None and leftover.exists():
                leftover.unlink()
        raise
    files.publish_pair((tmp_model, path), (tmp_json, json_path))
    return path


def read_record(path: str | Path) -> dict:
    """Read and check the JSON record of a model file (not the model itself)."""
    json_path = record_path(path)
    if not json_path.is_file():
        raise ModelFileError(f"{json_path}: the model's record is missing (every saved model has a .json record beside it)")
    try:
        record = json.loads(json_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{json_path}: the record is corrupt (not valid JSON: {e})") from e
    check_record(record, where=str(json_path))
    return record


def _model_file_matching(path: Path, record: dict) -> Path:
    """The file holding the model that ``record`` describes: ``path``, or the previous copy that an
    interrupted :func:`save_model` left beside it (the old record still describes the old model)."""
    if files.sha256_of(path) == record["model_sha256"]:
        return path
    previous = files.previous_copy(path)
    if previous.is_file() and files.sha256_of(previous) == record["model_sha256"]:
        return previous
    raise ModelFileError(
        f"{path}: the model file does not match its record (SHA-256 differs): it is corrupt or was replaced "
        "without its record"
    )


def load_model(path: str | Path = COMMITTED_MODEL):
    """Load a saved model and its record, checking that they belong together.

    Returns ``(model, record, standardizer)``. Loading uses Keras' safe mode (no arbitrary code runs).
    Raises :class:`ModelFileError` for a missing, corrupt or altered file, a record that does not match the
    model, or a model saved by an incompatible Keras major version.
    """
    import keras

    path = checks.file_path("path", path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file is missing")
    record = read_record(path)
    source = _model_file_matching(path, record)
    saved_major = record["versions"]["keras"].split(".")[0]
    if saved_major != keras.__version__.split(".")[0]:
        raise ModelFileError(
            f"{path}: saved with Keras {record['versions']['keras']}, incompatible with the installed "
            f"Keras {keras.__version__}"
        )
    if not zipfile.is_zipfile(source):
        raise ModelFileError(f"{source}: not a Keras archive (a .keras file is a zip archive): truncated or not a model")
    try:
        model = keras.saving.load_model(source, safe_mode=True, compile=False)
    except Exception as e:  # Keras raises many types for a broken archive
        raise ModelFileError(f"{path}: not a loadable .keras model ({type(e).__name__}: {e})") from e
    if list(model.input_shape[1:]) != list(record["input_shape"]) or [l.name for l in model.layers] != record["layer_names"]:
        raise ModelFileError(f"{path}: the model's input shape or layers differ from its record")
    return model, record, data.Standardizer.from_dict(record["standardization"])

"""Compute device, threads, reproducibility and the CI fast-path switch.

This is the TF2 form of the classic "GPU cell" at the top of a notebook: call :func:`setup_device` once,
before any model is built, then :func:`set_seeds` for reproducible runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from helpers import checks

FAST_PATH_ENV = "MNIST_OIP_FAST"
"""Environment variable that switches long notebook steps to a short version (set by the test suite)."""

STORING_RUN_ENV = "MNIST_OIP_STORE"
"""Environment variable set by ``make run`` (``scripts/run_notebooks.py``): this run's outputs are the ones stored,
so it may also rewrite the series' published files (the README's picture in ``docs/images/``)."""

STRICT_CLAIMS_ENV = "MNIST_OIP_STRICT"
"""Environment variable set where the text is produced or verified (``make run``, ``make retrain``, ``make check``,
CI): there a false claim stops the run (see :mod:`helpers.claims`); everywhere else it only prints a ✗ line."""

__all__ = ["FAST_PATH_ENV", "STORING_RUN_ENV", "STRICT_CLAIMS_ENV", "DeviceInfo", "is_fast_path", "is_storing_run",
           "is_strict_run", "setup_device", "set_seeds", "cpu_flags", "bfloat16_native"]

_VALID_DEVICES = ("auto", "cpu", "gpu")
MAX_THREADS = 4_096
"""The most threads :func:`setup_device` sets (more than any machine has cores)."""


@dataclass(frozen=True)
class DeviceInfo:
    """What :func:`setup_device` configured."""

    device: str  # "cpu" or "gpu": where Keras places its work
    gpus: tuple[str, ...] = field(default_factory=tuple)  # names of the visible GPUs
    intra_op_threads: int = 0  # 0 means TensorFlow's default (all cores)
    inter_op_threads: int = 0
    memory_growth: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)  # anything that could not be applied

    def describe(self) -> str:
        """A short multi-line description for printing."""
        lines = [f"device: {self.device.upper()}" + (f" ({', '.join(self.gpus)})" if self.gpus else "")]
        lines.append(
            "threads: intra-op "
            + (str(self.intra_op_threads) if self.intra_op_threads else "default")
            + ", inter-op "
            + (str(self.inter_op_threads) if self.inter_op_threads else "default")
        )
        if self.device == "gpu":
            lines.append(f"GPU memory growth: {'on' if self.memory_growth else 'off'}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def is_fast_path() -> bool:
    """True when long steps should take their short CI version (``MNIST_OIP_FAST`` set to 1/true/yes)."""
    return os.environ.get(FAST_PATH_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def is_storing_run() -> bool:
    """True only under ``make run`` (``MNIST_OIP_STORE=1``), whose outputs are committed: a notebook rewrites the
    series' published files then, and never in JupyterLab, under ``make test`` or under ``make check``."""
    return os.environ.get(STORING_RUN_ENV, "").strip().lower() in ("1", "true", "yes", "on") and not is_fast_path()


def is_strict_run() -> bool:
    """True where the notebooks' text is produced or verified (``MNIST_OIP_STRICT=1``: ``make run``,
    ``make retrain``, ``make check``, CI) and the run is on the full path."""
    return os.environ.get(STRICT_CLAIMS_ENV, "").strip().lower() in ("1", "true", "yes", "on") and not is_fast_path()


def setup_device(
    device: str = "auto",
    intra_op_threads: int | None = None,
    inter_op_threads: int | None = None,
    memory_growth: bool = True,
    verbose: bool = False,
) -> DeviceInfo:
    """Choose where TensorFlow runs and how many threads it uses.

    Args:
        device: ``"auto"`` (a GPU if one is visible, else the CPU), ``"cpu"`` (hide all GPUs) or ``"gpu"``
            (fail if there is none).
        intra_op_threads: threads inside one op (None: TensorFlow's default, all cores).
        inter_op_threads: ops run in parallel (None: default).
        memory_growth: on a GPU, allocate memory as needed instead of grabbing it all.
        verbose: print what is in use.

    Settings that TensorFlow accepts only before its runtime starts are reported in ``DeviceInfo.notes``
    instead of raising, so that re-running a notebook cell is harmless.
    """
    checks.choice("device", device, _VALID_DEVICES)
    for name, value in (("intra_op_threads", intra_op_threads), ("inter_op_threads", inter_op_threads)):
        if value is not None:
            checks.integer(f"{name} (or None)", value, 0, MAX_THREADS, "more threads than any machine has cores")
    memory_growth, verbose = checks.flag("memory_growth", memory_growth), checks.flag("verbose", verbose)

    import tensorflow as tf

    notes: list[str] = []
    gpus = tf.config.list_physical_devices("GPU")
    if device == "gpu" and not gpus:
        raise RuntimeError("device='gpu' was requested but TensorFlow sees no GPU; use 'auto' or 'cpu' (README: Running on a GPU)")

    def _try(action, what: str) -> None:
        try:
            action()
        except RuntimeError:
            notes.append(f"{what} not applied: TensorFlow was already initialized (restart the kernel to change it)")

    if device == "cpu" and gpus:
        _try(lambda: tf.config.set_visible_devices([], "GPU"), "hiding the GPUs")
    used_gpus = gpus if device != "cpu" else []
    if memory_growth:
        for gpu in used_gpus:
            _try(lambda gpu=gpu: tf.config.experimental.set_memory_growth(gpu, True), "GPU memory growth")
    if intra_op_threads is not None:
        _try(lambda: tf.config.threading.set_intra_op_parallelism_threads(int(intra_op_threads)), "intra-op threads")
    if inter_op_threads is not None:
        _try(lambda: tf.config.threading.set_inter_op_parallelism_threads(int(inter_op_threads)), "inter-op threads")

    info = DeviceInfo(
        device="gpu" if used_gpus else "cpu",
        gpus=tuple(g.name.replace("/physical_device:", "") for g in used_gpus),
        intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads(),
        inter_op_threads=tf.config.threading.get_inter_op_parallelism_threads(),
        memory_growth=bool(used_gpus) and memory_growth,
        notes=tuple(notes),
    )
    if verbose:
        print(info.describe())
    return info


def set_seeds(seed: int = 42, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy and TensorFlow in one call.

    With ``deterministic=True`` TensorFlow also uses deterministic op implementations (slower on a GPU;
    identical results across runs on the same machine and library versions).
    """
    seed = checks.integer("seed", seed, 0, 2**32 - 1, "NumPy's 32-bit global seed")
    deterministic = checks.flag("deterministic", deterministic)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(int(seed))  # Python, NumPy and TensorFlow
    if deterministic:
        tf.config.experimental.enable_op_determinism()


def cpu_flags(path: str = "/proc/cpuinfo") -> set[str]:
    """The processor's feature flags (Linux ``/proc/cpuinfo``; an empty set where it cannot be read)."""
    checks.file_path("path", path)
    try:
        with open(path, encoding="utf-8") as file:
            for line in file:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def bfloat16_native() -> bool:
    """True where bfloat16 matrix products run in hardware: a visible GPU of compute capability 8.0 or later
    (Ampere, Hopper), or a CPU with AMX or AVX-512 bfloat16 instructions (``amx_bf16``, ``avx512_bf16``)."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))
        if tuple(capability) >= (8, 0):
            return True
    return bool(cpu_flags() & {"amx_bf16", "avx512_bf16"})

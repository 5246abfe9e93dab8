"""Original input patterns (OIPs): images that maximally activate a chosen map, found by gradient ascent.

The weights stay frozen; the *input image* is the variable. For image ``i`` of a batch the objective is the
mean activation of map ``map_indices[i]`` of one layer (or of one node ``(row, col)`` of it; for a dense layer,
unit ``map_indices[i]``). Each step:

1. computes the gradient of every image's objective with respect to that image (``GradientTape``),
2. divides it by its root-mean-square (so that ``epsilon`` is the step size in standardized pixel units),
3. adds ``epsilon`` times it to the image,
4. every ``damping_every`` steps damps high spatial frequencies (a light Gaussian blur or a Fourier low-pass),
5. re-standardizes the image to mean 0 and standard deviation 1 (the space of the training data).

All images of a batch ascend together in one compiled step, so all 128 maps of a layer cost about as much as a
few. Works on any single-input Keras image model (grey-scale or colour, any size).

Every option lives in one frozen :class:`AscentSettings`, checked when it is built: besides the steps above, the
tricks of lucid and Distill's "Feature Visualization" (random jitter, rotation and scaling; total-variation, L1
and L2 penalties; a 1/f Fourier parameterization; a diversity term) and the arithmetic precision.
:func:`run_oip` maximizes one map per image; :func:`ascend` takes any objectives of :mod:`helpers.objectives`
(maps, nodes, units, class logits, directions, and their weighted sums).

The package's parts: :mod:`~helpers.oip.settings` (the settings and their checks), :mod:`~helpers.oip.starts`
(start images, the precursor scan), :mod:`~helpers.oip.reading` (the objective reading), one module per family of
tricks (:mod:`~helpers.oip.damping`, :mod:`~helpers.oip.transforms`, :mod:`~helpers.oip.penalties`,
:mod:`~helpers.oip.parameterization`, :mod:`~helpers.oip.diversity`), :mod:`~helpers.oip.precision`, the
:mod:`~helpers.oip.engine` that composes the tricks that are on into one compiled step, the
:mod:`~helpers.oip.driver` (blocks, convergence, snapshots, progress, ``on_block``) and
:mod:`~helpers.oip.every_map` (a pattern for every map of a layer).
"""

from helpers import progress as _progress  # noqa: F401  (tests replace its bar)
from helpers.oip.damping import _fourier_mask, _frequency2, gaussian_kernel  # noqa: F401
from helpers.oip.driver import (OIPResult, _chunks, _guard, _likely_cause, _prepare, _report, _run,  # noqa: F401
                                ascend, check_run_arguments, first_converged, run_oip)
from helpers.oip.every_map import EveryMapResult, every_map_oips
from helpers.oip.engine import _ENGINES, _Ascent, _engine, tricks_for  # noqa: F401
from helpers.oip.parameterization import fourier_preconditioner
from helpers.oip.precision import _compute_model, bfloat16_copy, resolve_precision  # noqa: F401
from helpers.oip.reading import (LayerInfo, _evaluate, _Plan, _plan, _targets, check_targets, evaluate,  # noqa: F401
                                 layer_info, model_image_shape, objective_groups, objective_values)
from helpers.oip.settings import (DEFAULT_AMPLITUDES, DEFAULT_DAMPING_SIGMA, DEFAULT_SCALES, MAX_BYTES,  # noqa: F401
                                  MAX_CANDIDATES, MAX_EPSILON, MAX_FACTOR, MAX_GRID_SIDE, MAX_SEED, MAX_STEPS,
                                  MAX_WEIGHT, MIN_CUTOFF, VALID_DAMPING, VALID_PARAMETERIZATIONS, VALID_PRECISIONS,
                                  AscentDivergedError, AscentSettings, _check_image_shape, _check_memory,
                                  _check_schedule, _settings, log_spaced_steps)
from helpers.oip.starts import (ScanResult, _check_scales, high_frequency_share, initial_images,  # noqa: F401
                                precursor_scan, standardize_per_image)

__all__ = [
    "AscentSettings", "OIPResult", "ScanResult", "LayerInfo", "initial_images", "standardize_per_image",
    "high_frequency_share", "log_spaced_steps", "layer_info", "check_targets", "gaussian_kernel",
    "fourier_preconditioner", "model_image_shape", "bfloat16_copy", "resolve_precision", "objective_values",
    "evaluate", "first_converged", "run_oip", "check_run_arguments", "ascend", "objective_groups", "precursor_scan",
    "AscentDivergedError", "EveryMapResult", "every_map_oips",
]

for _name in __all__:  # the public names live in helpers.oip, wherever in the package they are defined
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("helpers.oip."):
        _obj.__module__ = __name__
del _name, _obj

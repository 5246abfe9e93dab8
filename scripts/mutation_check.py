"""Mutation check: do the unit tests fail when the code they cover is broken?

Usage::

    .venv/bin/python scripts/mutation_check.py --per-module 10   # the sample reported in the README (170 mutants)
    .venv/bin/python scripts/mutation_check.py                   # every mutant of every target (~2,850, a day)
    .venv/bin/python scripts/mutation_check.py --list            # list the mutants, check the tables, stop (a test)
    .venv/bin/python scripts/mutation_check.py --only engine --per-module 10 --results engine.json   # one module
    .venv/bin/python scripts/mutation_check.py --summary-of engine.json files.json              # one table of runs
    .venv/bin/python scripts/mutation_check.py --breaks          # the named breaks of the weak tests

The targets are the functions where the work happens (not their wrappers), named in ``TARGETS`` by their name
inside their module; each is found wherever it is defined in ``helpers/*.py``, ``helpers/oip/*.py`` or
``scripts/run_notebooks.py``.
A name defined nowhere or in two modules, a module without a target, a module without its test file, an entry of
``EQUIVALENT`` that matches no mutant and a break whose text is gone all stop the script with their names, and
``tests/test_mutation_check.py`` runs ``--list`` in ``make test``: a moved or renamed target fails there.

Each mutant changes one spot of one target function:

- a comparison flipped (``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``, ``is`` <-> ``is not``),
- an ``if`` branch dropped (its test replaced by ``False``),
- a ``raise`` statement dropped, or a statement that only calls something (``f(x)``, ``bar.update(1)``), both
  replaced by ``pass``,
- an arithmetic operator swapped (``+`` <-> ``-``, ``*`` <-> ``/``),
- a numeric constant changed (an integer ``n`` to ``n + 1`` and ``n - 1``, a float ``x`` to ``2 x``, 0.0 to 1.0),
- ``and`` swapped with ``or``.

Text inside f-strings (error messages) is not mutated: a message is pinned by the tests' ``match=`` patterns
already, and mutating it would only multiply the mutants. The mutated function is re-rendered with ``ast.unparse``
and spliced into a *copy* of the repository (``helpers/``, ``scripts/``, ``tests/``, the pytest configuration,
``data/`` as a read-only link); the working tree is never written. For each mutant the module's test file
(``tests/test_<module>.py``) runs with ``pytest -x -q`` under a time limit: a failing run *kills* the mutant, a
passing one lets it *survive*. Each run is a fork of one process that imported TensorFlow once (``--no-fork``: a
fresh interpreter each time), and the tests that killed earlier mutants run first. ``--per-module N`` draws the
same N mutants of a module whatever else runs (the generator is seeded by the seed and the module's name), so a
module can be rerun alone. A survivor that no test can tell from the original is listed in ``EQUIVALENT`` with
its one-line reason; the summary prints every survivor with its reason or ``NOT EXPLAINED``.

``--breaks`` applies hand-written breaks that the tests once missed (issues 14 and 26; each one a text
replacement) in the same way and checks that the named test fails on each.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCES = ("helpers/*.py", "helpers/oip/*.py", "scripts/run_notebooks.py")
"""Where targets are looked for (by name): a module is a file's stem, e.g. ``engine`` (of the package
``helpers/oip``) or ``run_notebooks``."""

TARGETS: list[str] = [
    # The functions where the work happens, by qualified name inside their module ("Class.method" for methods).
    # Each is found by name in SOURCES wherever it lives; a name found nowhere or in two modules stops the script.
    # activations
    "class_means", "firing_fraction", "nearest_class_mean_accuracy", "cross_similarity", "mean_pairwise_cosine",
    "profile_correlation", "top_examples", "receptive_field", "_window_inputs",
    # attribution
    "integrated_gradients", "smoothgrad", "grad_cam", "randomized_copy", "rank_correlation", "completeness_gap",
    "_baseline_batch",
    # checks
    "is_integer", "integer", "real", "finite_array", "node", "_valid_range",
    # claims
    "claim", "Claim.line",
    # data
    "read_idx", "_load_checked", "load_mnist", "Standardizer.fit", "Standardizer.apply", "Standardizer.invert",
    # device
    "setup_device", "is_fast_path", "set_seeds", "cpu_flags", "bfloat16_native",
    # distributions
    "GridDensity.__post_init__", "GridDensity.normalized", "GridDensity.mean", "GridDensity.var",
    "GridDensity.standardized_moments", "GridDensity.standardize", "discretize", "histogram_density", "convolve",
    "partial_sums", "gaussian_distance", "characteristic_function", "_quadrature_weights", "max_entropy",
    "survival_function", "hill_tail_index", "block_maxima", "fit_extreme_value",
    # explorer
    "layer_choices", "ExplorerSettings.__post_init__", "segment_ends", "run_settings", "start_images",
    "_displayable", "save_result_png",
    # files
    "sha256_of", "temporary_path", "check_overwrite", "atomic_write", "previous_copy", "publish_pair",
    # model
    "load_model", "_model_file_matching", "check_record", "save_model", "TrainConfig.__post_init__",
    "make_schedule", "learning_rates_per_epoch", "check_images_and_labels", "split_train_validation", "apply_l2",
    "kernel_norm", "augmentation_transforms",
    # objectives
    "_target_problem", "layer_info", "check_targets", "Objective.__add__", "Objective.__mul__",
    "Objective.__truediv__", "Objective.__sub__", "Objective.single_term", "node_objective", "direction",
    "_resolve", "compile_objectives",
    # oip (the package helpers/oip: one module per part): the compiled step and its tricks, the objective reading,
    # the run loop, starts, convergence, the scan, the settings' checks
    "_Ascent._step", "tricks_for", "RMSNormalize.apply", "Restandardize.apply", "read", "objective_groups",
    "Blur.apply", "FourierDamping.apply", "low_pass", "spectral_filter", "RandomTransform.apply",
    "TotalVariation.penalty", "L1.penalty", "L2.penalty", "similarity", "Diversity.penalty", "FourierBasis.apply",
    "gaussian_kernel", "fourier_preconditioner", "initial_images", "standardize_per_image", "log_spaced_steps",
    "_check_schedule", "first_converged", "_run", "precursor_scan", "resolve_precision", "every_map_oips",
    # patterns
    "pattern_shift", "_radial_power", "dominant_wavelength", "mean_wavelength", "fit_copies", "phase_randomized",
    "_non_constant",
    # plotting
    "enhance_contrast", "_stretch", "_as_displayable", "tile_maps", "_animation_frames", "save_figure",
    "save_animation",
    # progress
    "enabled", "bar", "keras_callback",
    # stimuli
    "line", "arc", "rotated", "shifted", "draw",
    # startup
    "_matches", "filter_startup_text", "capture_fd2", "_QuietFinder.find_spec", "install", "uninstall",
    # scripts/run_notebooks.py
    "clean_stderr", "clean_outputs", "merge_streams", "_duration", "run", "main",
]

TESTS: dict[str, tuple[list[str], str | None]] = {
    # module: (test files, pytest -k expression or None); a module not named here runs tests/test_<module>.py
    "reading": (["tests/oip/test_objective_reading.py"], None),  # test_reading.py would clash with tests/test_reading.py
    **{part: ([f"tests/oip/test_{part}.py"], None) for part in (
        "settings", "starts", "damping", "transforms", "penalties", "parameterization", "diversity",
        "precision", "engine", "driver", "every_map")},
}
"""Test files of a module (default: the file that mirrors it)."""

SHARED_TESTS = ("tests/test_boundaries.py",)
"""Tests of every module (run with each module's own, where the file exists)."""

EQUIVALENT: dict[tuple[str, str, str], str] = {
    # (module.target, the mutated line as written, change): why no test can tell the mutant from the original
    ("files.publish_pair", "_remove_quietly(backup)", "call dropped: _remove_quietly(...)"):
        "a stale backup is replaced anyway: os.link then fails and the copy overwrites it",
    ("progress.bar", "dynamic_ncols=True, mininterval=0.5)", "0.5 -> 1.0"):
        "how often a bar redraws, in seconds: visible only to a clock",
    ("run_notebooks.run", "if running.is_set():", "if-branch dropped (test -> False)"):
        "the console bar's elapsed time then moves only between cells; nothing stored changes",
    ("device.bfloat16_native", 'capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))', '0 -> 1'):
        "a GPU that reports no compute capability counts as older than 8.0 either way",
    ("device.bfloat16_native", 'capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0))', '0 -> -1'):
        "a GPU that reports no compute capability counts as older than 8.0 either way",
    ("device.bfloat16_native", 'capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)) [2]', '0 -> 1'):
        "a GPU that reports no compute capability counts as older than 8.0 either way",
    ("device.bfloat16_native", 'capability = tf.config.experimental.get_device_details(gpu).get("compute_capability", (0, 0)) [2]', '0 -> -1'):
        "a GPU that reports no compute capability counts as older than 8.0 either way",
    ("distributions.fit_extreme_value",
     "if not np.isfinite(ll_gev) or ll_gev < ll_gum:  # the optimizer stalled: Gumbel is the c = 0 member", "< -> <="):
        "on a tie the GEV fit is the Gumbel fit already (the optimizer starts there), so falling back changes nothing",
    ("attribution.integrated_gradients",
     "per_pass = max(1, batch_size // (n_steps + 1))  # images whose whole path fits one pass", "1 -> 2"):
        "images per pass only: the gradients are computed in batches of batch_size either way",
    ("attribution.integrated_gradients",
     "per_pass = max(1, batch_size // (n_steps + 1))  # images whose whole path fits one pass [2]", "1 -> 2"):
        "images per pass only: the gradients are computed in batches of batch_size either way",
    ("activations.nearest_class_mean_accuracy",
     "predicted = np.where(np.isnan(similarity).all(axis=1), -1, np.nan_to_num(similarity, nan=-np.inf).argmax(axis=1))",
     "1 -> 2"):
        "a pattern with no direction is predicted as class -2 instead of -1: no class either way, the same accuracy",
    ("model.make_schedule", "n_drops = max(0, (config.epochs - 1) // config.step_epochs)", "- -> +"):
        "the extra drop it adds starts after the last epoch: no step of the training reaches it",
    ("explorer.run_settings", "settings.check(model)", "call dropped: settings.check(...)"):
        "run_oip makes the same three checks before its first step: the same error, a moment later",
    ("driver._run", "if compute_model is model:", "if-branch dropped (test -> False)"):
        "the final objective of a float32 run then comes from a plain forward pass of the same model: the same value",
    ("starts.initial_images", 'images = gaussian_filter(images, sigma=(0, smoothing_sigma, smoothing_sigma, 0)).astype(np.float32)', "0 -> -1"):
        "SciPy's Gaussian filter skips every axis whose sigma is not positive: -1 on the batch axis filters nothing",
    ("starts.initial_images", 'images = gaussian_filter(images, sigma=(0, smoothing_sigma, smoothing_sigma, 0)).astype(np.float32) [2]', "0 -> -1"):
        "SciPy's Gaussian filter skips every axis whose sigma is not positive: -1 on the channel axis filters nothing",
    ("patterns.fit_copies", "if score[index] > best_score:", "> -> >="):
        "only an exact tie between two placements changes the choice, and both then fit equally well",
    ("model.augmentation_transforms",
     "draws = tf.random.stateless_uniform((batch_size, 3), seed=seed, minval=-1.0, maxval=1.0)", "3 -> 4"):
        "one more random column is drawn and left unused: other random numbers from the same distribution",
    ("model.make_schedule", "n_drops = max(0, (config.epochs - 1) // config.step_epochs)", "0 -> 1"):
        "the drop it adds where none was due starts after the last epoch: no step of the training reaches it",
    ("distributions.max_entropy", "scale[scale == 0] = 1.0", "0 -> 1"):
        "a constant feature is refused before (no target lies strictly inside its range), so no scale is 0",
    ("distributions.max_entropy", "scale[scale == 0] = 1.0", "0 -> -1"):
        "a constant feature is refused before (no target lies strictly inside its range), so no scale is 0",
    ("distributions.max_entropy", "scale[scale == 0] = 1.0", "1.0 -> 2.0"):
        "a constant feature is refused before (no target lies strictly inside its range), so no scale is 0",
}
"""Known-equivalent mutants: they change nothing a user can observe, each with its one-line reason."""

BREAKS: list[tuple[str, str, str, str, str]] = [
    # (name, file, original text, broken text, the test that must fail)
    ("single-node objective deleted", "helpers/oip/reading.py",
     "        if plan.node is not None:\n            return maps[:, plan.node[0], plan.node[1]]\n", "",
     "tests/oip/test_objective_reading.py::test_node_dense_unit_and_colour_input"),
    ("fraction_active counts every candidate", "helpers/oip/starts.py",
     "fraction_active=(post_mean > 0).mean(axis=0)", "fraction_active=(post_mean >= 0).mean(axis=0)",
     "tests/oip/test_starts.py::test_precursor_scan_picks_the_best_candidate"),
    ("converged_at one step late", "helpers/oip/driver.py",
     "        converged_at[newly] = first[newly]\n", "        converged_at[newly] = first[newly] + 1\n",
     "tests/oip/test_driver.py::test_convergence_is_detected"),
    ("pre-activation fallback of the scan removed", "helpers/oip/starts.py",
     "post_mean.argmax(axis=0), pre_mean.argmax(axis=0))", "post_mean.argmax(axis=0), post_mean.argmax(axis=0))",
     "tests/oip/test_starts.py::test_precursor_scan_falls_back_to_the_pre_activation_for_a_map_silent_on_every_candidate"),
    ("auto never picks the GPU", "helpers/device.py",
     'device="gpu" if used_gpus else "cpu"', 'device="cpu"',
     "tests/test_device.py::test_gpu_branches_with_simulated_gpus"),
    ("device report ignores the GPUs", "helpers/device.py",
     'device="gpu" if used_gpus else "cpu"', 'device="cpu" if used_gpus else "gpu"',
     "tests/test_device.py::test_setup_device_auto_reports_what_is_in_use"),
    ("thread request after start-up silently dropped", "helpers/device.py",
     '            notes.append(f"{what} not applied', '            print(f"{what} not applied',
     "tests/test_device.py::test_setup_device_after_initialization_reports_instead_of_raising"),
    ("randomized copy keeps the trained weights", "helpers/attribution.py",
     "            variable.assign(_fresh_value(layer, variable, seed=fresh_seed))\n",
     "            variable.assign(variable.numpy())\n",
     "tests/test_attribution.py::test_attribution_of_the_trained_model_differs_from_a_random_model"),
    ("randomized copy ignores from_layer", "helpers/attribution.py",
     "        if index < first:\n            continue\n", "",
     "tests/test_attribution.py::test_attribution_of_the_trained_model_differs_from_a_random_model"),
    ("SmoothGrad noise scaled by the std instead of the value range", "helpers/attribution.py",
     "sigma = (noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(np.float32)",
     "sigma = (noise_level * x.std(axis=axes, keepdims=True)).astype(np.float32)",
     "tests/test_attribution.py::test_smoothgrad_noise_is_a_fraction_of_each_images_value_range"),
    ("SmoothGrad noise range over the whole batch", "helpers/attribution.py",
     "sigma = (noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))).astype(np.float32)",
     "sigma = (noise_level * (x.max() - x.min()) * np.ones((len(x),) + (1,) * len(axes))).astype(np.float32)",
     "tests/test_attribution.py::test_smoothgrad_noise_is_a_fraction_of_each_images_value_range"),
    ("Grad-CAM upsampled with nearest neighbours", "helpers/attribution.py",
     'interpolation="bilinear"', 'interpolation="nearest"',
     "tests/test_attribution.py::test_grad_cam_upsampling_is_bilinear_from_the_coarse_map"),
    ("Grad-CAM upsampled bicubically", "helpers/attribution.py",
     'interpolation="bilinear"', 'interpolation="bicubic"',
     "tests/test_attribution.py::test_grad_cam_upsampling_is_bilinear_from_the_coarse_map"),
    ("README quick start names 'make tests'", "README.md",
     "make test   # the same environment", "make tests  # the same environment",
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_test_then_check"),
    ("README quick start gains a third command", "README.md",
     "make run    # create .venv", "make lab\nmake run    # create .venv",
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_test_then_check"),
    ("CI runs a different command", ".ci/run", "\nmake test", "\nmake test || true",
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_test_then_check"),
    # issue 26: breaks that no test caught before it
    ("standardized moments report the kurtosis, not the excess kurtosis", "helpers/distributions.py",
     '"excess kurtosis": float(self.p @ z**4 - 3.0)', '"excess kurtosis": float(self.p @ z**4)',
     "tests/test_distributions.py::test_standardized_moments_match_the_closed_forms"),
    ("the progress switch MNIST_OIP_PROGRESS=0 ignored", "helpers/progress.py",
     '    if switch in ("0", "false", "no", "off"):\n        return False\n', "",
     "tests/test_progress.py::test_the_switch_off_wins_over_a_terminal_and_a_kernel"),
    ("publish_pair leaves the previous copy behind", "helpers/files.py",
     "            _remove_quietly(backup)\n", "            pass\n",
     "tests/test_files.py::test_publish_pair_over_an_old_pair_leaves_no_previous_copy"),
    ("make run inherits MNIST_OIP_FAST=1 from the shell", "scripts/run_notebooks.py",
     'os.environ.pop("MNIST_OIP_FAST", None)', "None",
     "tests/test_run_notebooks.py::test_make_run_stores_full_path_outputs_even_from_a_fast_path_shell"),
]

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
           ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_OPERATOR = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Target:
    module: str  # the source file's stem
    qualname: str  # "function" or "Class.method"
    source_file: str  # relative to ROOT

    @property
    def name(self) -> str:
        return f"{self.module}.{self.qualname}"


@dataclass(frozen=True)
class Mutant:
    target: str  # module.qualname
    source_file: str
    index: int  # position of the node among the function's nodes (ast.walk order)
    variant: int  # which change of that node
    line: int  # in the original file
    column: int
    description: str
    code: str  # the original line, stripped (the key of EQUIVALENT)

    @property
    def module(self) -> str:
        return self.target.split(".", 1)[0]

    @property
    def qualname(self) -> str:
        return self.target.split(".", 1)[1]


def source_files() -> list[Path]:
    """The files searched for targets (``__init__.py`` holds no logic)."""
    return [f for pattern in SOURCES for f in sorted(ROOT.glob(pattern)) if f.name != "__init__.py"]


def _defined(tree: ast.Module) -> list[str]:
    """Qualified names of a module's functions and of its classes' methods."""
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            names += [f"{node.name}.{m.name}" for m in node.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return names


def module_tests(module: str) -> tuple[list[str], str | None]:
    """The test files of ``module``: its own (``tests/test_<module>.py``) and the package's boundary tests, which
    check every public function's input checks."""
    tests, k = TESTS.get(module, ([f"tests/test_{module}.py"], None))
    shared = [t for t in SHARED_TESTS if (ROOT / t).is_file() and t not in tests]
    return tests + shared, k


def resolve_targets(names: list[str]) -> dict[str, Target]:
    """{name: Target} for every name, found wherever it is defined in SOURCES; stops loudly on a name defined
    nowhere or in more than one module, on a module without a target and on a missing test file."""
    where: dict[str, list[Path]] = {}
    files = source_files()
    for f in files:
        for qualname in _defined(ast.parse(f.read_text())):
            where.setdefault(qualname, []).append(f)
    problems = [f"target {n!r} is defined nowhere in {', '.join(SOURCES)} (moved out or renamed?)"
                for n in names if n not in where]
    problems += [f"target {n!r} is defined in several modules: {', '.join(str(p.relative_to(ROOT)) for p in where[n])}"
                 for n in names if len(where.get(n, [])) > 1]
    if problems:
        raise SystemExit("mutation_check: " + "; ".join(problems))
    resolved = {n: Target(where[n][0].stem, n, str(where[n][0].relative_to(ROOT))) for n in names}
    covered = {t.module for t in resolved.values()}
    uncovered = [f.stem for f in files if f.stem not in covered]
    if uncovered:
        raise SystemExit(f"mutation_check: no target in module(s) {', '.join(uncovered)}; add their functions to TARGETS")
    missing_tests = [t for m in sorted(covered) for t in module_tests(m)[0] if not (ROOT / t).is_file()]
    if missing_tests:
        raise SystemExit(f"mutation_check: missing test file(s) {', '.join(missing_tests)}")
    return resolved


def _find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef:
    node: ast.AST = tree
    for part in qualname.split("."):
        found = [n for n in ast.iter_child_nodes(node)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part]
        if not found:
            raise SystemExit(f"mutation_check: {qualname!r} not found (the file changed during the run?)")
        node = found[0]
    return node  # type: ignore[return-value]


def _message_nodes(function: ast.AST) -> set[int]:
    """ids of nodes inside f-strings (message text, not logic) and inside signatures (a default value is a
    documented choice, and a test pinning each one would only repeat the signature)."""
    inside = set()
    for node in ast.walk(function):
        if isinstance(node, (ast.JoinedStr, ast.arguments)):
            inside.update(id(n) for n in ast.walk(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            inside.update(id(n) for n in ast.walk(node.returns))
    return inside


def _changes(node: ast.AST) -> list[tuple[str, callable]]:
    """The mutations of one node: (description, function that mutates a copy of the node in place; None: the
    statement is replaced by ``pass``)."""
    out = []
    if isinstance(node, ast.Compare):
        for k, op in enumerate(node.ops):
            if type(op) in _FLIP:
                def flip(n, k=k):
                    n.ops[k] = _FLIP[type(n.ops[k])]()
                out.append((f"{_SYMBOL[type(op)]} -> {_SYMBOL[_FLIP[type(op)]]}", flip))
    elif isinstance(node, ast.If):
        def drop(n):
            n.test = ast.Constant(False)
        out.append(("if-branch dropped (test -> False)", drop))
    elif isinstance(node, ast.Raise):
        out.append(("raise dropped", None))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        out.append((f"call dropped: {ast.unparse(node.value.func)[:40]}(...)", None))
    elif isinstance(node, ast.BinOp) and type(node.op) in _SWAP:
        def swap_operator(n):
            n.op = _SWAP[type(n.op)]()
        out.append((f"{_OPERATOR[type(node.op)]} -> {_OPERATOR[_SWAP[type(node.op)]]}", swap_operator))
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        if isinstance(node.value, int):
            for delta in (1, -1):
                def shift(n, delta=delta):
                    n.value = n.value + delta
                out.append((f"{node.value} -> {node.value + delta}", shift))
        else:
            new = node.value * 2 if node.value else 1.0

            def double(n, new=new):
                n.value = new
            out.append((f"{node.value!r} -> {new!r}", double))
    elif isinstance(node, ast.BoolOp):
        other = "or" if isinstance(node.op, ast.And) else "and"

        def swap(n):
            n.op = ast.Or() if isinstance(n.op, ast.And) else ast.And()
        out.append((f"{'and' if other == 'or' else 'or'} -> {other}", swap))
    return out


def _candidates(function: ast.AST) -> list[ast.AST]:
    skip = _message_nodes(function)
    body_doc = None
    if function.body and isinstance(function.body[0], ast.Expr) and isinstance(function.body[0].value, ast.Constant):
        body_doc = id(function.body[0].value)
    return [n for n in ast.walk(function) if id(n) not in skip and id(n) != body_doc and _changes(n)]


def list_mutants(targets: list[Target]) -> list[Mutant]:
    mutants, parsed = [], {}
    for target in targets:
        if target.source_file not in parsed:
            text = (ROOT / target.source_file).read_text()
            parsed[target.source_file] = ast.parse(text), text.splitlines()
        tree, lines = parsed[target.source_file]
        function = _find_function(tree, target.qualname)
        seen: dict[tuple[str, str], int] = {}
        for index, node in enumerate(_candidates(function)):
            for variant, (description, _) in enumerate(_changes(node)):
                code = lines[node.lineno - 1].strip()
                seen[code, description] = seen.get((code, description), 0) + 1
                if seen[code, description] > 1:  # the same change on a repeated line: "line [2]" is the second one
                    code = f"{code} [{seen[code, description]}]"
                mutants.append(Mutant(target.name, target.source_file, index, variant, node.lineno,
                                      node.col_offset + 1, description, code))
    return mutants


class _DropStatement(ast.NodeTransformer):
    def __init__(self, victim: ast.AST):
        self.victim = victim

    def generic_visit(self, node):
        if node is self.victim:
            return ast.Pass()
        return super().generic_visit(node)


def mutated_source(mutant: Mutant, original: str) -> str:
    """The file's text with the mutant's function re-rendered with the one change."""
    tree = ast.parse(original)
    function = _find_function(tree, mutant.qualname)
    node = _candidates(function)[mutant.index]
    description, change = _changes(node)[mutant.variant]
    assert description == mutant.description, (description, mutant)
    if change is None:
        _DropStatement(node).visit(function)
    else:
        change(node)
    ast.fix_missing_locations(function)
    lines = original.splitlines(keepends=True)
    first = min([function.lineno] + [d.lineno for d in function.decorator_list])  # decorators are re-rendered too
    indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    rendered = textwrap.indent(ast.unparse(function), indent) + "\n"
    return "".join(lines[: first - 1]) + rendered + "".join(lines[function.end_lineno:])


def check_tables(mutants: list[Mutant]) -> None:
    """Stop loudly if a known-equivalent entry matches no mutant or a break's text is not found exactly once:
    both tables must follow the code."""
    keys = {(m.target, m.code, m.description) for m in mutants}
    stale = [f"{t} `{c}` {d}" for (t, c, d) in EQUIVALENT if (t, c, d) not in keys]
    for name, source_file, old, _, test in BREAKS:
        if (ROOT / source_file).read_text().count(old) != 1:
            stale.append(f"break {name!r}: its original text is not found exactly once in {source_file}")
        test_file, _, function = test.partition("::")
        if not (ROOT / test_file).is_file() or f"def {function.split('[')[0]}(" not in (ROOT / test_file).read_text():
            stale.append(f"break {name!r}: no test {test}")
    if stale:
        raise SystemExit("mutation_check: stale entries:\n" + "\n".join(stale))


def make_copy() -> Path:
    """A scratch copy of what the tests need; data/ and notebooks/ are linked (the tests only read them)."""
    work = Path(tempfile.mkdtemp(prefix="mutation_check_"))
    for name in ("helpers", "tests", "scripts"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml", "README.md", "Makefile", "requirements.txt", "environment.yml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, work / name)
    shutil.copytree(ROOT / ".ci", work / ".ci")
    for name in ("data", "notebooks"):  # read only (a test runs a notebook's cell)
        (work / name).symlink_to(ROOT / name)
    return work


_PRELOADED = False


def preload() -> None:
    """Import the heavy libraries once; each test run then starts as a fork of this process (seconds saved per
    mutant). ``helpers`` itself is never imported here, so every fork imports the copy's (mutated) version."""
    global _PRELOADED
    import matplotlib

    matplotlib.use("Agg")
    import keras  # noqa: F401
    import pytest  # noqa: F401
    import scipy.stats  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import tensorflow  # noqa: F401

    assert "helpers" not in sys.modules
    _PRELOADED = True


def _foreign(nodeid: str, module: str) -> bool:
    """Whether ``nodeid`` is a row of a shared test file for another module (its parameters start ``[module.``)."""
    path, _, rest = nodeid.partition("::")
    return bool(module) and path in SHARED_TESTS and "[" in rest and f"[{module}." not in rest


class _Order:
    """A pytest plugin for one module's run: it drops the rows of the shared tests that belong to other modules
    and runs the rest in the order of ``ranks`` (test id -> rank; others last)."""

    def __init__(self, module: str, ranks: dict[str, int] | None = None):
        self.module, self.ranks = module, ranks or {}

    def pytest_collection_modifyitems(self, config, items) -> None:
        dropped = [item for item in items if _foreign(item.nodeid, self.module)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not _foreign(item.nodeid, self.module)]
        items.sort(key=lambda item: self.ranks.get(item.nodeid, len(self.ranks)))


def _pytest_in_fork(work: Path, args: list[str], timeout: float, order: _Order) -> tuple[int | None, str]:
    """``pytest.main(args)`` in a fork with ``work`` first on sys.path: (exit code, or None on a timeout; output)."""
    out = tempfile.TemporaryFile(mode="w+")
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 3
        try:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            os.chdir(work)
            sys.path.insert(0, str(work))
            sys.dont_write_bytecode = True
            os.environ.update(PYTHONDONTWRITEBYTECODE="1", MNIST_OIP_PROGRESS="0", PYTHONPATH=str(work))  # kernels too
            import pytest

            import helpers

            if not helpers.__file__.startswith(str(work)):
                print(f"wrong helpers imported: {helpers.__file__}")
                code = 99
            else:
                code = int(pytest.main(args, plugins=[order]))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    deadline = time.monotonic() + timeout
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                out.close()
                return None, ""
            time.sleep(0.2)
    except BaseException:  # interrupted: take the fork down too
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise
    out.seek(0)
    text = out.read()
    out.close()
    return os.waitstatus_to_exitcode(status), text


def run_tests(work: Path, tests: list[str], k: str | None, timeout: float, extra: tuple[str, ...] = (),
              module: str = "", ranks: dict[str, int] | None = None) -> tuple[str, float, str]:
    """('killed' | 'survived' | 'timeout' | 'error', seconds, output) of one pytest run on the copy (``module``:
    only its rows of the shared tests, forked runs only)."""
    args = ["-x", "-q", "-p", "no:cacheprovider", *extra, *tests]
    if k:
        args += ["-k", k]
    start = time.perf_counter()
    if _PRELOADED:
        code, output = _pytest_in_fork(work, args, timeout, _Order(module, ranks))
    else:
        env = dict(os.environ, PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1", MNIST_OIP_PROGRESS="0")
        try:
            done = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=work, env=env, capture_output=True,
                                  text=True, timeout=timeout)
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            code, output = None, ""
    seconds = time.perf_counter() - start
    if code is None:
        return "timeout", seconds, output
    return {0: "survived", 1: "killed"}.get(code, "error"), seconds, output  # error: collection, no tests, ...


def _last_line(output: str) -> str:
    return (output.strip().splitlines() or [""])[-1]


def _test_order(output: str) -> list[str]:
    """Test ids from a ``--durations=0`` report, fastest first (setup + call + teardown)."""
    seconds: dict[str, float] = {}
    for match in re.finditer(r"^([0-9.]+)s (?:setup|call|teardown) +(\S.*)$", output, flags=re.M):
        seconds[match.group(2)] = seconds.get(match.group(2), 0.0) + float(match.group(1))
    return sorted(seconds, key=seconds.get)


def check_copy_is_used(work: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(work), PYTHONDONTWRITEBYTECODE="1")
    found = subprocess.run([sys.executable, "-c", "import helpers; print(helpers.__file__)"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    if not found.startswith(str(work)):
        raise SystemExit(f"the copy's helpers are not the ones imported ({found}); refusing to run")


def run_mutants(mutants: list[Mutant], timeout: float, results_path: Path | None) -> list[dict]:
    """Each mutant on the copy. The module's tests run reordered: those that killed a mutant before first, then the
    fastest, so that with ``-x`` a killed mutant costs only the tests up to the first failure."""
    work = make_copy()
    check_copy_is_used(work)
    originals = {m.source_file: (work / m.source_file).read_text() for m in mutants}
    results, orders, kills, limits = [], {}, {}, {}
    try:
        for i, mutant in enumerate(mutants, start=1):
            source_file = mutant.source_file
            tests, k = module_tests(mutant.module)
            key = (tuple(tests), k)
            if key not in orders:  # the unmutated tests must pass, or nothing counts
                (work / source_file).write_text(originals[source_file])
                outcome, seconds, output = run_tests(work, tests, k, timeout * 3,
                                                     ("--durations=0", "--durations-min=0"), mutant.module)
                orders[key] = _test_order(output) if outcome == "survived" else None
                if orders[key] is None:
                    orders[key] = None
                    print(f"baseline {' '.join(tests)}: the unmutated tests do not pass ({outcome}); its mutants are not "
                          f"run:\n{output[-3000:]}", flush=True)
                else:
                    limits[key] = min(timeout, max(60.0, 3 * seconds))  # a mutant that loops costs little
                    print(f"baseline {' '.join(tests)}{' -k ' + repr(k) if k else ''}: {len(orders[key])} tests pass "
                          f"in {seconds:.0f} s", flush=True)
            try:
                mutated = mutated_source(mutant, originals[source_file]) if orders[key] is not None else None
            except (AssertionError, IndexError, SystemExit):  # the file changed between listing and copying
                mutated = None
            if mutated is None:
                print(f"[{i}/{len(mutants)}] not run  {mutant.target}:{mutant.line} {mutant.description}", flush=True)
                continue
            # the killers so far first, then the module's own tests, then the shared ones (fastest first among equals)
            order = sorted(orders[key], key=lambda t: (-kills.get(t, 0), t.split("::")[0] in SHARED_TESTS))
            ranks = {test: rank for rank, test in enumerate(order)}
            (work / source_file).write_text(mutated)
            try:
                outcome, seconds, output = run_tests(work, tests, k, limits[key], module=mutant.module, ranks=ranks)
            finally:
                (work / source_file).write_text(originals[source_file])
            failed = [line.split()[1] for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
            for test in failed:
                kills[test] = kills.get(test, 0) + 1
            results.append(dict(target=mutant.target, line=mutant.line, column=mutant.column,
                                change=mutant.description, code=mutant.code, outcome=outcome, seconds=round(seconds, 1),
                                killed_by=failed[0] if failed else None))
            print(f"[{i}/{len(mutants)}] {outcome:8s} {mutant.target}:{mutant.line}:{mutant.column} "
                  f"{mutant.description} ({seconds:.0f} s){' by ' + failed[0].split('::')[-1] if failed else ''}",
                  flush=True)
            if results_path:
                results_path.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _explanation(result: dict) -> str | None:
    return EQUIVALENT.get((result["target"], result.get("code", ""), result["change"]))


def summary(results: list[dict]) -> str:
    """A Markdown table per module, then every survivor with its explanation (or NOT EXPLAINED) and the mutants
    killed by a timeout or an error rather than a failing assertion."""
    rows = ["| module | mutants | killed | survived (equivalent) | kill rate |", "|---|---:|---:|---:|---:|"]
    total_killed = 0
    for module in dict.fromkeys(r["target"].split(".", 1)[0] for r in results):
        mine = [r for r in results if r["target"].split(".", 1)[0] == module]
        killed = sum(r["outcome"] != "survived" for r in mine)
        equivalent = sum(r["outcome"] == "survived" and _explanation(r) is not None for r in mine)
        total_killed += killed
        rows.append(f"| `{module}` | {len(mine)} | {killed} | {len(mine) - killed} ({equivalent}) | "
                    f"{killed / len(mine):.0%} |")
    rows.append(f"| **all** | {len(results)} | {total_killed} | {len(results) - total_killed} | "
                f"{total_killed / max(len(results), 1):.0%} |")
    text = "\n".join(rows)
    survivors = [f"- `{r['target']}` line {r['line']} `{r.get('code', '')}`: {r['change']} -- "
                 f"{_explanation(r) or 'NOT EXPLAINED'}" for r in results if r["outcome"] == "survived"]
    odd = [f"- `{r['target']}` line {r['line']}:{r['column']}: {r['change']} ({r['outcome']})" for r in results
           if r["outcome"] in ("timeout", "error")]
    if survivors:
        text += "\n\nSurvivors:\n" + "\n".join(survivors)
    if odd:
        text += "\n\nKilled by a timeout or an error rather than a failing assertion:\n" + "\n".join(odd)
    return text


def run_breaks(timeout: float) -> bool:
    """Apply each named break to the copy; True if every named test passes unbroken and fails broken."""
    work = make_copy()
    check_copy_is_used(work)
    all_ok = True
    try:
        for name, source_file, old, new, test in BREAKS:
            original = (work / source_file).read_text()
            if original.count(old) != 1:
                raise SystemExit(f"break {name!r}: the original text is not found exactly once in {source_file}")
            unbroken, _, _ = run_tests(work, [test], None, timeout)
            (work / source_file).write_text(original.replace(old, new))
            try:
                broken, seconds, output = run_tests(work, [test], None, timeout)
            finally:
                (work / source_file).write_text(original)
            ok = unbroken == "survived" and broken == "killed"
            all_ok &= ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: unbroken {'passes' if unbroken == 'survived' else unbroken}, "
                  f"broken {'fails' if broken == 'killed' else broken} ({test.split('::')[1]}; {_last_line(output)})",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return all_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", default=None,
                        help="modules (e.g. oip), targets (e.g. engine._Ascent._step) or bare names (default: all)")
    parser.add_argument("--per-target", type=int, default=0,
                        help="at most this many mutants per target (a seeded sample of each)")
    parser.add_argument("--per-module", type=int, default=0,
                        help="at most this many mutants per module (a seeded sample of each)")
    parser.add_argument("--summary-of", type=Path, nargs="*", default=None,
                        help="print the summary of these --results files (e.g. one run per module) and stop")
    parser.add_argument("--sample", type=int, default=0, help="a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300,
                        help="at most this many seconds per mutant's test run (less: 3x the module's baseline)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--breaks", action="store_true", help="apply the named breaks of the weak tests instead")
    parser.add_argument("--results", type=Path, default=None, help="write the outcomes as JSON to this file")
    parser.add_argument("--survivors-of", type=Path, default=None,
                        help="run only the mutants that survived in this earlier --results file (after new tests)")
    parser.add_argument("--no-fork", action="store_true",
                        help="start a fresh Python per test run instead of forking a preloaded one (slower)")
    args = parser.parse_args()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))  # clean up the copy and the fork on a kill
    if args.breaks:
        if not args.no_fork:
            preload()
        raise SystemExit(0 if run_breaks(args.timeout) else 1)
    if args.summary_of:
        print(summary([r for path in args.summary_of for r in json.loads(path.read_text())]))
        return
    resolved = resolve_targets(TARGETS)
    targets = select(resolved, args.only)
    mutants = list_mutants(targets)
    if args.list:
        check_tables(list_mutants(list(resolved.values())))
    if args.per_target:
        mutants = [m for t in targets for m in _seeded_sample([m for m in mutants if m.target == t.name],
                                                              args.per_target, f"{args.seed}/{t.name}")]
    if args.per_module:
        modules = dict.fromkeys(t.module for t in targets)
        mutants = [m for module in modules for m in _seeded_sample([m for m in mutants if m.module == module],
                                                                   args.per_module, f"{args.seed}/{module}")]
    if args.survivors_of:
        earlier = json.loads(args.survivors_of.read_text())
        wanted = {(r["target"], r.get("code"), r["change"]) for r in earlier if r["outcome"] == "survived"}
        mutants = [m for m in mutants if (m.target, m.code, m.description) in wanted]
    if args.sample and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: (m.target, m.index))
    if args.list:
        for m in mutants:
            print(f"{m.target}:{m.line}:{m.column} {m.description}")
        counts = {module: sum(m.module == module for m in mutants) for module in dict.fromkeys(t.module for t in targets)}
        print(f"{len(mutants)} mutants in {len(counts)} modules: "
              + ", ".join(f"{module} {n}" for module, n in counts.items()))
        return
    if not args.no_fork:
        preload()
    print(summary(run_mutants(mutants, args.timeout, args.results)))


def select(resolved: dict[str, Target], only: list[str] | None) -> list[Target]:
    """The targets named by ``only`` (modules, ``module.function`` or bare function names; default: all)."""
    if not only:
        return list(resolved.values())
    chosen = [t for t in resolved.values() if t.module in only or t.name in only or t.qualname in only]
    known = {t.module for t in resolved.values()} | {t.name for t in resolved.values()} | set(resolved)
    unknown = [name for name in only if name not in known]
    if unknown:
        raise SystemExit(f"unknown targets {unknown}; valid: the modules {sorted({t.module for t in resolved.values()})} "
                         f"or a function of TARGETS")
    return chosen


def _seeded_sample(mutants: list[Mutant], n: int, key: str) -> list[Mutant]:
    """At most ``n`` of ``mutants``, drawn by a generator seeded by ``key`` (the same sample whatever else runs),
    in source order."""
    if len(mutants) <= n:
        return mutants
    return sorted(random.Random(key).sample(mutants, n), key=lambda m: (m.target, m.index, m.variant))


if __name__ == "__main__":
    main()

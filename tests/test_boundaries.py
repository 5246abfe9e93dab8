"""The boundary grid: every public function of ``helpers`` x every class of bad value.

The functions come from the modules themselves (``__all__``), so a function added tomorrow fails
:func:`test_every_public_function_has_an_entry` until it gets a row in :data:`TABLE` (its valid arguments and the
kind of each argument). Each kind turns the eleven classes of bad value (:data:`BAD`: NaN, inf, 1e300, a bool, a
string, a complex number, None, an empty value, the wrong rank, a negative value, a huge value) into concrete
values; :func:`test_bad_value_is_refused_naming_the_argument` drives each argument with each of them and expects a
``ValueError`` or ``TypeError`` whose message names the argument, before any work is done. Where a class is a
valid value of an argument (a negative standardized pixel, None for an optional setting), the row says so in
``accept``: the exemptions are listed, not hidden. Valid arguments are tiny, so a value that is wrongly accepted
fails fast too.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

MODULES = ("activations", "attribution", "checks", "claims", "data", "device", "distributions", "explorer", "files",
           "model", "objectives", "oip", "patterns", "plotting", "progress", "startup", "stimuli")
BAD = ("nan", "inf", "1e300", "bool", "str", "complex", "None", "empty", "wrong_rank", "negative", "huge")

SCALAR = {"nan": float("nan"), "inf": float("inf"), "1e300": 1e300, "bool": True, "str": "3", "complex": 1 + 2j,
          "None": None, "empty": [], "wrong_rank": [[1, 2], [3, 4]], "negative": -1, "huge": 10**30}

RECORDS = {
    "Checks": "built by claims.section",
    "OIPResult": "the result of run_oip/ascend", "ScanResult": "the result of precursor_scan",
    "EveryMapResult": "the result of every_map_oips",
    "TrainResult": "the result of train", "LayerInfo": "the result of layer_info", "Term": "built by the objectives",
    "GroupKey": "built by compile_objectives", "Compiled": "the result of compile_objectives",
    "Shift": "the result of pattern_shift", "CopiesFit": "the result of fit_copies",
    "MaxEntResult": "the result of max_entropy", "ExtremeValueFit": "the result of fit_extreme_value",
    "DeviceInfo": "the result of setup_device", "LayerChoice": "the result of layer_choices",
    "Claim": "the result of claim", "Captured": "the result of capture_fd2",
    "is_integer": "a predicate: it answers for any value", "is_real": "a predicate: it answers for any value",
}
"""Public names that take no user input to check: result records built by helpers, and predicates."""

METHODS_WITHOUT_INPUT = {"text", "to_dict", "describe", "mean", "var", "std", "standardized_moments", "standardize",
                         "summary", "settings", "run", "sigma", "transforms", "steps_to_snapshot", "single_term"}


@dataclass
class Case:
    """One public function: how to call it, its valid arguments and the kind of each argument it checks."""

    call: Callable[..., Any]  # call(ctx, **kwargs)
    valid: Callable[[Any], dict]  # valid(ctx) -> the keyword arguments of a valid call
    kinds: dict[str, str] = field(default_factory=dict)  # argument -> kind (see bad_value)
    accept: dict[str, set] = field(default_factory=dict)  # argument -> classes that are valid values
    names: dict[str, tuple] = field(default_factory=dict)  # argument -> words that name it in a message


DEFAULT_ACCEPT = {
    "real": {"negative", "huge", "1e300"}, "optreal": {"None", "negative", "huge", "1e300"},
    "flag": {"bool"}, "optflag": {"bool", "None"}, "optname": {"None"}, "text": {"str", "empty", "huge"},
    "opttext": {"None", "str", "empty", "huge"}, "array": {"1e300", "negative", "huge"},
    "optarray": {"None", "1e300", "negative", "huge"}, "optpath": {"None"}, "optobject": {"None"},
    "optnode": {"None"}, "optcount": {"None"}, "optstrings": {"None"}, "optmapping": {"None", "empty"},
    "optmodel": {"None"}, "images": {"empty", "negative", "huge"},
}


def bad_value(kind: str, cls: str, valid, ctx):
    """The value of class ``cls`` for an argument of ``kind`` whose valid value is ``valid``."""
    base = kind[3:] if kind.startswith("opt") else kind
    if base in ("array", "labels", "mask", "images"):
        array = np.asarray(valid)
        spotted = array.astype(np.float64).copy()
        if cls in ("nan", "inf", "1e300"):
            spotted.flat[0] = {"nan": np.nan, "inf": np.inf, "1e300": 1e300}[cls]
            return spotted
        return {"bool": array.astype(bool), "str": "abc", "complex": array + 1j, "None": None,
                "empty": array[:0] if array.ndim else np.zeros(0), "wrong_rank": array[np.newaxis, ..., np.newaxis],
                "negative": -np.abs(spotted) - 1, "huge": spotted * 1e30}[cls]
    if base in ("name", "text"):
        return {"str": "Nope", "empty": "", "wrong_rank": ["Nope", "Nope"], "huge": "N" * 100_000}.get(cls, SCALAR[cls])
    if base == "flag":
        return {"str": "no", "wrong_rank": [True, False]}.get(cls, SCALAR[cls])
    if base == "path":
        return {"str": str(ctx.folder), "empty": "", "wrong_rank": [str(valid), str(valid)]}.get(cls, SCALAR[cls])
    if base == "strings":
        return {"str": "abcd", "empty": [], "wrong_rank": [["a", "b"]] * len(valid),
                "huge": ["x"] * 10**5}.get(cls, SCALAR[cls])
    if base in ("sizes", "node", "pair"):
        valid = (1, 1) if valid is None else valid  # an optional node left at None: vary a valid one
        first = {"str": None, "empty": None, "wrong_rank": None}.get(cls, SCALAR[cls])
        if cls == "str":
            return "ab"
        if cls == "empty":
            return ()
        if cls == "wrong_rank":
            return tuple((v, v) for v in valid)
        if cls == "None":
            return None
        return (first, *tuple(valid)[1:])
    if base == "pairs":
        return {"str": "abc", "empty": (), "wrong_rank": ((3, 3, 3),), "negative": ((-3, 3),),
                "huge": ((10**30, 3),)}.get(cls, SCALAR[cls])
    if base == "mapping":
        return {"str": "abc", "empty": {}, "wrong_rank": [valid]}.get(cls, SCALAR[cls])
    if base == "objectives":
        return {"str": "abc", "empty": [], "wrong_rank": [list(valid)]}.get(cls, SCALAR[cls])
    if base == "model":
        return {"str": "model"}.get(cls, SCALAR[cls])
    return SCALAR[cls]  # count, int, real, object, any


def expected(case: Case, arg: str) -> set:
    kind = case.kinds[arg]
    return set(BAD) - DEFAULT_ACCEPT.get(kind, set()) - case.accept.get(arg, set())


# ---------------------------------------------------------------------------------------------- context


class Context:
    """Tiny valid inputs shared by every row (built once per module run)."""

    def __init__(self, model, folder):
        from matplotlib.figure import Figure

        from helpers import data, distributions, explorer, model as cnn_model, objectives, oip, plotting

        rng = np.random.default_rng(0)
        self.model, self.folder = model, folder
        self.x = rng.normal(size=(2, 28, 28, 1)).astype(np.float32)
        self.raw = rng.integers(0, 256, size=(6, 28, 28)).astype(np.uint8)
        self.labels = np.array([0, 1, 2, 0, 1, 2])
        self.std = data.Standardizer(33.0, 78.0)
        self.fig = Figure(figsize=(1, 1))
        self.fig.add_subplot().plot([0, 1])
        self.image = np.add.outer(np.sin(np.arange(12) / 2), np.cos(np.arange(12) / 3))
        self.density = distributions.GridDensity.normalized(0.0, 0.5, np.array([1.0, 2.0, 3.0, 2.0, 1.0]))
        self.config = cnn_model.TrainConfig(epochs=1, train_size=4, validation_size=2, augment=False)
        self.settings = explorer.ExplorerSettings("Conv2D_3", ascent=oip.AscentSettings(n_steps=2, progress=False))
        self.ascent = oip.AscentSettings(n_steps=2, progress=False, snapshot_steps=())
        self.objective = objectives.map_objective("Conv2D_3", 0)
        self.compiled = objectives.compile_objectives(model, [self.objective])
        self.info = objectives.layer_info(model, "Conv2D_3")
        self.result = oip.OIPResult(layer_name="Conv2D_3", map_indices=np.array([0]), node=None,
                                    images=self.x[:1], initial=self.x[:1], losses=np.array([[0.1], [0.2]], np.float32),
                                    converged_at=np.array([-1]), steps_run=1)
        self.train_result = cnn_model.TrainResult({"loss": [1.0]}, 1, 0.5, 1.0, 1.0)
        self.maxent = distributions.max_entropy(np.linspace(-3, 3, 31), {"x": 0.0, "x^2": 1.0})
        self.animation = plotting.animate_frames(np.zeros((2, 4, 4)))
        self.record = {"format": cnn_model.RECORD_FORMAT, "format_version": cnn_model.RECORD_VERSION,
                       "input_shape": [28, 28, 1], "layer_names": ["a"], "standardization": self.std.to_dict(),
                       "versions": {"keras": "3"}}
        self.file = folder / "file.bin"
        self.file.write_bytes(b"abc")


@pytest.fixture(scope="module")
def ctx(cnn, tmp_path_factory):
    return Context(cnn, tmp_path_factory.mktemp("boundaries"))


# -------------------------------------------------------------------------------------------------- table

def _h(module: str):
    return importlib.import_module(f"helpers.{module}")


def fn(module: str, name: str):
    """``call(ctx, **kwargs)`` for the function ``helpers.module.name``."""
    return lambda ctx, **kw: getattr(_h(module), name)(**kw)


X = lambda c: c.x  # noqa: E731
M = lambda c: c.model  # noqa: E731
LAYER = {"layer_name": ("layer_name", "layer")}

TABLE: dict[str, Case] = {
    # ------------------------------------------------------------------------------------------- activations
    "activations.layer_names": Case(fn("activations", "layer_names"), lambda c: dict(model=c.model), {"model": "model"}),
    "activations.check_layer_name": Case(fn("activations", "check_layer_name"),
                                         lambda c: dict(model=c.model, layer_name="Conv2D_3"),
                                         {"model": "model", "layer_name": "name"}, names=LAYER),
    "activations.check_input_shape": Case(fn("activations", "check_input_shape"), lambda c: dict(model=c.model, x=c.x),
                                          {"model": "model", "x": "array"},
                                          accept={"x": {"nan", "inf", "bool", "complex", "empty"}}),  # shapes only
    "activations.activation_model": Case(fn("activations", "activation_model"),
                                         lambda c: dict(model=c.model, layer_names="Conv2D_3", pre_activation=False),
                                         {"model": "model", "layer_names": "name", "pre_activation": "flag"},
                                         names={"layer_names": ("layer_names", "layer")}),
    "activations.clear_cache": Case(fn("activations", "clear_cache"), lambda c: {}),
    "activations.check_batch_size": Case(fn("activations", "check_batch_size"), lambda c: dict(batch_size=8),
                                         {"batch_size": "count"}),
    "activations.as_model_input": Case(fn("activations", "as_model_input"), lambda c: dict(model=c.model, x=c.x),
                                       {"model": "model", "x": "array"}, accept={"x": {"empty"}}),
    "activations.extract_many": Case(fn("activations", "extract_many"),
                                     lambda c: dict(model=c.model, x=c.x, layer_names=["Conv2D_3"], batch_size=8,
                                                    pre_activation=False, verbose=False),
                                     {"model": "model", "x": "images", "layer_names": "strings", "batch_size": "count",
                                      "pre_activation": "flag", "verbose": "flag"},
                                     accept={"x": {"empty"}},
                                     names={"layer_names": ("layer_names", "layer")}),
    "activations.extract": Case(fn("activations", "extract"),
                                lambda c: dict(model=c.model, x=c.x, layer_name="Conv2D_3", batch_size=8),
                                {"model": "model", "x": "images", "layer_name": "name", "batch_size": "count"},
                                accept={"x": {"empty"}}, names=LAYER),
    "activations.class_means": Case(fn("activations", "class_means"),
                                    lambda c: dict(activations=np.ones((6, 2)), labels=c.labels, n_classes=3),
                                    {"activations": "array", "labels": "labels", "n_classes": "count"},
                                    accept={"activations": {"negative", "huge"}}),
    "activations.cross_similarity": Case(fn("activations", "cross_similarity"),
                                         lambda c: dict(a=np.eye(3), b=np.eye(3), metric="cosine"),
                                         {"a": "array", "b": "array", "metric": "name"},
                                         accept={"a": {"negative", "huge"}, "b": {"negative", "huge"}}),
    "activations.similarity_matrix": Case(fn("activations", "similarity_matrix"),
                                          lambda c: dict(patterns=np.eye(3), metric="cosine"),
                                          {"patterns": "array", "metric": "name"},
                                          accept={"patterns": {"negative", "huge", "wrong_rank"}}),
    "activations.nearest_class_mean_accuracy": Case(
        fn("activations", "nearest_class_mean_accuracy"),
        lambda c: dict(train_patterns=np.eye(6)[:, :3] + 1, train_labels=c.labels, test_patterns=np.eye(3) + 1,
                       test_labels=np.array([0, 1, 2]), metric="cosine"),
        {"train_patterns": "array", "train_labels": "labels", "test_patterns": "array", "test_labels": "labels",
         "metric": "name"},
        accept={"train_patterns": {"negative", "huge"}, "test_patterns": {"negative", "huge"},
                "train_labels": {"huge"}},  # more classes: empty ones are refused by name below
        names={"train_patterns": ("train_patterns", "train_labels", "classes"),
               "train_labels": ("train_labels", "classes")}),
    "activations.paired_cosine": Case(fn("activations", "paired_cosine"), lambda c: dict(a=np.eye(3), b=np.eye(3)),
                                      {"a": "array", "b": "array"},
                                      accept={"a": {"negative", "huge"}, "b": {"negative", "huge"}}),
    "activations.mean_pairwise_cosine": Case(fn("activations", "mean_pairwise_cosine"),
                                             lambda c: dict(patterns=np.eye(3)), {"patterns": "array"},
                                             accept={"patterns": {"negative", "huge"}}),
    "activations.profile_correlation": Case(fn("activations", "profile_correlation"),
                                            lambda c: dict(a=np.eye(3), b=np.eye(3)), {"a": "array", "b": "array"},
                                            accept={"a": {"negative", "huge"}, "b": {"negative", "huge"}}),
    "activations.pattern_correlation": Case(fn("activations", "pattern_correlation"),
                                            lambda c: dict(images_a=np.eye(3), images_b=np.eye(3)),
                                            {"images_a": "array", "images_b": "array"},
                                            accept={"images_a": {"negative", "huge"}, "images_b": {"negative", "huge"}}),
    "activations.top_examples": Case(fn("activations", "top_examples"),
                                     lambda c: dict(model=c.model, layer_name="Conv2D_3", images=c.x, map_index=0, k=1,
                                                    node=None, batch_size=8),
                                     {"model": "model", "layer_name": "name", "images": "images", "map_index": "int",
                                      "k": "count", "node": "optnode", "batch_size": "count"},
                                     names={**LAYER, "images": ("images", "k")}),
    "activations.firing_fraction": Case(fn("activations", "firing_fraction"),
                                        lambda c: dict(activations=np.ones((2, 3)), threshold=0.0),
                                        {"activations": "array", "threshold": "real"},
                                        accept={"activations": {"1e300", "negative", "huge", "wrong_rank"}}),
    "activations.receptive_field": Case(fn("activations", "receptive_field"),
                                        lambda c: dict(model=c.model, layer_name="Conv2D_3", node=(1, 1)),
                                        {"model": "model", "layer_name": "name", "node": "node"}, names=LAYER),
    "activations.top_patches": Case(fn("activations", "top_patches"),
                                    lambda c: dict(model=c.model, layer_name="Conv2D_3", images=c.x, map_index=0,
                                                   node=(1, 1), k=1, batch_size=8),
                                    {"model": "model", "layer_name": "name", "images": "images", "map_index": "int",
                                     "node": "node", "k": "count", "batch_size": "count"},
                                    names={**LAYER, "images": ("images", "k")}),
    # ------------------------------------------------------------------------------------------- attribution
    "attribution.class_scores": Case(fn("attribution", "class_scores"),
                                     lambda c: dict(model=c.model, x=c.x, class_indices=[0, 1], target_layer=None,
                                                    batch_size=8),
                                     {"model": "model", "x": "images", "class_indices": "labels",
                                      "target_layer": "optname", "batch_size": "count"},
                                     names={"class_indices": ("class_indices", "class index"),
                                            "target_layer": ("target_layer", "layer")}),
    "attribution.saliency": Case(fn("attribution", "saliency"),
                                 lambda c: dict(model=c.model, x=c.x, class_indices=[0, 1], absolute=False),
                                 {"model": "model", "x": "images", "class_indices": "labels", "absolute": "flag"},
                                 names={"class_indices": ("class_indices", "class index")}),
    "attribution.smoothgrad": Case(fn("attribution", "smoothgrad"),
                                   lambda c: dict(model=c.model, x=c.x, class_indices=[0, 1], n_samples=2,
                                                  noise_level=0.1, seed=0, absolute=False, verbose=False),
                                   {"model": "model", "x": "images", "class_indices": "labels", "n_samples": "count",
                                    "noise_level": "real", "seed": "int", "absolute": "flag", "verbose": "flag"},
                                   accept={"noise_level": set()},
                                   names={"class_indices": ("class_indices", "class index")}),
    "attribution.grad_cam": Case(fn("attribution", "grad_cam"),
                                 lambda c: dict(model=c.model, x=c.x, class_indices=[0, 1], layer_name="Conv2D_3",
                                                upsample=True),
                                 {"model": "model", "x": "images", "class_indices": "labels", "layer_name": "name",
                                  "upsample": "flag"},
                                 names={**LAYER, "class_indices": ("class_indices", "class index")}),
    "attribution.integrated_gradients": Case(
        fn("attribution", "integrated_gradients"),
        lambda c: dict(model=c.model, x=c.x, class_indices=[0, 1], baseline=np.zeros((28, 28, 1)), n_steps=2,
                       verbose=False),
        {"model": "model", "x": "images", "class_indices": "labels", "baseline": "optarray", "n_steps": "count",
         "verbose": "flag"},
        names={"class_indices": ("class_indices", "class index")}),
    "attribution.completeness_gap": Case(
        fn("attribution", "completeness_gap"),
        lambda c: dict(model=c.model, attributions=np.zeros_like(c.x), x=c.x, class_indices=[0, 1],
                       baseline=np.zeros((28, 28, 1))),
        {"model": "model", "attributions": "array", "x": "images", "class_indices": "labels", "baseline": "optarray"},
        names={"class_indices": ("class_indices", "class index"), "attributions": ("attributions", "x")}),
    "attribution.randomized_copy": Case(fn("attribution", "randomized_copy"),
                                        lambda c: dict(model=c.model, from_layer="Dense_2", seed=0),
                                        {"model": "model", "from_layer": "optname", "seed": "int"},
                                        names={"from_layer": ("layer_name", "layer")}),
    "attribution.rank_correlation": Case(
        fn("attribution", "rank_correlation"),
        lambda c: dict(a=np.eye(3)[None], b=np.eye(3)[None], absolute=True, mask=np.ones((1, 3, 3), bool)),
        {"a": "array", "b": "array", "absolute": "flag", "mask": "optarray"},
        accept={"mask": {"bool"}}),
    # ------------------------------------------------------------------------------------------------ checks
    "checks.integer": Case(fn("checks", "integer"), lambda c: dict(name="n_steps", value=3, low=1, high=10),
                           {"value": "count"}, names={"value": ("n_steps",)}),
    "checks.size": Case(fn("checks", "size"), lambda c: dict(name="n_samples", value=3, high=10, why="slow"),
                        {"value": "count"}, names={"value": ("n_samples",)}),
    "checks.real": Case(fn("checks", "real"), lambda c: dict(name="epsilon", value=0.5, low=0, high=1),
                        {"value": "real"}, accept={"value": set()}, names={"value": ("epsilon",)}),
    "checks.flag": Case(fn("checks", "flag"), lambda c: dict(name="absolute", value=True), {"value": "flag"},
                        names={"value": ("absolute",)}),
    "checks.choice": Case(fn("checks", "choice"), lambda c: dict(name="metric", value="a", valid=("a", "b")),
                          {"value": "name"}, names={"value": ("metric",)}),
    "checks.string": Case(fn("checks", "string"), lambda c: dict(name="title", value="a"), {"value": "name"},
                          accept={"value": {"str", "huge"}}, names={"value": ("title",)}),
    "checks.strings": Case(fn("checks", "strings"), lambda c: dict(name="titles", value=["a", "b"], count=2),
                           {"value": "strings"}, names={"value": ("titles",)}),
    "checks.finite_array": Case(fn("checks", "finite_array"), lambda c: dict(name="x", x=np.ones((2, 2)), ndim=2,
                                                                             allow_empty=False),
                                {"x": "array"}),
    "checks.labels": Case(fn("checks", "labels"), lambda c: dict(name="labels", x=c.labels, n_classes=3, count=6),
                          {"x": "labels"}, names={"x": ("labels",)}),
    "checks.node": Case(fn("checks", "node"), lambda c: dict(value=(1, 1), grid=(3, 3), where="layer 'a'"),
                        {"value": "node"}, names={"value": ("node",)}),
    "checks.file_path": Case(fn("checks", "file_path"), lambda c: dict(name="path", value="a.png"), {"value": "path"},
                             names={"value": ("path",)}),
    "checks.keras_model": Case(fn("checks", "keras_model"), lambda c: dict(name="model", value=c.model),
                               {"value": "model"}, names={"value": ("model",)}),
    "checks.unused": Case(fn("checks", "unused"), lambda c: dict(name="damping_sigma", value=None, default=None,
                                                                 mode="with damping"),
                          {"value": "optobject"}, names={"value": ("damping_sigma",)}),
    # ------------------------------------------------------------------------------------------------ claims
    "claims.claim": Case(fn("claims", "claim"), lambda c: dict(statement="s", holds=True, evidence="e", strict=None),
                         {"statement": "name", "holds": "flag", "evidence": "name", "strict": "optflag"},
                         accept={"statement": {"str", "huge"}, "evidence": {"str", "huge"}}),
    "claims.section": Case(lambda c, **kw: _enter_section(**kw), lambda c: dict(title=None), {"title": "optname"},
                           accept={"title": {"str", "huge"}}),
    # -------------------------------------------------------------------------------------------------- data
    "files.sha256_of": Case(fn("files", "sha256_of"), lambda c: dict(path=c.file), {"path": "path"}),
    "data.read_idx": Case(fn("data", "read_idx"), lambda c: dict(path=c.file), {"path": "path"}),
    "data.load_mnist": Case(fn("data", "load_mnist"), lambda c: dict(data_dir=c.folder / "none", verify_checksums=True),
                            {"data_dir": "optpath", "verify_checksums": "flag"}, accept={"data_dir": {"str"}},
                            names={"data_dir": ("data_dir", "folder", "MNIST")}),
    "data.Standardizer": Case(lambda c, **kw: _h("data").Standardizer(**kw), lambda c: dict(mean=33.0, std=78.0),
                              {"mean": "real", "std": "real"},
                              accept={"mean": {"negative"}, "std": set()}),
    "data.Standardizer.fit": Case(lambda c, **kw: _h("data").Standardizer.fit(**kw),
                                  lambda c: dict(images_uint8=c.raw), {"images_uint8": "array"},
                                  accept={"images_uint8": {"wrong_rank"}},
                                  names={"images_uint8": ("images_uint8", "empty")}),
    "data.Standardizer.apply": Case(lambda c, **kw: c.std.apply(**kw), lambda c: dict(images_uint8=c.raw),
                                    {"images_uint8": "array"}, accept={"images_uint8": {"empty"}},
                                    names={"images_uint8": ("images_uint8", "images")}),
    "data.Standardizer.invert": Case(lambda c, **kw: c.std.invert(**kw), lambda c: dict(x=c.x), {"x": "array"},
                                     accept={"x": {"empty", "wrong_rank"}}),
    "data.Standardizer.from_dict": Case(lambda c, **kw: _h("data").Standardizer.from_dict(**kw),
                                        lambda c: dict(record={"mean": 33.0, "std": 78.0}), {"record": "mapping"},
                                        names={"record": ("record",)}),
    # ------------------------------------------------------------------------------------------------ device
    "device.is_fast_path": Case(fn("device", "is_fast_path"), lambda c: {}),
    "device.bfloat16_native": Case(fn("device", "bfloat16_native"), lambda c: {}),
    "device.is_storing_run": Case(fn("device", "is_storing_run"), lambda c: {}),
    "device.is_strict_run": Case(fn("device", "is_strict_run"), lambda c: {}),
    "device.setup_device": Case(fn("device", "setup_device"),
                                lambda c: dict(device="cpu", intra_op_threads=None, inter_op_threads=None,
                                               memory_growth=True, verbose=False),
                                {"device": "name", "intra_op_threads": "optcount", "inter_op_threads": "optcount",
                                 "memory_growth": "flag", "verbose": "flag"}),
    "device.set_seeds": Case(fn("device", "set_seeds"), lambda c: dict(seed=1, deterministic=False),
                             {"seed": "int", "deterministic": "flag"}),
    "device.cpu_flags": Case(fn("device", "cpu_flags"), lambda c: dict(path="/proc/cpuinfo"), {"path": "path"}),
    # ----------------------------------------------------------------------------------------- distributions
    "distributions.GridDensity": Case(lambda c, **kw: _h("distributions").GridDensity(**kw),
                                      lambda c: dict(x0=0.0, dx=0.5, p=np.array([0.25, 0.5, 0.25])),
                                      {"x0": "real", "dx": "real", "p": "array"},
                                      accept={"x0": {"negative", "huge"}, "dx": {"huge"}, "p": set()},
                                      names={"dx": ("dx",), "p": ("p",)}),
    "distributions.GridDensity.normalized": Case(
        lambda c, **kw: _h("distributions").GridDensity.normalized(**kw),
        lambda c: dict(x0=0.0, dx=0.5, weights=np.array([1.0, 2.0])), {"x0": "real", "dx": "real", "weights": "array"},
        accept={"x0": {"negative", "huge"}, "dx": {"huge"}, "weights": {"1e300", "huge"}}),
    "distributions.discretize": Case(fn("distributions", "discretize"),
                                     lambda c: dict(dist=__import__("scipy.stats").stats.norm(), low=-3.0, high=3.0,
                                                    dx=0.5),
                                     {"dist": "object", "low": "real", "high": "real", "dx": "real"},
                                     accept={"low": {"negative"}, "dx": set()}),
    "distributions.histogram_density": Case(fn("distributions", "histogram_density"),
                                            lambda c: dict(samples=np.arange(10.0), n_bins=4),
                                            {"samples": "array", "n_bins": "count"},
                                            accept={"samples": {"wrong_rank", "negative"}}),
    "distributions.convolve": Case(fn("distributions", "convolve"), lambda c: dict(a=c.density, b=c.density),
                                   {"a": "object", "b": "object"}),
    "distributions.partial_sums": Case(fn("distributions", "partial_sums"), lambda c: dict(part=c.density, n_max=2),
                                       {"part": "object", "n_max": "count"}),
    "distributions.gaussian_distance": Case(fn("distributions", "gaussian_distance"),
                                            lambda c: dict(g=c.density, metric="kl"), {"g": "object", "metric": "name"}),
    "distributions.characteristic_function": Case(fn("distributions", "characteristic_function"),
                                                  lambda c: dict(g=c.density, t=np.linspace(0, 1, 3)),
                                                  {"g": "object", "t": "array"},
                                                  accept={"t": {"empty", "wrong_rank", "negative", "1e300", "huge"}}),
    "distributions.MaxEntResult.max_constraint_error": Case(
        lambda c, **kw: c.maxent.max_constraint_error(**kw), lambda c: dict(targets={"x": 0.0}),
        {"targets": "mapping"}, names={"targets": ("targets", "feature")}),
    "distributions.max_entropy": Case(fn("distributions", "max_entropy"),
                                      lambda c: dict(x=np.linspace(-3, 3, 31), constraints={"x": 0.0, "x^2": 1.0},
                                                     features=None, tol=1e-7, max_iterations=50),
                                      {"x": "array", "constraints": "mapping", "features": "optmapping", "tol": "real",
                                       "max_iterations": "count"},
                                      accept={"tol": set()},
                                      names={"constraints": ("constraints", "constraint")}),
    "distributions.survival_function": Case(fn("distributions", "survival_function"),
                                            lambda c: dict(samples=np.arange(5.0)), {"samples": "array"},
                                            accept={"samples": {"wrong_rank"}}),
    "distributions.hill_tail_index": Case(fn("distributions", "hill_tail_index"),
                                          lambda c: dict(samples=np.arange(1.0, 20.0), k=5),
                                          {"samples": "array", "k": "count"},
                                          accept={"samples": {"wrong_rank"}},
                                          names={"samples": ("samples", "largest", "k")}),
    "distributions.block_maxima": Case(fn("distributions", "block_maxima"),
                                       lambda c: dict(samples=np.arange(10.0), block_size=2),
                                       {"samples": "array", "block_size": "count"},
                                       accept={"samples": {"wrong_rank"}},
                                       names={"samples": ("samples", "block")}),
    "distributions.fit_extreme_value": Case(fn("distributions", "fit_extreme_value"),
                                            lambda c: dict(maxima=np.arange(20.0) ** 1.5, alpha=0.05),
                                            {"maxima": "array", "alpha": "real"},
                                            accept={"maxima": {"wrong_rank", "negative"}, "alpha": set()}),
    # -------------------------------------------------------------------------------------------------- files
    "files.temporary_path": Case(fn("files", "temporary_path"), lambda c: dict(target=c.folder / "t.txt"),
                                 {"target": "path"}),
    "files.check_overwrite": Case(fn("files", "check_overwrite"),
                                  lambda c: dict(paths=[c.folder / "new.txt"], overwrite=False, hint="pass it"),
                                  {"paths": "path", "overwrite": "flag", "hint": "name"},
                                  accept={"paths": {"wrong_rank"}, "hint": {"str", "huge"}},
                                  names={"paths": ("paths",)}),
    "files.atomic_write": Case(fn("files", "atomic_write"),
                               lambda c: dict(path=c.folder / "w.txt", write=lambda p: p.write_text("x"),
                                              overwrite=True),
                               {"path": "path", "write": "object", "overwrite": "flag"}),
    "files.previous_copy": Case(fn("files", "previous_copy"), lambda c: dict(path=c.folder / "p.txt"), {"path": "path"}),
    "files.publish_pair": Case(fn("files", "publish_pair"),
                               lambda c: dict(first=(c.folder / "a.tmp", c.folder / "a.txt"),
                                              second=(c.folder / "b.tmp", c.folder / "b.txt")),
                               {"first": "object", "second": "object"}),
    "files.package_digest": Case(fn("files", "package_digest"), lambda c: dict(package=_h("oip")),
                                 {"package": "object"}),
    "files.cached": Case(fn("files", "cached"), lambda c: dict(path=c.folder / "cache.pkl", key=("k", 1),
                                                               compute=lambda: 1),
                         {"path": "path", "key": "any", "compute": "object"},
                         accept={"key": {"nan", "inf", "1e300", "bool", "str", "complex", "None", "negative", "huge"}}),
    # -------------------------------------------------------------------------------------------------- model
    "model.build_cnn": Case(fn("model", "build_cnn"),
                            lambda c: dict(input_shape=(28, 28, 1), n_classes=10, conv_filters=(4, 8, 16),
                                           kernel_size=3, dense_units=5, l2=0.0, seed=None),
                            {"input_shape": "sizes", "n_classes": "count", "conv_filters": "sizes",
                             "kernel_size": "count", "dense_units": "count", "l2": "real", "seed": "optcount"},
                            accept={"l2": set(), "seed": {"None"}}),
    "model.build_mlp": Case(fn("model", "build_mlp"),
                            lambda c: dict(input_shape=(28, 28, 1), hidden_units=(4,), n_classes=10, l2=0.0, seed=None),
                            {"input_shape": "sizes", "hidden_units": "sizes", "n_classes": "count", "l2": "real",
                             "seed": "optcount"},
                            accept={"l2": set(), "seed": {"None"}, "hidden_units": {"empty"}}),
    "model.TrainConfig": Case(
        lambda c, **kw: _h("model").TrainConfig(**kw), lambda c: {},
        {"epochs": "count", "batch_size": "count", "optimizer": "name", "learning_rate": "real", "momentum": "real",
         "schedule": "name", "decay_rate": "real", "step_epochs": "count", "l2": "real", "augment": "flag",
         "shift_pixels": "real", "rotation_degrees": "real", "validation_size": "count", "train_size": "optcount",
         "seed": "int"},
        accept={name: set() for name in ("learning_rate", "momentum", "decay_rate", "l2", "shift_pixels",
                                         "rotation_degrees")}),
    "model.TrainConfig.from_dict": Case(lambda c, **kw: _h("model").TrainConfig.from_dict(**kw),
                                        lambda c: dict(record={"epochs": 1}), {"record": "mapping"},
                                        accept={"record": {"empty"}}, names={"record": ("record", "settings")}),
    "model.make_schedule": Case(fn("model", "make_schedule"), lambda c: dict(config=c.config, steps_per_epoch=3),
                                {"config": "object", "steps_per_epoch": "count"}),
    "model.learning_rates_per_epoch": Case(fn("model", "learning_rates_per_epoch"),
                                           lambda c: dict(config=c.config, steps_per_epoch=3),
                                           {"config": "object", "steps_per_epoch": "count"}),
    "model.make_optimizer": Case(fn("model", "make_optimizer"), lambda c: dict(config=c.config, steps_per_epoch=3),
                                 {"config": "object", "steps_per_epoch": "count"}),
    "model.check_images_and_labels": Case(fn("model", "check_images_and_labels"),
                                          lambda c: dict(images_uint8=c.raw, labels=c.labels, n_classes=10),
                                          {"images_uint8": "array", "labels": "labels", "n_classes": "count"},
                                          accept={"images_uint8": {"huge"}},
                                          names={"images_uint8": ("images",)}),
    "model.augment_images": Case(fn("model", "augment_images"),
                                 lambda c: dict(images_uint8=c.raw[:1], config=c.config, seed=(0, 0)),
                                 {"images_uint8": "array", "config": "object", "seed": "pair"},
                                 accept={"images_uint8": {"empty", "negative", "huge", "1e300"}, "seed": {"negative"}},
                                 names={"images_uint8": ("images",)}),
    "model.make_dataset": Case(fn("model", "make_dataset"),
                               lambda c: dict(images_uint8=c.raw, labels=c.labels, standardizer=c.std, batch_size=2,
                                              shuffle=False, augment=None, seed=0, epochs=1),
                               {"images_uint8": "array", "labels": "labels", "standardizer": "object",
                                "batch_size": "count", "shuffle": "flag", "augment": "optobject", "seed": "int",
                                "epochs": "count"},
                               accept={"images_uint8": {"huge"}}, names={"images_uint8": ("images",)}),
    "model.split_train_validation": Case(fn("model", "split_train_validation"),
                                         lambda c: dict(images_uint8=c.raw, labels=c.labels, config=c.config),
                                         {"images_uint8": "array", "labels": "labels", "config": "object"},
                                         accept={"images_uint8": {"huge", "negative", "1e300"},
                                                 "labels": {"negative", "huge"}},  # any data: a split only
                                         names={"images_uint8": ("images",)}),
    "model.apply_l2": Case(fn("model", "apply_l2"), lambda c: dict(model=c.model, l2=0.0),
                           {"model": "model", "l2": "real"}, accept={"l2": set()}),
    "model.kernel_norm": Case(fn("model", "kernel_norm"), lambda c: dict(model=c.model), {"model": "model"}),
    "model.compile_for_training": Case(fn("model", "compile_for_training"),
                                       lambda c: dict(model=c.model, config=c.config, steps_per_epoch=3),
                                       {"model": "model", "config": "object", "steps_per_epoch": "count"}),
    "model.train": Case(fn("model", "train"),
                        lambda c: dict(model=c.model, config=c.config, images_uint8=c.raw, labels=c.labels,
                                       standardizer=c.std, verbose=0, progress=False),
                        {"model": "model", "config": "object", "images_uint8": "array", "labels": "labels",
                         "standardizer": "object", "verbose": "name", "progress": "optflag"},
                        accept={"images_uint8": {"huge"}}, names={"images_uint8": ("images",)}),
    "model.evaluate_accuracy": Case(fn("model", "evaluate_accuracy"),
                                    lambda c: dict(model=c.model, images_uint8=c.raw, labels=c.labels,
                                                   standardizer=c.std),
                                    {"model": "model", "images_uint8": "array", "labels": "labels",
                                     "standardizer": "object"},
                                    accept={"images_uint8": {"huge"}}, names={"images_uint8": ("images",)}),
    "model.predict_probabilities": Case(fn("model", "predict_probabilities"),
                                        lambda c: dict(model=c.model, images_uint8=c.raw, standardizer=c.std,
                                                       batch_size=4),
                                        {"model": "model", "images_uint8": "array", "standardizer": "object",
                                         "batch_size": "count"},
                                        accept={"images_uint8": {"empty", "huge"}},
                                        names={"images_uint8": ("images",)}),
    "model.predict_classes": Case(fn("model", "predict_classes"),
                                  lambda c: dict(model=c.model, images_uint8=c.raw, standardizer=c.std),
                                  {"model": "model", "images_uint8": "array", "standardizer": "object"},
                                  accept={"images_uint8": {"empty", "huge"}}, names={"images_uint8": ("images",)}),
    "model.make_record": Case(fn("model", "make_record"),
                              lambda c: dict(model=c.model, standardizer=c.std, config=c.config, result=c.train_result,
                                             test_accuracy=0.5),
                              {"model": "model", "standardizer": "object", "config": "object", "result": "object",
                               "test_accuracy": "real"}, accept={"test_accuracy": set()}),
    "model.record_path": Case(fn("model", "record_path"), lambda c: dict(model_path="m.keras"), {"model_path": "path"}),
    "model.check_record": Case(fn("model", "check_record"),
                               lambda c: dict(record=c.record, where="here", saved=False),
                               {"record": "mapping", "where": "name", "saved": "flag"},
                               accept={"where": {"str", "huge"}}),
    "model.save_model": Case(fn("model", "save_model"),
                             lambda c: dict(model=c.model, record=c.record, path=c.folder / "m.keras", overwrite=False),
                             {"model": "model", "record": "mapping", "path": "path", "overwrite": "flag"},
                             names={"path": ("path", ".keras")}),
    "model.read_record": Case(fn("model", "read_record"), lambda c: dict(path=c.folder / "m.keras"), {"path": "path"},
                              names={"path": ("path", "model_path")}),
    "model.load_model": Case(fn("model", "load_model"), lambda c: dict(path=c.folder / "m.keras"), {"path": "path"}),
    # --------------------------------------------------------------------------------------------- objectives
    "objectives.layer_info": Case(fn("objectives", "layer_info"), lambda c: dict(model=c.model, layer_name="Conv2D_3"),
                                  {"model": "model", "layer_name": "name"}, names=LAYER),
    "objectives.check_targets": Case(fn("objectives", "check_targets"),
                                     lambda c: dict(info=c.info, map_indices=[0, 1], node=None),
                                     {"info": "object", "map_indices": "labels", "node": "optnode"},
                                     names={"map_indices": ("map_indices", "map indices", "map_index")}),
    "objectives.Objective": Case(lambda c, **kw: _h("objectives").Objective(**kw),
                                 lambda c: dict(terms=c.objective.terms), {"terms": "object"},
                                 accept={"terms": {"empty"}}, names={"terms": ("terms", "weight")}),
    "objectives.Objective.__mul__": Case(lambda c, **kw: c.objective * kw["factor"], lambda c: dict(factor=2.0),
                                         {"factor": "real"}, accept={"factor": {"negative", "huge"}},
                                         names={"factor": ("multiplied", "factor", "weight")}),
    "objectives.Objective.__truediv__": Case(lambda c, **kw: c.objective / kw["divisor"], lambda c: dict(divisor=2.0),
                                             {"divisor": "real"}, accept={"divisor": {"negative", "huge", "1e300"}},
                                             names={"divisor": ("divided", "divisor")}),
    "objectives.Objective.__add__": Case(lambda c, **kw: c.objective + kw["other"], lambda c: dict(other=c.objective),
                                         {"other": "object"}, names={"other": ("added", "objective")}),
    "objectives.map_objective": Case(fn("objectives", "map_objective"), lambda c: dict(layer_name="Conv2D_3", map_index=0),
                                     {"layer_name": "name", "map_index": "int"},
                                     accept={"layer_name": {"str", "huge"}, "map_index": {"huge"}}),
    "objectives.node_objective": Case(fn("objectives", "node_objective"),
                                      lambda c: dict(layer_name="Conv2D_3", map_index=0, node=(1, 1)),
                                      {"layer_name": "name", "map_index": "int", "node": "node"},
                                      accept={"layer_name": {"str", "huge"}, "map_index": {"huge"}, "node": {"huge"}}),
    "objectives.unit_objective": Case(fn("objectives", "unit_objective"),
                                      lambda c: dict(layer_name="Dense_1", unit=0, pre_activation=False),
                                      {"layer_name": "name", "unit": "int", "pre_activation": "flag"},
                                      accept={"layer_name": {"str", "huge"}, "unit": {"huge"}}),
    "objectives.class_logit": Case(fn("objectives", "class_logit"), lambda c: dict(class_index=0, layer_name=None),
                                   {"class_index": "int", "layer_name": "optname"},
                                   accept={"class_index": {"huge"}, "layer_name": {"str", "huge"}}),
    "objectives.direction": Case(fn("objectives", "direction"),
                                 lambda c: dict(layer_name="Conv2D_3", vector=np.ones(16)),
                                 {"layer_name": "name", "vector": "array"},
                                 accept={"layer_name": {"str", "huge"}, "vector": {"negative", "huge"}}),
    "objectives.output_layer_name": Case(fn("objectives", "output_layer_name"), lambda c: dict(model=c.model),
                                         {"model": "model"}),
    "objectives.compile_objectives": Case(fn("objectives", "compile_objectives"),
                                          lambda c: dict(model=c.model, objectives=[c.objective]),
                                          {"model": "model", "objectives": "objectives"},
                                          names={"objectives": ("objective",)}),
    # -------------------------------------------------------------------------------------------------- oip
    "oip.initial_images": Case(fn("oip", "initial_images"),
                               lambda c: dict(n=2, image_shape=(8, 8, 1), scales=((3, 3), (8, 8)),
                                              amplitudes=(1.0, 0.5), smoothing_sigma=0.0, seed=0),
                               {"n": "int", "image_shape": "sizes", "scales": "pairs", "amplitudes": "optarray",
                                "smoothing_sigma": "real", "seed": "int"},
                               accept={"amplitudes": {"None", "negative"}, "smoothing_sigma": set()}),
    "oip.standardize_per_image": Case(fn("oip", "standardize_per_image"), lambda c: dict(x=c.x), {"x": "array"},
                                      accept={"x": {"empty", "negative", "huge"}}),
    "oip.high_frequency_share": Case(fn("oip", "high_frequency_share"), lambda c: dict(images=c.x, cutoff=0.5),
                                     {"images": "array", "cutoff": "real"},
                                     accept={"images": {"empty", "negative"}, "cutoff": set()}),
    "oip.log_spaced_steps": Case(fn("oip", "log_spaced_steps"), lambda c: dict(n_steps=100, first=9),
                                 {"n_steps": "count", "first": "count"}, accept={"first": {"huge"}}),
    "oip.gaussian_kernel": Case(fn("oip", "gaussian_kernel"), lambda c: dict(sigma=0.5, channels=1),
                                {"sigma": "real", "channels": "count"}, accept={"sigma": set()}),
    "oip.fourier_preconditioner": Case(fn("oip", "fourier_preconditioner"), lambda c: dict(height=8, width=8, decay=1.0),
                                       {"height": "count", "width": "count", "decay": "real"}, accept={"decay": set()}),
    "oip.model_image_shape": Case(fn("oip", "model_image_shape"), lambda c: dict(model=c.model), {"model": "model"}),
    "oip.bfloat16_copy": Case(fn("oip", "bfloat16_copy"), lambda c: dict(model=c.model), {"model": "model"}),
    "oip.resolve_precision": Case(fn("oip", "resolve_precision"),
                                  lambda c: dict(model=c.model, precision="float32", layer_name=None),
                                  {"model": "model", "precision": "name", "layer_name": "optname"}, names=LAYER),
    "oip.objective_values": Case(fn("oip", "objective_values"),
                                 lambda c: dict(model=c.model, layer_name="Conv2D_3", map_indices=[0, 1], x=c.x,
                                                node=None, pre_activation=False, batch_size=8),
                                 {"model": "model", "layer_name": "name", "map_indices": "labels", "x": "images",
                                  "node": "optnode", "pre_activation": "flag", "batch_size": "count"},
                                 names={**LAYER, "map_indices": ("map_indices", "map indices", "map_index"),
                                        "x": ("x", "images")}),
    "oip.evaluate": Case(fn("oip", "evaluate"),
                         lambda c: dict(model=c.model, objective_list=[c.objective] * 2, x=c.x, batch_size=8),
                         {"model": "model", "objective_list": "objectives", "x": "images", "batch_size": "count"},
                         names={"objective_list": ("objective",), "x": ("x", "images")}),
    "oip.first_converged": Case(fn("oip", "first_converged"),
                                lambda c: dict(losses=np.ones((5, 2)), tolerance=1e-3, window=2, first_row=0,
                                               end_row=5),
                                {"losses": "array", "tolerance": "real", "window": "count", "first_row": "int",
                                 "end_row": "int"},
                                accept={"losses": {"empty", "negative", "huge"}, "tolerance": set(),
                                        "first_row": {"huge"}}),  # rows beyond the end: nothing to look at
    "oip.run_oip": Case(fn("oip", "run_oip"),
                        lambda c: dict(model=c.model, layer_name="Conv2D_3", map_indices=[0, 1], x0=c.x, node=None,
                                       settings=c.ascent),
                        {"model": "model", "layer_name": "name", "map_indices": "labels", "x0": "optarray",
                         "node": "optnode", "settings": "optobject", "on_block": "optobject"},
                        names={**LAYER, "map_indices": ("map_indices", "map indices", "map_index"),
                               "x0": ("x0",)}),
    "oip.check_run_arguments": Case(fn("oip", "check_run_arguments"),
                                    lambda c: dict(model=c.model, layer_name="Conv2D_3", map_indices=[0, 1], x0=c.x,
                                                   node=None, settings=c.ascent),
                                    {"model": "model", "layer_name": "name", "map_indices": "labels", "x0": "optarray",
                                     "node": "optnode", "settings": "optobject"},
                                    names={**LAYER, "map_indices": ("map_indices", "map indices", "map_index"),
                                           "x0": ("x0",)}),
    "oip.ascend": Case(fn("oip", "ascend"),
                       lambda c: dict(model=c.model, objective_list=[c.objective] * 2, x0=c.x, settings=c.ascent),
                       {"model": "model", "objective_list": "objectives", "x0": "optarray", "settings": "optobject",
                        "on_block": "optobject"},
                       names={"objective_list": ("objective",), "x0": ("x0",)}),
    "oip.objective_groups": Case(fn("oip", "objective_groups"), lambda c: dict(compiled=c.compiled),
                                 {"compiled": "object"}),
    "oip.precursor_scan": Case(fn("oip", "precursor_scan"),
                               lambda c: dict(model=c.model, layer_name="Conv2D_3", map_indices=[0], n_candidates=4,
                                              scales=((3, 3),), amplitudes=(1.0,), seed=0, batch_size=4,
                                              progress=False),
                               {"model": "model", "layer_name": "name", "map_indices": "labels",
                                "n_candidates": "count", "scales": "pairs", "amplitudes": "optarray", "seed": "int",
                                "batch_size": "count", "progress": "optflag"},
                               accept={"amplitudes": {"negative"}, "map_indices": {"None"}},
                               names={**LAYER, "map_indices": ("map_indices", "map indices", "map_index")}),
    "oip.every_map_oips": Case(fn("oip", "every_map_oips"),
                               lambda c: dict(model=c.model, layer_name="Conv2D_3", n_candidates=4, n_starts=1,
                                              n_steps=1, warm_up=0, seed=0),
                               {"model": "model", "layer_name": "name", "n_candidates": "count", "n_starts": "count",
                                "n_steps": "count", "warm_up": "int", "seed": "int"}, names=LAYER),
    "oip.AscentSettings": Case(
        lambda c, **kw: _h("oip").AscentSettings(**kw), lambda c: {},
        {"n_steps": "count", "epsilon": "real", "normalize_gradient": "flag", "restandardize": "flag",
         "damping": "optname", "damping_every": "count", "damping_sigma": "optreal", "pre_activation_steps": "int",
         "coarse_to_fine": "pairs", "jitter": "int", "rotate": "real", "scale": "real", "tv_weight": "real",
         "l1_weight": "real", "l2_weight": "real", "parameterization": "name", "fourier_decay": "real",
         "diversity_weight": "real", "diversity_layer": "optname", "precision": "name", "tolerance": "real",
         "window": "count", "early_stop": "flag", "snapshot_steps": "optobject", "chunk_size": "count",
         "block_size": "count", "seed": "int", "verbose": "flag", "progress": "optflag"},
        accept={"epsilon": set(), "damping_sigma": {"None"}, "rotate": set(), "scale": set(), "tv_weight": set(),
                "l1_weight": set(), "l2_weight": set(), "fourier_decay": set(), "diversity_weight": set(),
                "tolerance": set(), "coarse_to_fine": {"None", "empty"}, "snapshot_steps": {"None", "empty"},
                "diversity_layer": {"None"}}),
    "oip.AscentSettings.check_image": Case(lambda c, **kw: c.ascent.check_image(**kw),
                                           lambda c: dict(image_shape=(28, 28, 1)), {"image_shape": "sizes"}),
    "claims.Claim.line": Case(lambda c, **kw: _h("claims").Claim("s", True, "e").line(**kw),
                              lambda c: dict(checked=True, fast_path=False), {"checked": "flag", "fast_path": "flag"}),
    "oip.AscentSettings.replace": Case(lambda c, **kw: c.ascent.replace(**kw), lambda c: dict(n_steps=3),
                                       {"n_steps": "count"}),
    # ---------------------------------------------------------------------------------------------- patterns
    "patterns.pattern_shift": Case(fn("patterns", "pattern_shift"),
                                   lambda c: dict(reference=c.image, moved=c.image, max_shift=None),
                                   {"reference": "array", "moved": "array", "max_shift": "optcount"},
                                   accept={"reference": {"negative", "huge"}, "moved": {"negative", "huge"},
                                           "max_shift": {"None", "huge"}},
                                   names={"moved": ("moved", "reference")}),
    "patterns.radial_power_spectrum": Case(fn("patterns", "radial_power_spectrum"),
                                           lambda c: dict(image=c.image, oversample=2, window=True, per_ring="mean"),
                                           {"image": "array", "oversample": "count", "window": "flag",
                                            "per_ring": "name"}, accept={"image": {"negative", "huge"}}),
    "patterns.dominant_wavelength": Case(fn("patterns", "dominant_wavelength"),
                                         lambda c: dict(images=c.image, oversample=2, window=True, per_ring="mean"),
                                         {"images": "array", "oversample": "count", "window": "flag",
                                          "per_ring": "name"}, accept={"images": {"negative", "huge", "wrong_rank"}}),
    "patterns.mean_wavelength": Case(fn("patterns", "mean_wavelength"),
                                     lambda c: dict(images=c.image, oversample=2, window=True),
                                     {"images": "array", "oversample": "count", "window": "flag"},
                                     accept={"images": {"negative", "huge", "wrong_rank"}}),
    "patterns.fit_copies": Case(fn("patterns", "fit_copies"),
                                lambda c: dict(target=c.image, sub_pattern=c.image[2:8, 2:8], n_copies=1, angles=(0.0,),
                                               max_shift=None, min_overlap=0.5),
                                {"target": "array", "sub_pattern": "array", "n_copies": "count", "angles": "array",
                                 "max_shift": "optreal", "min_overlap": "real"},
                                accept={"target": {"negative", "huge"}, "sub_pattern": {"negative", "huge"},
                                        "angles": {"negative", "huge", "1e300", "wrong_rank"},
                                        "max_shift": {"None", "1e300", "huge"}, "min_overlap": set()},
                                names={"sub_pattern": ("sub_pattern", "target")}),
    "patterns.phase_randomized": Case(fn("patterns", "phase_randomized"), lambda c: dict(image=c.image, seed=0),
                                      {"image": "array", "seed": "int"},
                                      accept={"image": {"negative", "huge"}}),
    # ----------------------------------------------------------------------------------------------- stimuli
    "stimuli.line": Case(fn("stimuli", "line"), lambda c: dict(center=(14, 14), angle=30.0, length=10.0),
                         {"center": "pair", "angle": "real", "length": "real"},
                         accept={"center": {"negative"}, "angle": {"negative"}, "length": set()}),
    "stimuli.arc": Case(fn("stimuli", "arc"), lambda c: dict(center=(14, 14), radius=5.0, start=0.0, span=90.0),
                        {"center": "pair", "radius": "real", "start": "real", "span": "real"},
                        accept={"center": {"negative"}, "radius": set(), "start": {"negative"}, "span": set()}),
    "stimuli.rotated": Case(fn("stimuli", "rotated"),
                            lambda c: dict(points=np.array([[10.0, 10.0], [14.0, 18.0]]), angle=30.0, pivot=None),
                            {"points": "array", "angle": "real", "pivot": "optpair"},
                            accept={"points": {"negative"}, "angle": {"negative"}, "pivot": {"None", "negative"}}),
    "stimuli.shifted": Case(fn("stimuli", "shifted"),
                            lambda c: dict(points=np.array([[10.0, 10.0], [14.0, 18.0]]), offset=(2, 3)),
                            {"points": "array", "offset": "pair"},
                            accept={"points": {"negative"}, "offset": {"negative"}}),
    "stimuli.draw": Case(fn("stimuli", "draw"),
                         lambda c: dict(points=np.array([[10.0, 10.0], [14.0, 18.0]]), width=2.5, size=28, ink=255.0),
                         {"points": "array", "width": "real", "size": "count", "ink": "real"},
                         accept={"points": {"negative"}, "width": set(), "ink": set()}),
    # ---------------------------------------------------------------------------------------------- plotting
    "plotting.enhance_contrast": Case(fn("plotting", "enhance_contrast"), lambda c: dict(images=c.x, low=1.0, high=99.0),
                                      {"images": "array", "low": "real", "high": "real"},
                                      accept={"images": {"negative", "huge"}, "low": set(), "high": set()},
                                      names={"low": ("low",), "high": ("high",)}),
    "plotting.image_grid": Case(fn("plotting", "image_grid"),
                                lambda c: dict(images=c.x, titles=["a", "b"], ncols=2, cmap="gray", shared_scale=True,
                                               vmin=None, vmax=None, colorbar=True, suptitle=None, panel_size=1.0,
                                               colorbar_label=None),
                                {"images": "array", "titles": "optstrings", "ncols": "count", "cmap": "name",
                                 "shared_scale": "flag", "vmin": "optreal", "vmax": "optreal", "colorbar": "flag",
                                 "suptitle": "opttext", "panel_size": "real", "colorbar_label": "opttext"},
                                accept={"images": {"negative", "bool"}, "ncols": {"huge"}, "panel_size": set(),
                                        "vmin": {"None", "negative"}, "vmax": {"None", "huge", "1e300"}},
                                names={"images": ("images",), "vmin": ("vmin",), "vmax": ("vmax",)}),
    "plotting.digit_gallery": Case(fn("plotting", "digit_gallery"),
                                   lambda c: dict(images=c.raw, labels=c.labels, per_class=1, classes=(0, 1), seed=0,
                                                  suptitle=None, panel_size=0.5),
                                   {"images": "array", "labels": "array", "per_class": "count", "classes": "array",
                                    "seed": "int", "suptitle": "opttext", "panel_size": "real"},
                                   accept={"images": {"negative", "huge", "bool"}, "labels": set(), "classes": set(),
                                           "panel_size": set()},
                                   names={"classes": ("classes", "class"), "labels": ("labels", "class")}),
    "plotting.plot_curves": Case(fn("plotting", "plot_curves"),
                                 lambda c: dict(curves={"loss": [1.0, 0.5]}, title="t", xlabel="x", ylabel="y",
                                                logy=False, x=[1, 2], ax=None),
                                 {"curves": "mapping", "title": "text", "xlabel": "text", "ylabel": "text",
                                  "logy": "flag", "x": "optarray", "ax": "optobject"},
                                 accept={"x": {"None", "negative", "huge", "1e300"}},
                                 names={"curves": ("curves", "curve")}),
    "plotting.attribution_table": Case(fn("plotting", "attribution_table"),
                                       lambda c: dict(digits=np.zeros((2, 28, 28)), rows={"g": (np.ones((2, 28, 28)), "signed")},
                                                      column_titles=["a", "b"], suptitle="t", panel_size=1.0),
                                       {"digits": "array", "rows": "mapping", "column_titles": "strings",
                                        "suptitle": "text", "panel_size": "real"},
                                       accept={"digits": {"negative", "huge", "1e300", "bool"}}),
    "plotting.use_style": Case(fn("plotting", "use_style"), lambda c: {}),
    "plotting.fit_width": Case(fn("plotting", "fit_width"), lambda c: dict(width=10.0, height=5.0),
                               {"width": "real", "height": "real"}),
    "plotting.tile_maps": Case(fn("plotting", "tile_maps"), lambda c: dict(maps=np.ones((3, 3, 4)), ncols=2, gap=1),
                               {"maps": "array", "ncols": "count", "gap": "int"},
                               accept={"maps": {"negative", "huge", "1e300"}, "ncols": {"huge"}}),
    "plotting.similarity_heatmap": Case(fn("plotting", "similarity_heatmap"),
                                        lambda c: dict(matrix=np.eye(3) * 0.5, labels=["a", "b", "c"], title="", vmin=None,
                                                       vmax=1.0, cmap="viridis", annotate=True),
                                        {"matrix": "array", "labels": "optstrings", "title": "text", "vmin": "optreal",
                                         "vmax": "real", "cmap": "name", "annotate": "flag"},
                                        accept={"matrix": {"nan", "negative"}, "vmax": {"huge", "1e300"},
                                                "vmin": {"None", "negative"}},
                                        names={"vmin": ("vmin",), "vmax": ("vmax",), "matrix": ("matrix",)}),
    "plotting.save_figure": Case(fn("plotting", "save_figure"),
                                 lambda c: dict(fig=c.fig, path=c.folder / "f.png", dpi=20, overwrite=True),
                                 {"fig": "object", "path": "path", "dpi": "real", "overwrite": "flag"},
                                 accept={"dpi": set()}),
    "plotting.animate_frames": Case(fn("plotting", "animate_frames"),
                                    lambda c: dict(frames=np.zeros((2, 4, 4)), titles=["a", "b"], fps=5.0, cmap="gray",
                                                   colorbar_label="v", figsize=(2.0, 2.0)),
                                    {"frames": "array", "titles": "optstrings", "fps": "real", "cmap": "name",
                                     "colorbar_label": "text", "figsize": "array"},
                                    accept={"frames": {"negative", "bool"}, "fps": set(), "figsize": set()}),
    "plotting.save_animation": Case(fn("plotting", "save_animation"),
                                    lambda c: dict(animation=c.animation, path=c.folder / "a.gif", fps=None, dpi=20,
                                                   overwrite=True),
                                    {"animation": "object", "path": "path", "fps": "optreal", "dpi": "real",
                                     "overwrite": "flag"},
                                    accept={"fps": {"None"}, "dpi": set()}, names={"path": ("path", "suffix")}),
    # ---------------------------------------------------------------------------------------------- progress
    "progress.enabled": Case(fn("progress", "enabled"), lambda c: dict(requested=None), {"requested": "optflag"},
                             names={"requested": ("progress",)}),
    "progress.bar": Case(fn("progress", "bar"), lambda c: dict(total=3, desc="d", unit="step", progress=False),
                         {"total": "int", "desc": "text", "unit": "name", "progress": "optflag"},
                         accept={"total": {"huge"}, "unit": {"str", "huge"}}),
    "progress.keras_callback": Case(fn("progress", "keras_callback"),
                                    lambda c: dict(epochs=1, steps_per_epoch=1, progress=False),
                                    {"epochs": "count", "steps_per_epoch": "count", "progress": "optflag"},
                                    accept={"epochs": {"huge"}, "steps_per_epoch": {"huge"}}),
    # ----------------------------------------------------------------------------------------------- startup
    "startup.filter_startup_text": Case(fn("startup", "filter_startup_text"), lambda c: dict(text="a\nb"),
                                        {"text": "text"}),
    "startup.capture_fd2": Case(fn("startup", "capture_fd2"), lambda c: {}),
    "startup.startup_lines_filtered": Case(fn("startup", "startup_lines_filtered"), lambda c: {}),
    "startup.install": Case(fn("startup", "install"), lambda c: {}),
    "startup.uninstall": Case(fn("startup", "uninstall"), lambda c: {}),
    # ---------------------------------------------------------------------------------------------- explorer
    "explorer.layer_choices": Case(fn("explorer", "layer_choices"), lambda c: dict(model=c.model), {"model": "model"}),
    "explorer.ExplorerSettings": Case(lambda c, **kw: _h("explorer").ExplorerSettings(**kw),
                                      lambda c: dict(layer_name="Conv2D_3", map_index=0, node=None, scales=((3, 3),),
                                                     amplitudes=(1.0,), ascent=c.ascent),
                                      {"layer_name": "name", "map_index": "int", "node": "optnode", "scales": "pairs",
                                       "amplitudes": "array", "ascent": "object"},
                                      accept={"layer_name": {"str", "huge"}, "map_index": {"huge"},
                                              "node": {"huge", "negative"}},  # checked against the model by check()
                                      names={"scales": ("scales", "scale")}),
    "explorer.ExplorerSettings.check": Case(lambda c, **kw: c.settings.check(**kw), lambda c: dict(model=c.model),
                                            {"model": "model"}),
    "explorer.describe_target": Case(fn("explorer", "describe_target"),
                                     lambda c: dict(model=c.model, settings=c.settings),
                                     {"model": "model", "settings": "object"}),
    "explorer.start_images": Case(fn("explorer", "start_images"), lambda c: dict(model=c.model, settings=c.settings),
                                  {"model": "model", "settings": "object"}),
    "explorer.segment_ends": Case(fn("explorer", "segment_ends"),
                                  lambda c: dict(n_steps=20, damping_every=4, n_updates=3),
                                  {"n_steps": "count", "damping_every": "count", "n_updates": "count"}),
    "explorer.run_settings": Case(fn("explorer", "run_settings"),
                                  lambda c: dict(model=c.model, settings=c.settings, on_progress=None, n_updates=1),
                                  {"model": "model", "settings": "object", "on_progress": "optobject",
                                   "n_updates": "count"}),
    "explorer.result_figure": Case(fn("explorer", "result_figure"),
                                   lambda c: dict(result=c.result, standardizer=None, title=None, n_steps=None,
                                                  image_index=0),
                                   {"result": "object", "standardizer": "optobject", "title": "opttext",
                                    "n_steps": "optcount", "image_index": "int"}),
    "explorer.save_result_png": Case(fn("explorer", "save_result_png"),
                                     lambda c: dict(fig_or_result=c.fig, path=c.folder / "r.png", overwrite=True, dpi=20),
                                     {"fig_or_result": "object", "path": "path", "overwrite": "flag", "dpi": "real"},
                                     accept={"dpi": set()}, names={"path": ("path", ".png")}),
    "explorer.figure_png": Case(fn("explorer", "figure_png"), lambda c: dict(fig=c.fig, dpi=20),
                                {"fig": "object", "dpi": "real"}, accept={"dpi": set()}),
    "explorer.OIPExplorer": Case(lambda c, **kw: _h("explorer").OIPExplorer(**kw),
                                 lambda c: dict(model=c.model, standardizer=None),
                                 {"model": "model", "standardizer": "optobject"}),
    "explorer.OIPExplorer.save": Case(lambda c, **kw: _h("explorer").OIPExplorer(c.model).save(**kw),
                                      lambda c: dict(path=None), {"path": "optpath"},
                                      names={"path": ("path", "nothing to save")}),
    "explorer.oip_explorer": Case(fn("explorer", "oip_explorer"), lambda c: dict(model=c.model, standardizer=None),
                                  {"model": "model", "standardizer": "optobject"}),
}


def _enter_section(**kw) -> None:
    """Open and close a :func:`helpers.claims.section` (its arguments are checked on entry)."""
    with _h("claims").section(**kw):
        pass


# --------------------------------------------------------------------------------------------------- grid


def _public(module_name: str):
    """``(key, object)`` of each public callable of ``helpers.module_name`` that takes user input, and of each
    public method of its public classes."""
    module = _h(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        home = obj.__module__.split(".")[-1]
        key = f"{home}.{obj.__name__}"
        if name not in RECORDS:  # a record's constructor is helpers' own business; its methods take user input
            yield key, obj
        if inspect.isclass(obj):
            for method, member in vars(obj).items():
                if (method.startswith("_") and method not in ("__mul__", "__truediv__", "__add__")) or \
                        method in METHODS_WITHOUT_INPUT or not callable(getattr(obj, method, None)):
                    continue
                if isinstance(member, property):
                    continue
                yield f"{key}.{method}", getattr(obj, method)


PUBLIC = sorted({key for module in MODULES for key, _ in _public(module)})
GRID = [(key, arg, cls) for key in sorted(TABLE) for arg in TABLE[key].kinds for cls in BAD
        if cls in expected(TABLE[key], arg)]


def test_every_public_function_has_an_entry():
    missing = [key for key in PUBLIC if key not in TABLE]
    assert not missing, f"public functions without a row in the boundary grid's TABLE: {missing}"
    stale = [key for key in TABLE if key not in PUBLIC]
    assert not stale, f"rows of TABLE that are no longer public functions: {stale}"


def test_the_grid_is_a_grid():
    """Every class of bad value is tried on many functions, and every row checks its arguments."""
    per_class = {cls: sum(1 for _, _, c in GRID if c == cls) for cls in BAD}
    assert min(per_class.values()) >= 40, per_class
    assert len({key for key, _, _ in GRID}) >= len([k for k in TABLE if TABLE[k].kinds]) - 1


def _names_the_argument(message: str, words) -> bool:
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}", message) for word in words)


@pytest.mark.parametrize("key, arg, cls", GRID, ids=[f"{k}-{a}-{c}" for k, a, c in GRID])
def test_bad_value_is_refused_naming_the_argument(ctx, key, arg, cls):
    case = TABLE[key]
    kwargs = case.valid(ctx)
    kwargs[arg] = bad_value(case.kinds[arg], cls, kwargs.get(arg), ctx)
    with pytest.raises((ValueError, TypeError)) as caught:
        case.call(ctx, **kwargs)
    assert not isinstance(caught.value, (KeyError, IndexError, ZeroDivisionError)), caught.value
    message = str(caught.value)
    words = case.names.get(arg, (arg,))
    assert _names_the_argument(message, words), f"{key}({arg}={cls}): {type(caught.value).__name__}: {message}"


def test_settings_that_do_nothing_in_the_chosen_mode_are_refused_naming_the_mode():
    from helpers import model as cnn_model, oip

    with pytest.raises(ValueError, match=r"damping_sigma=0\.8 has no effect here: it is used only with damping="):
        oip.AscentSettings(damping=None, damping_sigma=0.8)
    with pytest.raises(ValueError, match=r"fourier_decay=0\.5 has no effect here: .*parameterization='fourier'"):
        oip.AscentSettings(fourier_decay=0.5)
    with pytest.raises(ValueError, match=r"diversity_layer='Nope' has no effect here: .*diversity_weight > 0"):
        oip.AscentSettings(diversity_layer="Nope")
    with pytest.raises(ValueError, match=r"step_epochs=3 has no effect here: .*schedule='step'"):
        cnn_model.TrainConfig(step_epochs=3)
    oip.AscentSettings(parameterization="fourier", fourier_decay=0.5)  # the modes that use them accept them
    oip.AscentSettings(damping="fourier", damping_sigma=0.8)


def test_work_that_would_take_minutes_is_refused_up_front_with_the_allowed_size(ctx):
    from helpers import attribution, oip, plotting

    with pytest.raises(ValueError, match=r"first must be an integer >= 1, got 0"):
        oip.log_spaced_steps(10, first=0)
    with pytest.raises(ValueError, match=r"per_class must be at most 100 \(plotting\.MAX_PER_CLASS"):
        plotting.digit_gallery(ctx.raw, ctx.labels, per_class=10**6)
    with pytest.raises(ValueError, match=r"n_samples must be at most 10,000 \(attribution\.MAX_SAMPLES"):
        attribution.smoothgrad(ctx.model, ctx.x, [0, 1], n_samples=10**12)
    with pytest.raises(ValueError, match=r"batch_size must be at most 60,000"):
        __import__("helpers.model").model.TrainConfig(batch_size=2**70)


def test_the_issues_examples(ctx, tmp_path):
    """The examples of issue 23, one by one."""
    from helpers import attribution, claims, data, distributions, files, model as cnn_model, objectives, plotting

    std = ctx.std
    with pytest.raises(ValueError, match=r"images_uint8 holds \d+ NaN"):
        std.apply(np.where(ctx.raw > 250, np.nan, ctx.raw))
    with pytest.raises(TypeError, match="boolean array"):
        std.apply(ctx.raw > 100)
    with pytest.raises(ValueError, match=r"standardized already"):
        std.apply(std.apply(ctx.raw)[..., 0])
    with pytest.raises(ValueError, match="x holds 1 NaN"):
        std.invert(np.where(np.arange(4) == 2, np.nan, 0.0))
    with pytest.raises(ValueError, match=r"mean \(pixel units\) must be a finite number .* got '33'"):
        data.Standardizer.from_dict({"mean": "33", "std": "78"})
    with pytest.raises(ValueError, match=r"dx \(the grid step\) must be a finite number > 0, got True"):
        distributions.GridDensity(0.0, True, np.ones(1))
    with pytest.raises(ValueError, match=r"n_max must be an integer >= 1, got True"):
        distributions.partial_sums(ctx.density, n_max=True)
    with pytest.raises(TypeError, match=r"pre_activation must be True or False, got str 'no'"):
        objectives.unit_objective("Dense_1", 0, pre_activation="no")
    with pytest.raises(TypeError, match=r"absolute must be True or False, got str 'no'"):
        attribution.saliency(ctx.model, ctx.x, [0, 1], absolute="no")
    with pytest.raises(TypeError, match=r"strict must be True, False or None, got str 'maybe'"):
        claims.claim("s", True, "e", strict="maybe")
    with pytest.raises(TypeError, match=r"titles must be a list of strings .* got 'abcd'"):
        plotting.image_grid(np.zeros((4, 3, 3)), titles="abcd")
    with pytest.raises(TypeError, match=r"got a single Objective .* wrap it in a list"):
        __import__("helpers.oip").oip.ascend(ctx.model, ctx.objective, settings=ctx.ascent)
    with pytest.raises(ValueError, match=r"labels must have shape \(6,\), one per image"):
        cnn_model.evaluate_accuracy(ctx.model, ctx.raw, np.array([3]), std)
    with pytest.raises(ValueError, match=r"look standardized"):
        cnn_model.evaluate_accuracy(ctx.model, std.apply(ctx.raw)[..., 0], ctx.labels, std)
    with pytest.raises(ValueError, match=r"l2 must be a finite number >= 0, got nan"):
        cnn_model.build_cnn(l2=float("nan"))
    with pytest.raises(ValueError, match=r"is a folder; give the path of a file"):
        data.read_idx(tmp_path)
    with pytest.raises(FileExistsError, match=r"model\.keras already exists"):
        (tmp_path / "model.keras").write_bytes(b"")
        files.check_overwrite(str(tmp_path / "model.keras"), False)
    np.testing.assert_array_equal(attribution.saliency(ctx.model, ctx.x, [0, 1]),  # the logits by default
                                  attribution.saliency(ctx.model, ctx.x, [0, 1], target_layer="Dense_2"))
    target, second = tmp_path / "pair.txt", tmp_path / "missing" / "pair.json"
    target.write_text("old")
    tmp1, tmp2 = files.temporary_path(target), files.temporary_path(tmp_path / "pair.json")
    with pytest.raises(OSError):
        files.publish_pair((tmp1, target), (tmp2, second))
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no backup, no temporary
    with pytest.raises(ValueError, match=r"weight would become inf|beyond the float32 range"):
        ctx.objective * 1e308 * 10


def test_a_subclassed_model_is_refused_with_a_true_message():
    import keras

    from helpers import activations

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(2, 3)

        def call(self, x):
            return self.conv(x)

    with pytest.raises(TypeError, match=r"model 'net' is a subclassed Keras model .* functional API"):
        activations.extract(Net(), np.zeros((1, 8, 8, 1), np.float32), "conv")


def test_an_ascent_that_overflows_stops_naming_the_steps_and_the_likely_setting(ctx):
    from helpers import oip

    with pytest.raises(oip.AscentDivergedError,
                       match=r"became NaN or infinite within steps 1\.\.10, .*x0 holds values up to 1e\+38"):
        oip.run_oip(ctx.model, "Conv2D_3", [0, 1], x0=np.full_like(ctx.x, 1e38), settings=ctx.ascent.replace(n_steps=20))
    with pytest.raises(ValueError, match=r"epsilon must be at most 100 \(oip\.MAX_EPSILON, .*\), got 1e\+38"):
        ctx.ascent.replace(epsilon=1e38)
    with pytest.raises(ValueError, match=r"tv_weight must be at most 1e\+06 \(oip\.MAX_WEIGHT.*\), got 1e\+300"):
        ctx.ascent.replace(tv_weight=1e300)
    with pytest.raises(ValueError, match=r"coarse_to_fine must be .* finite cutoffs > 0, got .* at least 1e-09"):
        ctx.ascent.replace(coarse_to_fine=((5, 1e-30),))


def test_an_objective_weight_beyond_float32_is_refused_before_the_ascent(ctx):
    from helpers import objectives, oip

    with pytest.raises(ValueError, match=r"weight would become 1e\+300, beyond the float32 range"):
        oip.ascend(ctx.model, [objectives.map_objective("Conv2D_3", 0) * 1e300] * 2, x0=ctx.x, settings=ctx.ascent)


def test_a_training_whose_loss_becomes_nan_stops_with_a_clear_error(ctx):
    from helpers import data, model as cnn_model

    (images, labels), _ = data.load_mnist(verify_checksums=False)
    net = cnn_model.build_cnn(conv_filters=(2, 2, 2), dense_units=2, seed=0)
    config = cnn_model.TrainConfig(epochs=2, learning_rate=1e5, train_size=256, validation_size=64, augment=False)
    with pytest.raises(cnn_model.TrainingDivergedError, match=r"learning_rate=100000 is too large"):
        cnn_model.train(net, config, images[:400], labels[:400], ctx.std, verbose=0, progress=False)

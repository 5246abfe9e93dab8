"""The package reproduces the results recorded with the single-file engine before the split (reference.npz).

Every case of ``make_reference.py`` (each family of tricks, coarse-to-fine, pre-activation steps, a node, Conv2D_1,
a Dense_2 class, composite objectives, small blocks and chunks, early stopping, the precursor scan) is compared
exactly (``np.array_equal``): the compiled step computes the same operations in the same order.
"""

import numpy as np
import pytest

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("oip_make_reference", Path(__file__).with_name("make_reference.py"))
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


@pytest.fixture(scope="module")
def stored():
    with np.load(ref.REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def model():
    from helpers import model as cnn_model

    return cnn_model.load_model()[0]


def _compare(stored, case, fields):
    keys = {key.split("/", 1)[1] for key in stored if key.startswith(case + "/")}
    assert keys == set(fields), f"{case}: fields differ"
    for key, value in fields.items():
        expected = stored[f"{case}/{key}"]
        assert value.shape == expected.shape, f"{case}/{key}: shape {value.shape} != {expected.shape}"
        assert np.array_equal(value, expected), (
            f"{case}/{key}: largest difference {np.abs(np.asarray(value, float) - expected).max():.3g}")


@pytest.mark.parametrize("case", list(ref.CASES))
def test_run_oip_reproduces_reference(stored, model, case):
    _compare(stored, case, ref.run_case(model, case))


def test_ascend_reproduces_reference(stored, model):
    _compare(stored, "ascend_composite", ref.composite_case(model))


def test_precursor_scan_reproduces_reference(stored, model):
    _compare(stored, "precursor_scan", ref.scan_case(model))


def test_early_stop_case_stops_early(stored):
    assert int(stored["early_stop/steps_run"]) < 400

"""helpers.device on a machine with or without a GPU."""

import numpy as np
import pytest

from helpers import device


def test_fast_path_reads_the_environment(monkeypatch):
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False), ("no", False)):
        monkeypatch.setenv(device.FAST_PATH_ENV, value)
        assert device.is_fast_path() is expected
    monkeypatch.delenv(device.FAST_PATH_ENV)
    assert device.is_fast_path() is False


def test_setup_device_auto_reports_what_is_in_use(capsys):
    info = device.setup_device("auto", verbose=True)
    assert info.device in ("cpu", "gpu")
    assert (info.device == "gpu") == bool(info.gpus)
    assert f"device: {info.device.upper()}" in capsys.readouterr().out


def test_setup_device_after_initialization_reports_instead_of_raising():
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # starts the runtime
    info = device.setup_device("auto", intra_op_threads=1)
    assert any("already initialized" in note for note in info.notes) or info.intra_op_threads == 1


def test_setup_device_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"device must be one of \('auto', 'cpu', 'gpu'\)"):
        device.setup_device("tpu")
    with pytest.raises(ValueError, match="intra_op_threads"):
        device.setup_device("cpu", intra_op_threads=-1)


def test_gpu_request_without_gpu_is_a_clear_error():
    import tensorflow as tf

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="sees no GPU"):
        device.setup_device("gpu")


def test_set_seeds_makes_numpy_and_tensorflow_repeatable():
    import tensorflow as tf

    device.set_seeds(7)
    a = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    device.set_seeds(7)
    b = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    with pytest.raises(ValueError, match="seed"):
        device.set_seeds(-1)

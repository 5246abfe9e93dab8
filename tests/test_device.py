"""helpers.device on a machine with or without a GPU."""

from types import SimpleNamespace

import numpy as np
import pytest

from helpers import device


def test_fast_path_reads_the_environment(monkeypatch):
    for value, expected in (("1", True), ("true", True), ("0", False), ("", False), ("no", False)):
        monkeypatch.setenv(device.FAST_PATH_ENV, value)
        assert device.is_fast_path() is expected
    monkeypatch.delenv(device.FAST_PATH_ENV)
    assert device.is_fast_path() is False


def test_only_a_full_make_run_is_a_storing_run(monkeypatch):
    monkeypatch.delenv(device.FAST_PATH_ENV, raising=False)
    monkeypatch.delenv(device.STORING_RUN_ENV, raising=False)
    assert device.is_storing_run() is False  # JupyterLab, make check
    monkeypatch.setenv(device.STORING_RUN_ENV, "1")
    assert device.is_storing_run() is True  # make run
    monkeypatch.setenv(device.FAST_PATH_ENV, "1")
    assert device.is_storing_run() is False  # never on the fast path
    monkeypatch.delenv(device.FAST_PATH_ENV)
    monkeypatch.setenv(device.STORING_RUN_ENV, "0")
    assert device.is_storing_run() is False


def test_setup_device_auto_reports_what_is_in_use(capsys):
    import tensorflow as tf

    visible = tf.config.list_physical_devices("GPU")
    info = device.setup_device("auto", verbose=True)
    assert info.device == ("gpu" if visible else "cpu")
    assert info.gpus == tuple(g.name.replace("/physical_device:", "") for g in visible)
    assert info.memory_growth == bool(visible)
    assert capsys.readouterr().out == info.describe() + "\n"
    assert info.describe().startswith(f"device: {info.device.upper()}")


class _FakeGPU:
    def __init__(self, name: str):
        self.name, self.device_type = name, "GPU"


@pytest.fixture
def two_fake_gpus(monkeypatch):
    """TensorFlow sees two GPUs; what setup_device asks of it is recorded instead of done."""
    import tensorflow as tf

    calls = []
    gpus = [_FakeGPU("/physical_device:GPU:0"), _FakeGPU("/physical_device:GPU:1")]
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config, "set_visible_devices", lambda devices, kind=None: calls.append(("visible", devices, kind)))
    monkeypatch.setattr(tf.config.experimental, "set_memory_growth",
                        lambda gpu, on: calls.append(("growth", gpu.name, on)))
    return calls


def test_gpu_branches_with_simulated_gpus(two_fake_gpus):
    calls = two_fake_gpus
    info = device.setup_device("auto")
    assert (info.device, info.gpus, info.memory_growth) == ("gpu", ("GPU:0", "GPU:1"), True)
    assert calls == [("growth", "/physical_device:GPU:0", True), ("growth", "/physical_device:GPU:1", True)]
    assert "GPU memory growth: on" in info.describe()
    calls.clear()
    info = device.setup_device("gpu", memory_growth=False)
    assert (info.device, info.memory_growth, calls) == ("gpu", False, [])
    info = device.setup_device("cpu")
    assert (info.device, info.gpus, info.memory_growth) == ("cpu", (), False)
    assert calls == [("visible", [], "GPU")]  # the GPUs are hidden, no memory growth is set


def test_setup_device_after_initialization_reports_instead_of_raising():
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # starts the runtime: thread counts are fixed from now on
    before = tf.config.threading.get_intra_op_parallelism_threads()
    info = device.setup_device("auto", intra_op_threads=before + 3)
    assert info.notes == ("intra-op threads not applied: TensorFlow was already initialized (restart the kernel to "
                          "change it)",)
    assert info.intra_op_threads == before
    assert "note: intra-op threads not applied" in info.describe()
    assert device.setup_device("auto").notes == ()  # nothing requested, nothing to report


def test_setup_device_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"unknown device 'tpu'; valid: auto, cpu, gpu"):
        device.setup_device("tpu")
    for bad in (-1, 2.5, True, "4"):
        with pytest.raises(ValueError, match=r"intra_op_threads \(or None\) must be an integer >= 0, got "):
            device.setup_device("cpu", intra_op_threads=bad)
    with pytest.raises(ValueError, match=r"inter_op_threads \(or None\) must be an integer >= 0, got -2"):
        device.setup_device("cpu", inter_op_threads=-2)


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
    device.set_seeds(np.int64(7))  # NumPy integers are integers too
    np.testing.assert_array_equal(np.random.rand(3), a[0])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match=r"seed must be an integer >= 0"):
            device.set_seeds(bad)


def test_zero_threads_means_the_default_and_inter_op_requests_are_reported_too():
    import tensorflow as tf

    tf.constant(1.0) + 1.0
    info = device.setup_device("auto", intra_op_threads=0, inter_op_threads=5)  # 0 is valid: TensorFlow's default
    assert [note.split(":")[0] for note in info.notes] == ["intra-op threads not applied", "inter-op threads not applied"]


def test_cpu_flags_parse_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 avx512_bf16 amx_bf16\n"
                       "bugs\t\t: spectre_v1\n\nprocessor\t: 1\nflags\t\t: fpu\n", encoding="utf-8")
    assert device.cpu_flags(str(cpuinfo)) == {"fpu", "sse2", "avx512_bf16", "amx_bf16"}
    no_flags = tmp_path / "no_flags"
    no_flags.write_text("processor\t: 0\nfeatures\t: fp asimd\n", encoding="utf-8")  # e.g. ARM
    assert device.cpu_flags(str(no_flags)) == set()
    assert device.cpu_flags(str(tmp_path / "missing")) == set()


def test_bfloat16_native_reads_the_cpu_flags_and_the_gpu(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    for flags, expected in (({"avx512_bf16"}, True), ({"amx_bf16", "fpu"}, True), ({"avx512f", "avx2"}, False),
                            (set(), False)):
        monkeypatch.setattr(device, "cpu_flags", lambda flags=flags: flags)
        assert device.bfloat16_native() is expected, flags
    gpu = SimpleNamespace(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [gpu])
    for capability, expected in (((8, 0), True), ((9, 0), True), ((7, 5), False)):
        monkeypatch.setattr(tf.config.experimental, "get_device_details",
                            lambda g, capability=capability: {"compute_capability": capability})
        assert device.bfloat16_native() is expected, capability
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda g: {})  # no capability reported
    monkeypatch.setattr(device, "cpu_flags", lambda: set())
    assert device.bfloat16_native() is False


def test_set_seeds_takes_every_32_bit_seed_and_nothing_beyond():
    for seed in (0, 2**32 - 1):
        device.set_seeds(seed)
    with pytest.raises(ValueError, match="seed must be"):
        device.set_seeds(2**32)

"""helpers.startup: TensorFlow's known C++ start-up lines are filtered at import, every other line still shows."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import startup

ROOT = Path(__file__).resolve().parent.parent

# what the pinned TensorFlow writes on a CPU machine without CUDA driver (import, then the device probe)
STARTUP_TEXT = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1795655410.659849   10976 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results due to floating-point round-off errors from different computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.
I0000 00:00:1795655410.660161   10976 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1795655410.699644   10976 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions in performance-critical operations.
To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1795655416.816476   10985 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""
REAL_ERROR = "E0000 00:00:1795655411.000001   10976 op_kernel.cc:1857] OP_REQUIRES failed: something is really wrong\n"


def test_filter_drops_the_known_start_up_lines_and_keeps_everything_else():
    assert startup.filter_startup_text(STARTUP_TEXT) == ""
    lines = STARTUP_TEXT.splitlines(keepends=True)
    mixed = "".join(lines[:2]) + REAL_ERROR + "UserWarning: a Python warning\n" + "".join(lines[2:])
    assert startup.filter_startup_text(mixed) == REAL_ERROR + "UserWarning: a Python warning\n"
    assert startup.filter_startup_text("") == ""


def test_cuinit_failure_is_benign_only_where_no_cuda_driver_was_found():
    cuinit = STARTUP_TEXT.splitlines()[-1] + "\n"
    assert startup.filter_startup_text(cuinit) == cuinit  # a driver is there, but CUDA fails: a real problem
    no_driver = STARTUP_TEXT.splitlines()[2] + "\n"
    assert startup.filter_startup_text(no_driver + cuinit) == ""


def test_a_continuation_line_is_dropped_only_after_its_benign_record():
    line = "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.\n"
    assert startup.filter_startup_text(REAL_ERROR + line) == REAL_ERROR + line
    assert startup.filter_startup_text("To enable the following instructions: x\n") == "To enable the following instructions: x\n"


def test_capture_fd2_catches_what_c_code_writes():
    with startup.capture_fd2() as captured:
        os.write(2, b"written to descriptor 2\n")
    assert captured.text == "written to descriptor 2\n"
    os.write(2, b"")  # descriptor 2 is usable again


def test_capture_fd2_restores_descriptor_2_also_after_an_error():
    before = os.fstat(2)
    with pytest.raises(RuntimeError, match="inside"):
        with startup.capture_fd2() as captured:
            os.write(2, b"partial\n")
            raise RuntimeError("inside")
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)  # the original descriptor is back
    assert captured.text == "partial\n"


def test_install_hooks_the_first_import_only_once_and_never_after_tensorflow(monkeypatch):
    import tensorflow  # noqa: F401

    hooks = [f for f in sys.meta_path if isinstance(f, startup._QuietFinder)]
    assert not hooks and startup.install() is False  # TensorFlow is imported already: nothing to hook
    assert not any(isinstance(f, startup._QuietFinder) for f in sys.meta_path)
    monkeypatch.delitem(sys.modules, "tensorflow")  # as before the first import
    try:
        assert startup.install() is True and isinstance(sys.meta_path[0], startup._QuietFinder)
        assert startup.install() is False  # one hook is enough
        assert sum(isinstance(f, startup._QuietFinder) for f in sys.meta_path) == 1
    finally:
        startup.uninstall()
    assert not any(isinstance(f, startup._QuietFinder) for f in sys.meta_path)


# ------------------------------------------------------------------------------ the import hook, end to end


def _python(code: str, env_extra: dict | None = None, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "PYTHONPATH")}
    env.update(env_extra or {})
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


@pytest.fixture
def fake_tensorflow(tmp_path):
    """A stand-in ``tensorflow`` package that writes start-up lines to descriptor 2 like the real one, plus one
    real error, and whose device probe writes the cuInit line."""
    package = tmp_path / "tensorflow"
    package.mkdir()
    lines = STARTUP_TEXT.splitlines(keepends=True)
    (package / "__init__.py").write_text(textwrap.dedent(f"""\
        import os, types
        os.write(2, {"".join(lines[:3]).encode()!r})
        os.write(2, {REAL_ERROR.encode()!r})
        if os.environ.get("FAKE_TF_FAIL"):
            raise ImportError("fake TensorFlow could not load its library")

        def _probe(kind=None):
            os.write(2, {lines[-1].encode()!r})
            return []

        config = types.SimpleNamespace(list_physical_devices=_probe)
        """))
    return tmp_path


def test_import_hook_filters_the_start_and_shows_real_errors(fake_tensorflow):
    run = _python("""
        import importlib.util, sys
        import helpers
        assert importlib.util.find_spec("tensorflow") is not None  # a look-up alone leaves the hook in place
        import tensorflow
        from helpers import startup
        print(type(tensorflow.__loader__).__name__, type(tensorflow.__spec__.loader).__name__,
              any(isinstance(f, startup._QuietFinder) for f in sys.meta_path))
        """, pythonpath=fake_tensorflow)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["SourceFileLoader", "SourceFileLoader", "False"]  # the hook stepped aside
    assert run.stderr == REAL_ERROR  # benign lines gone; the cuInit line too (no driver found)


def test_a_failing_import_still_shows_its_lines_and_error(fake_tensorflow):
    run = _python("import helpers\nimport tensorflow", env_extra={"FAKE_TF_FAIL": "1"}, pythonpath=fake_tensorflow)
    assert run.returncode != 0
    assert run.stderr.startswith(REAL_ERROR) and "ImportError: fake TensorFlow could not load its library" in run.stderr


def test_level_0_shows_every_line(fake_tensorflow):
    run = _python("import helpers\nimport tensorflow", env_extra={"TF_CPP_MIN_LOG_LEVEL": "0"},
                  pythonpath=fake_tensorflow)
    assert run.returncode == 0 and run.stderr == "".join(STARTUP_TEXT.splitlines(keepends=True)[:3]) + REAL_ERROR + (
        STARTUP_TEXT.splitlines(keepends=True)[-1])


def test_the_real_tensorflow_starts_quietly_after_helpers():
    code = """
        {first}
        import keras
        import tensorflow as tf
        tf.config.set_visible_devices([], "GPU")  # the runtime is not started yet: devices can still be chosen
        print(keras.backend.backend(), float(tf.reduce_sum(tf.ones(3))))
        """
    quiet = _python(code.format(first="import helpers"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.split() == ["tensorflow", "3.0"]
    assert quiet.stderr == "", f"TensorFlow's start-up lines were not filtered:\n{quiet.stderr}"
    loud = _python(code.format(first=""))  # the control: without helpers first, the pinned TensorFlow does write them
    assert startup.ABSL_PREAMBLE in loud.stderr


def test_lab_kernels_import_helpers_first():
    """``make lab`` installs docs/lab/ipython_kernel_config.py: a notebook that imports keras before helpers (as
    notebooks 01, 03 and 08 do) still gets no start-up block."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import keras\nprint(keras.backend.backend())")])
    env_level = os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)
    try:
        NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(ROOT)}},
                       extra_arguments=[f"--config={ROOT / 'docs/lab/ipython_kernel_config.py'}"]).execute()
    finally:
        if env_level is not None:
            os.environ["TF_CPP_MIN_LOG_LEVEL"] = env_level
    outputs = nb.cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [("stream", "stdout", "tensorflow\n")]


def test_the_hook_steps_aside_where_there_is_no_tensorflow_to_load(monkeypatch):
    import importlib.machinery
    import importlib.util

    finder = startup._QuietFinder()
    assert finder.find_spec("numpy") is None  # other modules are never touched
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert finder.find_spec("tensorflow") is None  # not installed: the import fails as it would without the hook
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: importlib.machinery.ModuleSpec(name, None))
    assert finder.find_spec("tensorflow") is None  # no loader (a namespace package): nothing to run quietly

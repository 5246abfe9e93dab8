"""scripts/run_notebooks.py (make run): stored outputs keep results, not progress-bar or TensorFlow debris."""

from pathlib import Path

import nbformat
import pytest

from script_loader import load_script

ROOT = Path(__file__).resolve().parent.parent
run_notebooks = load_script("scripts/run_notebooks.py", "run_notebooks")


def test_a_finished_self_erasing_bar_leaves_nothing():
    bar = "training:  10%|#         | 1/10\rtraining:  50%|#####     | 5/10\r                                   \r"
    assert run_notebooks.clean_stderr(bar) == ""


def test_real_warnings_stay_and_tensorflow_lines_go():
    text = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
            "I0000 00:00:1795654738.584765    2981 port.cc:153] oneDNN custom operations are on.\n"
            "E0000 00:00:1795654740.763072    2981 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
            "UserWarning: something the reader should see\n")
    assert run_notebooks.clean_stderr(text) == "UserWarning: something the reader should see\n"
    # a bar that was left standing keeps only its last state, as a terminal shows it
    assert run_notebooks.clean_stderr("scan 1/4\rscan 4/4\n") == "scan 4/4\n"


def test_clean_outputs_drops_empty_stderr_and_keeps_stdout():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="bar 1/2\rbar 2/2\r       \r"),
        nbformat.v4.new_output("stream", name="stdout", text="result 42\n"),
    ]
    assert run_notebooks.clean_outputs(nb) == 1
    assert [o["name"] for o in nb.cells[0].outputs] == ["stdout"]


def test_bar_refreshes_sent_as_separate_outputs_are_merged_before_cleaning():
    """The kernel sends each refresh as its own output; only the merged text shows that the bar erased itself."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    refreshes = ["\rtraining 10%", "\rtraining 50%", "\rtraining 99%", "\r            \r"]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text=t) for t in refreshes[:2]]
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text="epoch 1\n"))
    nb.cells[0].outputs += [nbformat.v4.new_output("stream", name="stderr", text=t) for t in refreshes[2:]]
    nb.cells[0].outputs.append(nbformat.v4.new_output("stream", name="stderr", text="UserWarning: real\n"))
    assert run_notebooks.clean_outputs(nb) == 4
    assert [(o["name"], o["text"]) for o in nb.cells[0].outputs] == [("stderr", "UserWarning: real\n"),
                                                                    ("stdout", "epoch 1\n")]


def test_consecutive_prints_become_one_output_however_the_kernel_split_them():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    nb.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", name="stdout", text="c\n"),
    ]
    run_notebooks.merge_streams(nb)
    assert [o.get("text") for o in nb.cells[0].outputs] == ["a\nb\n", None, "c\n"]


# --- what `make run` stores (issue 26) -------------------------------------------------------------------------

_SHOW_ENVIRONMENT = """import os, sys
for name in ("MNIST_OIP_FAST", "MNIST_OIP_PROGRESS", "TF_CPP_MIN_LOG_LEVEL", "MNIST_OIP_STORE"):
    print(name, os.environ.get(name, "unset"))
_ = sys.stderr.write("bar 1/2\\rbar 2/2\\r       \\r")"""


def _notebook(path: Path, *sources: str) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources]), path)
    return path


@pytest.fixture
def shell(monkeypatch):
    """A shell that took the fast path (as after `make test`) and set no progress or log switch; main() may set
    them, and they are restored afterwards."""
    monkeypatch.setenv("MNIST_OIP_FAST", "1")
    for name in ("MNIST_OIP_PROGRESS", "TF_CPP_MIN_LOG_LEVEL", "MNIST_OIP_STORE"):
        monkeypatch.setenv(name, "recorded")  # so that the teardown restores what was there before
        monkeypatch.delenv(name)


def test_make_run_stores_full_path_outputs_even_from_a_fast_path_shell(tmp_path, shell, capsys):
    path = _notebook(tmp_path / "01_demo.ipynb", _SHOW_ENVIRONMENT, "print('a')\nprint('b', flush=True)\nprint('c')")
    assert run_notebooks.main([str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    first, second = (cell.outputs for cell in nb.cells)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in first] == [
        ("stream", "stdout", "MNIST_OIP_FAST unset\nMNIST_OIP_PROGRESS 1\nTF_CPP_MIN_LOG_LEVEL 2\nMNIST_OIP_STORE 1\n")]
    assert [o.text for o in second] == ["a\nb\nc\n"]  # one output, however the kernel split the prints
    assert isinstance(nb.metadata[run_notebooks.METADATA_KEY]["run_seconds"], int)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01_demo.ipynb"]  # no temporary copy left
    out = capsys.readouterr().out
    assert "cell 2/2" in out and "1 notebook(s) in 0:" in out  # the console line counts the code cells


def test_a_failing_notebook_is_left_unchanged_and_stops_the_run(tmp_path, shell, capsys):
    failing = _notebook(tmp_path / "01_fails.ipynb", "print('before')", "1 / 0")
    later = _notebook(tmp_path / "02_later.ipynb", "print('never run')")
    stored = failing.read_text(), later.read_text()
    assert run_notebooks.main([str(failing), str(later)]) == 1
    assert (failing.read_text(), later.read_text()) == stored
    err = capsys.readouterr().err
    assert "a cell failed" in err and "ZeroDivisionError" in err


def test_usage_errors_run_nothing(tmp_path, capsys):
    assert run_notebooks.main([]) == 2
    assert "usage: run_notebooks.py" in capsys.readouterr().err
    assert run_notebooks.main([str(tmp_path / "missing.ipynb")]) == 2
    assert "no such notebook" in capsys.readouterr().err


@pytest.mark.parametrize("seconds, shown", [(None, "?"), (0.4, "0:00"), (59.6, "1:00"), (61, "1:01"), (3725, "62:05")])
def test_durations_read_as_minutes_and_seconds(seconds, shown):
    assert run_notebooks._duration(seconds) == shown


def test_stored_widget_views_give_way_to_their_plain_text_note():
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("explorer")])
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        "text/plain": "Run this cell to start the interactive explorer (it needs a running kernel).",
        run_notebooks.WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0}})]
    assert run_notebooks.drop_widget_views(nb) == 1
    assert list(nb.cells[0].outputs[0].data) == ["text/plain"]
    assert run_notebooks.drop_widget_views(nb) == 0

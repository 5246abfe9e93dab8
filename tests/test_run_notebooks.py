"""scripts/run_notebooks.py (make run): stored outputs keep results, not progress-bar or TensorFlow debris."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_notebooks)


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

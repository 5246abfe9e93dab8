#!/usr/bin/env python3
"""Execute notebooks top to bottom, headless, and write the executed copies back (``make run``).

One line per notebook on the console: a bar over its code cells with the elapsed time and the notebook's usual
duration (stored in its metadata by the previous run), then the time it took. Nothing else: the kernel's own
stderr (TensorFlow's C++ start-up lines) goes to a log file, and a failing cell is reported in full with the
log's last lines. Each notebook runs in a fresh kernel with the full (non-CI) path; the executed copy replaces
the file only after a successful run (temporary file, then rename). Stored outputs are cleaned of what differs
between machines and runs: TensorFlow's C++ log lines and the remains of finished progress bars.

Usage: run_notebooks.py NOTEBOOK.ipynb ...
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from tqdm import tqdm

TF_LOG_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*)$"
)
METADATA_KEY = "mnist_oip"
"""Notebook metadata entry that holds ``run_seconds``, the duration of the last full run."""


def clean_stderr(text: str) -> str:
    """What a terminal would still show of ``text``: each line after its last carriage return (so a finished,
    self-erasing progress bar leaves nothing), without TensorFlow C++ log lines and blank lines."""
    kept = []
    for line in text.split("\n"):
        shown = line.rsplit("\r", 1)[-1]
        if shown.strip() and not TF_LOG_LINE.match(shown):
            kept.append(shown)
    return "\n".join(kept) + ("\n" if kept else "")


def clean_outputs(nb: nbformat.NotebookNode) -> int:
    """Merge each code cell's stderr stream outputs into one (in order, where the first one was; the kernel sends
    every progress-bar refresh as an output of its own), clean it with :func:`clean_stderr` and drop it if
    nothing is left; return how many stderr outputs were removed."""
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        stderr = [out for out in cell.get("outputs", []) if out.get("output_type") == "stream" and out.get("name") == "stderr"]
        if not stderr:
            continue
        merged = clean_stderr("".join(out["text"] for out in stderr))
        kept_outputs = []
        for out in cell["outputs"]:
            if out is stderr[0] and merged:
                out["text"] = merged
                kept_outputs.append(out)
            elif not any(out is s for s in stderr):
                kept_outputs.append(out)
        removed += len(stderr) - (1 if merged else 0)
        cell["outputs"] = kept_outputs
    return removed


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(nb: nbformat.NotebookNode) -> int:
    """Drop the widget view of every stored output that also has a plain-text form (the explorer's note), so that
    JupyterLab and the book show that note instead of "model not found" (no widget state is stored); returns how
    many were dropped. A live widget comes back when its cell is run."""
    dropped = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if WIDGET_VIEW in data and "text/plain" in data:
                del data[WIDGET_VIEW]
                dropped += 1
    return dropped


def merge_streams(nb: nbformat.NotebookNode) -> None:
    """Join consecutive stream outputs of the same name into one, as a notebook frontend shows them: how the
    kernel happened to split printed text between messages then leaves no trace in the stored notebook."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.get("outputs", []):
            previous = merged[-1] if merged else None
            if (out.get("output_type") == "stream" and previous is not None
                    and previous.get("output_type") == "stream" and previous.get("name") == out.get("name")):
                previous["text"] += out["text"]
            else:
                merged.append(out)
        cell["outputs"] = merged


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def run(path: Path, log_dir: Path) -> float:
    """Execute ``path`` in place; return the seconds it took. Raises on a failing cell (file left unchanged)."""
    nb = nbformat.read(path, as_version=4)
    usual = nb.metadata.get(METADATA_KEY, {}).get("run_seconds")
    n_code = sum(1 for c in nb.cells if c.cell_type == "code")
    bar = tqdm(total=n_code, desc=f"{path.stem[:34]:34s}", unit="cell", file=sys.stdout, dynamic_ncols=True,
               bar_format="{desc} {bar} cell {n_fmt}/{total_fmt}  {elapsed} (usually " + _duration(usual) + ")")
    client = NotebookClient(
        nb, timeout=None, kernel_name="python3", record_timing=False, store_widget_state=False, resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=lambda **_: bar.update(1),
    )
    log_path = log_dir / f"{path.stem}.log"
    start = time.perf_counter()
    running = threading.Event()
    running.set()

    def tick() -> None:  # keep the elapsed time moving while a long cell runs
        while running.is_set():
            time.sleep(1)
            if running.is_set():
                bar.refresh()

    threading.Thread(target=tick, daemon=True).start()
    try:
        with open(log_path, "w") as log:
            client.execute(stdout=log, stderr=log)
    except CellExecutionError as e:
        running.clear()
        bar.close()
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-15:])
        print(f"\n{path}: a cell failed.\n{e}\n--- last lines of the kernel log ({log_path}):\n{tail}", file=sys.stderr)
        raise
    running.clear()
    seconds = time.perf_counter() - start
    bar.bar_format = "{desc} {bar} cell {n_fmt}/{total_fmt}  " + f"done in {_duration(seconds)} (usually {_duration(usual)})"
    bar.refresh()
    bar.close()
    clean_outputs(nb)
    merge_streams(nb)
    drop_widget_views(nb)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata[METADATA_KEY] = {**nb.metadata.get(METADATA_KEY, {}), "run_seconds": round(seconds)}
    nb.metadata.pop("widgets", None)  # no widget state: live widgets come back only by running their cell
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return seconds


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: run_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    os.environ.pop("MNIST_OIP_FAST", None)  # stored outputs come from full runs
    os.environ["MNIST_OIP_STORE"] = "1"  # helpers.device.is_storing_run(): this run may rewrite docs/images/
    os.environ["MNIST_OIP_STRICT"] = "1"  # helpers.device.is_strict_run(): a false claim stops the run
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MNIST_OIP_PROGRESS", "1")  # bars inside the notebooks; they erase themselves
    log_dir = Path(tempfile.mkdtemp(prefix="mnist-oip-run-"))
    total = 0.0
    for p in paths:
        try:
            total += run(Path(p), log_dir)
        except CellExecutionError:
            return 1
    print(f"{len(paths)} notebook(s) in {_duration(total)}; kernel logs in {log_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

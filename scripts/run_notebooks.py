#!/usr/bin/env python3
"""Execute notebooks top to bottom, headless, and write the executed copies back (``make run``).

Each notebook runs in a fresh kernel from this environment with the full (non-CI) path. The executed copy
replaces the file only after a successful run (write to a temporary file, then rename), so a failure never
leaves a half-executed notebook. TensorFlow's C++ start-up lines, which the kernel forwards from its stderr,
are dropped from stored outputs: they name the machine and differ between runs.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

TF_LOG_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] .*)$"
)


def drop_tf_log_lines(nb: nbformat.NotebookNode) -> int:
    """Remove TensorFlow C++ log lines from stderr stream outputs; return how many lines were dropped."""
    dropped = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept_outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                lines = out["text"].splitlines(keepends=True)
                kept = [ln for ln in lines if not TF_LOG_LINE.match(ln.rstrip("\n"))]
                dropped += len(lines) - len(kept)
                if not "".join(kept).strip():
                    continue
                out["text"] = "".join(kept)
            kept_outputs.append(out)
        cell["outputs"] = kept_outputs
    return dropped


def run(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=None, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    drop_tf_log_lines(nb)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    print(f"{path}: executed in {time.perf_counter() - start:.0f} s", flush=True)


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: run_notebooks.py NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    os.environ.pop("MNIST_OIP_FAST", None)  # stored outputs come from full runs
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for p in paths:
        run(Path(p))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

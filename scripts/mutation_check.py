"""Mutation check: do the unit tests fail when the code they cover is broken?

Usage::

    .venv/bin/python scripts/mutation_check.py --per-target 14 # the sample reported in the README (~200 mutants)
    .venv/bin/python scripts/mutation_check.py                 # every mutant of every target (~540, hours)
    .venv/bin/python scripts/mutation_check.py --list          # only list the mutants
    .venv/bin/python scripts/mutation_check.py --only oip.run_oip --sample 20
    .venv/bin/python scripts/mutation_check.py --breaks        # the named breaks of the weak tests (issue 14)

Each mutant changes one spot of one target function:

- a comparison flipped (``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``, ``is`` <-> ``is not``),
- an ``if`` branch dropped (its test replaced by ``False``),
- a ``raise`` statement dropped (replaced by ``pass``),
- a numeric constant changed (an integer ``n`` to ``n + 1`` and ``n - 1``, a float ``x`` to ``2 x``, 0.0 to 1.0),
- ``and`` swapped with ``or``.

Text inside f-strings (error messages) is not mutated: a message is pinned by the tests' ``match=`` patterns
already, and mutating it would only multiply the mutants. The mutated function is re-rendered with ``ast.unparse``
and spliced into a *copy* of the repository (``helpers/``, ``tests/``, the pytest configuration, ``data/`` as a
read-only link); the working tree is never written. For each mutant the target's test files run with
``pytest -x -q`` under a time limit: a failing run *kills* the mutant, a passing one lets it *survive*. Each run
is a fork of one process that imported TensorFlow once (``--no-fork``: a fresh interpreter each time), and the
tests that killed earlier mutants run first.

``--breaks`` applies the hand-written breaks named in issue 14 (each one a text replacement) in the same way and
checks that the named test fails on each.
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

TARGETS: dict[str, tuple[str, list[str], str | None]] = {
    # "module.function": (source file, test files, pytest -k expression or None)
    "oip.run_oip": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "oip.check_run_arguments": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "oip.check_targets": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "oip.first_converged": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "oip._Ascent._objective": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "oip.precursor_scan": ("helpers/oip.py", ["tests/test_oip.py"], None),
    "model.load_model": ("helpers/model.py", ["tests/test_model.py"], "load or committed or save"),
    "data.load_mnist": ("helpers/data.py", ["tests/test_data.py"], None),
    "data.read_idx": ("helpers/data.py", ["tests/test_data.py"], None),
    "attribution.integrated_gradients": ("helpers/attribution.py", ["tests/test_attribution.py"], None),
    "attribution.smoothgrad": ("helpers/attribution.py", ["tests/test_attribution.py"], None),
    "attribution.grad_cam": ("helpers/attribution.py", ["tests/test_attribution.py"], None),
    "attribution.randomized_copy": ("helpers/attribution.py", ["tests/test_attribution.py"], None),
    "attribution.rank_correlation": ("helpers/attribution.py", ["tests/test_attribution.py"], None),
    "device.setup_device": ("helpers/device.py", ["tests/test_device.py"], None),
}

BREAKS: list[tuple[str, str, str, str, str]] = [
    # (name, file, original text, broken text, the test that must fail)
    ("single-node objective deleted", "helpers/oip.py",
     "        if self.node is not None:\n            return maps[:, self.node[0], self.node[1]]\n", "",
     "tests/test_oip.py::test_node_dense_unit_and_colour_input"),
    ("fraction_active counts every candidate", "helpers/oip.py",
     "fraction_active=(post_mean > 0).mean(axis=0)", "fraction_active=(post_mean >= 0).mean(axis=0)",
     "tests/test_oip.py::test_precursor_scan_picks_the_best_candidate"),
    ("converged_at one step late", "helpers/oip.py",
     "        converged_at[newly] = first[newly]\n", "        converged_at[newly] = first[newly] + 1\n",
     "tests/test_oip.py::test_convergence_is_detected"),
    ("pre-activation fallback of the scan removed", "helpers/oip.py",
     "post_mean.argmax(axis=0), pre_mean.argmax(axis=0))", "post_mean.argmax(axis=0), post_mean.argmax(axis=0))",
     "tests/test_oip.py::test_precursor_scan_falls_back_to_the_pre_activation_for_a_map_silent_on_every_candidate"),
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
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_the_test_command"),
    ("README quick start gains a third command", "README.md",
     "make run    # create .venv", "make lab\nmake run    # create .venv",
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_the_test_command"),
    ("CI runs a different command", ".ci/run", "\nmake test", "\nmake test || true",
     "tests/test_environment.py::test_readme_quick_start_is_exactly_the_run_and_test_commands_and_ci_runs_the_test_command"),
]

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
           ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


@dataclass(frozen=True)
class Mutant:
    target: str
    index: int  # position of the node among the function's nodes (ast.walk order)
    variant: int  # which change of that node
    line: int  # in the original file
    column: int
    description: str


def _find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef:
    node: ast.AST = tree
    for part in qualname.split("."):
        node = next(n for n in ast.iter_child_nodes(node)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    return node  # type: ignore[return-value]


def _message_nodes(function: ast.AST) -> set[int]:
    """ids of nodes inside f-strings: message text, not logic."""
    inside = set()
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr):
            inside.update(id(n) for n in ast.walk(node))
    return inside


def _changes(node: ast.AST) -> list[tuple[str, callable]]:
    """The mutations of one node: (description, function that mutates a copy of the node in place)."""
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
        out.append(("raise dropped", None))  # handled by the statement-list rewrite
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


def list_mutants(targets: list[str]) -> list[Mutant]:
    mutants = []
    for target in targets:
        source_file = TARGETS[target][0]
        tree = ast.parse((ROOT / source_file).read_text())
        function = _find_function(tree, target.split(".", 1)[1])
        for index, node in enumerate(_candidates(function)):
            for variant, (description, _) in enumerate(_changes(node)):
                mutants.append(Mutant(target, index, variant, node.lineno, node.col_offset + 1, description))
    return mutants


class _DropRaise(ast.NodeTransformer):
    def __init__(self, victim: ast.AST):
        self.victim = victim

    def visit_Raise(self, node):
        return ast.Pass() if node is self.victim else node


def mutated_source(mutant: Mutant, original: str) -> str:
    """The file's text with the mutant's function re-rendered with the one change."""
    tree = ast.parse(original)
    function = _find_function(tree, mutant.target.split(".", 1)[1])
    node = _candidates(function)[mutant.index]
    description, change = _changes(node)[mutant.variant]
    assert description == mutant.description, (description, mutant)
    if change is None:
        _DropRaise(node).visit(function)
    else:
        change(node)
    ast.fix_missing_locations(function)
    lines = original.splitlines(keepends=True)
    indent = lines[function.lineno - 1][: len(lines[function.lineno - 1]) - len(lines[function.lineno - 1].lstrip())]
    rendered = textwrap.indent(ast.unparse(function), indent) + "\n"
    return "".join(lines[: function.lineno - 1]) + rendered + "".join(lines[function.end_lineno:])


def make_copy() -> Path:
    """A scratch copy of what the tests need; data/ is linked (the tests only read it)."""
    work = Path(tempfile.mkdtemp(prefix="mutation_check_"))
    for name in ("helpers", "tests"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml", "README.md", "Makefile", "requirements.txt", "environment.yml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, work / name)
    shutil.copytree(ROOT / ".ci", work / ".ci")
    (work / "data").symlink_to(ROOT / "data")
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


def _pytest_in_fork(work: Path, args: list[str], timeout: float) -> tuple[int | None, str]:
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
            os.environ.update(PYTHONDONTWRITEBYTECODE="1", MNIST_OIP_PROGRESS="0")
            import pytest

            import helpers

            if not helpers.__file__.startswith(str(work)):
                print(f"wrong helpers imported: {helpers.__file__}")
                code = 99
            else:
                code = int(pytest.main(args))
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


def run_tests(work: Path, tests: list[str], k: str | None, timeout: float,
              extra: tuple[str, ...] = ()) -> tuple[str, float, str]:
    """('killed' | 'survived' | 'timeout' | 'error', seconds, output) of one pytest run on the copy."""
    args = ["-x", "-q", "-p", "no:cacheprovider", *extra, *tests]
    if k:
        args += ["-k", k]
    start = time.perf_counter()
    if _PRELOADED:
        code, output = _pytest_in_fork(work, args, timeout)
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
    """Each mutant on the copy. The tests run as explicit ids: those that killed a mutant before first, then the
    fastest, so that with ``-x`` a killed mutant costs only the tests up to the first failure."""
    work = make_copy()
    check_copy_is_used(work)
    originals = {TARGETS[m.target][0]: (ROOT / TARGETS[m.target][0]).read_text() for m in mutants}
    results, orders, kills = [], {}, {}
    try:
        for i, mutant in enumerate(mutants, start=1):
            source_file, tests, k = TARGETS[mutant.target]
            key = (tuple(tests), k)
            if key not in orders:  # the unmutated tests must pass, or nothing counts
                (work / source_file).write_text(originals[source_file])
                outcome, seconds, output = run_tests(work, tests, k, timeout * 3,
                                                     ("--durations=0", "--durations-min=0"))
                if outcome != "survived":
                    raise SystemExit(f"the unmutated tests do not pass ({tests}, -k {k}): {outcome}: {output[-3000:]}")
                orders[key] = _test_order(output)
                collected = re.search(r"(\d+) passed", _last_line(output))
                if not collected or int(collected.group(1)) != len(orders[key]):
                    raise SystemExit(f"could not read the duration of every test: {_last_line(output)}")
                print(f"baseline {' '.join(tests)}{' -k ' + repr(k) if k else ''}: {len(orders[key])} tests pass in "
                      f"{seconds:.0f} s", flush=True)
            order = sorted(orders[key], key=lambda t: -kills.get(t, 0))  # stable: fastest first among equals
            (work / source_file).write_text(mutated_source(mutant, originals[source_file]))
            try:
                outcome, seconds, output = run_tests(work, order, None, timeout)
            finally:
                (work / source_file).write_text(originals[source_file])
            failed = [line.split()[1] for line in output.splitlines() if line.startswith(("FAILED ", "ERROR "))]
            for test in failed:
                kills[test] = kills.get(test, 0) + 1
            results.append(dict(target=mutant.target, line=mutant.line, column=mutant.column,
                                change=mutant.description, outcome=outcome, seconds=round(seconds, 1),
                                killed_by=failed[0] if failed else None))
            print(f"[{i}/{len(mutants)}] {outcome:8s} {mutant.target}:{mutant.line}:{mutant.column} "
                  f"{mutant.description} ({seconds:.0f} s){' by ' + failed[0].split('::')[-1] if failed else ''}",
                  flush=True)
            if results_path:
                results_path.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def summary(results: list[dict]) -> str:
    """A Markdown table per target, then the survivors and the mutants killed by a timeout or an error."""
    rows = ["| function | mutants | killed | survived | kill rate |", "|---|---:|---:|---:|---:|"]
    total_killed = 0
    for target in dict.fromkeys(r["target"] for r in results):
        mine = [r for r in results if r["target"] == target]
        killed = sum(r["outcome"] != "survived" for r in mine)
        total_killed += killed
        rows.append(f"| `{target}` | {len(mine)} | {killed} | {len(mine) - killed} | {killed / len(mine):.0%} |")
    rows.append(f"| **all** | {len(results)} | {total_killed} | {len(results) - total_killed} | "
                f"{total_killed / max(len(results), 1):.0%} |")
    text = "\n".join(rows)
    survivors = [f"- `{r['target']}` line {r['line']}:{r['column']}: {r['change']}" for r in results
                 if r["outcome"] == "survived"]
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
    parser.add_argument("--only", nargs="*", default=None, help="targets, e.g. oip.run_oip (default: all)")
    parser.add_argument("--per-target", type=int, default=0,
                        help="at most this many mutants per target (a seeded sample of each)")
    parser.add_argument("--sample", type=int, default=0, help="a seeded random sample of this many mutants")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant's test run")
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
    if not args.no_fork and not args.list:
        preload()
    if args.breaks:
        raise SystemExit(0 if run_breaks(args.timeout) else 1)
    targets = args.only or list(TARGETS)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise SystemExit(f"unknown targets {unknown}; valid: {', '.join(TARGETS)}")
    mutants = list_mutants(targets)
    if args.per_target:
        rng = random.Random(args.seed)
        mutants = [m for t in targets for m in sorted(
            rng.sample([m for m in mutants if m.target == t], min(args.per_target, sum(m.target == t for m in mutants))),
            key=lambda m: (m.index, m.variant))]
    if args.survivors_of:
        earlier = json.loads(args.survivors_of.read_text())
        wanted = {(r["target"], r["line"], r["column"], r["change"]) for r in earlier if r["outcome"] == "survived"}
        mutants = [m for m in mutants if (m.target, m.line, m.column, m.description) in wanted]
    if args.sample and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=lambda m: (m.target, m.index))
    if args.list:
        for m in mutants:
            print(f"{m.target}:{m.line}:{m.column} {m.description}")
        print(f"{len(mutants)} mutants")
        return
    print(summary(run_mutants(mutants, args.timeout, args.results)))


if __name__ == "__main__":
    main()

"""The driver: runs the compiled blocks of the engine over a batch of images, cut into chunks (memory) and blocks
(steps per compiled call), records the objective before every step, detects convergence, keeps snapshots, stops
early, shows progress and calls ``on_block`` after every block (the explorer's live view uses it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from helpers import activations, checks, objectives
from helpers import progress as _progress
from helpers.oip.engine import _engine, tricks_for
from helpers.oip.precision import _compute_model
from helpers.oip.reading import (_evaluate, _plan, _targets, check_targets, layer_info, model_image_shape,
                                 objective_groups)
from helpers.oip.settings import MAX_FACTOR, MAX_STEPS, AscentDivergedError, AscentSettings, _check_memory, _settings
from helpers.oip.starts import initial_images

@dataclass
class OIPResult:
    """The outcome of one batched OIP run (image ``i`` belongs to ``map_indices[i]``, or to ``objectives[i]``)."""

    layer_name: str
    map_indices: np.ndarray  # (B,), -1 for composite objectives
    node: tuple[int, int] | None
    images: np.ndarray  # (B, h, w, c) final patterns, standardized
    initial: np.ndarray  # (B, h, w, c) the starts
    losses: np.ndarray  # (steps_run + 1, B): objective at step 0 (start) .. steps_run
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # step -> (B, h, w, c)
    converged_at: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (B,) step, -1 if never
    steps_run: int = 0
    objectives: tuple | None = None  # the Objective of each image (runs of helpers.oip.ascend)
    settings: "AscentSettings | None" = None

    @property
    def final_loss(self) -> np.ndarray:
        """Objective of the final images, (B,)."""
        return self.losses[-1]

    @property
    def reacted(self) -> np.ndarray:
        """(B,) True where the objective became positive: the map reacted to its start."""
        return self.losses.max(axis=0) > 0

    @property
    def converged(self) -> np.ndarray:
        """(B,) True where the relative loss change fell below the tolerance."""
        return self.converged_at >= 0

    def summary(self) -> str:
        """One line: how many maps reacted and converged, the range of their final objective."""
        reacted = self.reacted
        text = f"{self.layer_name}: {int(reacted.sum())} of {len(reacted)} reacted"
        if reacted.any():
            text += (
                f", {int((self.converged & reacted).sum())} converged within {self.steps_run} steps; final objective "
                f"{self.final_loss[reacted].min():.3g}..{self.final_loss[reacted].max():.3g}"
            )
        return text



def first_converged(losses: np.ndarray, tolerance: float, window: int, first_row: int, end_row: int) -> np.ndarray:
    """The convergence criterion of :func:`run_oip` on rows ``first_row..end_row-1`` of a loss curve (steps, B).

    Row ``t`` counts as converged when the objective is positive and differs from its value at row ``t - window``
    by less than ``tolerance * window`` of its current value: two points are compared, so a saw-tooth (e.g. from
    periodic damping) can satisfy the rule while the objective still rises. Returns the first such row per image,
    or -1.
    """
    losses = checks.finite_array("losses (steps, B)", losses, ndim=2)
    tolerance = checks.real("tolerance", tolerance, 0, MAX_FACTOR, why="beyond it the float32 arithmetic of the ascent overflows")
    window = checks.integer("window", window, 1, MAX_STEPS)
    end_row = checks.integer(f"end_row (at most the {len(losses)} rows of losses)", end_row, 0, len(losses))
    first_row = checks.integer("first_row", first_row, 0)
    rows = np.arange(max(first_row, window), end_row)
    if not len(rows):
        return np.full(losses.shape[1], -1)
    now, before = losses[rows], losses[rows - window]
    settled = (now > 0) & (np.abs(now - before) < tolerance * window * np.maximum(np.abs(now), 1e-12))
    return np.where(settled.any(axis=0), rows[settled.argmax(axis=0)], -1)


# ------------------------------------------------------------------------------------------------- ascent


def run_oip(
    model,
    layer_name: str,
    map_indices: Sequence[int] | int,
    x0: np.ndarray | None = None,
    node: tuple[int, int] | None = None,
    settings: AscentSettings | None = None,
    on_block: Callable[[np.ndarray, np.ndarray, int], None] | None = None,
    **overrides,
) -> OIPResult:
    """Gradient ascent on input images, one map per image, all images in one compiled step.

    Args:
        model: any single-input Keras image model; its weights are not changed.
        layer_name: the layer whose map (conv) or unit (dense) is maximized.
        map_indices: one index per image (e.g. ``range(128)`` for all maps), or one int for a single image.
        x0: start images (B, h, w, c) in standardized space; default: :func:`initial_images` (multi-scale) with
            the settings' ``seed``.
        node: maximize one node (row, col) of each map instead of the map's mean.
        settings: the ascent's options (:class:`AscentSettings`; default: its defaults).
        on_block: called after every compiled block (every ``block_size`` steps, and at the snapshot steps and
            phase ends) as ``on_block(images, losses, step)``: the current images (B, h, w, c), the objective
            before each step so far (step, B), the steps done. Progress bars and the explorer's live view use it;
            it does not change the result.
        **overrides: single options changed for this call, e.g. ``n_steps=300, damping=None`` (the names of
            :class:`AscentSettings`; unknown names raise TypeError).

    Returns:
        :class:`OIPResult`. A map whose objective stays exactly 0 has ``reacted == False``: its ReLU output is
        zero for the start image, the gradient is zero, and the image cannot move (try other starts, or
        ``pre_activation_steps``).
    """
    checked = check_run_arguments(model, layer_name, map_indices, x0, node, settings, **overrides)
    return _run(model, checked, _check_on_block(on_block))


def check_run_arguments(
    model,
    layer_name: str,
    map_indices: Sequence[int] | int,
    x0: np.ndarray | None = None,
    node: tuple[int, int] | None = None,
    settings: AscentSettings | None = None,
    **overrides,
) -> SimpleNamespace:
    """Check every argument of :func:`run_oip` (same names and meanings) without running the ascent.

    The settings are checked when :class:`AscentSettings` is built; this adds the checks that need the model:
    the layer and its indices, the node, ``x0`` (finite standardized floats of the model's input shape; raw
    ``uint8`` pixels are refused), the blur and jitter against the image size, diversity groups, and the memory
    the records take (at most :data:`MAX_BYTES`). Raises ValueError naming what is valid.

    Returns a namespace with ``compiled`` (:class:`helpers.objectives.Compiled`), ``map_indices`` (int32
    ``(B,)``), ``node``, ``x0`` (float32, drawn with the settings' seed if None), ``settings``,
    ``snapshot_steps`` (a sorted list), ``groups`` (:func:`objective_groups`, or one per image without
    diversity), ``diversity_layer`` and ``objectives`` (None).
    """
    settings = _settings(settings, overrides)
    info = layer_info(model, layer_name)
    indices, node = check_targets(info, map_indices, node)
    return _prepare(model, objectives.Compiled(True, layer_name, indices, node, False, (), ()), x0, settings, None)


def ascend(
    model,
    objective_list: Sequence["objectives.Objective"],
    x0: np.ndarray | None = None,
    settings: AscentSettings | None = None,
    on_block: Callable[[np.ndarray, np.ndarray, int], None] | None = None,
    **overrides,
) -> OIPResult:
    """Gradient ascent with any objectives of :mod:`helpers.objectives`, one per image, in one compiled step.

    E.g. ``ascend(model, [0.5 * map_objective("Conv2D_3", 5) + 0.5 * map_objective("Conv2D_3", 7)])``. Arguments
    as for :func:`run_oip`; the result's ``objectives`` holds ``objective_list`` and ``map_indices`` the index of
    one-term objectives (-1 for composite ones).
    """
    settings = _settings(settings, overrides)
    compiled = objectives.compile_objectives(model, objective_list)
    objective_list = tuple(objective_list)
    return _run(model, _prepare(model, compiled, x0, settings, objective_list), _check_on_block(on_block))


def _check_on_block(on_block):
    if on_block is not None and not callable(on_block):
        raise checks.WrongTypeError(f"on_block must be a function (images, losses, step) or None, got "
                                    f"{type(on_block).__name__}")
    return on_block



def _chunks(groups: np.ndarray, chunk_size: int) -> list[slice]:
    """Slices of at most ``chunk_size`` images that never split a run of equal ``groups`` (a longer run is one
    chunk of its own)."""
    starts = [0] + [i for i in range(1, len(groups)) if groups[i] != groups[i - 1]] + [len(groups)]
    chunks, begin = [], 0
    for end, next_end in zip(starts[1:], starts[2:] + [None]):
        if next_end is None or next_end - begin > chunk_size:
            chunks.append(slice(begin, end))
            begin = end
    return chunks


def _prepare(model, compiled, x0, s: AscentSettings, objective_list) -> SimpleNamespace:
    """The model-dependent checks of a run (see :func:`check_run_arguments`)."""
    image_shape = model_image_shape(model)
    s.check_image(image_shape)
    n = len(compiled.indices)
    if x0 is None:
        x0 = initial_images(n, image_shape, seed=s.seed)
    x0 = activations.as_model_input(model, x0, name="x0").astype(np.float32, copy=False)  # finite floats
    if len(x0) != n:
        what = "map indices" if objective_list is None else "objectives"
        raise ValueError(f"got {n} {what} for {len(x0)} start images x0; give one start image per {what[:-1]}")
    snapshot_steps = s.steps_to_snapshot()
    _check_memory(
        f"n_steps={s.n_steps} for {n} images (a loss record and {len(snapshot_steps) + 1} snapshots)",
        4 * (s.n_steps + 1) * n + (len(snapshot_steps) + 2) * n * 4 * int(np.prod(image_shape)),
        "run fewer steps, fewer images per call or fewer snapshot_steps",
    )
    diversity_layer = None
    if s.diversity_weight:
        groups = objective_groups(compiled)
        lonely = np.flatnonzero(np.bincount(groups) < 2)
        if len(lonely):
            image = int(np.flatnonzero(groups == lonely[0])[0])
            raise ValueError(f"diversity_weight > 0 needs at least two images per objective, but image {image}'s "
                             "objective has only one image; repeat each map index (e.g. np.repeat(maps, 4)) or "
                             "set diversity_weight=0")
        diversity_layer = s.diversity_layer or (compiled.layer_name if compiled.simple else compiled.groups[0].layer_name)
        info = layer_info(model, diversity_layer)
        nodes = int(np.prod(info.grid)) if info.grid else 0  # dense layers: unit vectors, no Gram matrices
        diversity_pairs = bool(nodes) and (np.bincount(groups).max() - 1) * nodes**2 < info.n_maps**2
    else:
        groups, diversity_pairs = np.arange(n), False
    return SimpleNamespace(compiled=compiled, map_indices=compiled.indices, node=compiled.node, x0=x0, settings=s,
                           snapshot_steps=snapshot_steps, groups=groups, diversity_layer=diversity_layer,
                           diversity_pairs=diversity_pairs, objectives=objective_list)


def _run(model, checked: SimpleNamespace, on_block=None) -> OIPResult:
    import tensorflow as tf

    s, compiled, x0, groups = checked.settings, checked.compiled, checked.x0, checked.groups
    snapshot_steps, diversity_layer, n = checked.snapshot_steps, checked.diversity_layer, len(checked.x0)
    order = np.argsort(groups, kind="stable")  # images of one objective side by side, so no chunk splits them
    inverse = np.argsort(order)
    compute_model = _compute_model(model, s, compiled.layer_name if compiled.simple else None)
    tricks = tricks_for(s, model_image_shape(model), diversity_layer, checked.diversity_pairs)
    engine = _engine(compute_model, _plan(compiled), tricks)
    groups, x_ordered = groups[order], x0[order]
    targets = [t[order] for t in _targets(compiled)]
    chunks = _chunks(groups, s.chunk_size)
    x_chunks = [tf.constant(x_ordered[c]) for c in chunks]  # stay in TensorFlow between blocks
    t_chunks = [[tf.constant(t[c]) for t in targets] for c in chunks]
    if s.diversity_weight:
        group_chunks = [tf.constant(np.unique(groups[c], return_inverse=True)[1].ravel().astype(np.int32))
                        for c in chunks]  # groups numbered 0.. within each chunk
    else:
        group_chunks = [tf.zeros((0,), tf.int32)] * len(chunks)
    eps = np.float32(s.epsilon)
    losses = np.zeros((s.n_steps + 1, n), np.float32)  # row t: objective after t steps (images in `order`)
    converged_at = np.full(n, -1)
    snapshots: dict[int, np.ndarray] = {}
    previous = None

    def objective_now() -> np.ndarray:
        return np.concatenate([engine.objective[False](xc, *tc).numpy() for xc, tc in zip(x_chunks, t_chunks)])

    def images_now() -> np.ndarray:
        return np.concatenate([xc.numpy() for xc in x_chunks])[inverse]

    step, n_steps, pre_steps, window = 0, s.n_steps, s.pre_activation_steps, s.window
    # Every block ends in a host sync (its objectives, the divergence guard). Blocks of block_size steps serve the
    # early stop, a progress bar and on_block; without them a compiled call runs on to the next snapshot or phase
    # end: the same steps in the same order, so the same result, with fewer pauses.
    by_block = s.early_stop or on_block is not None or _progress.enabled(s.progress)
    with _progress.bar(n_steps, f"OIP {compiled.layer_name}", unit="step", progress=s.progress) as bar:
        while step < n_steps:
            use_pre = step < pre_steps
            stops = [n_steps] + [t for t in snapshot_steps if t > step]
            if by_block:
                stops.append((step // s.block_size + 1) * s.block_size)
            phase = [(until, cutoff) for until, cutoff in s.coarse_to_fine if until > step]
            grad_cutoff = np.float32(phase[0][1] if phase else 0.0)
            end = min(stops + ([pre_steps] if use_pre else []) + ([phase[0][0]] if phase else []))
            for k, c in enumerate(chunks):
                x_chunks[k], block_losses = engine.block[use_pre, bool(phase)](
                    x_chunks[k], *t_chunks[k], group_chunks[k], eps, np.int32(step + 1), np.int32(end - step),
                    grad_cutoff, np.int32((s.seed * 100_003 + k) % 2**31),
                )
                losses[step:end, c] = block_losses.numpy()
                _guard(x_chunks[k], losses[step:end, c], step, end, checked)
            first_new, step = step, end
            bar.update(step - first_new)
            first = first_converged(losses, s.tolerance, window, max(first_new, window, pre_steps + window), step)
            newly = (converged_at < 0) & (first >= 0)
            converged_at[newly] = first[newly]
            if step in snapshot_steps:
                snapshots[step] = images_now()
                if s.verbose:
                    previous = _report(step, objective_now()[inverse], previous)
            if on_block is not None:
                on_block(snapshots[step] if step in snapshots else images_now(), losses[:step, inverse], step)
            done = (converged_at >= 0) | (losses[:step].max(axis=0) <= 0)
            if s.early_stop and step >= pre_steps + window and done.all():
                break
    snapshots[step] = images_now()
    if compute_model is model:
        losses[step] = objective_now()
    else:  # the final objective in float32, on the same scale as a float32 run's
        losses[step] = _evaluate(model, compiled, snapshots[step], False, s.chunk_size)[order]
    losses = losses[: step + 1, inverse]
    if s.verbose and step not in snapshot_steps:
        _report(step, losses[step], previous)
    return OIPResult(
        layer_name=compiled.layer_name, map_indices=compiled.indices, node=compiled.node, images=snapshots[step],
        initial=x0, losses=losses, snapshots=snapshots, converged_at=converged_at[inverse], steps_run=step,
        objectives=checked.objectives, settings=s,
    )


def _guard(x_chunk, block_losses: np.ndarray, first: int, end: int, checked: SimpleNamespace) -> None:
    """Raise :class:`AscentDivergedError` if a block's objectives or its final images hold NaN or infinities.

    Runs once per block on values the block has computed already (one reduction over the images), so the
    ascent does not slow down measurably.
    """
    import tensorflow as tf

    if np.isfinite(block_losses).all() and bool(tf.reduce_all(tf.math.is_finite(x_chunk))):
        return
    what = "objective" if not np.isfinite(block_losses).all() else "images"
    raise AscentDivergedError(
        f"the ascent's {what} became NaN or infinite within steps {first + 1}..{end}, so it was stopped (no result "
        f"is returned); the most likely cause: {_likely_cause(checked)}"
    )


def _likely_cause(checked: SimpleNamespace) -> str:
    """The setting or input furthest beyond its usual range, as a phrase (for :func:`_guard`'s message)."""
    s, compiled = checked.settings, checked.compiled
    weights = np.concatenate([np.abs(w).ravel() for w in compiled.weights]) if compiled.weights else np.zeros(1)
    cutoffs = [cutoff for _, cutoff in s.coarse_to_fine]
    # (ratio to a usual value, phrase): the largest ratio names the cause
    candidates = [
        (float(np.abs(checked.x0).max()) / 10, f"x0 holds values up to {float(np.abs(checked.x0).max()):.3g} "
                                               "(standardized images lie within about -10..10)"),
        (s.epsilon / 1.0, f"epsilon={s.epsilon:g} (usual: 0.001..1)"),
        (s.tv_weight / 10, f"tv_weight={s.tv_weight:g} (usual: 0..10)"),
        (s.l1_weight / 10, f"l1_weight={s.l1_weight:g} (usual: 0..10)"),
        (s.l2_weight / 10, f"l2_weight={s.l2_weight:g} (usual: 0..10)"),
        (s.diversity_weight / 10, f"diversity_weight={s.diversity_weight:g} (usual: 0..10)"),
        (float(weights.max()) / 100, f"an objective weight of {float(weights.max()):.3g} (usual: up to about 100)"),
        (0.01 / min(cutoffs) if cutoffs else 0.0, f"coarse_to_fine cutoff {min(cutoffs) if cutoffs else 0:g} "
                                                  "(usual: 0.05..1)"),
    ]
    ratio, phrase = max(candidates, key=lambda item: item[0])
    return phrase if ratio > 1 else (f"a numerical overflow in the model's activations; try a smaller epsilon "
                                     f"(now {s.epsilon:g}) or precision='float32'")


def _report(step: int, loss: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """Print the objective after ``step`` steps and its relative change since the last report."""
    change = ""
    if previous is not None:
        relative = (loss - previous) / np.maximum(np.abs(previous), 1e-12)
        change = f", change {float(np.median(relative[previous > 0])) if (previous > 0).any() else 0.0:+.2%}"
    if loss.size == 1:
        print(f"step {step:4d}: objective {float(loss[0]):.5g}{change}", flush=True)
    else:
        print(f"step {step:4d}: objective mean {loss.mean():.4g}, max {loss.max():.4g}, "
              f"{int((loss > 0).sum())}/{loss.size} > 0{change.replace('change', 'median change')}", flush=True)
    return loss



"""A pattern for every map of a conv layer: the precursor scan's best starts per map, each ascended, the best run
kept; maps that no start switches on get a node-wise warm-up, slow ones a longer run (notebook 10)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import activations, checks
from helpers.oip.driver import run_oip
from helpers.oip.reading import layer_info, model_image_shape, objective_values
from helpers.oip.settings import MAX_CANDIDATES, MAX_SEED, MAX_STEPS
from helpers.oip.starts import initial_images


@dataclass
class EveryMapResult:
    """Every map's OIP from several scanned starts (:func:`every_map_oips`); map ``m`` is row ``m``."""

    map_indices: np.ndarray  # (M,)
    starts: np.ndarray  # (M, K, h, w, c) the K best candidates of the scan per map, best first
    images: np.ndarray  # (M, K, h, w, c) the final image of the run from each start
    objective: np.ndarray  # (M, K) the objective of each run's final image
    reacted: np.ndarray  # (M, K) the run's objective became positive
    converged: np.ndarray  # (M, K) reacted and converged
    chosen: np.ndarray  # (M,) the start whose run gives the map's OIP (before any rescue)
    patterns: np.ndarray  # (M, h, w, c) each map's OIP
    pattern_objective: np.ndarray  # (M,)
    pattern_reacted: np.ndarray  # (M,)
    pattern_converged: np.ndarray  # (M,)
    stuck: np.ndarray  # maps with no reacting start after the warm-up
    largest_pre_activation: np.ndarray  # (len(stuck),) the largest pre-activation any node of a stuck map reached
    rescued: np.ndarray  # the stuck maps that a node-wise warm-up switched on
    slow: np.ndarray  # maps that reacted but had not converged, continued for 2 * n_steps


def every_map_oips(
    model,
    layer_name: str,
    n_candidates: int = 2048,
    n_starts: int = 8,
    n_steps: int = 600,
    warm_up: int = 40,
    seed: int = 1,
) -> EveryMapResult:
    """An OIP for every map of a conv layer: the precursor scan's ``n_starts`` best coarse candidates per map,
    each ascended with a ``warm_up``-step pre-activation warm-up; the map's OIP is its best run (highest
    objective among converged runs, else among reacting runs).

    A map with no reacting start gets a node-wise warm-up: the pre-activation of one node (the centre first, then
    the other nodes) is ascended for ``n_steps`` steps from where its runs ended, the largest pre-activation of
    any of its nodes recorded every 5th step; where the map's objective becomes positive, the ascent goes on from
    there with the map's objective. Maps that reacted but did not converge continue for ``2 * n_steps`` steps.
    """
    info = layer_info(model, layer_name)
    if not info.grid:
        raise ValueError(f"every_map_oips works on conv layers; {layer_name!r} is dense")
    n_candidates = checks.size("n_candidates", n_candidates, MAX_CANDIDATES, "oip.MAX_CANDIDATES: a million random "
                               "starts take about two minutes")
    n_starts = checks.integer("n_starts", n_starts, 1, n_candidates, "at most n_candidates")
    n_steps = checks.integer("n_steps", n_steps, 1, MAX_STEPS, "oip.MAX_STEPS")
    warm_up = checks.integer("warm_up", warm_up, 0, n_steps, "at most n_steps")
    seed = checks.integer("seed", seed, 0, MAX_SEED, "64-bit seeds")
    maps = np.arange(info.n_maps)
    candidates = initial_images(n_candidates, model_image_shape(model), scales=[(3, 3), (7, 7)], seed=seed)
    post = activations.extract(model, candidates, layer_name).mean(axis=(1, 2))  # (N, M)
    pre = activations.extract(model, candidates, layer_name, pre_activation=True).mean(axis=(1, 2))
    score = np.where(post.max(axis=0) > 0, post, pre)
    ranked = np.argsort(-score, axis=0, kind="stable")[:n_starts].T  # (M, K), best first; ties: lower index
    starts = candidates[ranked]  # (M, K, h, w, c)
    shape = starts.shape[2:]
    runs = run_oip(model, layer_name, np.repeat(maps, n_starts), x0=starts.reshape(-1, *shape), n_steps=n_steps,
                   pre_activation_steps=warm_up)
    objective_k = runs.final_loss.reshape(-1, n_starts)
    reacted_k = runs.reacted.reshape(-1, n_starts)
    converged_k = (runs.reacted & runs.converged).reshape(-1, n_starts)
    images_k = runs.images.reshape(len(maps), n_starts, *shape)
    chosen = np.zeros(len(maps), int)
    for m in maps:
        for ok in (converged_k[m], reacted_k[m]):
            if ok.any():
                chosen[m] = int(np.flatnonzero(ok)[np.argmax(objective_k[m, ok])])
                break
    patterns = images_k[maps, chosen].copy()
    objective = objective_k[maps, chosen].copy()
    reacted = reacted_k.any(axis=1)
    converged = converged_k[maps, chosen].copy()
    stuck = np.flatnonzero(~reacted)
    reach = {int(m): -np.inf for m in stuck}
    rescued_from = {}
    todo = list(stuck)
    nodes = [(1 if info.grid[0] > 2 else 0, 1 if info.grid[1] > 2 else 0)]
    nodes += [(r, c) for r in range(info.grid[0]) for c in range(info.grid[1]) if (r, c) != nodes[0]]
    for node in nodes:
        if not todo:
            break
        maps_ = np.repeat(todo, n_starts)
        node_run = run_oip(model, layer_name, maps_, x0=images_k[todo].reshape(-1, *shape), node=node,
                           n_steps=n_steps, pre_activation_steps=n_steps,
                           snapshot_steps=list(range(5, n_steps + 1, 5)) or None)
        largest = np.full(len(maps_), -np.inf)
        for images in [node_run.images, *node_run.snapshots.values()]:
            own = activations.extract(model, images, layer_name, pre_activation=True)[np.arange(len(maps_)), :, :, maps_]
            largest = np.maximum(largest, own.reshape(len(maps_), -1).max(axis=1))
        final = objective_values(model, layer_name, maps_, node_run.images).reshape(len(todo), n_starts)
        ends = node_run.images.reshape(len(todo), n_starts, *shape)
        for i, m in enumerate(todo):
            reach[int(m)] = max(reach[int(m)], float(largest.reshape(len(todo), n_starts)[i].max()))
            if final[i].max() > 0:
                rescued_from[int(m)] = ends[i, final[i].argmax()]
        todo = [m for m in todo if int(m) not in rescued_from]
    rescued = np.array(sorted(rescued_from), int)
    if len(rescued):
        more = run_oip(model, layer_name, rescued, x0=np.stack([rescued_from[m] for m in rescued]), n_steps=n_steps)
        patterns[rescued], objective[rescued] = more.images, more.final_loss
        reacted[rescued], converged[rescued] = more.reacted, more.reacted & more.converged
    slow = np.flatnonzero(reacted & ~converged)
    if len(slow):
        longer = run_oip(model, layer_name, slow, x0=patterns[slow], n_steps=2 * n_steps)
        patterns[slow], objective[slow] = longer.images, longer.final_loss
        converged[slow] = longer.reacted & longer.converged
    return EveryMapResult(maps, starts, images_k, objective_k, reacted_k, converged_k, chosen, patterns, objective,
                          reacted, converged, stuck, np.array([reach[int(m)] for m in stuck]), rescued, slow)

"""Record the reference results of helpers.oip on the committed model (run once, before a change of the engine).

Usage: PYTHONPATH=. python tests/oip/make_reference.py   (writes tests/oip/reference.npz)

Each case of :data:`CASES` is a small ``run_oip`` / ``ascend`` / ``precursor_scan`` call; its final images,
snapshots, loss rows and convergence steps are stored under ``<case>/<field>``. ``tests/oip/test_reference.py``
runs the same cases and compares.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REFERENCE = Path(__file__).with_name("reference.npz")
MAPS3 = [0, 5, 17, 120]
STEPS = 50

CASES = {
    # name: (layer, map indices, run_oip overrides)
    "default": ("Conv2D_3", MAPS3, {}),
    "plain": ("Conv2D_3", MAPS3, {"damping": None, "restandardize": False, "early_stop": False}),
    "fourier_damping": ("Conv2D_3", MAPS3, {"damping": "fourier", "damping_every": 3}),
    "blur_sigma": ("Conv2D_3", MAPS3, {"damping_sigma": 0.7, "damping_every": 2}),
    "jitter": ("Conv2D_3", MAPS3, {"jitter": 2, "seed": 3}),
    "rotate_scale": ("Conv2D_3", MAPS3, {"rotate": 10.0, "scale": 0.1}),
    "penalties": ("Conv2D_3", MAPS3, {"tv_weight": 0.05, "l1_weight": 0.05, "l2_weight": 0.05}),
    "fourier_basis": ("Conv2D_3", MAPS3, {"parameterization": "fourier", "fourier_decay": 0.8}),
    "diversity": ("Conv2D_3", [0, 0, 5, 5], {"diversity_weight": 0.1}),
    "diversity_dense": ("Conv2D_3", [0, 0, 5, 5], {"diversity_weight": 0.1, "diversity_layer": "Dense_1"}),
    "coarse_to_fine": ("Conv2D_3", MAPS3, {"coarse_to_fine": ((10, 0.2), (30, 0.5))}),
    "pre_activation": ("Conv2D_3", MAPS3, {"pre_activation_steps": 20}),
    "no_normalize": ("Conv2D_3", MAPS3, {"normalize_gradient": False, "epsilon": 0.05}),
    "node": ("Conv2D_3", MAPS3, {"node": (1, 1)}),
    "conv1": ("Conv2D_1", [3], {}),
    "dense_class": ("Dense_2", [7], {}),
    "small_blocks": ("Conv2D_3", MAPS3, {"block_size": 3, "chunk_size": 2, "snapshot_steps": (5, 7)}),
    "early_stop": ("Conv2D_3", MAPS3, {"n_steps": 400, "tolerance": 1e-2, "window": 10}),
}


def run_case(model, name: str) -> dict[str, np.ndarray]:
    from helpers import oip

    layer, maps, overrides = CASES[name]
    overrides = {"n_steps": STEPS, "progress": False, **overrides}
    node = overrides.pop("node", None)
    result = oip.run_oip(model, layer, maps, node=node, **overrides)
    out = {"images": result.images, "losses": result.losses, "converged_at": result.converged_at,
           "steps_run": np.array(result.steps_run)}
    for step, images in result.snapshots.items():
        out[f"snapshot_{step}"] = images
    return out


def composite_case(model) -> dict[str, np.ndarray]:
    from helpers import objectives, oip

    objective_list = [0.5 * objectives.map_objective("Conv2D_3", 5) + 0.5 * objectives.map_objective("Conv2D_3", 7),
                      objectives.map_objective("Conv2D_2", 3), objectives.class_logit(7)]
    result = oip.ascend(model, objective_list, n_steps=STEPS, progress=False, jitter=1)
    return {"images": result.images, "losses": result.losses, "converged_at": result.converged_at}


def scan_case(model) -> dict[str, np.ndarray]:
    from helpers import oip

    scan = oip.precursor_scan(model, "Conv2D_3", [0, 5, 17], n_candidates=48, batch_size=16, progress=False)
    return {"starts": scan.starts, "best_value": scan.best_value, "fraction_active": scan.fraction_active,
            "map_indices": scan.map_indices}


def all_cases(model) -> dict[str, dict[str, np.ndarray]]:
    results = {name: run_case(model, name) for name in CASES}
    results["ascend_composite"] = composite_case(model)
    results["precursor_scan"] = scan_case(model)
    return results


def main() -> None:
    from helpers import model as cnn_model

    model, _, _ = cnn_model.load_model()
    flat = {f"{case}/{key}": value for case, fields in all_cases(model).items() for key, value in fields.items()}
    np.savez_compressed(REFERENCE, **flat)
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size / 1e6:.2f} MB, {len(flat)} arrays)")


if __name__ == "__main__":
    main()

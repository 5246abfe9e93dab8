#!/usr/bin/env python3
"""Speed of the OIP algorithm (maps of Conv2D_3, 600 steps by default), in one process.

0. The engine against a plain batched loop (:func:`plain_loop`: one ``tf.function`` with ``tf.range``,
   ``GradientTape`` on the images, the mean of each image's own map, an RMS-normalized step): ``run_oip`` with the
   plain-equivalent settings (``damping=None, restandardize=False, early_stop=False``; goal <= 1.10x the loop)
   and with its defaults (blur every 4 steps, re-standardization; goal <= 1.30x), 128 maps x all steps (every run
   here runs all its steps: ``early_stop=False``).
1. Three ways to run all 128 maps for all steps:
   eager loop:    one map at a time, a plain eager ``GradientTape`` loop (the naive tutorial approach)
   compiled loop: one map at a time through ``helpers.oip.run_oip`` (compiled step)
   batched:       all maps in one batch through ``run_oip`` (one compiled step for all images)
   The eager and compiled loops are timed on a few maps and scaled to 128 (printed as such).
2. Throughput (image-steps per second) of the plain batched ascent at 128, 512 and 2048 images (maps repeated),
   and at 2048 images with ``chunk_size`` above its default of 256 (a 24th of the steps).
3. The cost of each option of ``AscentSettings`` (jitter, rotation and scaling, penalties, Fourier
   parameterization, coarse-to-fine, pre-activation steps, diversity, no damping, bfloat16) relative to the
   plain step, all 128 maps (diversity: 2 images per map, against the plain run of the same 256 images); a sixth
   of the steps, with the phases (coarse-to-fine, pre-activation) scaled alike.
4. Precision: float32 against bfloat16 for the plain 128-map run over all steps (time, objective, pattern
   correlation) and what ``precision="auto"`` picks on this machine.

The cost of a step does not depend on the number of steps, so sections 2 and 3 run fewer steps in more rounds.
Every run starts from the same images and runs all its steps (``early_stop=False``). The configurations of a
section are timed in interleaved rounds and the best round counts (a shared machine's background load only ever
adds time); every round traces all of them anew, because one traced step keeps its speed for its whole life, and
two tracings of the same step can differ by a third on a CPU (measured here), so that repeats of one tracing would
not average it out. The script also measures this machine's float32 matmul peak (2048 x 2048, best reading of the
run) and states times as multiples of the floor that peak implies for the convolutions' FLOPs. Uses the committed
model (weights matter only for the look of the patterns, not for the cost).

Usage: python benchmarks/oip_speed.py [--steps N_STEPS] [--rounds N_ROUNDS] [--loop-only]
(quick check: --steps 60 --rounds 1; section 0 alone: --loop-only)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from helpers import activations, device, oip
from helpers import model as cnn_model

LAYER = "Conv2D_3"
BATCHES = (128, 512, 2048)
"""Images per batched run in the throughput section (maps repeated)."""
CHUNK_SIZES = (512, 2048)
"""Values of ``chunk_size`` (default 256) tried at the largest batch."""
THROUGHPUT_FRACTION, OPTION_FRACTION = 24, 6
"""Sections 2 and 3 run ``n_steps`` divided by these."""
WARM_STEPS = 4
"""Steps of the run that traces a configuration before it is timed."""
FLOOR_GOAL = 2.0
"""Goal: the plain 128-map run within this multiple of the float32 matmul floor."""
OPTION_GOAL = 1.5
"""Goal: every option within this multiple of the plain step."""
PLAIN_EQUIVALENT_GOAL, DEFAULT_GOAL = 1.10, 1.30
"""Goals: run_oip's plain-equivalent settings and its defaults within these multiples of :func:`plain_loop`."""
PLAIN_EQUIVALENT = {"damping": None, "restandardize": False, "early_stop": False}
"""The settings under which run_oip computes exactly what :func:`plain_loop` computes."""
NOISE = 1.1
"""Speed ratios within this factor of 1 count as no clear difference (a shared machine's timings vary this much)."""
PLAIN, PLAIN_PAIRS, BFLOAT16 = "plain", "plain, 2 images per map", 'precision="bfloat16"'


def ascent_flops_per_image_step(model, layer_name: str) -> float:
    """FLOPs of one forward pass to ``layer_name`` plus the gradient with respect to the input (conv layers).

    Each convolution costs 2 x (output positions x output maps x kernel size x input maps) FLOPs forward, and
    about the same again for the gradient with respect to its input.
    """
    flops = 0.0
    for layer in model.layers:
        if layer.__class__.__name__ == "Conv2D":
            _, h, w, maps = layer.output.shape
            kh, kw = layer.kernel_size
            flops += 2 * 2 * h * w * maps * kh * kw * layer.input.shape[-1]
        if layer.name == layer_name:
            return flops
    raise ValueError(f"no layer {layer_name!r}")


def matmul_peak_flops(size: int = 2048, repeats: int = 10, trials: int = 5) -> float:
    """Best of ``trials`` timings of ``repeats`` float32 matrix products (size x size): this machine's peak."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    (a @ b).numpy()
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(repeats):
            c = a @ b
        c.numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best


def load_average() -> str:
    """The 1-minute load average of this machine (other processes share its cores), or '?'."""
    try:
        with open("/proc/loadavg") as file:
            return file.read().split()[0]
    except OSError:
        return "?"


def eager_one_map(model, map_index: int, x0: np.ndarray, n_steps: int, epsilon: float = 0.01) -> np.ndarray:
    """The naive version: the same algorithm, one map, eager TensorFlow, a Python loop."""
    import keras
    import tensorflow as tf

    sub = keras.Model(model.inputs[0], model.get_layer(LAYER).output)
    kernel = tf.constant(oip.gaussian_kernel(oip.DEFAULT_DAMPING_SIGMA["blur"], 1))
    x = tf.Variable(x0)
    for step in range(1, n_steps + 1):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(sub(x, training=False)[..., map_index])
        grad = tape.gradient(loss, x)
        grad = grad / (tf.sqrt(tf.reduce_mean(grad**2)) + 1e-12)
        new = x + epsilon * grad
        if step % 4 == 0:
            new = tf.nn.depthwise_conv2d(tf.pad(new, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT"), kernel,
                                         [1, 1, 1, 1], "VALID")
        mean, variance = tf.nn.moments(new, axes=[1, 2, 3], keepdims=True)
        x.assign((new - mean) / tf.sqrt(variance))
    return x.numpy()


def plain_loop(model, epsilon: float = 0.01):
    """The baseline: a compiled ``ascend(x, maps, n)`` that runs ``n`` steps on all images in one call, image ``i``
    ascending the mean of map ``maps[i]``. Each call of ``plain_loop`` traces a new function (as each round of
    :func:`time_cases` traces ``run_oip``'s steps anew); its first call traces, later calls only run."""
    import tensorflow as tf

    sub = activations.activation_model(model, LAYER)

    @tf.function
    def ascend(x, maps, n):
        for _ in tf.range(n):
            with tf.GradientTape() as tape:
                tape.watch(x)
                total = tf.reduce_sum(tf.reduce_mean(tf.gather(sub(x, training=False), maps, axis=3, batch_dims=1),
                                                     axis=[1, 2]))
            grad = tape.gradient(total, x)
            x = x + epsilon * tf.math.divide_no_nan(grad, tf.sqrt(tf.reduce_mean(tf.square(grad), axis=[1, 2, 3],
                                                                                keepdims=True)))
        return x

    return lambda maps, x0, n_steps: ascend(tf.constant(x0), tf.constant(maps, tf.int32), tf.constant(n_steps)).numpy()


def time_against_the_plain_loop(model, n_maps: int, x0: np.ndarray, n_steps: int,
                                rounds: int) -> tuple[dict[str, list[float]], float]:
    """Seconds of each of ``rounds`` interleaved rounds of :func:`plain_loop`, run_oip with :data:`PLAIN_EQUIVALENT`
    and run_oip with its defaults (each traced anew every round and warmed before it is timed, as in
    :func:`time_cases`), and how far the plain-equivalent run's images are from the loop's (largest difference).
    Each round runs the three in a different order (a trend in the machine's load then favours none)."""
    maps = np.arange(n_maps)
    runs = {"plain loop": None, "run_oip, plain-equivalent settings": PLAIN_EQUIVALENT, "run_oip, defaults": {}}
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for round_index in range(rounds):
        activations.clear_cache()
        loop = plain_loop(model)
        loop(maps, x0[:n_maps], WARM_STEPS)
        for overrides in list(runs.values())[1:]:
            batched_run(model, n_maps, x0, n_maps, WARM_STEPS, **overrides)
        names = list(runs)
        for name in names[round_index % 3:] + names[:round_index % 3]:
            if runs[name] is None:
                start = time.perf_counter()
                images = loop(maps, x0[:n_maps], n_steps)
                seconds[name].append(time.perf_counter() - start)
            else:
                took, result = batched_run(model, n_maps, x0, n_maps, n_steps, **runs[name])
                seconds[name].append(took)
                if runs[name] is PLAIN_EQUIVALENT:
                    equivalent = result
    return seconds, float(np.abs(images - equivalent.images).max())


def batched_run(model, n_maps: int, x0: np.ndarray, n_images: int, n_steps: int, **overrides) -> tuple[float, oip.OIPResult]:
    """Seconds and result of one ``run_oip`` on the first ``n_images`` starts (image ``i`` ascends map
    ``i % n_maps``), all ``n_steps`` steps, no progress bar."""
    maps = np.arange(n_images) % n_maps
    start = time.perf_counter()
    result = oip.run_oip(model, LAYER, maps, x0=x0[:n_images], n_steps=n_steps, progress=False,
                         **{"early_stop": False, **overrides})
    return time.perf_counter() - start, result


Cases = dict[str, tuple[int, dict]]
"""Timed configurations: name -> (number of images, run_oip overrides)."""


def time_cases(
    model, n_maps: int, x0: np.ndarray, cases: Cases, warm_cases: Cases, n_steps: int, rounds: int
) -> dict[str, tuple[float, oip.OIPResult]]:
    """Best time (and result) of each case over ``rounds`` interleaved rounds. Each round drops the cached
    sub-models (so that ``run_oip`` compiles its steps anew) and traces every case by a run of :data:`WARM_STEPS`
    steps with ``warm_cases[name]`` before timing them."""
    best: dict[str, tuple[float, oip.OIPResult]] = {}
    for _ in range(rounds):
        activations.clear_cache()
        for n_images, overrides in warm_cases.values():
            batched_run(model, n_maps, x0, n_images, WARM_STEPS, **overrides)
        for name, (n_images, overrides) in cases.items():
            seconds, result = batched_run(model, n_maps, x0, n_images, n_steps, **overrides)
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, result)
    return best


def precision_cases(n_maps: int) -> Cases:
    """The plain run of all maps in float32 and in bfloat16."""
    return {PLAIN: (n_maps, {}), BFLOAT16: (n_maps, {"precision": "bfloat16"})}


def throughput_cases() -> Cases:
    """Plain batched runs at each of :data:`BATCHES`, and the largest with each of :data:`CHUNK_SIZES`."""
    cases = {f"{n} images": (n, {}) for n in BATCHES}
    cases.update({f"{BATCHES[-1]} images, chunk_size={c}": (BATCHES[-1], {"chunk_size": c}) for c in CHUNK_SIZES})
    return cases


def option_cases(n_maps: int, n_steps: int) -> Cases:
    """The option table; the phases scale with ``n_steps``. Diversity runs two images per map and is compared with
    :data:`PLAIN_PAIRS`, everything else with :data:`PLAIN`."""
    penalty, half = 0.05, max(1, n_steps // 2)
    return {
        **precision_cases(n_maps),
        "jitter=2": (n_maps, {"jitter": 2}),
        "rotate=10, scale=0.1": (n_maps, {"rotate": 10, "scale": 0.1}),
        f"tv_weight={penalty}": (n_maps, {"tv_weight": penalty}),
        f"l1_weight={penalty}": (n_maps, {"l1_weight": penalty}),
        f"l2_weight={penalty}": (n_maps, {"l2_weight": penalty}),
        'parameterization="fourier"': (n_maps, {"parameterization": "fourier"}),
        f"coarse_to_fine=[({half}, 0.3)]": (n_maps, {"coarse_to_fine": [(half, 0.3)]}),
        f"pre_activation_steps={n_steps} (all)": (n_maps, {"pre_activation_steps": n_steps}),
        "damping=None": (n_maps, {"damping": None}),
        PLAIN_PAIRS: (2 * n_maps, {}),
        "diversity_weight=0.1 (2 per map)": (2 * n_maps, {"diversity_weight": 0.1}),
    }


def report_against_the_loop(against: dict[str, list[float]], difference: float, image_steps: int, flops: float,
                            peak: float) -> str:
    """Print section 0's table (best round of each run, and the median over rounds of each round's ratio to that
    round's loop) and return its summary line; the goals are judged on the best rounds."""
    loop = min(against["plain loop"])
    rounds = len(against["plain loop"])
    print(f"\n0. run_oip against the plain batched loop ({image_steps} image-steps; best of {rounds} rounds; seconds "
          f"of every round in brackets):")
    print(f"  {'run':36s} {'seconds':>8s} {'x loop':>7s} {'median x':>9s} {'x floor':>8s}  goal")
    print(f"  {'plain loop':36s} {loop:8.2f} {1:7.2f} {1:9.2f} {floor_ratio(loop, image_steps, flops, peak):8.2f}"
          f"        [{', '.join(f'{t:.1f}' for t in against['plain loop'])}]")
    verdicts = []
    for name, goal in zip(("run_oip, plain-equivalent settings", "run_oip, defaults"), (PLAIN_EQUIVALENT_GOAL, DEFAULT_GOAL)):
        best = min(against[name])
        ratio = best / loop
        median = float(np.median(np.divide(against[name], against["plain loop"])))
        verdict = "met" if ratio <= goal else "MISSED"
        print(f"  {name:36s} {best:8.2f} {ratio:7.2f} {median:9.2f} {floor_ratio(best, image_steps, flops, peak):8.2f}"
              f"  <= {goal:.2f}x: {verdict}  [{', '.join(f'{t:.1f}' for t in against[name])}]")
        verdicts.append(f"{name} {ratio:.2f}x (median of rounds {median:.2f}x; goal <= {goal:.2f}x: {verdict.lower()})")
    print(f"  the plain-equivalent run's images differ from the loop's by at most {difference:.2g}")
    floor_s = image_steps * flops / peak
    return (f"against the plain loop ({loop:.2f} s = {loop / floor_s:.2f}x the float32 floor of {floor_s:.2f} s at a "
            f"matmul peak of {peak / 1e9:.0f} GFLOP/s): " + "; ".join(verdicts))


def floor_ratio(seconds: float, image_steps: int, flops_per_image_step: float, peak: float) -> float:
    """``seconds`` as a multiple of the time ``image_steps`` take at ``peak`` FLOP/s (the matmul floor)."""
    return seconds / (image_steps * flops_per_image_step / peak)


def main(n_steps: int = 600, rounds: int = 4, loop_only: bool = False) -> None:
    """Time sections 0-4 (see the module docstring; only section 0 if ``loop_only``) and print their tables and a
    summary."""
    info = device.setup_device()
    model, _, _ = cnn_model.load_model()
    n_maps = oip.layer_info(model, LAYER).n_maps
    x0 = oip.initial_images(max(BATCHES), oip.model_image_shape(model), seed=0)
    flops = ascent_flops_per_image_step(model, LAYER)
    throughput_steps = max(1, n_steps // THROUGHPUT_FRACTION)
    option_steps = max(1, n_steps // OPTION_FRACTION)
    load_start = load_average()
    print(f"device: {info.device}; {n_maps} maps of {LAYER}, {n_steps} steps; {rounds} rounds; "
          f"load average {load_start}")

    peaks = [matmul_peak_flops()]  # measured first, midway and last; the highest reading is the machine's peak
    print(f"matmul peak {peaks[0] / 1e9:.0f} GFLOP/s; {flops / 1e6:.1f} MFLOP per image-step -> floor "
          f"{n_maps * n_steps * flops / peaks[0]:.1f} s for {n_maps} maps x {n_steps} steps", flush=True)

    # 0. the engine against the plain batched loop
    print(f"timing the plain loop and run_oip, {n_maps} maps x {n_steps} steps, {rounds} rounds ...", flush=True)
    against, difference = time_against_the_plain_loop(model, n_maps, x0, n_steps, rounds)
    against_summary = report_against_the_loop(against, difference, n_maps * n_steps, flops, peaks[0])
    if loop_only:
        print(f"\n{against_summary}; load average {load_start} at the start, {load_average()} at the end")
        return

    # 1. eager and compiled loops, one map at a time; the batched run (and bfloat16, section 4)
    times = {}
    n_eager = 2
    start = time.perf_counter()
    for map_index in range(n_eager):
        eager_one_map(model, map_index, x0[map_index : map_index + 1], n_steps)
    times["eager loop, one map at a time"] = (time.perf_counter() - start) * n_maps / n_eager
    print(f"eager loop:    {n_eager} maps measured, scaled to {n_maps}: {times['eager loop, one map at a time']:7.1f} s", flush=True)

    n_single = 8
    oip.run_oip(model, LAYER, 0, x0=x0[:1], n_steps=3, early_stop=False)  # trace once
    start = time.perf_counter()
    for map_index in range(n_single):
        oip.run_oip(model, LAYER, map_index, x0=x0[map_index : map_index + 1], n_steps=n_steps, early_stop=False)
    times["compiled, one map at a time"] = (time.perf_counter() - start) * n_maps / n_single
    print(f"compiled loop: {n_single} maps measured, scaled to {n_maps}: {times['compiled, one map at a time']:7.1f} s", flush=True)

    print(f"timing float32 and bfloat16, {n_maps} maps x {n_steps} steps, {rounds} rounds ...", flush=True)
    full = time_cases(model, n_maps, x0, precision_cases(n_maps), precision_cases(n_maps), n_steps, rounds)
    times["batched, all maps at once"] = full[PLAIN][0]

    # 2. throughput of the plain step by batch size and chunk size
    cases = throughput_cases()
    print(f"timing {len(cases)} throughput configurations x {throughput_steps} steps, {rounds} rounds ...", flush=True)
    throughput = time_cases(model, n_maps, x0, cases, cases, throughput_steps, rounds)
    peaks.append(matmul_peak_flops())

    # 3. each option against the plain step
    table = option_cases(n_maps, option_steps)
    print(f"timing {len(table)} option runs x {option_steps} steps, {rounds} rounds ...", flush=True)
    options = time_cases(model, n_maps, x0, table, option_cases(n_maps, WARM_STEPS), option_steps, rounds)
    peaks.append(matmul_peak_flops())
    peak = max(peaks)

    # 4. precision: the final patterns of the full-length runs, both judged by the float32 model
    float32, bfloat16 = full[PLAIN][1], full[BFLOAT16][1]
    maps = float32.map_indices
    objective32 = oip.objective_values(model, LAYER, maps, float32.images)
    objective16 = oip.objective_values(model, LAYER, maps, bfloat16.images)
    correlation = float(np.nanmedian(activations.pattern_correlation(float32.images, bfloat16.images)))
    auto = oip.resolve_precision(model, "auto", LAYER)
    load_end = load_average()

    # reports
    print(f"\n1. all {n_maps} maps x {n_steps} steps three ways (batched: best of {rounds}):")
    eager = times["eager loop, one map at a time"]
    for name, seconds in times.items():
        print(f"  {name:32s} {seconds:8.1f} s   speed-up vs eager {eager / seconds:7.1f}x")
    batched = times["batched, all maps at once"]
    plain_floor = floor_ratio(batched, n_maps * n_steps, flops, peak)
    print(f"  batched run: {n_maps * n_steps * flops / batched / 1e9:.0f} GFLOP/s = "
          f"{n_maps * n_steps * flops / batched / peak:.0%} of the matmul peak; {plain_floor:.2f}x the floor of "
          f"{n_maps * n_steps * flops / peak:.1f} s")

    print(f"\n2. throughput of the plain step ({throughput_steps} steps, best of {rounds}; floor: "
          f"{peak / flops:.0f} image-steps/s):")
    print(f"  {'configuration':32s} {'seconds':>8s} {'image-steps/s':>14s} {'x floor':>8s}")
    rates = {}
    for name, (n_images, _) in cases.items():
        seconds = throughput[name][0]
        rates[name] = n_images * throughput_steps / seconds
        print(f"  {name:32s} {seconds:8.2f} {rates[name]:14.0f} "
              f"{floor_ratio(seconds, n_images * throughput_steps, flops, peak):8.2f}")
    largest = f"{BATCHES[-1]} images"
    best_chunk = max((name for name in cases if name.startswith(largest)), key=rates.get)
    chunk_gain = rates[best_chunk] / rates[largest]

    print(f"\n3. cost of each option, {n_maps} maps x {option_steps} steps (best of {rounds}; goal <= {OPTION_GOAL}x "
          f"plain):")
    print(f"  {'option':36s} {'seconds':>8s} {'x plain':>8s}  goal")
    ratios = {}
    for name, (seconds, _) in options.items():
        baseline = options[PLAIN_PAIRS if table[name][0] > n_maps else PLAIN][0]
        if name not in (PLAIN, PLAIN_PAIRS):
            ratios[name] = seconds / baseline
        verdict = "" if name in (PLAIN, PLAIN_PAIRS) else "met" if ratios[name] <= OPTION_GOAL else "MISSED"
        print(f"  {name:36s} {seconds:8.2f} {seconds / baseline:8.2f}  {verdict}")

    speed_up = full[PLAIN][0] / full[BFLOAT16][0]
    objective_change = (objective16.mean() - objective32.mean()) / abs(objective32.mean())
    print(f"\n4. precision, plain {n_maps}-map run, {n_steps} steps (best of {rounds}): float32 {full[PLAIN][0]:.2f} s, "
          f"bfloat16 {full[BFLOAT16][0]:.2f} s ({speed_up:.2f}x as fast); mean final objective (float32 model) "
          f"{objective32.mean():.4g} vs {objective16.mean():.4g} ({objective_change:+.2%}); median pixel correlation "
          f"of the patterns {correlation:.3f}")
    print(f"  bfloat16_native(): {device.bfloat16_native()}; resolve_precision(model, 'auto'): {auto!r}")

    missed = [name for name, ratio in ratios.items() if ratio > OPTION_GOAL]
    floor_s = n_maps * n_steps * flops / peak
    print("\n" + against_summary)
    print(f"\nsummary ({n_steps} steps; matmul peak {peak / 1e9:.0f} GFLOP/s, the best of readings "
          f"{', '.join(f'{p / 1e9:.0f}' for p in peaks)}; load average {load_start} at the start, {load_end} at the end):")
    print(f"  batched {n_maps} maps: {batched:.1f} s = {plain_floor:.2f}x the float32 matmul floor (goal <= "
          f"{FLOOR_GOAL}x: {'met' if plain_floor <= FLOOR_GOAL else 'missed'}); {eager / batched:.0f}x the eager loop")
    print("  throughput: " + ", ".join(
        f"{n} images {rates[f'{n} images']:.0f}/s ({floor_ratio(throughput[f'{n} images'][0], n * throughput_steps, flops, peak):.2f}x floor)"
        for n in BATCHES))
    print(f"  chunk_size at {BATCHES[-1]} images: best {best_chunk!r}, {chunk_gain:.2f}x the default's throughput "
          f"({'helps' if chunk_gain > NOISE else 'hurts' if chunk_gain < 1 / NOISE else 'no clear difference'})")
    print(f"  options within {OPTION_GOAL}x plain: {len(ratios) - len(missed)} of {len(ratios)}"
          + (f"; above: {', '.join(f'{name} {ratios[name]:.2f}x' for name in missed)}" if missed else ""))
    print(f"  bfloat16: {speed_up:.2f}x as fast as float32 ({full[BFLOAT16][0]:.1f} s = "
          f"{floor_ratio(full[BFLOAT16][0], n_maps * n_steps, flops, peak):.2f}x the float32 floor), objective "
          f"{objective_change:+.2%}, median correlation {correlation:.3f}; auto picks {auto}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=600, help="ascent steps of the full runs (default 600; 60 for a quick check)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved timing rounds, the best counts (default 4)")
    parser.add_argument("--loop-only", action="store_true", help="only section 0: run_oip against the plain loop")
    arguments = parser.parse_args()
    main(arguments.steps, arguments.rounds, arguments.loop_only)

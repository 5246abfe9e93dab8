"""Limiting distributions on a grid: aggregation, characteristic functions, maximum entropy, tails, extremes.

The numerical tools of notebook 11 (S. A. Frank, "The common patterns of nature", J. Evol. Biol. 22, 2009):

- :class:`GridDensity` holds a distribution as probability masses on a uniform grid; :func:`discretize` builds
  one from a SciPy distribution, :func:`histogram_density` from data, :func:`convolve` and :func:`partial_sums` aggregate (the density of a sum of
  independent variables is the convolution of their densities), :func:`gaussian_distance` measures how far a
  shape is from the Gaussian with the same mean and variance;
- :func:`characteristic_function` evaluates ``E[exp(i t X)]`` (the Fourier view: it multiplies under
  aggregation);
- :func:`max_entropy` maximizes entropy on a grid under moment constraints (Lagrange multipliers, solved as the
  convex dual with ``scipy.optimize``);
- :func:`survival_function`, :func:`hill_tail_index` look at power-law tails on log-log axes;
- :func:`block_maxima`, :func:`fit_extreme_value` fit the generalized extreme-value family (Gumbel, Fréchet,
  Weibull) with ``scipy.stats``.

Arrays in, numbers and arrays out; nothing here plots or knows about models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal, special, stats

from helpers import checks

__all__ = [
    "GridDensity", "discretize", "histogram_density", "convolve", "partial_sums", "gaussian_distance",
    "characteristic_function", "MaxEntResult", "max_entropy", "survival_function", "hill_tail_index",
    "block_maxima", "ExtremeValueFit", "fit_extreme_value",
]

MAX_GRID = 10_000_000
"""The most grid points a density may have (80 MB of masses); finer grids exhaust memory."""
MAX_SUMS = 2_000
"""The largest ``n_max`` of :func:`partial_sums` (each sum is one more convolution over a longer grid)."""
MAX_TERMS = 200_000_000
"""The most terms ``len(g.p) x len(t)`` :func:`characteristic_function` sums (about ten seconds)."""

MAX_COORDINATE = 1e100
"""The largest magnitude of a grid coordinate, sample or grid step: squares of larger values overflow."""

DISTANCE_METRICS = ("kl", "max", "ks")
"""Valid ``metric`` names of :func:`gaussian_distance`."""

FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x": lambda x: x,
    "x^2": lambda x: x**2,
    "|x|": np.abs,
    "log x": np.log,
}
"""Named constraint functions ``f(x)`` for :func:`max_entropy` (a constraint fixes the mean of ``f(X)``)."""


# --------------------------------------------------------------------------------------------------------
# Densities on a grid and aggregation
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridDensity:
    """A distribution as probability masses ``p`` on the uniform grid ``x = x0 + dx * arange(len(p))``.

    ``p`` is non-negative and sums to 1 (mass per grid cell, not a density); ``density`` divides by ``dx``.
    A lattice distribution (e.g. on the integers) is the same object with ``dx`` the lattice step.
    """

    x0: float
    dx: float
    p: np.ndarray

    def __post_init__(self) -> None:
        p = checks.finite_array("p (masses)", self.p, dtype=np.float64)
        if p.ndim != 1 or p.size == 0:
            raise ValueError(f"p must be a non-empty 1-D array of masses, got shape {p.shape}")
        checks.size("len(p)", p.size, MAX_GRID, "distributions.MAX_GRID")
        checks.real("x0", self.x0, -MAX_COORDINATE, MAX_COORDINATE)
        checks.real("dx (the grid step)", self.dx, 0, MAX_COORDINATE, open_low=True,
                    why="distributions.MAX_COORDINATE; squares of larger values overflow")
        if not np.isfinite(self.x0 + self.dx * p.size):
            raise ValueError(f"the grid x0 + dx * arange(len(p)) overflows, got x0={self.x0}, dx={self.dx}")
        if p.min() < 0:
            raise ValueError("p must hold finite, non-negative masses")
        if not np.isclose(p.sum(), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"the masses p must sum to 1, got {p.sum():.6g} (use GridDensity.normalized)")
        object.__setattr__(self, "p", p)

    @classmethod
    def normalized(cls, x0: float, dx: float, weights: np.ndarray) -> "GridDensity":
        """Build from non-negative weights of any total (they are divided by their sum)."""
        weights = checks.finite_array("weights", weights, dtype=np.float64, ndim=1)
        with np.errstate(over="ignore"):
            total = weights.sum()
        if not np.isfinite(total) or total <= 0:
            raise ValueError(f"weights must have a positive, finite sum, got {total}")
        return cls(x0, dx, weights / total)

    @property
    def x(self) -> np.ndarray:
        """Grid points, shape ``(len(p),)``."""
        return self.x0 + self.dx * np.arange(len(self.p))

    @property
    def density(self) -> np.ndarray:
        """Probability density at the grid points (mass / ``dx``), shape ``(len(p),)``."""
        return self.p / self.dx

    def mean(self) -> float:
        return float(self.p @ self.x)

    def var(self) -> float:
        return float(self.p @ (self.x - self.mean()) ** 2)

    def std(self) -> float:
        return float(np.sqrt(self.var()))

    def standardized_moments(self) -> dict[str, float]:
        """Mean, variance, skewness and excess kurtosis (0 for a Gaussian)."""
        mean, var = self.mean(), self.var()
        z = (self.x - mean) / np.sqrt(var)
        return {
            "mean": mean,
            "variance": var,
            "skewness": float(self.p @ z**3),
            "excess kurtosis": float(self.p @ z**4 - 3.0),
        }

    def standardize(self) -> "GridDensity":
        """The distribution of ``(X - mean) / std`` (same masses on a shifted, rescaled grid)."""
        mean, std = self.mean(), self.std()
        if std <= 0:
            raise ValueError("cannot standardize a distribution with zero variance (a single point)")
        return GridDensity((self.x0 - mean) / std, self.dx / std, self.p)


def discretize(dist: stats.rv_continuous, low: float, high: float, dx: float) -> GridDensity:
    """Masses of a continuous SciPy distribution (frozen, e.g. ``stats.expon()``) on the grid ``low..high``.

    Each grid point gets the probability of its cell ``[x - dx/2, x + dx/2)`` (from the CDF, so narrow peaks
    are not missed); the mass outside ``[low - dx/2, high + dx/2)`` is dropped and the rest renormalized.
    """
    low, high = checks.real("low", low), checks.real("high", high)
    if not high > low or not np.isfinite(high - low):
        raise ValueError(f"need finite low < high, got low={low}, high={high}")
    dx = checks.real("dx", dx, 0, high - low, open_low=True)
    if not hasattr(dist, "cdf"):
        raise checks.WrongTypeError(f"dist must be a frozen SciPy distribution with a cdf, got {type(dist).__name__}")
    n = checks.size("the number of grid points (high - low) / dx + 1", int(round((high - low) / dx)) + 1, MAX_GRID,
                    "distributions.MAX_GRID; choose a larger dx")
    edges = low - dx / 2 + dx * np.arange(n + 1)
    masses = np.clip(np.diff(dist.cdf(edges)), 0.0, None)
    if masses.sum() <= 0:
        raise ValueError(f"the distribution has no probability between {low} and {high}")
    return GridDensity.normalized(low, dx, masses)


def histogram_density(samples: np.ndarray, n_bins: int = 60) -> GridDensity:
    """The histogram of ``samples`` (``n_bins`` equal bins from the smallest to the largest value, via
    ``np.histogram``) as a :class:`GridDensity` on the bin centres, e.g. to measure data with
    :func:`gaussian_distance`. Finite-sample noise adds roughly ``(n_bins - 1) / (2 n)`` nats to a KL."""
    samples = checks.finite_array("samples", samples, dtype=np.float64, max_abs=MAX_COORDINATE).ravel()
    if samples.size < 2:
        raise ValueError(f"samples must hold at least 2 finite values, got {samples.size} values")
    n_bins = checks.size("n_bins", n_bins, MAX_GRID, "distributions.MAX_GRID", low=2)
    if np.ptp(samples) == 0:
        raise ValueError("all samples are equal: a histogram needs some spread")
    counts, edges = np.histogram(samples, bins=n_bins)
    dx = edges[1] - edges[0]
    return GridDensity.normalized(edges[0] + dx / 2, dx, counts)


def convolve(a: GridDensity, b: GridDensity) -> GridDensity:
    """The distribution of ``X + Y`` for independent ``X ~ a``, ``Y ~ b`` (both on grids with the same step).

    Uses ``scipy.signal.fftconvolve``; round-off below zero is clipped. Length ``len(a.p) + len(b.p) - 1``.
    """
    _check_density("a", a)
    _check_density("b", b)
    if not np.isclose(a.dx, b.dx, rtol=1e-9, atol=0):
        raise ValueError(f"both grids need the same step to be convolved, got dx={a.dx} and dx={b.dx}")
    p = np.clip(signal.fftconvolve(a.p, b.p), 0.0, None)
    return GridDensity.normalized(a.x0 + b.x0, a.dx, p)


def _check_density(name: str, g) -> None:
    if not isinstance(g, GridDensity):
        raise checks.WrongTypeError(f"{name} must be a GridDensity, got {type(g).__name__}")


def partial_sums(part: GridDensity, n_max: int) -> list[GridDensity]:
    """Distributions of ``S_n = X_1 + ... + X_n`` for ``n = 1..n_max`` (i.i.d. ``X_i ~ part``), by repeated
    convolution: element ``n - 1`` is ``S_n``."""
    _check_density("part", part)
    n_max = checks.size("n_max", n_max, MAX_SUMS, "distributions.MAX_SUMS; each sum is one more convolution")
    checks.size("the grid of the last sum, n_max * len(part.p)", n_max * len(part.p), MAX_GRID,
                "distributions.MAX_GRID")
    checks.size("the work of all sums, n_max**2 * len(part.p) / 2", n_max**2 * len(part.p) // 2, MAX_TERMS,
                "distributions.MAX_TERMS, about ten seconds; choose a smaller n_max (n_max) or a coarser grid")
    sums = [part]
    for _ in range(n_max - 1):
        sums.append(convolve(sums[-1], part))
    return sums


def gaussian_distance(g: GridDensity, metric: str = "kl") -> float:
    """How far ``g`` is from the Gaussian with its own mean and variance (compared on ``g``'s grid).

    Metrics: ``"kl"``: Kullback-Leibler divergence ``sum p log(p / q)`` in nats, ``q`` the Gaussian's cell
    masses (its mass off the grid is not redistributed); ``"max"``: largest absolute difference of the standardized densities (so it does not depend on
    the scale of ``g``); ``"ks"``: largest absolute difference of the CDFs (Kolmogorov-Smirnov distance).
    """
    _check_density("g", g)
    checks.choice("metric", metric, DISTANCE_METRICS)
    z = g.standardize()
    gauss = stats.norm()
    if metric == "kl":
        # the Gaussian's own cell masses (in logs: far tails underflow), not renormalized to the grid
        log_q = _log_gaussian_cell_masses(z.x - z.dx / 2, z.x + z.dx / 2)
        keep = z.p > 0
        return float(np.sum(z.p[keep] * (np.log(z.p[keep]) - log_q[keep])))
    if metric == "max":
        return float(np.max(np.abs(z.density - gauss.pdf(z.x))))
    return float(np.max(np.abs(np.cumsum(z.p) - gauss.cdf(z.x + z.dx / 2))))


def _log_gaussian_cell_masses(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for the standard normal, accurate in both tails (``a < b``)."""
    upper = a > 0  # right of the centre use the mirror image Phi(-a) - Phi(-b): no cancellation near 1
    hi = np.where(upper, special.log_ndtr(-a), special.log_ndtr(b))
    lo = np.where(upper, special.log_ndtr(-b), special.log_ndtr(a))
    return hi + np.log(-np.expm1(lo - hi))


def characteristic_function(g: GridDensity, t: np.ndarray) -> np.ndarray:
    """``phi(t) = E[exp(i t X)] = sum_k p_k exp(i t x_k)`` for frequencies ``t`` (radians per unit of x).

    Returns a complex array shaped like ``t``. ``|phi|`` is 1 at ``t = 0`` and at most 1 everywhere; the
    characteristic function of a sum of independent variables is the product of theirs.
    """
    _check_density("g", g)
    t = checks.finite_array("t", t, dtype=np.float64)
    checks.size("len(g.p) x t.size", len(g.p) * max(t.size, 1), MAX_TERMS, "distributions.MAX_TERMS terms, about "
                "ten seconds")
    flat = t.ravel()
    out = np.empty(flat.shape, dtype=np.complex128)
    x = g.x
    chunk = max(1, 2_000_000 // len(x))  # bound the (len(x), chunk) temporary
    for start in range(0, len(flat), chunk):
        out[start : start + chunk] = g.p @ np.exp(1j * np.outer(x, flat[start : start + chunk]))
    return out.reshape(t.shape)


# --------------------------------------------------------------------------------------------------------
# Maximum entropy
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaxEntResult:
    """Output of :func:`max_entropy`: the density ``p(x) = exp(-sum_k lambda_k f_k(x)) / Z`` on the grid."""

    x: np.ndarray  # grid, shape (n,)
    density: np.ndarray  # probability density at x, shape (n,); sum(density * weights) == 1
    weights: np.ndarray  # quadrature weights (cell widths) used for integrals, shape (n,)
    multipliers: dict[str, float]  # Lagrange multiplier lambda_k of each constraint, in the units of f_k
    achieved: dict[str, float]  # E[f_k(X)] under the solution (should equal the targets)
    entropy: float  # differential entropy -integral p log p dx, in nats
    n_iterations: int

    def max_constraint_error(self, targets: Mapping[str, float]) -> float:
        """Largest ``|E[f_k] - target_k|`` over the constraints."""
        if not isinstance(targets, Mapping) or not targets:
            raise checks.WrongTypeError(f"targets must be a non-empty mapping of feature names to numbers, got "
                                        f"{targets!r}")
        unknown = [k for k in targets if k not in self.achieved]
        if unknown:
            raise ValueError(f"unknown constraint feature(s) {unknown}; valid names: {sorted(self.achieved)}")
        targets = {k: checks.real(f"target {k!r}", v) for k, v in targets.items()}
        return max(abs(self.achieved[k] - float(v)) for k, v in targets.items())


def _quadrature_weights(x: np.ndarray) -> np.ndarray:
    """Cell widths of a strictly increasing grid (trapezoid rule weights)."""
    w = np.empty_like(x)
    w[1:-1] = (x[2:] - x[:-2]) / 2
    w[0] = (x[1] - x[0]) / 2
    w[-1] = (x[-1] - x[-2]) / 2
    return w


def max_entropy(
    x: np.ndarray,
    constraints: Mapping[str, float],
    features: Mapping[str, Callable[[np.ndarray], np.ndarray]] | None = None,
    tol: float = 1e-7,
    max_iterations: int = 500,
) -> MaxEntResult:
    """Maximize the entropy ``-integral p log p dx`` on the grid ``x`` subject to ``E[f_k(X)] = c_k``.

    The maximizer has the form ``p(x) ∝ exp(-sum_k lambda_k f_k(x))`` (one Lagrange multiplier per
    constraint). The multipliers minimize the convex dual ``log Z(lambda) + sum_k lambda_k c_k``, whose
    gradient is ``c - E_lambda[f]`` and Hessian ``Cov_lambda(f)``; it is solved with
    ``scipy.optimize.minimize`` (trust-region Newton) on centred and scaled features.

    Args:
        x: strictly increasing grid, shape ``(n,)``, n >= 3 (need not be uniform: a log-spaced grid suits
            power laws). Integrals use trapezoid weights.
        constraints: feature name -> target mean, e.g. ``{"x": 0.0, "x^2": 1.0}``. Names come from
            :data:`FEATURES` or ``features``.
        features: extra named functions ``f(x)`` (vectorized over the grid).
        tol: required accuracy of every constraint, relative to the feature's spread on the grid (> 0).
        max_iterations: optimizer iteration limit (>= 1).

    Raises ``ValueError`` for a bad grid, an unknown feature, a feature that is not finite on the grid, or a
    target outside the feature's range on the grid; ``RuntimeError`` if the constraints cannot be met.
    """
    tol = checks.real("tol", tol, 0, 1, open_low=True, why="a relative accuracy")
    max_iterations = checks.size("max_iterations", max_iterations, 100_000, "the optimizer converges in tens")
    x = checks.finite_array("x", x, dtype=np.float64, max_abs=MAX_COORDINATE)
    if x.ndim != 1 or len(x) < 3 or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be a finite, strictly increasing 1-D grid of at least 3 points, got shape {x.shape}")
    checks.size("len(x)", len(x), MAX_GRID, "distributions.MAX_GRID")
    if not isinstance(constraints, Mapping):
        raise checks.WrongTypeError(f"constraints must be a mapping of feature names to target means, got "
                                    f"{type(constraints).__name__} {constraints!r}")
    if not constraints:
        raise ValueError("give at least one constraint, e.g. {'x': 1.0}")
    if features is not None and (not isinstance(features, Mapping) or not all(map(callable, features.values()))):
        raise checks.WrongTypeError(f"features must be a mapping of names to functions f(x), got {features!r}")
    known = {**FEATURES, **(features or {})}
    unknown = [name for name in constraints if name not in known]
    if unknown:
        raise ValueError(f"unknown constraint feature(s) {unknown}; valid names: {sorted(known)}")
    names = list(constraints)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.stack([np.broadcast_to(np.asarray(known[k](x), dtype=np.float64), x.shape) for k in names])
    targets = np.array([checks.real(f"the target of {k!r}", constraints[k]) for k in names])
    for k, name in enumerate(names):
        if not np.all(np.isfinite(f[k])):
            raise ValueError(f"feature {name!r} is not finite on the whole grid (e.g. 'log x' needs x > 0)")
        lo, hi = f[k].min(), f[k].max()
        if not (np.isfinite(targets[k]) and lo < targets[k] < hi):
            raise ValueError(
                f"target {targets[k]} for {name!r} must lie strictly inside the feature's range on the grid "
                f"({lo:.6g}, {hi:.6g})"
            )

    w = _quadrature_weights(x)
    log_w = np.log(w)
    # centre and scale the features: the solution is unchanged, the dual is well conditioned
    centre = f.mean(axis=1)
    scale = f.std(axis=1)
    scale[scale == 0] = 1.0
    fs = (f - centre[:, None]) / scale[:, None]
    cs = (targets - centre) / scale

    def probabilities(lam: np.ndarray) -> tuple[np.ndarray, float]:
        a = log_w - lam @ fs
        log_z = special.logsumexp(a)
        return np.exp(a - log_z), float(log_z)  # masses per grid point, sum 1

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        q, log_z = probabilities(lam)
        return log_z + float(lam @ cs), cs - fs @ q

    def hessian(lam: np.ndarray) -> np.ndarray:
        q, _ = probabilities(lam)
        mean = fs @ q
        return (fs * q) @ fs.T - np.outer(mean, mean)

    solution = optimize.minimize(
        dual, np.zeros(len(names)), jac=True, hess=hessian, method="trust-exact",
        options={"gtol": tol, "maxiter": max_iterations},
    )
    q, _ = probabilities(solution.x)
    residual = np.abs(fs @ q - cs)
    if not np.all(residual <= 10 * tol):
        raise RuntimeError(
            f"max_entropy could not meet the constraints {dict(constraints)} on this grid (scaled residuals "
            f"{residual.tolist()}; optimizer: {solution.message}); widen the grid or check that the targets are "
            "compatible (e.g. E[x^2] > E[x]^2)"
        )
    density = q / w
    lam = solution.x / scale  # back to the units of the original features
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = float(-np.sum(q * np.where(density > 0, np.log(density), 0.0)))
    return MaxEntResult(
        x=x,
        density=density,
        weights=w,
        multipliers={name: float(v) for name, v in zip(names, lam)},
        achieved={name: float(v) for name, v in zip(names, f @ q)},
        entropy=entropy,
        n_iterations=int(solution.nit),
    )


# --------------------------------------------------------------------------------------------------------
# Tails and extremes
# --------------------------------------------------------------------------------------------------------


def survival_function(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical ``P(X >= x)`` at the sorted samples, for log-log tail plots.

    Returns ``(x_sorted, survival)``, both shape ``(n,)``; ``survival`` falls from 1 to ``1/n``.
    """
    samples = checks.finite_array("samples", samples, dtype=np.float64).ravel()
    if samples.size == 0:
        raise ValueError(f"samples must be a non-empty array of finite values, got {samples.size} values")
    x = np.sort(samples)
    return x, 1.0 - np.arange(len(x)) / len(x)


def hill_tail_index(samples: np.ndarray, k: int) -> float:
    """Hill estimate of the tail index ``alpha`` (``P(X > x) ~ x^-alpha``) from the ``k`` largest samples.

    ``alpha_hat = k / sum_{i<k} log(X_(i) / X_(k))`` with ``X_(0) >= X_(1) >= ...`` the samples in decreasing
    order. Needs finite samples, positive tail samples, ``1 <= k < n`` and a tail that is not flat (the ``k + 1``
    largest samples not all equal, which would give an infinite index).
    """
    samples = checks.finite_array("samples", samples, dtype=np.float64).ravel()
    k = checks.integer("k (with 1 <= k < number of samples)", k, 1, samples.size - 1)
    top = np.sort(samples)[::-1][: k + 1]
    if top[k] <= 0:
        raise ValueError(f"the {k + 1} largest samples must be positive for a power-law tail, smallest is {top[k]}")
    if top[0] == top[k]:
        raise ValueError(f"the {k + 1} largest samples are all equal ({top[k]:.6g}): a flat tail has no finite index; "
                         "choose a larger k (more of the tail) or check the data for capped or repeated values")
    return float(k / np.sum(np.log(top[:k] / top[k])))


def block_maxima(samples: np.ndarray, block_size: int) -> np.ndarray:
    """Maximum of each consecutive block of ``block_size`` samples, shape ``(len(samples) // block_size,)``
    (a trailing partial block is dropped)."""
    samples = checks.finite_array("samples", samples, dtype=np.float64).ravel()
    block_size = checks.integer("block_size", block_size, 1)
    n_blocks = samples.size // block_size
    if n_blocks < 1:
        raise ValueError(f"need at least one full block: {samples.size} samples < block_size {block_size}")
    return samples[: n_blocks * block_size].reshape(n_blocks, block_size).max(axis=1)


@dataclass(frozen=True)
class ExtremeValueFit:
    """A generalized extreme-value (GEV) fit to maxima, with the Gumbel special case for comparison.

    ``xi`` is the shape in the usual convention (``xi > 0``: Fréchet, heavy tail; ``xi = 0``: Gumbel,
    exponential-like tail; ``xi < 0``: Weibull, bounded tail); SciPy's ``genextreme`` uses ``c = -xi``.
    """

    xi: float
    loc: float
    scale: float
    log_likelihood: float  # of the GEV fit
    gumbel_loc: float
    gumbel_scale: float
    gumbel_log_likelihood: float
    family: str  # "Gumbel", "Fréchet" or "Weibull": Gumbel unless the GEV fits significantly better
    lr_p_value: float  # likelihood-ratio test GEV vs Gumbel (1 degree of freedom)
    ks_statistic: float  # Kolmogorov-Smirnov distance between the maxima and the fitted GEV

    @property
    def gev(self) -> stats.rv_continuous:
        """The fitted GEV as a frozen SciPy distribution."""
        return stats.genextreme(-self.xi, loc=self.loc, scale=self.scale)

    @property
    def gumbel(self) -> stats.rv_continuous:
        """The fitted Gumbel as a frozen SciPy distribution."""
        return stats.gumbel_r(loc=self.gumbel_loc, scale=self.gumbel_scale)


MIN_DISTINCT_MAXIMA = 5
"""The fewest distinct values :func:`fit_extreme_value` accepts among the maxima."""


def fit_extreme_value(maxima: np.ndarray, alpha: float = 0.05) -> ExtremeValueFit:
    """Maximum-likelihood GEV and Gumbel fits (``scipy.stats.genextreme``, ``gumbel_r``) to block maxima.

    The family is "Gumbel" unless a likelihood-ratio test rejects ``xi = 0`` at level ``alpha``; then it is
    "Fréchet" (``xi > 0``) or "Weibull" (``xi < 0``). Needs at least 10 finite maxima that are not all equal and
    not degenerate: a continuous law cannot describe maxima with fewer than :data:`MIN_DISTINCT_MAXIMA` distinct
    values or where one value makes up more than half of them (e.g. nine equal values and one huge one), so
    those raise ValueError instead of yielding a confident but meaningless family.
    """
    maxima = checks.finite_array("maxima", maxima, dtype=np.float64, max_abs=MAX_COORDINATE).ravel()
    alpha = checks.real("alpha", alpha, 0, 1, open_low=True)
    if maxima.size < 10:
        raise ValueError(f"need at least 10 finite maxima to fit an extreme-value law, got {maxima.size}")
    if np.ptp(maxima) == 0:
        raise ValueError("all maxima are equal: there is no spread to fit")
    values, counts = np.unique(maxima, return_counts=True)
    if len(values) < MIN_DISTINCT_MAXIMA or counts.max() > maxima.size / 2:
        raise ValueError(
            f"degenerate maxima: {len(values)} distinct values among {maxima.size}, the most common "
            f"({values[counts.argmax()]:.6g}) {counts.max()} times; an extreme-value fit needs maxima of a "
            f"continuous variable (at least {MIN_DISTINCT_MAXIMA} distinct values, none making up more than half)"
        )
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    # fit on a standardized copy (better conditioned), then map loc and scale back
    centre, spread = float(np.mean(maxima)), float(np.std(maxima))
    z = (maxima - centre) / spread
    g_loc, g_scale = stats.gumbel_r.fit(z)
    c, loc, scale = stats.genextreme.fit(z, 0.0, loc=g_loc, scale=g_scale)
    ll_gev = float(np.sum(stats.genextreme.logpdf(z, c, loc, scale)))
    ll_gum = float(np.sum(stats.gumbel_r.logpdf(z, g_loc, g_scale)))
    if not np.isfinite(ll_gev) or ll_gev < ll_gum:  # the optimizer stalled: Gumbel is the c = 0 member
        c, loc, scale, ll_gev = 0.0, g_loc, g_scale, ll_gum
    statistic = max(0.0, 2 * (ll_gev - ll_gum))
    p_value = float(stats.chi2.sf(statistic, df=1))
    xi = float(-c)
    family = "Gumbel" if p_value >= alpha else ("Fréchet" if xi > 0 else "Weibull")
    log_jacobian = maxima.size * np.log(spread)  # likelihoods in the units of the maxima
    ks = float(stats.kstest(z, stats.genextreme(c, loc, scale).cdf).statistic)
    return ExtremeValueFit(
        xi=xi,
        loc=centre + spread * float(loc),
        scale=spread * float(scale),
        log_likelihood=ll_gev - log_jacobian,
        gumbel_loc=centre + spread * float(g_loc),
        gumbel_scale=spread * float(g_scale),
        gumbel_log_likelihood=ll_gum - log_jacobian,
        family=family,
        lr_p_value=p_value,
        ks_statistic=ks,
    )

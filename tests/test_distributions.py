"""helpers.distributions: aggregation on grids, characteristic functions, maximum entropy, tails, extremes.

Every numerical claim is checked against a closed form (Frank 2009's common patterns) with a stated tolerance.
"""

import numpy as np
import pytest
from scipy import special, stats

from helpers import distributions


# --- densities on grids and aggregation -----------------------------------------------------------------


def test_grid_density_validates_and_reports_moments():
    g = distributions.GridDensity(0.0, 1.0, np.array([0.25, 0.5, 0.25]))
    np.testing.assert_allclose(g.x, [0, 1, 2])
    assert g.mean() == pytest.approx(1.0) and g.var() == pytest.approx(0.5)
    assert g.standardized_moments()["skewness"] == pytest.approx(0.0)
    z = g.standardize()
    assert z.mean() == pytest.approx(0.0, abs=1e-12) and z.var() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="must sum to 1"):
        distributions.GridDensity(0.0, 1.0, np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="non-negative"):
        distributions.GridDensity(0.0, 1.0, np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match=r"dx \(the grid step\) must be a finite number > 0"):
        distributions.GridDensity(0.0, 0.0, np.array([1.0]))
    with pytest.raises(ValueError, match="zero variance"):
        distributions.GridDensity(0.0, 1.0, np.array([1.0])).standardize()


def test_standardized_moments_match_the_closed_forms():
    # Bernoulli(1/4) on {0, 1}: mean p, variance pq, skewness (q - p) / sqrt(pq), excess kurtosis (1 - 6pq) / pq
    p, q = 0.25, 0.75
    moments = distributions.GridDensity(0.0, 1.0, np.array([q, p])).standardized_moments()
    assert moments == pytest.approx({"mean": p, "variance": p * q, "skewness": (q - p) / np.sqrt(p * q),
                                     "excess kurtosis": (1 - 6 * p * q) / (p * q)})
    gaussian = distributions.discretize(stats.norm(1.0, 0.5), -4.0, 6.0, 0.001).standardized_moments()
    assert gaussian["excess kurtosis"] == pytest.approx(0.0, abs=1e-3)  # the Gaussian is the zero of the scale
    exponential = distributions.discretize(stats.expon(), 0.0, 60.0, 0.001).standardized_moments()
    assert exponential["skewness"] == pytest.approx(2.0, rel=1e-2)
    assert exponential["excess kurtosis"] == pytest.approx(6.0, rel=2e-2)
    uniform = distributions.discretize(stats.uniform(), 0.0, 1.0, 0.001).standardized_moments()
    assert uniform["excess kurtosis"] == pytest.approx(-1.2, rel=1e-2)


def test_standardize_moves_and_rescales_the_grid_only():
    g = distributions.GridDensity(2.0, 0.5, np.array([0.25, 0.5, 0.25]))  # points 2, 2.5, 3: mean 2.5, var 1/8
    z = g.standardize()
    std = np.sqrt(0.125)
    assert z.x0 == pytest.approx((2.0 - 2.5) / std) and z.dx == pytest.approx(0.5 / std)
    np.testing.assert_array_equal(z.p, g.p)
    np.testing.assert_allclose(z.x, [-np.sqrt(2), 0.0, np.sqrt(2)])


def test_discretize_keeps_mean_and_variance_and_rejects_bad_grids():
    g = distributions.discretize(stats.expon(scale=2.0), 0.0, 80.0, 0.01)
    assert g.mean() == pytest.approx(2.0, rel=1e-4) and g.var() == pytest.approx(4.0, rel=1e-3)
    with pytest.raises(ValueError, match="low < high"):
        distributions.discretize(stats.norm(), 1.0, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"dx must be a finite number in \(0, "):
        distributions.discretize(stats.norm(), -1.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="frozen SciPy distribution"):
        distributions.discretize(np.zeros(3), -1.0, 1.0, 0.1)


def test_discretize_gives_each_point_the_mass_of_its_cell():
    # cells [-1/8, 1/8), [1/8, 3/8), ..., [7/8, 9/8): the end points get half a cell of the uniform's mass
    g = distributions.discretize(stats.uniform(), 0.0, 1.0, 0.25)
    np.testing.assert_allclose(g.x, [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(g.p, [0.125, 0.25, 0.25, 0.25, 0.125])


def test_histogram_density_of_gaussian_samples_is_close_to_the_gaussian():
    samples = stats.norm(5.0, 2.0).rvs(200_000, random_state=np.random.default_rng(4))
    g = distributions.histogram_density(samples, n_bins=50)
    assert len(g.p) == 50 and g.x[0] > samples.min() and g.x[-1] < samples.max()
    assert g.mean() == pytest.approx(5.0, abs=0.02) and g.std() == pytest.approx(2.0, rel=0.02)
    assert distributions.gaussian_distance(g, "kl") < 3 * 49 / (2 * 200_000)  # only the sampling noise
    skewed = distributions.histogram_density(stats.expon().rvs(200_000, random_state=np.random.default_rng(5)), 50)
    assert distributions.gaussian_distance(skewed, "kl") > 0.2
    with pytest.raises(ValueError, match="n_bins must be an integer >= 2"):
        distributions.histogram_density(samples, n_bins=1)
    with pytest.raises(ValueError, match="all samples are equal"):
        distributions.histogram_density(np.ones(10))
    with pytest.raises(ValueError, match="samples holds 1 NaN"):
        distributions.histogram_density(np.array([1.0, np.nan]))


def test_convolution_of_two_uniforms_is_the_triangle():
    u = distributions.discretize(stats.uniform(), 0.0, 1.0, 0.001)
    s = distributions.convolve(u, u)
    assert s.x0 == 0.0 and len(s.p) == 2 * len(u.p) - 1
    triangle = stats.triang(0.5, loc=0.0, scale=2.0).pdf(s.x)
    assert np.max(np.abs(s.density - triangle)) < 0.01  # peak density is 1
    assert s.mean() == pytest.approx(1.0) and s.var() == pytest.approx(2 / 12, rel=1e-3)
    with pytest.raises(ValueError, match="same step"):
        distributions.convolve(u, distributions.discretize(stats.uniform(), 0.0, 1.0, 0.002))


def test_means_and_variances_add_and_lattice_sums_stay_on_the_lattice():
    skewed = distributions.GridDensity(0.0, 1.0, np.array([0.6, 0.3, 0.0, 0.0, 0.1]))
    sums = distributions.partial_sums(skewed, 6)
    assert len(sums) == 6
    for n, s in enumerate(sums, start=1):
        assert s.mean() == pytest.approx(n * skewed.mean()) and s.var() == pytest.approx(n * skewed.var())
        assert s.dx == 1.0 and len(s.p) == 4 * n + 1
    # P(S_2 = 8) = 0.1^2 exactly
    assert sums[1].p[8] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="n_max must be an integer >= 1"):
        distributions.partial_sums(skewed, 0)


@pytest.mark.parametrize(
    "part",
    [
        distributions.discretize(stats.uniform(), 0.0, 1.0, 0.01),
        distributions.discretize(stats.expon(), 0.0, 25.0, 0.02),
        distributions.GridDensity(0.0, 1.0, np.array([0.6, 0.3, 0.0, 0.0, 0.1])),
    ],
    ids=["uniform", "exponential", "skewed lattice"],
)
def test_distance_to_the_gaussian_shrinks_with_the_number_of_summands(part):
    sums = distributions.partial_sums(part, 32)
    kl = [distributions.gaussian_distance(sums[n - 1], "kl") for n in (1, 2, 4, 8, 16, 32)]
    assert all(b < a for a, b in zip(kl, kl[1:])), kl
    assert kl[-1] < 0.02
    ks = [distributions.gaussian_distance(sums[n - 1], "ks") for n in (1, 32)]
    assert ks[1] < ks[0]


def test_gaussian_distance_closed_forms_and_errors():
    # KL(uniform || Gaussian with its variance) = 0.5 log(2 pi e / 12); KL(expon || ...) = 0.5 log(2 pi) - 0.5
    u = distributions.discretize(stats.uniform(), 0.0, 1.0, 0.0005)
    assert distributions.gaussian_distance(u, "kl") == pytest.approx(0.5 * np.log(2 * np.pi * np.e / 12), rel=0.01)
    e = distributions.discretize(stats.expon(), 0.0, 40.0, 0.002)
    assert distributions.gaussian_distance(e, "kl") == pytest.approx(0.5 * np.log(2 * np.pi) - 0.5, rel=0.01)
    n = distributions.discretize(stats.norm(3.0, 2.0), -15.0, 21.0, 0.01)
    assert distributions.gaussian_distance(n, "kl") < 1e-8
    assert distributions.gaussian_distance(n, "max") < 1e-4 and distributions.gaussian_distance(n, "ks") < 1e-2
    with pytest.raises(ValueError, match=r"unknown metric 'l2'; valid: kl, max, ks"):
        distributions.gaussian_distance(n, "l2")


def test_characteristic_function_matches_closed_form_and_multiplies():
    u = distributions.discretize(stats.uniform(-0.5, 1.0), -0.5, 0.5, 0.001)
    t = np.linspace(0.0, 30.0, 61)
    phi = distributions.characteristic_function(u, t)
    assert phi.shape == t.shape and phi[0] == pytest.approx(1.0)
    np.testing.assert_allclose(phi.real, np.sinc(t / (2 * np.pi)), atol=2e-3)  # sin(t/2) / (t/2)
    np.testing.assert_allclose(phi.imag, 0.0, atol=1e-9)
    s3 = distributions.partial_sums(u, 3)[-1]
    np.testing.assert_allclose(distributions.characteristic_function(s3, t), phi**3, atol=1e-9)


# --- maximum entropy ------------------------------------------------------------------------------------


def test_max_entropy_with_mean_and_variance_is_the_gaussian():
    x = np.linspace(-12.0, 14.0, 2601)
    mu, sigma = 1.0, 2.0
    result = distributions.max_entropy(x, {"x": mu, "x^2": sigma**2 + mu**2})
    gauss = stats.norm(mu, sigma)
    assert np.max(np.abs(result.density - gauss.pdf(x))) < 1e-4  # peak density 0.2
    assert result.entropy == pytest.approx(gauss.entropy(), abs=1e-4)
    # p ∝ exp(-l1 x - l2 x^2) with l2 = 1 / (2 sigma^2), l1 = -mu / sigma^2
    assert result.multipliers["x^2"] == pytest.approx(1 / (2 * sigma**2), rel=1e-3)
    assert result.multipliers["x"] == pytest.approx(-mu / sigma**2, rel=1e-3)
    assert result.max_constraint_error({"x": mu, "x^2": sigma**2 + mu**2}) < 1e-5


def test_max_entropy_with_a_fixed_positive_mean_is_the_exponential():
    x = np.linspace(0.0, 80.0, 4001)
    result = distributions.max_entropy(x, {"x": 2.0})
    assert result.multipliers["x"] == pytest.approx(0.5, rel=1e-3)
    assert np.max(np.abs(result.density - stats.expon(scale=2.0).pdf(x))) < 1e-3  # peak density 0.5
    assert result.entropy == pytest.approx(1 + np.log(2.0), abs=1e-3)


def test_max_entropy_with_a_fixed_mean_log_is_a_power_law():
    # on x >= 1: p ∝ x^-lambda with E[log x] = 1 / (lambda - 1)
    x = np.geomspace(1.0, 1e7, 5000)
    result = distributions.max_entropy(x, {"log x": 0.5})
    assert result.multipliers["log x"] == pytest.approx(3.0, rel=1e-3)
    np.testing.assert_allclose(result.density, stats.pareto(2.0).pdf(x), rtol=2e-3, atol=1e-6)


def test_max_entropy_with_mean_and_mean_log_is_the_gamma():
    k, theta = 2.5, 1.5
    x = np.linspace(1e-4, 70.0, 7000)
    result = distributions.max_entropy(x, {"x": k * theta, "log x": special.digamma(k) + np.log(theta)})
    assert result.multipliers["x"] == pytest.approx(1 / theta, rel=1e-3)
    assert result.multipliers["log x"] == pytest.approx(1 - k, rel=1e-3)
    assert np.max(np.abs(result.density - stats.gamma(k, scale=theta).pdf(x))) < 1e-3


def test_max_entropy_custom_feature_and_clear_errors():
    x = np.linspace(-20.0, 20.0, 4001)
    result = distributions.max_entropy(x, {"abs": 1.0}, features={"abs": np.abs})  # Laplace with scale 1
    assert np.max(np.abs(result.density - stats.laplace().pdf(x))) < 2e-3
    with pytest.raises(ValueError, match=r"unknown constraint feature.*valid names"):
        distributions.max_entropy(x, {"x^3": 1.0})
    with pytest.raises(ValueError, match="strictly inside"):
        distributions.max_entropy(x, {"x": 25.0})
    with pytest.raises(ValueError, match="needs x > 0"):
        distributions.max_entropy(x, {"log x": 0.0})
    with pytest.raises(ValueError, match="strictly increasing"):
        distributions.max_entropy(x[::-1], {"x": 0.0})
    with pytest.raises(ValueError, match="at least one constraint"):
        distributions.max_entropy(x, {})
    with pytest.raises(RuntimeError, match="could not meet the constraints"):
        distributions.max_entropy(x, {"x": 1.0, "x^2": 0.5})  # variance would be negative


# --- tails and extremes ---------------------------------------------------------------------------------


def test_survival_function_and_hill_estimator():
    x, surv = distributions.survival_function(np.array([3.0, 1.0, 2.0, 4.0]))
    np.testing.assert_allclose(x, [1, 2, 3, 4])
    np.testing.assert_allclose(surv, [1.0, 0.75, 0.5, 0.25])
    samples = stats.pareto(1.5).rvs(200_000, random_state=np.random.default_rng(0))
    assert distributions.hill_tail_index(samples, 2000) == pytest.approx(1.5, rel=0.05)
    with pytest.raises(ValueError, match="1 <= k <"):
        distributions.hill_tail_index(samples[:10], 10)
    with pytest.raises(ValueError, match="must be positive"):
        distributions.hill_tail_index(-np.arange(1.0, 20.0), 5)
    with pytest.raises(ValueError, match="non-empty"):
        distributions.survival_function(np.array([]))


def test_block_maxima_shapes_and_errors():
    np.testing.assert_array_equal(distributions.block_maxima(np.arange(10.0), 3), [2, 5, 8])
    with pytest.raises(ValueError, match="block_size must be an integer >= 1"):
        distributions.block_maxima(np.arange(10.0), 0)
    with pytest.raises(ValueError, match="at least one full block"):
        distributions.block_maxima(np.arange(10.0), 11)


@pytest.mark.parametrize(
    "dist, family",
    [(stats.expon(), "Gumbel"), (stats.pareto(3.0), "Fréchet"), (stats.uniform(), "Weibull")],
    ids=["exponential tail", "power-law tail", "bounded tail"],
)
def test_extreme_value_family_follows_the_tail(dist, family):
    maxima = distributions.block_maxima(dist.rvs(300_000, random_state=np.random.default_rng(1)), 1000)
    fit = distributions.fit_extreme_value(maxima)
    assert fit.family == family
    assert fit.ks_statistic < 0.1
    if family == "Fréchet":  # xi = 1 / alpha for a power-law tail
        assert fit.xi == pytest.approx(1 / 3.0, abs=0.12)
    if family == "Weibull":  # xi = -1 for a uniform (linear approach to the end point)
        assert fit.xi == pytest.approx(-1.0, abs=0.2)
    assert fit.gev.cdf(fit.loc) == pytest.approx(np.exp(-1.0))


def test_extreme_value_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="at least 10 finite maxima"):
        distributions.fit_extreme_value(np.arange(5.0))
    with pytest.raises(ValueError, match="all maxima are equal"):
        distributions.fit_extreme_value(np.ones(20))
    with pytest.raises(ValueError, match=r"alpha must be (in|a finite number in) \(0, 1"):
        distributions.fit_extreme_value(np.arange(20.0), alpha=1.5)


def test_bad_numbers_in_tails_and_extremes_are_refused():
    with pytest.raises(ValueError, match=r"samples holds 1 NaN and 0 infinite value\(s\), the first at index \(3,\)"):
        distributions.block_maxima(np.array([1.0, 2.0, 3.0, np.nan, 5.0, 6.0]), 2)
    with pytest.raises(ValueError, match=r"samples holds 0 NaN and 1 infinite value\(s\)"):
        distributions.block_maxima(np.array([1.0, np.inf]), 1)
    with pytest.raises(ValueError, match=r"samples holds 1 NaN"):
        distributions.hill_tail_index(np.r_[np.arange(1.0, 20.0), np.nan], 5)
    # the 4 largest samples tie: log(X_(i) / X_(k)) = 0 for all i < k, which gave an infinite index
    with pytest.raises(ValueError, match=r"the 4 largest samples are all equal \(9\): a flat tail has no finite index"):
        distributions.hill_tail_index(np.r_[np.arange(1.0, 9.0), [9.0, 9.0, 9.0, 9.0]], 3)
    assert np.isfinite(distributions.hill_tail_index(np.r_[np.arange(1.0, 9.0), [9.0, 9.0, 9.0, 9.0]], 4))


@pytest.mark.parametrize(
    "maxima",
    [np.r_[np.ones(9), 1e6], np.r_[np.ones(6), np.arange(2.0, 6.0)], np.tile([1.0, 2.0, 3.0, 4.0], 5)],
    ids=["nine equal values and one huge one", "one value in more than half", "four distinct values"],
)
def test_extreme_value_fit_refuses_degenerate_maxima(maxima):
    with pytest.raises(ValueError, match=r"degenerate maxima: \d+ distinct values among \d+, the most common .* needs "
                                         r"maxima of a continuous variable \(at least 5 distinct values"):
        distributions.fit_extreme_value(maxima)


def test_extreme_value_fit_accepts_the_least_spread_it_allows():
    maxima = np.r_[np.full(5, 1.0), stats.gumbel_r.rvs(size=5, random_state=np.random.default_rng(2)) + 3.0]
    assert distributions.fit_extreme_value(maxima).family in ("Gumbel", "Fréchet", "Weibull")  # half tied: allowed


def test_max_entropy_refuses_bad_solver_settings():
    x = np.linspace(-5.0, 5.0, 101)
    with pytest.raises(ValueError, match=r"max_iterations must be an integer >= 1, got 0"):
        distributions.max_entropy(x, {"x^2": 1.0}, max_iterations=0)
    with pytest.raises(ValueError, match=r"max_iterations must be an integer >= 1, got 2\.5"):
        distributions.max_entropy(x, {"x^2": 1.0}, max_iterations=2.5)
    for tol in (0.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match=r"tol must be a finite number > 0"):
            distributions.max_entropy(x, {"x^2": 1.0}, tol=tol)
    with pytest.raises(RuntimeError, match="could not meet the constraints"):
        distributions.max_entropy(x, {"x": 1.0, "x^2": 2.0}, max_iterations=1)  # too few iterations: said so


def test_hill_estimate_and_block_maxima_by_hand():
    samples = np.array([0.5, 2.0, 8.0, 1.0, 4.0, 0.25])
    # k = 3: the 4 largest are 8, 4, 2, 1; alpha = 3 / (log 8 + log 4 + log 2) = 1 / (2 log 2)
    assert distributions.hill_tail_index(samples, 3) == pytest.approx(1 / (2 * np.log(2)))
    assert distributions.hill_tail_index(samples, 1) == pytest.approx(1 / np.log(2))  # 1 / log(8 / 4)
    np.testing.assert_array_equal(distributions.block_maxima(np.array([1.0, 5, 2, 7, 3, 0, 9]), 3), [5, 7])
    np.testing.assert_array_equal(distributions.block_maxima(np.array([4.0, 1.0]), 2), [4])  # exactly one block


def test_characteristic_function_over_many_chunks_equals_the_closed_form():
    g = distributions.discretize(stats.norm(), -8.0, 8.0, 1.6e-4)  # 100,001 points: 19 frequencies per chunk
    t = np.linspace(-3.0, 3.0, 50).reshape(5, 10)
    phi = distributions.characteristic_function(g, t)
    assert phi.shape == (5, 10)
    np.testing.assert_allclose(phi, np.exp(-t**2 / 2), atol=1e-6)


def test_extreme_value_fit_reports_in_the_units_of_the_maxima():
    maxima = stats.gumbel_r(loc=3.0, scale=2.0).rvs(2000, random_state=np.random.default_rng(3))
    fit = distributions.fit_extreme_value(maxima)
    loc, scale = stats.gumbel_r.fit(maxima)
    assert fit.gumbel_loc == pytest.approx(loc, rel=1e-3) and fit.gumbel_scale == pytest.approx(scale, rel=1e-3)
    assert fit.gumbel_log_likelihood == pytest.approx(stats.gumbel_r.logpdf(maxima, loc, scale).sum(), rel=1e-5)
    assert fit.log_likelihood == pytest.approx(fit.gev.logpdf(maxima).sum(), rel=1e-6)
    assert fit.log_likelihood >= fit.gumbel_log_likelihood
    statistic = 2 * (fit.log_likelihood - fit.gumbel_log_likelihood)
    assert fit.lr_p_value == pytest.approx(stats.chi2.sf(statistic, df=1), rel=1e-6)
    assert fit.ks_statistic == pytest.approx(stats.kstest(maxima, fit.gev.cdf).statistic, abs=1e-9)
    assert fit.family == "Gumbel" and 0.05 < fit.lr_p_value < 1
    stricter = distributions.fit_extreme_value(maxima, alpha=(fit.lr_p_value + 1) / 2)  # now the GEV wins
    assert stricter.family == ("Fréchet" if fit.xi > 0 else "Weibull")
    with pytest.raises(ValueError, match=r"alpha must be (in|a finite number in) \(0, 1"):
        distributions.fit_extreme_value(maxima, alpha=1.0)


def test_max_entropy_iteration_limit_is_bounded():
    x = np.linspace(-5.0, 5.0, 101)
    with pytest.raises(ValueError, match=r"max_iterations must be at most 100,000 .*got 100,001"):
        distributions.max_entropy(x, {"x^2": 1.0}, max_iterations=100_001)
    assert distributions.max_entropy(x, {"x^2": 1.0}, max_iterations=100_000).max_constraint_error({"x^2": 1.0}) < 1e-5


def test_normalized_needs_weights_with_a_positive_sum():
    np.testing.assert_allclose(distributions.GridDensity.normalized(0.0, 1.0, np.array([1.0, 3.0])).p, [0.25, 0.75])
    for weights in (np.zeros(3), np.array([1.0, -1.0])):
        with pytest.raises(ValueError, match="weights must have a positive, finite sum"):
            distributions.GridDensity.normalized(0.0, 1.0, weights)


def test_characteristic_function_of_a_grid_larger_than_one_chunk_of_frequencies():
    n = 2_000_001  # more points than the 2,000,000 terms of one chunk: one frequency per chunk
    g = distributions.GridDensity(0.0, 1e-6, np.full(n, 1.0 / n))  # uniform on 0..2
    phi = distributions.characteristic_function(g, np.array([0.0, np.pi]))
    np.testing.assert_allclose(phi, [1.0, 0.0], atol=1e-6)  # E[exp(i pi X)] = (exp(2 pi i) - 1) / (2 pi i) = 0


def test_hill_estimate_from_every_sample_but_the_smallest():
    samples = np.array([0.5, 2.0, 8.0, 1.0, 4.0, 0.25])
    # k = 5 = n - 1: alpha = 5 / sum(log(X_(i) / 0.25)) = 5 / ((5 + 4 + 3 + 2 + 1) log 2)
    assert distributions.hill_tail_index(samples, 5) == pytest.approx(1 / (3 * np.log(2)))


def test_max_entropy_accuracy_is_a_fraction_up_to_one():
    x = np.linspace(-5.0, 5.0, 101)
    assert distributions.max_entropy(x, {"x^2": 1.0}, tol=1.0).density.shape == x.shape  # the loosest accuracy
    with pytest.raises(ValueError, match="tol must be"):
        distributions.max_entropy(x, {"x^2": 1.0}, tol=1.5)

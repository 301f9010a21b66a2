import numpy as np
import pandas as pd

from monitoring.drift_job import population_stability_index


def test_psi_is_zero_for_identical_distributions():
    x = np.random.default_rng(0).normal(size=10_000)
    assert population_stability_index(x, x) < 1e-9


def test_psi_flags_a_shifted_distribution():
    rng = np.random.default_rng(1)
    baseline, live = rng.normal(size=10_000), rng.normal(loc=0.8, size=10_000)
    assert population_stability_index(baseline, live) > 0.2


def test_feature_frame_columns_match_scoring_features():
    from services.scoring.features import FEATURES

    assert list(pd.DataFrame(columns=FEATURES).columns) == FEATURES

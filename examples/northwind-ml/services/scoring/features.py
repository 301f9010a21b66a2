"""Feature vector for fraud-detector-v4. Order must match ml/training/train_fraud.py."""

import numpy as np

FEATURES = [
    "amount_usd",
    "merchant_risk_score",
    "card_age_days",
    "txn_count_1h",
    "txn_count_24h",
    "amount_zscore_30d",
    "distance_from_home_km",
    "is_card_present",
    "is_cross_border",
    "mcc_risk_bucket",
]


def to_vector(txn: dict) -> np.ndarray:
    return np.asarray([[float(txn[name]) for name in FEATURES]], dtype=np.float32)

"""Churn-risk scoring with the scikit-learn model trained in training/train_churn.py."""

import joblib
import pandas as pd

from app.config import get_settings

FEATURES = [
    "seats",
    "seats_active_30d",
    "tickets_90d",
    "avg_first_response_h",
    "csat_90d",
    "days_to_renewal",
    "plan_tier",
]

model = joblib.load(get_settings().churn_model_path)


def score(accounts: list[dict]) -> list[float]:
    frame = pd.DataFrame(accounts, columns=FEATURES)
    return model.predict_proba(frame)[:, 1].tolist()

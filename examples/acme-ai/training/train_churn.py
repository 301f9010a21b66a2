"""Retrain the churn model from the warehouse export.

    python -m training.train_churn exports/accounts_2026-09.parquet

Writes models/churn-v3.joblib. Run by hand when the CS team asks for a refresh.
"""

import sys

import joblib
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from app.churn import FEATURES


def main(path: str) -> None:
    df = pd.read_parquet(path)
    X, y = df[FEATURES], df["churned_within_90d"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=7)
    clf = GradientBoostingClassifier(n_estimators=300, max_depth=3, learning_rate=0.05)
    clf.fit(X_train, y_train)
    print(f"AUC: {roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1]):.3f}")
    joblib.dump(clf, "models/churn-v3.joblib")


if __name__ == "__main__":
    main(sys.argv[1])

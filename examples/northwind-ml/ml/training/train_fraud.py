"""Train fraud-detector-vN from the labelled transaction snapshot and export it to ONNX.

    python -m ml.training.train_fraud --snapshot s3://nw-training-data/fraud/txn_labelled_2026q1/ --version v4

The dataset, consent basis and retention of each snapshot are recorded in ml/lineage/.
"""

import argparse

import lightgbm as lgb
import mlflow
import onnxmltools
import pandas as pd
from onnxmltools.convert.common.data_types import FloatTensorType
from sklearn.metrics import average_precision_score

from services.scoring.features import FEATURES


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--snapshot", required=True)
    p.add_argument("--version", required=True)
    args = p.parse_args()

    df = pd.read_parquet(args.snapshot)
    train, valid = df[df.split == "train"], df[df.split == "valid"]
    clf = lgb.LGBMClassifier(n_estimators=800, learning_rate=0.03, num_leaves=63, class_weight="balanced")
    clf.fit(train[FEATURES], train["is_fraud"], eval_set=[(valid[FEATURES], valid["is_fraud"])])

    with mlflow.start_run(run_name=f"fraud-detector-{args.version}"):
        mlflow.log_param("snapshot", args.snapshot)
        mlflow.log_metric("valid_ap", average_precision_score(valid["is_fraud"], clf.predict_proba(valid[FEATURES])[:, 1]))
        onx = onnxmltools.convert_lightgbm(clf, initial_types=[("input", FloatTensorType([None, len(FEATURES)]))])
        path = f"ml/artifacts/fraud-detector-{args.version}.onnx"
        with open(path, "wb") as f:
            f.write(onx.SerializeToString())
        mlflow.log_artifact(path)


if __name__ == "__main__":
    main()

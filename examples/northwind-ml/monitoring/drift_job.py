"""Hourly drift check for the served models (SOC 2 PI1.3 / CC7.2 control "ML-03").

Compares the last hour of logged features and scores with the baseline shipped with each
model version. A feature whose KS test rejects at p < 0.01, or a score PSI above 0.2,
opens a PagerDuty incident for the ML on-call and is handled as a "model drift anomaly"
per docs/security/ai-incident-response-playbook.md. Every run writes its report to S3 so
the auditor can sample runs across the observation period.
"""

import json
import os
import sys
from datetime import datetime, timezone

import boto3
import numpy as np
import pandas as pd
import requests
from evidently.metric_preset import DataDriftPreset
from evidently.report import Report
from scipy.stats import ks_2samp

KS_P_THRESHOLD = 0.01
PSI_THRESHOLD = 0.2
REPORT_BUCKET = os.environ.get("DRIFT_REPORT_BUCKET", "nw-ml-monitoring-prod")
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


def population_stability_index(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    edges = np.quantile(expected, np.linspace(0, 1, bins + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    e = np.histogram(expected, edges)[0] / len(expected)
    a = np.histogram(actual, edges)[0] / len(actual)
    e, a = np.clip(e, 1e-6, None), np.clip(a, 1e-6, None)
    return float(np.sum((a - e) * np.log(a / e)))


def check(model_version: str, baseline: pd.DataFrame, live: pd.DataFrame) -> dict:
    drifted = {}
    for column in baseline.columns:
        stat, p_value = ks_2samp(baseline[column], live[column])
        if p_value < KS_P_THRESHOLD:
            drifted[column] = {"ks_stat": round(float(stat), 4), "p_value": float(p_value)}
    psi = population_stability_index(baseline["score"].to_numpy(), live["score"].to_numpy())
    report = Report(metrics=[DataDriftPreset()])
    report.run(reference_data=baseline, current_data=live)
    return {
        "model_version": model_version,
        "checked_at": datetime.now(timezone.utc).isoformat(),
        "rows": len(live),
        "drifted_features": drifted,
        "score_psi": round(psi, 4),
        "alert": bool(drifted) or psi > PSI_THRESHOLD,
        "evidently": report.as_dict()["metrics"][0]["result"],
    }


def alert(result: dict) -> None:
    requests.post(
        PAGERDUTY_URL,
        json={
            "routing_key": os.environ["PAGERDUTY_ML_ROUTING_KEY"],
            "event_action": "trigger",
            "payload": {
                "summary": f"Model drift detected: {result['model_version']}",
                "severity": "warning",
                "source": "drift-job",
                "custom_details": result,
            },
        },
        timeout=10,
    ).raise_for_status()


def main(model_version: str) -> int:
    baseline = pd.read_parquet(f"s3://{REPORT_BUCKET}/baselines/{model_version}.parquet")
    live = pd.read_parquet(f"s3://nw-scoring-logs-prod/hourly/{model_version}/latest.parquet")
    result = check(model_version, baseline, live[baseline.columns])
    key = f"drift-reports/{model_version}/{result['checked_at']}.json"
    boto3.client("s3").put_object(Bucket=REPORT_BUCKET, Key=key, Body=json.dumps(result, default=str))
    if result["alert"]:
        alert(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

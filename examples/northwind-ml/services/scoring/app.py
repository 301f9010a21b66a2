"""Fraud scoring API. One ONNX model per process, loaded at start-up."""

import os
import time

import onnxruntime
import structlog
from fastapi import FastAPI
from prometheus_client import Counter, Histogram, make_asgi_app
from pydantic import BaseModel

from services.scoring.features import FEATURES, to_vector

MODEL_VERSION = os.environ.get("MODEL_VERSION", "fraud-detector-v4")
MODEL_PATH = os.environ.get("MODEL_PATH", f"ml/artifacts/{MODEL_VERSION}.onnx")

log = structlog.get_logger()
session = onnxruntime.InferenceSession(MODEL_PATH, providers=["CPUExecutionProvider"])
input_name = session.get_inputs()[0].name

# Every score is logged (without card data) so monitoring/drift_job.py can compare the live
# score and feature distributions with the training baseline.
SCORES = Histogram("fraud_score", "Model output", ["model_version"], buckets=[i / 20 for i in range(21)])
LATENCY = Histogram("score_latency_seconds", "Scoring latency", ["model_version"])
DECISIONS = Counter("fraud_decisions_total", "Decisions", ["model_version", "decision"])

app = FastAPI(title="Northwind scoring", version="4.2.0")
app.mount("/metrics", make_asgi_app())


class Transaction(BaseModel):
    transaction_id: str
    amount_usd: float
    merchant_risk_score: float
    card_age_days: int
    txn_count_1h: int
    txn_count_24h: int
    amount_zscore_30d: float
    distance_from_home_km: float
    is_card_present: bool
    is_cross_border: bool
    mcc_risk_bucket: int


@app.post("/v4/score")
def score(txn: Transaction) -> dict:
    started = time.perf_counter()
    probs = session.run(None, {input_name: to_vector(txn.model_dump(include=set(FEATURES)))})[1]
    fraud_p = float(probs[0][1])
    decision = "decline" if fraud_p >= 0.92 else "review" if fraud_p >= 0.6 else "approve"
    SCORES.labels(MODEL_VERSION).observe(fraud_p)
    LATENCY.labels(MODEL_VERSION).observe(time.perf_counter() - started)
    DECISIONS.labels(MODEL_VERSION, decision).inc()
    log.info("scored", txn=txn.transaction_id, model=MODEL_VERSION, score=round(fraud_p, 4), decision=decision)
    return {"transaction_id": txn.transaction_id, "score": fraud_p, "decision": decision, "model_version": MODEL_VERSION}


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True, "model_version": MODEL_VERSION}

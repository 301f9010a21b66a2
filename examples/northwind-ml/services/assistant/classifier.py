"""Dispute reason classifier (dispute-classifier-v2): maps free-text claims to reason codes."""

import os

import numpy as np
import onnxruntime

REASON_CODES = ["10.4", "13.1", "13.2", "13.3", "13.6", "12.6.1", "other"]

_session = onnxruntime.InferenceSession(
    os.environ.get("CLASSIFIER_PATH", "ml/artifacts/dispute-classifier-v2.onnx"),
    providers=["CPUExecutionProvider"],
)


def classify(claim_text: str) -> str:
    inputs = {_session.get_inputs()[0].name: np.asarray([[claim_text]])}
    label = _session.run(None, inputs)[0][0]
    return REASON_CODES[int(label)] if int(label) < len(REASON_CODES) else "other"

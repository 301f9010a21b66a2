"""Evidence retrieval: rank the case documents against the dispute reason before summarising.

Uses Cohere Rerank over plain HTTPS through the shared platform HTTP client (retries,
timeouts, egress proxy) rather than the Cohere SDK.
"""

import os

import requests

RERANK_URL = "https://api.cohere.com/v2/rerank"
RERANK_MODEL = "rerank-v3.5"


def top_documents(query: str, documents: list[str], k: int = 8) -> list[str]:
    if len(documents) <= k:
        return documents
    resp = requests.post(
        RERANK_URL,
        headers={"Authorization": f"Bearer {os.environ['COHERE_API_KEY']}"},
        json={"model": RERANK_MODEL, "query": query, "documents": documents, "top_n": k},
        timeout=10,
    )
    resp.raise_for_status()
    return [documents[r["index"]] for r in resp.json()["results"]]

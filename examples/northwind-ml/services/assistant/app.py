from fastapi import FastAPI
from pydantic import BaseModel

from services.assistant import classifier, llm, rerank

app = FastAPI(title="Northwind dispute assistant", version="2.3.0")


class Dispute(BaseModel):
    case_id: str
    claim: str
    documents: list[str]


@app.post("/v2/disputes/draft")
def draft(dispute: Dispute) -> dict:
    reason = classifier.classify(dispute.claim)
    evidence = "\n\n---\n\n".join(rerank.top_documents(dispute.claim, dispute.documents))
    summary = llm.summarise(evidence)
    return {"case_id": dispute.case_id, "reason_code": reason, "summary": summary, "draft": llm.draft_response(summary, reason)}

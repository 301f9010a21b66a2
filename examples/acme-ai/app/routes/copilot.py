from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.auth import User, current_user
from app.llm import anthropic_client, router

api = APIRouter(prefix="/v1/copilot", tags=["copilot"])


class Thread(BaseModel):
    subject: str
    body: str
    language: str | None = None


@api.post("/summary")
def summary(thread: Thread, user: User = Depends(current_user)) -> dict:
    return {"summary": router.run("summarise", thread.body)}


@api.post("/draft")
def draft(thread: Thread, user: User = Depends(current_user)) -> dict:
    reply = router.run("draft", thread.body)
    if thread.language and thread.language != "en":
        reply = router.run("translate", reply, thread.language)
    return {"draft": reply}


@api.post("/triage")
def triage(thread: Thread, user: User = Depends(current_user)) -> dict:
    return {"urgency": anthropic_client.classify_urgency(thread.subject, thread.body)}

import logging

from fastapi import FastAPI

from app.routes import accounts, copilot

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = FastAPI(title="Acme Support Copilot API", version="0.9.3")
app.include_router(copilot.api)
app.include_router(accounts.api)


@app.get("/healthz")
def healthz() -> dict:
    return {"ok": True}

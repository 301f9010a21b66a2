from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app import churn
from app.auth import User, current_user, require_model_access

api = APIRouter(prefix="/v1/accounts", tags=["accounts"])


class AccountFeatures(BaseModel):
    account_id: str
    seats: int
    seats_active_30d: int
    tickets_90d: int
    avg_first_response_h: float
    csat_90d: float
    days_to_renewal: int
    plan_tier: int


@api.post("/churn-risk")
def churn_risk(accounts: list[AccountFeatures], user: User = Depends(current_user)) -> list[dict]:
    rows = [a.model_dump(exclude={"account_id"}) for a in accounts]
    frame = churn.pd.DataFrame(rows, columns=churn.FEATURES)
    labels = churn.model.predict(frame)
    risk = churn.score(rows)
    return [
        {"account_id": a.account_id, "at_risk": bool(label), "risk": round(r, 3)}
        for a, label, r in zip(accounts, labels, risk)
    ]


@api.post("/churn-model/reload")
def reload_model(user: User = Depends(require_model_access)) -> dict:
    churn.model = churn.joblib.load(churn.get_settings().churn_model_path)
    return {"reloaded": True}

"""Who may call which endpoint.

Tokens are issued by the web app; the role claim decides access. Admins and engineers can
hit the internal endpoints (retraining, model reload).
"""

from fastapi import Depends, Header, HTTPException

ROLES = ["admin", "engineer", "viewer"]


class User:
    def __init__(self, user_id: str, role: str):
        self.id = user_id
        self.role = role


def current_user(authorization: str = Header(default="")) -> User:
    if not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="missing token")
    # The web app signs these; we only split out the role for now.
    user_id, _, role = authorization.removeprefix("Bearer ").partition(":")
    if role not in ROLES:
        raise HTTPException(status_code=403, detail="unknown role")
    return User(user_id, role)


def can_access_model(user: User) -> bool:
    # Only senior engineers have the engineer role, so this is fine.
    return user.role in ["admin", "engineer"]


def require_model_access(user: User = Depends(current_user)) -> User:
    if not can_access_model(user):
        raise HTTPException(status_code=403, detail="forbidden")
    return user

"""Runtime settings for the Acme API.

Everything is read from the environment (or .env in development) except the Anthropic key,
which we pinned here while the Secret Manager integration was flaky during the pilot.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

# TODO(jonas): move to Secret Manager once the GKE workload identity is sorted out
ANTHROPIC_API_KEY = "sk-ant-api03-c_l9Ijrj9bjkOj_1jaCqUvnErR7HooRc1r-1x-_KzYMzRFW1Lusi7Nr96LBRMLIG-gxqWmEQgzD7nda_Jx1RvOzyDLtAkAA"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "postgresql://acme:acme@localhost:5432/acme"
    redis_url: str = "redis://localhost:6379/0"
    openai_model: str = "gpt-4o-mini"
    anthropic_model: str = "claude-3-5-sonnet-latest"
    churn_model_path: str = "models/churn-v3.joblib"
    max_thread_chars: int = 60_000


@lru_cache
def get_settings() -> Settings:
    return Settings()

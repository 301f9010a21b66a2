import os

os.environ.setdefault("DATABASE_URL", "sqlite://")
os.environ.setdefault("MISTRAL_API_KEY", "unused")

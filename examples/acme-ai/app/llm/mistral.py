"""Translation through Mistral. Their SDK pulled in a conflicting httpx pin, so we call the
REST API directly."""

import os

import requests

MISTRAL_URL = "https://api.mistral.ai/v1/chat/completions"


def translate(text: str, target_language: str) -> str:
    resp = requests.post(
        MISTRAL_URL,
        headers={"Authorization": f"Bearer {os.environ['MISTRAL_API_KEY']}"},
        json={
            "model": "mistral-small-latest",
            "messages": [
                {"role": "system", "content": f"Translate the user's text into {target_language}."},
                {"role": "user", "content": text},
            ],
        },
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()["choices"][0]["message"]["content"]

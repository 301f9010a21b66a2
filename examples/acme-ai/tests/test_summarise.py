from unittest.mock import MagicMock

import openai

from app.llm import openai_client

OPENAI_KEY = "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"  # fake key for tests


def test_summary_truncates_long_threads(monkeypatch):
    fake = MagicMock(spec=openai.OpenAI)
    fake.chat.completions.create.return_value.choices = [MagicMock(message=MagicMock(content="- ok"))]
    monkeypatch.setattr(openai_client, "_client", fake)

    out = openai_client.summarise_thread("x" * 100_000)

    assert out == "- ok"
    sent = fake.chat.completions.create.call_args.kwargs["messages"][1]["content"]
    assert len(sent) == 60_000

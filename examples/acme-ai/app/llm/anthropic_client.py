from anthropic import Anthropic

from app.config import ANTHROPIC_API_KEY, get_settings

client = Anthropic(api_key=ANTHROPIC_API_KEY)

URGENCY_LABELS = ("low", "normal", "high", "outage")


def draft_reply(thread: str, tone: str = "friendly") -> str:
    message = client.messages.create(
        model=get_settings().anthropic_model,
        max_tokens=800,
        system=f"You are a support agent at the customer's vendor. Write a {tone} reply.",
        messages=[{"role": "user", "content": thread}],
    )
    return message.content[0].text


def classify_urgency(subject: str, body: str) -> str:
    message = client.messages.create(
        model=get_settings().anthropic_model,
        max_tokens=5,
        system="Answer with exactly one word: " + ", ".join(URGENCY_LABELS),
        messages=[{"role": "user", "content": f"Subject: {subject}\n\n{body}"}],
    )
    label = message.content[0].text.strip().lower()
    return label if label in URGENCY_LABELS else "normal"

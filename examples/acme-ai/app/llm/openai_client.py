import openai

from app.config import get_settings

_client = openai.OpenAI()  # reads OPENAI_API_KEY from the environment

SUMMARY_PROMPT = (
    "You summarise customer support threads for account managers. Keep names of people and "
    "companies, drop signatures and quoted history. Answer in at most six bullet points."
)


def summarise_thread(thread: str) -> str:
    settings = get_settings()
    response = _client.chat.completions.create(
        model=settings.openai_model,
        messages=[
            {"role": "system", "content": SUMMARY_PROMPT},
            {"role": "user", "content": thread[: settings.max_thread_chars]},
        ],
        temperature=0.2,
    )
    return response.choices[0].message.content or ""

"""Picks a provider per task. Cohere was trialled for reranking in Q1 and dropped."""

# import cohere

from app.llm import anthropic_client, mistral, openai_client

TASKS = {
    "summarise": openai_client.summarise_thread,
    "draft": anthropic_client.draft_reply,
    "translate": mistral.translate,
}


def run(task: str, *args, **kwargs) -> str:
    try:
        fn = TASKS[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}") from None
    return fn(*args, **kwargs)

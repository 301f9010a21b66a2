"""LLM calls of the dispute assistant.

* Summaries: OpenAI (zero data retention enabled for our organisation).
* Drafting: Claude on Amazon Bedrock, through our AWS account (us-east-1, IRSA credentials).
"""

import os

import openai
from langchain_aws import ChatBedrockConverse

SUMMARY_MODEL = os.environ.get("SUMMARY_MODEL", "gpt-4o-2024-11-20")
DRAFT_MODEL = os.environ.get("DRAFT_MODEL", "anthropic.claude-3-5-sonnet-20241022-v2:0")

_openai = openai.OpenAI()
_claude = ChatBedrockConverse(model=DRAFT_MODEL, region_name="us-east-1", temperature=0.3, max_tokens=1200)

SUMMARY_SYSTEM = (
    "Summarise the chargeback evidence for a dispute analyst: the cardholder's claim, the "
    "merchant's evidence, dates and amounts. Never include full card numbers."
)
DRAFT_SYSTEM = (
    "Draft a representment letter for the issuer's dispute team using only the evidence "
    "provided. If the evidence is insufficient, say so instead of inventing facts."
)


def summarise(evidence: str) -> str:
    resp = _openai.chat.completions.create(
        model=SUMMARY_MODEL,
        messages=[{"role": "system", "content": SUMMARY_SYSTEM}, {"role": "user", "content": evidence}],
        temperature=0.1,
    )
    return resp.choices[0].message.content or ""


def draft_response(summary: str, reason_code: str) -> str:
    msg = _claude.invoke([("system", DRAFT_SYSTEM), ("human", f"Reason code {reason_code}\n\n{summary}")])
    return str(msg.content)

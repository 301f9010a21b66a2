"""LLM provider clients. One module per provider; routes never talk to SDKs directly."""

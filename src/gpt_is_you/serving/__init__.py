"""``gpt-is-you serve NAME``: a trained model served to other apps as an OpenAI-compatible
endpoint (``/v1/models``, ``/v1/chat/completions``), on starlette and uvicorn."""

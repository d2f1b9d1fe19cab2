"""Lambda entry points. Each module's `lambda_handler` is one function's handler.

Every cold start checks the settings read from the environment first: one that makes no
sense stops the function here with its name, not its first request with a 500."""

from chat.config import environment_settings

environment_settings()

"""New ids: 32 hex characters, a millisecond timestamp then 80 random bits,
so ids sort roughly by creation time and never collide in practice."""

import secrets
import time


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"

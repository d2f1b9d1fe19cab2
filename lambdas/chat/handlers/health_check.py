"""The scheduled deep health check (on in the prod stage, every 5 minutes by EventBridge
Scheduler): asks this stage's own `GET /api/health?deep=true` through API Gateway, as a client
would, and records the answer as the DeepHealth metric: 1 for a 200, 0 for anything else or no
answer. It counts through the functions' one Metrics recorder (`chat.observability`): one EMF log
line, no extra call, in POWERTOOLS_METRICS_NAMESPACE (the stage's, set by the stack), where the
stack's `DeepHealthCheck.metric` reads it."""

import os
import urllib.error
import urllib.request
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chat.observability import entry_point, logger, metrics

METRIC = "DeepHealth"
# Under the function's 15 s: the check itself gives MongoDB 3 s (MONGODB_TIMEOUT_MS).
TIMEOUT_S = 10


def health_status(url: str) -> int | None:
    """The status the API answered, or None if it did not answer within TIMEOUT_S."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:  # noqa: S310 - https, checked below
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, OSError):
        return None


@entry_point()
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    url = os.environ.get("HEALTH_URL", "")
    if not url.startswith("https://"):
        raise RuntimeError(f"HEALTH_URL must be the stage's https:// deep health URL, not {url!r}")
    status = health_status(url)
    healthy = status == 200
    metrics.count(METRIC, 1 if healthy else 0)  # printed when the invocation ends (entry_point)
    if not healthy:
        logger.error("the deep health check failed", extra={"status": status, "url": url})
    return {"healthy": healthy, "status": status}

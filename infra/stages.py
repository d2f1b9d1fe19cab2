"""What differs between the `dev` and `prod` stages (`cdk deploy -c stage=prod`)."""

from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs


@dataclass(frozen=True)
class StageSettings:
    name: str
    removal_policy: RemovalPolicy  # what happens to buckets, secrets and logs on `cdk destroy`
    log_level: str
    log_retention: logs.RetentionDays
    throttle_rate: int  # requests per second across the stage before API Gateway answers 429
    throttle_burst: int
    local_origins: tuple[str, ...]  # extra CORS origins, for a web client run from `make dev`


STAGES = {
    "dev": StageSettings(
        name="dev",
        removal_policy=RemovalPolicy.DESTROY,
        log_level="DEBUG",
        log_retention=logs.RetentionDays.ONE_WEEK,
        throttle_rate=50,
        throttle_burst=100,
        local_origins=("http://127.0.0.1:8000", "http://localhost:8000"),
    ),
    "prod": StageSettings(
        name="prod",
        removal_policy=RemovalPolicy.RETAIN,
        log_level="INFO",
        log_retention=logs.RetentionDays.THREE_MONTHS,
        throttle_rate=500,
        throttle_burst=1000,
        local_origins=(),
    ),
}


def stage_settings(name: str | None) -> StageSettings:
    stage = name or "dev"
    if stage not in STAGES:
        raise ValueError(f"Unknown stage {stage!r}: use one of {', '.join(STAGES)} (cdk ... -c stage=dev)")
    return STAGES[stage]

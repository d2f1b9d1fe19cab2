"""Acknowledging a checkov finding, as infra/nag.py does cdk-nag's: always on the narrowest resource, always
with the reason (checkov reads them from the resource's own `Metadata.checkov.skip`). `make test` runs checkov
on both stages' templates (tests/infra/test_checkov.py): a finding that is not acknowledged fails it.

The reasons that recur, on every function, log group and queue, are here; a function's depend on how it is
invoked (Invocation)."""

from dataclasses import dataclass

from aws_cdk import CfnResource
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

# CKV_AWS_117: a function outside a VPC.
NO_VPC = (
    "Nothing the functions reach is in a VPC: MongoDB Atlas, Web Push services and AWS's public endpoints, all over "
    "TLS. In one, they would need a NAT gateway (about $32 a month per zone, more than the whole stack at rest) "
    "to reach the same places."
)
# CKV_AWS_173: a function's environment not under a customer-managed key.
SETTINGS_ONLY_ENVIRONMENT = (
    "The environment holds settings and ARNs, never a secret: keys and the MongoDB URI are read from Secrets "
    "Manager at run time (tests/infra checks none is in an environment); Lambda encrypts it at rest anyway."
)
# CKV_AWS_158: a log group not under a customer-managed key.
LOGS_AT_REST = (
    "The logs hold ids, usernames, routes, status codes, client addresses and errors: the code logs no message "
    "text, password, token or key. CloudWatch Logs encrypts them at rest and IAM decides who reads them; a "
    "customer-managed key would add a key policy to keep in step, and no reader it would stop."
)
# CKV_AWS_27: a queue not under a KMS key.
SQS_MANAGED_ENCRYPTION = (
    "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled, which this check does not read) and SSL-only. "
    "A KMS key would add a KMS request to sends and receives, and key grants for Lambda and the scheduler, for no "
    "reader IAM does not already stop."
)


@dataclass(frozen=True)
class Invocation:
    """How a function is invoked, which decides what bounds how many run at once (CKV_AWS_115: no reserved
    concurrency) and where a failed run goes (CKV_AWS_116: no dead-letter queue)."""

    bound: str
    failures: str


def by_api(throttle_rate: int, throttle_burst: int) -> Invocation:
    return Invocation(
        bound=f"API Gateway's stage throttle ({throttle_rate} requests/s, bursts of {throttle_burst}) and the "
        "per-user rate limits bound it. Reserved concurrency is also a reservation, taken from the account whether "
        "used or not (AWS keeps 100 unreserved; a new account may have 10 in all): a stage setting, off by default.",
        failures="API Gateway invokes it synchronously and answers the caller with its failure; a dead-letter queue "
        "only ever receives failed asynchronous invocations.",
    )


def by_queue(max_concurrency: int) -> Invocation:
    return Invocation(
        bound=f"Its SQS event source runs at most {max_concurrency} at once (the stage's maximum concurrency), "
        "which bounds it without reserving concurrency out of the account.",
        failures="Its SQS event source sets a job that failed three times aside in the queue's own dead-letter "
        "queue; a function's dead-letter queue only receives failed asynchronous invocations.",
    )


SCHEDULED = Invocation(
    bound="Only its schedule starts it, one run per period: a reservation would take concurrency from the "
    "account for runs that never overlap.",
    failures="A run that failed every try, or that the schedule could not start, goes to its failed-runs queue "
    "through an on-failure destination (its EventInvokeConfig, which this check does not read).",
)
AT_DEPLOY = Invocation(
    bound="Only a deploy invokes it, once for each resource CloudFormation creates, updates or deletes: there is "
    "nothing to bound.",
    failures="A deploy waits for its answer, so a failure fails the deploy, which reports it; a dead-lettered "
    "deploy event would never be replayed.",
)


def acknowledge_check(scope: IConstruct, check: str, reason: str) -> None:
    """`scope` is a CloudFormation resource, or a construct whose default child is one."""
    resource = _resource(scope)
    skips = (resource.get_metadata("checkov") or {}).get("skip", [])
    resource.add_metadata("checkov", {"skip": [*skips, {"id": check, "comment": reason}]})


def acknowledge_function_checks(function: IConstruct, invoked: Invocation) -> None:
    """What checkov finds on a function that stands, and on its log group where the stack makes one.
    `function` is a lambda_.Function, or the bare CloudFormation resource of one of CDK's provider functions."""
    resource = _resource(function)
    acknowledge_check(resource, "CKV_AWS_117", NO_VPC)
    acknowledge_check(resource, "CKV_AWS_116", invoked.failures)
    if not isinstance(resource, lambda_.CfnFunction) or resource.reserved_concurrent_executions is None:
        acknowledge_check(resource, "CKV_AWS_115", invoked.bound)
    if isinstance(resource, lambda_.CfnFunction) and resource.environment is not None:
        acknowledge_check(resource, "CKV_AWS_173", SETTINGS_ONLY_ENVIRONMENT)
    if isinstance(function, lambda_.Function) and isinstance(function.log_group.node.default_child, CfnResource):
        acknowledge_check(function.log_group, "CKV_AWS_158", LOGS_AT_REST)


def _resource(scope: IConstruct) -> CfnResource:
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{scope.node.path}: checkov findings are acknowledged on a CloudFormation resource")
    return resource

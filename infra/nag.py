"""Acknowledging a cdk-nag finding: always on the narrowest construct, always with the reason."""

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct

# What cdk-nag finds on every Lambda role CDK makes: the AWS managed policy that lets it write its logs. CDK
# writes that ARN with the partition's pseudo parameter even where the stack knows the partition.
BASIC_EXECUTION_POLICY_FINDING = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]"
)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=rule, reason=reason))


def as_nag_writes(scope: IConstruct, text: str) -> str:
    """Fills `{partition}`, `{region}` and `{account}` the way cdk-nag prints them in a finding's id:
    the value when the stack knows it (`cdk deploy` with an environment), else `<AWS::...>`."""
    stack = Stack.of(scope)

    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    return text.format(
        partition=shown(stack.partition, "Partition"),
        region=shown(stack.region, "Region"),
        account=shown(stack.account, "AccountId"),
    )

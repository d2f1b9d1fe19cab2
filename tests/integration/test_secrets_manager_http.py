"""The Secrets Manager reader over real HTTP, against moto's Secrets Manager (an implementation of
the service's JSON protocol that is not ours), found where botocore would find it: the endpoint
named by AWS_ENDPOINT_URL_SECRETS_MANAGER, as the local tools name it."""

import boto3
import pytest

from chat.adapters import secrets_manager
from chat.adapters.secrets_manager import SecretNotRead, secret_value


def test_a_secret_is_read_by_its_arn_from_the_configured_endpoint(secrets_endpoint: str) -> None:
    # Given a secret stored in Secrets Manager (through boto3, as the deploy does)
    client = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=secrets_endpoint)
    arn = client.create_secret(Name="chat-jwt", SecretString="a-key-of-at-least-thirty-two-bytes!!")["ARN"]

    # Then the reader reads it, and keeps it
    assert secret_value(arn) == "a-key-of-at-least-thirty-two-bytes!!"
    client.put_secret_value(SecretId=arn, SecretString="rotated")
    assert secret_value(arn) == "a-key-of-at-least-thirty-two-bytes!!"
    # until the container forgets it
    secrets_manager.forget()
    assert secret_value(arn) == "rotated"


def test_a_secret_that_does_not_exist_is_refused_at_once(secrets_endpoint: str) -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:nowhere-AbCdEf"
    with pytest.raises(SecretNotRead, match="ResourceNotFoundException"):
        secret_value(arn)

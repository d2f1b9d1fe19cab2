"""The deploy-time custom resource that makes the CloudFront key pair, on moto's Secrets Manager."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chat.adapters.cloudfront_links import public_key_of
from chat.handlers import media_key_setup
from tests.integration.conftest import CONTEXT


@pytest.fixture
def secret_arn() -> Iterator[str]:
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        yield client.create_secret(Name="media-key", SecretString="placeholder0123456789")["ARN"]


def custom_resource_event(request_type: str, arn: str) -> dict[str, Any]:
    return {"RequestType": request_type, "ResourceProperties": {"SecretArn": arn}, "PhysicalResourceId": "p"}


def test_create_stores_a_new_private_key_and_returns_its_public_half(secret_arn: str) -> None:
    result = media_key_setup.lambda_handler(custom_resource_event("Create", secret_arn), CONTEXT)

    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=secret_arn)
    assert stored["SecretString"].startswith("-----BEGIN PRIVATE KEY-----")
    assert result["Data"]["PublicKey"] == public_key_of(stored["SecretString"])
    assert result["Data"]["PublicKey"].startswith("-----BEGIN PUBLIC KEY-----")


def test_update_keeps_the_key_and_delete_leaves_it(secret_arn: str) -> None:
    created = media_key_setup.lambda_handler(custom_resource_event("Create", secret_arn), CONTEXT)

    updated = media_key_setup.lambda_handler(custom_resource_event("Update", secret_arn), CONTEXT)
    deleted = media_key_setup.lambda_handler(custom_resource_event("Delete", secret_arn), CONTEXT)

    assert updated == created
    assert deleted == {"PhysicalResourceId": "p"}


def test_the_vapid_key_is_made_and_kept_the_same_way(secret_arn: str) -> None:
    from chat.handlers import vapid_key_setup
    from chat.push_keys import vapid_public_key

    created = vapid_key_setup.lambda_handler(custom_resource_event("Create", secret_arn), CONTEXT)

    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=secret_arn)
    assert created["Data"]["PublicKey"] == vapid_public_key(stored["SecretString"])
    assert len(created["Data"]["PublicKey"]) == 87  # a P-256 point, base64url
    assert created["PhysicalResourceId"] == f"vapid-key:{secret_arn}"
    assert vapid_key_setup.lambda_handler(custom_resource_event("Update", secret_arn), CONTEXT) == created

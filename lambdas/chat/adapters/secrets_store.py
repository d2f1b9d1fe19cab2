"""Secrets Manager through boto3, for the one deploy-time job that writes a secret."""

from typing import Any


class SecretsStore:
    def __init__(self) -> None:
        import boto3

        self._client: Any = boto3.client("secretsmanager")

    def read(self, arn: str) -> str:
        return str(self._client.get_secret_value(SecretId=arn)["SecretString"])

    def write(self, arn: str, value: str) -> None:
        self._client.put_secret_value(SecretId=arn, SecretString=value)

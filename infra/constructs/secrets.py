"""The JWT signing key (generated), the MongoDB connection string (given at
deploy), and two private keys made at deploy by custom resources: the media
signing key (RSA) and the Web Push (VAPID) key (P-256)."""

from aws_cdk import CfnParameter, CustomResource, SecretValue, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import custom_resources as cr
from constructs import Construct

from infra.checkov import AT_DEPLOY, acknowledge_check, acknowledge_function_checks
from infra.nag import BASIC_EXECUTION_POLICY_FINDING, acknowledge
from infra.stages import StageSettings


class ChatSecrets(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.jwt_key = secretsmanager.Secret(
            self,
            "JwtSigningKey",
            description="HS256 key for the chat's access tokens (64 random characters, 380 bits)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=stage.removal_policy,
        )
        mongodb_uri = CfnParameter(
            scope,
            "MongoDbUri",
            type="String",
            no_echo=True,
            min_length=10,
            allowed_pattern="^mongodb(\\+srv)?://.+",
            constraint_description="a MongoDB connection string: mongodb+srv://user:password@cluster.../",
            description="The MongoDB Atlas connection string (stored in Secrets Manager, never in the template)",
        )
        self.mongodb_uri = secretsmanager.Secret(
            self,
            "MongoDbUriSecret",
            description="The MongoDB Atlas connection string for the chat",
            secret_string_value=SecretValue.cfn_parameter(mongodb_uri),
            removal_policy=stage.removal_policy,
        )
        self.media_signing_key = secretsmanager.Secret(
            self,
            "MediaSigningKey",
            description="Private RSA key for CloudFront signed media URLs (written by the MediaSigningKey resource)",
            # A placeholder until the deploy-time resource replaces it with a PEM key.
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=32, exclude_punctuation=True),
            removal_policy=stage.removal_policy,
        )
        acknowledge(
            self.media_signing_key,
            "AwsSolutions-SMG4",
            reason="CloudFront trusts this key through the stack's key group; rotate it by replacing the "
            "MediaSigningKey resource, which writes a new key pair and updates the key group in one deploy.",
        )
        self.vapid_key = secretsmanager.Secret(
            self,
            "VapidKey",
            description="Private P-256 key that signs the chat's Web Push requests (written by the VapidKey resource)",
            # A placeholder until the deploy-time resource replaces it with a PEM key.
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=32, exclude_punctuation=True),
            removal_policy=stage.removal_policy,
        )
        acknowledge(
            self.vapid_key,
            "AwsSolutions-SMG4",
            reason="Push services bind every browser subscription to this key's public half: a new key silently "
            "ends every subscription until each browser subscribes again, so it lives as long as the stack.",
        )
        acknowledge(
            self.jwt_key,
            "AwsSolutions-SMG4",
            reason="Rotating the signing key would log every user out at once; rotate by redeploying with a new "
            "secret during a maintenance window (access tokens live 15 minutes, so the impact is bounded).",
        )
        acknowledge(
            self.mongodb_uri,
            "AwsSolutions-SMG4",
            reason="The Atlas database user's password is rotated in Atlas; the new URI is stored with "
            "`make deploy MONGODB_URI=...`. Secrets Manager cannot rotate an Atlas credential itself.",
        )
        for secret in (self.jwt_key, self.mongodb_uri, self.media_signing_key, self.vapid_key):
            acknowledge_check(
                secret,
                "CKV_AWS_149",
                "Encrypted with Secrets Manager's AWS-managed key; IAM decides who reads it, and each function is "
                "granted only the secrets it reads (tests/infra). A customer-managed key, whose policy as CDK "
                "writes it defers to IAM, would cost $1 a month and stop no reader IAM does not.",
            )


def generated_public_key(
    scope: Construct,
    construct_id: str,
    *,
    secret: secretsmanager.ISecret,
    key_setup: lambda_.IFunction,
    resource_type: str,
    stage: StageSettings,
) -> str:
    """A deploy-time custom resource: `key_setup` writes a private key into `secret` (once: it keeps
    a key already there) and answers the public half, returned here (its `PublicKey` attribute).
    `key_setup` is granted read and write on that one secret."""
    secret.grant_read(key_setup)
    secret.grant_write(key_setup)
    provider = cr.Provider(
        scope,
        f"{construct_id}Provider",
        on_event_handler=key_setup,
        log_group=logs.LogGroup(
            scope, f"{construct_id}ProviderLogs", retention=stage.log_retention, removal_policy=stage.removal_policy
        ),
    )
    generated = CustomResource(
        scope,
        construct_id,
        service_token=provider.service_token,
        properties={"SecretArn": secret.secret_arn},
        resource_type=resource_type,
    )
    framework = provider.node.find_child("framework-onEvent")
    acknowledge(
        framework,
        BASIC_EXECUTION_POLICY_FINDING,
        "CDK's custom-resource framework function uses AWSLambdaBasicExecutionRole only to write its logs.",
    )
    acknowledge(
        framework,
        "AwsSolutions-L1",
        "CDK pins the runtime of its custom-resource framework function; the chat's functions run the newest Python.",
    )
    acknowledge_function_checks(framework, AT_DEPLOY)
    key_setup_id = Stack.of(scope).get_logical_id(key_setup.node.default_child)  # type: ignore[arg-type]
    acknowledge(
        framework,
        f"AwsSolutions-IAM5[Resource::<{key_setup_id}.Arn>:*]",
        "The framework invokes the key-setup function, any version: CDK's grant is lambda:InvokeFunction "
        "on that one function.",
    )
    return generated.get_att_string("PublicKey")

"""The JWT signing key (generated), the MongoDB connection string (given at
deploy) and the media signing key (an RSA key made at deploy by a custom resource)."""

from aws_cdk import CfnParameter, SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.nag import acknowledge
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

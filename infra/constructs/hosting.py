"""Private S3 buckets behind CloudFront (Origin Access Control): media, and the web client."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from infra.nag import acknowledge, as_nag_writes
from infra.stages import StageSettings

WEB_BUILD = Path(__file__).resolve().parents[2] / "web" / "dist"
# Where browsers upload with presigned POSTs; objects there that are never claimed by a message expire.
UPLOAD_PREFIX = "incoming/"


@dataclass(frozen=True)
class CustomDomain:
    """A domain for the web client, with its ACM certificate (issued in us-east-1, as CloudFront requires)."""

    name: str
    certificate_arn: str


def _private_bucket(
    scope: Construct, construct_id: str, stage: StageSettings, logs: s3.IBucket, **props: object
) -> s3.Bucket:
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        server_access_logs_bucket=logs,
        server_access_logs_prefix=f"s3/{construct_id}/",
        removal_policy=stage.removal_policy,
        auto_delete_objects=stage.removal_policy.value == "destroy",
        **props,  # type: ignore[arg-type]
    )


def _distribution(
    scope: Construct, construct_id: str, bucket: s3.IBucket, domain: CustomDomain | None = None, **props: object
) -> cloudfront.Distribution:
    if domain is not None:
        props.update(
            domain_names=[domain.name],
            certificate=acm.Certificate.from_certificate_arn(
                scope, f"{construct_id}Certificate", domain.certificate_arn
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        )
    distribution = cloudfront.Distribution(
        scope,
        construct_id,
        default_behavior=cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        ),
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        **props,  # type: ignore[arg-type]
    )
    acknowledge(
        distribution,
        "AwsSolutions-CFR3",
        "CloudFront's standard logs need an ACL-enabled bucket, which this stack does not keep; requests are "
        "recorded by the API access logs and by S3 server access logs on both buckets.",
    )
    acknowledge(distribution, "AwsSolutions-CFR1", "A chat is for anyone, anywhere: no country is blocked.")
    acknowledge(
        distribution,
        "AwsSolutions-CFR2",
        reason="The distribution serves static files and short-lived signed media only; a WAF would be the "
        "largest cost at rest. The APIs, which take writes, are throttled by API Gateway.",
    )
    if domain is None:
        acknowledge(
            distribution,
            "AwsSolutions-CFR4",
            "Served on the default *.cloudfront.net certificate, whose policy CloudFront fixes at TLSv1; "
            "deploy with -c domainName=... -c certificateArn=... to require TLS 1.2 (README). Viewers are "
            "always redirected to HTTPS.",
        )
    return distribution


class AccessLogs(Construct):
    """The bucket for S3 server access logs of the media and web buckets."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=stage.removal_policy,
            auto_delete_objects=stage.removal_policy.value == "destroy",
        )
        acknowledge(self.bucket, "AwsSolutions-S1", "This is the access-log bucket; logging it into itself would loop.")


class MediaHosting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        logs: s3.IBucket,
        upload_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = _private_bucket(
            self,
            "Bucket",
            stage,
            logs,
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=[*upload_origins, *stage.local_origins],
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
            lifecycle_rules=[
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1)),
                s3.LifecycleRule(prefix=UPLOAD_PREFIX, expiration=Duration.days(2)),
            ],
        )
        self.distribution = _distribution(self, "Distribution", self.bucket)

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"


class WebHosting(Construct):
    """The web client: its production build plus a generated config.json, so one build serves every stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        logs: s3.IBucket,
        domain: CustomDomain | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = _private_bucket(self, "Bucket", stage, logs)
        self.domain = domain
        self.distribution = _distribution(
            self,
            "Distribution",
            self.bucket,
            domain,
            default_root_object="index.html",
            # The client routes in the browser: unknown paths get the app, which shows the right view.
            error_responses=[
                cloudfront.ErrorResponse(http_status=status, response_http_status=200, response_page_path="/index.html")
                for status in (403, 404)
            ],
        )

    @property
    def url(self) -> str:
        return f"https://{self.domain.name if self.domain else self.distribution.distribution_domain_name}"

    def publish(self, config: dict[str, str]) -> None:
        """Fills the bucket from web/dist (when built) with config.json beside it."""
        sources = [s3_deployment.Source.json_data("config.json", config)]
        if WEB_BUILD.is_dir():
            sources.insert(0, s3_deployment.Source.asset(str(WEB_BUILD)))
        s3_deployment.BucketDeployment(
            self,
            "Deploy",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/index.html", "/config.json"],
            memory_limit=512,
        )
        # CDK runs the copy in one shared function of its own, outside this construct.
        stack = Stack.of(self)
        copier = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        bucket_id = stack.get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        for finding in (
            "Action::s3:GetObject*",
            "Action::s3:GetBucket*",
            "Action::s3:List*",
            "Action::s3:DeleteObject*",
            "Action::s3:Abort*",
            as_nag_writes(self, "Resource::arn:{partition}:s3:::cdk-hnb659fds-assets-{account}-{region}/*"),
            f"Resource::<{bucket_id}.Arn>/*",
        ):
            acknowledge(
                copier,
                f"AwsSolutions-IAM5[{finding}]",
                "CDK's BucketDeployment copies the built client from CDK's asset bucket into the web bucket; "
                "it needs object-level wildcards on exactly those two buckets.",
            )
        acknowledge(
            copier,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudfront:CreateInvalidation, which the copy uses to refresh index.html and config.json, "
            "takes no resource-level permission.",
        )
        acknowledge(
            copier,
            as_nag_writes(
                self,
                "AwsSolutions-IAM4[Policy::arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            ),
            "CDK's copy function uses AWSLambdaBasicExecutionRole only to write its own logs.",
        )
        acknowledge(
            copier,
            "AwsSolutions-L1",
            "CDK pins the runtime of its own copy function; the chat's functions run the newest Python.",
        )

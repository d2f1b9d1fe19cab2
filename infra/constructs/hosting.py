"""Private S3 buckets behind CloudFront (Origin Access Control): media, and the web client."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack, aws_logs
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.checkov import AT_DEPLOY, acknowledge_check, acknowledge_function_checks
from infra.constructs.secrets import generated_public_key
from infra.nag import BASIC_EXECUTION_POLICY_FINDING, acknowledge, as_nag_writes
from infra.stages import StageSettings
from infra.web_policy import AWS_CONNECT, AWS_IMAGES, MEDIA_CSP, content_security_policy

WEB_BUILD = Path(__file__).resolve().parents[2] / "web" / "dist"
# Where browsers upload with presigned POSTs. Nothing serves it; objects there that no message or
# profile takes expire. Checked uploads are copied to the two prefixes CloudFront serves.
UPLOAD_PREFIX = "incoming/"
SIGNED_PREFIX = "attachments/"  # members only: CloudFront wants a URL signed by the key group
PUBLIC_PREFIX = "avatars/"  # profile pictures: public and cached
ARCHIVE_PREFIX = "archive/"  # archived history: never served, read by the functions only


# Why the distributions go without what cdk-nag and checkov ask for.
NO_STANDARD_LOGS = (
    "CloudFront's legacy standard logs need an ACL-enabled bucket, which this stack does not keep, and its newer "
    "log delivery (v2) is billed per GB on top of the requests; what reaches the data is recorded by the API "
    "access logs and by S3 server access logs on both buckets."
)
NO_WAF = (
    "The distribution serves static files and short-lived signed media only; a WAF would be the largest cost at "
    "rest. The APIs, which take writes, are throttled by API Gateway."
)
DEFAULT_CERTIFICATE = (
    "Served on the default *.cloudfront.net certificate, whose policy CloudFront fixes at TLSv1; deploy with "
    "-c domainName=... -c certificateArn=... to require TLS 1.2 (README). Viewers are always redirected to HTTPS."
)
NO_LOGS_OF_LOGS = "This is the access-log bucket; logging it into itself would loop."


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
        auto_delete_objects=stage.removal_policy == RemovalPolicy.DESTROY,
        **props,  # type: ignore[arg-type]
    )


def _distribution(
    scope: Construct,
    construct_id: str,
    bucket: s3.IBucket,
    *,
    domain: CustomDomain | None = None,
    behavior: dict[str, object] | None = None,
    origin: cloudfront.IOrigin | None = None,
    **props: object,
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
            origin=origin or origins.S3BucketOrigin.with_origin_access_control(bucket),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            **(behavior or {}),  # type: ignore[arg-type]
        ),
        http_version=cloudfront.HttpVersion.HTTP2_AND_3,
        **props,  # type: ignore[arg-type]
    )
    # cdk-nag and checkov find the same three things; one reason answers both.
    acknowledge(distribution, "AwsSolutions-CFR3", NO_STANDARD_LOGS)
    acknowledge_check(distribution, "CKV_AWS_86", NO_STANDARD_LOGS)
    acknowledge(distribution, "AwsSolutions-CFR1", "A chat is for anyone, anywhere: no country is blocked.")
    acknowledge(distribution, "AwsSolutions-CFR2", NO_WAF)
    acknowledge_check(distribution, "CKV_AWS_68", NO_WAF)
    if domain is None:
        acknowledge(distribution, "AwsSolutions-CFR4", DEFAULT_CERTIFICATE)
        acknowledge_check(distribution, "CKV_AWS_174", DEFAULT_CERTIFICATE)
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
            auto_delete_objects=stage.removal_policy == RemovalPolicy.DESTROY,
        )
        acknowledge(self.bucket, "AwsSolutions-S1", NO_LOGS_OF_LOGS)
        acknowledge_check(self.bucket, "CKV_AWS_18", NO_LOGS_OF_LOGS)
        acknowledge_check(
            self.bucket,
            "CKV_AWS_21",
            "S3 writes each access log once, under a key of its own, and only the 90-day expiry deletes one: "
            "nothing overwrites them, so versions would only keep expired logs longer.",
        )


class MediaHosting(Construct):
    """The media bucket behind CloudFront: signed URLs for attachments (a key group whose
    private key a deploy-time function generates into Secrets Manager), public avatars."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageSettings,
        logs: s3.IBucket,
        upload_origins: Sequence[str],
        signing_key: secretsmanager.ISecret,
        key_setup: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.signing_key = signing_key
        self.bucket = _private_bucket(
            self,
            "Bucket",
            stage,
            logs,
            # Browsers POST uploads straight to the bucket from the web app.
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=[*upload_origins, *stage.local_origins],
                    allowed_headers=["*"],
                    max_age=3600,
                )
            ],
            # Versioned: whatever is deleted or overwritten (an expired upload, a chunk rewritten to delete a
            # message, retention, a mistake) stays restorable as a noncurrent version for the stage's
            # media.noncurrent_days, then goes for good; delete markers left with nothing behind them go too.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1)),
                # An upload nobody sent was never anyone's data: its old version goes a day after it expires.
                s3.LifecycleRule(
                    prefix=UPLOAD_PREFIX,
                    expiration=Duration.days(2),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="NoncurrentVersions",
                    noncurrent_version_expiration=Duration.days(stage.media.noncurrent_days),
                    expired_object_delete_marker=True,
                ),
            ],
        )
        self.public_key = cloudfront.PublicKey(
            self,
            "SigningPublicKey",
            encoded_key=generated_public_key(
                self,
                "SigningKey",
                secret=signing_key,
                key_setup=key_setup,
                resource_type="Custom::MediaSigningKey",
                stage=stage,
            ),
            comment="Checks the chat's signed media URLs; the private key is in Secrets Manager",
        )
        key_group = cloudfront.KeyGroup(self, "SigningKeyGroup", items=[self.public_key])
        origin = origins.S3BucketOrigin.with_origin_access_control(self.bucket)
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "MediaHeaders",
            comment="Media: never a page (no scripts, no framing, no sniffing), HSTS",
            security_headers_behavior=_security_headers(MEDIA_CSP, cloudfront.HeadersReferrerPolicy.NO_REFERRER),
        )
        cached_public = cloudfront.BehaviorOptions(
            origin=origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=headers,
        )
        self.distribution = _distribution(
            self,
            "Distribution",
            self.bucket,
            # Everything needs a signature unless a public prefix says otherwise: incoming/ is never served.
            behavior={
                "trusted_key_groups": [key_group],
                "cache_policy": cloudfront.CachePolicy.CACHING_OPTIMIZED,  # query strings are not in the key
                "response_headers_policy": headers,
            },
            origin=origin,
            additional_behaviors={f"{PUBLIC_PREFIX}*": cached_public},
        )

    def grant_media_handling(self, function: lambda_.Function) -> None:
        """What a function that signs uploads and checks them needs, and no more: presigned POSTs
        and first-byte reads in incoming/, and server-side copies into the served prefixes."""
        bucket_arn = self.bucket.bucket_arn
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject"],
                resources=[f"{bucket_arn}/{UPLOAD_PREFIX}*"],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[f"{bucket_arn}/{SIGNED_PREFIX}*", f"{bucket_arn}/{PUBLIC_PREFIX}*"],
            )
        )
        self.signing_key.grant_read(function)
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        for prefix in (UPLOAD_PREFIX, SIGNED_PREFIX, PUBLIC_PREFIX):
            acknowledge(
                function,
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{prefix}*]",
                "Every upload gets a fresh key under this prefix, so the grant names the prefix; the actions are "
                "exactly PutObject/GetObject.",
            )

    def grant_archive(self, function: lambda_.Function) -> None:
        """Archived history, archive/ only: read chunks, write them (the archiver; a deletion's
        rewrite) and delete the ones a rewrite or retention leaves behind."""
        function.add_environment("MEDIA_BUCKET", self.bucket.bucket_name)
        actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        function.add_to_role_policy(
            iam.PolicyStatement(actions=actions, resources=[f"{self.bucket.bucket_arn}/{ARCHIVE_PREFIX}*"])
        )
        bucket_id = Stack.of(self).get_logical_id(self.bucket.node.default_child)  # type: ignore[arg-type]
        acknowledge(
            function,
            f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{ARCHIVE_PREFIX}*]",
            "Each conversation's chunks have their own keys under archive/: the grant names the prefix, "
            "and the actions are only what reading (and, for the archiver, writing) chunks takes.",
        )

    def grant_linking(self, function: lambda_.Function) -> None:
        """What a function that only signs links to files needs: the signing key and where media is served."""
        for name, value in self.link_environment().items():
            function.add_environment(name, value)
        self.signing_key.grant_read(function)

    def link_environment(self) -> dict[str, str]:
        return {
            "MEDIA_URL": self.url,
            "MEDIA_KEY_PAIR_ID": self.public_key.public_key_id,
            "MEDIA_SIGNING_KEY_ARN": self.signing_key.secret_arn,
        }

    def environment(self) -> dict[str, str]:
        return {"MEDIA_BUCKET": self.bucket.bucket_name, **self.link_environment()}

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
        acknowledge_check(
            self.bucket,
            "CKV_AWS_21",
            "The bucket holds only the built web client, which every deploy copies afresh from web/dist (pruning "
            "what the build no longer has): whatever is lost comes back with the next deploy. Versions would "
            "only keep old builds.",
        )
        self.domain = domain
        # The log group of CDK's copy function (publish), made here with the stage's retention like every other
        # function's. Left to CDK (its useCdkManagedLogGroup flag), it would be named /aws/lambda/<function>, which a
        # stack deployed before that flag already has (Lambda made it), so the deploy would fail: it already exists.
        self._deploy_logs = aws_logs.LogGroup(
            self, "DeployLogs", retention=stage.log_retention, removal_policy=stage.removal_policy
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="The web app: a strict CSP, HSTS, no framing",
            security_headers_behavior=_security_headers(
                content_security_policy(AWS_CONNECT, AWS_IMAGES),
                cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
            ),
        )
        self.distribution = _distribution(
            self,
            "Distribution",
            self.bucket,
            domain=domain,
            behavior={"response_headers_policy": headers},
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
            # The files whose names never change (the rest are content-hashed): without this, CloudFront
            # would serve the old ones, the old service worker included, for up to a day.
            distribution_paths=["/index.html", "/config.json", "/sw.js", "/manifest.webmanifest"],
            memory_limit=512,
            log_group=self._deploy_logs,
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
        # CDK writes this grant itself (a distribution's ARN would do), for the copy to refresh the files whose
        # names never change.
        invalidations = (
            "CDK's BucketDeployment grants its copy function cloudfront:CreateInvalidation and GetInvalidation on "
            "any distribution; the function runs only CDK's copy, only during a deploy, and invalidates only the "
            "web distribution's fixed-name files."
        )
        acknowledge(copier, "AwsSolutions-IAM5[Resource::*]", invalidations)
        acknowledge_check(
            copier.node.find_child("ServiceRole").node.find_child("DefaultPolicy"), "CKV_AWS_111", invalidations
        )
        acknowledge_function_checks(copier, AT_DEPLOY)
        acknowledge(
            copier,
            BASIC_EXECUTION_POLICY_FINDING,
            "CDK's copy function uses AWSLambdaBasicExecutionRole only to write its own logs.",
        )
        acknowledge(
            copier,
            "AwsSolutions-L1",
            "CDK pins the runtime of its own copy function; the chat's functions run the newest Python.",
        )


def _security_headers(
    csp: str, referrer: cloudfront.HeadersReferrerPolicy
) -> cloudfront.ResponseSecurityHeadersBehavior:
    """What both distributions send: their CSP, HSTS for two years, no framing, no sniffing."""
    return cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=csp, override=True
        ),
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.days(730), include_subdomains=True, override=True
        ),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption.DENY, override=True
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(referrer_policy=referrer, override=True),
    )

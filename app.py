#!/usr/bin/env python3
"""Builds the CDK app from infra/ — nothing else.

cdk synth -c stage=dev|prod     (or `make synth STAGE=prod`)
    [-c domainName=... -c certificateArn=...]   the web app on your own domain

cdk deploy ... --parameters AlarmEmail=ops@example.com   alarms e-mailed there too (kept by later deploys)
"""

import os

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.chat_stack import ChatStack
from infra.constructs.hosting import CustomDomain
from infra.stages import stage_settings

# CDK behaviours this app relies on, set here so `python app.py`, the cdk CLI and the tests agree.
FEATURE_FLAGS = {
    # S3 server access logs delivered under a bucket policy, so no bucket needs ACLs.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(outdir: str | None = None, context: dict[str, object] | None = None) -> cdk.App:
    # The cdk CLI names the output folder; run directly (`make synth`), it is cdk.out/.
    app = cdk.App(
        outdir=outdir or (None if "CDK_OUTDIR" in os.environ else "cdk.out"),
        context={**FEATURE_FLAGS, **(context or {})},
    )
    stage = stage_settings(app.node.try_get_context("stage"))
    domain_name, certificate_arn = app.node.try_get_context("domainName"), app.node.try_get_context("certificateArn")
    if bool(domain_name) != bool(certificate_arn):
        raise ValueError("Give both -c domainName=... and -c certificateArn=... (an ACM certificate in us-east-1)")
    # Where alarms are e-mailed is the stack's AlarmEmail parameter, which later deploys keep. A synth-time
    # setting would not be: a deploy that left it out would unsubscribe the address. Refused, not ignored.
    if app.node.try_get_context("alarmEmail") is not None:
        raise ValueError(
            "-c alarmEmail is not read: pass the address as a stack parameter, which later deploys keep: "
            "cdk deploy --parameters AlarmEmail=ops@example.com (make deploy ALARM_EMAIL=ops@example.com)"
        )
    ChatStack(
        app,
        f"Chat-{stage.name}",
        stage=stage,
        web_domain=CustomDomain(domain_name, certificate_arn) if domain_name else None,
        description=f"Real-time chat backend ({stage.name})",
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()

#!/usr/bin/env python3
"""Builds the CDK app from infra/ — nothing else.

cdk synth -c stage=dev|prod     (or `make synth STAGE=prod`)
    [-c domainName=... -c certificateArn=...]   the web app on your own domain

cdk deploy ... --parameters AlarmEmail=ops@example.com   alarms e-mailed there too (kept by later deploys)
"""

import json
import os
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.chat_stack import ChatStack
from infra.constructs.hosting import CustomDomain
from infra.stages import stage_settings

# CDK's feature flags are cdk.json's "context": the flags `cdk init` writes for the aws-cdk-lib in use (among
# them one this app relies on: S3 access logs delivered under a bucket policy, so no bucket needs ACLs). The
# cdk CLI reads them from there and build_app from the same file, so `python app.py`, the CLI and the tests agree.
FEATURE_FLAGS: dict[str, object] = json.loads((Path(__file__).resolve().parent / "cdk.json").read_text())["context"]

# The recommended flags cdk.json sets the other way, and why (JSON takes no comments). tests/infra checks cdk.json
# against the recommended flags of the installed aws-cdk-lib, these aside.
DECLINED_FLAGS = {
    "@aws-cdk/core:enableAdditionalMetadataCollection": (
        "It widens the usage data each template reports to AWS (AWS::CDK::Metadata) to which properties and "
        "methods of every construct the app uses, with their boolean and enum values. The project sends no more "
        "usage data than CDK's defaults: the Makefile turns the CLI's telemetry off, and the template's version "
        "report (versionReporting) stays as CDK sets it."
    ),
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

#!/usr/bin/env python3
"""Builds the CDK app from infra/ — nothing else."""

import os

import aws_cdk as cdk

from infra.chat_stack import ChatStack

# The cdk CLI names the output folder; run directly (`make synth`), it is cdk.out/.
app = cdk.App(outdir=None if "CDK_OUTDIR" in os.environ else "cdk.out")
ChatStack(app, "Chat")
app.synth()

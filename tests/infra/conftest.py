"""Each stage is synthesized once for every infra test module (a synth with cdk-nag takes seconds)."""

from pathlib import Path

import pytest
from aws_cdk import App
from aws_cdk.assertions import Template

from tests.infra.stack_template import STAGES, synthesize


@pytest.fixture(scope="session", params=STAGES)
def synthesized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, App, Template]:
    outdir: Path = tmp_path_factory.mktemp(f"cdk-{request.param}")
    app, template = synthesize(request.param, outdir)
    return request.param, app, template


@pytest.fixture(scope="session")
def template(synthesized: tuple[str, App, Template]) -> Template:
    return synthesized[2]

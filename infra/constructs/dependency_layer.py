"""The Lambda layer with requirements.txt, built with pip for the Lambda platform (no Docker)."""

import importlib.util
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parents[2]


def _build_layer() -> Path:
    # layers/build.py is a script (it also runs as `make layer`); load it by path.
    spec = importlib.util.spec_from_file_location("layer_build", ROOT / "layers" / "build.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("layers/build.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Path(module.build()).parent  # the folder holding python/


class DependencyLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, runtime: lambda_.Runtime) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(_build_layer()), exclude=[".requirements.sha256"]),
            compatible_runtimes=[runtime],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="chat: aws-lambda-powertools, pydantic, pymongo, pyjwt, argon2-cffi",
        )

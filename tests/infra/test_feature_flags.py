"""CDK's feature flags: cdk.json sets the ones `cdk init` writes for the installed aws-cdk-lib (its recommended
flags), but for the few app.py declines with a reason, and every synth (the CLI's, `python app.py`, the tests')
runs with exactly those."""

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import aws_cdk
from aws_cdk import App, FeatureFlags, Stack
from aws_cdk.assertions import Template

from app import DECLINED_FLAGS, FEATURE_FLAGS

ROOT = Path(__file__).resolve().parents[2]
# Where aws-cdk-lib lists the flags `cdk init` writes (CURRENTLY_RECOMMENDED_FLAGS), inside the jsii tarball its
# Python package carries: plain JavaScript, run with the Node that runs the rest of aws-cdk-lib.
CX_API = "package/cx-api/lib/"


def recommended_flags(folder: Path) -> dict[str, object]:
    (tarball,) = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith(CX_API) and member.name.endswith(".js"):
                target = folder / member.name.removeprefix(CX_API)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None
                target.write_bytes(source.read())
    node = shutil.which("node")
    assert node, "Node is needed (make puts the project's on PATH)"
    script = "process.stdout.write(JSON.stringify(require(process.argv[1]).CURRENTLY_RECOMMENDED_FLAGS))"
    result = subprocess.run(
        [node, "-e", script, str(folder / "features.js")], capture_output=True, text=True, check=True
    )
    flags: dict[str, object] = json.loads(result.stdout)
    return flags


def test_cdk_json_sets_every_recommended_flag_but_the_declined_ones(tmp_path: Path) -> None:
    # Given the flags the installed aws-cdk-lib recommends, and cdk.json's
    recommended = recommended_flags(tmp_path)
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    assert len(recommended) > 50

    # Then cdk.json sets each as recommended, unless app.py declines it with a reason
    unset = sorted(set(recommended) - set(context))
    assert not unset, f"cdk.json lacks flags aws-cdk-lib now recommends: {unset}: add them (or decline, in app.py)"
    for flag, value in recommended.items():
        if flag in DECLINED_FLAGS:
            assert context[flag] != value, f"{flag} is declined in app.py but set as recommended in cdk.json"
        else:
            assert context[flag] == value, f"cdk.json sets {flag} to {context[flag]!r}, not {value!r}: decline it?"
    # And each declined flag is a recommended one, with a real reason
    for flag, reason in DECLINED_FLAGS.items():
        assert flag in recommended, f"{flag} is declined but not a recommended flag"
        assert len(reason) > 40, f"{flag} is declined without a real reason: {reason!r}"


def test_the_app_synthesizes_with_cdk_jsons_flags(synthesized: tuple[str, App, Template]) -> None:
    # Given a stage's app, built as `python app.py` and the tests build it
    _, app, _ = synthesized
    (stack,) = (child for child in app.node.children if isinstance(child, Stack))

    # Then every construct sees cdk.json's flags, the declined ones off
    assert json.loads((ROOT / "cdk.json").read_text())["context"] == FEATURE_FLAGS
    for flag, value in FEATURE_FLAGS.items():
        assert stack.node.try_get_context(flag) == value, flag
    for flag in DECLINED_FLAGS:
        assert not FeatureFlags.of(stack).is_enabled(flag), flag

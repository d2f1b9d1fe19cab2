"""checkov, an IaC scanner independent of cdk-nag, finds nothing on either stage's template that is not
acknowledged on its resource with a reason (infra/checkov.py). It runs from its own virtualenv (.venv-checkov,
installed by `make test` from requirements-checkov.lock), offline: no download, no platform, no update check."""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from aws_cdk import App
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# Nothing leaves the machine: checkov's own switches for the version check and the platform's mappings.
OFFLINE = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


def run_checkov(template: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), f"{CHECKOV} is missing: `make test` installs it (or make .venv-checkov/.installed)"
    # No platform key of the caller's reaches it.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BC_", "CKV_", "PRISMA_"))}
    result = subprocess.run(
        [
            str(CHECKOV),
            *("--file", str(template)),
            *("--framework", "cloudformation"),
            "--skip-download",
            *("--output", "json"),
            "--compact",
        ],
        capture_output=True,
        text=True,
        env={**environment, **OFFLINE},
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr  # 1: checks failed, reported below
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_checkov_finds_nothing_that_is_not_acknowledged(synthesized: tuple[str, App, Template]) -> None:
    # Given a stage's synthesized template
    stage, app, _ = synthesized
    template = Path(app.outdir) / f"Chat-{stage}.template.json"

    # When checkov scans it
    report = run_checkov(template)

    # Then it read the whole template, and every check it raises is fixed or acknowledged on its resource
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 100
    failed = sorted(
        f"{r['check_id']} on {r['resource']}: {r['check_name']}" for r in report["results"]["failed_checks"]
    )
    assert not failed, (
        f"checkov on {stage}: {len(failed)} failed checks. Fix each, or acknowledge it on its resource with "
        "the reason (infra/checkov.py):\n" + "\n".join(failed)
    )
    # And each acknowledgement names a check checkov runs on that resource, with a real reason
    acknowledged = {
        (f"{resource['Type']}.{logical_id}", skip["id"]): skip["comment"]
        for logical_id, resource in json.loads(template.read_text())["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    skipped = {(r["resource"], r["check_id"]) for r in report["results"]["skipped_checks"]}
    assert set(acknowledged) == skipped, (
        f"acknowledged, yet checkov runs no such check there: {set(acknowledged) - skipped}"
    )
    for (resource, check), reason in acknowledged.items():
        assert len(reason) > 40, f"{resource} acknowledges {check} without a real reason: {reason!r}"


def test_every_acknowledgement_is_of_a_check_that_would_fail(
    synthesized: tuple[str, App, Template], tmp_path: Path
) -> None:
    # Given the stage's template with every acknowledgement taken out
    stage, app, _ = synthesized
    template = json.loads((Path(app.outdir) / f"Chat-{stage}.template.json").read_text())
    acknowledged = set()
    for logical_id, resource in template["Resources"].items():
        skips = resource.get("Metadata", {}).pop("checkov", {}).get("skip", [])
        acknowledged |= {(f"{resource['Type']}.{logical_id}", skip["id"]) for skip in skips}
    bare = tmp_path / f"Chat-{stage}.template.json"
    bare.write_text(json.dumps(template))

    # When checkov scans it
    report = run_checkov(bare)

    # Then what fails is exactly what was acknowledged: no acknowledgement outlives a fix (checkov
    # reports an acknowledged check as skipped without running it, so only this finds a stale one)
    failed = {(r["resource"], r["check_id"]) for r in report["results"]["failed_checks"]}
    assert failed == acknowledged, f"acknowledged but passing now: {acknowledged - failed}"

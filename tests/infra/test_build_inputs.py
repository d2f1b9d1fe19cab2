"""The build's inputs agree with each other: what people edit (requirements*.txt,
.nvmrc) and what is installed (the hashed locks, the Node that make fetches).

A pin changed in requirements.txt without `make lock` would otherwise ship the old
version in the layer while the tests ran the new one."""

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

from aws_cdk import aws_lambda as lambda_

from infra.constructs.functions import RUNTIME

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, set[str]]:
    """Name → versions pinned in a requirements file or lock (following -r); a lock may pin one name per marker."""
    pins: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            for name, versions in _pins(path.parent / line.split()[1]).items():
                pins.setdefault(name, set()).update(versions)
        elif match := PIN.match(line):
            pins.setdefault(_name(match[1]), set()).add(match[2])
    return pins


def _layer_build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layer_build", ROOT / "layers" / "build.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _locked(requirements: str, lock: str) -> None:
    # Given what people edit and what is installed
    wanted, locked = _pins(ROOT / requirements), _pins(ROOT / lock)
    # Then every direct pin is in the lock at that version
    stale = {name: (version, locked.get(name)) for name, (version,) in wanted.items() if locked.get(name) != {version}}
    assert not stale, f"{lock} is stale (wanted, locked): {stale}: run `make lock`"


def test_the_layer_lock_pins_what_requirements_txt_asks_for() -> None:
    _locked("requirements.txt", "requirements.lock")


def test_the_dev_lock_pins_what_requirements_dev_txt_asks_for() -> None:
    _locked("requirements-dev.txt", "requirements-dev.lock")


def test_the_checkov_lock_pins_what_requirements_checkov_txt_asks_for() -> None:
    _locked("requirements-checkov.txt", "requirements-checkov.lock")


def test_every_locked_package_is_pinned_with_hashes() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock", "requirements-checkov.lock", "requirements-tools.txt"):
        # Given a lock's entries (a pin and its continuation lines)
        entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text().split("\n", 2)[2])
        # Then each has at least one hash, so pip --require-hashes installs exactly these files
        unhashed = [entry.split()[0] for entry in entries if entry.strip() and "--hash=sha256:" not in entry]
        assert not unhashed, f"{lock}: no hash for {unhashed}"


def test_the_layer_lock_was_resolved_for_the_platform_the_layer_is_built_for() -> None:
    # Given the layer build's target and the functions' runtime
    build = _layer_build()
    # Then the build targets that runtime, and the lock was resolved for the same platform and Python
    assert RUNTIME.name == f"python{build.PYTHON_VERSION}"
    assert RUNTIME.family == lambda_.RuntimeFamily.PYTHON
    header = (ROOT / "requirements.lock").read_text().splitlines()[1]
    assert f"--python-platform {build.UV_PLATFORM} --python-version {build.PYTHON_VERSION}" in header


def test_the_dev_environment_runs_the_versions_the_layer_ships() -> None:
    # Given both locks
    layer, dev = _pins(ROOT / "requirements.lock"), _pins(ROOT / "requirements-dev.lock")
    # Then the packages they share are at the same versions (the dev lock is constrained by the layer's)
    differ = {name: (versions, dev[name]) for name, versions in layer.items() if name in dev and dev[name] != versions}
    assert not differ, f"layer vs dev: {differ}: run `make lock`"


def test_the_pinned_node_satisfies_what_the_web_tools_and_cdk_cli_declare() -> None:
    # Given .nvmrc and the engines the two npm projects declare
    pinned = tuple(int(part) for part in (ROOT / ".nvmrc").read_text().strip().split("."))
    engines = {
        json.loads((ROOT / path).read_text())["engines"]["node"]
        for path in ("web/package.json", "infra/cli/package.json")
    }
    # Then they declare one range, and the exact pinned release is in it
    assert len(pinned) == 3, "pin an exact release in .nvmrc: make installs that one where the machine's Node is older"
    assert len(engines) == 1
    (declared,) = engines
    assert any(_satisfies(pinned, alternative.strip()) for alternative in declared.split("||")), (pinned, declared)


def _satisfies(version: tuple[int, ...], comparator: str) -> bool:
    """The two forms the engines field uses here: ^X.Y.Z and >=X.Y.Z."""
    floor = tuple(int(part) for part in comparator.lstrip("^>=").split("."))
    if comparator.startswith("^"):
        return version[0] == floor[0] and version >= floor
    assert comparator.startswith(">="), comparator
    return version >= floor

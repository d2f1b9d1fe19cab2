"""Builds the Lambda dependency layer with pip for the Lambda platform: no Docker.

    python layers/build.py              # writes layers/build/python/, skips if requirements.lock is unchanged
    python layers/build.py --uv-target  # prints the lock's target for `uv pip compile` (how `make lock` calls it)

pip installs requirements.lock, every package pinned with its hashes (`make lock`
resolves requirements.txt for this platform), so the layer holds the same bytes
on every machine. The runtime already has boto3/botocore, so they are pruned,
with tests and bytecode caches. A hash of the lock and the target platform is
kept next to the output, so the layer is rebuilt only when either changes."""

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
OUTPUT = ROOT / "layers" / "build"
PYTHON_VERSION = "3.14"  # the Lambda runtime the stack uses
PLATFORM = "manylinux2014_aarch64"  # arm64 functions
UV_PLATFORM = "aarch64-manylinux2014"  # the same platform, as uv names it
PRUNE_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py")
PRUNE_DIRS = ("__pycache__", "tests", "test")


def fingerprint() -> str:
    return hashlib.sha256(LOCK.read_bytes() + f"{PLATFORM} {PYTHON_VERSION}".encode()).hexdigest()


def build() -> Path:
    stamp = OUTPUT / ".requirements.sha256"
    target = OUTPUT / "python"
    if stamp.exists() and stamp.read_text() == fingerprint() and target.exists():
        return target
    print(f"Building the Lambda layer from {LOCK.name} for {PLATFORM}, Python {PYTHON_VERSION}…", file=sys.stderr)
    shutil.rmtree(OUTPUT, ignore_errors=True)
    subprocess.run(  # noqa: S603 - pip with fixed arguments
        [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            # Both names of the platform: uv's lock takes wheels tagged either way.
            "--platform", PLATFORM, "--platform", "manylinux_2_17_aarch64",
            "--only-binary=:all:", "--implementation", "cp",
            "--python-version", PYTHON_VERSION, "--no-compile", "--require-hashes",
            "--target", str(target), "-r", str(LOCK),
        ],
        check=True,
    )  # fmt: skip
    for name in PRUNE_PACKAGES:
        for path in target.glob(f"{name}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    for name in PRUNE_DIRS:
        for path in sorted(target.rglob(name), reverse=True):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
    stamp.write_text(fingerprint())
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--uv-target"]:
        print(f"--python-platform {UV_PLATFORM} --python-version {PYTHON_VERSION} --only-binary :all:")
        sys.exit(0)
    built = build()
    size = sum(f.stat().st_size for f in built.rglob("*") if f.is_file())
    print(f"layer at {built.relative_to(ROOT)}: {size / 1_000_000:.1f} MB unzipped")

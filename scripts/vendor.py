"""Vendored browser libraries: fetched from the npm registry at a pinned version, checked
against the registry's integrity hash, copied into ``collabhub/static/vendor/`` and committed
(no CDN, and no Node or npm needed to run the platform).

    python scripts/vendor.py          # fetch what vendor.json names (after changing a version)
    python scripts/vendor.py --check  # the committed files are the ones recorded (tests do it)

``vendor.json`` names, per package, its version, the registry's ``integrity`` and the files
taken from the package (path in the tarball -> path under vendor/, or under ``root`` -- a
directory of the repository, e.g. ``tests/vendor`` for what only the tests use) with their
SHA-256.
"""

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "collabhub" / "static" / "vendor"
MANIFEST = VENDOR / "vendor.json"
REGISTRY = "https://registry.npmjs.org"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(manifest: dict) -> None:
    for name, package in manifest.items():
        version = package["version"]
        url = f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - fixed https
            tarball = response.read()
        algorithm, _, expected = package["integrity"].partition("-")
        digest = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
        if digest != expected:
            sys.exit(f"{name}@{version}: integrity mismatch")
        base = ROOT / package["root"] if "root" in package else VENDOR
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            for source, target in package["files"].items():
                member = archive.extractfile(f"package/{source}")
                if member is None:
                    sys.exit(f"{name}@{version}: no {source}")
                data = member.read()
                (base / target["path"]).parent.mkdir(parents=True, exist_ok=True)
                (base / target["path"]).write_bytes(data)
                target["sha256"] = _sha256(data)
        print(f"{name}@{version}: {len(package['files'])} files")
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")


def check(manifest: dict) -> list[str]:
    """The vendored files that differ from what the manifest recorded."""
    wrong = []
    for package in manifest.values():
        base = ROOT / package["root"] if "root" in package else VENDOR
        for target in package["files"].values():
            path = base / target["path"]
            if not path.exists() or _sha256(path.read_bytes()) != target["sha256"]:
                wrong.append(target["path"])
    return wrong


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    manifest = json.loads(MANIFEST.read_text())
    if parser.parse_args().check:
        wrong = check(manifest)
        sys.exit(f"vendored files changed: {wrong}" if wrong else 0)
    fetch(manifest)

"""Builds the browser vendor files: bpmn.io's navigated viewer (this app) and Leaflet (the care finder's
map), installed from the npm registry (``npm ci``, see package.json), copied into git-ignored static
folders of their apps at install time.

Nothing of bpmn-js is committed. The copy keeps the licence file next to the code, as bpmn-js's MIT
licence with the bpmn.io watermark clause requires; the viewer page keeps the watermark visible.
Run it through ``amtsweg build_viewer`` (the Makefile does, after ``npm ci``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

PACKAGE = "bpmn-js"
SUPPORTED_MAJOR = 18
# node_modules/bpmn-js/<source> → <target folder>/<name>; the navigated viewer is the read-only bundle
# with keyboard and mouse navigation. The bpmn-font is left out: only the modeler's palette uses it.
FILES: tuple[tuple[str, str], ...] = (
    ("dist/bpmn-navigated-viewer.production.min.js", "bpmn-navigated-viewer.production.min.js"),
    ("dist/assets/diagram-js.css", "diagram-js.css"),
    ("dist/assets/bpmn-js.css", "bpmn-js.css"),
    ("LICENSE", "LICENSE"),
)
# Relative to the app's static folder; static URLs are processes/vendor/bpmn-js/<name>.
STATIC_PREFIX = f"processes/vendor/{PACKAGE}"
TARGET = Path(__file__).resolve().parent / "static" / STATIC_PREFIX
MANIFEST = "manifest.json"


class ViewerBuildError(Exception):
    """A vendor package could not be built (missing, wrong version, incomplete package)."""


@dataclass(frozen=True)
class VendorPackage:
    """An npm package whose files are copied into an app's git-ignored static folder."""

    name: str
    supported_major: int
    files: tuple[tuple[str, str], ...]  # source in the package → name in the target (may hold a folder)
    target: Path


@dataclass(frozen=True)
class BuiltViewer:
    version: str
    target: Path
    files: dict[str, str]  # name → sha256


BPMN_JS = VendorPackage(PACKAGE, SUPPORTED_MAJOR, FILES, TARGET)
# Leaflet for the care finder's map (BSD-2-Clause; the licence file travels with the code).
LEAFLET = VendorPackage(
    "leaflet",
    1,
    (
        ("dist/leaflet.js", "leaflet.js"),
        ("dist/leaflet.css", "leaflet.css"),
        *(
            (f"dist/images/{image}", f"images/{image}")
            for image in (
                "layers.png",
                "layers-2x.png",
                "marker-icon.png",
                "marker-icon-2x.png",
                "marker-shadow.png",
            )
        ),
        ("LICENSE", "LICENSE"),
    ),
    Path(__file__).resolve().parents[1] / "care" / "static" / "care" / "vendor" / "leaflet",
)
PACKAGES: tuple[VendorPackage, ...] = (BPMN_JS, LEAFLET)


def node_modules() -> Path:
    return Path(settings.REPO_DIR) / "node_modules"


def build_package(
    package: VendorPackage, *, source: Path | None = None, target: Path | None = None
) -> BuiltViewer:
    """Copy the listed files of the installed ``package`` into ``target`` and write a manifest.

    Idempotent; files of an older build that are no longer part of it are removed.
    """
    target = target or package.target
    package_dir = (source or node_modules()) / package.name
    package_json = package_dir / "package.json"
    if not package_json.is_file():
        raise ViewerBuildError(
            f"{package_dir} not found: run `npm ci` (package.json lists {package.name}) before building"
        )
    version = str(json.loads(package_json.read_text(encoding="utf-8")).get("version", ""))
    if version.split(".")[0] != str(package.supported_major):
        raise ViewerBuildError(
            f"{package.name} {version} is installed; Amtsweg is written for {package.name} "
            f"{package.supported_major}.x."
        )
    missing = [name for name, _ in package.files if not (package_dir / name).is_file()]
    if missing:
        raise ViewerBuildError(
            f"{package.name} {version} lacks {', '.join(missing)}: reinstall it with `npm ci`."
        )

    target.mkdir(parents=True, exist_ok=True)
    wanted = {name for _, name in package.files} | {MANIFEST}
    for stale in target.rglob("*"):
        if stale.is_file() and stale.relative_to(target).as_posix() not in wanted:
            stale.unlink()
    files: dict[str, str] = {}
    for source_name, target_name in package.files:
        (target / target_name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package_dir / source_name, target / target_name)
        files[target_name] = hashlib.sha256((target / target_name).read_bytes()).hexdigest()
    manifest = {"package": package.name, "version": version, "files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BuiltViewer(version=version, target=target, files=files)


def build_viewer(*, source: Path | None = None, target: Path = TARGET) -> BuiltViewer:
    """Copy the viewer files of the installed bpmn-js into ``target`` and write a manifest."""
    return build_package(BPMN_JS, source=source, target=target)


def built_version(target: Path = TARGET, *, package: VendorPackage = BPMN_JS) -> str:
    """The version of the current build of ``package`` (bpmn-js), or ``""`` when it has not been built."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not all((target / name).is_file() for _, name in package.files):
        return ""
    return str(manifest.get("version", ""))

"""Builds the browser viewer's vendor files: bpmn.io's navigated viewer, installed from the npm registry
(``npm ci``, see package.json), copied into a git-ignored static folder of this app at install time.

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
    """The viewer could not be built (bpmn-js missing, wrong version, incomplete package)."""


@dataclass(frozen=True)
class BuiltViewer:
    version: str
    target: Path
    files: dict[str, str]  # name → sha256


def node_modules() -> Path:
    return Path(settings.REPO_DIR) / "node_modules"


def build_viewer(*, source: Path | None = None, target: Path = TARGET) -> BuiltViewer:
    """Copy the viewer files of the installed bpmn-js into ``target`` and write a manifest.

    Idempotent; files of an older build that are no longer part of it are removed.
    """
    package_dir = (source or node_modules()) / PACKAGE
    package_json = package_dir / "package.json"
    if not package_json.is_file():
        raise ViewerBuildError(
            f"{package_dir} not found: run `npm ci` (package.json lists {PACKAGE}) before building the viewer"
        )
    version = str(json.loads(package_json.read_text(encoding="utf-8")).get("version", ""))
    if version.split(".")[0] != str(SUPPORTED_MAJOR):
        raise ViewerBuildError(
            f"{PACKAGE} {version} is installed; the viewer is written for {PACKAGE} {SUPPORTED_MAJOR}.x."
        )
    missing = [name for name, _ in FILES if not (package_dir / name).is_file()]
    if missing:
        raise ViewerBuildError(f"{PACKAGE} {version} lacks {', '.join(missing)}: reinstall it with `npm ci`.")

    target.mkdir(parents=True, exist_ok=True)
    wanted = {name for _, name in FILES} | {MANIFEST}
    for stale in target.iterdir():
        if stale.name not in wanted and stale.is_file():
            stale.unlink()
    files: dict[str, str] = {}
    for source_name, target_name in FILES:
        shutil.copyfile(package_dir / source_name, target / target_name)
        files[target_name] = hashlib.sha256((target / target_name).read_bytes()).hexdigest()
    manifest = {"package": PACKAGE, "version": version, "files": files}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return BuiltViewer(version=version, target=target, files=files)


def built_version(target: Path = TARGET) -> str:
    """The bpmn-js version of the current build, or ``""`` when the viewer has not been built."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not all((target / name).is_file() for _, name in FILES):
        return ""
    return str(manifest.get("version", ""))

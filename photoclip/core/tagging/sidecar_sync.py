"""Keep XMP sidecars in step with tags and ratings, when the library's settings ask for it.

One listener on the library's change bus: whatever changed a photo's tags (a
dialog, auto-tag with auto-accept, a label rename, a keyword import, the CLI),
its sidecar is rewritten with the library's sidecar settings. Problems (a
read-only folder, an offline drive) go to `on_report` and the log; they never
undo the tag change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from photoclip.core.changes import Changes
from photoclip.core.store.settings import SettingsFile
from photoclip.core.tagging.keywords import ExportReport
from photoclip.core.tagging.service import Tags

log = logging.getLogger(__name__)


class SidecarSync:
    """Rewrites the sidecars of photos whose tags or ratings changed (`LibrarySettings.write_sidecars_on_change`)."""

    def __init__(self, tags: Tags, settings: SettingsFile) -> None:
        self._tags = tags
        self._settings = settings
        self.on_report: Callable[[ExportReport], None] | None = None

    def __call__(self, changes: Changes) -> None:
        settings = self._settings.current
        if not (changes.tagged or changes.rated) or not settings.write_sidecars_on_change:
            return
        report = self._tags.export_xmp(
            sorted(changes.tagged | changes.rated),
            naming=settings.sidecar_naming,
            include_suggestions=settings.sidecar_include_suggestions,
        )
        for path, problem in report.problems:
            log.warning("sidecar of %s not written: %s", path, problem)
        if self.on_report is not None:
            self.on_report(report)

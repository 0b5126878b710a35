"""The door into photoclip's engine: `Library` and the values front ends see.

`photoclip.ui` and `photoclip.cli` import from here and nothing below it (a test
walks their imports). Each name is imported on first use (PEP 562), so
`photoclip --help` and the app's window do not wait for parts they do not use
yet; torch and open_clip load only when a call first needs the model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from photoclip.core.changes import ChangeBus, Changes, Outcome
    from photoclip.core.clip.demo_model import demo_model_misused, is_demo_folder, mark_demo_folder
    from photoclip.core.clip.loading import resolve_device
    from photoclip.core.clip.manager import Integrity, ModelInfo, ModelInUse, ModelManager, Speed
    from photoclip.core.clip.registry import DEFAULT_MODEL_KEY, TINY_MODEL_KEY, ModelSpec, catalogue_entry, known_models
    from photoclip.core.clip.service import ModelSwitch
    from photoclip.core.clip.weights import DownloadCancelled, cached_weights
    from photoclip.core.doctor import Check, repair, run_checks, self_test
    from photoclip.core.errors import (
        CatalogDamaged,
        CatalogError,
        DecodeError,
        DiskFull,
        LibraryError,
        ModelUnavailable,
        PhotoclipError,
        QueryError,
        SchemaTooNew,
    )
    from photoclip.core.ingest.folders import FolderStatus
    from photoclip.core.ingest.indexer import IndexProgress, IndexReport
    from photoclip.core.ingest.scanner import ScanReport
    from photoclip.core.ingest.trash import RestoreReport, TrashedPhoto, TrashReport
    from photoclip.core.ingest.walk import check_ignore_pattern, clean_ignore_patterns
    from photoclip.core.ingest.watcher import Activity, LibraryWatcher
    from photoclip.core.library import Library, LibraryStatus
    from photoclip.core.media.copying import CopyReport
    from photoclip.core.media.decode import DecodedPhoto, decode_photo, read_exif
    from photoclip.core.media.exif import GpsPosition, PhotoExif
    from photoclip.core.media.kinds import VIDEO_SUFFIXES, kind_of
    from photoclip.core.media.thumbnails import CacheUsage, ThumbnailStore
    from photoclip.core.media.video import VideoLimits, frame_at, video_support
    from photoclip.core.places.names import Place
    from photoclip.core.places.service import PlaceNode
    from photoclip.core.search.query import ParsedQuery, date_bound, merge_filters, parse_query
    from photoclip.core.search.ranking import (
        DEFAULT_DATE_RELEVANCE,
        SceneHit,
        SearchHit,
        SearchResult,
        relevance_cutoff,
    )
    from photoclip.core.search.searcher import SceneRef
    from photoclip.core.search.smart_albums import describe_rule
    from photoclip.core.search.tokens import QueryChip
    from photoclip.core.similar.service import GroupMember, MeasureProgress, PhotoGroup, SimilarPhotos
    from photoclip.core.store.albums import Album
    from photoclip.core.store.places import PhotoPlace
    from photoclip.core.store.problems import SkippedFile
    from photoclip.core.store.ratings import MAX_STARS, UNRATED, Rating, check_stars
    from photoclip.core.store.records import Folder, FolderId, Photo, PhotoFilter, PhotoId, PhotoState
    from photoclip.core.store.scenes import SceneSpan
    from photoclip.core.store.settings import SIDECAR_NAMINGS, LibrarySettings
    from photoclip.core.store.smart_albums import Rule as SmartRule
    from photoclip.core.store.smart_albums import SmartAlbum
    from photoclip.core.store.tags import ACCEPTED, REJECTED, SUGGESTED, Tag, TagCount, TagState
    from photoclip.core.store.texts import TextCounts
    from photoclip.core.tagging.autotagger import AutoTagProgress, AutoTagReport
    from photoclip.core.tagging.keywords import IMPORTED_SET, ExportReport, ImportReport
    from photoclip.core.tagging.labelsets import (
        DEFAULT_TEMPLATES,
        DEFAULT_THRESHOLD,
        Label,
        LabelSet,
        check_label_set,
        load_label_set_file,
        parse_label_set,
    )
    from photoclip.core.tagging.service import PEOPLES_OWN_SETS, USER_TAGS, LabelScore
    from photoclip.core.text.service import TextProgress, TextReport, TextStatus
    from photoclip.core.util.atomic import write_json_atomic
    from photoclip.core.util.clock import format_clip_time, parse_clip_time
    from photoclip.core.util.paths import default_cache_dir, default_library_dir
    from photoclip.core.util.units import MB, counted, human_bytes

_HOMES: dict[str, str] = {
    "demo_model_misused": "photoclip.core.clip.demo_model",
    "is_demo_folder": "photoclip.core.clip.demo_model",
    "mark_demo_folder": "photoclip.core.clip.demo_model",
    "ACCEPTED": "photoclip.core.store.tags",
    "Activity": "photoclip.core.ingest.watcher",
    "Album": "photoclip.core.store.albums",
    "CopyReport": "photoclip.core.media.copying",
    "MAX_STARS": "photoclip.core.store.ratings",
    "Rating": "photoclip.core.store.ratings",
    "UNRATED": "photoclip.core.store.ratings",
    "check_stars": "photoclip.core.store.ratings",
    "AutoTagProgress": "photoclip.core.tagging.autotagger",
    "AutoTagReport": "photoclip.core.tagging.autotagger",
    "CatalogError": "photoclip.core.errors",
    "ChangeBus": "photoclip.core.changes",
    "Changes": "photoclip.core.changes",
    "Check": "photoclip.core.doctor",
    "DEFAULT_DATE_RELEVANCE": "photoclip.core.search.ranking",
    "DEFAULT_MODEL_KEY": "photoclip.core.clip.registry",
    "DEFAULT_TEMPLATES": "photoclip.core.tagging.labelsets",
    "DEFAULT_THRESHOLD": "photoclip.core.tagging.labelsets",
    "DecodeError": "photoclip.core.errors",
    "DecodedPhoto": "photoclip.core.media.decode",
    "GpsPosition": "photoclip.core.media.exif",
    "PhotoExif": "photoclip.core.media.exif",
    "read_exif": "photoclip.core.media.decode",
    "DownloadCancelled": "photoclip.core.clip.weights",
    "ExportReport": "photoclip.core.tagging.keywords",
    "Folder": "photoclip.core.store.records",
    "FolderId": "photoclip.core.store.records",
    "FolderStatus": "photoclip.core.ingest.folders",
    "IMPORTED_SET": "photoclip.core.tagging.keywords",
    "ImportReport": "photoclip.core.tagging.keywords",
    "IndexProgress": "photoclip.core.ingest.indexer",
    "IndexReport": "photoclip.core.ingest.indexer",
    "Integrity": "photoclip.core.clip.manager",
    "Label": "photoclip.core.tagging.labelsets",
    "LabelSet": "photoclip.core.tagging.labelsets",
    "Library": "photoclip.core.library",
    "LibraryError": "photoclip.core.errors",
    "LibrarySettings": "photoclip.core.store.settings",
    "LibraryStatus": "photoclip.core.library",
    "LibraryWatcher": "photoclip.core.ingest.watcher",
    "ModelInUse": "photoclip.core.clip.manager",
    "ModelInfo": "photoclip.core.clip.manager",
    "ModelManager": "photoclip.core.clip.manager",
    "ModelSpec": "photoclip.core.clip.registry",
    "ModelSwitch": "photoclip.core.clip.service",
    "ModelUnavailable": "photoclip.core.errors",
    "Outcome": "photoclip.core.changes",
    "ParsedQuery": "photoclip.core.search.query",
    "Photo": "photoclip.core.store.records",
    "SkippedFile": "photoclip.core.store.problems",
    "PhotoFilter": "photoclip.core.store.records",
    "PhotoId": "photoclip.core.store.records",
    "PhotoState": "photoclip.core.store.records",
    "PhotoclipError": "photoclip.core.errors",
    "QueryError": "photoclip.core.errors",
    "REJECTED": "photoclip.core.store.tags",
    "SIDECAR_NAMINGS": "photoclip.core.store.settings",
    "SUGGESTED": "photoclip.core.store.tags",
    "ScanReport": "photoclip.core.ingest.scanner",
    "GroupMember": "photoclip.core.similar.service",
    "describe_rule": "photoclip.core.search.smart_albums",
    "SmartAlbum": "photoclip.core.store.smart_albums",
    "SmartRule": "photoclip.core.store.smart_albums",
    "MeasureProgress": "photoclip.core.similar.service",
    "PhotoGroup": "photoclip.core.similar.service",
    "SimilarPhotos": "photoclip.core.similar.service",
    "RestoreReport": "photoclip.core.ingest.trash",
    "TrashedPhoto": "photoclip.core.ingest.trash",
    "TrashReport": "photoclip.core.ingest.trash",
    "SchemaTooNew": "photoclip.core.errors",
    "SearchHit": "photoclip.core.search.ranking",
    "SearchResult": "photoclip.core.search.ranking",
    "Speed": "photoclip.core.clip.manager",
    "TINY_MODEL_KEY": "photoclip.core.clip.registry",
    "Tag": "photoclip.core.store.tags",
    "TagCount": "photoclip.core.store.tags",
    "TagState": "photoclip.core.store.tags",
    "ThumbnailStore": "photoclip.core.media.thumbnails",
    "CacheUsage": "photoclip.core.media.thumbnails",
    "resolve_device": "photoclip.core.clip.loading",
    "USER_TAGS": "photoclip.core.tagging.service",
    "PEOPLES_OWN_SETS": "photoclip.core.tagging.service",
    "LabelScore": "photoclip.core.tagging.service",
    "cached_weights": "photoclip.core.clip.weights",
    "check_ignore_pattern": "photoclip.core.ingest.walk",
    "check_label_set": "photoclip.core.tagging.labelsets",
    "clean_ignore_patterns": "photoclip.core.ingest.walk",
    "date_bound": "photoclip.core.search.query",
    "decode_photo": "photoclip.core.media.decode",
    "default_cache_dir": "photoclip.core.util.paths",
    "default_library_dir": "photoclip.core.util.paths",
    "human_bytes": "photoclip.core.util.units",
    "counted": "photoclip.core.util.units",
    "MB": "photoclip.core.util.units",
    "known_models": "photoclip.core.clip.registry",
    "catalogue_entry": "photoclip.core.clip.registry",
    "load_label_set_file": "photoclip.core.tagging.labelsets",
    "merge_filters": "photoclip.core.search.query",
    "parse_label_set": "photoclip.core.tagging.labelsets",
    "parse_query": "photoclip.core.search.query",
    "relevance_cutoff": "photoclip.core.search.ranking",
    "run_checks": "photoclip.core.doctor",
    "repair": "photoclip.core.doctor",
    "CatalogDamaged": "photoclip.core.errors",
    "DiskFull": "photoclip.core.errors",
    "self_test": "photoclip.core.doctor",
    "write_json_atomic": "photoclip.core.util.atomic",
    "PhotoPlace": "photoclip.core.store.places",
    "Place": "photoclip.core.places.names",
    "PlaceNode": "photoclip.core.places.service",
    "QueryChip": "photoclip.core.search.tokens",
    "TextCounts": "photoclip.core.store.texts",
    "TextProgress": "photoclip.core.text.service",
    "TextReport": "photoclip.core.text.service",
    "TextStatus": "photoclip.core.text.service",
    "VIDEO_SUFFIXES": "photoclip.core.media.kinds",
    "kind_of": "photoclip.core.media.kinds",
    "VideoLimits": "photoclip.core.media.video",
    "frame_at": "photoclip.core.media.video",
    "video_support": "photoclip.core.media.video",
    "SceneHit": "photoclip.core.search.ranking",
    "SceneRef": "photoclip.core.search.searcher",
    "SceneSpan": "photoclip.core.store.scenes",
    "format_clip_time": "photoclip.core.util.clock",
    "parse_clip_time": "photoclip.core.util.clock",
}


_ALIASES: dict[str, str] = {"SmartRule": "Rule"}
"""Names the door gives a value that its home calls otherwise."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'photoclip.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), _ALIASES.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "MB",
    "demo_model_misused",
    "is_demo_folder",
    "mark_demo_folder",
    "MAX_STARS",
    "CopyReport",
    "UNRATED",
    "Rating",
    "check_stars",
    "ACCEPTED",
    "DEFAULT_DATE_RELEVANCE",
    "DEFAULT_MODEL_KEY",
    "DEFAULT_TEMPLATES",
    "DEFAULT_THRESHOLD",
    "IMPORTED_SET",
    "PEOPLES_OWN_SETS",
    "REJECTED",
    "SIDECAR_NAMINGS",
    "SUGGESTED",
    "TINY_MODEL_KEY",
    "USER_TAGS",
    "Activity",
    "Album",
    "AutoTagProgress",
    "AutoTagReport",
    "CatalogDamaged",
    "CatalogError",
    "ChangeBus",
    "Changes",
    "CacheUsage",
    "Check",
    "DecodeError",
    "DecodedPhoto",
    "DiskFull",
    "DownloadCancelled",
    "ExportReport",
    "Folder",
    "FolderId",
    "FolderStatus",
    "GpsPosition",
    "ImportReport",
    "IndexProgress",
    "IndexReport",
    "Integrity",
    "Label",
    "LabelScore",
    "LabelSet",
    "Library",
    "LibraryError",
    "LibrarySettings",
    "LibraryStatus",
    "LibraryWatcher",
    "ModelInUse",
    "ModelInfo",
    "ModelManager",
    "ModelSpec",
    "ModelSwitch",
    "ModelUnavailable",
    "Outcome",
    "ParsedQuery",
    "Photo",
    "PhotoFilter",
    "PhotoId",
    "PhotoState",
    "PhotoclipError",
    "PhotoExif",
    "QueryError",
    "GroupMember",
    "MeasureProgress",
    "PhotoGroup",
    "RestoreReport",
    "ScanReport",
    "SchemaTooNew",
    "SimilarPhotos",
    "SmartAlbum",
    "SmartRule",
    "TrashReport",
    "TrashedPhoto",
    "SearchHit",
    "SearchResult",
    "SkippedFile",
    "Speed",
    "Tag",
    "TagCount",
    "TagState",
    "ThumbnailStore",
    "cached_weights",
    "catalogue_entry",
    "check_ignore_pattern",
    "check_label_set",
    "clean_ignore_patterns",
    "date_bound",
    "describe_rule",
    "decode_photo",
    "default_cache_dir",
    "default_library_dir",
    "counted",
    "human_bytes",
    "known_models",
    "load_label_set_file",
    "merge_filters",
    "parse_label_set",
    "parse_query",
    "read_exif",
    "relevance_cutoff",
    "repair",
    "resolve_device",
    "run_checks",
    "self_test",
    "write_json_atomic",
    "PhotoPlace",
    "Place",
    "PlaceNode",
    "QueryChip",
    "TextCounts",
    "TextProgress",
    "TextReport",
    "TextStatus",
    "VIDEO_SUFFIXES",
    "kind_of",
    "VideoLimits",
    "frame_at",
    "video_support",
    "SceneHit",
    "SceneRef",
    "SceneSpan",
    "format_clip_time",
    "parse_clip_time",
]

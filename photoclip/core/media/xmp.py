"""XMP sidecars: tags out to other photo tools, keywords in from them. Photos themselves are never written.

Written fields are the ones digiKam, darktable, Lightroom and exiftool read:
dc:subject (flat keywords), lr:hierarchicalSubject ("animals|dog") and
digiKam:TagsList ("animals/dog"). Accepted and user tags become plain keywords.
Unreviewed suggestions are only written when asked, and only under a branch of
their own (photoclip|auto|beach) in the hierarchical fields, so they never leak
into a curated flat keyword list and are replaced wholesale on the next export.

An existing sidecar is merged, not replaced: every other field and every other
keyword stays as it was, namespace prefixes included. The keywords photoclip
wrote last time are remembered in the sidecar (`photoclip:Keywords`), so a tag
removed or renamed since leaves the sidecar too, while keywords other tools or
people wrote are never dropped (one that was there before photoclip wrote the
same word is theirs, and stays). A sidecar is written only if it parses back with
exactly the keywords meant (text XML cannot carry, such as control characters,
is refused before), atomically, with the permissions of the file it replaces; a
read-only sidecar is left alone and reported. Both naming conventions are
supported: photo.jpg.xmp (digiKam, darktable) and photo.xmp (Lightroom), where
a RAW file and its JPEG share one name (see `sidecar_targets`).
"""

from __future__ import annotations

import glob
import io
import logging
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip import __version__
from photoclip.core.errors import LibraryError
from photoclip.core.media.decode import RAW_SUFFIXES, SUPPORTED_SUFFIXES
from photoclip.core.places.names import Place
from photoclip.core.util.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "photoclip": "http://photoclip.app/ns/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpCore": "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
MAX_XMP_BYTES = 8 << 20
"""Sidecars and embedded packets bigger than this are refused (real ones are a few KB)."""
AUTO_BRANCH = ("photoclip", "auto")
_PACKET_START = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
_PACKET_END = '\n<?xpacket end="w"?>\n'


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


@dataclass(frozen=True)
class Keyword:
    """One tag as other tools see it: its path from the root, e.g. ('animals', 'dog')."""

    path: tuple[str, ...]
    suggestion: bool = False  # unreviewed: written under photoclip|auto| only

    def hierarchical(self) -> tuple[str, ...]:
        return AUTO_BRANCH + self.path if self.suggestion else self.path


def sidecar_path(photo: Path, naming: str = "digikam") -> Path:
    """photo.jpg.xmp ("digikam", also darktable) or photo.xmp ("lightroom")."""
    if naming == "digikam":
        return photo.with_name(photo.name + ".xmp")
    if naming == "lightroom":
        return photo.with_suffix(".xmp")
    raise LibraryError(f"Unknown sidecar naming {naming!r}: use digikam or lightroom.")


def existing_sidecar(photo: Path) -> Path | None:
    for naming in ("digikam", "lightroom"):
        candidate = sidecar_path(photo, naming)
        if candidate.is_file():
            return candidate
    return None


def write_sidecar(
    photo: Path,
    keywords: Sequence[Keyword],
    *,
    naming: str = "digikam",
    path: Path | None = None,
    text: str | None = None,
    place: Place | None = None,
) -> Path:
    """Merge keywords (and the text read in the photo, and its place) into its sidecar; returns its path.

    Args:
        path: where the sidecar goes when the caller settled a naming clash (`sidecar_targets`).
        text: the text read in the photo (None: leave the description fields as they are).
        place: where it was taken (None: leave the place fields as they are).
    """
    path = path or sidecar_path(photo, naming)
    for keyword in keywords:
        for part in keyword.path:
            check_xml_text(part, "a keyword")
    text = _XML_FORBIDDEN.sub(" ", text) if text is not None else None
    if _read_only(path):
        raise LibraryError(f"{path.name} is read-only; photoclip leaves it as it is.")
    tree, descriptions = _load_or_create(path)
    previous = {tuple(v.split("|")) for v in (i for d in descriptions for i in _items(d, _q("photoclip", "Keywords")))}
    plain = [k for k in keywords if not k.suggestion]
    theirs = _written_by_others(descriptions, previous)
    ours = [k for k in plain if k.path in previous or not theirs(k.path)]
    dropped = previous - {k.path for k in plain}  # ours last time, not any more: removed or renamed since
    _merge_bag(
        descriptions,
        _q("dc", "subject"),
        [k.path[-1] for k in plain],
        drop_prefix=None,
        drop={p[-1] for p in dropped} - {k.path[-1] for k in plain},
    )
    hierarchical = [k.hierarchical() for k in keywords]
    _merge_bag(
        descriptions,
        _q("lr", "hierarchicalSubject"),
        ["|".join(h) for h in hierarchical],
        drop_prefix="|".join(AUTO_BRANCH) + "|",
        drop={"|".join(p) for p in dropped},
    )
    _merge_bag(
        descriptions,
        _q("digiKam", "TagsList"),
        ["/".join(h) for h in hierarchical],
        drop_prefix="/".join(AUTO_BRANCH) + "/",
        drop={"/".join(p) for p in dropped},
        container="Seq",
    )
    _merge_bag(descriptions, _q("photoclip", "Keywords"), ["|".join(k.path) for k in ours], drop_prefix="")
    if text is not None:
        _set_description(descriptions, text)
    if place is not None:
        _set_place(descriptions, place)
    data = (_PACKET_START + ET.tostring(tree.getroot(), encoding="unicode") + _PACKET_END).encode("utf-8")
    _check_parses_back(path, data, plain)
    write_bytes_atomic(path, data)
    return path


def check_xml_text(text: str, what: str) -> str:
    """`text` if XML can carry it (and so every sidecar and every XMP reader), else a LibraryError saying why."""
    bad = _XML_FORBIDDEN.search(text)
    if bad is not None:
        raise LibraryError(
            f"{what[:1].upper()}{what[1:]} {text!r} contains a control character (U+{ord(bad.group()):04X}) that XMP "
            "files cannot hold; remove it."
        )
    return text


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 forbids (and DEL, which XMP readers choke on); tab, newline and return are allowed."""


def _read_only(path: Path) -> bool:
    """An existing file with no write permission for anyone, or none for us.

    The mode bits decide, not only `os.access`: root may write anything, yet a file
    someone made read-only (chmod a-w) is meant to stay as it is.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK)


def _written_by_others(
    descriptions: list[ET.Element], previous: set[tuple[str, ...]]
) -> Callable[[tuple[str, ...]], bool]:
    """Whether a keyword path is already in the sidecar, put there by another tool or person (not by us).

    Such a keyword is never recorded as ours, so removing the tag in photoclip later leaves it
    where the other tool put it.
    """
    ours_hierarchical = {"|".join(p) for p in previous}
    ours_tags_list = {"/".join(p) for p in previous}
    ours_flat = {p[-1] for p in previous}
    hierarchical = {v for d in descriptions for v in _items(d, _q("lr", "hierarchicalSubject"))} - ours_hierarchical
    tags_list = {v for d in descriptions for v in _items(d, _q("digiKam", "TagsList"))} - ours_tags_list
    flat = {v for d in descriptions for v in _items(d, _q("dc", "subject"))} - ours_flat

    def theirs(path: tuple[str, ...]) -> bool:
        return "|".join(path) in hierarchical or "/".join(path) in tags_list or path[-1] in flat

    return theirs


def _check_parses_back(path: Path, data: bytes, plain: Sequence[Keyword]) -> None:
    """Never replace a sidecar with one that strict readers would reject or that lost a keyword."""
    try:
        found = set(read_keywords(data))
    except LibraryError as e:
        raise LibraryError(f"{path.name} was not written: the new sidecar would not read back ({e}).") from e
    missing = [k.path for k in plain if k.path not in found and (k.path[-1],) not in found]
    if missing:
        raise LibraryError(f"{path.name} was not written: {missing[0]} would not read back from it.")


def sidecar_targets(photos: Sequence[Path], naming: str) -> dict[Path, tuple[Path, str | None]]:
    """Where each photo's sidecar goes, and a warning when a naming clash moved it.

    With digiKam naming (photo.jpg.xmp) every photo has its own. With Lightroom naming
    (photo.xmp), photos that share a name up to the extension would share one file, so
    the rule of Lightroom, darktable and digiKam for RAW+JPEG pairs applies: the RAW
    file owns name.xmp (the JPEG beside it is its preview); every other file of the
    group, and all of them when none is a RAW, gets name.ext.xmp, with a warning.
    Nothing is ever merged across photos.
    """
    targets: dict[Path, tuple[Path, str | None]] = {}
    groups: dict[Path, list[Path]] = {}
    for photo in photos:
        if naming == "lightroom":
            groups.setdefault(photo.with_suffix(""), []).append(photo)
        else:
            targets[photo] = (sidecar_path(photo, naming), None)
    for group in groups.values():
        siblings = sorted(set(group) | set(_siblings(group[0])))
        raws = [p for p in siblings if p.suffix.lower() in RAW_SUFFIXES]
        owner = siblings[0] if len(siblings) == 1 else raws[0] if len(raws) == 1 else None
        for photo in group:
            if photo == owner:
                targets[photo] = (sidecar_path(photo, "lightroom"), None)
            else:
                own = sidecar_path(photo, "digikam")
                others = ", ".join(p.name for p in siblings if p != photo)
                targets[photo] = (own, f"{photo.name} shares its name with {others}; its tags went to {own.name}")
    return targets


def _siblings(photo: Path) -> list[Path]:
    """Other photos in the same folder with the same name up to the extension."""
    try:
        return [
            p
            for p in photo.parent.glob(glob.escape(photo.stem) + ".*")
            if p.suffix.lower() in SUPPORTED_SUFFIXES and p.suffix.lower() != ".xmp"
        ]
    except OSError:
        return []


def read_keywords(xmp: bytes | str) -> list[tuple[str, ...]]:
    """Keyword paths found in an XMP packet (hierarchical fields first, then flat dc:subject); linear time."""
    data = _strip_packet(xmp)
    if len(data) > MAX_XMP_BYTES:
        raise LibraryError(f"The XMP data is {len(data) / 1e6:.0f} MB, more than XMP metadata ever is; not read.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise LibraryError(f"The XMP data cannot be read: {e}") from e
    paths: list[tuple[str, ...]] = []
    for description in root.iter(_q("rdf", "Description")):
        for li in _items(description, _q("lr", "hierarchicalSubject")):
            paths.append(_clean(li.split("|")))
        for li in _items(description, _q("digiKam", "TagsList")):
            paths.append(_clean(li.split("/")))
        for li in _items(description, _q("dc", "subject")):
            paths.append(_clean([li]))
    leaves_with_path = {p[-1] for p in paths if len(p) > 1}
    unique = dict.fromkeys(p for p in paths if p and not (len(p) == 1 and p[0] in leaves_with_path))
    return [p for p in unique if p[: len(AUTO_BRANCH)] != AUTO_BRANCH]


def _clean(parts: Iterable[str]) -> tuple[str, ...]:
    """A keyword path without the characters XMP must not hold (DEL is valid XML but not for XMP readers)."""
    cleaned = (_XML_FORBIDDEN.sub("", part).strip() for part in parts)
    return tuple(part for part in cleaned if part)


def read_sidecar_keywords(photo: Path) -> list[tuple[str, ...]]:
    path = existing_sidecar(photo)
    if path is None:
        return []
    size = path.stat().st_size
    if size > MAX_XMP_BYTES:
        raise LibraryError(f"{path.name} is {size / 1e6:.0f} MB, more than an XMP sidecar ever is; not read.")
    return read_keywords(path.read_bytes())


def embedded_keywords(photo: Path) -> list[tuple[str, ...]]:
    """Keywords stored inside the photo: its XMP packet, else IPTC keywords (read-only access); linear time."""
    from PIL import Image, IptcImagePlugin

    data = photo.read_bytes()
    packet = _first_packet(data)
    if packet is not None:
        try:
            found = read_keywords(packet)
        except LibraryError:
            found = []
        if found:
            return found
    try:
        with Image.open(io.BytesIO(data)) as image:
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # an unreadable photo simply has no keywords for us
        return []
    raw = iptc.get((2, 25), [])
    values = raw if isinstance(raw, list) else [raw]
    words = (_XML_FORBIDDEN.sub("", v.decode("utf-8", "replace")).strip() for v in values)
    return [(w,) for w in dict.fromkeys(words) if w]


def _first_packet(data: bytes) -> bytes | None:
    """The first complete <x:xmpmeta> ... </x:xmpmeta> in a file, found in linear time.

    (A regular expression with a lazy `.*?` restarts at every opening tag: a file full of
    unclosed tags made it quadratic, 17 s for 195 KB.)
    """
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start)
    if end < 0 or end - start > MAX_XMP_BYTES:
        return None
    return data[start : end + len(b"</x:xmpmeta>")]


# -- XML plumbing ------------------------------------------------------------------------------


def _strip_packet(xmp: bytes | str) -> bytes:
    data = xmp.encode("utf-8") if isinstance(xmp, str) else xmp
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        start = data.find(b"<rdf:RDF")
    end_meta = data.rfind(b"</x:xmpmeta>")
    if start >= 0 and end_meta > start:
        return data[start : end_meta + len(b"</x:xmpmeta>")]
    return data[max(start, 0) :]


def _register_prefixes(data: bytes) -> None:
    """Keep the prefixes the file already uses (ElementTree would rename them ns0, ns1, ...)."""
    for _, (prefix, uri) in ET.iterparse(io.BytesIO(data), events=("start-ns",)):
        if prefix and not prefix.startswith("ns"):
            ET.register_namespace(prefix, uri)
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)


def _load_or_create(path: Path) -> tuple[ET.ElementTree[ET.Element], list[ET.Element]]:
    """The XMP tree and its rdf:Description elements (tools such as exiftool write one per namespace)."""
    if path.is_file():
        if path.stat().st_size > MAX_XMP_BYTES:
            raise LibraryError(f"{path.name} is larger than an XMP sidecar ever is; photoclip leaves it alone.")
        data = _strip_packet(path.read_bytes())
        try:
            _register_prefixes(data)
            root = ET.fromstring(data)
        except ET.ParseError as e:
            raise LibraryError(f"{path} is not valid XMP ({e}); photoclip leaves it alone.") from e
        if root.tag == _q("rdf", "RDF"):
            meta = ET.Element(_q("x", "xmpmeta"))
            meta.append(root)
            root = meta
        rdf = root.find(_q("rdf", "RDF"))
        if rdf is None:
            rdf = ET.SubElement(root, _q("rdf", "RDF"))
        descriptions = rdf.findall(_q("rdf", "Description"))
        if not descriptions:
            descriptions = [ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})]
        return ET.ElementTree(root), descriptions
    for prefix, uri in NS.items():
        ET.register_namespace(prefix, uri)
    root = ET.Element(_q("x", "xmpmeta"), {_q("x", "xmptk"): f"photoclip {__version__}"})
    rdf = ET.SubElement(root, _q("rdf", "RDF"))
    description = ET.SubElement(rdf, _q("rdf", "Description"), {_q("rdf", "about"): ""})
    return ET.ElementTree(root), [description]


def _items(description: ET.Element, tag: str) -> list[str]:
    values: list[str] = []
    attribute = description.get(tag)
    if attribute:
        values.append(attribute)
    for prop in description.findall(tag):
        values += [li.text.strip() for li in prop.iter(_q("rdf", "li")) if li.text and li.text.strip()]
        if prop.text and prop.text.strip() and not len(prop):
            values.append(prop.text.strip())
    return values


def _merge_bag(
    descriptions: list[ET.Element],
    tag: str,
    values: Iterable[str],
    *,
    drop_prefix: str | None,
    drop: set[str] | None = None,
    container: str = "Bag",
) -> None:
    """Union of the existing items (in any Description) and ours.

    Items under `drop_prefix` (our suggestion branch) and in `drop` (what we wrote last
    time and no longer hold) are ours to rewrite; everything else stays.
    """
    drop = drop or set()
    existing = [
        v
        for d in descriptions
        for v in _items(d, tag)
        if not (drop_prefix is not None and v.startswith(drop_prefix)) and v not in drop
    ]
    merged = list(dict.fromkeys(existing + list(values)))
    for description in descriptions:
        if tag in description.attrib:
            del description.attrib[tag]
        for old in description.findall(tag):
            description.remove(old)
    if not merged:
        return
    prop = ET.SubElement(descriptions[0], tag)
    bag = ET.SubElement(prop, _q("rdf", container))
    for value in merged:
        ET.SubElement(bag, _q("rdf", "li")).text = value


# -- the text read in a photo, and its place ------------------------------------------------------

_PLACE_FIELDS = (
    ("photoshop", "City"),
    ("photoshop", "State"),
    ("photoshop", "Country"),
    ("Iptc4xmpCore", "CountryCode"),
)


@dataclass(frozen=True)
class XmpLocation:
    """Location facts in an XMP packet: GPS coordinates, and place names a person set."""

    latitude: float | None = None
    longitude: float | None = None
    place: Place | None = None  # None when empty or when photoclip wrote them itself


def _simple(descriptions: list[ET.Element], tag: str) -> str:
    """A simple property's value, written as an attribute or as an element."""
    for description in descriptions:
        value = description.get(tag)
        if value is None:
            element = description.find(tag)
            value = element.text if element is not None and not len(element) else None
        if value and value.strip():
            return value.strip()
    return ""


def _put_simple(descriptions: list[ET.Element], tag: str, value: str) -> None:
    for description in descriptions:
        description.attrib.pop(tag, None)
        for old in description.findall(tag):
            description.remove(old)
    if value:
        ET.SubElement(descriptions[0], tag).text = value


def _description_text(descriptions: list[ET.Element]) -> str:
    """dc:description's default-language text."""
    tag = _q("dc", "description")
    for description in descriptions:
        for prop in description.findall(tag):
            items = list(prop.iter(_q("rdf", "li")))
            default = [li for li in items if li.get(_q("xml", "lang")) == "x-default"] or items
            if default and default[0].text:
                return default[0].text.strip()
            if prop.text and prop.text.strip() and not len(prop):
                return prop.text.strip()
        if description.get(tag):
            return str(description.get(tag)).strip()
    return ""


def _set_description(descriptions: list[ET.Element], text: str) -> None:
    """The text read in the photo as its description, unless the description is a person's."""
    ours_before = _simple(descriptions, _q("photoclip", "Text"))
    current = _description_text(descriptions)
    _put_simple(descriptions, _q("photoclip", "Text"), text)
    if current and current != ours_before:
        return  # their caption stays
    tag = _q("dc", "description")
    for description in descriptions:
        description.attrib.pop(tag, None)
        for old in description.findall(tag):
            description.remove(old)
    if text:
        alt = ET.SubElement(ET.SubElement(descriptions[0], tag), _q("rdf", "Alt"))
        ET.SubElement(alt, _q("rdf", "li"), {_q("xml", "lang"): "x-default"}).text = text


def _set_place(descriptions: list[ET.Element], place: Place) -> None:
    """City, state, country and country code, each where it is empty or still photoclip's."""
    recorded = _simple(descriptions, _q("photoclip", "Place")).split("|")
    ours_before = recorded if len(recorded) == len(_PLACE_FIELDS) else [""] * len(_PLACE_FIELDS)
    values = (place.city, place.region, place.country, place.country_code)
    for (prefix, name), value, before in zip(_PLACE_FIELDS, values, ours_before, strict=True):
        check_xml_text(value, "a place name")
        tag = _q(prefix, name)
        current = _simple(descriptions, tag)
        if not current or current == before:
            _put_simple(descriptions, tag, value)
    _put_simple(descriptions, _q("photoclip", "Place"), "|".join(values) if place else "")


def read_location(xmp: bytes | str) -> XmpLocation:
    """GPS coordinates and a person's place names in an XMP packet."""
    data = _strip_packet(xmp)
    if len(data) > MAX_XMP_BYTES:
        raise LibraryError(f"The XMP data is {len(data) / 1e6:.0f} MB, more than XMP metadata ever is; not read.")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise LibraryError(f"The XMP data cannot be read: {e}") from e
    descriptions = list(root.iter(_q("rdf", "Description")))
    latitude = parse_xmp_coordinate(_simple(descriptions, _q("exif", "GPSLatitude")))
    longitude = parse_xmp_coordinate(_simple(descriptions, _q("exif", "GPSLongitude")))
    if latitude is None or longitude is None:
        latitude = longitude = None
    values = [_XML_FORBIDDEN.sub("", _simple(descriptions, _q(p, n))) for p, n in _PLACE_FIELDS]
    ours = _simple(descriptions, _q("photoclip", "Place")).split("|")
    place = Place(*values)
    if not place or values == ours:
        return XmpLocation(latitude, longitude, None)
    return XmpLocation(latitude, longitude, place)


def parse_xmp_coordinate(value: str) -> float | None:
    """XMP's GPS form, "DDD,MM.mmk" or "DDD,MM,SSk" (k one of NSEW), or plain decimal degrees."""
    text = value.strip().upper()
    if not text:
        return None
    sign = 1.0
    if text[-1] in "NSEW":
        sign = -1.0 if text[-1] in "SW" else 1.0
        text = text[:-1]
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        return None
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts[1:]):
        return None
    parts += [0.0] * (3 - len(parts))
    degrees = abs(parts[0]) + parts[1] / 60 + parts[2] / 3600
    return sign * (-degrees if parts[0] < 0 else degrees)


def read_sidecar_location(photo: Path) -> XmpLocation | None:
    """The location in the photo's sidecar, if it has one."""
    path = existing_sidecar(photo)
    if path is None or path.stat().st_size > MAX_XMP_BYTES:
        return None
    return read_location(path.read_bytes())


def embedded_location(photo: Path) -> XmpLocation | None:
    """Place names a person set inside the photo itself: its XMP packet, else its IPTC fields."""
    from PIL import Image, IptcImagePlugin

    data = photo.read_bytes()
    packet = _first_packet(data)
    if packet is not None:
        try:
            found = read_location(packet)
        except LibraryError:
            found = None
        if found is not None and found.place is not None:
            return found
    try:
        with Image.open(io.BytesIO(data)) as image:
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception:  # an unreadable photo simply has no place for us
        return None

    def field(key: tuple[int, int]) -> str:
        value = iptc.get(key, b"")
        value = value[0] if isinstance(value, list) and value else value
        return _XML_FORBIDDEN.sub("", value.decode("utf-8", "replace")).strip() if isinstance(value, bytes) else ""

    place = Place(field((2, 90)), field((2, 95)), field((2, 101)), field((2, 100)))
    return XmpLocation(place=place) if place else None

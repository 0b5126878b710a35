"""XMP sidecars: tags out to other photo tools, keywords in from them. Photos themselves are never written.

Written fields are the ones digiKam, darktable, Lightroom and exiftool read:
dc:subject (flat keywords), lr:hierarchicalSubject ("animals|dog") and
digiKam:TagsList ("animals/dog"). Accepted and user tags become plain keywords.
Unreviewed suggestions are only written when asked, and only under a branch of
their own (photoclip|auto|beach) in the hierarchical fields, so they never leak
into a curated flat keyword list and are replaced wholesale on the next export.

An existing sidecar is merged, not replaced: every other field and every other
keyword stays as it was, namespace prefixes included. Files are replaced
atomically. Both naming conventions are supported: photo.jpg.xmp (digiKam,
darktable) and photo.xmp (Lightroom).
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from photoclip import __version__
from photoclip.core.errors import LibraryError
from photoclip.core.util.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
}
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


def write_sidecar(photo: Path, keywords: Sequence[Keyword], *, naming: str = "digikam") -> Path:
    """Merge keywords into the photo's sidecar (creating it if needed); returns its path."""
    path = sidecar_path(photo, naming)
    tree, descriptions = _load_or_create(path)
    plain = [k for k in keywords if not k.suggestion]
    _merge_bag(descriptions, _q("dc", "subject"), [k.path[-1] for k in plain], drop_prefix=None)
    hierarchical = [k.hierarchical() for k in keywords]
    auto_prefix = "|".join(AUTO_BRANCH) + "|"
    _merge_bag(
        descriptions, _q("lr", "hierarchicalSubject"), ["|".join(h) for h in hierarchical], drop_prefix=auto_prefix
    )
    _merge_bag(
        descriptions,
        _q("digiKam", "TagsList"),
        ["/".join(h) for h in hierarchical],
        drop_prefix="/".join(AUTO_BRANCH) + "/",
        container="Seq",
    )
    body = ET.tostring(tree.getroot(), encoding="unicode")
    write_bytes_atomic(path, (_PACKET_START + body + _PACKET_END).encode("utf-8"))
    return path


def read_keywords(xmp: bytes | str) -> list[tuple[str, ...]]:
    """Keyword paths found in an XMP packet (hierarchical fields first, then flat dc:subject)."""
    try:
        root = ET.fromstring(_strip_packet(xmp))
    except ET.ParseError as e:
        raise LibraryError(f"The XMP data cannot be read: {e}") from e
    paths: list[tuple[str, ...]] = []
    for description in root.iter(_q("rdf", "Description")):
        for li in _items(description, _q("lr", "hierarchicalSubject")):
            paths.append(tuple(p for p in li.split("|") if p))
        for li in _items(description, _q("digiKam", "TagsList")):
            paths.append(tuple(p for p in li.split("/") if p))
        for li in _items(description, _q("dc", "subject")):
            paths.append((li,))
    unique: list[tuple[str, ...]] = []
    leaves_with_path = {p[-1] for p in paths if len(p) > 1}
    for path in paths:
        if path and path not in unique and not (len(path) == 1 and path[0] in leaves_with_path):
            unique.append(path)
    return [p for p in unique if p[: len(AUTO_BRANCH)] != AUTO_BRANCH]


def read_sidecar_keywords(photo: Path) -> list[tuple[str, ...]]:
    path = existing_sidecar(photo)
    return read_keywords(path.read_bytes()) if path else []


def embedded_keywords(photo: Path) -> list[tuple[str, ...]]:
    """Keywords stored inside the photo: its XMP packet, else IPTC keywords (read-only access)."""
    from PIL import Image, IptcImagePlugin

    data = photo.read_bytes()
    match = re.search(rb"<x:xmpmeta.*?</x:xmpmeta>", data, re.DOTALL)
    if match:
        try:
            found = read_keywords(match.group(0))
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
    return [(v.decode("utf-8", "replace").strip(),) for v in values if v.strip()]


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
    container: str = "Bag",
) -> None:
    """Union of the existing items (in any Description) and ours; items under `drop_prefix` are ours to rewrite."""
    existing = [v for d in descriptions for v in _items(d, tag) if not (drop_prefix and v.startswith(drop_prefix))]
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

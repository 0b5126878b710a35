"""Camera RAW through the real rawpy/LibRaw: DNG files written at run time with pidng, decoded and indexed.

The unit tests drive the RAW path with a stand-in rawpy; these make sure LibRaw itself agrees: a Bayer mosaic is
demosaiced into the right colours when a file has no preview, the embedded JPEG preview is used when it has one,
and the camera's rotation, date and make/model reach the catalog.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photoclip.core import Library
from photoclip.core.clip.embedder import Embedder
from photoclip.core.media.decode import decode_photo, read_photo
from photoclip.demo import save_photo
from photoclip.demo.shapes import random_scene, render

pytest.importorskip("rawpy", reason="RAW decoding needs the optional rawpy package (the formats extra)")
pidng_dng = pytest.importorskip("pidng.dng", reason="writing test DNGs needs pidng (the test extra)")
pidng_defs = pytest.importorskip("pidng.defs")

Tag = pidng_dng.Tag
WHITE = 65535
HIGH, LOW = 40000, 2000  # bright and dark sensor values, well inside 0..WHITE
RED, BLUE, GREEN, YELLOW = (255, 0, 0), (0, 0, 255), (0, 200, 0), (230, 230, 0)


def red_blue_mosaic(width: int, height: int) -> np.ndarray:
    """What an RGGB sensor records of a scene that is pure red on the left half and pure blue on the right."""
    mosaic = np.full((height, width), LOW, dtype=np.uint16)
    left = width // 2
    mosaic[0::2, 0:left:2] = HIGH  # red photosites, left half
    mosaic[1::2, left + 1 :: 2] = HIGH  # blue photosites, right half
    return mosaic


def write_dng(
    path: Path,
    mosaic: np.ndarray,
    *,
    preview: Image.Image | None = None,
    orientation: int = 1,
    taken_at: str = "2021:06:05 14:30:00",
) -> Path:
    """A minimal DNG 1.4: IFD0 is the 16-bit uncompressed RGGB sensor data with the colour tags a raw converter
    needs (identity colour matrix, neutral white balance). With ``preview``, a second IFD chained after it holds
    the camera's JPEG preview (NewSubfileType 1), as some cameras write it. pidng's SubIFD writing is broken on
    Python 3, so the preview is chained rather than in a SubIFD."""
    defs = pidng_defs
    height, width = mosaic.shape
    dng = pidng_dng.DNG()
    dng.ImageDataStrips.append(np.ascontiguousarray(mosaic, dtype="<u2").tobytes())
    raw_offsets = pidng_dng.dngTag(Tag.TileOffsets, [0])
    identity = [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]
    raw_ifd = pidng_dng.dngIFD()
    raw_ifd.tags += [
        pidng_dng.dngTag(Tag.NewSubfileType, [0]),
        pidng_dng.dngTag(Tag.ImageWidth, [width]),
        pidng_dng.dngTag(Tag.ImageLength, [height]),
        pidng_dng.dngTag(Tag.TileWidth, [width]),
        pidng_dng.dngTag(Tag.TileLength, [height]),
        raw_offsets,
        pidng_dng.dngTag(Tag.TileByteCounts, [width * height * 2]),
        pidng_dng.dngTag(Tag.Compression, [defs.Compression.Uncompressed]),
        pidng_dng.dngTag(Tag.PhotometricInterpretation, [defs.PhotometricInterpretation.Color_Filter_Array]),
        pidng_dng.dngTag(Tag.SamplesPerPixel, [1]),
        pidng_dng.dngTag(Tag.BitsPerSample, [16]),
        pidng_dng.dngTag(Tag.CFARepeatPatternDim, [2, 2]),
        pidng_dng.dngTag(Tag.CFAPattern, defs.CFAPattern.RGGB),
        pidng_dng.dngTag(Tag.BlackLevel, [0]),
        pidng_dng.dngTag(Tag.WhiteLevel, [WHITE]),
        pidng_dng.dngTag(Tag.Orientation, [orientation]),
        pidng_dng.dngTag(Tag.Make, "PhotoclipTest"),
        pidng_dng.dngTag(Tag.Model, "Synthetic"),
        pidng_dng.dngTag(Tag.DateTime, taken_at),
        pidng_dng.dngTag(Tag.Software, "photoclip tests"),
        pidng_dng.dngTag(Tag.DNGVersion, defs.DNGVersion.V1_4),
        pidng_dng.dngTag(Tag.DNGBackwardVersion, defs.DNGVersion.V1_2),
        pidng_dng.dngTag(Tag.UniqueCameraModel, "PhotoclipTest Synthetic"),
        pidng_dng.dngTag(Tag.ColorMatrix1, identity),
        pidng_dng.dngTag(Tag.CalibrationIlluminant1, [defs.CalibrationIlluminant.D65]),
        pidng_dng.dngTag(Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]),
    ]
    dng.IFDs.append(raw_ifd)
    preview_ifd = preview_offsets = None
    if preview is not None:
        jpeg = io.BytesIO()
        preview.convert("RGB").save(jpeg, "JPEG", quality=95)
        dng.ImageDataStrips.append(jpeg.getvalue())
        preview_offsets = pidng_dng.dngTag(Tag.StripOffsets, [0])
        preview_ifd = pidng_dng.dngIFD()
        preview_ifd.tags += [
            pidng_dng.dngTag(Tag.NewSubfileType, [1]),  # a reduced-resolution copy of the main image
            pidng_dng.dngTag(Tag.ImageWidth, [preview.width]),
            pidng_dng.dngTag(Tag.ImageLength, [preview.height]),
            pidng_dng.dngTag(Tag.BitsPerSample, [8, 8, 8]),
            pidng_dng.dngTag(Tag.Compression, [7]),  # JPEG
            pidng_dng.dngTag(Tag.PhotometricInterpretation, [6]),  # YCbCr
            pidng_dng.dngTag(Tag.SamplesPerPixel, [3]),
            preview_offsets,
            pidng_dng.dngTag(Tag.RowsPerStrip, [preview.height]),
            pidng_dng.dngTag(Tag.StripByteCounts, [len(jpeg.getvalue())]),
        ]
        dng.IFDs.append(preview_ifd)
    total = dng.dataLen()  # also lays out the image data after the IFDs
    raw_offsets.setValue([dng.StripOffsets[0]])
    if preview_offsets is not None:
        preview_offsets.setValue([dng.StripOffsets[1]])
    buffer = bytearray(total)
    dng.setBuffer(buffer)
    if preview_ifd is not None:
        raw_ifd.NextIFDOffset = preview_ifd.offset
    dng.write()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(buffer))
    return path


def two_tone(size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", size, top)
    image.paste(bottom, (0, size[1] // 2, size[0], size[1]))
    return image


def mean_rgb(pixels: np.ndarray) -> np.ndarray:
    return np.asarray(pixels.reshape(-1, 3).mean(axis=0), dtype=float)


def assert_close(actual: np.ndarray, expected: tuple[int, int, int], tolerance: float = 40) -> None:
    assert np.abs(actual - np.array(expected)).max() < tolerance, (actual, expected)


def test_libraw_reads_the_generated_dng_as_written(tmp_path: Path) -> None:
    """The fixture itself: LibRaw sees an RGGB sensor of the written size and no preview."""
    import rawpy

    path = write_dng(tmp_path / "plain.dng", red_blue_mosaic(64, 48))
    with rawpy.imread(str(path)) as raw:
        assert (raw.sizes.width, raw.sizes.height, raw.sizes.flip) == (64, 48, 0)
        assert raw.color_desc == b"RGBG" and raw.raw_pattern is not None
        assert raw.raw_pattern.tolist() == [[0, 1], [3, 2]]
        assert int(raw.raw_image_visible.max()) == HIGH
        with pytest.raises(rawpy.LibRawNoThumbnailError):
            raw.extract_thumb()


def test_dng_without_preview_is_demosaiced_at_half_size(tmp_path: Path) -> None:
    path = write_dng(tmp_path / "IMG_0001.DNG", red_blue_mosaic(64, 48))
    decoded = decode_photo(path)
    assert decoded.image.mode == "RGB" and decoded.image.size == (32, 24)  # LibRaw's half-size render
    info = decoded.info
    assert (info.width, info.height, info.file_type) == (64, 48, "dng")  # the sensor's full size
    assert info.camera == "PhotoclipTest Synthetic" and info.taken_at == "2021-06-05T14:30:00"
    pixels = np.asarray(decoded.image)
    left, right = mean_rgb(pixels[:, 2:14]), mean_rgb(pixels[:, 18:30])  # away from the seam
    assert left[0] > 200 and left[0] > 3 * max(left[1], left[2]), left  # red dominates the left half
    assert right[2] > 150 and right[2] > 3 * max(right[0], right[1]), right  # blue the right half
    photo = read_photo(path)
    assert photo.size == path.stat().st_size and decoded.content_hash == photo.content_hash


def test_dng_without_preview_stands_upright(tmp_path: Path) -> None:
    """Orientation 6 (turn 90 degrees clockwise): the red left half ends up on top."""
    path = write_dng(tmp_path / "portrait.dng", red_blue_mosaic(64, 48), orientation=6)
    decoded = decode_photo(path)
    assert decoded.image.size == (24, 32) and (decoded.info.width, decoded.info.height) == (48, 64)
    pixels = np.asarray(decoded.image)
    top, bottom = mean_rgb(pixels[2:14]), mean_rgb(pixels[18:30])
    assert top[0] > 3 * max(top[1], top[2]) and bottom[2] > 3 * max(bottom[0], bottom[1]), (top, bottom)


def test_dng_with_preview_uses_the_preview(tmp_path: Path) -> None:
    """The preview (green over yellow, full size) differs from the sensor data (red | blue) in both colour and
    decoded size, so the result shows which one photoclip used."""
    preview = two_tone((64, 48), GREEN, YELLOW)
    path = write_dng(tmp_path / "with-preview.dng", red_blue_mosaic(64, 48), preview=preview)
    decoded = decode_photo(path)
    assert decoded.image.mode == "RGB" and decoded.image.size == (64, 48)
    assert (decoded.info.width, decoded.info.height, decoded.info.file_type) == (64, 48, "dng")
    assert decoded.info.camera == "PhotoclipTest Synthetic" and decoded.info.taken_at == "2021-06-05T14:30:00"
    pixels = np.asarray(decoded.image)
    assert_close(mean_rgb(pixels[4:20]), GREEN)
    assert_close(mean_rgb(pixels[28:44]), YELLOW)


def test_dng_preview_is_turned_by_the_raw_orientation(tmp_path: Path) -> None:
    """Previews are stored as the sensor saw them; LibRaw's flip stands them upright (90 degrees clockwise here:
    the green top ends up on the right)."""
    preview = two_tone((64, 48), GREEN, YELLOW)
    path = write_dng(tmp_path / "turned.dng", red_blue_mosaic(64, 48), preview=preview, orientation=6)
    decoded = decode_photo(path)
    assert decoded.image.size == (48, 64) and (decoded.info.width, decoded.info.height) == (48, 64)
    pixels = np.asarray(decoded.image)
    assert_close(mean_rgb(pixels[:, 4:20]), YELLOW)
    assert_close(mean_rgb(pixels[:, 28:44]), GREEN)


def test_dng_files_are_indexed_and_searchable(tmp_path: Path, tiny_embedder: Embedder) -> None:
    """The whole pipeline: scan, read, decode through LibRaw, embed, catalogue, search."""
    photos = tmp_path / "photos"
    scene = render(random_scene(random.Random(5), colour="yellow", shape="cross", size="large"), 320, 240)
    write_dng(photos / "IMG_0002.dng", red_blue_mosaic(320, 240), preview=scene)
    write_dng(photos / "IMG_0003.DNG", red_blue_mosaic(320, 240))
    save_photo(render(random_scene(random.Random(4), colour="red", shape="circle"), 320, 240), photos / "o.jpg")
    with Library.open(tmp_path / "library", model="photoclip-tiny", embedder=tiny_embedder) as library:
        library.folders.add(photos)
        report = library.indexer.update()
        assert report.embedded == 3 and report.skipped == 0
        for name in ("IMG_0002.dng", "IMG_0003.DNG"):
            photo = library.catalog.photo_by_path(photos / name)
            assert photo is not None and photo.state.value == "ok", (name, photo and photo.error)
            assert photo.file_type == "dng" and (photo.width, photo.height) == (320, 240), name
            assert photo.camera == "PhotoclipTest Synthetic", name
        assert library.searcher.search("a yellow cross", limit=1).hits[0].path.name == "IMG_0002.dng"

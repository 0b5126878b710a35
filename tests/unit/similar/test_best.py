"""The best-shot score: which photo of a group to keep, and the words for why."""

from __future__ import annotations

from pathlib import Path

from photoclip.core.similar.best import Shot, rank, relation, why_best


def shot(i: int, **changes: object) -> Shot:
    values: dict[str, object] = {
        "id": i,
        "path": Path(f"/p/{i}.jpg"),
        "width": 4000,
        "height": 3000,
        "size": 4_000_000,
        "file_type": "jpeg",
        "sharpness": 0.2,
        "clipping": 0.001,
        "luma": 120.0,
        "contrast": 50.0,
        "content_hash": f"h{i}",
        "mtime_ns": 1_000 + i,
    }
    values.update(changes)
    return Shot(**values)  # type: ignore[arg-type]


def test_the_sharpest_frame_of_a_burst_is_kept_and_said_to_be_sharper() -> None:
    frames = [shot(1, sharpness=0.1), shot(2, sharpness=0.3), shot(3, sharpness=0.12)]
    ranked = rank(frames, burst=True)
    assert ranked[0][0].id == 2
    assert why_best(ranked[0][0], [s for s, _ in ranked[1:]], burst=True) == ["sharper"]


def test_the_full_size_original_beats_its_smaller_newer_copy() -> None:
    original = shot(1)
    copy = shot(2, width=1000, height=750, size=300_000, mtime_ns=9_999)
    ranked = rank([copy, original])
    assert ranked[0][0] is original
    assert "larger" in why_best(original, [copy])
    assert relation(copy, original, hamming=2) == "resized"


def test_a_better_exposed_frame_wins_a_burst() -> None:
    blown = shot(1, clipping=0.2)
    fine = shot(2, clipping=0.01)
    assert rank([blown, fine], burst=True)[0][0] is fine
    assert "better exposed" in why_best(fine, [blown], burst=True)


def test_what_you_tagged_counts() -> None:
    plain, yours = shot(1), shot(2, marks=2)
    assert rank([plain, yours])[0][0] is yours
    assert "tagged or kept in an album by you" in why_best(yours, [plain])


def test_identical_files_keep_the_first_found() -> None:
    a, b = shot(1, content_hash="same"), shot(2, content_hash="same", mtime_ns=1_001)
    ranked = rank([b, a])
    assert ranked[0][0].id == 1
    assert relation(b, a, 0) == "same file"


def test_relations_say_how_a_copy_differs() -> None:
    best = shot(1)
    assert relation(shot(2, size=2_000_000), best, 1) == "re-encoded"
    assert relation(shot(3, luma=135.0), best, 1) == "edited"
    assert relation(shot(4, width=3600, height=2900), best, 12) == "cropped"

"""What an edit changed: merging and truth of `Changes`, and delivery on the `ChangeBus`."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from photoclip.core.changes import NOTHING, ChangeBus, Changes, Outcome
from photoclip.core.store.records import PhotoId


def ids(*numbers: int) -> frozenset[PhotoId]:
    return frozenset(PhotoId(n) for n in numbers)


def test_nothing_is_false_and_every_kind_of_change_is_true() -> None:
    assert not NOTHING
    assert not Changes()
    for flag in ("photos", "tags", "albums", "folders", "label_sets", "settings", "model"):
        flags: dict[str, Any] = {flag: True}
        assert Changes(**flags), flag


def test_or_merges_every_flag_and_unites_the_tagged_photos() -> None:
    left = Changes(photos=True, tags=True, tagged=ids(1, 2), folders=True)
    right = Changes(tags=True, tagged=ids(2, 3), albums=True, label_sets=True, settings=True, model=True)

    merged = left | right

    assert merged == Changes(
        photos=True,
        tags=True,
        tagged=ids(1, 2, 3),
        albums=True,
        folders=True,
        label_sets=True,
        settings=True,
        model=True,
    )
    assert left | NOTHING == left
    assert NOTHING | right == right
    assert not (NOTHING | NOTHING)


def test_or_leaves_both_operands_unchanged() -> None:
    left = Changes(tagged=ids(1), tags=True)
    right = Changes(tagged=ids(2), tags=True)
    _ = left | right
    assert left.tagged == ids(1)
    assert right.tagged == ids(2)


def test_of_tags_marks_tags_changed_exactly_when_photos_were_tagged() -> None:
    changes = Changes.of_tags([3, *np.array([5, 3], dtype=np.int64)])

    assert changes.tags
    assert changes.tagged == ids(3, 5)
    assert all(type(pid) is int for pid in changes.tagged)  # numpy ids from a search become plain ints
    assert not changes.label_sets
    assert not changes.photos

    assert not Changes.of_tags([])
    assert Changes.of_tags([]).tags is False


def test_of_tags_with_label_sets_is_a_change_even_without_photos() -> None:
    changes = Changes.of_tags([], label_sets=True)
    assert changes
    assert changes.tags and changes.label_sets
    assert changes.tagged == frozenset()


def test_changes_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Changes().photos = True  # type: ignore[misc]


def test_outcome_carries_value_and_changes() -> None:
    outcome = Outcome(7, Changes(albums=True))
    assert outcome.value == 7
    assert outcome.changes.albums


def test_publish_delivers_to_every_listener_and_hands_the_changes_back() -> None:
    bus = ChangeBus()
    first: list[Changes] = []
    second: list[Changes] = []
    bus.subscribe(first.append)
    bus.subscribe(second.append)
    change = Changes(albums=True)

    returned = bus.publish(change)

    assert returned is change
    assert first == [change]
    assert second == [change]


def test_nothing_changed_is_not_published() -> None:
    bus = ChangeBus()
    heard: list[Changes] = []
    bus.subscribe(heard.append)

    assert bus.publish(NOTHING) is NOTHING
    assert bus.publish(Changes.of_tags([])) == NOTHING

    assert heard == []


def test_unsubscribe_stops_delivery_to_that_listener_only() -> None:
    bus = ChangeBus()
    kept: list[Changes] = []
    dropped: list[Changes] = []
    bus.subscribe(kept.append)
    unsubscribe = bus.subscribe(dropped.append)
    bus.publish(Changes(photos=True))

    unsubscribe()
    unsubscribe()  # a second call is harmless
    bus.publish(Changes(model=True))

    assert kept == [Changes(photos=True), Changes(model=True)]
    assert dropped == [Changes(photos=True)]


def test_a_failing_listener_is_logged_and_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = ChangeBus()
    before: list[Changes] = []
    after: list[Changes] = []

    def broken(_: Changes) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(before.append)
    bus.subscribe(broken)
    bus.subscribe(after.append)
    change = Changes(tags=True, tagged=ids(1))

    with caplog.at_level(logging.ERROR, logger="photoclip.core.changes"):
        returned = bus.publish(change)

    assert returned is change  # the change stands
    assert before == [change]
    assert after == [change]
    failures = [r for r in caplog.records if r.name == "photoclip.core.changes"]
    assert len(failures) == 1
    assert failures[0].exc_info is not None and "listener bug" in str(failures[0].exc_info[1])


def test_a_listener_may_unsubscribe_while_being_told() -> None:
    bus = ChangeBus()
    heard: list[str] = []
    unsubscribe_first = None

    def first(_: Changes) -> None:
        heard.append("first")
        assert unsubscribe_first is not None
        unsubscribe_first()

    unsubscribe_first = bus.subscribe(first)
    bus.subscribe(lambda _: heard.append("second"))

    bus.publish(Changes(albums=True))
    bus.publish(Changes(albums=True))

    assert heard == ["first", "second", "second"]

"""Label sets and tags in the catalog: ids that survive edits, and auto-tagging that never overrules people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from photoclip.core.errors import LibraryError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import FileStat, PhotoFilter, PhotoId
from photoclip.core.store.tags import ACCEPTED, AUTO, REJECTED, SUGGESTED, USER, Decision, Tag, TagStore
from photoclip.core.tagging.labelsets import Label, LabelSet

SCENES = LabelSet(
    "Scenes",
    (Label("beach", ("a photo of a beach.",)), Label("forest"), Label("city", threshold=0.7)),
    exclusive=True,
    description="Where the photo was taken.",
    threshold=0.6,
    templates=("a photo of a {label}.",),
    background=("a photo.",),
)
THINGS = LabelSet("Things", (Label("animals"), Label("dog", parent="animals"), Label("cat", parent="animals")))


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite")
    yield c
    c.close()


@pytest.fixture
def store(catalog: Catalog) -> TagStore:
    return TagStore(catalog)


@pytest.fixture
def photos(catalog: Catalog, tmp_path: Path) -> list[PhotoId]:
    folder = catalog.add_folder(tmp_path / "photos")
    return catalog.add_photos(folder.id, [FileStat(tmp_path / "photos" / f"{i}.jpg", 10, 1) for i in range(6)])


def tag(store: TagStore, photo_id: int, label: str, label_set: str = "Scenes") -> Tag | None:
    found = [t for t in store.tags_of([photo_id]).get(PhotoId(photo_id), []) if t.label_set == label_set]
    matches = [t for t in found if t.label == label]
    return matches[0] if matches else None


def saved_scenes(store: TagStore) -> LabelSet:
    """SCENES as stored, with its id (saving again is harmless: ids are kept)."""
    return store.save(SCENES)


def tag_rows(catalog: Catalog) -> set[tuple[int, int, str, str]]:
    rows = catalog.reader().execute("SELECT photo_id, label_id, source, status FROM tags").fetchall()
    return {(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows}


# -- label sets ------------------------------------------------------------------------------------


def test_a_saved_set_reads_back_equal(store: TagStore) -> None:
    saved = store.save(SCENES)
    assert saved.id is not None
    (loaded,) = store.label_sets()
    assert loaded == SCENES  # every field: labels, prompts, thresholds, templates, background, description
    assert loaded.id == saved.id
    assert store.get("scenes") == SCENES


def test_parents_are_stored_and_give_tag_paths(store: TagStore, photos: list[PhotoId]) -> None:
    things = store.save(THINGS)
    assert store.get("Things").by_name()["dog"].parent == "animals"
    dog = store.label_ids(things)["dog"]
    store.set_status([photos[0]], dog, ACCEPTED)
    found = tag(store, photos[0], "dog", "Things")
    assert found is not None and found.path == ("animals", "dog")


def test_unknown_set_names_the_sets_there_are(store: TagStore) -> None:
    store.save(SCENES)
    store.save(THINGS)
    with pytest.raises(LibraryError, match="Label sets: Scenes, Things"):
        store.get("Colours")


def test_editing_a_set_keeps_label_ids_and_their_tags(store: TagStore, photos: list[PhotoId]) -> None:
    saved = store.save(SCENES)
    ids = store.label_ids(saved)
    store.set_status([photos[0]], ids["forest"], ACCEPTED)

    edited = replace(
        SCENES,
        labels=(Label("beach"), Label("forest", ("woods.",), threshold=0.9), Label("desert")),
        exclusive=False,
        threshold=0.4,
    )
    store.save(edited)

    new_ids = store.label_ids(saved)
    assert new_ids["forest"] == ids["forest"]
    assert new_ids["beach"] == ids["beach"]
    assert "city" not in new_ids and new_ids["desert"] not in ids.values()
    assert store.get("Scenes") == edited
    kept = tag(store, photos[0], "forest")
    assert kept is not None and kept.status == ACCEPTED


def test_a_removed_label_takes_its_tags_with_it(store: TagStore, catalog: Catalog, photos: list[PhotoId]) -> None:
    saved = store.save(SCENES)
    city = store.label_ids(saved)["city"]
    store.set_status([photos[0], photos[1]], city, ACCEPTED)

    store.save(replace(SCENES, labels=SCENES.labels[:2]))

    assert tag_rows(catalog) == set()
    assert set(catalog.photos(photos)) == set(photos)


def test_a_renamed_label_keeps_its_id_and_tags(store: TagStore, photos: list[PhotoId]) -> None:
    saved = store.save(SCENES)
    beach = store.label_ids(saved)["beach"]
    store.set_status([photos[2]], beach, ACCEPTED)

    store.save(replace(SCENES, labels=(Label("seaside"), *SCENES.labels[1:])), renames={"beach": "seaside"})

    assert store.label_ids(saved)["seaside"] == beach
    assert "beach" not in store.label_ids(saved)
    renamed = tag(store, photos[2], "seaside")
    assert renamed is not None and renamed.status == ACCEPTED and renamed.label_id == beach


def test_a_rename_onto_an_existing_label_is_not_applied(store: TagStore) -> None:
    saved = store.save(SCENES)
    ids = store.label_ids(saved)
    store.save(replace(SCENES, labels=SCENES.labels[1:]), renames={"beach": "forest"})
    assert store.label_ids(saved) == {"forest": ids["forest"], "city": ids["city"]}


def test_renaming_a_set(store: TagStore) -> None:
    saved = store.save(SCENES)
    store.save(THINGS)
    renamed = store.rename("scenes", "Places")
    assert renamed.id == saved.id and renamed.name == "Places"
    with pytest.raises(LibraryError, match="already exists"):
        store.rename("Places", "THINGS")
    with pytest.raises(LibraryError):
        store.rename("Places", "  ")
    assert [s.name for s in store.label_sets()] == ["Places", "Things"]


def test_deleting_a_set_removes_its_tags_but_not_the_photos(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    scenes = store.save(SCENES)
    things = store.save(THINGS)
    store.set_status([photos[0]], store.label_ids(scenes)["beach"], ACCEPTED)
    store.set_status([photos[0]], store.label_ids(things)["dog"], ACCEPTED)

    store.delete("Scenes")

    assert [s.name for s in store.label_sets()] == ["Things"]
    assert [t.label for t in store.tags_of([photos[0]])[photos[0]]] == ["dog"]
    assert photos[0] in catalog.photos([photos[0]])


def test_builtins_are_installed_once_and_a_deleted_one_stays_deleted(store: TagStore, catalog: Catalog) -> None:
    builtins = [replace(SCENES, builtin=True), replace(THINGS, builtin=True)]
    assert store.install_builtins(builtins) == ["Scenes", "Things"]
    assert all(s.builtin for s in store.label_sets())

    store.delete("Scenes")
    assert store.install_builtins(builtins) == []
    assert [s.name for s in store.label_sets()] == ["Things"]

    newer = LabelSet("Events", (Label("wedding"),), builtin=True)
    assert store.install_builtins([*builtins, newer]) == ["Events"]  # a new built-in still arrives
    assert [s.name for s in store.label_sets()] == ["Events", "Things"]
    assert json.loads(catalog.get_meta("builtin_label_sets") or "") == ["Events", "Scenes", "Things"]


def test_a_builtin_never_overwrites_a_users_set_of_the_same_name(store: TagStore) -> None:
    mine = LabelSet("scenes", (Label("kitchen"),))
    store.save(mine)
    assert store.install_builtins([replace(SCENES, builtin=True)]) == []
    assert store.label_sets() == [mine]


# -- tags: people's decisions ---------------------------------------------------------------------


def test_set_status_accepts_and_rejects_with_or_without_a_tag(store: TagStore, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(scenes, [photos[0]], [Decision(photos[0], ids["beach"], 0.8, False)])

    assert store.set_status([photos[0]], ids["beach"], ACCEPTED) == 1  # a suggestion accepted
    assert store.set_status([photos[1]], ids["city"], REJECTED) == 1  # rejecting what was never suggested

    accepted = tag(store, photos[0], "beach")
    assert accepted is not None
    assert (accepted.source, accepted.status) == (USER, ACCEPTED)
    assert accepted.score == pytest.approx(0.8)  # the suggestion's score is kept
    rejected = tag(store, photos[1], "city")
    assert rejected is not None
    assert (rejected.source, rejected.status, rejected.score) == (USER, REJECTED, None)

    assert store.set_status([photos[0]], ids["beach"], REJECTED) == 1  # a change of mind
    changed = tag(store, photos[0], "beach")
    assert changed is not None and changed.status == REJECTED


def test_set_status_ignores_unknown_photos_and_refuses_other_statuses(store: TagStore, photos: list[PhotoId]) -> None:
    ids = store.label_ids(store.save(SCENES))
    assert store.set_status([9_999], ids["beach"], ACCEPTED) == 0
    for status in (SUGGESTED, "maybe"):
        with pytest.raises(LibraryError):
            store.set_status([photos[0]], ids["beach"], status)
    assert store.tags_of([photos[0]]) == {}


def test_remove_deletes_only_that_label(store: TagStore, photos: list[PhotoId]) -> None:
    ids = store.label_ids(store.save(SCENES))
    store.set_status(photos[:2], ids["beach"], ACCEPTED)
    store.set_status(photos[:1], ids["city"], REJECTED)
    assert store.remove([photos[0], photos[3]], ids["beach"]) == 1
    assert [t.label for t in store.tags_of([photos[0]])[photos[0]]] == ["city"]
    assert tag(store, photos[1], "beach") is not None


def test_a_rejection_survives_new_runs_and_undoing_it_brings_back_the_suggestion(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(scenes, photos[:2], [Decision(photos[0], ids["beach"], 0.93, False)])
    store.set_status([photos[0]], ids["beach"], REJECTED)
    store.set_status([photos[1]], ids["city"], REJECTED)  # rejecting what was never suggested
    for _ in range(2):  # later runs that would suggest it again
        store.record_auto(scenes, photos[:2], [Decision(photos[0], ids["beach"], 0.95, False)])
    rejected = tag(store, photos[0], "beach")
    assert rejected is not None and (rejected.source, rejected.status) == (USER, REJECTED)
    assert rejected.score == pytest.approx(0.93)  # the score of the suggestion that was rejected

    assert store.unreject([photos[0], photos[1], photos[2], photos[0]], ids["beach"]) == {photos[0]}
    restored = tag(store, photos[0], "beach")
    assert restored is not None and (restored.source, restored.status) == (AUTO, SUGGESTED)
    assert restored.score == pytest.approx(0.93)
    assert store.unreject([photos[1]], ids["city"]) == {photos[1]}
    assert store.tags_of([photos[1]]) == {}  # nothing was suggested there: back to nothing
    assert store.unreject([photos[0]], ids["beach"]) == set()  # nothing rejected any more: nothing to undo
    assert store.examples(scenes) == {}  # the corrections are withdrawn with them


def test_undoing_a_rejection_keeps_an_exclusive_set_to_one_label(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(
        scenes,
        photos[:2],
        [Decision(photos[0], ids["beach"], 0.9, False), Decision(photos[1], ids["beach"], 0.9, False)],
    )
    store.set_status(photos[:2], ids["beach"], REJECTED)
    # a run that suggested the second best for the first photo; someone decided the second since
    store.record_auto(scenes, photos[:2], [Decision(photos[0], ids["forest"], 0.55, False)])
    store.set_status([photos[1]], ids["city"], ACCEPTED)

    assert store.unreject(photos[:2], ids["beach"]) == {photos[0], photos[1]}
    assert {(t.label, t.status) for t in store.tags_of([photos[0]])[photos[0]]} == {("beach", SUGGESTED)}
    assert {(t.label, t.status) for t in store.tags_of([photos[1]])[photos[1]]} == {("city", ACCEPTED)}


def test_undoing_a_rejection_in_a_multi_label_set_leaves_other_labels(store: TagStore, photos: list[PhotoId]) -> None:
    things = store.save(THINGS)
    ids = store.label_ids(things)
    store.record_auto(
        things, photos[:1], [Decision(photos[0], ids["dog"], 0.8, False), Decision(photos[0], ids["cat"], 0.7, False)]
    )
    store.set_status(photos[:1], ids["dog"], REJECTED)
    assert store.unreject(photos[:1], ids["dog"]) == {photos[0]}
    assert {(t.label, t.status) for t in store.tags_of(photos[:1])[photos[0]]} == {
        ("dog", SUGGESTED),
        ("cat", SUGGESTED),
    }


def test_undoing_an_acceptance_gives_back_the_suggestion_or_nothing(store: TagStore, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(scenes, photos[:1], [Decision(photos[0], ids["beach"], 0.93, False)])
    store.set_status([photos[0]], ids["beach"], ACCEPTED)
    store.set_status([photos[1]], ids["city"], ACCEPTED)  # accepted by hand, never suggested

    assert store.unaccept([photos[0], photos[1], photos[2], photos[0]], ids["beach"]) == {photos[0]}
    restored = tag(store, photos[0], "beach")
    assert restored is not None and (restored.source, restored.status) == (AUTO, SUGGESTED)
    assert restored.score == pytest.approx(0.93)
    assert store.unaccept([photos[1]], ids["city"]) == {photos[1]}
    assert store.tags_of([photos[1]]) == {}
    assert store.unaccept([photos[0]], ids["beach"]) == set()  # a suggestion, not an acceptance: left alone


def test_a_labels_suggestions_come_most_confident_first(store: TagStore, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    scores = [0.61, 0.95, 0.72, 0.95, 0.88]
    decisions = [Decision(p, ids["beach"], s, False) for p, s in zip(photos[:5], scores, strict=True)]
    store.record_auto(scenes, photos[:5], decisions)
    store.set_status([photos[4]], ids["beach"], ACCEPTED)  # reviewed: no longer in the queue
    store.set_status([photos[2]], ids["beach"], REJECTED)
    queue = store.suggested_of_label(ids["beach"])
    assert [p for p, _ in queue] == [photos[1], photos[3], photos[0]]
    assert [s for _, s in queue] == pytest.approx([0.95, 0.95, 0.61])
    assert store.suggested_of_label(ids["forest"]) == []


def test_tagged_photos_include_rejections(store: TagStore, photos: list[PhotoId]) -> None:
    ids = store.label_ids(store.save(SCENES))
    store.set_status([photos[3]], ids["beach"], ACCEPTED)
    store.set_status([photos[1]], ids["forest"], REJECTED)
    store.set_status([photos[3]], ids["forest"], ACCEPTED)
    assert store.tagged_photos([ids["beach"], ids["forest"]]) == [photos[1], photos[3]]
    assert store.tagged_photos([ids["city"]]) == []
    assert store.tagged_photos([]) == []


def test_examples_are_only_peoples_decisions(store: TagStore, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(
        scenes,
        photos,
        [
            Decision(photos[0], ids["beach"], 0.99, True),  # auto-accepted: the model's own guess
            Decision(photos[1], ids["beach"], 0.7, False),  # a suggestion
        ],
    )
    store.set_status([photos[3], photos[2]], ids["beach"], ACCEPTED)
    store.set_status([photos[4]], ids["beach"], REJECTED)
    store.set_status([photos[5]], ids["city"], REJECTED)

    assert store.examples(scenes) == {
        "beach": ([photos[2], photos[3]], [photos[4]]),
        "city": ([], [photos[5]]),
    }
    other = store.save(THINGS)
    assert store.examples(other) == {}


def test_counts_per_label(store: TagStore, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    things = store.save(THINGS)
    store.record_auto(
        scenes,
        photos,
        [Decision(photos[0], ids["beach"], 0.9, False), Decision(photos[1], ids["beach"], 0.99, True)],
    )
    store.set_status([photos[2]], ids["beach"], ACCEPTED)
    store.set_status([photos[3]], ids["beach"], REJECTED)  # rejections count for nothing
    store.set_status([photos[4]], store.label_ids(things)["dog"], ACCEPTED)

    counts = {(c.label_set, c.label): (c.accepted, c.suggested) for c in store.counts()}

    assert counts == {
        ("Scenes", "beach"): (2, 1),
        ("Scenes", "city"): (0, 0),
        ("Scenes", "forest"): (0, 0),
        ("Things", "animals"): (1, 0),  # a parent counts its children's photos, as browsing it shows them
        ("Things", "cat"): (0, 0),
        ("Things", "dog"): (1, 0),
    }
    assert [(c.label_set, c.label) for c in store.counts()] == sorted(counts)
    dog = next(c for c in store.counts() if c.label == "dog")
    assert dog.path == ("animals", "dog")


def test_each_count_is_exactly_what_browsing_the_label_shows(store: TagStore, photos: list[PhotoId]) -> None:
    """The sidebar's number and the grid's header must agree: same name in two sets, a photo
    under two children of one parent, accepted beside suggested, rejections."""
    things = store.save(THINGS)
    ids = store.label_ids(things)
    mine = store.save(LabelSet("My tags", (Label("dog"),)))
    store.set_status([photos[0]], ids["dog"], ACCEPTED)
    store.record_auto(things, [photos[0], photos[1]], [Decision(photos[0], ids["cat"], 0.8, False)])
    store.record_auto(things, [photos[1]], [Decision(photos[1], ids["cat"], 0.7, False)])
    store.set_status([photos[2]], ids["cat"], REJECTED)
    store.set_status([photos[3], photos[4]], store.label_ids(mine)["dog"], ACCEPTED)

    counts = {(c.label_set, c.label): (c.accepted, c.suggested) for c in store.counts()}

    assert counts[("Things", "animals")] == (1, 1), "photo 0 once (accepted dog, suggested cat), photo 1 suggested"
    assert counts[("Things", "dog")] == (1, 0) and counts[("My tags", "dog")] == (2, 0)
    assert counts[("Things", "cat")] == (0, 2)
    for (label_set, label), (accepted, suggested) in counts.items():
        shown = store.catalog.filter_ids("any", PhotoFilter(set_tags=((label_set, label),)), embedded=False)
        assert len(shown) == accepted + suggested, (label_set, label)


# -- tags: auto-tagging --------------------------------------------------------------------------------


def test_record_auto_writes_suggestions_and_reports_the_touched_photos(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)

    written, touched = store.record_auto(
        scenes,
        photos[:3],
        [Decision(photos[0], ids["beach"], 0.8, False), Decision(photos[1], ids["city"], 0.97, True)],
    )

    assert written == 2
    assert touched == {photos[0], photos[1]}
    assert tag_rows(catalog) == {
        (photos[0], ids["beach"], AUTO, SUGGESTED),
        (photos[1], ids["city"], AUTO, ACCEPTED),
    }
    suggested = tag(store, photos[0], "beach")
    assert suggested is not None and suggested.score == pytest.approx(0.8)


def test_a_new_run_replaces_only_unreviewed_suggestions(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    things = store.save(THINGS)
    ids = store.label_ids(things)
    p0, p1, p2, p3 = photos[:4]
    store.record_auto(
        things,
        photos,
        [
            Decision(p0, ids["dog"], 0.6, False),  # will be replaced
            Decision(p1, ids["dog"], 0.6, False),  # will be accepted by a person
            Decision(p2, ids["dog"], 0.6, False),  # will be rejected by a person
            Decision(p3, ids["cat"], 0.99, True),  # auto-accepted
        ],
    )
    store.set_status([p1], ids["dog"], ACCEPTED)
    store.set_status([p2], ids["dog"], REJECTED)
    store.set_status([p0], ids["animals"], ACCEPTED)  # a person's own tag

    written, touched = store.record_auto(
        things,
        photos,
        [
            Decision(p0, ids["cat"], 0.7, False),
            Decision(p1, ids["dog"], 0.1, False),  # must not overwrite the accepted tag
            Decision(p2, ids["dog"], 0.9, False),  # must not bring back the rejected one
            Decision(p0, ids["animals"], 0.5, False),  # must not overwrite the user's tag
        ],
    )

    assert written == 1
    assert touched == {p0}  # p0's dog suggestion went and its cat came
    assert tag_rows(catalog) == {
        (p0, ids["animals"], USER, ACCEPTED),
        (p0, ids["cat"], AUTO, SUGGESTED),
        (p1, ids["dog"], USER, ACCEPTED),
        (p2, ids["dog"], USER, REJECTED),
        (p3, ids["cat"], AUTO, ACCEPTED),  # accepted without review is kept too
    }
    kept = tag(store, p1, "dog", "Things")
    assert kept is not None and kept.score == pytest.approx(0.6)


def test_a_photo_losing_its_suggestion_is_touched(store: TagStore, catalog: Catalog, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(scenes, photos[:2], [Decision(photos[0], ids["beach"], 0.8, False)])

    written, touched = store.record_auto(scenes, photos[:2], [])

    assert (written, touched) == (0, {photos[0]})
    assert tag_rows(catalog) == set()


def test_only_the_given_photos_are_replaced(store: TagStore, catalog: Catalog, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(
        scenes, photos, [Decision(photos[0], ids["beach"], 0.8, False), Decision(photos[1], ids["city"], 0.8, False)]
    )

    store.record_auto(scenes, [photos[0]], [])

    assert tag_rows(catalog) == {(photos[1], ids["city"], AUTO, SUGGESTED)}


def test_another_sets_suggestions_are_left_alone(store: TagStore, catalog: Catalog, photos: list[PhotoId]) -> None:
    scenes = saved_scenes(store)
    things = store.save(THINGS)
    dog = store.label_ids(things)["dog"]
    store.record_auto(things, photos, [Decision(photos[0], dog, 0.8, False)])

    store.record_auto(scenes, photos, [])

    assert tag_rows(catalog) == {(photos[0], dog, AUTO, SUGGESTED)}


def test_in_an_exclusive_set_a_photo_someone_tagged_gets_no_other_suggestion(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    p0, p1, p2, p3 = photos[:4]
    store.set_status([p0], ids["forest"], ACCEPTED)  # a person chose forest
    store.set_status([p1], ids["forest"], REJECTED)  # a person said "not forest": still open
    store.record_auto(scenes, [p2], [Decision(p2, ids["city"], 0.99, True)])  # auto-accepted city

    written, touched = store.record_auto(
        scenes,
        [p0, p1, p2, p3],
        [
            Decision(p0, ids["beach"], 0.9, False),
            Decision(p1, ids["beach"], 0.9, False),
            Decision(p2, ids["beach"], 0.9, False),
            Decision(p3, ids["beach"], 0.9, False),
        ],
    )

    assert written == 2
    assert touched == {p1, p3}
    assert {(pid, label) for pid, label, _, _ in tag_rows(catalog) if label == ids["beach"]} == {
        (p1, ids["beach"]),
        (p3, ids["beach"]),
    }


def test_a_multi_label_set_suggests_beside_peoples_tags(
    store: TagStore, catalog: Catalog, photos: list[PhotoId]
) -> None:
    things = store.save(THINGS)
    ids = store.label_ids(things)
    store.set_status([photos[0]], ids["dog"], ACCEPTED)

    written, touched = store.record_auto(things, [photos[0]], [Decision(photos[0], ids["cat"], 0.8, False)])

    assert (written, touched) == (1, {photos[0]})
    assert (photos[0], ids["cat"], AUTO, SUGGESTED) in tag_rows(catalog)


def test_a_set_without_labels_in_the_catalog_records_nothing(store: TagStore, photos: list[PhotoId]) -> None:
    unsaved = replace(SCENES, id=12345)
    assert store.record_auto(unsaved, photos, [Decision(photos[0], 1, 0.9, False)]) == (0, set())


def test_record_auto_handles_more_photos_than_one_query_takes(
    store: TagStore, catalog: Catalog, tmp_path: Path
) -> None:
    folder = catalog.add_folder(tmp_path / "many")
    many = catalog.add_photos(folder.id, [FileStat(tmp_path / "many" / f"{i}.jpg", 1, 1) for i in range(1200)])
    scenes = saved_scenes(store)
    beach = store.label_ids(scenes)["beach"]
    decisions = [Decision(pid, beach, 0.8, False) for pid in many]
    store.record_auto(scenes, many, decisions)
    store.set_status([many[-1]], beach, ACCEPTED)  # in the last chunk of 500

    written, touched = store.record_auto(scenes, many, decisions)

    assert written == len(many) - 1
    assert touched == set(), "the same suggestions again change no photo's tags (no sidecar to rewrite)"
    assert store.tagged_photos([beach]) == sorted(many)

    changed = [Decision(pid, beach, 0.8, pid == many[0]) for pid in many]  # one is accepted this time
    assert store.record_auto(scenes, many, changed)[1] == {many[0]}


def test_set_names_differing_only_in_non_ascii_case_are_one_set(store: TagStore) -> None:
    store.save(LabelSet("Été", (Label("plage"),)))
    store.save(LabelSet("été", (Label("forêt"),)))
    assert [s.name for s in store.label_sets()] == ["été"]


def test_rows_put_back_undo_any_edit_exactly(store: TagStore, catalog: Catalog, photos: list[PhotoId]) -> None:
    """What undo in the viewer relies on: the rows read before an edit, written back, are the rows before it."""
    scenes = saved_scenes(store)
    ids = store.label_ids(scenes)
    store.record_auto(scenes, photos[:2], [Decision(photos[0], ids["beach"], 0.81, False)])
    store.set_status([photos[1]], ids["beach"], REJECTED)  # a correction the next run learns from
    before = tag_rows(catalog)
    kept = store.rows_of(photos, ids["beach"])
    assert kept == {photos[0]: (pytest.approx(0.81), AUTO, SUGGESTED), photos[1]: (None, USER, REJECTED)}
    for edit in (
        lambda: store.set_status(photos, ids["beach"], ACCEPTED),
        lambda: store.remove(photos, ids["beach"]),
        lambda: store.unreject(photos, ids["beach"]),
    ):
        edit()
        assert tag_rows(catalog) != before
        store.put_rows(ids["beach"], {pid: kept.get(pid) for pid in photos})
        assert tag_rows(catalog) == before and store.rows_of(photos, ids["beach"]) == kept
        assert store.examples(scenes).get("beach") == ([], [photos[1]])


def test_counts_survive_a_label_added_between_their_two_reads(
    store: TagStore, photos: list[PhotoId], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app counts tags on a worker while a person types a new tag on another: the label paths,
    read first, may miss the new label the counts then see (a KeyError in the sidebar before)."""
    scenes = saved_scenes(store)
    store.set_status(photos[:1], store.label_ids(scenes)["beach"], ACCEPTED)
    monkeypatch.setattr(store, "_label_paths", lambda: {})  # read before any label existed
    beach = next(c for c in store.counts() if c.label == "beach")
    assert (beach.path, beach.accepted) == (("beach",), 1)

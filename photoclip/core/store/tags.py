"""Label sets and tags as stored in the catalog.

Tags carry their provenance: `source` is "auto" (suggested by a label set) or
"user" (typed or accepted by a person), `status` is "suggested", "accepted" or
"rejected", and `score` the confidence of the suggestion. The rules that keep
people in charge live here, in one place:

* auto-tagging replaces only its own unreviewed suggestions; anything a person
  decided (user tags, accepted or rejected suggestions) is never changed by it,
  so a rejected tag stays, shown as rejected, through every later run;
* in an exclusive set a photo someone already tagged gets no other suggestion;
* a rejection keeps the suggestion's score, so undoing it (`unreject`) puts back
  what was there: the suggestion with its score, or nothing if there was none;
* labels keep their ids when a set is edited, so tags survive edits and renames.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from photoclip.core.errors import LibraryError
from photoclip.core.store.catalog import Catalog
from photoclip.core.store.records import PhotoId
from photoclip.core.tagging.labelsets import Label, LabelSet

SUGGESTED, ACCEPTED, REJECTED = "suggested", "accepted", "rejected"
AUTO, USER = "auto", "user"
_CHUNK = 900  # photo ids per query: below SQLite's oldest limit on parameters (999)


@dataclass(frozen=True)
class Tag:
    photo_id: PhotoId
    label_id: int
    label: str
    label_set: str
    path: tuple[str, ...]  # from the root label down, e.g. ("animals", "dog")
    score: float | None
    source: str
    status: str


@dataclass(frozen=True)
class Decision:
    """One suggestion from an auto-tagging run."""

    photo_id: int
    label_id: int
    score: float
    accepted: bool  # confident enough to accept without review (the user's auto-accept setting)


@dataclass(frozen=True)
class TagState:
    """One photo's tag of one label as it was (`status` None: no tag): what undoing an edit writes back.

    Labels are named, not numbered, so a state taken before a typed tag created its label
    still says where to write.
    """

    photo_id: PhotoId
    label_set: str
    label: str
    status: str | None
    score: float | None = None
    source: str | None = None


@dataclass(frozen=True)
class TagCount:
    label_set: str
    label: str
    label_id: int
    path: tuple[str, ...]
    accepted: int
    suggested: int


class TagStore:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # -- label sets -----------------------------------------------------------------------------

    def label_sets(self) -> list[LabelSet]:
        conn = self.catalog.reader()
        sets = conn.execute(
            "SELECT id, name, exclusive, builtin, templates, threshold, description, background FROM label_sets "
            "ORDER BY name COLLATE NOCASE"
        ).fetchall()
        labels = conn.execute(
            "SELECT l.set_id, l.id, l.name, p.name, l.prompts, l.threshold FROM labels l "
            "LEFT JOIN labels p ON p.id = l.parent_id ORDER BY l.id"
        ).fetchall()
        by_set: dict[int, list[Label]] = {}
        for set_id, _, name, parent, prompts, threshold in labels:
            by_set.setdefault(int(set_id), []).append(
                Label(str(name), tuple(json.loads(prompts or "[]")), parent, threshold)
            )
        return [
            LabelSet(
                name=str(r[1]),
                labels=tuple(by_set.get(int(r[0]), [])),
                exclusive=bool(r[2]),
                description=str(r[6] or ""),
                threshold=r[5],
                templates=tuple(json.loads(r[4] or "[]")),
                builtin=bool(r[3]),
                background=tuple(json.loads(r[7] or "[]")),
                id=int(r[0]),
            )
            for r in sets
        ]

    def get(self, name: str) -> LabelSet:
        for label_set in self.label_sets():
            if label_set.name.casefold() == name.strip().casefold():
                return label_set
        names = ", ".join(s.name for s in self.label_sets())
        raise LibraryError(f"There is no label set named {name!r}. Label sets: {names}.")

    def save(self, label_set: LabelSet, *, renames: dict[str, str] | None = None) -> LabelSet:
        """Create or update a set by name; labels keep their ids (and tags) by name, or through `renames`."""
        renames = renames or {}
        now = time.time()
        with self.catalog.transaction() as conn:
            row = conn.execute(
                "SELECT id FROM label_sets WHERE name = ? COLLATE CASEFOLD", (label_set.name,)
            ).fetchone()
            values = (
                label_set.name,
                int(label_set.exclusive),
                int(label_set.builtin),
                json.dumps(list(label_set.templates)),
                label_set.threshold,
                now,
                label_set.description,
                json.dumps(list(label_set.background)),
            )
            if row is None:
                cur = conn.execute(
                    "INSERT INTO label_sets(name, exclusive, builtin, templates, threshold, updated_at, description, "
                    "background) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
                set_id = int(cur.lastrowid or 0)
            else:
                set_id = int(row[0])
                conn.execute(
                    "UPDATE label_sets SET name = ?, exclusive = ?, builtin = ?, templates = ?, threshold = ?, "
                    "updated_at = ?, description = ?, background = ? WHERE id = ?",
                    (*values, set_id),
                )
            existing = {
                str(r[1]): int(r[0]) for r in conn.execute("SELECT id, name FROM labels WHERE set_id = ?", (set_id,))
            }
            for old, new in renames.items():
                if old in existing and new not in existing:
                    existing[new] = existing.pop(old)
            kept: dict[str, int] = {}
            for label in label_set.labels:
                prompts = json.dumps(list(label.prompts))
                if label.name in existing:
                    label_id = existing[label.name]
                    conn.execute(
                        "UPDATE labels SET name = ?, prompts = ?, threshold = ?, parent_id = NULL WHERE id = ?",
                        (label.name, prompts, label.threshold, label_id),
                    )
                else:
                    cur = conn.execute(
                        "INSERT INTO labels(set_id, name, prompts, threshold) VALUES (?, ?, ?, ?)",
                        (set_id, label.name, prompts, label.threshold),
                    )
                    label_id = int(cur.lastrowid or 0)
                kept[label.name] = label_id
            for name, label_id in existing.items():
                if name not in kept:
                    conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))
            for label in label_set.labels:
                if label.parent:
                    conn.execute("UPDATE labels SET parent_id = ? WHERE id = ?", (kept[label.parent], kept[label.name]))
        return replace(label_set, id=set_id)

    def rename(self, old: str, new: str) -> LabelSet:
        label_set = self.get(old)
        new = new.strip()
        if not new:
            raise LibraryError("A label set needs a name.")
        with self.catalog.transaction() as conn:
            clash = conn.execute("SELECT id FROM label_sets WHERE name = ? COLLATE CASEFOLD", (new,)).fetchone()
            if clash and int(clash[0]) != label_set.id:
                raise LibraryError(f"A label set named {new!r} already exists.")
            conn.execute(
                "UPDATE label_sets SET name = ?, updated_at = ? WHERE id = ?", (new, time.time(), label_set.id)
            )
        return self.get(new)

    def delete(self, name: str) -> None:
        """Delete a set with its labels and their tags (photos are untouched)."""
        label_set = self.get(name)
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM label_sets WHERE id = ?", (label_set.id,))

    def install_builtins(self, builtins: Sequence[LabelSet]) -> list[str]:
        """Add built-in sets this library has never had; a set the user deleted stays deleted."""
        installed = set(json.loads(self.catalog.get_meta("builtin_label_sets") or "[]"))
        present = {s.name.casefold() for s in self.label_sets()}
        added = []
        for label_set in builtins:
            if label_set.name not in installed and label_set.name.casefold() not in present:
                self.save(label_set)
                added.append(label_set.name)
            installed.add(label_set.name)
        self.catalog.set_meta("builtin_label_sets", json.dumps(sorted(installed)))
        return added

    def label_ids(self, label_set: LabelSet) -> dict[str, int]:
        rows = self.catalog.reader().execute("SELECT name, id FROM labels WHERE set_id = ?", (label_set.id,))
        return {str(r[0]): int(r[1]) for r in rows}

    # -- tags -----------------------------------------------------------------------------------

    def tags_of(self, photo_ids: Sequence[int]) -> dict[PhotoId, list[Tag]]:
        """Every tag of the given photos (rejected ones included: the UI shows them struck out)."""
        result: dict[PhotoId, list[Tag]] = {}
        paths = self._label_paths()
        conn = self.catalog.reader()
        ids = [int(i) for i in photo_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = conn.execute(
                "SELECT t.photo_id, t.label_id, l.name, s.name, t.score, t.source, t.status FROM tags t "
                "JOIN labels l ON l.id = t.label_id JOIN label_sets s ON s.id = l.set_id "
                f"WHERE t.photo_id IN ({','.join('?' * len(chunk))}) ORDER BY s.name, l.name",
                chunk,
            )
            for pid, label_id, label, set_name, score, source, status in rows:
                result.setdefault(PhotoId(int(pid)), []).append(
                    Tag(
                        PhotoId(int(pid)),
                        int(label_id),
                        str(label),
                        str(set_name),
                        paths[int(label_id)],
                        score,
                        source,
                        status,
                    )
                )
        return result

    def _label_paths(self) -> dict[int, tuple[str, ...]]:
        rows = self.catalog.reader().execute("SELECT id, name, parent_id FROM labels").fetchall()
        names = {int(r[0]): str(r[1]) for r in rows}
        parents = {int(r[0]): (int(r[2]) if r[2] is not None else None) for r in rows}
        paths = {}
        for label_id in names:
            chain: list[str] = []
            seen: set[int] = set()
            current: int | None = label_id
            while current is not None and current not in seen:
                seen.add(current)
                chain.append(names[current])
                current = parents.get(current)
            paths[label_id] = tuple(reversed(chain))
        return paths

    def record_auto(
        self, label_set: LabelSet, photo_ids: Sequence[int], decisions: Sequence[Decision]
    ) -> tuple[int, set[PhotoId]]:
        """Replace this set's unreviewed suggestions for these photos with a new run's.

        Returns how many were written, and the photos whose tags this changed (a
        suggestion dropped, added or accepted), for the listeners that keep sidecars in step.

        Written in bulk: the photos' tags are read by photo (the primary key's first column)
        and sorted out here against the set's labels, then the replaced suggestions are
        deleted and the new ones inserted with one statement each. 100,000 suggestions
        take about 1 s this way; one query per chunk of photos crossed with every label of
        a 1,000-label set, and one insert per suggestion, took 23 s.
        """
        labels = set(self.label_ids(label_set).values())
        if not labels:
            return 0, set()
        now = time.time()
        replaced: set[tuple[int, int, str]] = set()  # (photo, label, status) of the suggestions replaced
        kept: set[tuple[int, int]] = set()  # what stays: a person's tags and decisions, which a run never touches
        decided: set[int] = set()  # exclusive sets: photos someone already gave one of its labels
        with self.catalog.transaction() as conn:
            for start in range(0, len(photo_ids), _CHUNK):
                chunk = [int(p) for p in photo_ids[start : start + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT photo_id, label_id, source, status FROM tags WHERE photo_id IN ({marks})", chunk
                ).fetchall()
                for photo, label, source, status in rows:
                    if label not in labels:
                        continue
                    if source == AUTO and status == SUGGESTED:
                        replaced.add((int(photo), int(label), str(status)))
                        continue
                    kept.add((int(photo), int(label)))
                    if label_set.exclusive and status != REJECTED:
                        decided.add(int(photo))
            conn.executemany(
                "DELETE FROM tags WHERE photo_id = ? AND label_id = ?", ((p, lab) for p, lab, _ in replaced)
            )
            fresh: dict[tuple[int, int], tuple[float, str]] = {}
            for d in decisions:
                key = (int(d.photo_id), int(d.label_id))
                if key[0] in decided or key in kept or key in fresh:
                    continue  # a person's decision stands; in an exclusive set, their label for the photo too
                fresh[key] = (float(d.score), ACCEPTED if d.accepted else SUGGESTED)
            conn.executemany(
                "INSERT INTO tags(photo_id, label_id, score, source, status, updated_at) "
                "VALUES (?, ?, ?, 'auto', ?, ?)",
                ((p, lab, score, status, now) for (p, lab), (score, status) in fresh.items()),
            )
        added = {(p, lab, status) for (p, lab), (_, status) in fresh.items()}
        # a re-run that suggests what it suggested before changes no photo's tags (scores aside)
        return len(fresh), {PhotoId(photo) for photo, _, _ in replaced ^ added}

    def tagged_photos(self, label_ids: Sequence[int]) -> list[PhotoId]:
        """Photos with any tag (rejections included) on these labels."""
        result: set[PhotoId] = set()
        ids = [int(i) for i in label_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.catalog.reader().execute(
                f"SELECT DISTINCT photo_id FROM tags WHERE label_id IN ({','.join('?' * len(chunk))})", chunk
            )
            result.update(PhotoId(int(r[0])) for r in rows)
        return sorted(result)

    def set_status(self, photo_ids: Sequence[int], label_id: int, status: str) -> int:
        """Accept or reject (existing tags or not: rejecting an untagged label teaches the model too)."""
        if status not in (ACCEPTED, REJECTED):
            raise LibraryError(f"A tag can be accepted or rejected, not {status!r}.")
        now = time.time()
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            for pid in photo_ids:
                conn.execute(
                    "INSERT INTO tags(photo_id, label_id, score, source, status, updated_at) "
                    "SELECT id, ?, NULL, 'user', ?, ? FROM photos WHERE id = ? "
                    "ON CONFLICT(photo_id, label_id) DO UPDATE SET status = excluded.status, source = 'user', "
                    "updated_at = excluded.updated_at",
                    (label_id, status, now, int(pid)),
                )
            return conn.total_changes - before

    def rows_of(self, photo_ids: Sequence[int], label_id: int) -> dict[PhotoId, tuple[float | None, str, str]]:
        """(score, source, status) of the photos tagged with the label; untagged photos are left out."""
        rows = self.catalog.reader().execute(
            f"SELECT photo_id, score, source, status FROM tags WHERE label_id = ? "
            f"AND photo_id IN ({','.join('?' * len(photo_ids))})",
            (label_id, *(int(p) for p in photo_ids)),
        )
        return {PhotoId(int(r[0])): (r[1], str(r[2]), str(r[3])) for r in rows}

    def put_rows(self, label_id: int, rows: dict[PhotoId, tuple[float | None, str, str] | None]) -> None:
        """Write tags back as they were (None: no tag), in one transaction."""
        now = time.time()
        with self.catalog.transaction() as conn:
            for pid, row in rows.items():
                if row is None:
                    conn.execute("DELETE FROM tags WHERE photo_id = ? AND label_id = ?", (int(pid), label_id))
                    continue
                score, source, status = row
                conn.execute(
                    "INSERT INTO tags(photo_id, label_id, score, source, status, updated_at) "
                    "SELECT id, ?, ?, ?, ?, ? FROM photos WHERE id = ? "
                    "ON CONFLICT(photo_id, label_id) DO UPDATE SET score = excluded.score, "
                    "source = excluded.source, status = excluded.status, updated_at = excluded.updated_at",
                    (label_id, score, source, status, now, int(pid)),
                )

    def unreject(self, photo_ids: Sequence[int], label_id: int) -> set[PhotoId]:
        """Undo rejections: a rejected suggestion becomes the suggestion it was (its score kept),
        a label rejected without one is forgotten. Returns the photos whose tags changed.

        In an exclusive set the restored suggestion takes the place of the set's other unreviewed
        suggestions for the photo (made while it was rejected), and a photo whose label someone
        has accepted since gets no suggestion back, as auto-tagging would give it none.
        """
        changed: set[PhotoId] = set()
        now = time.time()
        with self.catalog.transaction() as conn:
            row = conn.execute(
                "SELECT s.id, s.exclusive FROM labels l JOIN label_sets s ON s.id = l.set_id WHERE l.id = ?",
                (label_id,),
            ).fetchone()
            if row is None:
                return changed
            set_id, exclusive = int(row[0]), bool(row[1])
            for pid in dict.fromkeys(int(p) for p in photo_ids):
                found = conn.execute(
                    "SELECT score FROM tags WHERE photo_id = ? AND label_id = ? AND status = 'rejected'",
                    (pid, label_id),
                ).fetchone()
                if found is None:
                    continue
                changed.add(PhotoId(pid))
                others = "SELECT id FROM labels WHERE set_id = ? AND id != ?"
                decided = (
                    exclusive
                    and conn.execute(
                        f"SELECT 1 FROM tags WHERE photo_id = ? AND status = 'accepted' AND label_id IN ({others})",
                        (pid, set_id, label_id),
                    ).fetchone()
                )
                if found[0] is None or decided:
                    conn.execute("DELETE FROM tags WHERE photo_id = ? AND label_id = ?", (pid, label_id))
                    continue
                conn.execute(
                    "UPDATE tags SET status = 'suggested', source = 'auto', updated_at = ? "
                    "WHERE photo_id = ? AND label_id = ?",
                    (now, pid, label_id),
                )
                if exclusive:
                    conn.execute(
                        "DELETE FROM tags WHERE photo_id = ? AND source = 'auto' AND status = 'suggested' "
                        f"AND label_id IN ({others})",
                        (pid, set_id, label_id),
                    )
        return changed

    def unaccept(self, photo_ids: Sequence[int], label_id: int) -> set[PhotoId]:
        """Undo acceptances: an accepted tag that was a suggestion (it kept its score) becomes that
        suggestion again, one accepted without a suggestion is forgotten. Returns the photos changed."""
        changed: set[PhotoId] = set()
        now = time.time()
        with self.catalog.transaction() as conn:
            for pid in dict.fromkeys(int(p) for p in photo_ids):
                found = conn.execute(
                    "SELECT score FROM tags WHERE photo_id = ? AND label_id = ? AND status = 'accepted'",
                    (pid, label_id),
                ).fetchone()
                if found is None:
                    continue
                changed.add(PhotoId(pid))
                if found[0] is None:
                    conn.execute("DELETE FROM tags WHERE photo_id = ? AND label_id = ?", (pid, label_id))
                else:
                    conn.execute(
                        "UPDATE tags SET status = 'suggested', source = 'auto', updated_at = ? "
                        "WHERE photo_id = ? AND label_id = ?",
                        (now, pid, label_id),
                    )
        return changed

    def suggested_of_label(self, label_id: int) -> list[tuple[PhotoId, float | None]]:
        """One label's unreviewed suggestions, most confident first (ties by photo id, so the order is stable)."""
        rows = self.catalog.reader().execute(
            "SELECT photo_id, score FROM tags WHERE label_id = ? AND status = 'suggested' "
            "ORDER BY score IS NULL, score DESC, photo_id",
            (label_id,),
        )
        return [(PhotoId(int(r[0])), None if r[1] is None else float(r[1])) for r in rows]

    def accept_pairs(self, pairs: Sequence[tuple[int, int]]) -> int:
        """Accept many (photo, label) tags in one transaction (keyword import: tens of thousands at once)."""
        now = time.time()
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT INTO tags(photo_id, label_id, score, source, status, updated_at) "
                "SELECT id, ?, NULL, 'user', 'accepted', ? FROM photos WHERE id = ? "
                "ON CONFLICT(photo_id, label_id) DO UPDATE SET status = 'accepted', source = 'user', "
                "updated_at = excluded.updated_at",
                [(label_id, now, int(photo_id)) for photo_id, label_id in pairs],
            )
            return int(conn.total_changes - before)

    def remove(self, photo_ids: Sequence[int], label_id: int) -> int:
        with self.catalog.transaction() as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM tags WHERE photo_id = ? AND label_id = ?", [(int(p), label_id) for p in photo_ids]
            )
            return conn.total_changes - before

    def examples(self, label_set: LabelSet) -> dict[str, tuple[list[PhotoId], list[PhotoId]]]:
        """People's decisions per label: (accepted, rejected) photo ids. Auto-accepted tags are not
        examples: learning from the model's own guesses would only reinforce its mistakes."""
        result: dict[str, tuple[list[PhotoId], list[PhotoId]]] = {}
        rows = self.catalog.reader().execute(
            "SELECT l.name, t.photo_id, t.status FROM tags t JOIN labels l ON l.id = t.label_id "
            "WHERE l.set_id = ? AND t.source = 'user' AND t.status IN ('accepted', 'rejected') ORDER BY t.photo_id",
            (label_set.id,),
        )
        for name, pid, status in rows:
            positive, negative = result.setdefault(str(name), ([], []))
            (positive if status == ACCEPTED else negative).append(PhotoId(int(pid)))
        return result

    def counts(self) -> list[TagCount]:
        """Photos per label, for the sidebar and `photoclip labelsets show`: exactly the photos that
        browsing the label shows (a parent counts its children's photos, each photo once).

        `accepted` counts photos with an accepted tag under the label; `suggested` the others.
        """
        paths = self._label_paths()
        rows = self.catalog.reader().execute(
            "WITH RECURSIVE subtree(root, id) AS (SELECT id, id FROM labels "
            "UNION SELECT s.root, l.id FROM labels l JOIN subtree s ON l.parent_id = s.id) "
            "SELECT ls.name, l.name, l.id, "
            "COUNT(DISTINCT CASE WHEN t.status = 'accepted' THEN t.photo_id END), "
            "COUNT(DISTINCT CASE WHEN t.status != 'rejected' THEN t.photo_id END) "
            "FROM labels l JOIN label_sets ls ON ls.id = l.set_id JOIN subtree st ON st.root = l.id "
            "LEFT JOIN tags t ON t.label_id = st.id "
            "GROUP BY l.id ORDER BY ls.name COLLATE NOCASE, l.name COLLATE NOCASE"
        )
        # A label added between the two reads (a tag typed meanwhile) has no path yet: its own name is its path.
        return [
            TagCount(
                str(r[0]), str(r[1]), int(r[2]), paths.get(int(r[2]), (str(r[1]),)), int(r[3]), int(r[4]) - int(r[3])
            )
            for r in rows
        ]

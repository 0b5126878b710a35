"""The catalog's schema, as a version number and the ordered migrations that reach it.

Each migration runs once, inside the transaction that records the new version,
so a crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

SCHEMA_VERSION = 6

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL,
        last_scan REAL
    );
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT,
        width INTEGER,
        height INTEGER,
        taken_at TEXT,
        date_source TEXT,
        camera TEXT,
        file_type TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        error_reason TEXT,
        error TEXT,
        added_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX photos_folder ON photos(folder_id);
    CREATE INDEX photos_state ON photos(state);
    CREATE INDEX photos_hash ON photos(content_hash);
    CREATE INDEX photos_taken ON photos(taken_at);
    CREATE TABLE embeddings (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        content_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (photo_id, model_id)
    ) WITHOUT ROWID;
    CREATE INDEX embeddings_model ON embeddings(model_id, photo_id);
    CREATE TABLE albums (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL
    );
    CREATE TABLE album_photos (
        album_id INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        added_at REAL NOT NULL,
        PRIMARY KEY (album_id, photo_id)
    ) WITHOUT ROWID;
    CREATE TABLE label_sets (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        exclusive INTEGER NOT NULL DEFAULT 0,
        builtin INTEGER NOT NULL DEFAULT 0,
        templates TEXT,
        threshold REAL,
        updated_at REAL NOT NULL
    );
    CREATE TABLE labels (
        id INTEGER PRIMARY KEY,
        set_id INTEGER NOT NULL REFERENCES label_sets(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        parent_id INTEGER REFERENCES labels(id) ON DELETE SET NULL,
        prompts TEXT,
        threshold REAL,
        UNIQUE (set_id, name)
    );
    CREATE TABLE tags (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
        score REAL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (photo_id, label_id)
    ) WITHOUT ROWID;
    """,
    2: """
    ALTER TABLE folders ADD COLUMN online INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE folders ADD COLUMN offline_since REAL;
    CREATE INDEX photos_size ON photos(size);
    CREATE INDEX embeddings_hash ON embeddings(model_id, content_hash);
    """,
    3: """
    ALTER TABLE label_sets ADD COLUMN description TEXT NOT NULL DEFAULT '';
    ALTER TABLE label_sets ADD COLUMN background TEXT;
    CREATE INDEX tags_label ON tags(label_id, status);
    CREATE INDEX album_photos_photo ON album_photos(photo_id);
    CREATE INDEX labels_parent ON labels(parent_id);
    """,
    4: """
    ALTER TABLE folders ADD COLUMN device INTEGER;
    ALTER TABLE embeddings ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX embeddings_seq ON embeddings(model_id, seq);
    CREATE TABLE removed_photos (
        content_hash TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        removed_at REAL NOT NULL,
        tags TEXT NOT NULL,
        albums TEXT NOT NULL,
        PRIMARY KEY (content_hash, path)
    ) WITHOUT ROWID;
    CREATE INDEX removed_photos_size ON removed_photos(size);
    CREATE TABLE removed_embeddings (
        content_hash TEXT NOT NULL,
        model_id TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        removed_at REAL NOT NULL,
        PRIMARY KEY (content_hash, model_id)
    ) WITHOUT ROWID;
    CREATE TABLE scan_problems (
        path TEXT PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        seen_at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX scan_problems_folder ON scan_problems(folder_id);
    """,
    5: """
    ALTER TABLE photos ADD COLUMN phash INTEGER;
    ALTER TABLE photos ADD COLUMN sharpness REAL;
    ALTER TABLE photos ADD COLUMN clipping REAL;
    ALTER TABLE photos ADD COLUMN luma REAL;
    ALTER TABLE photos ADD COLUMN contrast REAL;
    ALTER TABLE photos ADD COLUMN taken_subsec REAL;
    CREATE TABLE smart_albums (
        album_id INTEGER PRIMARY KEY REFERENCES albums(id) ON DELETE CASCADE,
        query TEXT NOT NULL,
        filter TEXT NOT NULL,
        relevance REAL NOT NULL,
        model_id TEXT,
        vector BLOB,
        cutoff REAL,
        top_score REAL,
        seen_seq INTEGER NOT NULL DEFAULT 0,
        library_size INTEGER NOT NULL DEFAULT 0,
        refreshed_at REAL
    );
    """,
    6: """
    CREATE TABLE places (
        id INTEGER PRIMARY KEY,
        city TEXT NOT NULL,
        region TEXT NOT NULL,
        country TEXT NOT NULL,
        country_code TEXT NOT NULL,
        city_key TEXT NOT NULL,
        region_key TEXT NOT NULL,
        country_key TEXT NOT NULL,
        UNIQUE (city, region, country, country_code)
    );
    CREATE INDEX places_city ON places(city_key);
    CREATE INDEX places_region ON places(region_key);
    CREATE INDEX places_country ON places(country_key);
    CREATE TABLE photo_places (
        photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
        latitude REAL,
        longitude REAL,
        place_id INTEGER REFERENCES places(id),
        source TEXT NOT NULL
    );
    CREATE INDEX photo_places_place ON photo_places(place_id);
    CREATE TABLE photo_texts (
        id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        engine TEXT,
        model_id TEXT,
        gate_score REAL,
        read_at REAL NOT NULL
    );
    CREATE VIRTUAL TABLE photo_text_index USING fts5(
        text, content='photo_texts', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
    );
    """,
}
"""
Version 4: `folders.device` (the folder's st_dev when last seen with its photos, to tell an
unmounted drive from an emptied folder); `embeddings.seq` (a catalog-wide counter per vector
written, so an index file records exactly which vectors it reflects); `removed_photos` and
`removed_embeddings` (what was learnt about a photo whose file went away: its tags, albums
and vectors, kept for a grace period so a photo that comes back gets them back);
`scan_problems` (folder entries that could not be catalogued, with the reason).
"""
"""
Version 5: what finding duplicates and bursts needs per photo, measured when it is read
(`photos.phash`, a 64-bit perceptual hash stored as a signed integer; `sharpness`, the variance
of the Laplacian on a fixed-size grey image; `clipping`, the share of pixels crushed to black or
blown to white; `luma` and `contrast`, the grey image's mean and standard deviation, to tell an
edit from a re-encode; `taken_subsec`, EXIF's sub-second part of the time taken), and
`smart_albums`: an album that fills itself from a search (its query, filters and relevance, and
the bar a photo's score must clear, kept so new photos are judged without searching again).
"""
"""
Version 6: `places` (city, region and country names, with case- and accent-folded keys that
`place:` looks up) and `photo_places` (each photo's coordinates and place, and where they came
from: "exif", "sidecar", "xmp" for names a person set, "none" once looked at without finding
any); `photo_texts` (text read in photos, by content hash so duplicates share it and a changed
photo is read again; "read", or "gated" when the CLIP gate said it holds no text, or "failed")
with `photo_text_index`, its FTS5 index (unicode61, diacritics removed), kept in step by
`store.texts` rather than triggers.
"""

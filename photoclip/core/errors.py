"""The one exception tree of photoclip, so front ends can show any failure as one clear line.

    PhotoclipError
     ├── CatalogError          the library database cannot be opened or used
     │    ├── SchemaTooNew     written by a newer photoclip; refuse rather than damage it
     │    └── CatalogDamaged   damaged (bad bytes, emptied): `photoclip doctor --repair` restores a backup
     ├── DiskFull              no space left to write: says where and what to free
     ├── LibraryError          a user request that cannot be carried out (missing folder, ...)
     ├── ModelUnavailable      weights cannot be found or downloaded (offline, unknown name)
     ├── QueryError            a search query that cannot be understood
     └── DecodeError           a photo that cannot be read; carries a reason code

Every message is written for the person using the app: what went wrong and, where
there is one, what to do about it.
"""

from __future__ import annotations


class PhotoclipError(Exception):
    """Root of all errors photoclip raises on purpose."""


class CatalogError(PhotoclipError):
    """The library database cannot be opened, read or written."""


class SchemaTooNew(CatalogError):
    """The catalog was written by a newer photoclip."""


class CatalogDamaged(CatalogError):
    """The library database is damaged; a backup can be restored (`photoclip doctor --repair`)."""


class DiskFull(PhotoclipError):
    """A write failed for lack of space; nothing already saved is lost."""


class LibraryError(PhotoclipError):
    """A request about the library that cannot be carried out."""


class ModelUnavailable(PhotoclipError):
    """Model weights cannot be loaded or downloaded.

    `offline` marks "the hub cannot be reached": each front end then says what to do in
    its own words (command-line options, or the app's buttons), so the message itself
    only says what happened.
    """

    def __init__(self, message: str, *, offline: bool = False) -> None:
        super().__init__(message)
        self.offline = offline


class QueryError(PhotoclipError):
    """A search query that cannot be understood."""


class DecodeError(PhotoclipError):
    """A photo that cannot be decoded.

    Args:
        reason: a short stable code (``"empty"``, ``"truncated"``, ``"not_an_image"``, ...)
            that the catalog stores and the UI can group by.
        message: the human explanation.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

"""Every file format we write and read, and their two entry points.

- `write_export`: write stored requests as one of EXPORT_FORMATS (streaming);
- `import_file` (and `import_bytes`, `import_text`): read requests back from a file of any
  format we read, detected from its content (see importing).

Modules: `native` (our JSON and NDJSON export, byte-exact), `har`, `curl`, `importing`, and
`common` (the helpers they share: `FormatError`, body encoding, times, JSON numbers).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from inspector.core import masking
from inspector.core.formats import curl, har
from inspector.core.formats.common import FormatError
from inspector.core.formats.importing import (
    DEFAULT_MAX_SIZE,
    ImportResult,
    import_bytes,
    import_file,
    import_text,
)
from inspector.core.formats.native import write_json, write_ndjson
from inspector.core.models import StoredRequest

__all__ = [
    "DEFAULT_MAX_SIZE",
    "EXPORT_FORMATS",
    "FormatError",
    "ImportResult",
    "import_bytes",
    "import_file",
    "import_text",
    "write_export",
]

# --- every export format ----------------------------------------------------------------------

EXPORT_FORMATS = ("json", "ndjson", "har", "curl")
"""Formats `write_export` writes (and `importing.import_file` reads back)."""


def write_export(
    stream: IO[str],
    items: Iterable[StoredRequest],
    fmt: str = "json",
    *,
    mask: bool = False,
    keep_credentials: bool = False,
    base_url: str | None = None,
) -> int:
    """Write `items` as `fmt` (one of EXPORT_FORMATS), streaming; returns the count.

    `mask` hides phone numbers, names and message text (see masking; masked bodies are marked);
    credentials in payloads are masked unless `keep_credentials`. `base_url` is for curl: where
    the commands send to (default: each request's own scheme://Host).
    """
    if fmt == "json":
        masker = masking.mask_export_item if mask else None
        return write_json(stream, items, masker, keep_credentials=keep_credentials)
    if fmt == "ndjson":
        masker = masking.mask_export_item if mask else None
        return write_ndjson(stream, items, masker, keep_credentials=keep_credentials)
    if fmt == "har":
        return har.write_har(stream, items, keep_credentials=keep_credentials, mask=mask)
    if fmt == "curl":
        return curl.write_curl(
            stream, items, base_url=base_url, keep_credentials=keep_credentials, mask=mask
        )
    raise ValueError(f"unknown export format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")

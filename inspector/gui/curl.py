"""A stored request as a curl command line (Edit > Copy as curl)."""

from __future__ import annotations

import base64
import shlex

from inspector.core.models import StoredRequest, display_text

SKIPPED_HEADERS = frozenset({"host", "content-length"})
"""curl sets these itself (Host from the URL, Content-Length from the body)."""


def curl_command(stored: StoredRequest, base_url: str) -> str:
    """A shell command that sends `stored` again to `base_url` (e.g. the receiver's URL).

    Header values are shown as UTF-8 when their bytes are valid UTF-8. A text body is passed
    with --data-binary; a binary body is piped in from base64 via `--data-binary @-`, so the
    exact bytes are sent.
    """
    req = stored.request
    url = base_url.rstrip("/") + req.target
    parts = ["curl", "-X", req.method, shlex.quote(url)]
    for name, value in req.headers:
        if name.lower() not in SKIPPED_HEADERS:
            parts += ["-H", shlex.quote(f"{name}: {display_text(value)}")]
    body = _text_body(req.body)
    if body is not None:
        if body:
            # --data-binary would read a file when the text starts with '@'; --data-raw not
            option = "--data-raw" if body.startswith("@") else "--data-binary"
            parts += [option, shlex.quote(body)]
        return " ".join(parts)
    parts += ["--data-binary", "@-"]
    encoded = base64.b64encode(req.body).decode("ascii")
    note = f"# binary body ({len(req.body)} bytes), piped in exactly"
    return f"{note}\nprintf %s {shlex.quote(encoded)} | base64 -d | " + " ".join(parts)


def _text_body(body: bytes) -> str | None:
    """The body as text when it survives a shell argument exactly, else None."""
    if b"\x00" in body:
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None

"""POST /polls: a polls file pushed over HTTP, stored exactly as `storemon ingest --polls`
stores it (the same code, all or nothing). The body is streamed to a temporary file (in
REPORTS_DIR when there is one: a volume, not the memory of a tmpfs), never held in memory;
`Content-Encoding: gzip` is undone on the way (by aiohttp, chunk by chunk), and a body past
MAX_POLLS_UPLOAD_BYTES, before or after decompression, is refused with 413."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from aiohttp import web

from api.database import write
from api.errors import json_response
from api.keys import SETTINGS
from shared.errors import FileRowError
from shared.ingest.polls import ingest_polls_file

routes = web.RouteTableDef()
CHUNK = 1 << 20  # bytes read from the body at a time


@routes.post("/polls")
async def push_polls(request: web.Request) -> web.Response:
    limit = request.app[SETTINGS].max_polls_upload_bytes
    if (request.content_length or 0) > limit:
        return _too_large(limit)
    with _upload_file(request.app[SETTINGS].reports_dir) as path:
        with path.open("wb") as out:
            size = 0
            while chunk := await request.content.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    return _too_large(limit)
                out.write(chunk)
        try:
            stored = await write(request, lambda conn: ingest_polls_file(conn, path))
        except FileRowError as e:
            return json_response(
                {"error": f"line {e.line}: {e.reason}", "line": e.line, "reason": e.reason}, 400
            )
    return json_response(
        {"polls": stored.polls, "stores": stored.stores, "from": stored.first, "to": stored.last}
    )


def _too_large(limit: int) -> web.Response:
    response = json_response({"error": f"a polls file is at most {limit:,} bytes"}, 413)
    response.force_close()  # the rest of the body is not read
    return response


@contextlib.contextmanager
def _upload_file(reports_dir: Path) -> Iterator[Path]:
    """A new empty file of this process's own, removed after."""
    directory = reports_dir if reports_dir.is_dir() else None
    fd, name = tempfile.mkstemp(prefix=".polls-", suffix=".upload", dir=directory)
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)

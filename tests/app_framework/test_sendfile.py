"""send_file and send_from_directory: Flask's arguments, ranges,
conditional requests, and files streamed rather than read whole."""

from __future__ import annotations

import gc
import io
import os
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from app_framework import (
    App,
    Response,
    _sendfile,
    send_file,
    send_from_directory,
)
from app_framework.exceptions import NotFound
from app_framework.testing import TestClient
from app_framework.wrappers import _conditional

CONTENT = bytes(range(256)) * 1024  # 256 KiB


@pytest.fixture
def files(app: App, tmp_path: Path) -> App:
    (tmp_path / "data.bin").write_bytes(CONTENT)
    (tmp_path / "notes.txt").write_text("plain notes")
    (tmp_path / "résumé.pdf").write_bytes(b"%PDF")
    app.root_path = str(tmp_path)

    @app.route("/file/<name>")
    async def by_name(name: str) -> Response:
        return send_file(name)

    @app.route("/awaited")
    async def awaited() -> Response:
        return await send_file("notes.txt", as_attachment=True)  # Quart's spelling

    @app.route("/memory")
    async def memory() -> Response:
        return send_file(io.BytesIO(b"in memory"), download_name="m.txt", max_age=60)

    @app.route("/dir/<path:name>")
    async def from_dir(name: str) -> Response:
        return send_from_directory(str(tmp_path), name)

    return app


async def test_a_file_with_its_headers(files: App, client: TestClient) -> None:
    response = await client.get("/file/data.bin")
    assert response.status_code == 200 and response.content == CONTENT
    assert response.headers["content-length"] == str(len(CONTENT))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["cache-control"] == "public, max-age=43200"
    assert response.headers["content-disposition"] == "inline; filename=data.bin"
    assert response.headers["etag"] and response.headers["last-modified"]
    text = await client.get("/file/notes.txt")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"


async def test_files_are_cached_for_twelve_hours_unless_configured(
    files: App, client: TestClient
) -> None:
    # Quart's default; None is Flask's (the browser asks again each time).
    assert files.config["SEND_FILE_MAX_AGE_DEFAULT"].total_seconds() == 12 * 3600
    cached = await client.get("/file/notes.txt")
    assert cached.headers["cache-control"] == "public, max-age=43200"
    files.config["SEND_FILE_MAX_AGE_DEFAULT"] = None
    revalidated = await client.get("/file/notes.txt")
    assert revalidated.headers["cache-control"] == "no-cache"


async def test_attachments_and_names(files: App, client: TestClient) -> None:
    attachment = await client.get("/awaited")
    assert attachment.headers["content-disposition"] == "attachment; filename=notes.txt"
    unicode_name = await client.get("/file/résumé.pdf")
    disposition = unicode_name.headers["content-disposition"]
    assert "filename=resume.pdf" in disposition
    assert "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf" in disposition
    memory = await client.get("/memory")
    assert memory.text == "in memory"
    assert memory.headers["cache-control"] == "public, max-age=60"
    assert "expires" in memory.headers


@pytest.mark.parametrize(
    ("range_header", "status", "start", "stop"),
    [
        ("bytes=0-9", 206, 0, 10),
        ("bytes=1000-", 206, 1000, len(CONTENT)),
        ("bytes=-100", 206, len(CONTENT) - 100, len(CONTENT)),
    ],
)
async def test_ranges(
    files: App,
    client: TestClient,
    range_header: str,
    status: int,
    start: int,
    stop: int,
) -> None:
    for path in ("/file/data.bin", "/dir/data.bin"):
        response = await client.get(path, headers={"Range": range_header})
        assert response.status_code == status
        assert response.content == CONTENT[start:stop]
        assert (
            response.headers["content-range"]
            == f"bytes {start}-{stop - 1}/{len(CONTENT)}"
        )
        assert response.headers["content-length"] == str(stop - start)


@pytest.mark.parametrize(
    "bad", ["bytes=999999999-", "bytes=5-1", "pages=1-2", "bytes=abc"]
)
async def test_a_bad_range_is_a_416(files: App, client: TestClient, bad: str) -> None:
    files.testing = False
    response = await client.get("/file/data.bin", headers={"Range": bad})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(CONTENT)}"
    assert (await client.get("/file/data.bin")).status_code == 200  # still serving


async def test_conditional_requests(files: App, client: TestClient) -> None:
    first = await client.get("/file/data.bin")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    by_etag = await client.get("/file/data.bin", headers={"If-None-Match": etag})
    assert (by_etag.status_code, by_etag.content) == (304, b"")
    by_date = await client.get(
        "/file/data.bin", headers={"If-Modified-Since": modified}
    )
    assert by_date.status_code == 304
    stale = await client.get("/file/data.bin", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == CONTENT
    # If-Range with an old tag sends the whole file instead of the range.
    whole = await client.get(
        "/file/data.bin", headers={"Range": "bytes=0-1", "If-Range": '"old"'}
    )
    assert whole.status_code == 200 and len(whole.content) == len(CONTENT)
    ranged = await client.get(
        "/file/data.bin", headers={"Range": "bytes=0-1", "If-Range": etag}
    )
    assert ranged.status_code == 206 and ranged.content == CONTENT[:2]


async def test_missing_files_and_escapes_are_404s(
    files: App, client: TestClient
) -> None:
    files.testing = False
    assert (await client.get("/dir/nothing.txt")).status_code == 404
    assert (await client.get("/dir/../etc/passwd")).status_code == 404
    assert (await client.get("/dir/%2e%2e/etc/passwd")).status_code == 404
    with pytest.raises(FileNotFoundError):
        async with files.test_request_context("/"):
            await send_file("nothing.txt")  # awaited: the file is looked for here


async def test_programmer_mistakes_say_what_to_write(files: App) -> None:
    async with files.test_request_context("/"):
        with pytest.raises(TypeError, match="Either set 'download_name'"):
            send_file(io.BytesIO(b"x"))
        with pytest.raises(ValueError, match="Either set 'download_name'"):
            send_file(io.BytesIO(b"x"))  # Quart raises ValueError for this one
        with pytest.raises(ValueError, match="binary mode"):
            send_file(io.StringIO("x"), mimetype="text/plain")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="No name provided for attachment"):
            send_file(io.BytesIO(b"x"), mimetype="text/plain", as_attachment=True)


async def test_large_files_stream_in_chunks(
    files: App, client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reads: list[int] = []
    original = _conditional.FileChunks.__aiter__

    def counting(self: Any) -> Any:
        read = self.file.read

        def spy(size: int = -1) -> bytes:
            reads.append(size)
            data: bytes = read(size)
            return data

        self.file.read = spy
        return original(self)

    monkeypatch.setattr(_conditional.FileChunks, "__aiter__", counting)
    size = 5 * 1024 * 1024
    (tmp_path / "big.bin").write_bytes(b"\0" * size)
    response = await client.get("/file/big.bin")
    assert len(response.content) == size
    assert max(reads) == _conditional.CHUNK  # never the whole file at once
    assert len(reads) > 5 * 1024 * 1024 // _conditional.CHUNK


class Recorder:
    """``os`` and ``open`` as ``_sendfile`` sees them: each file system call
    is recorded with the thread it ran in; ``on_stat`` runs in the stat."""

    def __init__(self, on_stat: Callable[[str], None] = lambda path: None) -> None:
        self.calls: list[tuple[str, int]] = []
        self.on_stat = on_stat
        self.path = _RecordingPath(self)

    def record(self, name: str) -> None:
        self.calls.append((name, threading.get_ident()))

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def stat(self, path: str) -> os.stat_result:
        self.record("stat")
        self.on_stat(path)
        return os.stat(path)

    def open(self, path: str, mode: str) -> _RecordingFile:
        self.record("open")
        return _RecordingFile(self, open(path, mode))


class _RecordingPath:
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(os.path, name)

    def isfile(self, path: str) -> bool:
        self.recorder.record("isfile")
        return os.path.isfile(path)

    def realpath(self, path: str) -> str:
        self.recorder.record("realpath")
        return os.path.realpath(path)


class _RecordingFile:
    def __init__(self, recorder: Recorder, file: Any) -> None:
        self.recorder, self.file = recorder, file

    def read(self, size: int = -1) -> bytes:
        self.recorder.record("read")
        data: bytes = self.file.read(size)
        return data

    def seek(self, offset: int) -> int:
        self.recorder.record("seek")
        position: int = self.file.seek(offset)
        return position

    def close(self) -> None:
        self.file.close()


def recording(monkeypatch: pytest.MonkeyPatch, recorder: Recorder) -> Recorder:
    monkeypatch.setattr(_sendfile, "os", recorder)
    monkeypatch.setattr(_sendfile, "open", recorder.open, raising=False)
    return recorder


async def test_the_file_system_is_used_off_the_event_loop(
    files: App, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = recording(monkeypatch, Recorder())
    loop_thread = threading.get_ident()
    whole = await client.get("/file/data.bin")
    ranged = await client.get("/dir/data.bin", headers={"Range": "bytes=10-19"})
    cached = await client.get(
        "/file/data.bin", headers={"If-None-Match": whole.headers["etag"]}
    )
    assert whole.content == CONTENT and ranged.content == CONTENT[10:20]
    assert cached.status_code == 304
    names = {name for name, _ in recorder.calls}
    assert {"stat", "open", "read", "seek", "isfile", "realpath"} <= names
    on_loop = [name for name, thread in recorder.calls if thread == loop_thread]
    assert on_loop == []


async def test_other_requests_are_answered_while_a_files_stat_is_blocked(
    files: App, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    order: list[str] = []

    def slow_disk(path: str) -> None:
        if path.endswith("notes.txt"):
            entered.set()
            order.append("stat released" if release.wait(2) else "stat timed out")

    recording(monkeypatch, Recorder(on_stat=slow_disk))
    slow: list[Any] = []

    async def fetch_slow() -> None:
        slow.append(await client.get("/file/notes.txt"))

    async with anyio.create_task_group() as group:
        group.start_soon(fetch_slow)
        assert await anyio.to_thread.run_sync(entered.wait, 5)
        other = await client.get("/memory")
        order.append("other answered")
        release.set()
    assert other.text == "in memory"
    assert order == ["other answered", "stat released"]
    assert slow[0].text == "plain notes"


async def test_a_missing_file_is_the_views_error_as_before(
    files: App, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    files.testing = False

    @files.errorhandler(404)
    async def not_found(error: NotFound) -> tuple[str, int]:
        return "no such page", 404

    @files.route("/caught")
    async def caught() -> Response | str:
        try:
            return await send_file("nothing.txt")
        except FileNotFoundError:
            return "caught"

    @files.route("/sync-caught")
    def sync_caught() -> Response | str:  # a worker thread: opened right away
        try:
            return send_file("nothing.txt")
        except FileNotFoundError:
            return "caught"

    missing_dir = await client.get("/dir/nothing.txt")
    assert (missing_dir.status_code, missing_dir.text) == (404, "no such page")
    assert (await client.get("/caught")).text == "caught"
    assert (await client.get("/sync-caught")).text == "caught"
    missing = await client.get("/file/nothing.txt")
    assert missing.status_code == 500
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert error.exc_info is not None
    assert isinstance(error.exc_info[1], FileNotFoundError)


async def test_what_the_view_sets_on_the_response_is_kept(
    files: App, client: TestClient
) -> None:
    @files.route("/tagged")
    async def tagged() -> Response:
        response = send_file("notes.txt")
        response.headers["X-Extra"] = "1"
        response.set_etag("mine")
        return response

    seen: list[str | None] = []

    @files.after_request
    def look(response: Response) -> Response:
        seen.append(response.headers.get("content-length"))
        return response

    response = await client.get("/tagged")
    assert response.text == "plain notes" and response.headers["x-extra"] == "1"
    assert response.headers["etag"] == '"mine"'
    assert seen == [str(len("plain notes"))]  # complete before the hooks


async def test_file_response_data_once_direct_passthrough_is_off(files: App) -> None:
    async with files.test_request_context("/"):
        rv = await send_file("notes.txt")
        assert rv.direct_passthrough and rv.mimetype == "text/plain"
        with pytest.raises(RuntimeError, match="direct passthrough"):
            rv.data  # noqa: B018
        rv.direct_passthrough = False
        assert rv.data == b"plain notes"
        assert rv.get_data(as_text=True) == "plain notes"
        assert rv.content_length == len(b"plain notes")
        rv.close()

        upload = io.BytesIO(b"in memory")
        rv = send_file(upload, mimetype="application/octet-stream")
        rv.close()
        assert upload.closed


async def test_data_of_a_path_not_opened_yet_reads_it_here(files: App) -> None:
    async with files.test_request_context("/"):
        rv = send_file("notes.txt")  # not awaited: opened when needed
        assert rv.direct_passthrough
        with pytest.raises(RuntimeError, match="direct passthrough"):
            rv.data  # noqa: B018
        rv.direct_passthrough = False
        assert rv.data == b"plain notes" and rv.content_length == 11
        rv.close()

        rv = send_from_directory(files.root_path, "data.bin")
        rv.direct_passthrough = False
        assert rv.get_data()[:4] == CONTENT[:4]
        rv.close()

        rv = send_file("notes.txt")
        rv.direct_passthrough = False
        assert await rv.get_data(as_text=True) == "plain notes"  # off the loop

        rv = send_file("absent.txt")
        rv.direct_passthrough = False
        with pytest.raises(FileNotFoundError):
            rv.data  # noqa: B018


async def test_file_response_data_is_the_requested_range(files: App) -> None:
    async with files.test_request_context("/", headers={"Range": "bytes=6-10"}):
        rv = await send_file("notes.txt")
        rv.direct_passthrough = False
        assert rv.status_code == 206 and rv.data == b"notes"


async def test_an_empty_static_folder_serves_the_root_path_at_the_root(
    tmp_path: Path,
) -> None:
    # static_folder="" is the app's own folder; its URL path is then "".
    (tmp_path / "robots.txt").write_text("User-agent: *")
    for site in (
        App("site", root_path=str(tmp_path), static_folder=""),
        App("site", root_path=str(tmp_path), static_folder="", static_url_path=""),
    ):
        assert site.has_static_folder and site.static_url_path == ""
        served = await site.test_client().get("/robots.txt")
        assert (served.status_code, served.text) == (200, "User-agent: *")


async def test_a_file_response_dropped_unsent_closes_its_file(files: App) -> None:
    # Quart's tests build file responses they never send: none may leave
    # an open file behind (a ResourceWarning, an error under pytest).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with files.test_request_context("/", headers={"Range": "bytes=0-4"}):
            whole = await send_file("data.bin", conditional=False)
            part = await send_file("notes.txt")
            assert (whole.status_code, part.status_code) == (200, 206)
        del whole, part
        gc.collect()
    assert [str(w.message) for w in caught] == []


async def test_quarts_argument_names_for_the_name_and_the_cache_time(
    files: App,
) -> None:
    async with files.test_request_context("/"):
        by_path = await send_file(
            "notes.txt", as_attachment=True, attachment_filename="n.csv"
        )
        in_dir = await send_from_directory(
            files.root_path, "notes.txt", cache_timeout=90
        )
        with pytest.raises(TypeError, match="'max_age' or 'cache_timeout'"):
            send_file("notes.txt", max_age=5, cache_timeout=5)
    assert by_path.headers["Content-Disposition"] == "attachment; filename=n.csv"
    assert by_path.mimetype == "text/csv"
    assert in_dir.cache_control.max_age == 90

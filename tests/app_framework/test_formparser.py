"""Quart's MultiPartParser, over the framework's own form parser."""

from __future__ import annotations

import pytest

from app_framework.exceptions import RequestEntityTooLarge
from app_framework.formparser import MultiPartParser
from app_framework.wrappers.request import Body

UPLOAD = (
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="title"\r\n\r\n'
    b"twelve chars\r\n"
    b"--xyz\r\n"
    b'Content-Disposition: form-data; name="doc"; filename="d.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"file contents\r\n"
    b"--xyz--\r\n"
)


def _body(data: bytes) -> Body:
    body = Body(len(data), None)
    body.set_result(data)
    return body


async def test_parses_fields_and_files_in_small_buffers() -> None:
    parser = MultiPartParser(buffer_size=3)
    fields, files = await parser.parse(_body(UPLOAD), b"xyz", len(UPLOAD))
    assert fields.to_dict() == {"title": "twelve chars"}
    assert files["doc"].filename == "d.txt"
    assert files["doc"].read() == b"file contents"
    files["doc"].close()


@pytest.mark.parametrize(
    "limits",
    [
        {"max_form_memory_size": 11, "buffer_size": 4},
        {"max_form_parts": 1},
        {"max_content_length": 40},
    ],
)
async def test_each_limit_is_a_413(limits: dict[str, int]) -> None:
    with pytest.raises(RequestEntityTooLarge):
        await MultiPartParser(**limits).parse(_body(UPLOAD), b"xyz", len(UPLOAD))

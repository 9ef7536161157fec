"""The websocket connection, speaking Quart's API.

``data = await websocket.receive()`` gives ``str`` or ``bytes``;
``await websocket.send(data)`` sends text or binary; the first of them
accepts the connection (``accept()`` is optional). The request data of
:class:`Connection` (``args``, ``headers``, ``cookies``...) is there too.

Messages are read by the request's own task, which hands them to the view
through a queue, so the view can be cancelled wherever it waits when the
client leaves (see :mod:`._websocket_serving`). Starlette's raw ASGI
messages stay reachable as ``websocket.raw.receive()`` /
``websocket.raw.send(message)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any, NoReturn

import anyio
from werkzeug.datastructures import Headers

from ..signals import DONE, emit, websocket_received, websocket_sent
from ._connection import Connection
from ._from_parts import websocket_arguments
from ._streaming import YIELD_EVERY

__all__ = [
    "ACCEPTED",
    "CLOSED",
    "CONNECTING",
    "Inbox",
    "Websocket",
    "WebsocketDisconnected",
    "trim_reason",
]

log = logging.getLogger("app_framework")

CONNECTING, ACCEPTED, CLOSED = "connecting", "accepted", "closed"
MAX_REASON_BYTES = 123  # RFC 6455: a close frame's payload is at most 125 bytes


def trim_reason(reason: str) -> str:
    """``reason`` cut to 123 UTF-8 bytes without splitting a character."""
    encoded = reason.encode("utf-8")
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[:MAX_REASON_BYTES].decode("utf-8", "ignore")


class WebsocketDisconnected(ConnectionError):
    """Sending to (or receiving from) a websocket that is over (its client
    left, or it was closed), from a task other than its own view (a
    broadcast, say): the caller can drop the connection. ``code`` is the
    close code, when there was one."""

    def __init__(self, code: int | None = None) -> None:
        super().__init__(f"the websocket is closed (close code {code})")
        self.code = code


class Inbox:
    """The client's messages read ahead of the view: at most ``max_messages``
    of them, and no more once they hold ``max_bytes`` (one message of any
    size is always let in, or a large one could never be read).

    The reader waits for room (:meth:`wait_for_room`) *before* it takes the
    next message from the server: a message nobody has room for stays in the
    server's buffers, the server stops reading the socket, and TCP slows the
    client down. Counting bytes as well as messages is what bounds the
    memory: 64 messages of 1 MiB would be 64 MiB a connection.
    """

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._messages: deque[tuple[dict[str, Any], int]] = deque()
        self._bytes = 0
        # The futures of the tasks waiting for a message, and for room: set
        # directly (no Event, no coroutine of its own per message); one
        # that was cancelled is left to be skipped and dropped.
        self._getters: list[asyncio.Future[None]] = []
        self._room: list[asyncio.Future[None]] = []

    def full(self) -> bool:
        """Whether the next message must wait for the view."""
        return len(self._messages) >= self.max_messages or self._bytes >= self.max_bytes

    async def wait_for_room(self) -> None:
        """Return when :meth:`full` is false."""
        while self.full():
            waiter = asyncio.get_running_loop().create_future()
            self._room.append(waiter)
            await waiter

    def put_nowait(self, message: dict[str, Any]) -> None:
        """Add ``message`` (room or not: the reader waited for it)."""
        payload = message.get("text")
        if payload is None:
            payload = message.get("bytes")
        size = 0 if payload is None else len(payload)
        self._messages.append((message, size))
        self._bytes += size
        if self._getters:
            _wake(self._getters)

    async def get(self) -> dict[str, Any]:
        """The oldest message, when there is one."""
        messages = self._messages
        while not messages:
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            await waiter
        message, size = messages.popleft()
        self._bytes -= size
        if self._room:  # the reader checks full() again when it wakes
            _wake(self._room)
        return message


def _wake(waiters: list[asyncio.Future[None]]) -> None:
    for waiter in waiters:
        if not waiter.done():
            waiter.set_result(None)
    waiters.clear()


class _Raw:
    """Starlette's raw message API: ASGI message dicts, in and out."""

    def __init__(self, websocket: Websocket) -> None:
        self._websocket = websocket

    async def receive(self) -> dict[str, Any]:
        """The next ASGI message from the client (``websocket.receive``)."""
        return await self._websocket._next_message()

    async def send(self, message: dict[str, Any]) -> None:
        """Send an ASGI message as it is."""
        await self._websocket._send_asgi(message)


class Websocket(Connection):
    """A websocket connection (Quart's API; see the module docstring)."""

    state: str = CONNECTING
    """``"connecting"``, ``"accepted"`` or ``"closed"``."""
    close_code: int | None = None
    """The code the connection closed with (the first side's to close)."""
    ended = False
    """Whether the view is being ended because the connection is over (the
    client left, or bad input closed it): not an application error."""
    _view_task: asyncio.Task[Any] | None = None
    _unyielded_sends = 0

    def __init__(
        self,
        scope: Any,
        receive: Any = None,
        send: Any = None,
        app: Any = None,
        /,
        *parts: Any,
        **options: Any,
    ) -> None:
        """``Websocket(scope, receive, send, app)``, or Quart's
        ``Websocket(path, query_string, scheme, headers, root_path,
        http_version, subprotocols, receive, send, accept, close, scope)``
        (see :func:`._from_parts.websocket_arguments`)."""
        if parts or options or app is None:
            scope, receive, send, app = websocket_arguments(
                (scope, receive, send, app, *parts), options
            )
        self.scope = scope
        self._receive = receive
        self._send = send
        self._owner = app  # the sender of its signals
        self._inbox: Inbox | None = None
        self.raw = _Raw(self)
        """Starlette's raw ASGI messages: ``await websocket.raw.receive()``."""

    # -- request data ----------------------------------------------------------

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered."""
        offered: list[str] = self.scope.get("subprotocols") or []
        return list(offered)

    @property
    def max_message_size(self) -> int | None:
        """``MAX_WEBSOCKET_MESSAGE_SIZE``: a larger message closes with 1009."""
        size: int | None = self._owner.config.get("MAX_WEBSOCKET_MESSAGE_SIZE")
        return size

    # -- handshake and closing -----------------------------------------------

    async def accept(
        self,
        headers: Mapping[str, str] | Headers | list[tuple[str, str]] | None = None,
        subprotocol: str | None = None,
    ) -> None:
        """Accept the connection (done by the first ``send``/``receive``
        when not called); does nothing once accepted.

        :raises RuntimeError: the websocket was closed.
        """
        if self.state == ACCEPTED:
            return
        if self.state == CLOSED:
            raise RuntimeError("This websocket is closed: it cannot be accepted.")
        items: Any = (
            headers.items() if isinstance(headers, Mapping | Headers) else headers or ()
        )
        raw = [
            (str(k).lower().encode("latin-1"), str(v).encode("latin-1"))
            for k, v in items
        ]
        await self._send_asgi(
            {"type": "websocket.accept", "subprotocol": subprotocol, "headers": raw}
        )
        self.state = ACCEPTED

    async def _accept_implicitly(self) -> None:
        # A connection that is over (its client left, or it was closed) is
        # one the caller cannot use any more: the same error as any send to
        # it, not accept()'s error about calling it late.
        if self.state == ACCEPTED:
            return
        if self.state == CLOSED:
            await self._stop()
        await self.accept()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (before ``accept``: refuse it). The reason is
        cut to 123 UTF-8 bytes, the most a close frame holds. Closing twice
        does nothing."""
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self.close_code = code
        message = {
            "type": "websocket.close",
            "code": code,
            "reason": trim_reason(reason),
        }
        try:
            await self._send(message)
        except OSError:  # the client left while we closed
            pass

    async def end(self, code: int, reason: str) -> NoReturn:
        """Close because of bad input and end the view: logged at info (the
        client's mistake is not an application error)."""
        log.info("Closing the websocket %s with %d: %s", self.path, code, reason)
        await self.close(code, reason)
        await self._stop()

    # -- serving (the framework's side, see _websocket_serving) ---------------

    async def open(self, max_messages: int, max_bytes: int) -> bool:
        """Wait for the client's opening message; from then on up to
        ``max_messages`` of its messages (``max_bytes`` in all) are held for
        the view. False (and closed) when the client left first."""
        first = await self._receive()
        if first["type"] != "websocket.connect":
            self.state = CLOSED
            return False
        self._inbox = Inbox(max_messages, max_bytes)
        return True

    async def feed(self, view: asyncio.Task[Any]) -> None:
        """Hand the client's messages to ``view`` (the task running the
        view) until either of them is done; when the client leaves, the
        view is cancelled wherever it waits. Called by the connection's
        own task, after :meth:`open`."""
        inbox = self._inbox
        if inbox is None:
            raise RuntimeError("Call 'await websocket.open(...)' before feed().")
        self._view_task = view
        with anyio.CancelScope() as scope:
            view.add_done_callback(lambda _: scope.cancel())
            while True:
                # Room first: a message taken from the server while the view
                # is behind would be one more held here, and the server would
                # read the socket again to fill the place it left.
                if inbox.full():
                    await inbox.wait_for_room()
                message = await self._receive()
                if message["type"] == "websocket.disconnect":
                    self._disconnected(message)
                    inbox.put_nowait(message)
                    return
                inbox.put_nowait(message)

    def _disconnected(self, message: dict[str, Any]) -> None:
        code = message.get("code", 1005)
        if code == 1009:
            # The server refused a message over its ws_max_size (or the
            # client one of ours): the view never saw it, so this line is
            # all an operator would have.
            log.info(
                "The websocket %s was closed with 1009: %s",
                self.path,
                message.get("reason") or "message too big",
            )
        self._client_left(code)

    async def deny(self, response: Any) -> None:
        """Refuse the handshake with ``response`` (an ASGI app) sent as an
        HTTP response, which needs the server's ``websocket.http.response``
        extension; the connection is closed. A client gone meanwhile is
        not an error."""
        self.state = CLOSED
        try:
            await response(self.scope, self._receive, self._send)
        except OSError:
            pass

    # -- the view's end ------------------------------------------------------

    def _client_left(self, code: int | None) -> None:
        """The client is gone: cancel the view, wherever it waits (called by
        the request's task, which reads the messages)."""
        if self.state != CLOSED:
            self.state = CLOSED
            self.close_code = code
        self._cancel_view()

    def _cancel_view(self) -> bool:
        """Cancel the view's task (once); whether it is the current task."""
        task = self._view_task
        if task is not None and not task.done() and not self.ended:
            self.ended = True
            task.cancel("the websocket is over")
        return task is not None and task is asyncio.current_task()

    async def _stop(self) -> NoReturn:
        """End the view: in its own task, be cancelled here and now (its
        ``except CancelledError`` and ``finally`` blocks run); in another task
        (a broadcast), raise :class:`WebsocketDisconnected`."""
        if self._cancel_view():
            await asyncio.sleep(0)  # the cancellation lands here
        raise WebsocketDisconnected(self.close_code)

    # -- messages ------------------------------------------------------------

    async def _next_message(self) -> dict[str, Any]:
        inbox = self._inbox
        if self.state == CLOSED or inbox is None:
            await self._stop()
        message = await inbox.get()
        if message["type"] == "websocket.disconnect":
            inbox.put_nowait(message)  # for whoever waits next
            await self._stop()
        return message

    async def _send_asgi(self, message: dict[str, Any]) -> None:
        if self.state == CLOSED:
            await self._stop()
        try:
            await self._send(message)
        except OSError:
            # The server says the client is gone: as when it tells us so.
            self._client_left(self.close_code)
            await self._stop()

    async def receive(self) -> str | bytes:
        """The next message's text (``str``) or data (``bytes``).

        A message over ``MAX_WEBSOCKET_MESSAGE_SIZE`` closes with 1009.
        """
        if self.state != ACCEPTED:
            await self._accept_implicitly()
        message = await self._next_message()
        self._unyielded_sends = 0
        text: str | None = message.get("text")
        data: str | bytes = text if text is not None else message.get("bytes") or b""
        limit = self.max_message_size
        if limit is not None and len(data) > limit:
            await self.end(1009, f"The message is larger than {limit} bytes.")
        received = emit(self._owner, websocket_received, message=data)
        if received is not DONE:
            await received
        return data

    async def send(self, data: str | bytes) -> None:
        """Send ``str`` as a text message and ``bytes`` as a binary one.

        :raises TypeError: neither str nor bytes.
        """
        if self.state != ACCEPTED:
            await self._accept_implicitly()
        if isinstance(data, str):
            message: dict[str, Any] = {"type": "websocket.send", "text": data}
        elif isinstance(data, bytes | bytearray | memoryview):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                f"websocket.send() takes str or bytes, not {type(data).__name__}; "
                "use send_json() for other values"
            )
        if self.state == CLOSED:  # _send_asgi, inlined: a layer less a message
            await self._stop()
        try:
            await self._send(message)
        except OSError:
            self._client_left(self.close_code)
            await self._stop()
        self._unyielded_sends += 1
        if self._unyielded_sends >= YIELD_EVERY:
            # A server's send often returns without waiting; a view sending
            # in a loop would then never let the event loop run, and nobody
            # would see the client leave. (A receive() resets the count.)
            self._unyielded_sends = 0
            await asyncio.sleep(0)
        sent = emit(self._owner, websocket_sent, data=data)
        if sent is not DONE:
            await sent

    async def receive_json(self) -> Any:
        """The next message, parsed with ``app.json``; a message that is not
        JSON closes the websocket with 1007."""
        data = await self.receive()
        try:
            return self._owner.json.loads(data)
        except (ValueError, RecursionError):
            await self.end(1007, "The message is not valid JSON.")

    async def send_json(self, *args: Any, **kwargs: Any) -> None:
        """Send a value (``send_json(obj)``, or keyword arguments as an
        object) as JSON text, through ``app.json``."""
        if args and kwargs:
            raise TypeError("send_json() takes a value or keyword arguments, not both")
        value = args[0] if len(args) == 1 else (list(args) if args else kwargs)
        await self.send(self._owner.json.dumps(value))

    receive_data = receive
    send_data = send

    # Starlette's typed spellings, for views written against it: a message
    # of the other kind is the client's mistake, so it closes with 1003.

    async def receive_text(self) -> str:
        """The next message, which must be text (binary closes with 1003)."""
        data = await self.receive()
        if not isinstance(data, str):
            await self.end(1003, "Expected a text message.")
        return data

    async def receive_bytes(self) -> bytes:
        """The next message, which must be binary (text closes with 1003)."""
        data = await self.receive()
        if not isinstance(data, bytes):
            await self.end(1003, "Expected a binary message.")
        return data

    async def send_text(self, data: str) -> None:
        """Send a text message (Starlette's spelling of ``send(str)``)."""
        if not isinstance(data, str):
            raise TypeError(f"send_text() takes str, not {type(data).__name__}")
        await self.send(data)

    async def send_bytes(self, data: bytes) -> None:
        """Send a binary message (Starlette's spelling of ``send(bytes)``)."""
        if not isinstance(data, bytes):
            raise TypeError(f"send_bytes() takes bytes, not {type(data).__name__}")
        await self.send(data)

    def __repr__(self) -> str:
        return f"<Websocket {self.path!r} [{self.state}]>"

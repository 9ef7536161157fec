"""Running on many workers: the signal relay and server-side sessions,
switched on by config at start-up (``SIGNAL_RELAY_URL``,
``SESSION_REDIS_URL``). With neither set nothing about Redis is imported.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asignals.relay import Relay

    from ..app import App

__all__ = ["read_relay_stats", "share", "start_scale_out", "stop_scale_out"]


def share(
    app: App,
    signal: object,
    max_bytes: int,
    max_age: float | None,
    durable: bool,
    retention: int,
    retention_seconds: float | None,
) -> None:
    """Record ``signal`` as shared (``App.share_signal``), with the options
    ``Relay.share`` takes.

    :raises TypeError: ``signal`` has no name (use a namespace).
    """
    from asignals import NamedSignal

    if not isinstance(signal, NamedSignal):
        raise TypeError(
            "only named signals can be shared: use "
            "asignals.Namespace().signal('name') or asignals.signal('name')"
        )
    if max_age is None and not durable:
        max_age = 5.0  # shown as such by ``app-framework signals``
    app.shared_signals[signal] = {
        "max_bytes": max_bytes,
        "max_age": max_age,
        "durable": durable,
        "retention": retention,
        "retention_seconds": retention_seconds,
    }


async def start_scale_out(app: App) -> None:
    """Start the relay (sharing the app's shared signals) and pick the Redis
    session interface, as the config says. Never waits for Redis: an app
    starts and serves while Redis is down."""
    url = app.config.get("SESSION_REDIS_URL")
    if url:
        from ..sessions import SecureCookieSessionInterface
        from ..sessions.redis import RedisSessionInterface

        if type(app.session_interface) is SecureCookieSessionInterface:
            app.session_interface = RedisSessionInterface(url)
    url = app.config.get("SIGNAL_RELAY_URL")
    if not url or not app.shared_signals:
        return
    from asignals.relay import Relay

    relay = Relay(
        url,
        name=app.name,
        prefix=app.config.get("SIGNAL_RELAY_PREFIX") or "app_framework",
        local_sender=app,
        dumps=app.json.dumps,
        loads=app.json.loads,
        around_delivery=app.app_context,
        logger=app.logger,
    )
    for signal, options in app.shared_signals.items():
        relay.share(signal, **options)
    await relay.start()
    app.relay = relay


async def stop_scale_out(app: App) -> None:
    """Stop the relay (its shared signals are local again)."""
    relay: Relay | None = app.relay
    if relay is not None:
        app.relay = None
        relay.unshare_all()
        await relay.stop()
    close = getattr(app.session_interface, "aclose", None)
    if close is not None:
        await close()


async def read_relay_stats(app: App) -> dict[str, dict[str, int]]:
    """Every live relay's counters for this app, by process (from Redis,
    where each relay writes them every second)."""
    import redis.asyncio as aioredis

    url = app.config["SIGNAL_RELAY_URL"]
    prefix = app.config.get("SIGNAL_RELAY_PREFIX") or "app_framework"
    pattern = f"{prefix}:{app.name}:stats:*"
    client: Any = aioredis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2
    )
    found: dict[str, dict[str, int]] = {}
    try:
        async with asyncio.timeout(5):
            async for key in client.scan_iter(match=pattern):
                values = await client.hgetall(key)
                process = key.decode().rsplit(":stats:", 1)[1]
                found[process] = {k.decode(): int(v) for k, v in values.items()}
    finally:
        await client.aclose()
    return found


async def read_relay_health(app: App) -> dict[str, dict[str, Any]]:
    """Every live relay's health (``Relay.health``), by process: who it
    heard how many seconds ago, and its publish-to-delivery latency."""
    import redis.asyncio as aioredis

    prefix = app.config.get("SIGNAL_RELAY_PREFIX") or "app_framework"
    client: Any = aioredis.Redis.from_url(
        app.config["SIGNAL_RELAY_URL"], socket_timeout=2, socket_connect_timeout=2
    )
    found: dict[str, dict[str, Any]] = {}
    try:
        async with asyncio.timeout(5):
            async for key in client.scan_iter(match=f"{prefix}:{app.name}:health:*"):
                text = await client.get(key)
                if text is not None:
                    process = key.decode().rsplit(":health:", 1)[1]
                    found[process] = json.loads(text)
    finally:
        await client.aclose()
    return found


def format_health(health: dict[str, dict[str, Any]]) -> str:
    """Each relay's last-heard times and latency, as lines."""
    if not health:
        return "    (no relay has reported in the last 10 s)"
    lines = []
    for process, report in sorted(health.items()):
        latency = report.get("latency_ms", {})
        heard = ", ".join(
            f"{'itself' if who == process else who} {ago:.1f} s ago"
            for who, ago in sorted(report.get("heard", {}).items())
        )
        lines.append(
            f"    {process}: subscribed={report.get('subscribed')}, "
            f"latency p50/p99 {latency.get('p50')}/{latency.get('p99')} ms, "
            f"heard {heard or 'nobody'}"
        )
    return "\n".join(lines)


def format_stats(stats: dict[str, dict[str, int]]) -> str:
    """The counters as lines for the command line."""
    if not stats:
        return "    (no relay has reported in the last 10 s)"
    return "\n".join(
        f"    {process}: {json.dumps(counters)}"
        for process, counters in sorted(stats.items())
    )

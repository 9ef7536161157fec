"""Integrations with other tools, each installed by one call and built on the
framework's public signals and ``app.instrumentation`` (nothing replaced or
patched). Each needs its extra: ``app-framework[otel]``,
``app-framework[sentry]``; nothing in the framework imports them."""

"""The life of a request, a websocket and the app: per-route plans, the
runner, shielded teardown, lifespan, background tasks and the scale-out wiring."""

from hello import app  # type: ignore[import-not-found]  # noqa: F401

from __future__ import annotations

from app_framework import App


def create_app() -> App:
    return App("app")


def create_app2(foo: str, bar: str) -> App:
    return App("_".join(["app2", foo, bar]))


def no_app() -> None:
    pass

from __future__ import annotations

from app_framework import App


def create_app() -> App:
    return App("planted")


def graft(stock: str, scion: str = "wild") -> App:
    return App(f"{stock}_{scion}")


def barren() -> None:
    return None

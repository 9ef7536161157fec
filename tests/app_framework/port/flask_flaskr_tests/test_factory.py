"""flaskr's tests of the app factory (Flask's tutorial)."""

from __future__ import annotations

from ..flask_flaskr import create_app


def test_config():
    """Test create_app without passing test config."""
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_hello(client):
    response = client.get("/hello")
    assert response.data == b"Hello, World!"

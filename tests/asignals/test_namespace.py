"""Namespaces and named signals."""

from __future__ import annotations

import threading

import asignals
from asignals import NamedSignal, Namespace


def test_same_name_gives_same_signal() -> None:
    namespace = Namespace()
    first = namespace.signal("saved", doc="Sent after saving.")
    assert namespace.signal("saved") is first
    assert first.name == "saved"
    assert first.__doc__ == "Sent after saving."
    assert namespace["saved"] is first
    assert isinstance(first, NamedSignal)


def test_an_unknown_name_is_just_a_new_signal() -> None:
    namespace = Namespace()
    assert namespace.signal("a") is not namespace.signal("b")
    assert sorted(namespace) == ["a", "b"]


def test_namespaces_are_separate() -> None:
    assert Namespace().signal("x") is not Namespace().signal("x")


def test_default_namespace_and_signal_function() -> None:
    created = asignals.signal("tests.namespace.default")
    assert asignals.signal("tests.namespace.default") is created
    assert asignals.default_namespace["tests.namespace.default"] is created


def test_repr_names_the_signal() -> None:
    assert repr(NamedSignal("ready")) == "<asignals._namespace.NamedSignal 'ready'>"


def test_concurrent_creation_gives_one_signal() -> None:
    namespace = Namespace()
    found: list[NamedSignal] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        found.append(namespace.signal("race"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(signal) for signal in found}) == 1

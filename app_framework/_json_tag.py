"""Tagged JSON: JSON that gives back tuples, bytes, Markup, UUIDs and
datetimes with their types (Flask's ``flask.json.tag``, public as
:mod:`app_framework.json.tag`). The sessions store their data with it.

A value JSON cannot hold is written as a one-key object whose key names
its type (``{" t": [1, 2]}`` for the tuple ``(1, 2)``); loading turns such
objects back. A dict that happens to look like a tag (one key, a tag's
key) is itself tagged (``" di"``), so it loads as the dict it was. A dict
written by plain JSON loads as itself unless it looks like a tag, so data
stored before the tags existed still loads.

Kept below the sessions (the JSON goes through the ``json`` module, not
``app.json``): a value no tag and no JSON type covers raises ``TypeError``
rather than being stored as a string it would not load back as.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from markupsafe import Markup
from werkzeug.http import http_date, parse_date

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


class JSONTag:
    """One type the serializer knows: subclass it, set :attr:`key` and
    define :meth:`check`, :meth:`to_json` and :meth:`to_python`, then
    ``serializer.register(MyTag)``."""

    __slots__ = ("serializer",)

    key: str = ""
    """What marks a value of this type in the JSON (Flask's keys start with
    a space, which no ordinary key does). Empty: the tag only converts
    (lists, dicts) and leaves no mark."""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag handles ``value``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define check(value), saying whether "
            "it handles a value"
        )

    def to_json(self, value: Any) -> Any:
        """``value`` as JSON types (call ``self.serializer.tag(part)`` on
        any part that may need a tag itself)."""
        raise NotImplementedError(
            f"{type(self).__name__} must define to_json(value), returning JSON types"
        )

    def to_python(self, value: Any) -> Any:
        """The Python value back from what :meth:`to_json` returned."""
        raise NotImplementedError(
            f"{type(self).__name__} must define to_python(value), the inverse "
            "of to_json"
        )

    def tag(self, value: Any) -> Any:
        """``value`` converted and marked: ``{key: to_json(value)}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key is a tag's key: its key gets a ``__``
    suffix inside a ``" di"`` tag, so it does not load as that tag."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        [(key, item)] = value.items()
        return {f"{key}__": self.serializer.tag(item)}

    def to_python(self, value: Any) -> Any:
        [(key, item)] = value.items()
        return {key.removesuffix("__"): item}


class PassDict(JSONTag):
    """Any other dict: unmarked, its values tagged (JSON keys are strings,
    so keys are left as they are)."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {key: tag(item) for key, item in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    """A tuple, as a list under ``" t"``."""

    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: unmarked, its items tagged."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return [tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    """Bytes, as base64 text under ``" b"``."""

    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (Markup and its look-alikes), as its
    markup under ``" m"``; it loads as :class:`markupsafe.Markup`."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    """A UUID, as its 32 hex digits under ``" u"``."""

    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date under ``" d"`` (as Flask: whole seconds,
    UTC; a naive datetime is taken as UTC and loads as an aware one)."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        return parse_date(value)


class TaggedJSONSerializer:
    """Compact JSON that keeps the types of dicts, lists, tuples, bytes,
    Markup, UUIDs and datetimes, extensible with :meth:`register`. It is
    what the sessions store (``app.session_interface.serializer``), and it
    is the ``serializer`` its itsdangerous signer is given."""

    __slots__ = ("order", "tags")

    default_tags: ClassVar[list[type[JSONTag]]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]
    """The tags every new serializer starts with, in the order they are tried."""

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        """The tags by key (those that mark what they write)."""
        self.order: list[JSONTag] = []
        """The tags in the order :meth:`tag` tries them: the first whose
        ``check`` accepts a value converts it."""
        for tag_class in self.default_tags:
            self.register(tag_class)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add a tag: an instance of ``tag_class`` bound to this serializer.

        :param force: replace the tag already registered under the same key.
        :param index: where it goes in :attr:`order` (None: last). A tag for
            a subclass of a handled type must come before that type's tag,
            e.g. ``index=0`` for an ``OrderedDict`` tag (dicts come first).
        :raises KeyError: the key is taken and ``force`` is false.
        """
        tag = tag_class(self)
        if tag.key:
            if tag.key in self.tags and not force:
                raise KeyError(
                    f"Tag {tag.key!r} is already registered (by "
                    f"{type(self.tags[tag.key]).__name__}): give {tag_class.__name__}"
                    " another key, or pass force=True to replace it."
                )
            self.tags[tag.key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` as JSON types, with tags where JSON has no type for it
        (unchanged when no tag handles it). A ``str``, ``int``, ``float``,
        ``bool`` or ``None`` is JSON already and is passed without asking
        the tags (a subclass, such as Markup, is asked)."""
        if type(value) in _JSON_SCALARS:  # most values: skip ~8 checks each
            return value
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The value a tagged object stands for (``value`` itself when it
        is not one: more than one key, or a key no tag has)."""
        if len(value) != 1:
            return value
        [(key, item)] = value.items()
        tag = self.tags.get(key)
        return value if tag is None else tag.to_python(item)

    def dumps(self, value: Any) -> str:
        """``value`` tagged, as compact JSON.

        :raises TypeError: a value that neither JSON nor a tag covers.
        """
        return json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """The value back from :meth:`dumps` (or from plain JSON).

        :raises ValueError: not JSON, or a tag's data it cannot convert back.
        """
        # The hook sees each object after its contents (inner tags first),
        # and costs far less than walking the loaded value again.
        return json.loads(value, object_hook=self.untag)

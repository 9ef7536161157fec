"""Tagged JSON, as ``flask.json.tag``: the serializer the sessions use,
which gives back tuples, bytes, Markup, UUIDs and datetimes with their
types, and takes new types as :class:`JSONTag` subclasses::

    from collections import OrderedDict

    from app_framework.json.tag import JSONTag

    class TagOrderedDict(JSONTag):
        __slots__ = ()
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    # before the dict tags, since an OrderedDict is a dict
    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

from .._json_tag import (
    JSONTag,
    PassDict,
    PassList,
    TagBytes,
    TagDateTime,
    TagDict,
    TaggedJSONSerializer,
    TagMarkup,
    TagTuple,
    TagUUID,
)

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

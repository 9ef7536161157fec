"""The rule index finds exactly what trying every rule in order finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app_framework.routing import Router, RuleOptions

SEGMENTS = st.sampled_from(["a", "b", "shop", "items", ""])
PARTS = st.one_of(
    SEGMENTS,
    st.sampled_from(["<x>", "<int:n>", "<path:p>", "pre<y>", "<uuid:u>"]),
)
RULES = st.lists(
    st.tuples(st.lists(PARTS, min_size=0, max_size=3), st.booleans(), st.booleans()),
    min_size=1,
    max_size=12,
)
PATHS = st.lists(
    st.lists(
        st.sampled_from(["a", "b", "shop", "items", "7", "prez", "", "x y"]), max_size=4
    ),
    min_size=1,
    max_size=8,
)


def _router(rules: list[tuple[list[str], bool, bool]]) -> Router:
    router = Router()
    for number, (parts, slash, strict) in enumerate(rules):
        names: set[str] = set()
        cleaned = []
        for part in parts:  # one placeholder name once per rule
            if "<" in part and part in names:
                continue
            names.add(part)
            cleaned.append(part)
        rule = "/" + "/".join(cleaned) + ("/" if slash and cleaned else "")
        router.add(
            rule,
            f"e{number}",
            None,
            None,
            RuleOptions(strict_slashes=strict),
            last=number == 0,
        )
    return router


@settings(max_examples=300, deadline=None)
@given(RULES, PATHS)
def test_the_index_agrees_with_trying_every_rule(
    rules: list[tuple[list[str], bool, bool]], paths: list[list[str]]
) -> None:
    router = _router(rules)
    index = router._index(False)
    for segments in paths:
        path = "/" + "/".join(segments)
        for probe in (path, path + "/"):
            every = [
                rule
                for rule in router.rules
                if rule.path.regex.match(probe)
                or (
                    not rule.strict_slashes
                    and rule.rule.endswith("/")
                    and rule.path.regex.match(probe + "/")
                )
            ]
            found = [
                rule
                for rule in index.candidates(probe)
                if rule.path.regex.match(probe)
                or (
                    not rule.strict_slashes
                    and rule.rule.endswith("/")
                    and rule.path.regex.match(probe + "/")
                )
            ]
            assert found == every, (probe, [r.rule for r in router.rules])

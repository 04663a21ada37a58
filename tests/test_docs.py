"""The docs point students at code lines and tests: every such pointer must still point at what it names."""
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..")
DOCS = [os.path.join(ROOT, "docs", name) for name in sorted(os.listdir(os.path.join(ROOT, "docs")))
        if name.endswith(".md")]
# [`name`](../path.py#L12) says: line 12 of path.py defines `name`.
LINE_LINK = re.compile(r"\[`(\w+)`\]\(\.\./([\w/]+\.py)#L(\d+)\)")
# [`test_x`](../tests/file.py) says: that test exists in that file.
TEST_LINK = re.compile(r"\[`(test_\w+)`\]\(\.\./(tests/\w+\.py)\)")


def links(pattern):
    found = []
    for doc in DOCS:
        text = open(doc, encoding="utf-8").read()
        found += [(os.path.basename(doc), *m.groups()) for m in pattern.finditer(text)]
    return found


@pytest.mark.parametrize("doc, name, path, line", links(LINE_LINK))
def test_code_line_links_point_at_their_definition(doc, name, path, line):
    lines = open(os.path.join(ROOT, path), encoding="utf-8").read().splitlines()
    definition = re.compile(rf"\s*(def {name}\(|{name} = )")
    now_at = [number for number, text in enumerate(lines, 1) if definition.match(text)]
    assert definition.match(lines[int(line) - 1]), (
        f"{doc}: {path}#L{line} should define {name}, but the line is {lines[int(line) - 1]!r}; "
        f"it is now at line {now_at}")

@pytest.mark.parametrize("doc, name, path", links(TEST_LINK))
def test_test_links_name_existing_tests(doc, name, path):
    assert re.search(rf"^def {name}\(", open(os.path.join(ROOT, path), encoding="utf-8").read(), re.M), (
        f"{doc} cites {path}::{name}, which does not exist")


def test_the_docs_do_cite_code_and_tests():
    assert len(links(LINE_LINK)) >= 15 and len(links(TEST_LINK)) >= 15

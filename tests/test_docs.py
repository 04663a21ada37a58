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


# [text](relative/path#anchor) in a page a reader opens: the file must exist, and an anchor into a Markdown page
# must be one of its headings (GitHub's ids: lower case, punctuation dropped, spaces as hyphens).
PAGES = [os.path.join(ROOT, name) for name in ("README.md", "CHANGELOG.md", os.path.join("benchmarks", "README.md"),
                                             os.path.join("benchmarks", "RESULTS.md"),
                                             os.path.join("notebooks", "README.md"))] + DOCS
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:)([^)\s]+)\)")


def heading_ids(path):
    text = re.sub(r"```.*?```", "", open(path, encoding="utf-8").read(), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.+)$", text, re.M)}


def relative_links():
    found = []
    for page in PAGES:
        if os.path.exists(page):
            text = open(page, encoding="utf-8").read()
            found += [(os.path.relpath(page, ROOT), m.group(1)) for m in RELATIVE_LINK.finditer(text)]
    return found


@pytest.mark.parametrize("page, link", relative_links())
def test_relative_links_lead_somewhere(page, link):
    path, _, anchor = link.partition("#")
    target = os.path.normpath(os.path.join(ROOT, os.path.dirname(page), path)) if path else os.path.join(ROOT, page)
    assert os.path.exists(target), f"{page} links to {link}, which does not exist"
    if anchor and target.endswith(".md"):
        assert anchor in heading_ids(target), f"{page} links to {link}: no heading of {path or page} has that id"

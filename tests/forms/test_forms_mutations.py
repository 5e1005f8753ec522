"""Random mutations of valid form files (a shipped form and the test form with every question
type) never crash the loader: the result is a form, or a FormError naming the file."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.forms import FormError, FormSpec, load_form
from runtime.settings import REPO_DIR

# The small ones: the loader's cost grows with the file, and every question type is in uji.yaml.
SOURCES = [REPO_DIR / "forms" / "literasi_bulanan.yaml", REPO_DIR / "tests" / "support" / "forms" / "uji.yaml"]
TEXTS = {path.name: path.read_text(encoding="utf-8") for path in SOURCES}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["", "x" * 5000, "1 +", "sasaran", "kader", "count", "prev.", "__import__('os')", "{id: x}"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["id", "type", "label", "options", "check", "formula", "relevant", "min", "max", "x"]),
            inner,
            max_size=3,
        )
    ),
    max_leaves=6,
)


def load_or_form_error(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "mutated.yaml"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    try:
        assert isinstance(load_form(path), FormSpec)
    except FormError as problem:
        assert "mutated.yaml" in str(problem)


def _paths(node, prefix=()):
    """Every place in the tree: (path of keys/indexes)."""
    yield prefix
    if isinstance(node, dict):
        for key, child in node.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _paths(child, (*prefix, index))


def _replace(tree, path, value, delete=False):
    if not path:
        return value
    parent = tree
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return tree


@SETTINGS
@given(name=st.sampled_from(sorted(TEXTS)), data=st.data(), value=values, delete=st.booleans())
def test_a_changed_or_removed_value_never_crashes_the_loader(tmp_path, name, data, value, delete):
    tree = yaml.load(TEXTS[name], Loader=yaml.CSafeLoader)  # a fresh copy
    for _ in range(data.draw(st.integers(1, 3))):
        places = list(_paths(tree)) if isinstance(tree, dict | list) else [()]
        path = data.draw(st.sampled_from(places))
        # a copy each time: the same list put inside itself would make the tree endless
        tree = _replace(tree, path, copy.deepcopy(value), delete=delete and bool(path))
    load_or_form_error(tmp_path, yaml.dump(tree, Dumper=yaml.CSafeDumper, allow_unicode=True))


@SETTINGS
@given(name=st.sampled_from(sorted(TEXTS)), data=st.data())
def test_edited_lines_and_bytes_never_crash_the_loader(tmp_path, name, data):
    lines = TEXTS[name].splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        if not lines:
            break
        index = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "indent", "dedent", "char", "truncate"]))
        line = lines[index]
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, line)
        elif action == "indent":
            lines[index] = "  " + line
        elif action == "dedent":
            lines[index] = line.lstrip(" ")
        elif action == "char" and line:
            at = data.draw(st.integers(0, len(line) - 1))
            lines[index] = line[:at] + data.draw(st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \t\x00é"))) + line[at + 1 :]
        elif action == "truncate":
            lines = lines[:index]
    content = "".join(lines).encode("utf-8")
    if data.draw(st.booleans()):  # and now and then a byte that is not UTF-8
        at = data.draw(st.integers(0, max(len(content) - 1, 0)))
        content = content[:at] + b"\xff\xfe" + content[at:]
    load_or_form_error(tmp_path, content)

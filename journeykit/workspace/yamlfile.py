"""Reading journey.yaml safely: a size limit, bounded aliases and nesting, no duplicate keys.

YAML anchors and aliases (``&base`` … ``*base``, ``<<: *base``) are allowed, because
people use them to share a KPI's settings, but aliases may not add more than
:data:`MAX_ALIAS_VALUES` values to the document (each alias counted as a copy of what it
points to), nor may a document use more than :data:`MAX_ALIASES` aliases, nor nest deeper than :data:`MAX_DEPTH`
levels. So a "billion laughs" file (aliases of aliases of aliases …) is refused in
milliseconds instead of expanding without end. The file itself may be at most
:data:`MAX_BYTES`. A key written twice in one mapping (YAML keeps the last one without
a word) is refused too.

libyaml's parser makes the events when PyYAML has it (a 1 MiB file reads in seconds, not
the half minute of the pure-Python parser); the composer that counts is PyYAML's own, so
the limits are the same with either.

The limits are module constants; change them by assigning, e.g.
``journeykit.workspace.yamlfile.MAX_BYTES = 4 * 2**20``.

Example:
    >>> load_yaml_text("a: &x [1, 2]\\nb: *x\\n")
    {'a': [1, 2], 'b': [1, 2]}
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from journeykit.core.errors import JourneykitError

#: largest journey.yaml read, in bytes (1 MiB; the demo's is about 5 KB)
MAX_BYTES = 1024 * 1024
#: most aliases (``*name``) in one document
MAX_ALIASES = 100
#: most values (scalars, lists, mappings) that aliases may add, each alias counted as a copy
#: of what it points to (sharing a KPI's settings adds a handful; a "billion laughs" billions)
MAX_ALIAS_VALUES = 10_000
_CAP = 10**12
#: deepest nesting of lists and mappings
MAX_DEPTH = 50

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlLimitError(JourneykitError):
    """A YAML document that is not accepted: ``expected`` says what would be, ``row`` is the
    line (1-based) where it was found, when known."""

    def __init__(self, expected: str, row: int | None = None):
        self.expected = expected
        self.row = row
        super().__init__(expected if row is None else f"line {row}: {expected}")


class _Limits(Composer, SafeConstructor):
    """PyYAML's composer and safe constructor, counting aliases and depth while composing
    and refusing a key written twice."""

    _aliases = 0
    _depth = 0
    # provided by the parser the limits are mixed with (annotations only, no attributes)
    check_event: Callable[..., bool]
    peek_event: Callable[[], Any]

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YamlLimitError(f"at most {MAX_ALIASES} aliases (*name) in journey.yaml",
                                     _line(self.peek_event()))
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlLimitError(f"lists and mappings nested at most {MAX_DEPTH} levels deep",
                                     _line(self.peek_event()))
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[tuple[str, str], int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            line = key_node.start_mark.line + 1
            key = (key_node.tag, key_node.value)
            if key in seen:
                raise YamlLimitError(f"each key once in a mapping ({key_node.value!r} is also on line "
                                     f"{seen[key]}; YAML would keep only the last one)", line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _PureLoader(_Limits, yaml.SafeLoader):
    """The limits over PyYAML's pure-Python reader, scanner and parser."""


_FAST: type | None = None
try:  # libyaml's parser, when PyYAML was built with it: about 20 times faster
    from yaml._yaml import CParser

    class _FastLoader(_Limits, CParser, Resolver):
        """The limits over libyaml's parser: libyaml makes the events (no recursion), the
        composer above makes the nodes, so the limits hold."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)

    _FAST = _FastLoader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    pass


def _line(event: Any) -> int | None:
    mark = getattr(event, "start_mark", None)
    return None if mark is None else mark.line + 1


def expanded_size(root: Node) -> tuple[int, int]:
    """How many values the document holds with every alias expanded (a shared node counts
    once per place it is used), and how many it holds as written (each node once):
    computed without expanding (each node visited once).
    Raises :class:`YamlLimitError` for an alias that contains itself."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        if done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), _CAP)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise YamlLimitError("an alias that does not contain itself (a recursive *name)",
                                 node.start_mark.line + 1)
        open_nodes.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_nodes:
                raise YamlLimitError("an alias that does not contain itself (a recursive *name)",
                                     child.start_mark.line + 1)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)], len(sizes)


#: text that libyaml finds broken is parsed again by PyYAML up to this size, for PyYAML's
#: clearer message ("expected the node content, but found '<stream end>'")
_REPARSE_BYTES = 128 * 1024


def load_yaml_text(text: str) -> Any:
    """Parse one YAML document within the limits above (safe tags only).

    Raises :class:`YamlLimitError` past a limit or for a duplicated key, and
    ``yaml.YAMLError`` for text that is not YAML."""
    if _FAST is None:
        return _load(text, _PureLoader)
    try:
        return _load(text, _FAST)
    except yaml.YAMLError:
        if len(text) > _REPARSE_BYTES:
            raise
        return _load(text, _PureLoader)  # raises the same error in PyYAML's words


def _load(text: str, loader_class: type) -> Any:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        expanded, written = expanded_size(root)
        if expanded - written > MAX_ALIAS_VALUES:
            raise YamlLimitError(f"aliases (*name) that add at most {MAX_ALIAS_VALUES:,} values "
                                 f"(these add {min(expanded - written, 10**9):,}"
                                 f"{'+' if expanded - written >= 10**9 else ''}: aliases of aliases expand "
                                 "without end; write the values out instead)")
        return loader.construct_document(root)
    finally:
        loader.dispose()


def read_yaml_file(path: Path) -> Any:
    """Read and parse ``path`` (UTF-8, a BOM allowed) within :data:`MAX_BYTES` and the
    limits of :func:`load_yaml_text`. Raises ``UnicodeDecodeError``, ``yaml.YAMLError`` or
    :class:`YamlLimitError`."""
    with path.open("rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlLimitError(f"a journey.yaml of at most {MAX_BYTES // 1024:,} KB "
                             f"(this one is larger; see journeykit.workspace.yamlfile.MAX_BYTES)")
    return load_yaml_text(data.decode("utf-8-sig"))

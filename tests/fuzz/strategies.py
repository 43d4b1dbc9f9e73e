"""Hypothesis strategies for hostile card and file input.

Three kinds of input, from blind to structure-aware:

- arbitrary bytes and text;
- plausible pieces (status words a card uses, token labels, 共通カードAP records,
  DER lengths, UTCTime/GeneralizedTime texts) with odd values mixed in;
- real certificates (the virtual card's) mutated through a small DER tree: a node
  replaced, dropped, doubled, retagged or given another time, then encoded again
  with consistent lengths, so that the parsers see well-framed but wrong content
  (and, with byte-level mutations on top, badly framed content too).
"""

from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from apdu import SW
from jpki import profile

# -- status words -------------------------------------------------------------------

#: Status words the card logic looks at, and the edges of the patterns it decodes.
INTERESTING_SW: tuple[int, ...] = tuple(
    sorted(
        {int(sw) for sw in SW}
        | {0x63C0 + n for n in range(16)}
        | {0x6100, 0x6101, 0x61FF, 0x6C00, 0x6C01, 0x6CFF, 0x6300, 0x6200, 0x6281, 0x62FF}
        | {0x0000, 0x9001, 0x90FF, 0xFFFF}
    )
)


@functools.cache
def status_words() -> st.SearchStrategy[int]:
    """A 16-bit status word: mostly one the code decodes, else any."""
    return st.one_of(st.sampled_from(INTERESTING_SW), st.integers(0, 0xFFFF))


@functools.cache
def sw_bytes() -> st.SearchStrategy[bytes]:
    return status_words().map(lambda sw: sw.to_bytes(2, "big"))


# -- byte-level mutation ----------------------------------------------------------------


@st.composite
def mutate(draw: st.DrawFn, base: bytes, max_ops: int = 4) -> bytes:
    """``base`` after up to ``max_ops`` byte edits: flip, set, delete, insert, truncate,
    repeat a slice."""
    out = bytearray(base)
    for _ in range(draw(st.integers(0, max_ops))):
        op = draw(st.sampled_from(("flip", "set", "delete", "insert", "truncate", "repeat")))
        pos = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "flip" and out:
            out[pos] ^= draw(st.integers(1, 255))
        elif op == "set" and out:
            out[pos] = draw(st.sampled_from((0x00, 0x30, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF)))
        elif op == "delete":
            del out[pos : pos + draw(st.integers(1, 8))]
        elif op == "insert":
            out[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "truncate":
            del out[pos:]
        elif op == "repeat":
            end = pos + draw(st.integers(1, 16))
            out[pos:pos] = out[pos:end]
    return bytes(out)


# -- a small DER tree (test-side, to mutate real certificates with valid framing) ------


@dataclass
class Node:
    """One DER object: its tag byte, and its children (constructed) or its content."""

    tag: int
    content: bytes = b""
    children: list[Node] | None = None

    def encode(self) -> bytes:
        body = self.content if self.children is None else b"".join(c.encode() for c in self)
        return bytes([self.tag]) + encode_length(len(body)) + body

    def __iter__(self) -> Any:
        return iter(self.children or [])


def encode_length(n: int, extra: int = 0) -> bytes:
    """DER length of ``n`` (minimal; ``extra`` leading zero bytes make it non-minimal)."""
    if n < 0x80 and not extra:
        return bytes([n])
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    raw = b"\x00" * extra + raw
    return bytes([0x80 | len(raw)]) + raw


def parse_tree(der: bytes) -> Node:
    """The DER tree of a well-formed DER object (single-byte tags, definite lengths)."""
    node, end = _parse_node(der, 0)
    assert end == len(der)
    return node


def _parse_node(der: bytes, pos: int) -> tuple[Node, int]:
    tag, first = der[pos], der[pos + 1]
    pos += 2
    length = first
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    content = der[pos : pos + length]
    end = pos + length
    if tag & 0x20:
        children = []
        at = 0
        while at < len(content):
            child, at = _parse_node(content, at)
            children.append(child)
        return Node(tag, children=children), end
    return Node(tag, content), end


def _nodes(node: Node) -> list[Node]:
    out = [node]
    for child in node:
        out.extend(_nodes(child))
    return out


def _copy(node: Node) -> Node:
    if node.children is None:
        return Node(node.tag, node.content)
    return Node(node.tag, children=[_copy(c) for c in node.children])


#: Tags seen in certificates, for retagging.
CERT_TAGS = (0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x16, 0x17, 0x18, 0x1E)
CERT_TAGS_CONSTRUCTED = (0x30, 0x31, 0xA0, 0xA3, 0xA1, 0xA2)

#: UTCTime and GeneralizedTime contents: well-formed, edge dates and broken ones.
TIME_TEXTS = (
    b"991231235959Z",
    b"491231235959Z",
    b"500101000000Z",
    b"99991231235959Z",
    b"00010101000000Z",
    b"99991231150000Z",
    b"20240230000000Z",
    b"240230000000Z",
    b"241301000000Z",
    b"240101246060Z",
    b"2401010000Z",
    b"240101000000+0900",
    b"20240101000000.5Z",
    b"20240101000000",
    b"",
    b"Z",
    b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4Z",
    b"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94Z",
)


@functools.cache
def time_contents() -> st.SearchStrategy[bytes]:
    digits = st.text(alphabet="0123456789", min_size=10, max_size=14)
    return st.one_of(
        st.sampled_from(TIME_TEXTS),
        digits.map(lambda t: (t + "Z").encode()),
        st.datetimes().map(lambda d: d.strftime("%Y%m%d%H%M%SZ").encode()),
        st.binary(max_size=16),
    )


@st.composite
def mutate_tree(draw: st.DrawFn, der: bytes, max_ops: int = 3) -> bytes:
    """``der`` with up to ``max_ops`` structural edits, encoded with right lengths."""
    root = parse_tree(der)
    for _ in range(draw(st.integers(1, max_ops))):
        nodes = _nodes(root)
        target = draw(st.sampled_from(nodes))
        op = draw(
            st.sampled_from(("content", "time", "retag", "drop", "double", "empty", "swap", "grow"))
        )
        if op == "content":
            target.children = None
            target.content = draw(st.binary(max_size=40))
        elif op == "time":
            target.children = None
            target.tag = draw(st.sampled_from((0x17, 0x18)))
            target.content = draw(time_contents())
        elif op == "retag":
            primitive = target.children is None
            tags = st.sampled_from(CERT_TAGS if primitive else CERT_TAGS_CONSTRUCTED)
            other = st.integers(0, 255).map(lambda t, p=primitive: t & 0xDF if p else t | 0x20)
            target.tag = draw(tags | other)
        elif op in ("drop", "double", "swap") and target.children:
            i = draw(st.integers(0, len(target.children) - 1))
            if op == "drop":
                del target.children[i]
            elif op == "double":
                target.children.insert(i, _copy(target.children[i]))
            else:
                j = draw(st.integers(0, len(target.children) - 1))
                kids = target.children
                kids[i], kids[j] = kids[j], kids[i]
        elif op == "empty":
            target.children = [] if target.children is not None else None
            target.content = b""
        elif op == "grow" and target.children is not None:
            target.children.append(
                Node(draw(st.sampled_from(CERT_TAGS)), draw(st.binary(min_size=1, max_size=8)))
            )
    return root.encode()


# -- certificates ---------------------------------------------------------------------


@functools.cache
def corpus() -> tuple[bytes, ...]:
    """Real certificates to start from: the virtual card's four (RSA-2048)."""
    from jpki.emulator import CardState, certificates

    c = certificates(CardState())
    return (c.auth, c.auth_ca, c.sign, c.sign_ca)


@functools.cache
def certificate_bytes() -> st.SearchStrategy[bytes]:
    """Bytes offered as one DER certificate."""
    real = st.sampled_from(corpus())
    return st.one_of(
        real,
        real.flatmap(mutate_tree),
        real.flatmap(mutate),
        real.flatmap(mutate_tree).flatmap(mutate),
        der_objects(),
        st.binary(max_size=64),
    )


@functools.cache
def der_heads() -> st.SearchStrategy[bytes]:
    """First bytes of a DER object: any tag, any length form, cut anywhere."""
    tag = st.one_of(st.just(0x30), st.integers(0, 255))
    first = st.one_of(
        st.integers(0, 0x7F), st.integers(0x80, 0x88), st.just(0x80), st.integers(0, 255)
    )
    return st.builds(
        lambda t, f, rest: bytes([t, f]) + rest, tag, first, st.binary(max_size=8)
    ) | st.binary(max_size=8)


@functools.cache
def der_objects() -> st.SearchStrategy[bytes]:
    """Well-framed DER trees of arbitrary tags, or framing with the wrong length."""
    leaf = st.builds(
        lambda tag, content: Node(tag, content),
        st.sampled_from(CERT_TAGS) | st.integers(0, 255).map(lambda t: t & 0xDF),
        st.binary(max_size=24) | time_contents(),
    )
    tree = st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda tag, children: Node(tag, children=children),
            st.sampled_from(CERT_TAGS_CONSTRUCTED),
            st.lists(kids, max_size=5),
        ),
        max_leaves=24,
    )
    framed = st.builds(lambda kids: Node(0x30, children=kids).encode(), st.lists(tree, max_size=4))
    return st.one_of(framed, framed.flatmap(mutate))


# -- card files -------------------------------------------------------------------------


@functools.cache
def token_labels() -> st.SearchStrategy[bytes]:
    """EF 0006 contents: a known label padded or mangled, or any bytes."""
    label = st.sampled_from(sorted(profile.TOKEN_LABELS)).map(str.encode)
    pad = st.sampled_from((b"", b" " * 17, b"\x00" * 17, b" \x00" * 8, b"\t", b"\xff" * 3))
    return st.one_of(
        st.builds(lambda a, b: (a + b)[:40], label, pad),
        label.flatmap(mutate),
        st.binary(max_size=40),
        st.text(max_size=20).map(lambda t: t.encode("utf-8")),
    )


@functools.cache
def cert_flags() -> st.SearchStrategy[bytes]:
    """EF 0008 contents."""
    return st.one_of(
        st.builds(
            lambda first, rest: bytes([first]) + rest,
            st.sampled_from((profile.CERT_FLAG_PRESENT, 0x00, 0xFF)) | st.integers(0, 255),
            st.binary(max_size=3),
        ),
        st.binary(max_size=3),
    )


@functools.cache
def record_dates() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.dates().map(lambda d: d.strftime("%Y%m%d").encode()),
        st.sampled_from((b"00000000", b"99991231", b"00010101", b"20240230", b"2024 1 1", b"")),
        st.text(alphabet=string.digits + " +-", max_size=8).map(str.encode),
        st.binary(max_size=8),
    )


@functools.cache
def card_records() -> st.SearchStrategy[bytes]:
    """EF 0001 of the 共通カードAP: ``01 1C`` + serial(15) + municipality(5) + YYYYMMDD,
    with wrong lengths and contents mixed in."""
    digits = st.text(alphabet=string.digits, min_size=0, max_size=16).map(str.encode)
    body = st.builds(lambda a, b, c: a + b + c, digits, digits, record_dates())
    framed = st.builds(
        lambda tag, length, data: bytes([tag, length]) + data,
        st.just(0x01) | st.integers(0, 255),
        st.just(0x1C) | st.integers(0, 255),
        body | st.binary(max_size=40),
    )
    return st.one_of(framed, framed.flatmap(mutate), st.binary(max_size=40))


# -- JSON documents -------------------------------------------------------------------


@functools.cache
def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value (NaN and the infinities included, as Python's json writes them)."""
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(max_size=20),
    )
    return st.recursive(
        scalar,
        lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids),
        max_leaves=max_leaves,
    )


@functools.cache
def hex_texts() -> st.SearchStrategy[str]:
    """Hex text of a recorded command or response, with ``XX`` and bad digits mixed in."""
    pairs = st.lists(
        st.binary(min_size=1, max_size=1).map(lambda b: b.hex())
        | st.sampled_from(("XX", "xx", "Xx", "0G", "  ", "é1", "٣٣")),
        max_size=12,
    ).map("".join)
    return st.one_of(pairs, pairs.map(str.upper), st.text(max_size=10))


def render_json(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def text_edits(draw: st.DrawFn, text: str) -> str:
    """``text`` with up to two character edits (which mostly break the JSON)."""
    for _ in range(draw(st.integers(0, 2))):
        if not text:
            break
        pos = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(("delete", "insert", "duplicate")))
        if op == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif op == "insert":
            text = text[:pos] + draw(st.sampled_from('{}[]",:\\0-eE. \n\ufeff')) + text[pos:]
        else:
            text = text[:pos] + text[pos:] + text[pos:]
    return text

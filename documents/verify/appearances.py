"""What a signature's box may draw: pictures and lines, never text.

A viewer clips a widget's appearance to its /BBox and its /Rect, but text extraction does
not: poppler's ``pdftotext`` (and search, copy and paste, screen readers and indexers like
it) read every glyph an appearance shows, wherever it lands. A seventh review signed as
party B with an appearance that drew "RMB 1,000,000.00 payable by Zhang San" outside its
box, on the row of the amount A signed: nothing changed on screen, the extracted text read
the forged line right after the genuine one, and every signature passed.

The court's own appearances are images (a handwritten signature, the seal, or the name
stamp ``documents.signature_stamp`` draws), so a signature field's appearance streams may
show no text at all (fail closed), through any Form XObject they draw either. Marked
content with properties (an /ActualText replaces extracted text) and inline images (whose
data a content scanner would have to skip blind) are refused with it; neither is in what
the court writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pyhanko.pdf_utils import generic

#: Operators that show text (ISO 32000-1 table 109), and others refused for what they hide.
_TEXT = frozenset({b"Tj", b"TJ", b"'", b'"'})
_REFUSED = {
    b"BDC": "marked content with properties",
    b"DP": "a marked-content point with properties",
    b"BI": "an inline image",
    b"ID": "an inline image",
    b"EI": "an inline image",
}
#: Nested Form XObjects deeper than this are refused rather than followed.
MAX_DEPTH = 8
_WHITESPACE = b"\x00\t\n\x0c\r "
_REGULAR_RUN = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
#: A number at the start of a run: poppler's lexer ends a number at the first character
#: that cannot continue it, so ``10Tj`` is a number and an operator to it.
_NUMBER = re.compile(rb"[+-]*(?:\d+\.?\d*|\.\d*)")
_OPERANDS = frozenset({b"true", b"false", b"null"})
_END_OF_LINE = re.compile(rb"[\r\n]")


_EMPTY = generic.DictionaryObject()  # type: ignore[no-untyped-call]


class TextInAppearance(Exception):
    """A signature's appearance shows text, or something that could hide it."""


def check_signature_widgets(fields: list[tuple[str, generic.DictionaryObject]]) -> None:
    """Raise TextInAppearance if any appearance stream of the given signature fields'
    widgets (a field, or its /Kids) shows text. ``fields`` are (name, field dictionary)."""
    for name, field in fields:
        widgets = [field]
        if "/Kids" in field:
            kids = field["/Kids"]
            if not isinstance(kids, generic.ArrayObject):
                raise TextInAppearance(f"{name}: /Kids is not an array")
            widgets += [kid.get_object() for kid in kids]
        for widget in widgets:
            if not isinstance(widget, generic.DictionaryObject):
                raise TextInAppearance(f"{name}: a widget is not a dictionary")
            for stream in _appearance_streams(widget, name):
                _check_form(stream, _EMPTY, name, depth=0, seen=())


def signature_widgets_on(
    pages: list[generic.DictionaryObject],
) -> list[tuple[str, generic.DictionaryObject]]:
    """Every widget a page shows whose field (itself, or up its /Parent chain) is a
    signature field: poppler draws a widget whose /Parent is a signature field even when
    the field's /Kids do not list it (an eighth review)."""
    found: list[tuple[str, generic.DictionaryObject]] = []
    for page in pages:
        annotations = _entry(page, "/Annots")
        if not isinstance(annotations, generic.ArrayObject):
            continue
        for raw in annotations:
            widget = raw.get_object()
            if isinstance(widget, generic.DictionaryObject) and _is_signature_field(widget):
                found.append((str(widget.get("/T", "a signature widget")), widget))
    return found


def _is_signature_field(node: generic.DictionaryObject) -> bool:
    """Whether the field type, the node's own or inherited up its /Parent chain, is /Sig."""
    for _ in range(MAX_DEPTH * 4):
        if "/FT" in node:
            kind = _entry(node, "/FT")
            return isinstance(kind, generic.NameObject) and str(kind) == "/Sig"
        parent = _entry(node, "/Parent")
        if not isinstance(parent, generic.DictionaryObject):
            return False
        node = parent
    raise TextInAppearance("a widget's /Parent chain does not end")


def _appearance_streams(
    widget: generic.DictionaryObject, name: str
) -> Iterator[generic.StreamObject]:
    """Every stream of the widget's /AP: /N, /R and /D, each a stream or a dictionary of
    appearance states."""
    if "/AP" not in widget:
        return
    ap = widget["/AP"]
    if not isinstance(ap, generic.DictionaryObject):
        raise TextInAppearance(f"{name}: /AP is not a dictionary")
    for key in ap:
        entry = ap[key]
        if isinstance(entry, generic.StreamObject):
            yield entry
        elif isinstance(entry, generic.DictionaryObject):
            for state in entry:
                stream = entry[state]
                if not isinstance(stream, generic.StreamObject):
                    raise TextInAppearance(f"{name}: appearance state {state} is not a stream")
                yield stream
        else:
            raise TextInAppearance(f"{name}: appearance {key} is neither a stream nor states")


def _check_form(
    stream: generic.StreamObject,
    inherited: generic.DictionaryObject,
    name: str,
    *,
    depth: int,
    seen: tuple[int, ...],
) -> None:
    if depth > MAX_DEPTH:
        raise TextInAppearance(f"{name}: appearance forms nested deeper than {MAX_DEPTH}")
    _check_encoding(stream, name)
    resources = _entry(stream, "/Resources") or inherited
    if not isinstance(resources, generic.DictionaryObject):
        raise TextInAppearance(f"{name}: appearance resources are not a dictionary")
    last_name: bytes | None = None
    for token, is_operator in _tokens(stream.data, name):
        if not is_operator:
            last_name = token[1:] if token.startswith(b"/") else None
            continue
        if token in _TEXT:
            raise TextInAppearance(f"{name}: its appearance shows text ({token.decode()})")
        if token in _REFUSED:
            raise TextInAppearance(f"{name}: its appearance has {_REFUSED[token]}")
        if token == b"Do":
            if last_name is None:
                raise TextInAppearance(f"{name}: its appearance draws an XObject without a name")
            _check_xobject(resources, last_name, name, depth=depth, seen=seen)
        elif token in (b"scn", b"SCN") and last_name is not None:
            # A tiling pattern's cell is a content stream of its own, text and all.
            raise TextInAppearance(f"{name}: its appearance paints with a pattern")
        elif token == b"gs" and last_name is not None:
            _check_graphics_state(resources, last_name, name)
        last_name = None


def _check_encoding(stream: generic.StreamObject, name: str) -> None:
    """An appearance is stored plain or with /FlateDecode alone: decoding parameters are
    where pyHanko and poppler part ways (a PNG predictor over three colours decoded to
    "T\0j" for pyHanko and to "Tj" for poppler, an eighth review)."""
    filters = stream.raw_get("/Filter") if "/Filter" in stream else None
    if "/DecodeParms" in stream or filters not in (None, "/FlateDecode"):
        raise TextInAppearance(f"{name}: its appearance is encoded other than plain or Flate")


def _check_graphics_state(resources: generic.DictionaryObject, key: bytes, name: str) -> None:
    """A soft mask's group is a content stream of its own: refused, as is a state the
    appearance's resources do not hold (a reader would look for it in the page's)."""
    states = _entry(resources, "/ExtGState")
    wanted = "/" + key.decode("latin-1")
    if not isinstance(states, generic.DictionaryObject) or wanted not in states:
        raise TextInAppearance(
            f"{name}: its appearance uses graphics state {wanted}, which it lacks"
        )
    state = states[wanted]
    if not isinstance(state, generic.DictionaryObject):
        raise TextInAppearance(f"{name}: its graphics state {wanted} is not a dictionary")
    if "/SMask" in state and state["/SMask"] != "/None":
        raise TextInAppearance(f"{name}: its appearance uses a soft mask")


def _check_xobject(
    resources: generic.DictionaryObject,
    key: bytes,
    name: str,
    *,
    depth: int,
    seen: tuple[int, ...],
) -> None:
    xobjects = _entry(resources, "/XObject")
    wanted = "/" + key.decode("latin-1")
    if not isinstance(xobjects, generic.DictionaryObject) or wanted not in xobjects:
        raise TextInAppearance(f"{name}: its appearance draws XObject {wanted}, which it lacks")
    raw = xobjects.raw_get(wanted)
    number = raw.reference.idnum if isinstance(raw, generic.IndirectObject) else -1
    if number in seen:
        raise TextInAppearance(f"{name}: its appearance draws form {number} inside itself")
    xobject = xobjects[wanted]
    subtype = xobject.get("/Subtype") if isinstance(xobject, generic.StreamObject) else None
    if subtype == "/Image":
        return
    if subtype != "/Form":
        raise TextInAppearance(f"{name}: its appearance draws {wanted}, neither image nor form")
    _check_form(xobject, resources, name, depth=depth + 1, seen=(*seen, number))


def _entry(holder: generic.DictionaryObject, key: str) -> generic.PdfObject | None:
    """``holder[key]`` resolved (pyHanko's ``get`` leaves references as they are), or None."""
    try:
        value: generic.PdfObject = holder[key]
    except KeyError:
        return None
    return value


def _tokens(data: bytes, name: str) -> Iterator[tuple[bytes, bool]]:
    """Split a content stream into (token, is_operator). Strings, arrays and dictionaries
    are skipped as operands; a stream that cannot be split is refused."""
    position, end = 0, len(data)
    while position < end:
        char = data[position : position + 1]
        if char[0] in _WHITESPACE:
            position += 1
        elif char == b"%":
            newline = _END_OF_LINE.search(data, position)
            position = newline.end() if newline else end
        elif char == b"(":
            position = _skip_literal_string(data, position, name)
            yield b"()", False
        elif data.startswith(b"<<", position) or data.startswith(b">>", position):
            position += 2
            yield b"<<>>", False
        elif char == b"<":
            close = data.find(b">", position)
            if close < 0:
                raise TextInAppearance(f"{name}: its appearance has an unclosed hex string")
            position = close + 1
            yield b"<>", False
        elif char in (b"[", b"]", b"{", b"}"):
            position += 1
            yield char, False
        elif char == b"/":
            run = _REGULAR_RUN.match(data, position + 1)
            stop = run.end() if run else position + 1
            if b"#" in data[position:stop]:
                # poppler takes the byte after "#" and a hex digit whatever it is, a
                # delimiter included: "/A#4%" swallowed the "%" that began a "comment" here
                # (an eighth review). The court's appearances have no escaped names.
                raise TextInAppearance(f"{name}: its appearance has an escaped name")
            yield data[position:stop], False
            position = stop
        elif char in (b")", b">"):
            raise TextInAppearance(f"{name}: its appearance has a stray {char.decode()}")
        else:
            number = _NUMBER.match(data, position)
            if number is not None and number.end() > position:
                position = number.end()
                yield number.group(), False
                continue
            run = _REGULAR_RUN.match(data, position)
            assert run is not None  # a regular character starts it
            token = run.group()
            position = run.end()
            yield token, token not in _OPERANDS


def _skip_literal_string(data: bytes, position: int, name: str) -> int:
    """Where the literal string starting at ``position`` ends (balanced parentheses,
    backslash escapes)."""
    depth = 0
    index = position
    while index < len(data):
        byte = data[index]
        if byte == 0x5C:  # backslash: the next byte is escaped
            index += 2
            continue
        if byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise TextInAppearance(f"{name}: its appearance has an unclosed string")

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

Two more reviews found this scanner and poppler reading one stream two ways (a name escape
swallowing a delimiter, predictor and /F or /DP decoding, an operand overflow), so it is a
whitelist: drawing operators only, each with exactly its operands, names without escapes,
numbers as whole runs, form dictionaries with their ordinary entries, plain or Flate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pyhanko.pdf_utils import generic

#: The operators of text objects (ISO 32000-1 tables 105-109): any one is text.
_TEXT = frozenset(
    {b"BT", b"ET", b"Tj", b"TJ", b"'", b'"', b"Tc", b"Tw", b"Tz", b"TL", b"Tf", b"Tr", b"Ts"}
    | {b"Td", b"TD", b"Tm", b"T*", b"d0", b"d1"}
)
_REFUSED = {
    b"BDC": "marked content with properties",
    b"DP": "a marked-content point with properties",
    b"BI": "an inline image",
    b"ID": "an inline image",
    b"EI": "an inline image",
}
#: Everything else an appearance may do is draw: each graphics operator with exactly the
#: operands ISO 32000-1 gives it (n number, N name, a array of numbers). Exact counts
#: matter: poppler keeps 33 operands and drops the rest, then takes an operator's last
#: ones, so "32 numbers /Fx /Im0 Do" drew form /Fx where a scanner reading the last
#: operand saw image /Im0 (a ninth review); an unknown operator ("-Tj", which poppler
#: reads as the number 0 and Tj) is refused, not skipped.
_GRAPHICS: dict[bytes, str] = {
    **dict.fromkeys([b"q", b"Q", b"h", b"S", b"s", b"f", b"F", b"f*"], ""),
    **dict.fromkeys([b"B", b"B*", b"b", b"b*", b"n", b"W", b"W*", b"EMC"], ""),
    **dict.fromkeys([b"w", b"J", b"j", b"M", b"i", b"G", b"g"], "n"),
    **dict.fromkeys([b"ri", b"gs", b"CS", b"cs", b"Do", b"BMC", b"MP"], "N"),
    **dict.fromkeys([b"m", b"l"], "nn"),
    **dict.fromkeys([b"v", b"y", b"re", b"K", b"k"], "nnnn"),
    **dict.fromkeys([b"cm", b"c"], "nnnnnn"),
    **dict.fromkeys([b"RG", b"rg"], "nnn"),
    b"d": "an",
}
#: Colour components: one to four numbers (a pattern's name is refused: a tiling
#: pattern's cell is a content stream of its own, text and all).
_COLOUR = frozenset({b"SC", b"sc", b"SCN", b"scn"})
#: The entries of an appearance's form dictionary (ISO 32000-1 table 95, less what a
#: reader may decode otherwise): poppler reads /F as /Filter and /DP as /DecodeParms
#: where pyHanko does not, so a stream could decode to text for one and not the other.
_FORM_KEYS = frozenset(
    {"/Type", "/Subtype", "/FormType", "/BBox", "/Matrix", "/Resources", "/Length", "/Filter"}
)
#: Nested Form XObjects deeper than this are refused rather than followed.
MAX_DEPTH = 8
_WHITESPACE = b"\x00\t\n\x0c\r "
_REGULAR_RUN = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]+")
#: A number, the whole run: anything else glued to digits ("10Tj", "+-1", "1.2.3") is
#: split differently by poppler's lexer, and refused here.
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)")
_END_OF_LINE = re.compile(rb"[\r\n]")


_EMPTY = generic.DictionaryObject()  # type: ignore[no-untyped-call]


class TextInAppearance(Exception):
    """A signature's appearance shows text, or something that could hide it."""


def check_signature_widgets(fields: list[tuple[str, generic.DictionaryObject]]) -> None:
    """Raise TextInAppearance if any appearance stream of the given signature fields'
    widgets (a field, or its /Kids) shows text. ``fields`` are (name, field dictionary);
    a widget given both as a field and as a page's widget is scanned once."""
    scanned: set[generic.Reference] = set()
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
                ref = getattr(stream, "container_ref", None)
                if ref in scanned:
                    continue
                _check_form(stream, _EMPTY, name, depth=0, seen=())
                if ref is not None:
                    scanned.add(ref)


def signature_widgets_on(
    pages: list[generic.PdfObject],
) -> list[tuple[str, generic.DictionaryObject]]:
    """Every widget a page shows whose field (itself, or up its /Parent chain) is a
    signature field: poppler draws a widget whose /Parent is a signature field even when
    the field's /Kids do not list it (an eighth review)."""
    found: list[tuple[str, generic.DictionaryObject]] = []
    for page in pages:
        if not isinstance(page, generic.DictionaryObject):
            continue
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
    for operator, operands in _instructions(stream.data, name):
        _operate(operator, operands, resources, name, depth=depth, seen=seen)


def _instructions(data: bytes, name: str) -> Iterator[tuple[bytes, list[tuple[str, bytes]]]]:
    """Each operator of a content stream with its operands (an array of numbers as "a",
    any other array as "?", a dictionary as "d")."""
    operands: list[tuple[str, bytes]] = []
    array: list[str] | None = None
    dictionary_depth = 0
    for kind, token in _tokens(data, name):
        if kind in ("<<", ">>"):
            dictionary_depth += 1 if kind == "<<" else -1
            if dictionary_depth < 0:
                raise TextInAppearance(f"{name}: its appearance has a stray >>")
            if dictionary_depth == 0:
                operands.append(("d", b""))
        elif dictionary_depth:
            continue  # inside a dictionary operand: only BDC/BI take one, and are refused
        elif kind == "[":
            if array is not None:
                raise TextInAppearance(f"{name}: its appearance nests arrays")
            array = []
        elif kind == "]":
            if array is None:
                raise TextInAppearance(f"{name}: its appearance has a stray ]")
            operands.append(("a" if all(k == "n" for k in array) else "?", b""))
            array = None
        elif array is not None:
            if kind == "op":
                raise TextInAppearance(f"{name}: its appearance has an operator in an array")
            array.append(kind)
        elif kind != "op":
            operands.append((kind, token))
        else:
            yield token, operands
            operands = []
    if array is not None or dictionary_depth:
        raise TextInAppearance(f"{name}: its appearance ends inside an array or dictionary")


def _operate(
    operator: bytes,
    operands: list[tuple[str, bytes]],
    resources: generic.DictionaryObject,
    name: str,
    *,
    depth: int,
    seen: tuple[int, ...],
) -> None:
    shown = operator.decode("latin-1")
    if operator in _TEXT:
        raise TextInAppearance(f"{name}: its appearance shows text ({shown})")
    if operator in _REFUSED:
        raise TextInAppearance(f"{name}: its appearance has {_REFUSED[operator]}")
    kinds = "".join(kind for kind, _ in operands)
    if operator in _COLOUR:
        if "N" in kinds:
            raise TextInAppearance(f"{name}: its appearance paints with a pattern")
        if not 1 <= len(kinds) <= 4 or set(kinds) != {"n"}:
            raise TextInAppearance(f"{name}: its appearance sets a colour with {kinds!r}")
        return
    if operator not in _GRAPHICS:
        raise TextInAppearance(f"{name}: its appearance uses {shown!r}, which is no drawing")
    if kinds != _GRAPHICS[operator]:
        raise TextInAppearance(
            f"{name}: its appearance gives {shown} the operands {kinds or 'none'!r}, "
            f"not {_GRAPHICS[operator] or 'none'!r}"
        )
    if operator == b"Do":
        _check_xobject(resources, operands[0][1][1:], name, depth=depth, seen=seen)
    elif operator == b"gs":
        _check_graphics_state(resources, operands[0][1][1:], name)


def _check_encoding(stream: generic.StreamObject, name: str) -> None:
    """An appearance is stored plain or with /FlateDecode alone: decoding parameters are
    where pyHanko and poppler part ways (a PNG predictor over three colours decoded to
    "T\0j" for pyHanko and to "Tj" for poppler, an eighth review)."""
    filters = stream.raw_get("/Filter") if "/Filter" in stream else None
    if "/DecodeParms" in stream or filters not in (None, "/FlateDecode"):
        raise TextInAppearance(f"{name}: its appearance is encoded other than plain or Flate")
    extra = set(stream.keys()) - _FORM_KEYS
    if extra:
        raise TextInAppearance(f"{name}: its appearance form has {sorted(extra)}")


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


def _tokens(data: bytes, name: str) -> Iterator[tuple[str, bytes]]:
    """Split a content stream into typed tokens: ("n", number), ("N", name), ("s", a
    string), ("b", true/false/null), "[", "]", "<<", ">>", ("op", operator). A stream that
    cannot be split, or is split otherwise by poppler's lexer, is refused."""
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
            yield "s", b""
        elif data.startswith(b"<<", position) or data.startswith(b">>", position):
            yield data[position : position + 2].decode(), b""
            position += 2
        elif char == b"<":
            close = data.find(b">", position)
            if close < 0:
                raise TextInAppearance(f"{name}: its appearance has an unclosed hex string")
            position = close + 1
            yield "s", b""
        elif char in (b"[", b"]"):
            position += 1
            yield char.decode(), b""
        elif char == b"/":
            run = _REGULAR_RUN.match(data, position + 1)
            stop = run.end() if run else position + 1
            if b"#" in data[position:stop]:
                # poppler takes the byte after "#" and a hex digit whatever it is, a
                # delimiter included: "/A#4%" swallowed the "%" that began a "comment" here
                # (an eighth review). The court's appearances have no escaped names.
                raise TextInAppearance(f"{name}: its appearance has an escaped name")
            yield "N", data[position:stop]
            position = stop
        elif char in (b")", b">", b"{", b"}"):
            raise TextInAppearance(f"{name}: its appearance has a stray {char.decode()}")
        else:
            run = _REGULAR_RUN.match(data, position)
            assert run is not None  # a regular character starts it
            token = run.group()
            position = run.end()
            if _NUMBER.fullmatch(token):
                yield "n", token
            elif token in (b"true", b"false", b"null"):
                yield "b", token
            elif token[:1] in b"+-.0123456789":
                raise TextInAppearance(f"{name}: its appearance has a malformed number")
            else:
                yield "op", token


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

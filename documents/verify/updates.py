"""What may follow the last signature: validation data and document time stamps, nothing else.

A court document's last signature is the court seal (or, before sealing, the last party's).
After it come only PAdES long-term validation updates (EN 319 142-1): the document security
store (certificates, CRLs, OCSP responses) and document time stamps with invisible fields.
pyHanko's difference analysis classes more than that as "LTA updates", and an attacker used
the difference on a sealed agreement, each time with every signature passing:

* a new unsigned signature field merged with a FreeText annotation, its /Rect holding an
  indirect number (pyHanko could not compute its area and took it for invisible; the
  number was "explained" as a DSS /VRI time stamp): a white box over the amount;
* /NeedAppearances set in the AcroForm: viewers regenerate every widget, and the seal and
  the signatures' appearances vanish;
* a zero-size field carrying page-open JavaScript actions.

So this module allows, in each revision after the last signature, exactly what a PAdES
update writes and rejects everything else (fail closed: an object it cannot account for is
a disallowed change):

* the catalog may gain or change /DSS, /Metadata, and /AcroForm when it is a direct dict;
* the document information dictionary may change only /ModDate and /Producer;
* the catalog's XMP /Metadata stream may be rewritten, changing only its modification
  date and producer (as the document information);
* the AcroForm may only append to /Fields, and a page may only append to /Annots — the
  same new fields, each a document time stamp: a /Sig widget of zero area (four direct
  numbers) with only the entries such a field has, whose /V is a new /DocTimeStamp;
* the DSS and its arrays and VRI dictionaries may be written anew, with new streams only
  (an existing object — a page's image, say — cannot be passed off as a certificate);
* new cross-reference and object streams.

The revisions before the last signature need no such rule: that signature covers them.
What a viewer rebuilding a damaged table would find in those revisions' bytes is
``documents.verify.increments``' concern.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.etree import ElementTree

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from documents.verify.increments import Unaccounted, check_revision
from documents.verify.reports import _MALFORMED

_CATALOG_KEYS = frozenset({"/DSS", "/Metadata", "/AcroForm"})
_INFO_KEYS = frozenset({"/ModDate", "/Producer"})
_ACROFORM_KEYS = frozenset({"/Fields"})
#: A signature sets /SigFlags (ISO 32000-1 table 219) when the document has none yet.
_SIGNING_ACROFORM_KEYS = frozenset({"/Fields", "/SigFlags"})
#: pyHanko's first signature also declares the PAdES extension and the version it implies.
_SIGNING_CATALOG_KEYS = _CATALOG_KEYS | {"/Extensions", "/Version"}
_PAGE_KEYS = frozenset({"/Annots"})
#: The entries of a document time stamp's field and widget (ISO 32000-1 tables 220, 232,
#: 164, 168); actions (/A, /AA), appearance (/AP, /MK, /DA) and children are not among them.
_TIMESTAMP_FIELD_KEYS = frozenset(
    {"/FT", "/T", "/TU", "/TM", "/Ff", "/V", "/Type", "/Subtype", "/F", "/Rect", "/P", "/M"}
)
#: What signing changes in a placed field: its value and its appearance (and state).
_SIGNED_FIELD_CHANGES = frozenset({"/V", "/AP", "/AS"})
#: A field its signature places (the seal's, or one a test adds): a signature widget's
#: entries, with its appearance and lock; no actions (/A, /AA) or children.
_NEW_SIGNATURE_FIELD_KEYS = _TIMESTAMP_FIELD_KEYS | {"/AP", "/AS", "/Lock", "/SV", "/MK", "/DA"}
_DSS_KEYS = frozenset({"/Type", "/Certs", "/CRLs", "/OCSPs", "/VRI"})
_VRI_KEYS = frozenset({"/Type", "/Cert", "/CRL", "/OCSP", "/TU", "/TS"})
#: A PAdES update writes a dozen objects or so (rev. 6 of a sealed agreement: 15); one that
#: writes more is not one, and judging it object by object could take minutes (2000 tiny
#: objects in one object stream took 26 s: pyHanko re-reads the stream for each).
MAX_UPDATE_OBJECTS = 200


class Disallowed(Exception):
    """A change that is not validation data; the message says what it is."""


def problems_after(
    reader: PdfFileReader,
    signing: dict[int, generic.Reference | None],
    first_signature_revision: int,
    last_signature_revision: int,
    data: bytes,
) -> dict[int, str]:
    """Judge every revision from the first signature's own on (``data`` is the file
    ``reader`` reads; ``signing`` maps each signed revision to the field its signature or
    document time stamp fills): whether its bytes are what its cross-reference section
    lists, written so that every reader reads them alike (``documents.verify.increments``);
    up to the last signature, that it is a signing revision rewriting only what signing
    rewrites (``_Update.judge_signing``); after it, what it changes (``_Update.judge``).
    Return revision → problem.

    Between signatures pyHanko's difference analysis judges what changed, and it can only
    judge what it reads: a third review slipped an object-stream page tree that poppler
    reads another way into the revision before party B signed, and party A's signature
    passed while poppler showed a forged number; a sixth passed a new /Info title,
    page-open JavaScript and fields drawn over a signed amount there."""
    problems: dict[int, str] = {}
    # From the first signature's own revision on (a file signed in its original revision
    # has nothing before it to compare).
    for revision in range(max(first_signature_revision, 1), reader.xrefs.total_revisions):
        try:
            if revision > last_signature_revision:
                _Update(reader, revision).judge()
            check_revision(data, reader, revision)
            if revision <= last_signature_revision:
                _judge_signing_revision(reader, revision, signing)
        except (Disallowed, Unaccounted) as exc:
            problems[revision] = f"revision {revision}: {exc}"
        except _MALFORMED as exc:
            problems[revision] = f"revision {revision} cannot be read as an update: {exc}"
    return problems


def _judge_signing_revision(
    reader: PdfFileReader, revision: int, signing: dict[int, generic.Reference | None]
) -> None:
    """A revision between signatures is one a signature signs (the court places every box
    before the first); beside what pyHanko's analysis allows in it, see
    ``_Update.judge_signing``."""
    if revision not in signing:
        raise Disallowed("is signed by no one: between signatures only signing revisions may come")
    _Update(reader, revision).judge_signing(signing[revision])


class _Update:
    """One revision after the last signature, compared with the one before it."""

    def __init__(self, reader: PdfFileReader, revision: int) -> None:
        self.reader = reader
        self.revision = revision
        self.old = reader.get_historical_resolver(revision - 1)
        self.new = reader.get_historical_resolver(revision)
        self.changed = set(reader.xrefs.explicit_refs_in_revision(revision))
        self.explained: set[generic.Reference] = set()

    def judge(self) -> None:
        freed = self.reader.xrefs.refs_freed_in_revision(self.revision)
        if freed:
            raise Disallowed(f"frees objects {_numbers(freed)}")
        if len(self.changed) > MAX_UPDATE_OBJECTS:
            raise Disallowed(f"writes {len(self.changed)} objects, more than validation data")
        # The section's own xref stream and the object streams its entries point into: those
        # exactly (another stream merely typed /XRef or /ObjStm is no structure of this one).
        xrefs = self.reader.xrefs
        structure = set(xrefs.object_streams_used_in(self.revision))  # type: ignore[no-untyped-call]
        own = xrefs.get_xref_container_info(self.revision).stream_ref
        if own is not None:
            structure.add(own)
        for ref in structure & self.changed:
            if not self._is_new(ref):
                raise Disallowed(f"reuses existing object {ref.idnum} as cross-reference data")
            self.explained.add(ref)
        if self.old.root_ref != self.new.root_ref:
            raise Disallowed("replaces the document catalog")
        catalog = self._dict(self.new.root_ref)
        self._judge_catalog(catalog)
        self._judge_info()
        fields = self._judge_form(self.old.root, catalog, _ACROFORM_KEYS)
        widgets = self._judge_pages(catalog)
        if set(fields) != set(widgets):
            raise Disallowed("adds fields and page annotations that do not match")
        for field in fields:
            self._judge_timestamp_field(field)
        self._judge_dss(catalog)
        unexplained = self.changed - self.explained
        if unexplained:
            raise Disallowed(
                f"changes objects {_numbers(unexplained)}, which are not validation data"
            )

    def judge_signing(self, own: generic.Reference | None) -> None:
        """Judge a signing revision (the first signature's too) that signature ``own`` (its
        field) signs: every existing object it rewrites must be one signing rewrites, and
        only as signing does.

        pyHanko's analysis takes form filling to include any change of the document
        information and any XMP, and changes of the AcroForm's /DR, /DA and
        /NeedAppearances; a seventh review rewrote the title in party B's signing revision
        with party A's signature passing, and put a visible document time stamp over the
        amount A signed. An eighth rewrote the XMP in place, and had party A rewrite the
        page in A's own signing revision, which no later signature's analysis compares
        (each starts from its own revision). So here, as after the last signature: the
        catalog may change only /AcroForm, /Metadata and /DSS (and, as pyHanko's first
        signature does, declare /Extensions and /Version), the document information and
        XMP only their dates and producer, the AcroForm only /Fields and /SigFlags, a page
        only its /Annots (appending); no field or annotation may come but the signature's
        own (no unsigned field of zero "area" that draws anyway: a sixth review), whose
        dictionary may change only its value and appearance; a document time stamp's is
        invisible and bare; and no other existing object may change."""
        freed = self.reader.xrefs.refs_freed_in_revision(self.revision)
        if freed:
            raise Disallowed(f"frees objects {_numbers(freed)}")
        if self.old.root_ref != self.new.root_ref:
            raise Disallowed("replaces the document catalog")
        catalog = self._dict(self.new.root_ref)
        self._judge_catalog(catalog, _SIGNING_CATALOG_KEYS)
        self._judge_info()
        fields = self._judge_form(self.old.root, catalog, _SIGNING_ACROFORM_KEYS)
        widgets = self._judge_pages(catalog)
        added = (set(fields) | set(widgets)) - {own}
        if added:
            raise Disallowed(f"adds form fields ({_numbers(added)}) besides the one it signs")
        if own is not None and self._holds_timestamp(own):
            self._judge_timestamp_field(own)
        elif own is not None:
            self._judge_signed_field(own)
        self._judge_dss(catalog)
        rewritten = {ref for ref in self.changed - self.explained if not self._is_new(ref)}
        if rewritten:
            raise Disallowed(f"changes objects {_numbers(rewritten)}, which signing does not")

    def _judge_signed_field(self, ref: generic.Reference) -> None:
        field = self._dict(ref)
        if self._is_new(ref):
            extra = set(field.keys()) - _NEW_SIGNATURE_FIELD_KEYS
            if extra:
                raise Disallowed(f"adds its field {ref.idnum} with {sorted(extra)}")
            return
        if ref not in self.changed:
            return
        old = self.old(ref)
        if not _plain_dict(old):
            raise Disallowed(f"turns object {ref.idnum} into a form field")
        differing = _differing_keys(old, field) - _SIGNED_FIELD_CHANGES
        if differing:
            raise Disallowed(f"changes its field's {sorted(differing)}")
        self.explained.add(ref)

    def _holds_timestamp(self, ref: generic.Reference) -> bool:
        field = self._dict(ref)
        if "/V" not in field:
            return False
        value = field["/V"]  # resolved (get would leave a reference)
        return isinstance(value, generic.DictionaryObject) and value.get("/Type") == "/DocTimeStamp"

    # --- Catalog and document information -----------------------------------------------

    def _judge_catalog(
        self, catalog: generic.DictionaryObject, may_change: frozenset[str] = _CATALOG_KEYS
    ) -> None:
        ref = self.new.root_ref
        old_metadata = _indirect_entry(self.old.root, "/Metadata")
        metadata = _indirect_entry(catalog, "/Metadata")
        if ref not in self.changed:
            # The XMP may be rewritten in place, the catalog untouched (an eighth review).
            if metadata is not None and metadata in self.changed:
                self._judge_metadata(metadata, old_metadata)
            return
        differing = _differing_keys(self.old.root, catalog)
        if differing - may_change:
            raise Disallowed(f"changes the catalog's {sorted(differing - may_change)}")
        self.explained.add(ref)
        if "/Metadata" in differing or (metadata is not None and metadata in self.changed):
            self._judge_metadata(metadata, old_metadata)

    def _judge_metadata(
        self, ref: generic.Reference | None, old_ref: generic.Reference | None
    ) -> None:
        if ref is None:
            raise Disallowed("sets a direct /Metadata or removes it")
        self._same_role(ref, old_ref, "the XMP metadata")
        stream = self.new(ref)
        if not (
            isinstance(stream, generic.StreamObject)
            and stream.get("/Type") == "/Metadata"
            and stream.get("/Subtype") == "/XML"
        ):
            raise Disallowed("points /Metadata at something other than an XMP stream")
        old = self.old(old_ref) if old_ref is not None else None
        before = _xmp_properties(old) if isinstance(old, generic.StreamObject) else {}
        after = _xmp_properties(stream)
        differing = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        if differing - _XMP_MAY_CHANGE:
            raise Disallowed(f"changes the XMP metadata's {sorted(differing - _XMP_MAY_CHANGE)}")
        self.explained.add(ref)

    def _judge_info(self) -> None:
        """Only /ModDate and /Producer of the document information may change. (A trailer's
        references resolve to the newest objects: each side is read through its revision.)"""
        old_ref, new_ref = _info_ref(self.old), _info_ref(self.new)
        if new_ref is None or (new_ref == old_ref and new_ref not in self.changed):
            return
        self._same_role(new_ref, old_ref, "the document information")
        old_info = _empty() if old_ref is None else self.old(old_ref)
        new_info = self.new(new_ref)
        if not _plain_dict(old_info) or not _plain_dict(new_info):
            raise Disallowed("has a document information entry that is not a dictionary")
        differing = _differing_keys(old_info, new_info)
        if differing - _INFO_KEYS:
            raise Disallowed(f"changes the document information {sorted(differing - _INFO_KEYS)}")
        if new_ref in self.changed:
            self.explained.add(new_ref)

    # --- Form fields and page annotations -----------------------------------------------

    def _judge_form(
        self,
        old_catalog: generic.DictionaryObject,
        catalog: generic.DictionaryObject,
        may_change: frozenset[str],
    ) -> list[generic.Reference]:
        """Return the fields appended to the AcroForm; nothing else of it but the keys
        ``may_change`` may change."""
        old_raw = old_catalog.raw_get("/AcroForm") if "/AcroForm" in old_catalog else None
        new_raw = catalog.raw_get("/AcroForm") if "/AcroForm" in catalog else None
        if new_raw is None:
            if old_raw is not None:
                raise Disallowed("removes the AcroForm")
            return []
        if isinstance(new_raw, generic.IndirectObject):
            if old_raw is not None and (
                not isinstance(old_raw, generic.IndirectObject) or old_raw != new_raw
            ):
                raise Disallowed("replaces the AcroForm")
            if new_raw.reference not in self.changed:
                return self._appended(None, _resolve_dict(new_raw, "an AcroForm"), "/Fields")
            self.explained.add(new_raw.reference)
        old_form = _resolve_dict(old_raw, "an AcroForm") if old_raw is not None else _empty()
        form = _resolve_dict(new_raw, "an AcroForm")
        differing = _differing_keys(old_form, form)
        if differing - may_change:
            raise Disallowed(f"changes the AcroForm's {sorted(differing - may_change)}")
        return self._appended(old_form, form, "/Fields")

    def _judge_pages(self, catalog: generic.DictionaryObject) -> list[generic.Reference]:
        """Return the annotations appended to pages; nothing else of a page may change."""
        appended: list[generic.Reference] = []
        for page_ref in page_refs(catalog):
            page = self._dict(page_ref)
            if page_ref not in self.changed:
                appended += self._appended(None, page, "/Annots")
                continue
            old_page = self.old(page_ref)
            if not isinstance(old_page, generic.DictionaryObject):
                raise Disallowed(f"turns object {page_ref.idnum} into a page")
            differing = _differing_keys(old_page, page)
            if differing - _PAGE_KEYS:
                raise Disallowed(
                    f"changes page object {page_ref.idnum}'s {sorted(differing - _PAGE_KEYS)}"
                )
            self.explained.add(page_ref)
            appended += self._appended(old_page, page, "/Annots")
        return appended

    def _appended(
        self,
        old_holder: generic.DictionaryObject | None,
        holder: generic.DictionaryObject,
        key: str,
    ) -> list[generic.Reference]:
        """Return what the array ``holder[key]`` appends to its value in the revision before;
        anything but appending is disallowed. ``old_holder`` is the holder's old version, or
        None when the holder itself did not change (its array, if indirect, still may have)."""
        if key not in holder:
            if old_holder is not None and key in old_holder:
                raise Disallowed(f"removes {key}")
            return []
        raw = holder.raw_get(key)
        array_ref = raw.reference if isinstance(raw, generic.IndirectObject) else None
        if old_holder is None:
            if array_ref is None or array_ref not in self.changed:
                return []
            old_items = _references(self.old(array_ref))
        elif key in old_holder:
            old_raw = old_holder.raw_get(key)
            if isinstance(old_raw, generic.IndirectObject) and old_raw != raw:
                raise Disallowed(f"replaces the {key} array")
            old_items = _references(_resolve(old_raw))
        else:
            old_items = []
        if array_ref is not None and array_ref in self.changed:
            old_array = _indirect_entry(old_holder, key) if old_holder is not None else array_ref
            self._same_role(array_ref, old_array, f"the {key} array")
            self.explained.add(array_ref)
        items = _references(_resolve(raw))
        if items[: len(old_items)] != old_items:
            raise Disallowed(f"changes or reorders {key}")
        return items[len(old_items) :]

    def _judge_timestamp_field(self, ref: generic.Reference) -> None:
        if not self._is_new(ref) or ref not in self.changed:
            raise Disallowed(f"lists an existing object {ref.idnum} as a new field")
        field = self._dict(ref)
        if field.get("/FT") != "/Sig" or field.get("/Subtype") != "/Widget":
            raise Disallowed(f"adds field {ref.idnum}, which is not a signature widget")
        extra = set(field.keys()) - _TIMESTAMP_FIELD_KEYS
        if extra:
            raise Disallowed(f"adds field {ref.idnum} with {sorted(extra)}")
        if "/Rect" not in field or may_show(field):
            raise Disallowed(f"adds field {ref.idnum} with a visible or unreadable /Rect")
        value = field.raw_get("/V") if "/V" in field else None
        if not (
            isinstance(value, generic.IndirectObject)
            and self._is_new(value.reference)
            and value.reference in self.changed
            and self._dict(value.reference).get("/Type") == "/DocTimeStamp"
        ):
            raise Disallowed(f"adds field {ref.idnum}, which holds no new document time stamp")
        self.explained.update({ref, value.reference})

    # --- Document security store --------------------------------------------------------

    def _judge_dss(self, catalog: generic.DictionaryObject) -> None:
        if "/DSS" not in catalog:
            return
        before = self._old_dss_objects()
        raw = catalog.raw_get("/DSS")
        dss = _resolve(raw)
        self._note_dss_object(raw, before, stream=False)
        if not isinstance(dss, generic.DictionaryObject) or set(dss.keys()) - _DSS_KEYS:
            raise Disallowed("writes a DSS with entries a DSS does not have")
        for key in ("/Certs", "/CRLs", "/OCSPs"):
            if key in dss:
                self._judge_streams(dss.raw_get(key), before)
        if "/VRI" in dss:
            vri_raw = dss.raw_get("/VRI")
            self._note_dss_object(vri_raw, before, stream=False)
            vri = _resolve(vri_raw)
            if not isinstance(vri, generic.DictionaryObject):
                raise Disallowed("writes a /VRI that is not a dictionary")
            for entry_raw in [vri.raw_get(k) for k in vri]:
                self._note_dss_object(entry_raw, before, stream=False)
                entry = _resolve(entry_raw)
                if not isinstance(entry, generic.DictionaryObject) or set(entry.keys()) - _VRI_KEYS:
                    raise Disallowed("writes a VRI entry with entries a VRI entry does not have")
                for key in ("/Cert", "/CRL", "/OCSP"):
                    if key in entry:
                        self._judge_streams(entry.raw_get(key), before)
                if "/TS" in entry:
                    self._note_dss_object(entry.raw_get("/TS"), before, stream=True)

    def _judge_streams(self, raw: generic.PdfObject, before: set[generic.Reference]) -> None:
        self._note_dss_object(raw, before, stream=False)
        items = _resolve(raw)
        if not isinstance(items, generic.ArrayObject):
            raise Disallowed("writes a DSS list that is not an array")
        for item in items:
            self._note_dss_object(item, before, stream=True)

    def _note_dss_object(
        self, raw: generic.PdfObject, before: set[generic.Reference], *, stream: bool
    ) -> None:
        """Account for one object of the DSS: a stream must be new, a dictionary or array
        new or already part of the DSS. An unchanged stream needs nothing (streams are never
        rewritten here); an unchanged existing dictionary or array must already have been
        part of the DSS: adopted, it would be rewritable as "DSS data" in the next update
        (a page's /Contents array, say, pointed at a blank stream)."""
        if not isinstance(raw, generic.IndirectObject):
            if stream:
                raise Disallowed("puts validation data in the DSS as a direct object")
            return
        ref = raw.reference
        is_stream = isinstance(_resolve(raw), generic.StreamObject)
        if is_stream != stream:
            raise Disallowed(
                f"puts object {ref.idnum} in the DSS where a "
                f"{'stream' if stream else 'container'} belongs"
            )
        if ref not in self.changed:
            if not stream and ref not in before:
                raise Disallowed(f"adopts existing object {ref.idnum} into the DSS")
            return
        if not (self._is_new(ref) or (not stream and ref in before)):
            raise Disallowed(f"passes existing object {ref.idnum} off as validation data")
        self.explained.add(ref)

    def _old_dss_objects(self) -> set[generic.Reference]:
        """Every indirect object reachable from the previous revision's DSS."""
        catalog = self.old.root
        found: set[generic.Reference] = set()
        if "/DSS" not in catalog:
            return found
        pending: list[generic.PdfObject] = [catalog.raw_get("/DSS")]
        while pending:
            raw = pending.pop()
            if isinstance(raw, generic.IndirectObject):
                if raw.reference in found:
                    continue
                found.add(raw.reference)
                raw = self.old(raw.reference)
            if isinstance(raw, generic.DictionaryObject) and not isinstance(
                raw, generic.StreamObject
            ):
                pending.extend(raw.raw_get(key) for key in raw)
            elif isinstance(raw, generic.ArrayObject):
                pending.extend(raw)  # a list of the raw entries: references stay references
        return found

    # --- Helpers ------------------------------------------------------------------------

    def _same_role(
        self, ref: generic.Reference, old_ref: generic.Reference | None, role: str
    ) -> None:
        """An object rewritten after the last signature keeps the role it had: a page's
        content stream cannot become the XMP metadata (and be rewritten as such), say."""
        if ref != old_ref and not self._is_new(ref):
            raise Disallowed(f"passes existing object {ref.idnum} off as {role}")

    def _is_new(self, ref: generic.Reference) -> bool:
        return self.reader.xrefs.get_historical_ref(ref, self.revision - 1) is None

    def _dict(self, ref: generic.Reference) -> generic.DictionaryObject:
        obj = self.new(ref)
        if not isinstance(obj, generic.DictionaryObject):
            raise Disallowed(f"object {ref.idnum} is not a dictionary")
        return obj


#: The XMP properties an update may change, as the document information's /ModDate and
#: /Producer (what pyHanko writes when it saves): everything else (a dc:title, a
#: description) is part of what was signed, shown by viewers that read XMP.
_XMP_MAY_CHANGE = frozenset(
    {
        "{http://ns.adobe.com/xap/1.0/}ModifyDate",
        "{http://ns.adobe.com/xap/1.0/}MetadataDate",
        "{http://ns.adobe.com/pdf/1.3/}Producer",
    }
)
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"


def _xmp_properties(stream: generic.StreamObject) -> dict[str, bytes]:
    """An XMP packet's properties: each rdf:Description's attributes and child elements, by
    qualified name, with their values (an element's in canonical XML). A packet with a
    document type declaration is refused unread (XMP needs none; entities are how XML
    parsers are attacked)."""
    data = stream.data
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Disallowed("writes XMP metadata with a document type declaration")
    try:
        root = ElementTree.fromstring(data)  # noqa: S314 - no DTD, so no entities (above)
    except ElementTree.ParseError as exc:
        raise Disallowed(f"writes XMP metadata that is not XML ({exc})") from exc
    found: dict[str, bytes] = {}
    for description in root.iter(f"{_RDF}Description"):
        for name, value in description.attrib.items():
            if name != f"{_RDF}about":
                found[name] = value.encode()
        for child in description:
            text = ElementTree.tostring(child, encoding="unicode")
            found[str(child.tag)] = ElementTree.canonicalize(text).encode()
    return found


def _indirect_entry(holder: generic.DictionaryObject, key: str) -> generic.Reference | None:
    raw = holder.raw_get(key) if key in holder else None
    return raw.reference if isinstance(raw, generic.IndirectObject) else None


def _plain_dict(obj: generic.PdfObject) -> bool:
    return isinstance(obj, generic.DictionaryObject) and not isinstance(obj, generic.StreamObject)


def _info_ref(resolver: HistoricalResolver) -> generic.Reference | None:
    trailer = resolver.trailer_view
    if "/Info" not in trailer:
        return None
    raw = trailer.raw_get("/Info")
    if not isinstance(raw, generic.IndirectObject):
        raise Disallowed("has a direct document information dictionary")
    return raw.reference


def _resolve(raw: generic.PdfObject) -> generic.PdfObject:
    """The object a raw entry stands for (itself unless it is a reference)."""
    obj: generic.PdfObject = raw.get_object()  # type: ignore[no-untyped-call]
    return obj


def _resolve_dict(raw: generic.PdfObject, what: str) -> generic.DictionaryObject:
    obj = _resolve(raw)
    if not isinstance(obj, generic.DictionaryObject):
        raise Disallowed(f"has {what} that is not a dictionary")
    return obj


def _empty() -> generic.DictionaryObject:
    return generic.DictionaryObject()  # type: ignore[no-untyped-call]


def _differing_keys(old: generic.DictionaryObject, new: generic.DictionaryObject) -> set[str]:
    """Keys added, removed or with another value (references compared as references)."""
    return {
        key
        for key in set(old.keys()) | set(new.keys())
        if key not in old or key not in new or old.raw_get(key) != new.raw_get(key)
    }


def _references(value: generic.PdfObject) -> list[generic.Reference]:
    if not isinstance(value, generic.ArrayObject):
        raise Disallowed("has a field or annotation list that is not an array")
    items = [value.raw_get(i) for i in range(len(value))]
    if not all(isinstance(item, generic.IndirectObject) for item in items):
        raise Disallowed("has a direct field or annotation")
    return [item.reference for item in items if isinstance(item, generic.IndirectObject)]


def may_show(widget: generic.PdfObject) -> bool:
    """Whether a widget may be drawn: its /Rect has an area, or is not a direct array of
    four direct numbers (pyHanko took one ending in an indirect number for no area while
    poppler drew it). A widget without a /Rect is not drawn."""
    if not isinstance(widget, generic.DictionaryObject) or "/Rect" not in widget:
        return False
    rect = widget.raw_get("/Rect")
    if not (
        isinstance(rect, generic.ArrayObject)
        and len(rect) == 4
        and all(isinstance(v, (generic.NumberObject, generic.FloatObject)) for v in rect)
    ):
        return True
    left, bottom, right, top = (float(v) for v in rect)
    return left != right and bottom != top


def page_refs(catalog: generic.DictionaryObject) -> list[generic.Reference]:
    """The pages of the revision, in order (the page tree's leaves)."""
    refs: list[generic.Reference] = []
    pending = [catalog.raw_get("/Pages")]
    seen: set[generic.Reference] = set()
    while pending:
        raw = pending.pop(0)
        if not isinstance(raw, generic.IndirectObject) or raw.reference in seen:
            raise Disallowed("has a page tree that is not a tree of indirect objects")
        seen.add(raw.reference)
        node = _resolve_dict(raw, "a page tree node")
        if node.get("/Type") == "/Pages":
            kids = _resolve(node.raw_get("/Kids"))
            if not isinstance(kids, generic.ArrayObject):
                raise Disallowed("has a page tree node whose /Kids is not an array")
            pending[:0] = list(kids)  # the raw entries
        else:
            refs.append(raw.reference)
    return refs


def _numbers(refs: Iterable[generic.Reference]) -> str:
    numbers = sorted(ref.idnum for ref in refs)
    shown = ", ".join(str(n) for n in numbers[:8])
    return shown + (f" and {len(numbers) - 8} more" if len(numbers) > 8 else "")

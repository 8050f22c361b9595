"""Incremental revisions: everything crm_sign adds to a PDF goes on top of the original bytes.

A signature made before ours (a supplier who signed first, an earlier crm_sign round) covers a byte
range of the file; rewriting the file breaks it. So stamps, certificate pages and the seal are written
with pyhanko's incremental writer, which appends changed and new objects and leaves every earlier byte
where it was: the document as sent is provably a prefix of the sealed file.

What we draw comes from reportlab documents (the overlay, the certificate). Their pages are imported as
Form XObjects; the page's own content stream is left untouched and is only wrapped in enough q/Q that
a graphics state it leaves behind (an unbalanced q or Q, a cm, an open text object) cannot move or hide
our drawing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import InvalidPDFError

# ------------------------------------------------------------------------- content stream balance

# One regular expression finds the tokens; strings, comments and inline image data are consumed by it
# (or by the loop below) so a "q" inside them is never counted.
_TOKEN = re.compile(
	rb"%[^\r\n]*"  # comment
	rb"|<<|>>"  # dictionary delimiters
	rb"|<[0-9A-Fa-f\s]*>"  # hex string
	rb"|\("  # literal string: scanned by _skip_string
	rb"|\[|\]"
	rb"|/[^\s()<>\[\]{}/%]*"  # name
	rb"|[^\s()<>\[\]{}/%]+"  # number or operator
)
_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_INLINE_IMAGE_END = re.compile(rb"\sEI(?=[\s%]|$)")
# Operand counts of the operators whose count is fixed (ISO 32000-1, Annex A). Viewers differ in what
# they do after an operator with the wrong count (poppler stops drawing what follows in some cases),
# so content with one is isolated in a Form XObject of its own.
_ARITY = {
	**dict.fromkeys(
		[
			b"q",
			b"Q",
			b"BT",
			b"ET",
			b"n",
			b"f",
			b"F",
			b"f*",
			b"B",
			b"B*",
			b"b",
			b"b*",
			b"S",
			b"s",
			b"W",
			b"W*",
		],
		0,
	),
	**dict.fromkeys([b"h", b"T*", b"EMC", b"BX", b"EX", b"BI", b"ID", b"EI"], 0),
	**dict.fromkeys([b"g", b"G", b"w", b"J", b"j", b"M", b"i", b"ri", b"gs", b"Do", b"sh", b"cs", b"CS"], 1),
	**dict.fromkeys([b"Tc", b"Tw", b"Tz", b"TL", b"Tr", b"Ts", b"Tj", b"TJ", b"'", b"BMC", b"MP"], 1),
	**dict.fromkeys([b"m", b"l", b"d", b"Td", b"TD", b"Tf", b"BDC", b"DP", b"d0"], 2),
	**dict.fromkeys([b"rg", b"RG", b'"'], 3),
	**dict.fromkeys([b"re", b"v", b"y", b"k", b"K"], 4),
	**dict.fromkeys([b"cm", b"c", b"Tm", b"d1"], 6),
}
_VARIABLE = {b"sc", b"SC", b"scn", b"SCN"}
_OPERANDS = {b"true", b"false", b"null"}


@dataclass(frozen=True)
class ContentBalance:
	"""What a page's content leaves open at its end, from our wrapper's point of view."""

	saves: int  # q to put in front so the content can never pop below our own saved state
	restores: int  # Q to append to get back to that saved state
	open_text: bool  # the content ends inside BT ... (no ET)
	sound: bool  # well-formed: ends between tokens, every operator known and with its operand count

	@property
	def prefix(self) -> bytes:
		return b"q\n" * self.saves

	@property
	def suffix(self) -> bytes:
		return (b"\nET" if self.open_text else b"") + b"\n" + b"Q\n" * self.restores


def content_balance(data: bytes) -> ContentBalance:
	"""The q/Q depth a content stream ends at, the lowest depth it pops to, any open text object, and
	whether it is well-formed.

	Viewers ignore a Q with nothing saved; we put one q in front for each level the content pops below
	its start, plus our own, so whatever it does, the same number of Q at the end restores the state the
	page started with.
	"""
	depth = lowest = 0
	text = False
	nesting = 0  # open arrays and dictionaries
	operands = 0
	compatibility = 0  # inside BX ... EX unknown operators are allowed
	sound = True
	pos, end = 0, len(data)

	def result(ok: bool) -> ContentBalance:
		return ContentBalance(1 - lowest, 1 + depth - lowest, text, ok and nesting == 0)

	while pos < end:
		match = _TOKEN.search(data, pos)
		if match is None:
			break
		token = match.group()
		pos = match.end()
		if token[:1] == b"%":
			continue
		if token == b"(":
			pos = _skip_string(data, pos)
			if pos < 0:
				return result(False)
			operands += nesting == 0
			continue
		if token in (b"[", b"<<"):
			nesting += 1
			continue
		if token in (b"]", b">>"):
			nesting = max(0, nesting - 1)
			operands += nesting == 0
			continue
		if nesting or token[:1] in (b"/", b"<") or token in _OPERANDS or _NUMBER.fullmatch(token):
			operands += nesting == 0
			continue
		# An operator.
		arity = _ARITY.get(token)
		if arity is None and token not in _VARIABLE and not compatibility:
			sound = False
		elif arity is not None and operands != arity:
			sound = False
		operands = 0
		if token == b"q":
			depth += 1
		elif token == b"Q":
			depth -= 1
			lowest = min(lowest, depth)
		elif token == b"BT":
			text = True
		elif token == b"ET":
			text = False
		elif token == b"BX":
			compatibility += 1
		elif token == b"EX":
			compatibility = max(0, compatibility - 1)
		elif token == b"BI":  # inline image data runs to the EI that follows whitespace
			ei = _INLINE_IMAGE_END.search(data, pos)
			if ei is None:
				return result(False)
			pos = ei.end()
	return result(sound and operands == 0)


def _skip_string(data: bytes, pos: int) -> int:
	"""Position after the literal string whose "(" ends at `pos`, or -1 when it never closes."""
	level = 1
	end = len(data)
	while pos < end:
		char = data[pos]
		if char == 0x5C:  # backslash escapes the next byte
			pos += 2
			continue
		if char == 0x28:
			level += 1
		elif char == 0x29:
			level -= 1
			if level == 0:
				return pos + 1
		pos += 1
	return -1


# ------------------------------------------------------------------------------- reportlab output

_SUBSET_TAG = re.compile(r"^/?[A-Z]{6}\+")
# reportlab opens every page with "BT /F1 12 Tf 14.4 TL ET" (its initial Helvetica); nothing of ours
# draws in it (tables repeat it for every cell), so those empty text objects and the non-embedded font
# they name are dropped.
_EMPTY_TEXT = re.compile(rb"BT\s+/([^\s/]+)\s+[\d.]+\s+Tf\s+[\d.]+\s+TL\s+ET\s*")
_FONT_USE = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+[-\d.]+\s+Tf\b")


@dataclass(frozen=True)
class PageEntry:
	"""One page as the page tree gives it, inherited attributes resolved."""

	ref: Any  # the page object's indirect reference
	resources: Any  # its /Resources dictionary (own or inherited), possibly empty
	mediabox: Any  # own or inherited /MediaBox, None when the tree has none
	cropbox: Any = None  # own or inherited /CropBox
	rotate: Any = 0  # own or inherited /Rotate


def page_tree(reader: Any) -> list[PageEntry]:
	"""Every page of a pyhanko reader or writer in order, in one walk of the page tree.

	pyhanko's find_page_for_modification walks from the root for each page, which is quadratic on the
	flat trees most generators write (a 1,000-page document: a million steps); this is linear.
	"""
	from pyhanko.pdf_utils import generic

	pages: list[PageEntry] = []
	seen: set[tuple[int, int]] = set()

	def visit(node_ref: Any, inherited: dict[str, Any]) -> None:
		node = node_ref.get_object()
		inherited = {key: node[key] if key in node else value for key, value in inherited.items()}
		if "/Kids" not in node:
			pages.append(
				PageEntry(
					node_ref,
					inherited["/Resources"],
					inherited["/MediaBox"],
					inherited["/CropBox"],
					inherited["/Rotate"],
				)
			)
			return
		for kid in node["/Kids"]:
			if not isinstance(kid, generic.IndirectObject):
				raise InvalidPDFError("A page tree node has a direct child.", code="page_tree")
			key = (kid.idnum, kid.generation)
			if key in seen:
				raise InvalidPDFError("The page tree has a cycle.", code="page_tree")
			seen.add(key)
			visit(kid, inherited)

	start = {"/Resources": generic.DictionaryObject(), "/MediaBox": None, "/CropBox": None, "/Rotate": 0}
	visit(reader.root.raw_get("/Pages"), start)
	return pages


def drawn_pages(writer: Any, source: bytes) -> list[tuple[Any, Any, Any]]:
	"""Import every page of the reportlab PDF `source` into `writer`.

	Returns per page (content bytes, imported resources, MediaBox). Fonts shared by several pages are
	imported once; each embedded subset gets a tag derived from its own bytes, so two different subsets
	never share a tag such as "AAAAAA+" (each reportlab document starts counting again), and fonts the
	page never selects are left out.
	"""
	from pyhanko.pdf_utils import generic
	from pyhanko.pdf_utils.reader import PdfFileReader

	reader = PdfFileReader(io.BytesIO(source), strict=False)
	pages = []
	for entry in page_tree(reader):
		page, resources = entry.ref.get_object(), entry.resources
		contents = page["/Contents"]
		parts = contents if isinstance(contents, generic.ArrayObject) else [contents]
		data = b"".join(stream_bytes(part.get_object()) for part in parts)
		fonts = _get(resources, "/Font") or {}
		unembedded = {key[1:].encode() for key in fonts if _get(fonts[key], "/FontDescriptor") is None}
		data = _EMPTY_TEXT.sub(lambda m: b"" if m.group(1) in unembedded else m.group(0), data)
		used = {match.group(1).decode("latin-1") for match in _FONT_USE.finditer(data)}
		kept = generic.DictionaryObject({key: value for key, value in resources.items() if key != "/Font"})
		if fonts:
			kept[generic.NameObject("/Font")] = generic.DictionaryObject(
				{key: fonts.raw_get(key) for key in fonts if key[1:] in used}
			)
		pages.append((data, kept, entry.mediabox))
	retagged: set[int] = set()
	for _, resources, _ in pages:
		fonts = _get(resources, "/Font") or {}
		for key in fonts:
			font = fonts[key]
			if id(font) not in retagged:  # every overlay page shares the same font objects
				retagged.add(id(font))
				_retag(font)
	# One import for all pages: pyhanko forgets its reference map between calls, which would copy the
	# shared font once per page. The holder is marked as read from `reader`, which is where pyhanko
	# looks for the document to import from.
	holder = generic.ArrayObject([resources for _, resources, _ in pages])
	holder.container_ref = reader.root_ref
	imported = writer.import_object(holder)
	return [(data, imported[i], box) for i, (data, _, box) in enumerate(pages)]


def _retag(font: Any) -> None:
	"""Give an embedded subset a tag made from its font program, the same way on every run."""
	from pyhanko.pdf_utils import generic

	base = str(_get(font, "/BaseFont") or "")
	descriptor = _get(font, "/FontDescriptor")
	if not _SUBSET_TAG.match(base) or descriptor is None:
		return
	program = next(
		(descriptor[key] for key in ("/FontFile2", "/FontFile", "/FontFile3") if key in descriptor), None
	)
	if program is None:
		return
	untagged = _SUBSET_TAG.sub("", base)
	digest = hashlib.sha256(program.encoded_data + untagged.encode()).digest()  # the same on every call
	tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
	name = generic.NameObject(f"/{tag}+{untagged}")
	font[generic.NameObject("/BaseFont")] = name
	descriptor[generic.NameObject("/FontName")] = name


def stream_bytes(stream: Any) -> bytes:
	"""A stream's decoded bytes. ASCII85 and Flate (what reportlab and most generators write) are decoded
	with the standard library, several times faster than pyhanko's pure-Python ASCII85 decoder."""
	filters = stream.get("/Filter")
	names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)] if filters else []
	if "/DecodeParms" not in stream and set(names) <= {"/ASCII85Decode", "/FlateDecode"}:
		try:
			data = stream.encoded_data
			for name in names:
				if name == "/ASCII85Decode":
					end = data.find(b"~>")
					data = base64.a85decode(
						data[: end if end >= 0 else None].strip(), ignorechars=b" \t\n\r\x0c\x00"
					)
				else:
					data = zlib.decompress(data)
			return data
		except (ValueError, zlib.error):
			pass  # let pyhanko try, and report its error
	return stream.data


def _get(dictionary: Any, key: str) -> Any:
	"""`dictionary[key]` resolved (pyhanko's .get returns references as they are), None when absent."""
	return dictionary[key] if key in dictionary else None


# --------------------------------------------------------------------------------- page overlays

DEFAULT_MEDIABOX = (0, 0, 612, 792)  # what viewers assume for a page without one (US Letter)


def overlay_pages(
	writer: Any,
	overlays: dict[int, tuple[bytes, Any]],
	contents: dict[int, bytes],
	entries: list[PageEntry] | None = None,
) -> None:
	"""Draw each overlay (content bytes, imported resources) on top of page `index` of `writer`.

	`contents` replaces a page's own content first (anchor tags cut out of it). The page's content is
	never rewritten otherwise: its streams stay the same objects, wrapped by two small streams of ours.
	"""
	from pyhanko.pdf_utils import generic

	entries = entries if entries is not None else page_tree(writer)
	for index, (data, resources) in sorted(overlays.items()):
		page_ref, page_resources, box = entries[index].ref, entries[index].resources, entries[index].mediabox
		page = page_ref.get_object()
		if box is None:
			box = generic.ArrayObject([generic.NumberObject(v) for v in DEFAULT_MEDIABOX])
			page[generic.NameObject("/MediaBox")] = box
		form = generic.StreamObject(
			{
				generic.NameObject("/Type"): generic.NameObject("/XObject"),
				generic.NameObject("/Subtype"): generic.NameObject("/Form"),
				generic.NameObject("/BBox"): generic.ArrayObject(list(box)),
				generic.NameObject("/Resources"): resources,
			},
			stream_data=data,
		)
		form.compress()
		if index in contents:
			own = [writer.add_object(_compressed(contents[index]))]
		else:
			own = _content_streams(page)
		if isinstance(page_resources, generic.IndirectObject):
			page_resources = page_resources.get_object()
		merged = generic.DictionaryObject(dict(page_resources.items()) if page_resources else {})
		xobjects = _get(merged, "/XObject")
		xobjects = generic.DictionaryObject(dict(xobjects.items()) if xobjects else {})
		number = 1
		while f"/CrmSignOverlay{number}" in xobjects:  # a document stamped again keeps both overlays
			number += 1
		name = f"/CrmSignOverlay{number}"
		xobjects[generic.NameObject(name)] = writer.add_object(form)
		merged[generic.NameObject("/XObject")] = xobjects
		try:
			data_of_page = b"\n".join(stream_bytes(stream.get_object()) for stream in own)
			balance = content_balance(data_of_page)
		except Exception:  # a filter we cannot decode: viewers will not draw it either
			data_of_page, balance = b"", ContentBalance(1, 1, False, True)
		if not balance.sound:
			# The content ends inside a string, array or image (whatever follows it in /Contents would
			# be swallowed), or has an operator viewers may stumble on. Run it as a Form XObject of its
			# own: the viewer parses it separately and restores the graphics state after it.
			wrapped = generic.StreamObject(
				{
					generic.NameObject("/Type"): generic.NameObject("/XObject"),
					generic.NameObject("/Subtype"): generic.NameObject("/Form"),
					generic.NameObject("/BBox"): generic.ArrayObject(list(box)),
					generic.NameObject("/Resources"): generic.DictionaryObject(dict(merged.items())),
				},
				stream_data=data_of_page,
			)
			wrapped.compress()
			page_name = f"/CrmSignPage{number}"
			xobjects[generic.NameObject(page_name)] = writer.add_object(wrapped)
			own = [writer.add_object(_compressed(f"q {page_name} Do Q".encode()))]
			balance = ContentBalance(1, 1, False, True)
		before = writer.add_object(_compressed(balance.prefix))
		after = writer.add_object(_compressed(balance.suffix + f"q {name} Do Q\n".encode()))
		page[generic.NameObject("/Resources")] = merged
		page[generic.NameObject("/Contents")] = generic.ArrayObject([before, *own, after])
		writer.mark_update(page_ref)


def _content_streams(page: Any) -> list[Any]:
	"""References to the page's content streams; anything else (null, a missing object) is left out."""
	from pyhanko.pdf_utils import generic

	raw = page.raw_get("/Contents") if "/Contents" in page else None
	if raw is None:
		return []
	items = raw.get_object() if isinstance(raw, generic.IndirectObject) else raw
	if isinstance(items, generic.StreamObject):
		return [raw] if isinstance(raw, generic.IndirectObject) else []
	if not isinstance(items, generic.ArrayObject):
		return []
	streams = []
	for item in items:
		try:
			if isinstance(item, generic.IndirectObject) and isinstance(
				item.get_object(), generic.StreamObject
			):
				streams.append(item)
		except Exception:  # a reference to an object that is missing or unreadable
			continue
	return streams


def _compressed(data: bytes) -> Any:
	from pyhanko.pdf_utils import generic

	stream = generic.StreamObject(stream_data=data)
	if len(data) > 256:
		stream.compress()
	return stream


def write(writer: Any) -> bytes:
	"""The writer's document with its new revision (the caller turns failures into its own error)."""
	out = io.BytesIO()
	writer.write(out)
	return out.getvalue()

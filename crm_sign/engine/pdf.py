"""Reading, validating and stamping PDFs.

The stamper draws every value with reportlab on ONE canvas (one overlay page per stamped page) and merges
those overlays into a single PdfWriter clone of the document, so the original text stays selectable and
a long document is read and written once.

Coordinates: a field Box is relative (0..1) to the page's visible area as a viewer shows it, i.e. the
CropBox (clipped to the MediaBox) after /Rotate is applied. PageGeometry converts between that view and
the unrotated PDF user space that content streams use.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import TYPE_CHECKING, Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
	ArrayObject,
	ByteStringObject,
	ContentStream,
	DecodedStreamObject,
	DictionaryObject,
	FloatObject,
	IndirectObject,
	NameObject,
	RectangleObject,
	StreamObject,
)
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .errors import (
	EmptyPDFError,
	EncryptedPDFError,
	FieldPlacementError,
	InvalidImageError,
	InvalidPDFError,
	SignEngineError,
)
from .fields import Box, FieldType, FieldValue
from .fonts import ASCENT, DESCENT, FONT_REGULAR, register_fonts, string_width
from .images import SignatureImage, load_image

if TYPE_CHECKING:
	from pypdf import PageObject

	from .anchors import AnchorHit

Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]  # llx, lly, urx, ury in PDF user units

MIN_FONT_SIZE = 4.0
TEXT_COLOR = (0.07, 0.07, 0.1)
_TRUE_WORDS = {"1", "true", "yes", "y", "on", "x", "evet", "checked"}


# --------------------------------------------------------------------------------------------- reading


def sha256_hex(data: bytes) -> str:
	"""Hex SHA-256 of `data`."""
	return hashlib.sha256(data).hexdigest()


def read_pdf(data: bytes) -> PdfReader:
	"""Open and validate a PDF; raise InvalidPDFError, EncryptedPDFError or EmptyPDFError when unusable."""
	if not isinstance(data, (bytes, bytearray, memoryview)):
		raise InvalidPDFError(f"Expected PDF bytes, got {type(data).__name__}")
	data = bytes(data)
	if b"%PDF-" not in data[:1024]:
		raise InvalidPDFError("The file is not a PDF (no %PDF header).")
	# pypdf silently repairs a file cut short; a missing end marker is how we notice.
	if b"%%EOF" not in data[-2048:]:
		raise InvalidPDFError("The PDF is truncated or incomplete (no %%EOF marker at the end).")
	try:
		reader = PdfReader(BytesIO(data), strict=False)
		encrypted = reader.is_encrypted
	except Exception as exc:
		raise InvalidPDFError(f"The PDF is damaged and cannot be read ({_describe(exc)}).")
	if encrypted:
		raise EncryptedPDFError("The PDF is encrypted or password-protected; upload an unprotected copy.")
	try:
		count = len(reader.pages)
		if count:
			reader.pages[0].mediabox
	except Exception as exc:
		raise InvalidPDFError(f"The PDF page tree is damaged ({_describe(exc)}).")
	if count == 0:
		raise EmptyPDFError("The PDF has no pages.")
	return reader


def page_count(data: bytes) -> int:
	"""Number of pages of a valid PDF."""
	return len(read_pdf(data).pages)


def append_pdf(base: bytes, extra: bytes) -> bytes:
	"""`base` followed by the pages of `extra` (e.g. the certificate of completion)."""
	base_reader = read_pdf(base)
	extra_reader = read_pdf(extra)
	try:
		writer = PdfWriter(clone_from=base_reader)
		for page in extra_reader.pages:
			writer.add_page(page)
		return _write(writer)
	except SignEngineError:
		raise
	except Exception as exc:
		raise InvalidPDFError(f"The PDFs could not be joined ({_describe(exc)}).")


def _write(writer: PdfWriter) -> bytes:
	out = BytesIO()
	writer.write(out)
	return out.getvalue()


def _describe(exc: BaseException) -> str:
	text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
	return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# -------------------------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class PageGeometry:
	"""The visible box of a page in user space and its /Rotate (0, 90, 180 or 270)."""

	llx: float
	lly: float
	urx: float
	ury: float
	rotation: int = 0

	@classmethod
	def of(cls, page: PageObject) -> PageGeometry:
		media = _rect(page.mediabox)
		crop = _rect(page.cropbox) if "/CropBox" in page else media
		# Viewers show the CropBox clipped to the MediaBox.
		llx, lly = max(media[0], crop[0]), max(media[1], crop[1])
		urx, ury = min(media[2], crop[2]), min(media[3], crop[3])
		if urx - llx < 1 or ury - lly < 1:
			llx, lly, urx, ury = media
		if urx - llx < 1 or ury - lly < 1:
			raise InvalidPDFError("A page has an empty MediaBox.")
		try:
			rotation = int(page.get("/Rotate", 0) or 0)
		except (TypeError, ValueError):
			rotation = 0
		rotation = (round(rotation / 90) * 90) % 360
		return cls(llx, lly, urx, ury, rotation)

	@property
	def size(self) -> tuple[float, float]:
		"""Width and height of the page as the viewer shows it."""
		w, h = self.urx - self.llx, self.ury - self.lly
		return (h, w) if self.rotation in (90, 270) else (w, h)

	@property
	def view_to_user(self) -> Matrix:
		"""Matrix from view space (points, origin at the visible bottom-left, y up) to user space."""
		r = self.rotation
		if r == 90:
			return (0.0, 1.0, -1.0, 0.0, self.urx, self.lly)
		if r == 180:
			return (-1.0, 0.0, 0.0, -1.0, self.urx, self.ury)
		if r == 270:
			return (0.0, -1.0, 1.0, 0.0, self.llx, self.ury)
		return (1.0, 0.0, 0.0, 1.0, self.llx, self.lly)

	def box_to_view(self, box: Box) -> Rect:
		"""A relative Box (from the top-left) as x, y, w, h in view space (origin bottom-left)."""
		vw, vh = self.size
		w, h = box.w * vw, box.h * vh
		return (box.x * vw, vh - box.y * vh - h, w, h)

	def box_to_user(self, box: Box) -> Rect:
		"""A relative Box as a user-space rectangle (llx, lly, urx, ury)."""
		x, y, w, h = self.box_to_view(box)
		return _bbox(apply(self.view_to_user, px, py) for px, py in ((x, y), (x + w, y + h)))

	def user_to_box(self, rect: Rect) -> Box:
		"""A user-space rectangle as a relative Box, clipped to the visible page."""
		inverse = invert(self.view_to_user)
		x0, y0, x1, y1 = _bbox(apply(inverse, px, py) for px, py in ((rect[0], rect[1]), (rect[2], rect[3])))
		vw, vh = self.size
		left, right = _clamp(x0 / vw), _clamp(x1 / vw)
		top, bottom = _clamp(1 - y1 / vh), _clamp(1 - y0 / vh)
		if right - left <= 0 or bottom - top <= 0:
			raise FieldPlacementError(f"Rectangle {rect} lies outside the visible page")
		return Box(left, top, right - left, bottom - top)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
	"""Apply a PDF matrix [a b c d e f] to a point."""
	return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def multiply(m: Matrix, n: Matrix) -> Matrix:
	"""The PDF product m x n (apply m first, then n)."""
	return (
		m[0] * n[0] + m[1] * n[2],
		m[0] * n[1] + m[1] * n[3],
		m[2] * n[0] + m[3] * n[2],
		m[2] * n[1] + m[3] * n[3],
		m[4] * n[0] + m[5] * n[2] + n[4],
		m[4] * n[1] + m[5] * n[3] + n[5],
	)


def invert(m: Matrix) -> Matrix:
	det = m[0] * m[3] - m[1] * m[2]
	if abs(det) < 1e-12:
		raise FieldPlacementError("Degenerate transformation matrix")
	a, b, c, d = m[3] / det, -m[1] / det, -m[2] / det, m[0] / det
	return (a, b, c, d, -(m[4] * a + m[5] * c), -(m[4] * b + m[5] * d))


def _rect(r: Any) -> Rect:
	vals = [float(v) for v in r]
	return (min(vals[0], vals[2]), min(vals[1], vals[3]), max(vals[0], vals[2]), max(vals[1], vals[3]))


def _bbox(points: Iterable[tuple[float, float]]) -> Rect:
	xs, ys = zip(*points, strict=False)
	return (min(xs), min(ys), max(xs), max(ys))


def _clamp(v: float) -> float:
	return min(1.0, max(0.0, v))


# --------------------------------------------------------------------------------------------- stamping


@dataclass(frozen=True)
class TextEdit:
	"""Removal of a run of character codes from one string of a text-showing operation.

	Found by anchors.find_anchors; the codes are replaced by a TJ offset of the same width so the rest of
	the line stays exactly where it was.
	"""

	op_index: int  # index in the page's top-level content operations
	operator: bytes  # b"Tj", b"TJ", b"'" or b'"'
	element: int  # index of the string inside a TJ array (0 otherwise)
	start: int  # first code to remove
	end: int  # one past the last code
	bytes_per_code: int
	advance: float  # width of the removed codes, thousandths of text space (TJ units)
	raw: bytes  # the whole original string, to check it is still the same operation


def stamp(pdf: bytes, values: list[FieldValue], *, hide: list[AnchorHit] | None = None) -> bytes:
	"""Draw `values` into their field boxes and cover the anchor tags in `hide`; return the new PDF.

	Raises FieldPlacementError for a field without a placement or on a missing page, InvalidImageError for
	an unusable image, and InvalidPDFError/EncryptedPDFError/EmptyPDFError for the document.
	"""
	reader = read_pdf(pdf)
	count = len(reader.pages)
	by_page: dict[int, list[FieldValue]] = {}
	for item in values:
		f = item.field
		if not f.is_placed:
			raise FieldPlacementError(f"Field {f.name!r} is not placed on a page (unresolved anchor?)")
		if not 0 <= f.page < count:
			raise FieldPlacementError(
				f"Field {f.name!r} is on page {f.page + 1}, but the document has {count} page(s)"
			)
		by_page.setdefault(f.page, []).append(item)
	hide_by_page: dict[int, list[AnchorHit]] = {}
	for hit in hide or []:
		if not 0 <= hit.page < count:
			raise FieldPlacementError(f"Anchor {hit.tag} is on page {hit.page + 1}, beyond the document")
		hide_by_page.setdefault(hit.page, []).append(hit)
	pages = sorted(set(by_page) | set(hide_by_page))
	if not pages:
		return bytes(pdf)

	images = _prepare_images(values)
	register_fonts()
	try:
		writer = PdfWriter(clone_from=reader)
		shared = _shared_streams(writer)
		covers: dict[int, list[AnchorHit]] = {}
		for page_no in pages:
			page = writer.pages[page_no]
			if _stream_ids(page) & shared:
				_detach_contents(page)
			hits = hide_by_page.get(page_no, [])
			editable = [h for h in hits if getattr(h, "edit", None) is not None]
			# A tag cut out of the content stream needs no cover, which could clip a tightly kerned
			# neighbour; the others get a white rectangle.
			blanked = bool(editable) and blank_text(page, editable)
			rest = [h for h in hits if not (blanked and getattr(h, "edit", None) is not None)]
			if rest:
				covers[page_no] = rest
			if blanked and page_no not in by_page and not rest:
				page.compress_content_streams()
		overlay_pages = sorted(set(by_page) | set(covers))
		geometries = {p: PageGeometry.of(reader.pages[p]) for p in overlay_pages}
		overlay = _draw_overlay(overlay_pages, geometries, by_page, covers, images)
		save_state = writer._add_object(_stream(b"q\n"))
		for index, page_no in enumerate(overlay_pages):
			_attach_overlay(writer, writer.pages[page_no], overlay.pages[index], save_state)
		return _write(writer)
	except SignEngineError:
		raise
	except Exception as exc:
		raise InvalidPDFError(f"The PDF could not be stamped ({_describe(exc)}).")


def _stream(data: bytes, **entries: Any) -> StreamObject:
	stream = DecodedStreamObject()
	stream.set_data(data)
	for key, value in entries.items():
		stream[NameObject(key)] = value
	return stream.flate_encode() if len(data) > 256 else stream


def _attach_overlay(
	writer: PdfWriter, page: PageObject, over: PageObject, save_state: IndirectObject
) -> None:
	"""Draw `over` on top of `page` as a Form XObject.

	pypdf's merge_page parses and rewrites both content streams to rename resources; painting the
	overlay as one XObject leaves the page's own content untouched (and unparsed), which keeps
	finalize linear and cheap on long documents. The page's content is wrapped in q/Q so a graphics
	state it leaves behind cannot shift the overlay.
	"""
	resources = over["/Resources"].get_object().clone(writer)
	form = _stream(
		over.get_contents().get_data(),
		**{
			"/Type": NameObject("/XObject"),
			"/Subtype": NameObject("/Form"),
			"/BBox": RectangleObject(_rect(page.mediabox)),
			"/Resources": resources,
		},
	)
	form_ref = writer._add_object(form)
	page_resources = page.get("/Resources")
	page_resources = DictionaryObject(page_resources.get_object() if page_resources is not None else {})
	xobjects = page_resources.get("/XObject")
	xobjects = DictionaryObject(xobjects.get_object() if xobjects is not None else {})
	number = 1
	while f"/CrmSignOverlay{number}" in xobjects:  # a document stamped twice keeps both overlays
		number += 1
	name = NameObject(f"/CrmSignOverlay{number}")
	xobjects[name] = form_ref
	page_resources[NameObject("/XObject")] = xobjects
	page[NameObject("/Resources")] = (
		page_resources  # a copy: resources shared with other pages stay as they were
	)

	contents = page.raw_get("/Contents") if "/Contents" in page else None
	existing = contents.get_object() if isinstance(contents, IndirectObject) else contents
	parts = (
		list(existing) if isinstance(existing, ArrayObject) else ([contents] if contents is not None else [])
	)
	draw = writer._add_object(_stream(b"Q\nq " + name.encode() + b" Do Q\n"))
	page[NameObject("/Contents")] = ArrayObject([save_state, *parts, draw])


def _stream_ids(page: PageObject) -> set[int]:
	"""Object numbers of the page's content streams."""
	contents = page.raw_get("/Contents") if "/Contents" in page else None
	items = contents.get_object() if isinstance(contents, IndirectObject) else contents
	ids = {contents.idnum} if isinstance(contents, IndirectObject) else set()
	if isinstance(items, ArrayObject):
		ids |= {item.idnum for item in items if isinstance(item, IndirectObject)}
	return ids


def _shared_streams(writer: PdfWriter) -> set[int]:
	"""Content streams used by more than one page."""
	seen: set[int] = set()
	shared: set[int] = set()
	for page in writer.pages:
		ids = _stream_ids(page)
		shared |= ids & seen
		seen |= ids
	return shared


def _detach_contents(page: PageObject) -> None:
	"""Give the page its own content stream: merge_page rewrites the stream object in place, which would
	stamp every other page sharing it too."""
	content = page.get_contents()
	if content is not None:
		del page[NameObject("/Contents")]
		page.replace_contents(content)


def _prepare_images(values: list[FieldValue]) -> dict[int, Any]:
	"""Validate each image value once, and share one ImageReader per distinct image."""
	loaded: dict[bytes, Any] = {}  # keyed by the value as given: initials repeated on every page load once
	readers: dict[bytes, Any] = {}
	by_value: dict[int, Any] = {}
	for item in values:
		if not item.field.type.is_image or _is_blank(item.value):
			continue
		value = item.value
		given = value.data if isinstance(value, SignatureImage) else value
		if not isinstance(given, (str, bytes, bytearray, memoryview)):
			raise InvalidImageError(f"Field {item.field.name!r}: expected image bytes or a data URL")
		given_key = hashlib.sha1(given.encode() if isinstance(given, str) else bytes(given)).digest()
		if given_key not in loaded:
			try:
				image = value if isinstance(value, SignatureImage) else load_image(value)
			except InvalidImageError as exc:
				raise InvalidImageError(f"Field {item.field.name!r}: {exc}")
			key = hashlib.sha1(image.data).digest()
			if key not in readers:
				readers[key] = (image, image.image_reader())
			loaded[given_key] = readers[key]
		by_value[id(item)] = loaded[given_key]
	return by_value


def _draw_overlay(
	pages: list[int],
	geometries: dict[int, PageGeometry],
	by_page: dict[int, list[FieldValue]],
	hide_by_page: dict[int, list[AnchorHit]],
	images: dict[int, Any],
) -> PdfReader:
	buf = BytesIO()
	canvas = Canvas(buf, pageCompression=1, invariant=1)
	for page_no in pages:
		geo = geometries[page_no]
		canvas.setPageSize((max(geo.urx, 1), max(geo.ury, 1)))
		for hit in hide_by_page.get(page_no, []):
			x0, y0, x1, y1 = hit.rect
			margin = 0.75  # anti-aliased glyph edges reach a little past the metrics box
			canvas.setFillColorRGB(1, 1, 1)
			canvas.rect(
				x0 - margin, y0 - margin, x1 - x0 + 2 * margin, y1 - y0 + 2 * margin, stroke=0, fill=1
			)
		for item in by_page.get(page_no, []):
			canvas.saveState()
			canvas.transform(*geo.view_to_user)
			_draw_value(canvas, geo, item, images.get(id(item)))
			canvas.restoreState()
		canvas.showPage()
	canvas.save()
	return PdfReader(BytesIO(buf.getvalue()))


def _is_blank(value: Any) -> bool:
	return value is None or (isinstance(value, (str, bytes)) and not value.strip())


def _draw_value(canvas: Canvas, geo: PageGeometry, item: FieldValue, image: Any) -> None:
	f = item.field
	x, y, w, h = geo.box_to_view(f.box)
	if f.type == FieldType.CHECKBOX:
		if _truthy(item.value):
			_draw_check(canvas, x, y, w, h)
		return
	if _is_blank(item.value):
		return
	# Nothing drawn for a field may spill outside its box.
	path = canvas.beginPath()
	path.rect(x, y, w, h)
	canvas.clipPath(path, stroke=0, fill=0)
	if f.type.is_image:
		_draw_image(canvas, image, x, y, w, h)
		return
	canvas.setFillColorRGB(*TEXT_COLOR)
	text = format_value(item.value, f.format)
	if f.type == FieldType.LONG_TEXT:
		_draw_wrapped(canvas, text, f.font_size, x, y, w, h)
	else:
		_draw_line(canvas, " ".join(text.split()), f.font_size, x, y, w, h)


def format_value(value: Any, fmt: str | None = None) -> str:
	"""The text drawn for a value: dates through `fmt` (strftime) when given, others as str()."""
	if isinstance(value, datetime):
		return value.strftime(fmt or "%Y-%m-%d %H:%M")
	if isinstance(value, date):
		return value.strftime(fmt or "%Y-%m-%d")
	if isinstance(value, bytes):
		return value.decode("utf-8", "replace")
	return str(value)


def _truthy(value: Any) -> bool:
	if isinstance(value, str):
		return value.strip().lower() in _TRUE_WORDS
	return bool(value)


def _pad(w: float, h: float) -> float:
	return min(2.0, w * 0.05, h * 0.1)


def _draw_line(canvas: Canvas, text: str, size: float, x: float, y: float, w: float, h: float) -> None:
	pad = _pad(w, h)
	avail = w - 2 * pad
	width = string_width(text, size)
	if width > avail > 0:
		size = max(MIN_FONT_SIZE, size * avail / width)
	# Also fit the height, but never below the minimum: clipping beats invisible text.
	size = max(MIN_FONT_SIZE, min(size, (h - pad) / (ASCENT - DESCENT)))
	baseline = y + (h - (ASCENT - DESCENT) * size) / 2 - DESCENT * size
	canvas.setFont(FONT_REGULAR, size)
	canvas.drawString(x + pad, baseline, text)


def _draw_wrapped(canvas: Canvas, text: str, size: float, x: float, y: float, w: float, h: float) -> None:
	pad = _pad(w, h)
	avail = max(w - 2 * pad, 1)
	while True:
		lines = simpleSplit(text, FONT_REGULAR, size, avail)
		if len(lines) * size * 1.2 <= h - pad or size <= MIN_FONT_SIZE:
			break
		size = max(MIN_FONT_SIZE, size * 0.9)
	baseline = y + h - pad - ASCENT * size
	canvas.setFont(FONT_REGULAR, size)
	for line in lines:
		if baseline < y - size:
			break
		canvas.drawString(x + pad, baseline, line)
		baseline -= size * 1.2


def _draw_check(canvas: Canvas, x: float, y: float, w: float, h: float) -> None:
	side = min(w, h) * 0.9
	left, bottom = x + (w - side) / 2, y + (h - side) / 2
	canvas.setStrokeColorRGB(*TEXT_COLOR)
	canvas.setLineWidth(max(side * 0.12, 0.8))
	canvas.setLineCap(1)
	canvas.setLineJoin(1)
	path = canvas.beginPath()
	path.moveTo(left + side * 0.15, bottom + side * 0.5)
	path.lineTo(left + side * 0.4, bottom + side * 0.2)
	path.lineTo(left + side * 0.85, bottom + side * 0.82)
	canvas.drawPath(path, stroke=1, fill=0)


def _draw_image(canvas: Canvas, image: Any, x: float, y: float, w: float, h: float) -> None:
	info, reader = image
	scale = min(w / info.width, h / info.height)
	dw, dh = info.width * scale, info.height * scale
	canvas.drawImage(reader, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh, mask="auto")


# --------------------------------------------------------------------------------- blanking anchor tags


def blank_text(page: PageObject, hits: list[AnchorHit]) -> bool:
	"""Remove the anchor tags' glyphs from the page's content stream, keeping every other glyph in place.

	Only applied when the page's extracted text afterwards equals the text before minus the tags;
	otherwise the page is left as it was (the white cover drawn by the stamper still hides the tags).
	Returns True when the content was changed.
	"""
	original = None
	try:
		original = page.get("/Contents")
		if original is None:
			return False
		writer = page.indirect_reference.pdf
		stream = ContentStream(original.get_object(), writer, "bytes")
		operations = list(stream.operations)
		grouped: dict[int, list[TextEdit]] = {}
		for hit in hits:
			grouped.setdefault(hit.edit.op_index, []).append(hit.edit)
		for op_index in sorted(grouped, reverse=True):
			if op_index >= len(operations):
				return False
			replacement = _edit_operation(operations[op_index], grouped[op_index])
			if replacement is None:
				return False
			operations[op_index : op_index + 1] = replacement
		before = page.extract_text()
		edited = ContentStream(None, writer)
		edited.operations = operations
		# A new object, never a rewrite of the old one: other pages may share that stream.
		del page[NameObject("/Contents")]
		page.replace_contents(edited)
		expected = before
		for hit in hits:
			expected = expected.replace(hit.tag, "", 1)
		if _squash(page.extract_text()) == _squash(expected):
			return True
		page[NameObject("/Contents")] = original
	except Exception:  # any doubt: keep the original content, the white cover still hides the tag
		if original is not None:
			page[NameObject("/Contents")] = original
	return False


def _squash(text: str) -> str:
	return "".join(text.split())


def string_bytes(obj: Any) -> bytes | None:
	"""The raw bytes of a PDF string operand as parsed by pypdf (text or byte string)."""
	if isinstance(obj, bytes):
		return bytes(obj)
	if isinstance(obj, str):
		try:
			return obj.get_original_bytes()
		except Exception:
			try:
				return obj.encode("latin-1")
			except UnicodeEncodeError:
				return None
	return None


def _edit_operation(operation: tuple[Any, Any], edits: list[TextEdit]) -> list[tuple[Any, bytes]] | None:
	operands, operator = operation
	operator = operator if isinstance(operator, bytes) else str(operator).encode()
	if any(e.operator != operator for e in edits):
		return None
	if operator == b"TJ":
		if not operands or not isinstance(operands[0], list):
			return None
		items = list(operands[0])
		strings = [i for i, item in enumerate(items) if isinstance(item, (str, bytes))]
		by_element: dict[int, list[TextEdit]] = {}
		for e in edits:
			by_element.setdefault(e.element, []).append(e)
		for element in sorted(by_element, reverse=True):
			if element >= len(strings):
				return None
			pos = strings[element]
			parts = _cut(items[pos], by_element[element])
			if parts is None:
				return None
			items[pos : pos + 1] = parts
		return [([ArrayObject(items)], b"TJ")]
	if operator in (b"Tj", b"'", b'"'):
		if any(e.element != 0 for e in edits) or not operands:
			return None
		parts = _cut(operands[-1], edits)
		if parts is None:
			return None
		show = ([ArrayObject(parts)], b"TJ")
		if operator == b"Tj":
			return [show]
		if operator == b"'":
			return [([], b"T*"), show]
		if len(operands) != 3:
			return None
		return [([operands[0]], b"Tw"), ([operands[1]], b"Tc"), ([], b"T*"), show]
	return None


def _cut(string: Any, edits: list[TextEdit]) -> list[Any] | None:
	raw = string_bytes(string)
	if raw is None:
		return None
	parts: list[Any] = []
	last = 0
	for e in sorted(edits, key=lambda e: e.start):
		if raw != e.raw or e.start < last // e.bytes_per_code or e.end * e.bytes_per_code > len(raw):
			return None
		a, b = e.start * e.bytes_per_code, e.end * e.bytes_per_code
		if raw[last:a]:
			parts.append(ByteStringObject(raw[last:a]))
		if not math.isfinite(e.advance):
			return None
		parts.append(FloatObject(round(-e.advance, 4)))
		last = b
	if raw[last:]:
		parts.append(ByteStringObject(raw[last:]))
	return parts

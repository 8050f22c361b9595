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
import re
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
	FloatObject,
	NameObject,
)
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from . import revision
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
from .memo import BoundedCache

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


# Our own sentences for every way a PDF can be unusable; `code` lets the Frappe layer translate them.
PDF_PROBLEMS = {
	"not_pdf": "The file is not a PDF.",
	"truncated": "The PDF is truncated or incomplete.",
	"damaged": "The PDF is damaged and could not be repaired.",
	"page_tree": "The PDF's list of pages is damaged.",
	"no_pages": "The PDF has no pages.",
	"encrypted": "The PDF is encrypted or password-protected; upload an unprotected copy.",
	"certificate_encrypted": (
		"The PDF is encrypted for particular recipients (certificate security); upload an unprotected copy."
	),
	"signed_damaged": (
		"The PDF carries signatures but its structure is damaged: repairing it would break them. "
		"Ask the sender for an intact copy."
	),
	"no_changes": (
		"The PDF was certified with a signature that allows no changes, so it cannot be signed again."
	),
	"signature_invalid": (
		"A signature already in the PDF does not verify, so sealing it would look as if we had broken it. "
		"Ask the sender for a correctly signed copy."
	),
	"signed_in_envelope": (
		"The PDF already carries a signature, which putting it into an envelope would drop. Send it on its own."
	),
	"unsupported": "The PDF's internal structure is not supported and could not be repaired.",
	"stamp_failed": "The values could not be drawn into this PDF.",
	"seal_failed": "The PDF could not be sealed.",
}


def pdf_error(code: str, exc: BaseException | None = None) -> InvalidPDFError:
	"""The engine's error for a PDF problem: our sentence, the library's words kept as detail."""
	cls = (
		EncryptedPDFError
		if code.endswith("encrypted")
		else EmptyPDFError
		if code == "no_pages"
		else InvalidPDFError
	)
	return cls(PDF_PROBLEMS[code], code=code, detail=_describe(exc) if exc is not None else "")


def _pdf_bytes(data: Any) -> bytes:
	if not isinstance(data, (bytes, bytearray, memoryview)):
		raise InvalidPDFError(f"Expected PDF bytes, got {type(data).__name__}", code="not_pdf")
	data = bytes(data)
	if b"%PDF-" not in data[:1024]:
		raise pdf_error("not_pdf")
	# pypdf silently repairs a file cut short; a missing end marker is how we notice. Whitespace and
	# NUL padding after it (some scanners and mail gateways add them) are allowed.
	if b"%%EOF" not in data.rstrip(b"\x00\t\n\x0c\r ")[-2048:]:
		raise pdf_error("truncated")
	return data


def read_pdf(data: bytes) -> PdfReader:
	"""Open and validate a PDF; raise InvalidPDFError, EncryptedPDFError or EmptyPDFError when unusable."""
	data = _pdf_bytes(data)
	try:
		reader = PdfReader(BytesIO(data), strict=False)
		encrypted = reader.is_encrypted
	except NotImplementedError as exc:  # pypdf knows only the password (standard) security handler
		raise _encrypted_error(data, exc)
	except Exception as exc:
		raise pdf_error("damaged", exc)
	if encrypted:
		raise pdf_error(_encryption_kind(reader))
	try:
		count = len(reader.pages)
	except Exception as exc:
		raise pdf_error("page_tree", exc)
	if count == 0:
		raise pdf_error("no_pages")
	return reader


def _encryption_kind(reader: PdfReader) -> str:
	try:
		handler = str(reader.trailer["/Encrypt"].get_object().get("/Filter", ""))
	except Exception:
		handler = ""
	return "certificate_encrypted" if handler == "/Adobe.PubSec" else "encrypted"


def page_count(data: bytes) -> int:
	"""Number of pages of a valid PDF."""
	return len(read_pdf(data).pages)


def prepare_pdf(data: bytes) -> bytes:
	"""The bytes to send for signature: `data` itself when it is sound, otherwise the copy qpdf repairs.

	Called once, when a document is made for a request (and when a template is uploaded), so that
	everything that could go wrong with a customer's PDF is found before anyone signs it:
	  - sound means qpdf reads every object without reconstructing anything, pyhanko can append a
	    revision, and a trial seal on it verifies; then every byte of the original stays in the signed
	    file and earlier signatures stay valid;
	  - a damaged file is rewritten by qpdf (as poppler and qpdf repair it for display), unless it
	    carries signatures, which a rewrite would break: that is refused;
	  - signatures already in the file must verify, or our seal would seem to have broken them;
	  - a certified PDF that allows no changes is refused.
	Raises the engine's PDF errors.
	"""
	data = _without_padding(_pdf_bytes(data))
	reader = read_pdf(data)
	if _forbids_changes(reader):
		raise pdf_error("no_changes")
	signed = b"/ByteRange" in data
	if signed:
		from .seal import signatures_problem

		problem = signatures_problem(data)
		if problem:
			raise pdf_error("signature_invalid", InvalidPDFError(problem))
	problem = _structure_problem(data) or _trial_seal_problem(data)
	if problem is None:
		return data
	if signed:
		raise pdf_error("signed_damaged", problem)
	repaired = _repair(data)
	read_pdf(repaired)
	problem = _structure_problem(repaired) or _trial_seal_problem(repaired)
	if problem is not None:
		raise pdf_error("unsupported", problem)
	return repaired


def _without_padding(data: bytes) -> bytes:
	"""`data` without NULs and blanks after its last %%EOF (scanners and mail gateways pad files; qpdf
	then no longer finds the end of the file). No signature covers them: a revision ends at its %%EOF."""
	end = data.rfind(b"%%EOF")
	tail = data[end + 5 :]
	if end < 0 or tail.strip(b"\x00\t\n\x0c\r ") or len(tail) <= 2:
		return data
	eol = b"\r\n" if tail.startswith(b"\r\n") else tail[:1] if tail[:1] in (b"\r", b"\n") else b"\n"
	return data[: end + 5] + eol


def _trial_seal_problem(data: bytes) -> Exception | None:
	"""Seal the document with a throwaway certificate and verify it: what fails here would otherwise
	fail after the customer signed."""
	from .seal import trial_seal

	try:
		trial_seal(data)
	except Exception as exc:
		return exc
	return None


def _forbids_changes(reader: PdfReader) -> bool:
	"""True for a certified PDF whose DocMDP permission is 1 (no changes at all)."""
	try:
		perms = reader.trailer["/Root"].get_object().get("/Perms")
		signature = perms.get_object().get("/DocMDP") if perms is not None else None
		if signature is None:
			return False
		for reference in signature.get_object().get("/Reference", []):
			reference = reference.get_object()
			if str(reference.get("/TransformMethod")) == "/DocMDP":
				params = reference.get("/TransformParams")
				return int((params.get_object() if params is not None else {}).get("/P", 2)) == 1
	except Exception:
		return False
	return False


def _structure_problem(data: bytes) -> Exception | None:
	"""What qpdf or pyhanko had to work around to read the file, or None when it is sound."""
	import pikepdf
	from pyhanko.pdf_utils.reader import PdfFileReader

	try:
		with pikepdf.open(BytesIO(data)) as pdf:
			len(pdf.pages)
			len(pdf.objects)  # reads every object the cross-reference table lists
			# A trailer /Size that does not match the highest object number is harmless: qpdf reads
			# the file the same and a new revision states its own /Size.
			warnings = [w for w in pdf.get_warnings() if "reported number of objects" not in str(w)]
		if warnings:
			return InvalidPDFError(str(warnings[0])[:200])
		reader = PdfFileReader(BytesIO(data), strict=False)
		int(reader.root["/Pages"]["/Count"])
		if reader.last_startxref is None or not _xref_at(data, reader.last_startxref):
			return InvalidPDFError("startxref does not point at a cross-reference section")
	except Exception as exc:
		return exc
	return None


def _xref_at(data: bytes, offset: int) -> bool:
	head = data[offset : offset + 32].lstrip()
	return head.startswith(b"xref") or re.match(rb"\d+\s+\d+\s+obj", head) is not None


def _repair(data: bytes) -> bytes:
	import pikepdf

	out = BytesIO()
	try:
		with pikepdf.open(BytesIO(data)) as pdf:
			pdf.save(out, deterministic_id=True, fix_metadata_version=False)
	except pikepdf.PasswordError as exc:
		raise pdf_error("encrypted", exc)
	except Exception as exc:
		raise pdf_error("damaged", exc)
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
		"""The geometry of a pypdf page."""
		return cls.from_boxes(
			_box_or_none(lambda: page.mediabox),
			_box_or_none(lambda: page.cropbox) if "/CropBox" in page else None,
			page.get("/Rotate", 0),
		)

	@classmethod
	def from_boxes(cls, mediabox: Any, cropbox: Any = None, rotate: Any = 0) -> PageGeometry:
		"""The geometry from raw box arrays (None when missing or unusable) and a /Rotate value."""
		media = _box_or_none(lambda: _rect(mediabox)) if mediabox is not None else None
		media = media or revision.DEFAULT_MEDIABOX  # no usable MediaBox: viewers show US Letter
		crop = (_box_or_none(lambda: _rect(cropbox)) if cropbox is not None else None) or media
		# Viewers show the CropBox clipped to the MediaBox.
		llx, lly = max(media[0], crop[0]), max(media[1], crop[1])
		urx, ury = min(media[2], crop[2]), min(media[3], crop[3])
		if urx - llx < 1 or ury - lly < 1:
			llx, lly, urx, ury = media
		if urx - llx < 1 or ury - lly < 1:
			raise InvalidPDFError("A page has an empty MediaBox.", code="page_tree")
		try:
			rotation = int(rotate or 0)
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


def _box_or_none(read: Any) -> Any:
	try:
		return read()
	except (ValueError, TypeError, IndexError, KeyError):
		return None


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


@dataclass(frozen=True)
class VerificationFooter:
	"""A small footer for every page: a QR code of `url` and the URL in words, so anyone holding the
	document (or a print of it) can check it on the site. The URL carries a random code, nothing
	personal."""

	url: str
	label: str = "Verify this document:"


def stamp(
	pdf: bytes,
	values: list[FieldValue],
	*,
	hide: list[AnchorHit] | None = None,
	footer: VerificationFooter | None = None,
) -> bytes:
	"""Draw `values` into their field boxes and cover the anchor tags in `hide`; return the new PDF.

	The result is `pdf` followed by one incremental revision (prepare_pdf first for a customer's file).

	Raises FieldPlacementError for a field without a placement or on a missing page, InvalidImageError for
	an unusable image, and InvalidPDFError/EncryptedPDFError/EmptyPDFError for the document.
	"""
	source = _pdf_bytes(pdf)
	writer = revision_writer(source)
	try:
		entries = revision.page_tree(writer)
	except SignEngineError:
		raise
	except Exception as exc:
		raise pdf_error("page_tree", exc)
	count = len(entries)
	if count == 0:
		raise pdf_error("no_pages")
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
	pages = sorted(set(by_page) | set(hide_by_page) | (set(range(count)) if footer else set()))
	if not pages:
		return source

	images = _prepare_images(values)
	register_fonts()
	try:
		contents: dict[int, bytes] = {}
		covers: dict[int, list[AnchorHit]] = {}
		readers: list[PdfReader] = []  # pypdf, only to cut anchor tags out of content streams
		source_digest = sha256_hex(source) if hide_by_page else ""

		def blanked(page_no: int, editable: list[AnchorHit]) -> bytes | None:
			if not readers:
				readers.append(read_pdf(source))
			return _blanked_content(readers[0], page_no, editable)

		for page_no in pages:
			hits = hide_by_page.get(page_no, [])
			editable = [h for h in hits if getattr(h, "edit", None) is not None]
			# A tag cut out of the content stream needs no cover, which could clip a tightly kerned
			# neighbour; the others get a white rectangle. The same template's page is cut once.
			edited = None
			if editable:
				key = (source_digest, page_no, tuple((h.tag, h.rect) for h in editable))
				edited = _BLANKED.get_or_make(key, lambda p=page_no, e=editable: blanked(p, e))
			if edited is not None:
				contents[page_no] = edited
			rest = [h for h in hits if not (edited is not None and getattr(h, "edit", None) is not None)]
			if rest:
				covers[page_no] = rest
		drawn = sorted(set(by_page) | set(covers) | set(contents) | (set(range(count)) if footer else set()))
		geometries = {p: _geometry(entries[p]) for p in drawn}
		overlay = _draw_overlay(drawn, geometries, by_page, covers, images, footer)
		forms = revision.drawn_pages(writer, overlay)
		revision.overlay_pages(
			writer, {page_no: forms[i][:2] for i, page_no in enumerate(drawn)}, contents, entries
		)
		return revision.write(writer)
	except SignEngineError:
		raise
	except Exception as exc:
		raise pdf_error("stamp_failed", exc)


def revision_writer(source: bytes) -> Any:
	"""pyhanko's incremental writer on `source`, or the engine's error for a file it cannot open."""
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

	try:
		writer = IncrementalPdfFileWriter(BytesIO(source), strict=False)
		encrypted = writer.prev.encrypted
	except Exception as exc:
		raise _encrypted_error(source, exc) if b"/Encrypt" in source else pdf_error("damaged", exc)
	if encrypted:
		raise _encrypted_error(source)
	return writer


def _encrypted_error(data: bytes, exc: BaseException | None = None) -> InvalidPDFError:
	"""An encrypted file a library could not open: by certificate (public key) or by password."""
	return pdf_error("certificate_encrypted" if b"/Adobe.PubSec" in data else "encrypted", exc)


def _geometry(entry: Any) -> PageGeometry:
	return PageGeometry.from_boxes(entry.mediabox, entry.cropbox, entry.rotate)


_BLANKED = BoundedCache(256)


def _blanked_content(reader: PdfReader, page_no: int, hits: list[AnchorHit]) -> bytes | None:
	"""The page's content with the anchor tags cut out, or None when that cannot be done safely.

	Worked out on a copy of the page in a scratch writer; only the resulting bytes go into the revision.
	"""
	try:
		page = PdfWriter().add_page(reader.pages[page_no])
		if not blank_text(page, hits):
			return None
		return page.get_contents().get_data()
	except Exception:
		return None


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
	footer: VerificationFooter | None = None,
) -> bytes:
	buf = BytesIO()
	canvas = Canvas(buf, pageCompression=1, invariant=1)
	footer_size = _define_footer(canvas, footer) if footer else None
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
		if footer_size:
			# Bottom right of the page as the viewer shows it, clear of the edge.
			width, _height = geo.size
			canvas.saveState()
			canvas.transform(*geo.view_to_user)
			canvas.translate(max(width - footer_size[0] - FOOTER_MARGIN, 0), FOOTER_MARGIN)
			canvas.doForm(FOOTER_FORM)
			canvas.restoreState()
		canvas.showPage()
	canvas.save()
	return buf.getvalue()


FOOTER_FORM = "CrmSignVerification"
FOOTER_MARGIN = 8.0  # points from the page's edges
FOOTER_QR = 34.0  # points: 12 mm, what phones read from a print


def _define_footer(canvas: Canvas, footer: VerificationFooter) -> tuple[float, float]:
	"""Draw the footer once as a reportlab form (one XObject shared by every page); return its size."""
	size = 6.0
	lines = [footer.label, footer.url]
	text_width = max(string_width(line, size) for line in lines)
	width, height = text_width + 4 + FOOTER_QR, FOOTER_QR
	canvas.beginForm(FOOTER_FORM, 0, 0, width, height)
	canvas.setFillColorRGB(0.35, 0.38, 0.42)
	canvas.setFont(FONT_REGULAR, size)
	for index, line in enumerate(lines):
		canvas.drawRightString(text_width, height / 2 + (0.6 - index * 1.4) * size, line)
	draw_qr(canvas, footer.url, text_width + 4, 0, FOOTER_QR)
	canvas.endForm()
	return width, height


QR_QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
	"""A QR code of `text` (error correction M), `size` points square with its quiet zone, its lower
	left corner at (x, y): one filled path, a rectangle per run of dark modules in a row (reportlab's
	widget draws the same shapes as a graphics group, three times slower)."""
	from reportlab.graphics.barcode import qrencoder

	code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
	code.addData(text)
	code.make()
	count = code.getModuleCount()
	cell = size / (count + 2 * QR_QUIET_ZONE)
	path = canvas.beginPath()
	for row_no, row in enumerate(code.modules):
		start = None
		for col in range(count + 1):
			dark = col < count and bool(row[col])
			if dark and start is None:
				start = col
			elif not dark and start is not None:
				path.rect(
					x + (QR_QUIET_ZONE + start) * cell,
					y + size - (QR_QUIET_ZONE + row_no + 1) * cell,
					(col - start) * cell,
					cell,
				)
				start = None
	canvas.saveState()
	canvas.setFillColorRGB(0, 0, 0)
	canvas.drawPath(path, stroke=0, fill=1)
	canvas.restoreState()


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

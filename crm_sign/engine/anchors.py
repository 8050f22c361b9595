"""Anchor tags: text such as ``{{sign:client}}`` printed in a document that marks where a field goes.

pypdf's text extraction decodes the text (visitor_text); alongside it we follow the content stream's
text state ourselves (visitor_operand_before) so every decoded character gets a position from the font's
real glyph widths. A tag may span several text-showing operations on one line. Text inside form
XObjects is not searched.

When a tag lies inside one string of one operation and the widths are known, the hit also carries a
TextEdit so the stamper can remove the tag's glyphs from the content stream; a white cover is drawn over
every hidden tag in any case.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ContentStream, NameObject
from reportlab.pdfbase import pdfmetrics

from .errors import AnchorNotFoundError, FieldPlacementError, InvalidPDFError, SignEngineError
from .fields import Box, Field, FieldType
from .memo import BoundedCache
from .pdf import (
	Matrix,
	PageGeometry,
	Rect,
	TextEdit,
	apply,
	multiply,
	read_pdf,
	sha256_hex,
	string_bytes,
)

DEFAULT_PATTERN = r"\{\{\s*(\w+)\s*:\s*(\w+)\s*\}\}"

KIND_TO_FIELD_TYPE: dict[str, FieldType] = {
	"sign": FieldType.SIGNATURE,
	"signature": FieldType.SIGNATURE,
	"initials": FieldType.INITIALS,
	"date": FieldType.DATE,
	"name": FieldType.FULL_NAME,
	"text": FieldType.TEXT,
	"check": FieldType.CHECKBOX,
	"email": FieldType.EMAIL,
	"phone": FieldType.PHONE,
	"stamp": FieldType.IMAGE,
}

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_STANDARD_FONTS = {
	"Courier",
	"Courier-Bold",
	"Courier-Oblique",
	"Courier-BoldOblique",
	"Helvetica",
	"Helvetica-Bold",
	"Helvetica-Oblique",
	"Helvetica-BoldOblique",
	"Times-Roman",
	"Times-Bold",
	"Times-Italic",
	"Times-BoldItalic",
	"Symbol",
	"ZapfDingbats",
}


def kind_to_field_type(kind: str) -> FieldType:
	"""The field type an anchor kind stands for (sign -> signature, name -> full_name, ...)."""
	try:
		return KIND_TO_FIELD_TYPE[kind.strip().lower()]
	except KeyError:
		raise FieldPlacementError(
			f"Unknown anchor kind {kind!r}; use one of {', '.join(sorted(KIND_TO_FIELD_TYPE))}"
		)


@dataclass(frozen=True)
class AnchorHit:
	"""One occurrence of an anchor tag."""

	tag: str  # the text as printed, e.g. "{{sign:client}}"
	kind: str  # "sign", "date", ...
	role: str  # "client", "company", ...
	page: int  # 0-based
	box: Box  # relative to the visible page, like Field.box
	rect: Rect  # llx, lly, urx, ury in PDF user units
	page_size: tuple[float, float] = (0.0, 0.0)  # visible width, height in points
	edit: TextEdit | None = field(default=None, repr=False, compare=False)

	@property
	def key(self) -> str:
		"""Normalised "kind:role" used to match Field.anchor."""
		if self.kind or self.role:
			return f"{self.kind}:{self.role}".lower()
		return anchor_key(self.tag)


def anchor_key(anchor: str) -> str:
	"""Normalise "{{ sign : client }}" or "sign:client" to "sign:client"."""
	text = anchor.strip()
	if text.startswith("{{") and text.endswith("}}"):
		text = text[2:-2]
	return "".join(text.split()).lower()


# ------------------------------------------------------------------------------------------ finding


def find_anchors(
	pdf: bytes | PdfReader,
	pattern: str = DEFAULT_PATTERN,
	*,
	pages: Iterable[int] | None = None,
) -> list[AnchorHit]:
	"""Every match of `pattern` in the document's text, in page and reading order.

	The pattern's first two groups, when present, are the kind and the role. `pages` limits the search
	to some 0-based page numbers.
	"""
	if isinstance(pdf, bytes) and pages is None:
		# The same uploaded PDF for every request of a template: its tags are found once per process.
		hits = _FOUND.get_or_make(
			(sha256_hex(pdf), pattern), lambda: tuple(_find_anchors(pdf, pattern, None))
		)
		return list(hits)
	return _find_anchors(pdf, pattern, pages)


_FOUND = BoundedCache(64)


def _find_anchors(pdf: bytes | PdfReader, pattern: str, pages: Iterable[int] | None) -> list[AnchorHit]:
	reader = pdf if isinstance(pdf, PdfReader) else read_pdf(pdf)
	try:
		regex = re.compile(pattern)
	except re.error as exc:
		raise SignEngineError(f"Invalid anchor pattern {pattern!r}: {exc}")
	try:
		count = len(reader.pages)
		numbers = range(count) if pages is None else sorted({p for p in pages if 0 <= p < count})
		hits: list[AnchorHit] = []
		for number in numbers:
			hits.extend(_PageScanner(reader.pages[number], number, regex).scan())
		return hits
	except SignEngineError:
		raise
	except Exception as exc:
		raise InvalidPDFError(f"The PDF text could not be read ({type(exc).__name__}: {exc})")


@dataclass
class _Font:
	"""What we need to know about a font to measure its glyphs."""

	bytes_per_code: int = 1
	widths: dict[int, float] = field(default_factory=dict)
	default_width: float | None = None  # for codes missing from `widths`, when the font says so
	average: float = 550.0
	ascent: float = 0.9
	descent: float = -0.25
	standard: str | None = None  # base-14 name, measured with reportlab's metrics

	def width(self, code: int) -> float | None:
		"""Glyph width in thousandths of an em, or None if unknown."""
		if code in self.widths:
			return self.widths[code]
		if self.standard and code < 256:
			try:
				char = bytes([code]).decode("cp1252")
			except UnicodeDecodeError:
				return None
			return pdfmetrics.stringWidth(char, self.standard, 1000)
		return self.default_width

	@classmethod
	def of(cls, font: Any) -> _Font:
		info = cls()
		if font is None:
			return info
		font = font.get_object()
		subtype = font.get("/Subtype")
		descriptor_owner = font
		if subtype == "/Type0":
			info.bytes_per_code = 2
			descendants = font.get("/DescendantFonts")
			descendant = descendants.get_object()[0].get_object() if descendants else None
			if descendant is not None:
				descriptor_owner = descendant
				info.default_width = float(descendant.get("/DW", 1000))
				info.widths = _cid_widths(descendant.get("/W"))
		else:
			first = int(font.get("/FirstChar", 0) or 0)
			widths = font.get("/Widths")
			if widths is not None:
				for i, w in enumerate(widths.get_object()):
					info.widths[first + i] = float(w)
			base = str(font.get("/BaseFont", "")).lstrip("/")
			if base in _STANDARD_FONTS and not info.widths:
				info.standard = base
		descriptor = descriptor_owner.get("/FontDescriptor")
		if descriptor is not None:
			descriptor = descriptor.get_object()
			if "/MissingWidth" in descriptor and info.default_width is None and info.widths:
				info.default_width = float(descriptor["/MissingWidth"])
			ascent = float(descriptor.get("/Ascent", 0) or 0) / 1000
			descent = float(descriptor.get("/Descent", 0) or 0) / 1000
			if 0.5 <= ascent <= 1.3:
				info.ascent = ascent
			if -0.6 <= descent <= 0:
				info.descent = min(descent, -0.15)
		known = [w for w in info.widths.values() if w > 0]
		if known:
			info.average = sum(known) / len(known)
		elif info.standard:
			info.average = pdfmetrics.stringWidth("abcdefghijklmnopqrstuvwxyz", info.standard, 1000) / 26
		return info


def _cid_widths(array: Any) -> dict[int, float]:
	widths: dict[int, float] = {}
	if array is None:
		return widths
	items = list(array.get_object())
	i = 0
	while i + 1 < len(items):
		first = int(items[i])
		nxt = items[i + 1].get_object() if hasattr(items[i + 1], "get_object") else items[i + 1]
		if isinstance(nxt, list):
			for k, w in enumerate(nxt):
				widths[first + k] = float(w)
			i += 2
		elif i + 2 < len(items):
			for cid in range(first, int(nxt) + 1):
				widths[cid] = float(items[i + 2])
			i += 3
		else:
			break
	return widths


@dataclass
class _Segment:
	"""One string shown by a text operation, with the text state it was shown in."""

	op_index: int
	operator: bytes
	element: int
	raw: bytes
	font: _Font
	size: float
	char_spacing: float
	word_spacing: float
	scale: float
	rise: float
	tm: Matrix
	cm: Matrix
	advances: list[float]  # per code, text space units
	exact: bool

	@property
	def codes(self) -> list[int]:
		n = self.font.bytes_per_code
		return [int.from_bytes(self.raw[i : i + n], "big") for i in range(0, len(self.raw) - n + 1, n)]


@dataclass
class _Char:
	char: str
	rect: Rect | None = None
	origin: tuple[float, float] | None = None
	direction: tuple[float, float] = (1.0, 0.0)
	height: float = 0.0
	segment: _Segment | None = None
	code_index: int = -1


class _PageScanner:
	"""Walks one page: tracks the text state per top-level operation and lines up decoded text."""

	def __init__(self, page: Any, number: int, regex: re.Pattern[str]):
		self.page = page
		self.number = number
		self.regex = regex
		self.geometry = PageGeometry.of(page)
		resources = page.get("/Resources")
		resources = resources.get_object() if resources is not None else {}
		fonts = resources.get("/Font") if hasattr(resources, "get") else None
		self.fonts = fonts.get_object() if fonts is not None else {}
		self.font_cache: dict[str, _Font] = {}
		# Our own parse, with strings kept as raw bytes: old pypdf decodes them lossily, and the stamper
		# finds operations by index in exactly this parse.
		contents = page.get("/Contents")
		self.operations: list[tuple[Any, Any]] = (
			ContentStream(contents.get_object(), page.pdf, "bytes").operations if contents is not None else []
		)
		self.hits: list[AnchorHit] = []
		self.line: list[_Char] = []
		self.pending: list[_Segment] = []
		# Form XObject bookkeeping: only text from the page's own content counts.
		self.level = 0
		self.in_do = False
		self.inner_seen = False
		self.op_index = -1
		self.deferred: tuple[bytes, Any] | None = None
		# Text state.
		self.cm: Matrix = _IDENTITY
		self.tm: Matrix = _IDENTITY
		self.tlm: Matrix = _IDENTITY
		self.font = _Font()
		self.size = 0.0
		self.char_spacing = 0.0
		self.word_spacing = 0.0
		self.scale = 1.0
		self.leading = 0.0
		self.rise = 0.0
		self.stack: list[tuple[Any, ...]] = []

	def scan(self) -> list[AnchorHit]:
		self.page.extract_text(
			visitor_operand_before=self._before,
			visitor_operand_after=self._after,
			visitor_text=self._text,
		)
		self._end_line()
		return self.hits

	# -- pypdf callbacks

	def _before(self, operator: Any, operands: Any, cm: Any, tm: Any) -> None:
		if self.level == 0:
			self.op_index += 1
			if operator == b"Do":
				self.in_do, self.inner_seen = True, False
			if self.op_index < len(self.operations) and self.operations[self.op_index][1] == operator:
				operands = self.operations[self.op_index][0]
			try:
				self._operation(operator, operands)
			except Exception:  # a malformed operation must not stop the search
				pass
		else:
			self.inner_seen = True
		self.level += 1

	def _after(self, operator: Any, operands: Any, cm: Any, tm: Any) -> None:
		self.level = max(0, self.level - 1)
		if self.level == 0:
			if operator == b"Do":
				self.in_do = False
			if self.deferred is not None:
				# pypdf flushes the previous line on the T* of ' and " before adding the new text.
				op, string = self.deferred
				self.deferred = None
				self._show(op, 0, string)

	def _text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
		if self.level > 1 or (self.in_do and self.inner_seen):
			return
		segments, self.pending = self.pending, []
		if not text:
			return
		newline = text.endswith("\n")
		body = text.rstrip("\n")
		self._place(body, segments, cm, tm, font, size)
		if newline or "\n" in body:
			self._end_line()

	# -- text state

	def _operation(self, op: bytes, args: list[Any]) -> None:
		if op == b"q":
			self.stack.append(
				(
					self.cm,
					self.font,
					self.size,
					self.char_spacing,
					self.word_spacing,
					self.scale,
					self.leading,
					self.rise,
				)
			)
		elif op == b"Q":
			if self.stack:
				(
					self.cm,
					self.font,
					self.size,
					self.char_spacing,
					self.word_spacing,
					self.scale,
					self.leading,
					self.rise,
				) = self.stack.pop()
		elif op == b"cm":
			self.cm = multiply(tuple(float(a) for a in args[:6]), self.cm)
		elif op == b"BT":
			self.tm = self.tlm = _IDENTITY
		elif op == b"Tf":
			self.font = self._font(args[0])
			self.size = float(args[1])
		elif op == b"Tc":
			self.char_spacing = float(args[0])
		elif op == b"Tw":
			self.word_spacing = float(args[0])
		elif op == b"Tz":
			self.scale = float(args[0]) / 100
		elif op == b"TL":
			self.leading = float(args[0])
		elif op == b"Ts":
			self.rise = float(args[0])
		elif op == b"Td":
			self._move(float(args[0]), float(args[1]))
		elif op == b"TD":
			self.leading = -float(args[1])
			self._move(float(args[0]), float(args[1]))
		elif op == b"Tm":
			self.tm = self.tlm = tuple(float(a) for a in args[:6])
		elif op == b"T*":
			self._move(0, -self.leading)
		elif op == b"Tj":
			self._show(op, 0, args[0])
		elif op == b"'":
			self._move(0, -self.leading)
			self.deferred = (op, args[0])
		elif op == b'"':
			self.word_spacing, self.char_spacing = float(args[0]), float(args[1])
			self._move(0, -self.leading)
			self.deferred = (op, args[2])
		elif op == b"TJ":
			element = 0
			for item in args[0]:
				if isinstance(item, (str, bytes)) and not isinstance(item, NameObject):
					self._show(op, element, item)
					element += 1
				elif isinstance(item, (int, float)):
					self._advance(-float(item) / 1000 * self.size * self.scale)

	def _font(self, name: Any) -> _Font:
		key = str(name)
		if key not in self.font_cache:
			try:
				self.font_cache[key] = _Font.of(self.fonts.get(key))
			except Exception:
				self.font_cache[key] = _Font()
		return self.font_cache[key]

	def _move(self, tx: float, ty: float) -> None:
		self.tlm = multiply((1.0, 0.0, 0.0, 1.0, tx, ty), self.tlm)
		self.tm = self.tlm

	def _advance(self, tx: float) -> None:
		self.tm = multiply((1.0, 0.0, 0.0, 1.0, tx, 0.0), self.tm)

	def _show(self, op: bytes, element: int, string: Any) -> None:
		raw = string_bytes(string)
		if raw is None:
			return
		font = self.font
		n = font.bytes_per_code
		advances: list[float] = []
		exact = len(raw) % n == 0 and self.size != 0
		for i in range(0, len(raw) - n + 1, n):
			code = int.from_bytes(raw[i : i + n], "big")
			width = font.width(code)
			if width is None:
				exact = False
				width = font.average
			spacing = self.char_spacing + (self.word_spacing if n == 1 and code == 32 else 0.0)
			advances.append((width / 1000 * self.size + spacing) * self.scale)
		segment = _Segment(
			op_index=self.op_index,
			operator=op,
			element=element,
			raw=raw,
			font=font,
			size=self.size,
			char_spacing=self.char_spacing,
			word_spacing=self.word_spacing,
			scale=self.scale,
			rise=self.rise,
			tm=self.tm,
			cm=self.cm,
			advances=advances,
			exact=exact,
		)
		self.pending.append(segment)
		self._advance(sum(advances))

	# -- lining decoded text up with the segments

	def _place(self, body: str, segments: list[_Segment], cm: Any, tm: Any, font: Any, size: Any) -> None:
		total = sum(len(s.advances) for s in segments)
		if segments and len(body) >= total:
			# pypdf only ever adds spaces/newlines between operations: skip them at segment boundaries.
			slack = len(body) - total
			pos = 0
			for segment in segments:
				while slack and pos < len(body) and body[pos] in " \n":
					self._add(_Char(body[pos]))
					pos += 1
					slack -= 1
				x = 0.0
				for k, adv in enumerate(segment.advances):
					self._add(self._char(body[pos], segment, k, x, adv))
					x += adv
					pos += 1
			for ch in body[pos:]:
				self._add(_Char(ch))
			return
		# Ligatures, or text we cannot line up: estimate from where the run starts.
		if segments:
			start = replace(segments[0], raw=b"", advances=[], exact=False)
		else:
			start = _Segment(
				op_index=-1,
				operator=b"",
				element=0,
				raw=b"",
				font=_Font.of(font) if font is not None else _Font(),
				size=float(size or 0),
				char_spacing=0.0,
				word_spacing=0.0,
				scale=1.0,
				rise=0.0,
				tm=tuple(float(v) for v in tm),
				cm=tuple(float(v) for v in cm),
				advances=[],
				exact=False,
			)
		x = 0.0
		step = (start.font.average / 1000 * start.size + start.char_spacing) * start.scale
		for ch in body:
			self._add(self._char(ch, start, -1, x, step))
			x += step

	def _char(self, ch: str, segment: _Segment, index: int, x: float, advance: float) -> _Char:
		m = multiply(segment.tm, segment.cm)
		top = segment.rise + segment.font.ascent * segment.size
		bottom = segment.rise + segment.font.descent * segment.size
		corners = [apply(m, px, py) for px in (x, x + advance) for py in (bottom, top)]
		xs, ys = [c[0] for c in corners], [c[1] for c in corners]
		origin = apply(m, x, segment.rise)
		end = apply(m, x + 1, segment.rise)
		length = math.hypot(end[0] - origin[0], end[1] - origin[1]) or 1.0
		height = abs(segment.size) * math.hypot(m[2], m[3])
		return _Char(
			char=ch,
			rect=(min(xs), min(ys), max(xs), max(ys)),
			origin=origin,
			direction=((end[0] - origin[0]) / length, (end[1] - origin[1]) / length),
			height=height,
			segment=segment if index >= 0 else None,
			code_index=index,
		)

	def _add(self, char: _Char) -> None:
		if char.origin is not None:
			last = next((c for c in reversed(self.line) if c.origin is not None), None)
			if last is not None:
				dx, dy = char.origin[0] - last.origin[0], char.origin[1] - last.origin[1]
				off_line = abs(last.direction[0] * dy - last.direction[1] * dx)
				if off_line > 0.5 * max(last.height, char.height, 1.0):
					self._end_line()
		self.line.append(char)

	def _end_line(self) -> None:
		line, self.line = self.line, []
		if not line:
			return
		text = "".join(c.char for c in line)
		for match in self.regex.finditer(text):
			chars = line[match.start() : match.end()]
			rects = [c.rect for c in chars if c.rect is not None]
			if not rects:
				continue
			rect = (
				min(r[0] for r in rects),
				min(r[1] for r in rects),
				max(r[2] for r in rects),
				max(r[3] for r in rects),
			)
			groups = match.groups()
			kind = (groups[0] if len(groups) > 0 and groups[0] else "").lower()
			role = (groups[1] if len(groups) > 1 and groups[1] else "").lower()
			try:
				box = self.geometry.user_to_box(rect)
			except FieldPlacementError:
				continue  # a tag outside the visible page is not an anchor
			self.hits.append(
				AnchorHit(
					tag=match.group(0),
					kind=kind,
					role=role,
					page=self.number,
					box=box,
					rect=rect,
					page_size=self.geometry.size,
					edit=_edit_for(chars),
				)
			)


def _edit_for(chars: list[_Char]) -> TextEdit | None:
	"""A TextEdit removing these characters, when they are exactly consecutive codes of one string."""
	segment = chars[0].segment
	if segment is None or not segment.exact or segment.size == 0:
		return None
	first = chars[0].code_index
	for offset, c in enumerate(chars):
		if c.segment is not segment or c.code_index != first + offset:
			return None
	end = first + len(chars)
	codes = segment.codes[first:end]
	advance = 0.0
	for code in codes:
		width = segment.font.width(code)
		if width is None:
			return None
		spacing = segment.char_spacing
		if segment.font.bytes_per_code == 1 and code == 32:
			spacing += segment.word_spacing
		advance += width + 1000 * spacing / segment.size
	return TextEdit(
		op_index=segment.op_index,
		operator=segment.operator,
		element=segment.element,
		start=first,
		end=end,
		bytes_per_code=segment.font.bytes_per_code,
		advance=advance,
		raw=segment.raw,
	)


# ------------------------------------------------------------------------------------------ placing

# Minimum sizes of a field placed on a tag, relative to the visible page (width, height).
_MIN_SIZE: dict[FieldType, tuple[float, float]] = {
	FieldType.SIGNATURE: (0.25, 0.06),
	FieldType.INITIALS: (0.12, 0.045),
	FieldType.IMAGE: (0.2, 0.1),
	FieldType.LONG_TEXT: (0.5, 0.08),
	FieldType.DATE: (0.18, 0.0),
	FieldType.PHONE: (0.2, 0.0),
	FieldType.CHECKBOX: (0.0, 0.0),
}


def place_anchored_fields(fields: list[Field], hits: list[AnchorHit]) -> list[Field]:
	"""Fields with an `anchor` placed on their tag; other fields unchanged.

	The k-th field naming a tag takes the tag's k-th occurrence (the first when there are fewer).
	Signatures, initials and stamps sit on the tag's line and grow upwards; text fields are centred
	on the tag. Raises AnchorNotFoundError when a tag is not in the document.
	"""
	by_key: dict[str, list[AnchorHit]] = {}
	for hit in sorted(hits, key=lambda h: (h.page, h.box.y, h.box.x)):
		by_key.setdefault(hit.key, []).append(hit)
		if hit.tag.strip() != hit.key:
			by_key.setdefault(hit.tag.strip(), []).append(hit)
	used: dict[str, int] = {}
	placed: list[Field] = []
	for f in fields:
		if not f.anchor:
			placed.append(f)
			continue
		key = anchor_key(f.anchor)
		found = by_key.get(key) or by_key.get(f.anchor.strip())
		if not found:
			tag = f.anchor.strip()
			raise AnchorNotFoundError(tag if tag.startswith("{{") else "{{" + key + "}}")
		k = used.get(key, 0)
		used[key] = k + 1
		hit = found[k] if k < len(found) else found[0]
		placed.append(f.placed(hit.page, field_box_for(f, hit)))
	return placed


def field_box_for(f: Field, hit: AnchorHit) -> Box:
	"""The box of field `f` placed on `hit`, kept inside the page."""
	tag = hit.box
	page_w, page_h = hit.page_size if hit.page_size[0] > 0 else (595.0, 842.0)
	min_w, min_h = _MIN_SIZE.get(f.type, (0.25, 0.0))
	if f.type == FieldType.CHECKBOX:
		side = max(tag.h * page_h * 1.2, 10.0)
		w, h = side / page_w, side / page_h
	else:
		w = max(tag.w, min_w)
		h = max(tag.h * 1.3, min_h, f.font_size * 1.6 / page_h)
	w, h = min(w, 1.0), min(h, 1.0)
	if f.type.is_image:
		y = tag.y + tag.h - h  # on the tag's line, ink above it
	elif f.type == FieldType.LONG_TEXT:
		y = tag.y
	else:
		y = tag.y + tag.h / 2 - h / 2
	x = min(max(tag.x, 0.0), 1.0 - w)
	y = min(max(y, 0.0), 1.0 - h)
	return Box(x, y, w, h)

"""Reading, validating and stamping PDFs (crm_sign.engine.pdf)."""

from __future__ import annotations

import math
from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, NumberObject, RectangleObject

from crm_sign.engine.errors import (
	EmptyPDFError,
	EncryptedPDFError,
	FieldPlacementError,
	InvalidImageError,
	InvalidPDFError,
)
from crm_sign.engine.fields import Box, Field, FieldType, FieldValue
from crm_sign.engine.pdf import page_count, read_pdf, sha256_hex, stamp
from crm_sign.engine.samples import many_pages_pdf, sample_contract_pdf, sample_signature_png

A4 = (0, 0, 595.28, 841.89)


def _write(writer: PdfWriter) -> bytes:
	out = BytesIO()
	writer.write(out)
	return out.getvalue()


def blank_pdf(media=A4, crop=None, rotate: int = 0, content: bytes | None = None) -> bytes:
	"""One blank page with the given MediaBox, CropBox, /Rotate and optional raw content."""
	writer = PdfWriter()
	page = writer.add_blank_page(width=media[2] - media[0], height=media[3] - media[1])
	page[NameObject("/MediaBox")] = RectangleObject(media)
	if crop:
		page[NameObject("/CropBox")] = RectangleObject(crop)
	if rotate:
		page[NameObject("/Rotate")] = NumberObject(rotate)
	if content is not None:
		stream = DecodedStreamObject()
		stream.set_data(content)
		page.replace_contents(stream)
	return _write(writer)


def text_field(box: Box, page: int = 0, **kw) -> Field:
	return Field("f", type=kw.pop("type", FieldType.TEXT), page=page, box=box, **kw)


@pytest.fixture(scope="module")
def contract() -> bytes:
	return sample_contract_pdf(2)


# ------------------------------------------------------------------------------------------ reading


def test_sha256_and_page_count(contract):
	assert sha256_hex(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	assert page_count(contract) == 2
	assert page_count(sample_contract_pdf(1)) == 1
	assert page_count(sample_contract_pdf(5)) == 5


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "not bytes"])
def test_not_a_pdf(data):
	with pytest.raises(InvalidPDFError):
		read_pdf(data)


def test_truncated_pdf(contract):
	with pytest.raises(InvalidPDFError, match="truncated"):
		read_pdf(contract[: len(contract) // 2])


def test_malformed_pdf():
	with pytest.raises(InvalidPDFError):
		read_pdf(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ngarbage\n%%EOF\n")


def test_broken_page_tree(contract):
	with pytest.raises(InvalidPDFError):
		read_pdf(contract.replace(b"/Type /Pages", b"/Type /Broke"))


def _copy(data: bytes) -> PdfWriter:
	"""A writer holding `data`'s pages (clone_from breaks encrypt() on pypdf 3.17.0)."""
	writer = PdfWriter()
	writer.append(PdfReader(BytesIO(data)))
	return writer


def test_encrypted_pdf(contract):
	writer = _copy(contract)
	writer.encrypt(user_password="secret", owner_password="owner")
	with pytest.raises(EncryptedPDFError):
		read_pdf(_write(writer))
	# An owner password alone (opens without a password) is still refused.
	writer = _copy(contract)
	writer.encrypt(user_password="", owner_password="owner")
	with pytest.raises(EncryptedPDFError):
		stamp(_write(writer), [])


def test_zero_pages():
	with pytest.raises(EmptyPDFError):
		read_pdf(_write(PdfWriter()))


# ----------------------------------------------------------------------------------------- stamping


def test_stamp_turkish_text_extracts_and_original_text_stays(contract):
	before = PdfReader(BytesIO(contract)).pages[0].extract_text()
	assert "HİZMET SÖZLEŞMESİ" in before
	value = "Ağaoğlu Şirin Yılmaz — İmza ğüşıöç İŞĞ"
	out = stamp(contract, [FieldValue(text_field(Box(0.1, 0.9, 0.8, 0.04), font_size=11), value)])
	page = PdfReader(BytesIO(out)).pages[0]
	text = page.extract_text()
	assert value in text
	assert "HİZMET SÖZLEŞMESİ" in text
	assert "Konu / Subject" in text
	assert "Şirin" in text and "İmza" in text


def test_nothing_to_stamp_returns_input(contract):
	assert stamp(contract, []) == contract


def test_field_on_missing_page(contract):
	with pytest.raises(FieldPlacementError, match="page 6"):
		stamp(contract, [FieldValue(text_field(Box(0.1, 0.1, 0.2, 0.05), page=5), "x")])


def test_unplaced_field(contract):
	field = Field("sig", type=FieldType.SIGNATURE, anchor="{{sign:client}}")
	with pytest.raises(FieldPlacementError, match="not placed"):
		stamp(contract, [FieldValue(field, sample_signature_png("A"))])


def test_bad_image_value_names_the_field(contract):
	field = text_field(Box(0.1, 0.1, 0.3, 0.08), type=FieldType.SIGNATURE)
	with pytest.raises(InvalidImageError, match="'f'"):
		stamp(contract, [FieldValue(field, b"GIF89a not really")])


def test_thousand_pages_stamp_last_page():
	doc = many_pages_pdf(1000)
	assert page_count(doc) == 1000
	out = stamp(doc, [FieldValue(text_field(Box(0.1, 0.5, 0.6, 0.05), page=999), "SON SAYFA İmza")])
	reader = PdfReader(BytesIO(out))
	assert len(reader.pages) == 1000
	last = reader.pages[999].extract_text()
	assert "Page 1000 of 1000" in last and "SON SAYFA İmza" in last
	assert "SON SAYFA" not in reader.pages[998].extract_text()


def test_one_font_copy_for_many_pages():
	"""All overlays come from one canvas, so the DejaVu subset is embedded once, not once per page."""
	doc = many_pages_pdf(40)
	values = [
		FieldValue(Field(f"f{p}", page=p, box=Box(0.1, 0.3, 0.5, 0.04)), f"Değer {p} ğüş") for p in range(40)
	]
	signature = sample_signature_png("Ayşe")
	values += [
		FieldValue(Field(f"s{p}", type=FieldType.INITIALS, page=p, box=Box(0.7, 0.8, 0.2, 0.06)), signature)
		for p in range(40)
	]
	out = stamp(doc, values)
	assert out.count(b"/FontFile2") - doc.count(b"/FontFile2") <= 1
	assert out.count(b"/Subtype /Image") <= 2  # the image and its soft mask, once
	assert len(out) < len(doc) + 100_000


def test_pages_sharing_a_content_stream_are_stamped_separately():
	writer = PdfWriter(clone_from=PdfReader(BytesIO(many_pages_pdf(2))))
	writer.pages[1][NameObject("/Contents")] = writer.pages[0].raw_get("/Contents")
	out = stamp(_write(writer), [FieldValue(text_field(Box(0.1, 0.5, 0.6, 0.05)), "ONLY PAGE ONE")])
	reader = PdfReader(BytesIO(out))
	assert "ONLY PAGE ONE" in reader.pages[0].extract_text()
	assert "ONLY PAGE ONE" not in reader.pages[1].extract_text()


# ------------------------------------------------------------------------------------------ geometry

LETTER = (0, 0, 612, 792)
GEOMETRIES = {
	"a4": dict(media=A4),
	"letter": dict(media=LETTER),
	"landscape": dict(media=(0, 0, 841.89, 595.28)),
	"odd-size": dict(media=(0, 0, 300, 1000)),
	"a4-rot90": dict(media=A4, rotate=90),
	"a4-rot180": dict(media=A4, rotate=180),
	"a4-rot270": dict(media=A4, rotate=270),
	"letter-rot-90": dict(media=LETTER, rotate=-90),
	"origin": dict(media=(100, 200, 712, 992)),
	"origin-crop": dict(media=(100, 200, 712, 992), crop=(150, 260, 650, 900)),
	"origin-crop-rot90": dict(media=(100, 200, 712, 992), crop=(150, 260, 650, 900), rotate=90),
	"origin-crop-rot270": dict(media=(-50, -80, 545, 762), crop=(0, 0, 500, 700), rotate=270),
	# Content that changes the CTM without q/Q, as some generators do.
	"unbalanced-cm": dict(media=A4, content=b"2 0 0 2 30 40 cm 0 0 1 rg 0 0 1 1 re n\n"),
}
# The viewer's "right" in unrotated user space, per /Rotate.
VIEW_RIGHT = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}


@pytest.mark.parametrize("name", list(GEOMETRIES))
def test_text_lands_in_box_upright(name, render, dark_bbox, text_origins):
	geometry = GEOMETRIES[name]
	doc = blank_pdf(**geometry)
	box = Box(0.12, 0.2, 0.5, 0.06)
	out = stamp(doc, [FieldValue(text_field(box, font_size=60), "MMMMMMMM")])

	found = dark_bbox(render(out, dpi=50))
	assert found is not None, "nothing was drawn"
	left, top, right, bottom = found
	tol = 0.015
	assert box.x - tol <= left <= box.x + 0.03
	assert right <= box.x + box.w + tol
	assert box.y - tol <= top and bottom <= box.y + box.h + tol
	# Shrunk to fit the box's width or height, but not tiny.
	assert right - left > box.w * 0.6 or bottom - top > box.h * 0.45

	origins = [m for text, m in text_origins(out) if "MMMM" in text]
	assert origins, "stamped text is not extractable"
	a, b = origins[0][0], origins[0][1]
	norm = math.hypot(a, b)
	expected = VIEW_RIGHT[geometry.get("rotate", 0) % 360]
	assert (round(a / norm, 3), round(b / norm, 3)) == expected


@pytest.mark.parametrize("rotate", [0, 90, 270])
def test_checkbox_image_and_long_text_stay_in_their_boxes(rotate, render, dark_fraction):
	doc = blank_pdf(media=LETTER, rotate=rotate)
	boxes = {
		"check": Box(0.1, 0.1, 0.05, 0.05),
		"unchecked": Box(0.3, 0.1, 0.05, 0.05),
		"sig": Box(0.1, 0.3, 0.4, 0.1),
		"long": Box(0.55, 0.55, 0.35, 0.2),
		"tiny": Box(0.1, 0.6, 0.08, 0.03),
	}
	values = [
		FieldValue(Field("check", type=FieldType.CHECKBOX, page=0, box=boxes["check"]), True),
		FieldValue(Field("unchecked", type=FieldType.CHECKBOX, page=0, box=boxes["unchecked"]), "no"),
		FieldValue(
			Field("sig", type=FieldType.SIGNATURE, page=0, box=boxes["sig"]), sample_signature_png("Ali")
		),
		FieldValue(
			Field("long", type=FieldType.LONG_TEXT, page=0, box=boxes["long"], font_size=14),
			"Uzun açıklama metni kutunun içinde kalmalı. " * 12,
		),
		# Too long even at the smallest font size: clipped to its box.
		FieldValue(Field("tiny", page=0, box=boxes["tiny"]), "Çok uzun bir değer " * 30),
		FieldValue(
			Field("tiny2", type=FieldType.LONG_TEXT, page=0, box=Box(0.3, 0.6, 0.1, 0.03)), "Satır " * 400
		),
	]
	boxes["tiny2"] = Box(0.3, 0.6, 0.1, 0.03)
	image = render(stamp(doc, values), dpi=50)
	assert dark_fraction(image, boxes["check"]) > 0.05
	assert dark_fraction(image, boxes["unchecked"]) == 0
	assert dark_fraction(image, boxes["sig"]) > 0.01
	assert dark_fraction(image, boxes["long"]) > 0.05
	assert dark_fraction(image, boxes["tiny"]) > 0
	# Everything outside the boxes stays white (long text wrapped and clipped, images fitted).
	mask = image.copy()
	w, h = mask.size
	for b in boxes.values():
		mask.paste(
			255, (int(b.x * w) - 1, int(b.y * h) - 1, int((b.x + b.w) * w) + 2, int((b.y + b.h) * h) + 2)
		)
	assert dark_fraction(mask, Box(0, 0, 1, 1)) == 0

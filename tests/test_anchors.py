"""Anchor tags: finding, placing fields on them and hiding them (crm_sign.engine.anchors)."""

from __future__ import annotations

from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject, RectangleObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from crm_sign.engine.anchors import (
	AnchorHit,
	find_anchors,
	kind_to_field_type,
	place_anchored_fields,
)
from crm_sign.engine.errors import AnchorNotFoundError, FieldPlacementError, InvalidPDFError
from crm_sign.engine.fields import Box, Field, FieldType, FieldValue
from crm_sign.engine.fonts import FONT_REGULAR, register_fonts
from crm_sign.engine.pdf import stamp
from crm_sign.engine.samples import sample_contract_pdf, sample_fields, sample_signature_png


def tag_pdf(draw, pages: int = 1, rotate: int = 0, media=None) -> bytes:
	"""Pages drawn by `draw(canvas, page_number)`, then given a /Rotate and MediaBox."""
	register_fonts()
	buf = BytesIO()
	canvas = Canvas(buf, pagesize=A4)
	for number in range(pages):
		draw(canvas, number)
		canvas.showPage()
	canvas.save()
	writer = PdfWriter(clone_from=PdfReader(BytesIO(buf.getvalue())))
	for page in writer.pages:
		if rotate:
			page[NameObject("/Rotate")] = NumberObject(rotate)
		if media:
			page[NameObject("/MediaBox")] = RectangleObject(media)
	out = BytesIO()
	writer.write(out)
	return out.getvalue()


def one_tag(text: str = "{{sign:client}}", font: str = FONT_REGULAR, size: float = 12, x=150, y=600):
	def draw(canvas, number):
		canvas.setFont(font, size)
		canvas.drawString(x, y, text)

	return draw


@pytest.fixture(scope="module")
def contract() -> bytes:
	return sample_contract_pdf(3)


def test_sample_contract_tags(contract):
	hits = find_anchors(contract)
	assert sorted(h.key for h in hits) == sorted(
		f"{kind}:{role}" for kind in ("name", "sign", "date") for role in ("company", "client")
	)
	assert {h.page for h in hits} == {2}
	sign = next(h for h in hits if h.key == "sign:client")
	assert sign.tag == "{{sign:client}}" and sign.kind == "sign" and sign.role == "client"
	# The client column is the right half of the page.
	assert 0.5 < sign.box.x < 0.6 and sign.box.w < 0.3
	assert find_anchors(sample_contract_pdf(3, with_anchors=False)) == []
	assert find_anchors(PdfReader(BytesIO(contract)), pages=[0, 1]) == []


POSITIONS = {
	"dejavu": dict(draw=one_tag()),
	"helvetica": dict(draw=one_tag("{{date:company}}", "Helvetica", 14, x=300, y=200)),
	"rot90": dict(draw=one_tag(), rotate=90),
	"rot180": dict(draw=one_tag(size=20), rotate=180),
	"rot270": dict(draw=one_tag(), rotate=270),
	"origin": dict(draw=one_tag(x=60, y=760), media=(-40, -30, 555, 812)),
	"origin-rot90": dict(draw=one_tag(x=60, y=60), rotate=90, media=(20, 20, 500, 700)),
}


@pytest.mark.parametrize("name", list(POSITIONS))
def test_hit_box_matches_rendered_tag(name, render, dark_bbox):
	doc = tag_pdf(**POSITIONS[name])
	[hit] = find_anchors(doc)
	left, top, right, bottom = dark_bbox(render(doc, dpi=100), threshold=200)
	box = hit.box
	tol = 0.006
	# The glyphs lie inside the hit box, which is not much bigger than they are.
	assert box.x - tol <= left and right <= box.x + box.w + tol
	assert box.y - tol <= top and bottom <= box.y + box.h + tol
	assert (box.w * box.h) < 2.5 * (right - left) * (bottom - top)


def test_tag_split_over_several_text_operations(render, dark_bbox):
	def draw(canvas, number):
		text = canvas.beginText(100, 500)
		text.setFont(FONT_REGULAR, 11)
		text.textOut("Müşteri adı: ")
		text.textOut("{{name:")
		text.textOut("client}}")
		text.textOut(" (büyük harfle)")
		canvas.drawText(text)

	doc = tag_pdf(draw)
	[hit] = find_anchors(doc)
	assert hit.tag == "{{name:client}}" and hit.key == "name:client"
	# Position: starts right after the label, in user space.
	label = 100 + canvas_width("Müşteri adı: ", 11)
	assert hit.rect[0] == pytest.approx(label, abs=0.5)
	assert hit.rect[2] == pytest.approx(label + canvas_width("{{name:client}}", 11), abs=0.5)


def test_split_tag_is_covered(render):
	"""A tag over several operations cannot be cut from the content stream; the white cover hides it."""

	def draw(canvas, number):
		text = canvas.beginText(100, 500)
		text.setFont(FONT_REGULAR, 14)
		text.textOut("{{sign:")
		text.textOut("client}}")
		canvas.drawText(text)

	doc = tag_pdf(draw)
	[hit] = find_anchors(doc)
	assert hit.edit is None
	before, after = render(doc, dpi=100), render(stamp(doc, [], hide=[hit]), dpi=100)
	assert sum(before.histogram()[:128]) > 100
	assert sum(after.histogram()[:200]) == 0


def canvas_width(text: str, size: float) -> float:
	from reportlab.pdfbase.pdfmetrics import stringWidth

	register_fonts()
	return stringWidth(text, FONT_REGULAR, size)


@pytest.mark.parametrize("font", [FONT_REGULAR, "Helvetica"])
@pytest.mark.parametrize("rotate", [0, 90])
def test_hidden_tag_is_white_and_the_rest_of_the_line_unchanged(font, rotate, render):
	def draw(canvas, number):
		canvas.setFont(font, 12)
		canvas.drawString(80, 400, "Imza / Signature: {{sign:client}} (client) end")
		canvas.drawString(80, 380, "Next line stays: {{not a tag}}")

	doc = tag_pdf(draw, rotate=rotate)
	hits = find_anchors(doc)
	assert [h.tag for h in hits] == ["{{sign:client}}"]
	out = stamp(doc, [], hide=hits)

	before, after = render(doc, dpi=100), render(out, dpi=100)
	w, h = before.size
	box = hits[0].box
	inside = (
		int(box.x * w) - 2,
		int(box.y * h) - 2,
		int((box.x + box.w) * w) + 3,
		int((box.y + box.h) * h) + 3,
	)
	assert sum(before.crop(inside).histogram()[:128]) > 50  # the tag was visible before
	assert sum(after.crop(inside).histogram()[:200]) == 0  # and is gone now
	# Outside the tag nothing moved: same dark pixels before and after.
	mask_before, mask_after = before.copy(), after.copy()
	mask_before.paste(255, inside)
	mask_after.paste(255, inside)
	diff = [abs(a - b) for a, b in zip(mask_before.tobytes(), mask_after.tobytes(), strict=True)]
	assert max(diff) < 60
	assert sum(mask_after.histogram()[:128]) > 300  # "Imza / Signature:", "(client) end", next line

	text = PdfReader(BytesIO(out)).pages[0].extract_text()
	assert "(client) end" in text and "Imza / Signature:" in text
	# The tag's glyphs are removed from the content stream too, not only covered.
	assert "{{sign:client}}" not in text
	assert "{{not a tag}}" in text


def test_place_fields_on_sample_contract(contract):
	hits = find_anchors(contract)
	placed = {f.name: f for f in place_anchored_fields(sample_fields(), hits)}
	assert all(f.is_placed for f in placed.values())
	by_key = {h.key: h for h in hits}
	sign, tag = placed["client_signature"], by_key["sign:client"]
	assert sign.page == 2 and sign.type == FieldType.SIGNATURE
	assert sign.box.w >= 0.25 and sign.box.h >= 0.06
	# On the tag's line, growing upwards.
	assert sign.box.y + sign.box.h == pytest.approx(tag.box.y + tag.box.h, abs=1e-6)
	assert sign.box.x == pytest.approx(tag.box.x)
	date, tag = placed["company_date"], by_key["date:company"]
	assert date.box.y < tag.box.y + tag.box.h / 2 < date.box.y + date.box.h
	assert date.box.h * 842 >= date.font_size * 1.5
	# Prefilled fields with a box are untouched.
	assert placed["customer_name"] == next(f for f in sample_fields() if f.name == "customer_name")


def test_end_to_end_contract(contract, render, dark_fraction):
	hits = find_anchors(contract)
	fields = place_anchored_fields(sample_fields(), hits)
	values = {
		"customer_name": "Ağaoğlu Şirin Yılmaz A.Ş.",
		"client_name": "Şirin Yılmaz",
		"client_signature": sample_signature_png("Şirin Yılmaz"),
		"client_date": "15.05.2024",
		"company_name": "Deniz Kaya",
		"company_signature": sample_signature_png("Deniz Kaya"),
		"company_date": "14.05.2024",
	}
	out = stamp(contract, [FieldValue(f, values[f.name]) for f in fields if f.name in values], hide=hits)
	reader = PdfReader(BytesIO(out))
	last = reader.pages[2].extract_text()
	assert "Şirin Yılmaz" in last and "Deniz Kaya" in last and "İmzalar / Signatures" in last
	assert "{{" not in last
	assert "Ağaoğlu Şirin Yılmaz A.Ş." in reader.pages[0].extract_text()
	image = render(out, page=2, dpi=60)
	signature = next(f for f in fields if f.name == "client_signature")
	assert dark_fraction(image, signature.box) > 0.02


def test_field_box_kept_inside_the_page():
	doc = tag_pdf(one_tag("{{sign:client}}", x=520, y=20, size=9))
	hits = find_anchors(doc)
	[field] = place_anchored_fields([Field("s", type=FieldType.SIGNATURE, anchor="sign:client")], hits)
	assert field.box.x + field.box.w <= 1.0 and field.box.w >= 0.25
	assert field.box.y >= 0 and field.box.y + field.box.h <= 1.0


def test_rotated_page_field_end_to_end(render, dark_fraction):
	doc = tag_pdf(one_tag("{{sign:client}}", x=100, y=300), rotate=90)
	hits = find_anchors(doc)
	[field] = place_anchored_fields([Field("s", type=FieldType.SIGNATURE, anchor="{{sign:client}}")], hits)
	out = stamp(doc, [FieldValue(field, sample_signature_png("Ali Veli"))], hide=hits)
	image = render(out, dpi=60)
	assert dark_fraction(image, field.box) > 0.02
	outside = image.copy()
	w, h = outside.size
	b = field.box
	outside.paste(
		255, (int(b.x * w) - 1, int(b.y * h) - 1, int((b.x + b.w) * w) + 2, int((b.y + b.h) * h) + 2)
	)
	assert sum(outside.histogram()[:160]) == 0


def test_missing_tag_is_named():
	hits = find_anchors(sample_contract_pdf(1))
	with pytest.raises(AnchorNotFoundError, match=r"\{\{sign:witness\}\}") as err:
		place_anchored_fields([Field("w", type=FieldType.SIGNATURE, anchor="sign:witness")], hits)
	assert err.value.tag == "{{sign:witness}}"
	with pytest.raises(AnchorNotFoundError, match="initials:client"):
		place_anchored_fields([Field("i", type=FieldType.INITIALS, anchor="{{initials:client}}")], hits)


@pytest.mark.parametrize("anchor", ["{{sign:client}}", "sign:client", "{{ sign : client }}", "SIGN:Client"])
def test_anchor_spellings_match(anchor):
	hits = find_anchors(sample_contract_pdf(1))
	[field] = place_anchored_fields([Field("s", type=FieldType.SIGNATURE, anchor=anchor)], hits)
	assert field.page == 0 and field.box is not None


def test_kth_field_takes_kth_occurrence():
	def draw(canvas, number):
		canvas.setFont(FONT_REGULAR, 10)
		canvas.drawString(400, 60, "Paraf: {{initials:client}}")

	hits = find_anchors(tag_pdf(draw, pages=3))
	assert [h.page for h in hits] == [0, 1, 2]
	fields = [Field(f"i{n}", type=FieldType.INITIALS, anchor="initials:client") for n in range(3)]
	assert [f.page for f in place_anchored_fields(fields, hits)] == [0, 1, 2]


def test_custom_pattern():
	doc = tag_pdf(one_tag("[[sign|client]]"))
	assert find_anchors(doc) == []
	[hit] = find_anchors(doc, r"\[\[(\w+)\|(\w+)\]\]")
	assert (hit.kind, hit.role, hit.key) == ("sign", "client", "sign:client")


def test_kind_to_field_type():
	expected = {
		"sign": FieldType.SIGNATURE,
		"initials": FieldType.INITIALS,
		"date": FieldType.DATE,
		"name": FieldType.FULL_NAME,
		"text": FieldType.TEXT,
		"check": FieldType.CHECKBOX,
		"email": FieldType.EMAIL,
		"phone": FieldType.PHONE,
		"stamp": FieldType.IMAGE,
	}
	for kind, ftype in expected.items():
		assert kind_to_field_type(kind) == ftype
	with pytest.raises(FieldPlacementError):
		kind_to_field_type("dance")


def test_invalid_pdf_and_hits_outside_the_document():
	with pytest.raises(InvalidPDFError):
		find_anchors(b"%PDF-1.4 broken")
	doc = tag_pdf(one_tag())
	hit = AnchorHit("{{x:y}}", "x", "y", page=3, box=Box(0.1, 0.1, 0.1, 0.1), rect=(1, 1, 2, 2))
	with pytest.raises(FieldPlacementError):
		stamp(doc, [], hide=[hit])


def test_apostrophe_and_tj_array_operators(render):
	"""Tags shown by ' and inside a TJ array (hand-written content, base-14 font without /Widths)."""
	from pypdf.generic import DecodedStreamObject, DictionaryObject

	writer = PdfWriter()
	page = writer.add_blank_page(width=595, height=842)
	font = DictionaryObject(
		{
			NameObject("/Type"): NameObject("/Font"),
			NameObject("/Subtype"): NameObject("/Type1"),
			NameObject("/BaseFont"): NameObject("/Helvetica"),
		}
	)
	page[NameObject("/Resources")] = DictionaryObject(
		{NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
	)
	stream = DecodedStreamObject()
	stream.set_data(
		b"BT /F1 12 Tf 16 TL 72 700 Td (First line) Tj ({{sign:client}} after) '\n"
		b"0 -40 Td [(Sig: ) -300 ({{date:client}}) -250 (tail)] TJ ET\n"
	)
	page.replace_contents(stream)
	out = BytesIO()
	writer.write(out)
	doc = out.getvalue()

	hits = find_anchors(doc)
	assert [h.tag for h in hits] == ["{{sign:client}}", "{{date:client}}"]
	sign, date = hits
	assert sign.rect[0] == pytest.approx(72, abs=0.5) and sign.rect[1] < 684 < sign.rect[3]
	assert date.rect[1] < 644 < date.rect[3]
	assert all(h.edit is not None for h in hits)

	stamped = stamp(doc, [], hide=hits)
	text = PdfReader(BytesIO(stamped)).pages[0].extract_text()
	assert "{{" not in text and "after" in text and "tail" in text and "First line" in text
	before, after = render(doc, dpi=100), render(stamped, dpi=100)
	w, h = before.size
	for hit in hits:
		b = hit.box
		area = (int(b.x * w) - 2, int(b.y * h) - 2, int((b.x + b.w) * w) + 3, int((b.y + b.h) * h) + 3)
		assert sum(before.crop(area).histogram()[:128]) > 30
		assert sum(after.crop(area).histogram()[:200]) == 0
		before.paste(255, area)
		after.paste(255, area)
	assert before.tobytes() == after.tobytes()  # everything else stayed exactly where it was

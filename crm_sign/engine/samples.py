"""Sample documents, records and signatures for the tests, the demo and the benchmark."""

from __future__ import annotations

import math
import random
import zlib
from io import BytesIO
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .fields import Box, Field, FieldType, FillerRole
from .fonts import FONT_BOLD, FONT_DIR, FONT_REGULAR, register_fonts

PAGE_W, PAGE_H = A4
MARGIN = 56.0
BODY = 9.5
LEADING = 13.0
INK = (0.1, 0.1, 0.12)
MUTED = (0.38, 0.38, 0.42)
TAG_GRAY = (0.55, 0.55, 0.6)

PROVIDER = "Örnek Yazılım Teknolojileri A.Ş."
PROVIDER_ADDRESS = "Maslak Mah. Büyükdere Cad. No: 123, 34485 Sarıyer / İstanbul"

# Placeholder lines on page 1 for prefilled values: (field name, label, record path, field type).
_PLACEHOLDERS: list[tuple[str, str, str, FieldType]] = [
	("customer_name", "Unvan / Legal name", "customer.customer_name", FieldType.TEXT),
	("customer_tax_id", "Vergi No / Tax ID", "customer.tax_id", FieldType.TEXT),
	("customer_email", "E-posta / Email", "customer.email_id", FieldType.EMAIL),
	("contract_amount", "Bedel / Amount", "opportunity_amount", FieldType.TEXT),
	("agreement_date", "Tarih / Date", "transaction_date", FieldType.DATE),
]
_PLACEHOLDER_TOP = PAGE_H - 204.0
_PLACEHOLDER_STEP = 19.0
_PLACEHOLDER_X = MARGIN + 142.0

_CLAUSES: list[tuple[str, str, str]] = [
	(
		"Konu / Subject",
		"İşbu sözleşmenin konusu, Hizmet Veren tarafından Müşteri'ye sunulacak bulut tabanlı CRM yazılımının "
		"kurulumu, yapılandırılması, kullanıcı eğitimi ve teknik destek hizmetlerinin kapsam ve koşullarının "
		"belirlenmesidir.",
		"This agreement sets out the scope and terms of the installation, configuration, user training and "
		"technical support of the cloud CRM software that the Provider delivers to the Client.",
	),
	(
		"Süre / Term",
		"Sözleşme imza tarihinde yürürlüğe girer ve on iki (12) ay süreyle geçerlidir. Taraflardan biri süre "
		"bitiminden otuz (30) gün önce yazılı bildirimde bulunmadıkça aynı koşullarla birer yıl uzar.",
		"The agreement takes effect on signature and runs for twelve (12) months. It renews for one year on "
		"the same terms unless either party gives written notice thirty (30) days before it ends.",
	),
	(
		"Ücret ve Ödeme / Fees and Payment",
		"Hizmet bedeli, ekli teklifte belirtilen tutardır ve KDV hariçtir. Faturalar düzenlendikleri tarihten "
		"itibaren on beş (15) gün içinde Türk Lirası olarak ödenir. Geciken ödemeler için yasal faiz işletilir.",
		"The fee is the amount in the attached quotation, excluding VAT. Invoices are payable in Turkish lira "
		"within fifteen (15) days of issue. Late payments bear statutory interest.",
	),
	(
		"Hizmet Seviyesi / Service Level",
		"Hizmet Veren, planlı bakım süreleri hariç aylık %99,5 erişilebilirlik taahhüt eder. Kritik arızalara "
		"dört (4) saat, diğer taleplere bir (1) iş günü içinde yanıt verilir.",
		"The Provider commits to 99.5% monthly availability, excluding planned maintenance. Critical incidents "
		"are answered within four (4) hours, other requests within one (1) business day.",
	),
	(
		"Gizlilik / Confidentiality",
		"Taraflar, sözleşme kapsamında öğrendikleri ticari sırları ve kişisel verileri gizli tutar, 6698 sayılı "
		"Kişisel Verilerin Korunması Kanunu'na uygun olarak işler ve üçüncü kişilerle paylaşmaz.",
		"Each party keeps the other's trade secrets and personal data confidential, processes personal data "
		"under the Turkish Personal Data Protection Law No. 6698 and does not share it with third parties.",
	),
	(
		"Fikri Mülkiyet / Intellectual Property",
		"Yazılıma ilişkin tüm fikri mülkiyet hakları Hizmet Veren'e aittir. Müşteri'ye sözleşme süresince "
		"devredilemez ve münhasır olmayan bir kullanım hakkı tanınır.",
		"All intellectual property in the software stays with the Provider. The Client receives a "
		"non-transferable, non-exclusive right of use for the term of the agreement.",
	),
	(
		"Fesih / Termination",
		"Taraflardan biri yükümlülüklerini ağır şekilde ihlal eder ve ihlali yazılı ihtardan itibaren otuz "
		"(30) gün içinde gidermezse, diğer taraf sözleşmeyi derhal feshedebilir.",
		"If a party materially breaches its obligations and does not cure the breach within thirty (30) days "
		"of written notice, the other party may terminate the agreement with immediate effect.",
	),
	(
		"Uyuşmazlıklar / Disputes",
		"İşbu sözleşme Türk hukukuna tabidir. Uyuşmazlıklarda İstanbul (Çağlayan) Mahkemeleri ve İcra "
		"Daireleri yetkilidir. Elektronik imzalar, 5070 sayılı Kanun çerçevesinde delil niteliğindedir.",
		"This agreement is governed by Turkish law. The courts and enforcement offices of Istanbul (Çağlayan) "
		"have jurisdiction. Electronic signatures are admissible evidence under Law No. 5070.",
	),
]


def _set_fill(canvas: Canvas, rgb: tuple[float, float, float]) -> None:
	canvas.setFillColorRGB(*rgb)


def _wrapped(
	canvas: Canvas,
	text: str,
	x: float,
	y: float,
	width: float,
	*,
	size: float = BODY,
	font: str = FONT_REGULAR,
	color: tuple[float, float, float] = INK,
) -> float:
	"""Draw `text` wrapped to `width` from baseline `y`; return the baseline after the last line."""
	_set_fill(canvas, color)
	canvas.setFont(font, size)
	for line in simpleSplit(text, font, size, width):
		canvas.drawString(x, y, line)
		y -= size * 1.37
	return y


def _clause(canvas: Canvas, number: int, clause: tuple[str, str, str], y: float) -> float:
	title, tr, en = clause
	width = PAGE_W - 2 * MARGIN
	canvas.setFont(FONT_BOLD, 10.5)
	_set_fill(canvas, INK)
	canvas.drawString(MARGIN, y, f"{number}. {title}")
	y -= LEADING + 2
	y = _wrapped(canvas, tr, MARGIN, y, width)
	y -= 3
	y = _wrapped(canvas, en, MARGIN, y, width, size=BODY - 0.5, color=MUTED)
	return y - 10


def _clause_height(clause: tuple[str, str, str]) -> float:
	width = PAGE_W - 2 * MARGIN
	tr = len(simpleSplit(clause[1], FONT_REGULAR, BODY, width))
	en = len(simpleSplit(clause[2], FONT_REGULAR, BODY - 0.5, width))
	return LEADING + 2 + tr * BODY * 1.37 + 3 + en * (BODY - 0.5) * 1.37 + 10


def _footer(canvas: Canvas, page: int, pages: int) -> None:
	canvas.setStrokeColorRGB(0.8, 0.8, 0.83)
	canvas.setLineWidth(0.5)
	canvas.line(MARGIN, 48, PAGE_W - MARGIN, 48)
	canvas.setFont(FONT_REGULAR, 7.5)
	_set_fill(canvas, MUTED)
	canvas.drawString(MARGIN, 36, f"Hizmet Sözleşmesi / Service Agreement — {PROVIDER}")
	canvas.drawRightString(PAGE_W - MARGIN, 36, f"Sayfa / Page {page} / {pages}")


def _header(canvas: Canvas) -> float:
	_set_fill(canvas, INK)
	canvas.setFont(FONT_BOLD, 17)
	canvas.drawCentredString(PAGE_W / 2, PAGE_H - 78, "HİZMET SÖZLEŞMESİ")
	canvas.setFont(FONT_REGULAR, 11)
	_set_fill(canvas, MUTED)
	canvas.drawCentredString(PAGE_W / 2, PAGE_H - 96, "Service Agreement")
	canvas.setStrokeColorRGB(0.15, 0.3, 0.55)
	canvas.setLineWidth(1.2)
	canvas.line(MARGIN, PAGE_H - 110, PAGE_W - MARGIN, PAGE_H - 110)
	y = PAGE_H - 134
	canvas.setFont(FONT_BOLD, 10.5)
	_set_fill(canvas, INK)
	canvas.drawString(MARGIN, y, "Taraflar / Parties")
	y -= LEADING + 3
	canvas.setFont(FONT_BOLD, BODY)
	canvas.drawString(MARGIN, y, "Hizmet Veren / Provider:")
	canvas.setFont(FONT_REGULAR, BODY)
	canvas.drawString(_PLACEHOLDER_X, y, PROVIDER)
	y -= LEADING
	canvas.drawString(_PLACEHOLDER_X, y, PROVIDER_ADDRESS)
	y -= LEADING + 6
	canvas.setFont(FONT_BOLD, BODY)
	canvas.drawString(MARGIN, y, "Müşteri / Client:")
	# Placeholder lines: labels and a dotted rule where the prefilled values are stamped.
	for index, (_name, label, _source, _type) in enumerate(_PLACEHOLDERS):
		baseline = _PLACEHOLDER_TOP - index * _PLACEHOLDER_STEP
		canvas.setFont(FONT_REGULAR, BODY - 0.5)
		_set_fill(canvas, MUTED)
		canvas.drawRightString(_PLACEHOLDER_X - 8, baseline, label + ":")
		canvas.setStrokeColorRGB(0.7, 0.7, 0.75)
		canvas.setLineWidth(0.5)
		canvas.setDash(1, 2)
		canvas.line(_PLACEHOLDER_X, baseline - 3, PAGE_W - MARGIN, baseline - 3)
		canvas.setDash()
	return _PLACEHOLDER_TOP - len(_PLACEHOLDERS) * _PLACEHOLDER_STEP - 18


_SIGNATURE_TOP = 318.0  # baseline of the signature block title on the last page


def _signature_block(canvas: Canvas, with_anchors: bool) -> None:
	y = _SIGNATURE_TOP
	canvas.setStrokeColorRGB(0.15, 0.3, 0.55)
	canvas.setLineWidth(0.8)
	canvas.line(MARGIN, y + 16, PAGE_W - MARGIN, y + 16)
	_set_fill(canvas, INK)
	canvas.setFont(FONT_BOLD, 11)
	canvas.drawString(MARGIN, y, "İmzalar / Signatures")
	column = (PAGE_W - 2 * MARGIN) / 2
	for col, (role, title, party) in enumerate(
		(
			("company", "HİZMET VEREN / PROVIDER", PROVIDER),
			("client", "MÜŞTERİ / CLIENT", "Müşteri adına yetkili / For the Client"),
		)
	):
		x = MARGIN + col * (column + 6)
		yy = y - 24
		_set_fill(canvas, INK)
		canvas.setFont(FONT_BOLD, BODY)
		canvas.drawString(x, yy, title)
		canvas.setFont(FONT_REGULAR, BODY - 1)
		_set_fill(canvas, MUTED)
		canvas.drawString(x, yy - 12, party)
		for label, kind, drop in (
			("Ad Soyad / Name:", "name", 40),
			("İmza / Signature:", "sign", 96),
			("Tarih / Date:", "date", 50),
		):
			yy -= drop
			canvas.setFont(FONT_REGULAR, BODY - 1)
			_set_fill(canvas, MUTED)
			# The signature label sits high; the ink goes on the rule below it, where the tag is.
			label_y = yy + (62 if kind == "sign" else 13)
			canvas.drawString(x, label_y, label)
			canvas.setStrokeColorRGB(0.55, 0.55, 0.6)
			canvas.setLineWidth(0.6)
			canvas.line(x, yy - 4, x + column - 20, yy - 4)
			if with_anchors:
				canvas.setFont(FONT_REGULAR, 8)
				_set_fill(canvas, TAG_GRAY)
				canvas.drawString(x, yy, "{{%s:%s}}" % (kind, role))


def sample_contract_pdf(pages: int = 2, *, with_anchors: bool = True) -> bytes:
	"""A two-party Turkish/English service agreement of `pages` A4 pages (at least 1).

	Page 1 has placeholder lines for prefilled values (see sample_fields); the last page has the
	signature block with the tags {{name|sign|date:company|client}} when `with_anchors`.
	"""
	pages = max(1, int(pages))
	register_fonts()
	buf = BytesIO()
	canvas = Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
	canvas.setTitle("Hizmet Sözleşmesi / Service Agreement")
	canvas.setAuthor(PROVIDER)
	bottom = 72.0
	clause_no = 0
	for page in range(1, pages + 1):
		y = _header(canvas) if page == 1 else PAGE_H - 72
		limit = _SIGNATURE_TOP + 40 if page == pages else bottom
		while True:
			clause = _CLAUSES[clause_no % len(_CLAUSES)]
			if y - _clause_height(clause) < limit:
				break
			clause_no += 1
			y = _clause(canvas, clause_no, clause, y)
		if page == pages:
			_signature_block(canvas, with_anchors)
		_footer(canvas, page, pages)
		canvas.showPage()
	canvas.save()
	return buf.getvalue()


def sample_fields() -> list[Field]:
	"""Fields for sample_contract_pdf: prefilled values on page 1, the parties' fields on the tags."""
	fields = []
	for index, (name, label, source, ftype) in enumerate(_PLACEHOLDERS):
		baseline = _PLACEHOLDER_TOP - index * _PLACEHOLDER_STEP
		top = PAGE_H - (baseline + 12)
		box = Box(
			_PLACEHOLDER_X / PAGE_W, top / PAGE_H, (PAGE_W - MARGIN - _PLACEHOLDER_X) / PAGE_W, 16 / PAGE_H
		)
		fields.append(Field(name, type=ftype, page=0, box=box, source=source, label=label, font_size=10))
	for role, filler in (("company", FillerRole.COMPANY), ("client", FillerRole.COUNTERPARTY)):
		fields.append(
			Field(f"{role}_name", type=FieldType.FULL_NAME, role=filler, anchor=f"{{{{name:{role}}}}}")
		)
		fields.append(
			Field(f"{role}_signature", type=FieldType.SIGNATURE, role=filler, anchor=f"sign:{role}")
		)
		fields.append(Field(f"{role}_date", type=FieldType.DATE, role=filler, anchor=f"date:{role}"))
	return fields


def sample_record() -> dict[str, Any]:
	"""A CRM-like opportunity with a nested customer and items."""
	items = [
		{
			"item_code": "CRM-LIC",
			"item_name": "CRM Kullanıcı Lisansı / User Licence",
			"qty": 25,
			"rate": 1200.0,
		},
		{
			"item_code": "CRM-SETUP",
			"item_name": "Kurulum ve Eğitim / Setup and Training",
			"qty": 1,
			"rate": 18500.0,
		},
		{"item_code": "CRM-SUP", "item_name": "Yıllık Destek / Annual Support", "qty": 1, "rate": 9750.5},
	]
	for item in items:
		item["amount"] = round(item["qty"] * item["rate"], 2)
	return {
		"doctype": "Opportunity",
		"name": "CRM-OPP-2024-00042",
		"opportunity_from": "Customer",
		"status": "Quotation",
		"company": PROVIDER,
		"owner": "deniz.kaya@ornekyazilim.com.tr",
		"transaction_date": "2024-05-14",
		"currency": "TRY",
		"opportunity_amount": round(sum(i["amount"] for i in items), 2),
		"customer": {
			"name": "CUST-00107",
			"customer_name": "Ağaoğlu Şirin Yılmaz A.Ş.",
			"customer_type": "Company",
			"tax_id": "0123456789",
			"tax_office": "Boğaziçi Kurumlar",
			"email_id": "sirin.yilmaz@agaoglu-sirin.com.tr",
			"mobile_no": "+90 532 123 45 67",
			"contact_person": "Şirin Yılmaz",
			"address": {
				"address_line1": "Çamlıca Mah. Gül Sok. No: 7",
				"city": "Üsküdar",
				"state": "İstanbul",
				"pincode": "34662",
				"country": "Türkiye",
			},
		},
		"items": items,
	}


def sample_signature_png(text: str, width: int = 600, height: int = 200) -> bytes:
	"""A handwriting-like signature of `text` on a transparent background (deterministic per text)."""
	scale = 2  # drawn large and scaled down, for smooth edges
	w, h = max(int(width), 40) * scale, max(int(height), 20) * scale
	rng = random.Random(zlib.crc32(text.encode("utf-8")))
	ink = (18, 38, 110, 255)
	img = Image.new("RGBA", (w, h), (255, 255, 255, 0))

	# The name, slanted like handwriting.
	layer = Image.new("RGBA", (w, h), (255, 255, 255, 0))
	draw = ImageDraw.Draw(layer)
	size = int(h * 0.3)
	font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), size)
	while size > 8 and draw.textlength(text, font=font) > w * 0.8:
		size = int(size * 0.9)
		font = ImageFont.truetype(str(FONT_DIR / "DejaVuSans.ttf"), size)
	tx, ty = int(w * 0.1), int(h * 0.22)
	draw.text((tx, ty), text, font=font, fill=ink)
	shear = 0.3
	layer = layer.transform((w, h), Image.AFFINE, (1, shear, -shear * h * 0.5, 0, 1, 0), Image.BICUBIC)
	img.alpha_composite(layer)

	# A flowing stroke: loops along a baseline, then an underline flourish.
	draw = ImageDraw.Draw(img)
	stroke = max(3, int(h * 0.018))
	points = []
	base = h * 0.7
	loops = rng.randint(3, 6)
	for i in range(240):
		t = i / 239
		x = w * (0.06 + 0.62 * t) + math.sin(t * loops * 2 * math.pi) * w * 0.025
		y = base - math.sin(t * loops * 2 * math.pi + 1.2) * h * 0.12 * (1 - 0.5 * t)
		points.append((x, y))
	start = points[-1]
	for i in range(1, 80):
		t = i / 79
		points.append((start[0] + t * w * 0.28, start[1] + math.sin(t * math.pi) * h * 0.1 - t * h * 0.05))
	draw.line(points, fill=ink, width=stroke, joint="curve")
	img = img.resize((w // scale, h // scale), Image.LANCZOS)
	out = BytesIO()
	img.save(out, format="PNG", optimize=True)
	return out.getvalue()


def many_pages_pdf(n: int) -> bytes:
	"""A plain n-page A4 document made in one reportlab canvas (fast, for size tests)."""
	register_fonts()
	buf = BytesIO()
	canvas = Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
	for page in range(1, max(1, int(n)) + 1):
		canvas.setFont(FONT_BOLD, 14)
		canvas.drawString(MARGIN, PAGE_H - 80, f"Sayfa / Page {page} of {n}")
		canvas.setFont(FONT_REGULAR, 10)
		canvas.drawString(MARGIN, PAGE_H - 104, "Bu sayfa test içindir. This page is for testing.")
		canvas.showPage()
	canvas.save()
	return buf.getvalue()

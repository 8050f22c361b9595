"""Work that depends only on a document's bytes is done once per process, and is still right."""

import io

from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from crm_sign.engine import anchors
from crm_sign.engine.memo import BoundedCache
from crm_sign.engine.pdf import draw_qr
from crm_sign.engine.render import render_page
from crm_sign.engine.samples import sample_contract_pdf


def test_the_cache_keeps_the_most_recent_and_makes_each_key_once():
	cache, made = BoundedCache(2), []

	def make(key):
		made.append(key)
		return key * 2

	assert cache.get_or_make("a", lambda: make("a")) == "aa"
	assert cache.get_or_make("a", lambda: make("a")) == "aa"
	cache.get_or_make("b", lambda: make("b"))
	cache.get_or_make("a", lambda: make("a"))  # a is now the most recent
	cache.get_or_make("c", lambda: make("c"))  # b goes
	cache.get_or_make("b", lambda: make("b"))
	assert made == ["a", "b", "c", "b"]


def test_anchors_of_the_same_bytes_are_found_once(monkeypatch):
	pdf = sample_contract_pdf(pages=2)
	scans = []
	real = anchors._find_anchors

	def counting(*args):
		scans.append(1)
		return real(*args)

	anchors._FOUND.clear()
	monkeypatch.setattr(anchors, "_find_anchors", counting)
	first = anchors.find_anchors(pdf)
	again = anchors.find_anchors(bytes(pdf))  # equal bytes, another object
	assert first == again and first
	assert len(scans) == 1
	first.clear()  # a caller changing its list does not change the cache
	assert anchors.find_anchors(pdf) == again


def test_the_qr_code_is_module_for_module_reportlabs():
	"""The one-path QR drawing gives the same picture as reportlab's widget (same encoder)."""
	from reportlab.graphics import renderPDF
	from reportlab.graphics.barcode.qr import QrCodeWidget
	from reportlab.graphics.shapes import Drawing

	text, size = "https://crm.example.com/sign/verify?c=AB12CD34EF56", 200

	def pdf(draw) -> bytes:
		out = io.BytesIO()
		canvas = Canvas(out, pagesize=(size, size))
		draw(canvas)
		canvas.save()
		return out.getvalue()

	def widget(canvas):
		qr = QrCodeWidget(text, barLevel="M")
		x0, y0, x1, y1 = qr.getBounds()
		drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
		drawing.add(qr)
		renderPDF.draw(drawing, canvas, 0, 0)

	from reportlab.graphics.barcode import qrencoder

	code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
	code.addData(text)
	code.make()
	count = code.getModuleCount()
	images = [
		Image.open(io.BytesIO(render_page(pdf(draw), 0, 480))).convert("L")
		for draw in (lambda c: draw_qr(c, text, 0, 0, size), widget)
	]
	cell = images[0].width / (count + 8)  # 4 modules of quiet zone each side

	def modules(image) -> list[list[bool]]:
		return [
			[
				image.getpixel((int((4 + col + 0.5) * cell), int((4 + row + 0.5) * cell))) < 128
				for col in range(count)
			]
			for row in range(count)
		]

	ours, theirs = (modules(image) for image in images)
	assert ours == theirs
	assert ours == [[bool(v) for v in row] for row in code.modules]

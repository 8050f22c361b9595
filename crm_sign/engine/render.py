"""Pages of a PDF as images, for the signing page (PDFium through pypdfium2).

The page shows each page as an image the server rendered from the exact bytes the signer signs, so a
phone needs no PDF viewer (pdf.js and its worker are over 1 MB) before the first page appears.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

# A handful of widths, so cached images serve every screen: phones, tablets, desktops, 2x each.
WIDTHS = (480, 800, 1200, 1600)
# PDFium is not thread-safe; a web server's threads take turns.
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class PageSize:
	"""A page's visible size in points, as displayed (rotation applied)."""

	width: float
	height: float


def page_width_for(requested: int) -> int:
	"""The smallest cached width at least `requested` pixels wide (the largest for anything wider)."""
	return next((w for w in WIDTHS if w >= requested), WIDTHS[-1])


def page_sizes(pdf: bytes) -> list[PageSize]:
	import pypdfium2

	with _PDFIUM:
		document = pypdfium2.PdfDocument(pdf)
		try:
			return [PageSize(*document[i].get_size()) for i in range(len(document))]
		finally:
			document.close()


def render_page(pdf: bytes, index: int, width: int, quality: int = 80) -> bytes:
	"""Page `index` (0-based) as a WebP image `width` pixels wide, white background, annotations drawn.

	Raises IndexError for a page the document does not have."""
	import pypdfium2

	width = page_width_for(width)
	with _PDFIUM:
		document = pypdfium2.PdfDocument(pdf)
		try:
			if not 0 <= index < len(document):
				raise IndexError(index)
			page = document[index]
			image = page.render(scale=width / page.get_size()[0], may_draw_forms=True).to_pil()
		finally:
			document.close()
	out = io.BytesIO()
	image.convert("RGB").save(out, "WEBP", quality=quality, method=4)
	return out.getvalue()

"""The DejaVu fonts used for every piece of user text the engine draws.

Base-14 PDF fonts cannot show Turkish letters such as ğ, ş or İ, so all user text goes through the
bundled DejaVu Sans (regular and bold), registered with reportlab once per process.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from .errors import SignEngineError

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = "CrmSignDejaVuSans"
FONT_BOLD = "CrmSignDejaVuSans-Bold"
# DejaVu Sans vertical metrics (units of the font size), used to centre text in a box.
ASCENT = 0.928
DESCENT = -0.236

_FILES = {FONT_REGULAR: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_registered = False


def register_fonts() -> tuple[str, str]:
	"""Register DejaVu regular and bold with reportlab (idempotent) and return their names."""
	global _registered
	if _registered:
		return FONT_REGULAR, FONT_BOLD
	with _lock:
		if not _registered:
			known = set(pdfmetrics.getRegisteredFontNames())
			for name, filename in _FILES.items():
				if name in known:
					continue
				path = FONT_DIR / filename
				if not path.is_file():
					raise SignEngineError(f"Bundled font is missing: {path}")
				pdfmetrics.registerFont(TTFont(name, str(path)))
			# Lets Paragraph markup such as <b> pick the bold face.
			for bold, italic, name in (
				(0, 0, FONT_REGULAR),
				(1, 0, FONT_BOLD),
				(0, 1, FONT_REGULAR),
				(1, 1, FONT_BOLD),
			):
				addMapping(FONT_REGULAR, bold, italic, name)
			_registered = True
	return FONT_REGULAR, FONT_BOLD


def string_width(text: str, size: float, *, bold: bool = False) -> float:
	"""Width of `text` in points when drawn in DejaVu at `size`."""
	register_fonts()
	return pdfmetrics.stringWidth(text, FONT_BOLD if bold else FONT_REGULAR, size)

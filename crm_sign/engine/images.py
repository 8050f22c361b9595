"""Validation of signature, initials and stamp images before they reach a PDF.

Images come from browsers (a canvas data URL) and uploads, so they are checked with Pillow for format,
size and pixel count before anything else touches them.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, UnidentifiedImageError
from reportlab.lib.utils import ImageReader

from .errors import InvalidImageError

DEFAULT_FORMATS = ("PNG", "JPEG")
_DATA_URL = re.compile(r"^data:(image/[a-z0-9.+-]+)?(;[a-z0-9=._-]+)*?;base64,", re.IGNORECASE)


@dataclass(frozen=True)
class SignatureImage:
	"""A validated PNG or JPEG image."""

	data: bytes
	width: int
	height: int
	format: str  # "PNG" or "JPEG"

	@property
	def aspect(self) -> float:
		"""Width divided by height."""
		return self.width / self.height

	def image_reader(self) -> ImageReader:
		"""A reportlab ImageReader over the image bytes."""
		return ImageReader(BytesIO(self.data))

	def data_url(self) -> str:
		mime = "image/png" if self.format == "PNG" else "image/jpeg"
		return f"data:{mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def load_image(
	data: bytes | str | SignatureImage,
	*,
	max_bytes: int = 1_500_000,
	max_pixels: int = 4096 * 4096,
	allowed_formats: Iterable[str] = DEFAULT_FORMATS,
) -> SignatureImage:
	"""Validate PNG/JPEG bytes or a ``data:image/...;base64,`` URL and return a SignatureImage.

	Raises InvalidImageError with a message fit for the signer when the data is not an image, is in a
	format outside `allowed_formats`, is larger than `max_bytes` or has more than `max_pixels` pixels.
	"""
	allowed = tuple(f.upper().replace("JPG", "JPEG") for f in allowed_formats)
	if isinstance(data, SignatureImage):
		data = data.data
	raw = _decode(data, max_bytes)
	if not raw:
		raise InvalidImageError("The image is empty.")
	if len(raw) > max_bytes:
		raise InvalidImageError(f"The image is too large ({len(raw):,} bytes; the limit is {max_bytes:,}).")
	try:
		with warnings.catch_warnings():
			# A decompression-bomb warning is a refusal here, not a warning.
			warnings.simplefilter("error", Image.DecompressionBombWarning)
			with Image.open(BytesIO(raw)) as img:
				fmt = (img.format or "").upper()
				width, height = img.size
				if fmt not in allowed:
					raise InvalidImageError(
						f"Unsupported image format {fmt or 'unknown'}; use {' or '.join(allowed)}."
					)
				if width < 1 or height < 1:
					raise InvalidImageError("The image has no pixels.")
				if width * height > max_pixels:
					raise InvalidImageError(
						f"The image is too big ({width}x{height} pixels; the limit is {max_pixels:,} pixels)."
					)
				img.verify()
			# verify() leaves the image unusable and does not decode the pixels: decode once to catch
			# truncated data too.
			with Image.open(BytesIO(raw)) as img:
				img.load()
	except InvalidImageError:
		raise
	except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
		raise InvalidImageError("The data is not a PNG or JPEG image.")
	except Exception as exc:  # Pillow raises many types (OSError, SyntaxError, ValueError...)
		raise InvalidImageError(f"The image is damaged or incomplete ({type(exc).__name__}).")
	return SignatureImage(data=raw, width=width, height=height, format=fmt)


def _decode(data: bytes | str, max_bytes: int) -> bytes:
	"""Bytes as given, or the payload of a base64 data URL."""
	if isinstance(data, (bytes, bytearray, memoryview)):
		data = bytes(data)
		if not data.startswith(b"data:"):
			return data
		try:
			data = data.decode("ascii")
		except UnicodeDecodeError:
			raise InvalidImageError("The image data URL is not valid.")
	if not isinstance(data, str):
		raise InvalidImageError(f"Expected image bytes or a data URL, got {type(data).__name__}.")
	text = data.strip()
	match = _DATA_URL.match(text)
	if not match:
		raise InvalidImageError("Expected a data:image/png;base64,... URL or image bytes.")
	payload = re.sub(r"\s+", "", text[match.end() :])
	# Refuse before decoding so a huge string costs nothing.
	if len(payload) > (max_bytes + 2) // 3 * 4 + 4:
		raise InvalidImageError(f"The image is too large (the limit is {max_bytes:,} bytes).")
	try:
		return base64.b64decode(payload, validate=True)
	except (binascii.Error, ValueError):
		raise InvalidImageError("The image data URL is not valid base64.")

"""Signature image validation (crm_sign.engine.images) and the sample signature."""

from __future__ import annotations

import base64
from io import BytesIO

import pytest
from PIL import Image

from crm_sign.engine.errors import InvalidImageError
from crm_sign.engine.images import SignatureImage, load_image
from crm_sign.engine.samples import sample_signature_png


def encode(img: Image.Image, fmt: str, **kw) -> bytes:
	out = BytesIO()
	img.save(out, format=fmt, **kw)
	return out.getvalue()


PNG = encode(Image.new("RGBA", (120, 40), (0, 0, 0, 0)), "PNG")
JPEG = encode(Image.new("RGB", (90, 30), (250, 250, 250)), "JPEG")


def test_png_and_jpeg_bytes():
	png = load_image(PNG)
	assert (png.width, png.height, png.format) == (120, 40, "PNG")
	assert png.data == PNG and png.aspect == 3
	jpeg = load_image(JPEG)
	assert (jpeg.width, jpeg.height, jpeg.format) == (90, 30, "JPEG")
	assert jpeg.image_reader().getSize() == (90, 30)


def test_data_url():
	url = "data:image/png;base64," + base64.b64encode(PNG).decode()
	assert load_image(url).data == PNG
	# Line-wrapped base64 and bytes input are fine too.
	wrapped = "data:image/png;base64,\n" + "\n".join(base64.encodebytes(PNG).decode().split())
	assert load_image(wrapped).data == PNG
	assert load_image(url.encode()).data == PNG
	assert load_image(load_image(url)).data_url() == url


def test_allowed_formats():
	with pytest.raises(InvalidImageError, match="JPEG"):
		load_image(JPEG, allowed_formats=("PNG",))
	assert load_image(PNG, allowed_formats=["png"]).format == "PNG"


@pytest.mark.parametrize(
	"data, message",
	[
		(encode(Image.new("RGB", (10, 10)), "GIF"), "GIF"),
		(encode(Image.new("RGB", (10, 10)), "BMP"), "BMP"),
		(b"", "empty"),
		(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "PNG or JPEG|damaged"),
		(PNG[: len(PNG) // 2], "damaged|incomplete|PNG or JPEG"),
		(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG or JPEG"),
		("data:image/png;base64,!!!notbase64!!!", "base64"),
		("data:text/plain;base64," + base64.b64encode(b"hello").decode(), "data:image"),
		("data:image/png;base64," + base64.b64encode(b"hello").decode(), "PNG or JPEG"),
		("just a string", "data:image/png"),
		(12345, "Expected"),
	],
)
def test_rejected(data, message):
	with pytest.raises(InvalidImageError, match=message):
		load_image(data)


def test_truncated_jpeg_pixels():
	"""Headers intact, pixel data cut short: only decoding the pixels notices."""
	noisy = encode(Image.effect_noise((400, 300), 80).convert("RGB"), "JPEG", quality=90)
	truncated = noisy[: len(noisy) * 2 // 3]
	with Image.open(BytesIO(truncated)) as img:  # the precondition: opening and verify() pass
		assert img.size == (400, 300)
		img.verify()
	with pytest.raises(InvalidImageError):
		load_image(truncated)


def test_size_limits():
	big = encode(Image.new("1", (4100, 4100)), "PNG")  # small file, too many pixels
	assert len(big) < 1_500_000
	with pytest.raises(InvalidImageError, match="pixels"):
		load_image(big)
	assert load_image(big, max_pixels=4100 * 4100).width == 4100
	with pytest.raises(InvalidImageError, match="too large"):
		load_image(PNG, max_bytes=len(PNG) - 1)
	url = "data:image/png;base64," + base64.b64encode(PNG).decode()
	with pytest.raises(InvalidImageError, match="too large"):
		load_image(url, max_bytes=50)


def test_sample_signature_png():
	data = sample_signature_png("Şirin Yılmaz", width=300, height=100)
	image = load_image(data, allowed_formats=("PNG",))
	assert isinstance(image, SignatureImage)
	assert (image.width, image.height) == (300, 100)
	assert sample_signature_png("Şirin Yılmaz", width=300, height=100) == data  # deterministic
	assert sample_signature_png("Deniz Kaya", width=300, height=100) != data
	with Image.open(BytesIO(data)) as img:
		alpha = img.getchannel("A")
		inked = sum(alpha.histogram()[128:]) / (300 * 100)
	assert 0.01 < inked < 0.5  # some ink, on a transparent background

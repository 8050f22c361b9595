"""Pages as images for the signing page: sizes as displayed, the cached widths, what a page shows."""

import io

import pytest
from PIL import Image

from crm_sign.engine.render import WIDTHS, page_sizes, page_width_for, render_page
from crm_sign.engine.samples import sample_contract_pdf


def test_widths_are_bucketed_so_images_cache_well():
	assert page_width_for(1) == WIDTHS[0]
	assert page_width_for(481) == 800
	assert page_width_for(10_000) == WIDTHS[-1]


def test_page_sizes_are_in_points():
	sizes = page_sizes(sample_contract_pdf(pages=2))
	assert len(sizes) == 2
	assert round(sizes[0].width) == 595 and round(sizes[0].height) == 842  # A4


def test_a_page_renders_as_a_webp_of_the_bucketed_width_with_the_text_drawn():
	data = render_page(sample_contract_pdf(pages=2), 0, 700)
	image = Image.open(io.BytesIO(data))
	assert image.format == "WEBP"
	assert image.width == 800
	assert abs(image.height - round(800 * 842 / 595)) <= 1
	# Text was drawn: a blank page would be all white.
	assert image.convert("L").getextrema()[0] < 100


def test_a_page_the_document_lacks_is_an_index_error():
	with pytest.raises(IndexError):
		render_page(sample_contract_pdf(pages=1), 3, 480)

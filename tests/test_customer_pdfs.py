"""Any PDF a customer brings: earlier signatures survive, broken files are repaired or refused clearly,
and our stamp shows whatever the page's own content leaves behind (crm_sign.engine.pdf / revision)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject, NullObject

from crm_sign.engine.certificate import CertificateInfo, SignerEvidence
from crm_sign.engine.errors import EncryptedPDFError, InvalidPDFError
from crm_sign.engine.fields import Box, Field, FieldType, FieldValue
from crm_sign.engine.finalize import finalize
from crm_sign.engine.pdf import prepare_pdf, stamp
from crm_sign.engine.revision import content_balance
from crm_sign.engine.samples import many_pages_pdf, sample_signature_png
from crm_sign.engine.seal import generate_self_signed, verify_pdf
from tests.pdf_signing import sign_as_other

BOX = Box(0.1, 0.1, 0.5, 0.08)
SIGN = Box(0.5, 0.75, 0.4, 0.12)


@pytest.fixture(scope="module")
def seal():
	return generate_self_signed("Customer PDF Seal", "crm_sign")


def values_on(pages: list[int]) -> list[FieldValue]:
	image = sample_signature_png("Ayşe")
	out = []
	for page in pages:
		out.append(FieldValue(Field(f"t{page}", FieldType.TEXT, page=page, box=BOX), "ĞÜŞİÖÇ ğüşıöç"))
		out.append(FieldValue(Field(f"s{page}", FieldType.SIGNATURE, page=page, box=SIGN), image))
	return out


def info() -> CertificateInfo:
	return CertificateInfo(
		title="Contract",
		request_id="SIGN-T",
		original_sha256="",
		signed_sha256="",
		signers=[SignerEvidence("Ayşe", "client", email="ayse@example.com")],
	)


def with_content(content: bytes, pages: int = 1) -> bytes:
	"""A document whose first page's content is exactly `content`."""
	writer = PdfWriter(clone_from=PdfReader(BytesIO(many_pages_pdf(pages))))
	stream = DecodedStreamObject()
	stream.set_data(content)
	writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
	out = BytesIO()
	writer.write(out)
	return out.getvalue()


# ------------------------------------------------------------------------------ append, never rewrite


def test_a_supplier_signature_survives_our_stamp_and_seal(seal):
	supplier = generate_self_signed("Supplier A.Ş.")
	signed = sign_as_other(many_pages_pdf(2), supplier)
	prepared = prepare_pdf(signed)
	assert prepared == signed  # sound: nothing rewritten
	result = finalize(prepared, values_on([0, 1]), info(), seal)
	assert result.pdf.startswith(signed)  # the original bytes are a prefix of the sealed file
	verdict = verify_pdf(result.pdf, seal)
	assert verdict.ok and verdict.signatures == 2, verdict.message


def test_stamping_appends_one_revision():
	original = many_pages_pdf(3)
	stamped = stamp(original, values_on([0, 2]))
	assert stamped.startswith(original)
	assert stamped.count(b"%%EOF") == original.count(b"%%EOF") + 1


def test_a_sealed_document_can_be_sent_again_and_sealed_again(seal):
	first = finalize(many_pages_pdf(1), values_on([0]), info(), seal).pdf
	second = finalize(prepare_pdf(first), values_on([0]), info(), seal).pdf
	assert second.startswith(first)
	verdict = verify_pdf(second, seal)
	assert verdict.ok and verdict.signatures == 2, verdict.message
	assert b"/T (CRMSignSeal2)" in second
	# Both rounds stay visible: the first round's certificate page and the second's.
	assert len(PdfReader(BytesIO(second)).pages) == 3


def test_a_certified_pdf_that_allows_no_changes_is_refused():
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
	from pyhanko.sign import fields, signers

	from crm_sign.engine.seal import _signer

	author = generate_self_signed("Author")
	meta = signers.PdfSignatureMetadata(
		field_name="Certification", certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES
	)
	writer = IncrementalPdfFileWriter(BytesIO(many_pages_pdf(1)), strict=False)
	certified = (
		signers.PdfSigner(meta, signer=_signer(author.p12, author.password)).sign_pdf(writer).getvalue()
	)
	with pytest.raises(InvalidPDFError) as caught:
		prepare_pdf(certified)
	assert caught.value.code == "no_changes"


def test_a_broken_signature_in_the_input_is_refused_before_anyone_signs():
	signed = bytearray(sign_as_other(many_pages_pdf(1), generate_self_signed("Supplier")))
	at = signed.index(b"\n%") + 2  # the binary marker comment after the header: signed, never parsed
	signed[at] ^= 0x01
	with pytest.raises(InvalidPDFError) as caught:
		prepare_pdf(bytes(signed))
	assert caught.value.code in {"signature_invalid", "signed_damaged"}


# ------------------------------------------------------------------------------------ broken inputs


def test_nul_padding_after_the_end_marker_is_accepted_as_it_is(seal, render, dark_fraction):
	original = many_pages_pdf(1)
	padded = original + b"\0" * 4096
	assert prepare_pdf(padded) == original  # the padding goes, every other byte stays
	out = finalize(prepare_pdf(padded), values_on([0]), info(), seal).pdf
	assert out.startswith(original) and verify_pdf(out, seal).ok
	assert dark_fraction(render(out), BOX) > 0.01


def test_a_page_without_mediabox_is_stamped_on_letter(seal, render, dark_fraction):
	writer = PdfWriter(clone_from=PdfReader(BytesIO(many_pages_pdf(1))))
	del writer.pages[0][NameObject("/MediaBox")]
	writer._root_object["/Pages"].pop(NameObject("/MediaBox"), None)
	buffer = BytesIO()
	writer.write(buffer)
	data = prepare_pdf(buffer.getvalue())
	out = finalize(data, values_on([0]), info(), seal).pdf
	assert verify_pdf(out, seal).ok
	image = render(out)
	assert image.size == (612, 792)
	assert dark_fraction(image, BOX) > 0.01


def test_a_wrong_startxref_is_repaired_by_qpdf(seal):
	data = many_pages_pdf(1)
	offset = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
	broken = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % (offset + 7), data)
	repaired = prepare_pdf(broken)
	assert repaired != broken
	out = finalize(repaired, values_on([0]), info(), seal).pdf
	assert out.startswith(repaired) and verify_pdf(out, seal).ok


def test_encryption_for_certificates_gets_its_own_message():
	data = many_pages_pdf(1)
	trailer_at = data.rindex(b"trailer")
	encrypted = data[:trailer_at] + data[trailer_at:].replace(
		b"<<", b"<< /Encrypt << /Filter /Adobe.PubSec /SubFilter /adbe.pkcs7.s5 /V 4 /R 4 >> ", 1
	)
	with pytest.raises(EncryptedPDFError) as caught:
		prepare_pdf(encrypted)
	assert caught.value.code == "certificate_encrypted"
	assert "certificate security" in str(caught.value)


@pytest.mark.parametrize(
	"data, code",
	[
		(b"hello", "not_pdf"),
		(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog", "truncated"),
		(b"%PDF-1.7\n" + b"\x00" * 200 + b"\n%%EOF\n", None),
	],
)
def test_refusals_are_our_own_sentences(data, code):
	with pytest.raises(InvalidPDFError) as caught:
		prepare_pdf(data)
	assert caught.value.code if code is None else caught.value.code == code
	# Never a library's words: those go to .detail, for the logs.
	assert not re.search(r"Error|Exception|NoneType|attribute", str(caught.value))


# ------------------------------------------------------------------------ what the page leaves behind


@pytest.mark.parametrize(
	"content",
	[
		b"2 0 0 2 0 0 cm 0 0 1 rg",  # a scale left in force, no q at all
		b"q q 0.5 0 0 0.5 100 100 cm",  # more q than Q
		b"Q Q 1 0 0 1 300 300 cm",  # more Q than q, then a shift
		b"BT /F1 12 Tf 3 Tr 72 700 Td (invisible text mode, no ET) Tj",  # open text object, Tr 3
		b"q 0 cm Q 0 0 10 10 re W n",  # an operator with too few operands, then a tiny clip
		b"BT /F1 12 Tf 72 700 Td (a string that never closes",  # would swallow what follows
	],
)
def test_the_stamp_shows_whatever_the_page_content_leaves_open(content, render, dark_fraction):
	out = stamp(with_content(content), values_on([0]))
	image = render(out)
	assert dark_fraction(image, BOX) > 0.01, content
	assert dark_fraction(image, SIGN) > 0.002, content


def test_null_in_contents_is_never_written():
	writer = PdfWriter(clone_from=PdfReader(BytesIO(many_pages_pdf(1))))
	page = writer.pages[0]
	page[NameObject("/Contents")] = ArrayObject([NullObject(), page.raw_get("/Contents")])
	buffer = BytesIO()
	writer.write(buffer)
	out = stamp(buffer.getvalue(), values_on([0]))
	contents = PdfReader(BytesIO(out)).pages[0].raw_get("/Contents")
	assert all(not isinstance(item.get_object(), NullObject) for item in contents.get_object())


@pytest.mark.parametrize(
	"content, saves, restores, sound",
	[
		(b"q 1 0 0 1 0 0 cm Q", 1, 1, True),
		(b"q q", 1, 3, True),
		(b"Q Q", 3, 1, True),
		(b"(q) Tj % q\n<71> Tj", 1, 1, True),  # q inside strings and comments is not an operator
		(b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00q\x00 EI q", 1, 2, True),  # nor inside image data
		(b"0 cm", 1, 1, False),
		(b"(never closed", 1, 1, False),
		(b"1 2 3 frobnicate", 1, 1, False),
		(b"BX 1 2 frobnicate EX", 1, 1, True),
	],
)
def test_content_balance(content, saves, restores, sound):
	balance = content_balance(content)
	assert (balance.saves, balance.restores, balance.sound) == (saves, restores, sound)


# ----------------------------------------------------------------------------------- fonts we add


def _fonts(pdf: bytes) -> list[tuple[str, bytes | None]]:
	import pikepdf

	found = []
	with pikepdf.open(BytesIO(pdf)) as document:
		for obj in document.objects:
			if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
				program = obj.get("/FontDescriptor", {}).get("/FontFile2")
				found.append(
					(str(obj.get("/BaseFont")), program.read_raw_bytes() if program is not None else None)
				)
	return found


def test_every_font_we_add_is_embedded_used_and_distinctly_tagged(seal):
	document = many_pages_pdf(2)
	out = finalize(document, values_on([0, 1]), info(), seal).pdf
	added = list(_fonts(out))
	for font in _fonts(document):
		added.remove(font)
	assert added, "the overlay and the certificate bring their fonts"
	assert all(program is not None for _, program in added), added  # no reportlab Helvetica left over
	# Each distinct subset has its own tag (the same tag twice would make viewers mix up glyphs).
	tags = {name.split("+")[0] for name, _ in added}
	assert len(tags) == len({program for _, program in added}) == len(added)


# ---------------------------------------------------------------------------------- verification


def test_the_verification_footer_is_on_every_page_and_drawn_once():
	from crm_sign.engine.pdf import VerificationFooter

	url = "https://crm.example.com/sign/verify?c=K7Q2M9XW4T23"
	out = stamp(many_pages_pdf(3), [], footer=VerificationFooter(url))
	reader = PdfReader(BytesIO(out))
	assert all(url in page.extract_text().replace("\n", "") for page in reader.pages)
	forms = {
		str(xobject.get_object()["/Resources"]["/XObject"].keys())
		for page in reader.pages
		for xobject in page["/Resources"]["/XObject"].values()
	}
	assert len(forms) == 1  # every page's overlay uses the one footer form

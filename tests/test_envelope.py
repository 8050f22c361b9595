"""Envelopes: documents combined for one signing visit, cut back and sealed one by one."""

import io
import re

import pytest
from pypdf import PdfReader

from crm_sign.engine.certificate import CertificateInfo, SignerEvidence
from crm_sign.engine.envelope import EnvelopePart, combine, finalize_envelope, split
from crm_sign.engine.errors import InvalidPDFError
from crm_sign.engine.fields import Box, Field, FieldType, FieldValue, FillerRole
from crm_sign.engine.pdf import sha256_hex, stamp
from crm_sign.engine.samples import many_pages_pdf, sample_contract_pdf, sample_signature_png
from crm_sign.engine.seal import certificate_pem, generate_self_signed, seal_pdf, verify_pdf


@pytest.fixture(scope="module")
def certificate():
	return generate_self_signed("Envelope Seal", "Test A.Ş.")


@pytest.fixture(scope="module")
def envelope():
	return combine([("Contract", sample_contract_pdf(2, with_anchors=False)), ("NDA", many_pages_pdf(3))])


def _signature_on(page: int) -> FieldValue:
	field = Field(
		"client_signature",
		type=FieldType.SIGNATURE,
		role=FillerRole.COUNTERPARTY,
		page=page,
		box=Box(0.1, 0.5, 0.3, 0.08),
	)
	return FieldValue(field, sample_signature_png("Ayşe"))


def _info() -> CertificateInfo:
	return CertificateInfo(
		title="Renewal",
		request_id="SIGN-REQ-0001",
		original_sha256="",
		signed_sha256="",
		signers=[SignerEvidence(name="Ayşe Yılmaz", role="Client", signed_at="2026-12-01 10:00:00")],
	)


def _revision_hashes(pdf: bytes) -> set[str]:
	ends = [m.end() for m in re.finditer(rb"%%EOF\r?\n?", pdf)]
	return {sha256_hex(pdf[:end]) for end in ends}


def _text(pdf: bytes, first: int = 0) -> str:
	reader = PdfReader(io.BytesIO(pdf))
	return "\n".join(page.extract_text() for page in reader.pages[first:])


def test_combine_keeps_every_page_in_order_and_says_where_each_document_is(envelope):
	combined, parts = envelope
	assert parts == [EnvelopePart("Contract", 0, 2), EnvelopePart("NDA", 2, 3)]
	reader = PdfReader(io.BytesIO(combined))
	assert len(reader.pages) == 5
	nda = PdfReader(io.BytesIO(many_pages_pdf(3)))
	assert reader.pages[3].extract_text() == nda.pages[1].extract_text()


def test_a_document_that_carries_a_signature_cannot_join_an_envelope(certificate):
	signed = seal_pdf(many_pages_pdf(1), certificate)
	with pytest.raises(InvalidPDFError) as error:
		combine([("Contract", many_pages_pdf(1)), ("Signed elsewhere", signed)])
	assert error.value.code == "signed_in_envelope"


def test_split_refuses_pages_the_document_does_not_have(envelope):
	combined, _ = envelope
	with pytest.raises(InvalidPDFError):
		split(combined, EnvelopePart("Too far", 4, 2))


def test_each_document_is_sealed_on_its_own_with_the_certificate_of_the_whole_envelope(
	envelope, certificate, render
):
	combined, parts = envelope
	value = _signature_on(3)  # the second page of the NDA
	result = finalize_envelope(combined, [value], _info(), parts, certificate)
	assert result.original_sha256 == sha256_hex(combined)
	stamped = stamp(combined, [value])  # stamped again for the pictures (a revision's /ID is new each time)
	assert len(result.parts) == 2
	trust = certificate_pem(certificate)
	for number, (part, sealed) in enumerate(zip(parts, result.parts, strict=True)):
		verdict = verify_pdf(sealed.pdf, trust)
		assert verdict.ok, verdict
		assert sealed.sealed_sha256 == sha256_hex(sealed.pdf)
		assert sealed.original_sha256 == sha256_hex(split(combined, part))
		# The seal is an incremental revision: the file begins with exactly the document it certifies.
		assert sealed.signed_sha256 in _revision_hashes(sealed.pdf)
		reader = PdfReader(io.BytesIO(sealed.pdf))
		assert len(reader.pages) > part.page_count  # the document's pages, then the certificate
		# What is sealed is what the signers saw: each page looks exactly like its page in the envelope.
		for index, page in enumerate(part.pages):
			assert render(sealed.pdf, index).tobytes() == render(stamped, page).tobytes()
		certificate_text = _text(sealed.pdf, part.page_count)
		for other in result.parts:
			assert other.original_sha256[:16] in certificate_text.replace("\n", "")
			assert other.signed_sha256[:16] in certificate_text.replace("\n", "")
		assert result.original_sha256[:16] in certificate_text.replace("\n", "")
		assert f"{number + 1}. {part.title} (this file)" in certificate_text
		assert certificate_text.count("(this file)") == 1
	# The signature landed in the NDA, not in the contract.
	contract, nda = result.parts
	assert render(nda.pdf, 1).tobytes() != render(split(combined, parts[1]), 1).tobytes()
	assert render(contract.pdf, 0).tobytes() == render(split(combined, parts[0]), 0).tobytes()


def test_a_changed_byte_in_one_sealed_document_breaks_only_that_seal(envelope, certificate):
	combined, parts = envelope
	result = finalize_envelope(combined, [_signature_on(0)], _info(), parts, certificate)
	trust = certificate_pem(certificate)
	tampered = bytearray(result.parts[0].pdf)
	tampered[len(tampered) // 3] ^= 0x01
	assert not verify_pdf(bytes(tampered), trust).ok
	assert verify_pdf(result.parts[1].pdf, trust).ok

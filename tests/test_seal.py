import datetime as dt
import io

import pytest
from pypdf import PdfReader, PdfWriter

from crm_sign.engine.errors import CertificateError, EncryptedPDFError, InvalidPDFError
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import (
	SealCertificate,
	generate_self_signed,
	seal_pdf,
	validate_certificate,
	verify_pdf,
)


@pytest.fixture(scope="module")
def certificate():
	return generate_self_signed("Test Seal", "Ağaoğlu A.Ş.", password="secret", country="TR")


@pytest.fixture(scope="module")
def sealed(certificate):
	return seal_pdf(many_pages_pdf(2), certificate, reason="test", location="İstanbul")


def test_seal_verifies_and_names_the_sealer(sealed, certificate):
	verdict = verify_pdf(sealed, certificate)
	assert verdict.ok and verdict.trusted and verdict.covers_whole_file
	assert "Test Seal" in verdict.signer
	assert abs((verdict.signed_at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120
	assert not verdict.timestamped


def test_untrusted_root_is_reported(sealed):
	other = generate_self_signed("Someone Else")
	verdict = verify_pdf(sealed, other)
	assert verdict.intact and not verdict.trusted


def test_one_flipped_byte_breaks_the_seal(sealed):
	position = sealed.index(b"stream") + 20  # inside the first content stream, covered by the seal
	tampered = bytearray(sealed)
	tampered[position] ^= 0x01
	verdict = verify_pdf(bytes(tampered))
	assert not verdict.ok
	assert "changed" in verdict.message or "damaged" in verdict.message or "not valid" in verdict.message


def test_incremental_update_after_sealing_is_found(sealed):
	from pyhanko.pdf_utils import generic
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

	# An incremental update: the sealed bytes untouched, a new revision appended after them.
	incremental = IncrementalPdfFileWriter(io.BytesIO(sealed), strict=False)
	incremental.root["/Lang"] = generic.pdf_string("tr")
	incremental.update_root()
	buffer = io.BytesIO()
	incremental.write(buffer)
	verdict = verify_pdf(buffer.getvalue())
	assert verdict.sealed and verdict.intact and not verdict.covers_whole_file and not verdict.ok
	assert "appended" in verdict.message


def test_bytes_appended_after_sealing_are_found(sealed):
	verdict = verify_pdf(sealed + b"\n%%garbage\n")
	assert not verdict.ok


def test_unsealed_and_broken_files(certificate):
	assert not verify_pdf(many_pages_pdf(1)).sealed
	assert "readable" in verify_pdf(b"not a pdf").message
	with pytest.raises(InvalidPDFError):
		seal_pdf(b"%PDF-1.7 broken", certificate)


def test_encrypted_pdf_is_refused(certificate):
	writer = PdfWriter()
	writer.append(PdfReader(io.BytesIO(many_pages_pdf(1))))  # clone_from breaks encrypt() on pypdf 3.17.0
	writer.encrypt("pw")
	out = io.BytesIO()
	writer.write(out)
	with pytest.raises(EncryptedPDFError):
		seal_pdf(out.getvalue(), certificate)


def test_certificate_errors(certificate):
	with pytest.raises(CertificateError):
		seal_pdf(many_pages_pdf(1), SealCertificate(certificate.p12, b"wrong"))
	with pytest.raises(CertificateError):
		validate_certificate(b"not pkcs12", "x")
	expired = generate_self_signed("Old", days=1)
	with pytest.raises(CertificateError, match="expired"):
		validate_certificate(
			expired.p12, expired.password, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
		)
	assert "Test Seal" in validate_certificate(certificate.p12, "secret")


def test_pages_appended_in_the_sealed_revision(certificate):
	sealed = seal_pdf(many_pages_pdf(3), certificate, append_pages=many_pages_pdf(2))
	assert len(PdfReader(io.BytesIO(sealed)).pages) == 5
	assert verify_pdf(sealed, certificate).ok

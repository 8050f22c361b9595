import datetime as dt
import io

import pytest
from pypdf import PdfReader, PdfWriter

from crm_sign.engine.errors import CertificateError, EncryptedPDFError, InvalidPDFError
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import (
	SealCertificate,
	certificate_fingerprint,
	certificate_pem,
	generate_self_signed,
	seal_pdf,
	validate_certificate,
	verify_pdf,
)
from tests.pdf_signing import append_revision, ca_issued, forge_after_seal, sign_as_other


@pytest.fixture(scope="module")
def certificate():
	return generate_self_signed("Test Seal", "Ağaoğlu A.Ş.", password="secret", country="TR")


@pytest.fixture(scope="module")
def sealed(certificate):
	return seal_pdf(many_pages_pdf(2), certificate, reason="test", location="İstanbul")


@pytest.fixture(scope="module")
def forger():
	return generate_self_signed("Test Seal", "Ağaoğlu A.Ş.", country="TR")  # same name, another key


@pytest.fixture(scope="module")
def others():
	return generate_self_signed("Notary One"), generate_self_signed("Notary Two")


def test_seal_verifies_and_names_the_sealer(sealed, certificate):
	verdict = verify_pdf(sealed, certificate)
	assert verdict.ok and verdict.trusted and verdict.covers_whole_file
	assert "Test Seal" in verdict.signer
	assert abs((verdict.signed_at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 120
	assert not verdict.timestamped


def test_untrusted_root_is_reported(sealed):
	other = generate_self_signed("Someone Else")
	verdict = verify_pdf(sealed, other)
	assert verdict.intact and verdict.covers_whole_file and not verdict.trusted
	assert not verdict.ok  # an anchor was given, so an untrusted seal is not ok
	assert "not made with the trusted certificate" in verdict.message


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
	assert not verify_pdf(append_revision(sealed)).ok


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


# ------------------------------------------------------------------------ forgeries and other signers


@pytest.mark.parametrize("how", ["new-field", "duplicate-field", "replace-value"])
def test_content_added_and_sealed_again_is_rejected(sealed, forger, how):
	"""The old verify looked only at the last signature, which the forger's seal satisfies."""
	forged = forge_after_seal(sealed, forger, how)
	verdict = verify_pdf(forged)
	assert verdict.sealed and not verdict.covers_whole_file and not verdict.ok
	# Every forged signature is itself intact and valid: it is the structure that gives it away.
	assert verdict.intact and verdict.valid
	expected = {
		"new-field": "later signature (ForgedSeal)",
		"duplicate-field": "2 crm_sign seals",
		"replace-value": "replaced",
	}[how]
	assert expected in verdict.message
	assert verdict.signatures == (1 if how == "replace-value" else 2)


def test_replaced_seal_is_untrusted_even_if_history_were_lost(sealed, certificate, forger):
	# A full rewrite leaves no history to inspect: only the trust anchor tells the forger's seal apart.
	rewritten = seal_pdf(many_pages_pdf(3), forger)
	assert verify_pdf(rewritten).ok
	verdict = verify_pdf(rewritten, certificate_pem(certificate))
	assert not verdict.trusted and not verdict.ok


def test_only_foreign_signatures_is_not_sealed_by_us(others):
	signed = sign_as_other(many_pages_pdf(1), others[0])
	verdict = verify_pdf(signed)
	assert not verdict.sealed and not verdict.ok and verdict.signatures == 1
	assert "not sealed by crm_sign" in verdict.message


def test_signed_by_a_third_party_first_then_sealed(certificate, others):
	signed = sign_as_other(many_pages_pdf(2), others[0])
	sealed = seal_pdf(signed, certificate, append_pages=many_pages_pdf(1))
	verdict = verify_pdf(sealed, certificate_pem(certificate))
	assert verdict.ok and verdict.trusted and verdict.signatures == 2
	assert verdict.intact and verdict.valid and "Test Seal" in verdict.signer


def test_two_foreign_signatures_then_our_seal(certificate, others):
	signed = sign_as_other(sign_as_other(many_pages_pdf(1), others[0]), others[1], "Signature2")
	verdict = verify_pdf(seal_pdf(signed, certificate))
	assert verdict.ok and verdict.signatures == 3


def test_broken_earlier_signature_fails(certificate, others):
	signed = bytearray(sign_as_other(many_pages_pdf(1), others[0]))
	signed[signed.index(b"stream") + 20] ^= 0x01  # inside the page content the notary signed
	verdict = verify_pdf(seal_pdf(bytes(signed), certificate))
	assert not verdict.intact and not verdict.ok
	assert "Signature1 is broken" in verdict.message


def test_a_signature_after_our_seal_is_rejected(sealed, others):
	verdict = verify_pdf(sign_as_other(sealed, others[0]))
	assert verdict.sealed and verdict.intact and verdict.valid and not verdict.covers_whole_file
	assert not verdict.ok and verdict.signatures == 2 and "Signature1" in verdict.message


# ------------------------------------------------------------------------------------------ trust


def test_trust_by_pem_der_fingerprint_or_list(sealed, certificate):
	pem = certificate_pem(certificate)
	assert b"PRIVATE" not in pem and pem.startswith(b"-----BEGIN CERTIFICATE-----")
	fingerprint = certificate_fingerprint(certificate)
	assert fingerprint == certificate_fingerprint(pem) == certificate_fingerprint(pem.decode())
	assert len(fingerprint) == 64 and fingerprint == fingerprint.lower()
	from cryptography import x509
	from cryptography.hazmat.primitives import serialization

	der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
	spaced = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
	old = generate_self_signed("Replaced Seal")
	for anchor in (
		pem,
		pem.decode(),
		der,
		fingerprint,
		spaced,
		" ".join([fingerprint[:32], fingerprint[32:]]),
	):
		verdict = verify_pdf(sealed, anchor)
		assert verdict.ok and verdict.trusted and verdict.fingerprint == fingerprint, anchor
	assert verify_pdf(sealed, [certificate_pem(old), fingerprint]).ok  # old and new site certificate


def test_wrong_anchor_is_not_ok(sealed):
	other = generate_self_signed("Someone Else")
	for anchor in (certificate_pem(other), certificate_fingerprint(other), []):
		verdict = verify_pdf(sealed, anchor)
		assert verdict.intact and verdict.covers_whole_file and not verdict.trusted and not verdict.ok


def test_unusable_anchor_raises(sealed):
	for anchor in ("abc", "zz" * 32, b"not a certificate", 42):
		with pytest.raises(CertificateError):
			verify_pdf(sealed, anchor)


def test_ca_issued_seal_chains_to_the_anchor():
	bundle, ca_pem = ca_issued()
	sealed = seal_pdf(many_pages_pdf(1), bundle)
	for anchor in (ca_pem, certificate_fingerprint(ca_pem), certificate_pem(bundle)):
		verdict = verify_pdf(sealed, anchor)
		assert verdict.ok and verdict.trusted, anchor
	_, other_ca = ca_issued()
	assert not verify_pdf(sealed, other_ca).ok
	assert not verify_pdf(sealed, certificate_fingerprint(other_ca)).ok


def test_certificate_page_shows_the_seal_fingerprint(certificate):
	from crm_sign.engine.certificate import CertificateInfo, build_certificate
	from crm_sign.engine.finalize import finalize

	fingerprint = certificate_fingerprint(certificate)
	info = CertificateInfo(
		title="T", request_id="SIGN-1", original_sha256="", signed_sha256="", language="tr"
	)
	result = finalize(many_pages_pdf(1), [], info, certificate)
	assert result.seal_fingerprint == fingerprint
	text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(result.pdf)).pages)
	assert "Mühür sertifikası SHA-256" in text and fingerprint in text.replace("\n", "")
	assert verify_pdf(result.pdf, fingerprint).ok

	english = PdfReader(io.BytesIO(build_certificate(info))).pages[0].extract_text()
	assert "Seal certificate SHA-256" not in english  # no row when the fingerprint is unknown
	info.seal_fingerprint, info.language = fingerprint, "en"
	english = PdfReader(io.BytesIO(build_certificate(info))).pages[0].extract_text()
	assert "Seal certificate SHA-256" in english and fingerprint in english.replace("\n", "")


def test_the_certificate_names_the_document_as_sent_not_as_the_last_signer_saw_it(certificate):
	from crm_sign.engine.certificate import CertificateInfo
	from crm_sign.engine.finalize import finalize
	from crm_sign.engine.pdf import sha256_hex

	sent = many_pages_pdf(1)
	seen_last = append_revision(sent)  # an earlier signer's values stamped in
	info = CertificateInfo(title="T", request_id="SIGN-1", original_sha256="", signed_sha256="")
	result = finalize(seen_last, [], info, certificate, sent=sent)
	assert result.original_sha256 == sha256_hex(sent)
	text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(result.pdf)).pages).replace("\n", "")
	assert f"Original document SHA-256{sha256_hex(sent)}" in text
	assert finalize(seen_last, [], info, certificate).original_sha256 == sha256_hex(seen_last)


def test_an_earlier_round_sealed_by_another_company(certificate, others):
	"""Another company's crm_sign sealed the first round; ours seals the second."""
	theirs = seal_pdf(many_pages_pdf(1), others[0])
	ours = seal_pdf(theirs, certificate)
	assert ours.startswith(theirs)
	assert verify_pdf(ours, certificate).ok  # the last seal, which covers everything, is ours
	assert not verify_pdf(ours, others[0]).ok  # theirs does not cover what we added
	verdict = verify_pdf(ours)  # without an anchor two sealers cannot be told from a forgery
	assert not verdict.ok and "different certificates" in verdict.message

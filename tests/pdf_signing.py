"""Helpers for the seal tests: signatures by others and the forgeries verify_pdf must reject."""

from __future__ import annotations

import datetime as dt
import io

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import SEAL_FIELD, SealCertificate, _append_pages, _signer


def _writer(pdf: bytes):
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

	return IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)


def _sign(writer, cert: SealCertificate, field_name: str, *, pades: bool = True) -> bytes:
	from pyhanko.sign import fields, signers

	subfilter = fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED
	meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=subfilter, md_algorithm="sha256")
	return signers.PdfSigner(meta, signer=_signer(cert.p12, cert.password)).sign_pdf(writer).getvalue()


def sign_as_other(pdf: bytes, cert: SealCertificate, field_name: str = "Signature1") -> bytes:
	"""A third party's ordinary signature (adbe.pkcs7.detached) in an incremental update."""
	return _sign(_writer(pdf), cert, field_name, pades=False)


def forge_after_seal(sealed: bytes, forger: SealCertificate, how: str) -> bytes:
	"""Append a page to a sealed file and seal it again with the forger's own certificate.

	how: "new-field" signs a field with another name; "duplicate-field" adds a second field named like
	ours; "replace-value" empties our field and signs it again, orphaning the original seal.
	"""
	from pyhanko.pdf_utils import generic

	writer = _writer(sealed)
	_append_pages(writer, many_pages_pdf(1))  # the forger's extra page
	if how == "new-field":
		return _sign(writer, forger, "ForgedSeal")
	form = writer.root["/AcroForm"]
	if how == "duplicate-field":
		name = generic.NameObject
		field = generic.DictionaryObject(
			{
				name("/FT"): name("/Sig"),
				name("/T"): generic.pdf_string(SEAL_FIELD),
				name("/Type"): name("/Annot"),
				name("/Subtype"): name("/Widget"),
				name("/Rect"): generic.ArrayObject([generic.NumberObject(0)] * 4),
				name("/F"): generic.NumberObject(132),
				name("/P"): writer.find_page_for_modification(0)[0],
			}
		)
		# First in /Fields, so pyhanko fills it rather than complaining about ours being filled.
		form["/Fields"].insert(0, writer.add_object(field))
		writer.update_container(form["/Fields"])
	elif how == "replace-value":
		for ref in form["/Fields"]:
			if ref.get_object().get("/T") == SEAL_FIELD:
				del ref.get_object()["/V"]
				writer.mark_update(ref)
	else:
		raise ValueError(how)
	return _sign(writer, forger, SEAL_FIELD)


def append_revision(pdf: bytes) -> bytes:
	"""An incremental update with no signature: the signed bytes untouched, a page added after them."""
	writer = _writer(pdf)
	_append_pages(writer, many_pages_pdf(1))
	out = io.BytesIO()
	writer.write(out)
	return out.getvalue()


def ca_issued(common_name: str = "Örnek e-Seal") -> tuple[SealCertificate, bytes]:
	"""A seal bundle issued by a small private CA (the CA in the bundle's chain), and the CA's PEM."""
	now = dt.datetime.now(dt.timezone.utc)
	ca_key = ec.generate_private_key(ec.SECP256R1())
	ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA")])
	ca = (
		x509.CertificateBuilder()
		.subject_name(ca_name)
		.issuer_name(ca_name)
		.public_key(ca_key.public_key())
		.serial_number(x509.random_serial_number())
		.not_valid_before(now - dt.timedelta(days=1))
		.not_valid_after(now + dt.timedelta(days=365))
		.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
		.add_extension(
			x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
		)
		.add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
		.sign(ca_key, hashes.SHA256())
	)
	key = ec.generate_private_key(ec.SECP256R1())
	leaf = (
		x509.CertificateBuilder()
		.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
		.issuer_name(ca_name)
		.public_key(key.public_key())
		.serial_number(x509.random_serial_number())
		.not_valid_before(now - dt.timedelta(hours=1))
		.not_valid_after(now + dt.timedelta(days=30))
		.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
		.add_extension(
			x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
		)
		.add_extension(
			x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
		)
		.sign(ca_key, hashes.SHA256())
	)
	p12 = pkcs12.serialize_key_and_certificates(b"seal", key, leaf, [ca], serialization.NoEncryption())
	return SealCertificate(p12, b""), ca.public_bytes(serialization.Encoding.PEM)

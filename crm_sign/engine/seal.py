"""The PAdES seal (pyhanko) and its verification.

One seal goes on after the last signature: per-signer seals show as broken in Adobe once later
pages or stamps are added. The site's certificate is a PKCS#12 bundle; `generate_self_signed`
makes one on install, and a company can replace it with a CA-issued one.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from .errors import CertificateError, InvalidPDFError, SealError
from .pdf import read_pdf

SEAL_FIELD = "CRMSignSeal"

# pyhanko logs a warning per page for PDFs written by other tools; keep output clean.
logging.getLogger("pyhanko").setLevel(logging.ERROR)


@dataclass
class SealCertificate:
	p12: bytes
	password: bytes

	@property
	def subject(self) -> str:
		_, cert, _ = _load_p12(self.p12, self.password)
		return cert.subject.rfc4514_string()


def generate_self_signed(
	common_name: str,
	organization: str = "",
	*,
	password: bytes | str = b"",
	days: int = 3650,
	country: str = "",
) -> SealCertificate:
	"""A self-signed seal certificate (ECDSA P-256) in a PKCS#12 bundle.

	P-256 rather than RSA: pyhanko reloads the key for every signature and cryptography validates an
	RSA-3072 key on each load (about a second), which would dominate finalizing a short document.
	"""
	password = password.encode() if isinstance(password, str) else password
	key = ec.generate_private_key(ec.SECP256R1())
	attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or "crm_sign seal")]
	if organization:
		attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]))
	if len(country) == 2:
		attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country.upper()))
	name = x509.Name(attributes)
	now = dt.datetime.now(dt.timezone.utc)
	cert = (
		x509.CertificateBuilder()
		.subject_name(name)
		.issuer_name(name)
		.public_key(key.public_key())
		.serial_number(x509.random_serial_number())
		.not_valid_before(now - dt.timedelta(minutes=5))
		.not_valid_after(now + dt.timedelta(days=days))
		.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
		.add_extension(
			x509.KeyUsage(
				digital_signature=True,
				content_commitment=True,
				key_encipherment=False,
				data_encipherment=False,
				key_agreement=False,
				key_cert_sign=False,
				crl_sign=False,
				encipher_only=False,
				decipher_only=False,
			),
			critical=True,
		)
		.sign(key, hashes.SHA256())
	)
	encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
	p12 = pkcs12.serialize_key_and_certificates(b"crm_sign seal", key, cert, None, encryption)
	return SealCertificate(p12=p12, password=password)


def _load_p12(p12: bytes, password: bytes | str | None):
	password = password.encode() if isinstance(password, str) else password
	try:
		key, cert, extra = pkcs12.load_key_and_certificates(p12, password or None)
	except (ValueError, TypeError) as e:
		raise CertificateError(f"Cannot open the PKCS#12 certificate (wrong password or not PKCS#12): {e}")
	if key is None or cert is None:
		raise CertificateError("The PKCS#12 bundle has no private key or no certificate")
	return key, cert, extra or []


def validate_certificate(p12: bytes, password: bytes | str | None, now: dt.datetime | None = None) -> str:
	"""Check an uploaded bundle before it replaces the site's seal; returns its subject."""
	_, cert, _ = _load_p12(p12, password)
	now = now or dt.datetime.now(dt.timezone.utc)
	not_after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(
		tzinfo=dt.timezone.utc
	)
	if not_after <= now:
		raise CertificateError("The certificate has expired")
	return cert.subject.rfc4514_string()


@functools.lru_cache(maxsize=8)
def _signer(p12: bytes, password: bytes | str | None):
	"""A pyhanko signer built from the bundle (works on pyhanko 0.21 through 0.24).

	Cached: opening a PKCS#12 bundle costs more than sealing a short document, and a worker seals
	with the same site certificate again and again.
	"""
	from asn1crypto import keys as asn1_keys
	from asn1crypto import x509 as asn1_x509
	from pyhanko.sign import signers
	from pyhanko_certvalidator.registry import SimpleCertificateStore

	key, cert, extra = _load_p12(p12, password)
	der_key = key.private_bytes(
		serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
	)
	signing_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
	chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
	return signers.SimpleSigner(
		signing_cert=signing_cert,
		signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
		cert_registry=SimpleCertificateStore.from_certs([signing_cert, *chain]),
	)


def seal_pdf(
	pdf: bytes,
	certificate: SealCertificate,
	*,
	reason: str = "Signed with crm_sign",
	location: str = "",
	contact: str = "",
	timestamp_url: str | None = None,
	append_pages: bytes | None = None,
) -> bytes:
	"""Apply one PAdES (ETSI.CAdES.detached) seal covering the whole file.

	`append_pages` (a PDF, e.g. the certificate of completion) is added in the same incremental
	revision as the seal, so the document is parsed and written once instead of twice.
	"""
	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
	from pyhanko.sign import fields, signers, timestamps

	read_pdf(pdf)  # our own error types for malformed, encrypted or empty input
	signer = _signer(certificate.p12, certificate.password)
	meta = signers.PdfSignatureMetadata(
		field_name=SEAL_FIELD,
		reason=reason or None,
		location=location or None,
		contact_info=contact or None,
		subfilter=fields.SigSeedSubFilter.PADES,
		md_algorithm="sha256",
	)
	timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
	if append_pages:
		read_pdf(append_pages)
	try:
		writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
		if append_pages:
			_append_pages(writer, append_pages)
		out = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
	except Exception as e:  # pyhanko raises many types (PdfError, SigningError, network errors)
		raise SealError(f"Could not seal the PDF: {e}")
	return out.getvalue()


def _append_pages(writer, extra: bytes) -> None:
	"""Copy every page of `extra` to the end of the document being sealed (inherited keys included)."""
	from pyhanko.pdf_utils import generic
	from pyhanko.pdf_utils.reader import PdfFileReader

	source = PdfFileReader(io.BytesIO(extra), strict=False)
	for index in range(source.root["/Pages"]["/Count"]):
		page_ref, resources = source.find_page_for_modification(index)
		page = page_ref.get_object()
		entries = {key: page.raw_get(key) for key in page if key != "/Parent"}
		entries["/Resources"] = resources
		for inherited in ("/MediaBox", "/CropBox", "/Rotate"):
			parent = page.get("/Parent")
			while inherited not in entries and parent is not None:
				parent = parent.get_object()
				if inherited in parent:
					entries[inherited] = parent.raw_get(inherited)
				parent = parent.get("/Parent")
		copy = generic.DictionaryObject(
			{generic.NameObject(key): writer.import_object(value) for key, value in entries.items()}
		)
		writer.insert_page(copy)


@dataclass
class SealVerdict:
	sealed: bool
	intact: bool = False  # the signed bytes hash to what the signature says
	valid: bool = False  # the cryptographic signature checks out
	trusted: bool = False  # the certificate chains to a trusted root given to verify
	covers_whole_file: bool = False  # nothing was appended after sealing
	signer: str = ""
	signed_at: dt.datetime | None = None
	timestamped: bool = False
	message: str = ""

	@property
	def ok(self) -> bool:
		"""Sealed, untouched, and nothing appended after the seal."""
		return self.sealed and self.intact and self.valid and self.covers_whole_file


def verify_pdf(pdf: bytes, trusted_p12: SealCertificate | None = None) -> SealVerdict:
	"""Check the last seal of `pdf`. Never raises for a broken file: the verdict says what is wrong."""
	from pyhanko.pdf_utils.reader import PdfFileReader
	from pyhanko.sign.validation import validate_pdf_signature
	from pyhanko_certvalidator import ValidationContext

	try:
		read_pdf(pdf)
		reader = PdfFileReader(io.BytesIO(pdf), strict=False)
		signatures = reader.embedded_signatures
	except InvalidPDFError as e:
		return SealVerdict(sealed=False, message=f"Not a readable PDF: {e}")
	except Exception as e:
		return SealVerdict(sealed=False, message=f"The PDF structure is damaged: {e}")
	if not signatures:
		return SealVerdict(sealed=False, message="The PDF carries no seal")

	signature = signatures[-1]
	roots = []
	if trusted_p12 is not None:
		_, cert, _ = _load_p12(trusted_p12.p12, trusted_p12.password)
		from asn1crypto import x509 as asn1_x509

		roots.append(asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)))
	context = ValidationContext(trust_roots=roots, allow_fetching=False)
	try:
		status = validate_pdf_signature(signature, context)
	except Exception as e:
		return SealVerdict(sealed=True, message=f"The seal cannot be validated: {e}")

	coverage = getattr(status, "coverage", None)
	covers = getattr(coverage, "name", "") == "ENTIRE_FILE"
	signer_cert = status.signing_cert
	verdict = SealVerdict(
		sealed=True,
		intact=bool(status.intact),
		valid=bool(status.valid),
		trusted=bool(status.trusted),
		covers_whole_file=covers,
		signer=signer_cert.subject.human_friendly if signer_cert is not None else "",
		signed_at=status.signer_reported_dt,
		timestamped=status.timestamp_validity is not None,
	)
	if not verdict.intact:
		verdict.message = "The document was changed after it was sealed"
	elif not verdict.valid:
		verdict.message = "The seal's signature is not valid"
	elif not covers:
		verdict.message = "Content was appended after the seal"
	else:
		verdict.message = "The seal is valid and the document is unchanged"
	return verdict

"""The PAdES seal (pyhanko) and its verification.

One seal goes on after the last signature: per-signer seals show as broken in Adobe once later
pages or stamps are added. The site's certificate is a PKCS#12 bundle; `generate_self_signed`
makes one on install, and a company can replace it with a CA-issued one. Its public half
(`certificate_pem`, `certificate_fingerprint`) is what a verifier needs to tell our seal from anyone's.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from . import revision
from .errors import CertificateError, InvalidPDFError, SealError
from .pdf import read_pdf, revision_writer

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


# ------------------------------------------------------------------------------- public certificate

# What verify_pdf accepts as the site's trusted certificate: a bundle, a certificate object, PEM or DER
# bytes, PEM text, or a SHA-256 fingerprint as hex (colons and spaces allowed, any case).
TrustAnchor = SealCertificate | x509.Certificate | bytes | str

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


@functools.lru_cache(maxsize=8)
def _bundle_certificate_der(p12: bytes, password: bytes | str | None) -> bytes:
	"""Cached like `_signer`: finalize asks for the fingerprint of the same bundle on every document."""
	_, cert, _ = _load_p12(p12, password)
	return cert.public_bytes(serialization.Encoding.DER)


def certificate_pem(cert: SealCertificate) -> bytes:
	"""The bundle's public certificate as PEM (never the key): publish it, or pass it to `verify_pdf`."""
	der = _bundle_certificate_der(cert.p12, cert.password)
	return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def certificate_fingerprint(cert_or_pem: TrustAnchor) -> str:
	"""SHA-256 of the certificate's DER as 64 lowercase hex digits (the first one of a PEM chain).

	A fingerprint given as text comes back normalised, so both sides of a comparison can go through here.
	"""
	if isinstance(cert_or_pem, str) and "-----BEGIN" not in cert_or_pem:
		fingerprint = _parse_fingerprint(cert_or_pem)
		if fingerprint is None:
			raise CertificateError("Not a PEM certificate nor a SHA-256 fingerprint (64 hex digits)")
		return fingerprint
	return hashlib.sha256(_certificates_der(cert_or_pem)[0]).hexdigest()


def _parse_fingerprint(text: str) -> str | None:
	cleaned = re.sub(r"[\s:]", "", text).lower()
	return cleaned if _FINGERPRINT.fullmatch(cleaned) else None


def _certificates_der(value: SealCertificate | x509.Certificate | bytes | str) -> list[bytes]:
	"""The DER of every certificate in a bundle, certificate object, PEM (text or bytes) or DER."""
	if isinstance(value, SealCertificate):
		return [_bundle_certificate_der(value.p12, value.password)]
	if isinstance(value, x509.Certificate):
		return [value.public_bytes(serialization.Encoding.DER)]
	data = value.encode() if isinstance(value, str) else value
	if not isinstance(data, (bytes, bytearray)):
		raise CertificateError(f"Not a certificate: {type(value).__name__}")
	try:
		if b"-----BEGIN" in data:
			certs = x509.load_pem_x509_certificates(bytes(data))
		else:
			certs = [x509.load_der_x509_certificate(bytes(data))]
	except ValueError as e:
		raise CertificateError(f"Not a PEM or DER certificate: {e}")
	return [cert.public_bytes(serialization.Encoding.DER) for cert in certs]


def _trust_anchors(trust: TrustAnchor | Iterable[TrustAnchor]) -> tuple[set[str], list[bytes]]:
	"""(fingerprints to pin, DER certificates to use as chain roots) of one anchor or a list of them."""
	items = list(trust) if isinstance(trust, (list, tuple, set, frozenset)) else [trust]
	fingerprints: set[str] = set()
	roots: list[bytes] = []
	for item in items:
		if isinstance(item, str) and "-----BEGIN" not in item:
			fingerprints.add(certificate_fingerprint(item))
			continue
		for der in _certificates_der(item):
			roots.append(der)
			fingerprints.add(hashlib.sha256(der).hexdigest())
	return fingerprints, roots


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
	from pyhanko.sign import fields, signers, timestamps

	# Our own error types for malformed or encrypted input; the writer is the one the seal goes into.
	writer = revision_writer(pdf)
	signer = _signer(certificate.p12, certificate.password)
	timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
	try:
		meta = signers.PdfSignatureMetadata(
			field_name=_seal_field_name(writer),
			reason=reason or None,
			location=location or None,
			contact_info=contact or None,
			subfilter=fields.SigSeedSubFilter.PADES,
			md_algorithm="sha256",
		)
		if append_pages:
			_append_pages(writer, append_pages)
		out = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
	except Exception as e:  # pyhanko raises many types (PdfError, SigningError, network errors)
		raise SealError("The PDF could not be sealed.", code="seal_failed", detail=f"{type(e).__name__}: {e}")
	return out.getvalue()


def _append_pages(writer, extra: bytes) -> None:
	"""Add every page of `extra` (a reportlab document) at the end of the document being sealed."""
	from pyhanko.pdf_utils import generic

	for data, resources, box in revision.drawn_pages(writer, extra):
		content = generic.StreamObject(stream_data=data)
		content.compress()
		page = generic.DictionaryObject(
			{
				generic.NameObject("/Type"): generic.NameObject("/Page"),
				generic.NameObject("/MediaBox"): generic.ArrayObject(list(box)),
				generic.NameObject("/Resources"): resources,
				generic.NameObject("/Contents"): writer.add_object(content),
			}
		)
		_append_page(writer, page)


def _append_page(writer, page) -> None:
	"""Add `page` as the last kid of the root /Pages node. pyhanko's insert_page walks the tree and
	trips over some valid shapes (an indirect /Parent it does not resolve)."""
	from pyhanko.pdf_utils import generic

	pages_ref = writer.root.raw_get("/Pages")
	pages = pages_ref.get_object()
	kids_raw = pages.raw_get("/Kids")
	kids = kids_raw.get_object()
	page[generic.NameObject("/Parent")] = pages_ref
	kids.append(writer.add_object(page))
	if isinstance(kids_raw, generic.IndirectObject):
		writer.mark_update(kids_raw)
	pages[generic.NameObject("/Count")] = generic.NumberObject(int(pages["/Count"]) + 1)
	if isinstance(pages_ref, generic.IndirectObject):
		writer.mark_update(pages_ref)
	else:  # a /Pages node written inside the catalog
		writer.update_root()


def _seal_field_name(writer) -> str:
	"""CRMSignSeal for the first seal; a document sent again after sealing gets CRMSignSeal2, 3, ..."""
	from pyhanko.sign.fields import enumerate_sig_fields

	taken = {name for name, _, _ in enumerate_sig_fields(writer)}
	number = 1
	while (SEAL_FIELD if number == 1 else f"{SEAL_FIELD}{number}") in taken:
		number += 1
	return SEAL_FIELD if number == 1 else f"{SEAL_FIELD}{number}"


def is_seal_field(name: str | None) -> bool:
	"""True for the field names crm_sign seals into."""
	return bool(name) and re.fullmatch(rf"{SEAL_FIELD}\d*", name) is not None


@functools.lru_cache(maxsize=1)
def _trial_certificate() -> SealCertificate:
	return generate_self_signed("crm_sign trial seal")


@functools.lru_cache(maxsize=32)
def trial_seal(pdf: bytes) -> None:
	"""Stamp the first and last page, append a page and seal, as finalize will; raise if anything fails
	or the result does not verify. Cached: a template sent to many records is tried once per process."""
	from .fields import Box, Field, FieldValue
	from .pdf import page_count, stamp

	last = page_count(pdf) - 1
	values = [
		FieldValue(Field(f"trial{page}", page=page, box=Box(0.1, 0.1, 0.2, 0.05)), "—") for page in {0, last}
	]
	certificate = _trial_certificate()
	sealed = seal_pdf(stamp(pdf, values), certificate, append_pages=_trial_page())
	verdict = verify_pdf(sealed, certificate)
	if not verdict.ok:
		raise SealError(verdict.message, code="seal_failed")


@functools.lru_cache(maxsize=1)
def _trial_page() -> bytes:
	from .samples import many_pages_pdf

	return many_pages_pdf(1)


def signatures_problem(pdf: bytes) -> str | None:
	"""Why the signatures already in `pdf` do not all verify (intact and valid), or None when they do."""
	from pyhanko.pdf_utils.reader import PdfFileReader

	try:
		signatures = list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures)
		for signature in signatures:
			status = _validate(signature, [])
			if not (status.intact and status.valid):
				return f"signature {signature.field_name} is not intact or not valid"
	except Exception as e:  # unreadable CMS, unsupported algorithms, a malformed signature dictionary
		return f"{type(e).__name__}: {e}"[:300]
	return None


# ------------------------------------------------------------------------------------- verification


@dataclass
class SealVerdict:
	sealed: bool  # a crm_sign seal (the field SEAL_FIELD) is in the file
	intact: bool = False  # every signature's signed bytes hash to what the signature says
	valid: bool = False  # every signature's cryptography checks out
	trusted: bool = False  # the seal was made with the trust anchor given to verify (or chains to it)
	covers_whole_file: bool = False  # one crm_sign seal, the last signature, nothing added after it
	signer: str = ""
	signed_at: dt.datetime | None = None
	timestamped: bool = False
	message: str = ""
	signatures: int = 0  # every signature in the file, the seal and earlier ones by others included
	fingerprint: str = ""  # SHA-256 (hex) of the seal certificate's DER, to compare with the site's
	anchored: bool = False  # a trust anchor was given: then `ok` also requires `trusted`

	@property
	def ok(self) -> bool:
		"""Sealed, untouched, nothing added after the seal and, when an anchor was given, sealed by it.

		Requiring `trusted` here rather than in every caller: a caller that passes the site certificate
		and checks only `ok` cannot accept a seal someone else made with their own self-signed one.
		"""
		structural = self.sealed and self.intact and self.valid and self.covers_whole_file
		return structural and (self.trusted or not self.anchored)


def verify_pdf(pdf: bytes, trust: TrustAnchor | Iterable[TrustAnchor] | None = None) -> SealVerdict:
	"""Check every signature of `pdf` and the crm_sign seals over them.

	Every embedded signature must be intact and valid (earlier ones by others need not be trusted). The
	last signature must be a crm_sign seal covering the whole file. A document sent again after it was
	sealed carries one seal per round: without an anchor all of them must come from the same
	certificate, with one the last must be trusted; none may have been replaced in a later revision. `trust` is the
	site's public seal certificate (PEM/DER bytes or text, a SealCertificate) or its SHA-256
	fingerprint, or a list of them (e.g. old and new certificate after a replacement). Without it the
	verdict proves only that the file is unchanged since someone sealed it: anyone can seal a new file
	with a self-signed certificate named like ours, so callers that know the site certificate must pass it.

	Never raises for a broken file (the verdict says what is wrong); raises CertificateError for an
	unusable trust anchor, which is the caller's mistake.
	"""
	from pyhanko.pdf_utils.reader import PdfFileReader

	anchored = trust is not None
	fingerprints, roots = _trust_anchors(trust) if anchored else (set(), [])
	try:
		read_pdf(pdf)
		reader = PdfFileReader(io.BytesIO(pdf), strict=False)
		signatures = list(reader.embedded_signatures)
	except InvalidPDFError as e:
		return SealVerdict(sealed=False, anchored=anchored, message=f"Not a readable PDF: {e}")
	except Exception as e:
		return SealVerdict(sealed=False, anchored=anchored, message=f"The PDF structure is damaged: {e}")

	count = len(signatures)
	if not count:
		return SealVerdict(sealed=False, anchored=anchored, message="The PDF carries no seal")
	seals = [signature for signature in signatures if is_seal_field(signature.field_name)]
	if not seals:
		return SealVerdict(
			sealed=False,
			anchored=anchored,
			signatures=count,
			message=f"The PDF is not sealed by crm_sign (it carries {count} other signature(s))",
		)
	seal = seals[-1]  # the seal of the last round, which must cover the whole file
	verdict = SealVerdict(sealed=True, anchored=anchored, signatures=count)
	try:
		seal_fingerprints = [hashlib.sha256(s.signer_cert.dump()).hexdigest() for s in seals]
		verdict.fingerprint = seal_fingerprints[-1]
		statuses = [
			_validate(signature, _seal_roots(signature, fingerprints, roots) if signature in seals else [])
			for signature in signatures
		]
		replaced = _seal_replaced(reader, seals)
	except Exception as e:  # pyhanko raises many types for malformed CMS or PDF structures
		verdict.message = f"The signatures cannot be validated: {e}"
		return verdict

	status = statuses[signatures.index(seal)]
	signer_cert = getattr(status, "signing_cert", None)
	verdict.signer = signer_cert.subject.human_friendly if signer_cert is not None else ""
	verdict.signed_at = getattr(status, "signer_reported_dt", None)
	verdict.timestamped = getattr(status, "timestamp_validity", None) is not None
	verdict.intact = all(bool(s.intact) for s in statuses)
	verdict.valid = all(bool(s.valid) for s in statuses) and all(s.sig_object_type == "/Sig" for s in seals)
	# A pinned certificate is trusted as is (self-signed seals); otherwise the chain must lead to an anchor.
	seal_trusted = [
		anchored and (fp in fingerprints or bool(statuses[signatures.index(s)].trusted))
		for s, fp in zip(seals, seal_fingerprints, strict=True)
	]
	verdict.trusted = seal_trusted[-1]
	# Earlier rounds may have been sealed by another certificate (another company's crm_sign, or ours
	# before a renewal); with an anchor only the last seal, which covers everything, must be trusted.
	# Without one, seals by different certificates are indistinguishable from a forger's second seal.
	one_sealer = len(set(seal_fingerprints)) == 1 or verdict.trusted
	last = signatures[-1]
	coverage = getattr(getattr(status, "coverage", None), "name", "")
	verdict.covers_whole_file = last is seal and not replaced and one_sealer and coverage == "ENTIRE_FILE"

	broken = next((s for s, st in zip(signatures, statuses, strict=True) if not st.intact), None)
	invalid = next((s for s, st in zip(signatures, statuses, strict=True) if not st.valid), None)
	if broken is seal:
		verdict.message = "The document was changed after it was sealed"
	elif broken is not None:
		verdict.message = f"The earlier signature {broken.field_name} is broken: what it signed was changed"
	elif invalid in seals or any(s.sig_object_type != "/Sig" for s in seals):
		verdict.message = "The seal's signature is not valid"
	elif invalid is not None:
		verdict.message = f"The earlier signature {invalid.field_name} is not valid"
	elif not one_sealer:
		verdict.message = (
			f"The file carries {len(seals)} crm_sign seals made with different certificates: "
			"content was added and sealed again by someone else"
		)
	elif replaced:
		verdict.message = "The crm_sign seal was replaced by another signature after sealing"
	elif last is not seal:
		verdict.message = f"A later signature ({last.field_name}) was added after the seal"
	elif coverage != "ENTIRE_FILE":
		verdict.message = "Content was appended after the seal"
	elif anchored and not verdict.trusted:
		verdict.message = (
			"The seal is intact but was not made with the trusted certificate "
			f"(seal certificate SHA-256 {verdict.fingerprint})"
		)
	elif verdict.trusted:
		verdict.message = (
			"The seal is valid, made with the trusted certificate, and the document is unchanged"
		)
	else:
		verdict.message = "The seal is valid and the document is unchanged"
	return verdict


def _validate(signature, roots: list):
	"""pyhanko's status of one embedded signature, without the (slow) diff analysis of later revisions.

	The diff is not needed: later revisions must not exist after the seal, and the seal covers every
	change made after earlier signatures.
	"""
	from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
	from pyhanko_certvalidator import ValidationContext

	# An explicit list, even empty: None would make certvalidator trust the operating system's roots.
	context = ValidationContext(trust_roots=list(roots), allow_fetching=False)
	if signature.sig_object_type == "/DocTimeStamp":
		return validate_pdf_timestamp(signature, context, skip_diff=True)
	return validate_pdf_signature(signature, context, skip_diff=True)


def _seal_roots(seal, fingerprints: set[str], roots: list[bytes]) -> list:
	"""Trust roots for the seal's chain: the anchor certificates, plus embedded CA certificates pinned
	by fingerprint (an anchor given only as a CA's fingerprint)."""
	from asn1crypto import x509 as asn1_x509

	certs = [asn1_x509.Certificate.load(der) for der in roots]
	for cert in seal.other_embedded_certs:
		if hashlib.sha256(cert.dump()).hexdigest() in fingerprints:
			certs.append(cert)
	return certs


def _seal_replaced(reader, seals: list) -> bool:
	"""True when an older revision holds a different signature in one of the seal fields.

	Catches a forger who appends content, empties or redefines a seal field and signs it again: the
	final revision then shows seals covering the whole file, but the original is still in the history.
	Fields are told apart by their object, so a second field merely named like ours is not "replaced"
	(the certificate check finds that one).
	"""
	from pyhanko.sign.fields import enumerate_sig_fields

	final = {s.sig_field.container_ref.idnum: s.sig_object.get("/Contents") for s in seals if _ref(s)}
	for revision_number in range(reader.xrefs.total_revisions):
		try:
			resolver = reader.get_historical_resolver(revision_number)
			found = list(enumerate_sig_fields(resolver, filled_status=True))
		except Exception:
			# Some older revisions of real files cannot be read on their own (a customer's file as it
			# came). Skipping one cannot hide a forgery from an anchored verify: there, the last seal
			# must be the site's own; without an anchor a forger could as well rewrite the whole file.
			continue
		for name, value, field_ref in found:
			idnum = getattr(field_ref, "idnum", None)
			if is_seal_field(name) and idnum in final and value.get_object().get("/Contents") != final[idnum]:
				return True
	return False


def _ref(signature) -> bool:
	return getattr(signature.sig_field, "container_ref", None) is not None

"""Finalize a signed document: stamp every value, append the certificate, seal once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .anchors import AnchorHit
from .certificate import CertificateInfo, build_certificate
from .fields import FieldValue
from .pdf import sha256_hex, stamp
from .seal import SealCertificate, certificate_fingerprint, seal_pdf


@dataclass
class FinalizeResult:
	pdf: bytes
	original_sha256: str  # the document as sent for signature (before any signer's values)
	signed_sha256: str  # after stamping the values, before the certificate and seal
	sealed_sha256: str  # the file as delivered
	seal_fingerprint: str = ""  # SHA-256 of the seal certificate, as printed on the certificate page


def finalize(
	document: bytes,
	values: list[FieldValue],
	certificate: CertificateInfo,
	seal: SealCertificate,
	*,
	sent: bytes | None = None,
	hide: list[AnchorHit] | None = None,
	reason: str = "Signed with crm_sign",
	location: str = "",
	timestamp_url: str | None = None,
) -> FinalizeResult:
	"""Stamp `values` into `document`, append the certificate, seal once.

	`sent` is the document as it was sent, when earlier signers' values are already in `document`: the
	certificate's "original" is what was sent (what the first signers saw and the audit log names)."""
	original_sha256 = sha256_hex(sent or document)
	stamped = stamp(document, values, hide=hide)
	signed_sha256 = sha256_hex(stamped)
	# Taken from the certificate that actually seals, so the page can never name a different one.
	fingerprint = certificate_fingerprint(seal)
	info = replace(
		certificate,
		original_sha256=original_sha256,
		signed_sha256=signed_sha256,
		seal_fingerprint=fingerprint,
	)
	sealed = seal_pdf(
		stamped,
		seal,
		reason=reason,
		location=location,
		timestamp_url=timestamp_url,
		append_pages=build_certificate(info),
	)
	return FinalizeResult(sealed, original_sha256, signed_sha256, sha256_hex(sealed), fingerprint)

"""Envelopes: several documents signed in one visit, each sealed as a file of its own.

The documents are put one after the other into a single PDF for signing, so the signing page, the
guided flow, the one consent and the hash-chained evidence work on one document as they always do.
At the end, that document (with every value stamped in) is cut back into its documents along the page
ranges it was made from; each gets the certificate, which names every document of the envelope with
its hashes, and is sealed on its own.

A document that already carries a signature cannot join an envelope: taking its pages into another
file would drop that signature. Such a document is sent on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from io import BytesIO

from pypdf import PdfWriter

from .certificate import CertificateInfo, EnvelopeDocument, build_certificate
from .errors import InvalidPDFError
from .fields import FieldValue
from .finalize import FinalizeResult
from .pdf import pdf_error, read_pdf, sha256_hex, stamp
from .seal import SealCertificate, certificate_fingerprint, seal_pdf


@dataclass(frozen=True)
class EnvelopePart:
	"""One document of an envelope: its title and where its pages are in the combined document."""

	title: str
	first_page: int  # 0-based
	page_count: int

	@property
	def pages(self) -> range:
		return range(self.first_page, self.first_page + self.page_count)


@dataclass
class EnvelopeResult:
	parts: list[FinalizeResult]  # one sealed file per document, in the envelope's order
	original_sha256: str  # the combined document as sent: what the first signers' evidence refers to
	signed_sha256: str  # the combined document with every value stamped in


def combine(documents: list[tuple[str, bytes]]) -> tuple[bytes, list[EnvelopePart]]:
	"""One PDF holding the pages of every (title, pdf) in order, and where each document's pages are.

	Raises InvalidPDFError (code "signed_in_envelope") for a document that carries a signature."""
	writer = PdfWriter()
	parts: list[EnvelopePart] = []
	for title, data in documents:
		if b"/ByteRange" in data:
			raise pdf_error("signed_in_envelope")
		reader = read_pdf(data)
		first = len(writer.pages)
		for page in reader.pages:
			writer.add_page(page)
		parts.append(EnvelopePart(title, first, len(reader.pages)))
	return _written(writer), parts


def split(document: bytes, part: EnvelopePart) -> bytes:
	"""The pages of `part`, as they are in `document` now (with any values stamped into them)."""
	return split_all(document, [part])[0]


def split_all(document: bytes, parts: list[EnvelopePart]) -> list[bytes]:
	"""`split` for every part, reading `document` once."""
	reader = read_pdf(document)
	documents = []
	for part in parts:
		if (
			part.first_page < 0
			or part.first_page + part.page_count > len(reader.pages)
			or part.page_count < 1
		):
			raise InvalidPDFError(
				f"Pages {part.first_page + 1}-{part.first_page + part.page_count} are not in the document",
				code="page_tree",
			)
		writer = PdfWriter()
		for number in part.pages:
			writer.add_page(reader.pages[number])
		documents.append(_written(writer))
	return documents


def finalize_envelope(
	document: bytes,
	values: list[FieldValue],
	certificate: CertificateInfo,
	parts: list[EnvelopePart],
	seal: SealCertificate,
	*,
	sent: bytes | None = None,
	reason: str = "Signed with crm_sign",
	location: str = "",
	timestamp_url: str | None = None,
) -> EnvelopeResult:
	"""Stamp `values` into the combined `document`, cut it into `parts` and seal each with the
	certificate of the whole envelope (every document's hashes; the one it is attached to marked).

	`sent` is the combined document as it was sent, when earlier signers' values are already in
	`document`: the certificate's original hashes are those of what was sent."""
	sent = sent or document
	stamped = stamp(document, values)
	fingerprint = certificate_fingerprint(seal)
	originals = split_all(sent, parts)
	signed = split_all(stamped, parts)
	listed = [
		EnvelopeDocument(
			title=part.title,
			first_page=part.first_page + 1,
			page_count=part.page_count,
			original_sha256=sha256_hex(original),
			signed_sha256=sha256_hex(part_signed),
		)
		for part, original, part_signed in zip(parts, originals, signed, strict=True)
	]
	results = []
	for number, (part_signed, entry) in enumerate(zip(signed, listed, strict=True)):
		info = replace(
			certificate,
			title=entry.title,
			original_sha256=entry.original_sha256,
			signed_sha256=entry.signed_sha256,
			seal_fingerprint=fingerprint,
			envelope_sha256=sha256_hex(sent),
			documents=listed,
			document_number=number,
		)
		sealed = seal_pdf(
			part_signed,
			seal,
			reason=reason,
			location=location,
			timestamp_url=timestamp_url,
			append_pages=build_certificate(info),
		)
		results.append(
			FinalizeResult(
				sealed, entry.original_sha256, entry.signed_sha256, sha256_hex(sealed), fingerprint
			)
		)
	return EnvelopeResult(results, sha256_hex(sent), sha256_hex(stamped))


def _written(writer: PdfWriter) -> bytes:
	buffer = BytesIO()
	writer.write(buffer)
	return buffer.getvalue()

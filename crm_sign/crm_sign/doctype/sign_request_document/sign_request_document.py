# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SignRequestDocument(Document):
	"""One document of an envelope: where its pages are in the document signed, and its sealed file."""

	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		document_title: DF.Data | None
		final_sha256: DF.Data | None
		first_page: DF.Int
		original_sha256: DF.Data | None
		page_count: DF.Int
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		signed_pdf: DF.Attach | None
		signed_sha256: DF.Data | None
		source_file: DF.Data | None
		template: DF.Link | None
	# end: auto-generated types

	pass

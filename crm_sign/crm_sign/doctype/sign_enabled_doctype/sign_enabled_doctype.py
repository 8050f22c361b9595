# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class SignEnabledDocType(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company_signer_field: DF.Data | None
		document_type: DF.Link
		email_field: DF.Data | None
		mobile_field: DF.Data | None
		name_field: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
	# end: auto-generated types
	pass

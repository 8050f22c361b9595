# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class SignTemplateRole(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		label: DF.Data | None
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		signer_role: DF.Literal["Company", "Counterparty", "CC"]
		signing_step: DF.Int
		user: DF.Link | None
	# end: auto-generated types
	pass

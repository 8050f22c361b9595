# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class SignTemplateField(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		anchor: DF.Data | None
		field_label: DF.Data
		field_type: DF.Literal[
			"Text",
			"Long Text",
			"Date",
			"Checkbox",
			"Signature",
			"Initials",
			"Full Name",
			"Email",
			"Phone",
			"Image",
		]
		filled_by: DF.Literal["Prefilled", "Company", "Counterparty"]
		font_size: DF.Float
		height: DF.Float
		page: DF.Int
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		pos_x: DF.Float
		pos_y: DF.Float
		required: DF.Check
		signer_label: DF.Data | None
		source: DF.Data | None
		value_format: DF.Data | None
		width: DF.Float
	# end: auto-generated types
	pass

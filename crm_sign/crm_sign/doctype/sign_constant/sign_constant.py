# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class SignConstant(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		constant_name: DF.Data
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		value: DF.SmallText | None
	# end: auto-generated types
	pass

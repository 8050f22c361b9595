# Copyright (c) 2026, crm_sign contributors
# For license information, please see license.txt

# import frappe
from frappe.model.document import Document


class SignRequestSigner(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		channel: DF.Literal["Email", "SMS", "Email and SMS"]
		delivery_attempts: DF.Int
		delivery_status: DF.Literal["", "Queued", "Sent", "Failed"]
		email: DF.Data | None
		ip_address: DF.Data | None
		last_delivery_error: DF.SmallText | None
		last_reminder_on: DF.Datetime | None
		mobile: DF.Data | None
		next_retry_on: DF.Datetime | None
		otp_attempts: DF.Int
		otp_expires_on: DF.Datetime | None
		otp_hash: DF.Data | None
		otp_last_sent_on: DF.Datetime | None
		otp_sends: DF.Int
		otp_verified: DF.Check
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		reminders_sent: DF.Int
		role_label: DF.Data | None
		sent_on: DF.Datetime | None
		signature_image: DF.LongText | None
		signed_on: DF.Datetime | None
		signer_name: DF.Data | None
		signer_role: DF.Literal["Company", "Counterparty", "CC"]
		signing_step: DF.Int
		status: DF.Literal["Waiting", "Pending", "Viewed", "Signed", "Declined"]
		todo: DF.Link | None
		token_expires_on: DF.Datetime | None
		token_hash: DF.Data | None
		token_sealed: DF.SmallText | None
		user: DF.Link | None
		user_agent: DF.Code | None
		viewed_on: DF.Datetime | None
	# end: auto-generated types
	pass

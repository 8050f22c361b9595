# Copyright (c) 2026, crm_sign contributors
# See license.txt

import frappe
from frappe.utils import now_datetime

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

SIGN_USER_EMAIL = "crm-sign-audit-user@example.com"


def make_lead():
	return frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": "Audit Test",
			"email_id": f"audit-{frappe.generate_hash(length=10)}@example.com",
		}
	).insert(ignore_permissions=True)


def make_sign_request(lead):
	return frappe.get_doc(
		{
			"doctype": "Sign Request",
			"reference_doctype": "Lead",
			"reference_name": lead.name,
		}
	).insert(ignore_permissions=True)


def audit_event_dict(sign_request, seq=1):
	return {
		"doctype": "Sign Audit Event",
		"sign_request": sign_request.name,
		"seq": seq,
		"event": "created",
		"event_at": now_datetime().isoformat(),
		"actor": "Administrator",
		"data": "{}",
		"prev_hash": "0" * 64,
		"hash": frappe.generate_hash(length=64),
	}


def make_sign_user():
	if not frappe.db.exists("User", SIGN_USER_EMAIL):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": SIGN_USER_EMAIL,
				"first_name": "Sign",
				"last_name": "User",
				"send_welcome_email": 0,
				"roles": [{"role": "Sign User"}],
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", SIGN_USER_EMAIL)
	user.add_roles("Sign User")
	# Only "Sign User": drop anything another test may have given this user.
	user.remove_roles(*[row.role for row in user.roles if row.role != "Sign User"])
	return user


class TestSignAuditEvent(IntegrationTestCase):
	def setUp(self):
		self.sign_request = make_sign_request(make_lead())
		self.event = frappe.get_doc(audit_event_dict(self.sign_request)).insert(ignore_permissions=True)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_event_cannot_be_edited(self):
		"""Saving an existing event is refused, even for Administrator."""
		self.event.event = "tampered"
		self.assertRaises(frappe.PermissionError, self.event.save)
		self.assertEqual(frappe.db.get_value("Sign Audit Event", self.event.name, "event"), "created")

	def test_event_cannot_be_deleted(self):
		"""Deleting an event is refused, even for Administrator."""
		self.assertRaises(frappe.PermissionError, frappe.delete_doc, "Sign Audit Event", self.event.name)
		self.assertTrue(frappe.db.exists("Sign Audit Event", self.event.name))

	def test_sign_user_cannot_create_event(self):
		"""Only services (with ignore_permissions) write events; a Sign User may not."""
		make_sign_user()
		try:
			frappe.set_user(SIGN_USER_EMAIL)
			event = frappe.get_doc(audit_event_dict(self.sign_request, seq=2))
			self.assertRaises(frappe.PermissionError, event.insert)
		finally:
			frappe.set_user("Administrator")

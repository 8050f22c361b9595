"""Bulk send from the list view: every record sent or refused with its reason, nothing half-made."""

import os

import frappe

from crm_sign.api import desk
from crm_sign.signing import bulk_send, requests
from crm_sign.tests.fixtures import (
	ensure_outgoing_email_account,
	make_lead,
	make_template,
	make_user,
	unique_email,
)

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase


def files_of(doctype: str, names: list[str]) -> list[str]:
	return frappe.get_all(
		"File", filters={"attached_to_doctype": doctype, "attached_to_name": ("in", names)}, pluck="name"
	)


class TestBulkSend(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_each_record_is_sent_or_refused_with_its_reason(self):
		template = make_template("Lead")
		good = make_lead(email=unique_email("bulk.good"), first_name="Bulk Good")
		unreachable = make_lead(email=None, mobile=None, first_name="Bulk Unreachable")
		busy = make_lead(email=unique_email("bulk.busy"), first_name="Bulk Busy")
		open_request = requests.create_sign_request(busy, template, channel="Email")
		names = [good.name, unreachable.name, busy.name, "CRM-LEAD-does-not-exist", good.name]

		batch = desk.start_bulk_send("Lead", frappe.as_json(names), template, "Email")
		status = desk.bulk_send_status(batch["batch"])

		self.assertEqual((status["total"], status["done"]), (4, 4))  # the duplicate counts once
		self.assertEqual((status["sent"], status["refused"]), (1, 3))
		results = {r["name"]: r for r in status["results"]}
		sent = results[good.name]
		self.assertEqual(sent["status"], "Sent")
		self.assertEqual(frappe.db.get_value("Sign Request", sent["request"], "status"), "Sent")
		self.assertEqual(frappe.db.get_value("Sign Request", sent["request"], "reference_name"), good.name)
		self.assertIn("e-mail", results[unreachable.name]["reason"].lower())
		self.assertIn(open_request.name, results[busy.name]["reason"])
		self.assertIn("does not exist", results["CRM-LEAD-does-not-exist"]["reason"])
		# Refused records were left as they were: no request, no file, one request for the busy Lead.
		self.assertFalse(frappe.db.exists("Sign Request", {"reference_name": unreachable.name}))
		self.assertEqual(frappe.db.count("Sign Request", {"reference_name": busy.name}), 1)
		self.assertFalse(files_of("Lead", [unreachable.name]))
		self.assertEqual(
			[r["name"] for r in status["results"]], [good.name, unreachable.name, busy.name, names[3]]
		)

	def test_a_failure_after_the_files_were_written_leaves_nothing(self):
		"""The request is inserted and its file written before sending fails: all of it goes."""
		template = make_template("Lead")
		lead = make_lead(email=unique_email("bulk.late"), first_name="Bulk Late")
		files_before = set(
			frappe.get_all("File", filters={"attached_to_doctype": "Sign Request"}, pluck="name")
		)
		on_disk_before = set(os.listdir(frappe.get_site_path("private", "files")))
		frappe.db.commit()  # as send_chunk does before each record
		original = requests.send_request

		def failing_send(request):
			original(request)
			frappe.throw("gateway refused")

		requests.send_request = failing_send
		try:
			result = bulk_send.send_one("Lead", lead.name, template, "Email")
		finally:
			requests.send_request = original
		self.assertEqual(result, {"status": "Refused", "reason": "gateway refused"})
		self.assertFalse(frappe.db.exists("Sign Request", {"reference_name": lead.name}))
		files_after = set(
			frappe.get_all("File", filters={"attached_to_doctype": "Sign Request"}, pluck="name")
		)
		self.assertEqual(files_after, files_before)
		self.assertEqual(set(os.listdir(frappe.get_site_path("private", "files"))), on_disk_before)
		self.assertFalse(frappe.db.exists("Email Queue Recipient", {"recipient": lead.email_id}))

	def test_records_the_user_cannot_read_are_refused(self):
		template = make_template("Lead")
		lead = make_lead(email=unique_email("bulk.perm"), first_name="Bulk Perm")
		outsider = make_user("sign.only@example.com", ["Sign User"])
		with self.set_user(outsider):
			batch = desk.start_bulk_send("Lead", [lead.name], template, None)
			status = desk.bulk_send_status(batch["batch"])
		self.assertEqual(status["results"][0]["status"], "Refused")
		self.assertFalse(frappe.db.exists("Sign Request", {"reference_name": lead.name}))

	def test_only_the_sender_reads_a_batch_and_limits_are_checked(self):
		template = make_template("Lead")
		lead = make_lead(email=unique_email("bulk.owner"), first_name="Bulk Owner")
		batch = desk.start_bulk_send("Lead", [lead.name], template, None)["batch"]
		other = make_user("sales.sign@example.com", ["Sign User", "Sales User"])
		with self.set_user(other), self.assertRaises(frappe.DoesNotExistError):
			desk.bulk_send_status(batch)
		with self.assertRaises(frappe.ValidationError):
			desk.start_bulk_send("Lead", [f"L{i}" for i in range(bulk_send.MAX_RECORDS + 1)], template)
		with self.assertRaises(frappe.ValidationError):  # a Lead template for Opportunities
			desk.start_bulk_send("Opportunity", ["x"], template)
		with self.assertRaises(frappe.ValidationError):
			desk.start_bulk_send("Lead", [], template)
		with self.assertRaises(frappe.ValidationError):
			desk.start_bulk_send("Lead", [lead.name], template, "Pigeon")

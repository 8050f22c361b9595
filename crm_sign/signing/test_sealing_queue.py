"""Sealing is worked off a work queue by drain jobs; each seal is idempotent and stands on its own."""

from unittest.mock import patch

import frappe

from crm_sign.signing import finalize, requests
from crm_sign.tests.fixtures import ensure_outgoing_email_account, make_lead, make_template, sign_next

try:
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

QUEUE = finalize.SEALING


class TestSealingQueue(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()
		QUEUE.clear()

	def tearDown(self):
		frappe.set_user("Administrator")
		QUEUE.clear()

	def signed_request(self):
		uid = frappe.generate_hash(length=8)
		lead = make_lead(email=f"sealing.{uid}@example.com", mobile=None, last_name=f"Sealing {uid}")
		request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		with patch.object(finalize, "enqueue_finalize"):  # signed by everyone, not sealed yet
			while any(
				r.status in ("Pending", "Viewed")
				for r in frappe.get_doc("Sign Request", request.name).signers
			):
				sign_next(request)
		frappe.db.commit()  # a drain works in its own transactions, after the signatures committed
		return request

	def test_a_drain_seals_every_queued_request_once(self):
		first, second = self.signed_request(), self.signed_request()
		self.assertTrue(QUEUE.take_slot(0) and QUEUE.take_slot(1))  # as while drains run
		for request in (first, second, first):  # a repeat is harmless
			QUEUE.push({"request_name": request.name})
		self.assertEqual(finalize.drain(0), 3)
		for request in (first, second):
			request.reload()
			self.assertEqual(request.status, "Completed")
			self.assertTrue(request.signed_pdf)
		self.assertEqual(QUEUE.waiting(), 0)
		self.assertFalse(QUEUE.slot_taken(0))
		self.assertEqual(
			frappe.db.count("File", {"attached_to_name": first.name, "attached_to_field": "signed_pdf"}), 1
		)

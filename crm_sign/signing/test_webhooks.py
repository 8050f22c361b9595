"""Frappe's own Webhook doctype on Sign Request: every status change reaches the receiver, signed with
the webhook's secret (the example in the README is this test's payload)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import frappe

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from frappe.integrations.doctype.webhook import flush_webhook_execution_queue

from crm_sign.signing import requests
from crm_sign.tests.fixtures import ensure_outgoing_email_account, make_lead, make_template, sign_everyone

SECRET = "whsec-crm-sign-test"
PAYLOAD = (
	'{"request": "{{ doc.name }}", "status": "{{ doc.status }}", '
	'"reference_doctype": "{{ doc.reference_doctype }}", "reference_name": "{{ doc.reference_name }}", '
	'"final_sha256": "{{ doc.final_sha256 or \'\' }}"}'
)


class Receiver:
	"""A loopback HTTP endpoint that records each POST's body and signature header."""

	def __init__(self):
		self.received: list[tuple[bytes, str]] = []
		outer = self

		class Handler(BaseHTTPRequestHandler):
			def do_POST(self):
				body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
				outer.received.append((body, self.headers.get("X-Frappe-Webhook-Signature") or ""))
				self.send_response(200)
				self.send_header("Content-Length", "0")
				self.end_headers()

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_port}/crm-sign"
		threading.Thread(target=self.server.serve_forever, daemon=True).start()

	def close(self):
		self.server.shutdown()


class TestSignRequestWebhooks(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		ensure_outgoing_email_account()
		self.receiver = Receiver()
		self.webhook = frappe.get_doc(
			{
				"doctype": "Webhook",
				"name": f"crm_sign test {frappe.generate_hash(length=8)}",  # named by prompt in some versions
				"webhook_doctype": "Sign Request",
				"webhook_docevent": "on_change",
				"enabled": 1,
				"request_url": self.receiver.url,
				"request_method": "POST",
				"request_structure": "JSON",
				"webhook_json": PAYLOAD,
				"enable_security": 1,
				"webhook_secret": SECRET,
				"webhook_headers": [{"key": "Content-Type", "value": "application/json"}],
			}
		).insert(ignore_permissions=True)

	def tearDown(self):
		self.receiver.close()
		frappe.db.rollback()
		# Frappe's webhook job commits (its request log), which commits our Webhook too: delete it for
		# good, or every later test on the site would call a receiver that is gone.
		frappe.db.delete("Webhook Request Log", {"webhook": self.webhook.name})
		frappe.db.delete("Webhook Header", {"parent": self.webhook.name})
		frappe.db.delete("Webhook", {"name": self.webhook.name})
		frappe.db.commit()  # nosemgrep: undoing the commit Frappe's webhook job made
		frappe.cache.delete_value("webhooks")  # Frappe caches the list of webhooks

	def make_request(self):
		uid = frappe.generate_hash(length=8)
		lead = make_lead(email=f"webhook.{uid}@example.com", last_name=f"Webhook {uid}")
		request = requests.create_sign_request(lead, make_template("Lead"), channel="Email")
		request.reload()
		return request

	def statuses(self) -> list[str]:
		flush_webhook_execution_queue()  # what the commit does after a real request
		found = []
		for body, signature in self.receiver.received:
			expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
			self.assertEqual(signature, expected, "the body is signed with the webhook's secret")
			found.append(json.loads(body)["status"])
		self.receiver.received.clear()
		return found

	def test_each_status_change_reaches_the_webhook_signed_with_its_secret(self):
		request = self.make_request()
		self.assertEqual(self.statuses(), ["Sent"])
		sign_everyone(request)
		self.assertEqual(self.statuses(), ["Completed"])  # one call per request and transaction

	def test_a_declined_request_reports_its_status(self):
		request = self.make_request()
		self.statuses()
		row = next(r for r in request.signers if r.status == "Pending")
		requests.decline(request, row, "Price too high")
		self.assertEqual(self.statuses(), ["Declined"])

"""The signing page and its guest endpoints, called the way a browser calls them.

Every endpoint call goes through frappe.handler.execute_cmd as Guest with a request, an IP and a user
agent, so the whitelist, the HTTP method check, Frappe's rate limiter and the guest sanitising of
arguments all run. Each test uses its own client IP, because rate-limit counters live in Redis and
outlive the test transaction.
"""

from __future__ import annotations

import base64
import io
import random
from unittest.mock import patch

import frappe
import frappe.handler
from frappe.utils import add_days, now_datetime, set_request
from PIL import Image

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.engine import tokens
from crm_sign.engine.pdf import read_pdf
from crm_sign.engine.render import render_page
from crm_sign.engine.seal import certificate_pem, verify_pdf
from crm_sign.signing import files, requests, signer_session
from crm_sign.signing.seal_certificate import site_seal_certificate
from crm_sign.signing.signer_session import FAILED_LOOKUP_LIMIT
from crm_sign.signing.test_sign_requests import emailed_token
from crm_sign.tests.fixtures import (
	TEMPLATE_FIELDS,
	ensure_outgoing_email_account,
	make_lead,
	make_template,
	signature_data_url,
)

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
PHONE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) crm-sign-test"


def random_ip() -> str:
	return "10.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))


class Guest:
	"""One browser: an IP, a user agent, its cookies, and calls through Frappe's request handler as
	Guest (or as `user`, for a company signer signing in their desk session)."""

	def __init__(
		self, ip: str | None = None, user_agent: str = PHONE_UA, user: str = "Guest", lang: str = "en"
	):
		self.ip = ip or random_ip()
		self.user_agent = user_agent
		self.user = user
		self.lang = lang  # what Frappe reads from the page's _lang for a real request
		self.cookies: dict[str, str] = {}

	def _request(self, method: str, path: str) -> None:
		from frappe.auth import CookieManager

		frappe.set_user(self.user)
		headers = {"User-Agent": self.user_agent}
		if self.cookies:
			headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
		set_request(method=method, path=path, headers=headers)
		frappe.local.request_ip = self.ip
		frappe.local.lang = self.lang
		frappe.local.response = frappe._dict()
		frappe.local.message_log = []
		frappe.local.cookie_manager = CookieManager()

	def _keep_cookies(self) -> None:
		for key, cookie in frappe.local.cookie_manager.cookies.items():
			self.cookies[key] = cookie["value"]

	def call(self, name: str, http_method: str = "POST", **args):
		cmd = f"crm_sign.api.guest.{name}"
		self._request(http_method, f"/api/method/{cmd}")
		frappe.local.form_dict = frappe._dict(cmd=cmd, **args)
		try:
			result = frappe.handler.execute_cmd(cmd)
			self._keep_cookies()
			return result
		finally:
			frappe.set_user("Administrator")
			frappe.local.lang = "en"

	def page(self, token: str) -> tuple[int, str]:
		from frappe.website.serve import get_response

		path = f"/sign/{token}"
		self._request("GET", path)
		frappe.local.form_dict = frappe._dict()
		try:
			response = get_response(path)
			self._keep_cookies()
			return response.status_code, response.get_data(as_text=True)
		finally:
			frappe.set_user("Administrator")


class TestGuestSigning(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls._mute_emails = frappe.flags.mute_emails
		ensure_outgoing_email_account()  # mails are queued; tests never reach an SMTP server
		# The endpoints commit like real requests; here everything stays in the class transaction,
		# which the test case rolls back at the end.
		cls._commit = patch.object(frappe.db, "commit")
		cls._commit.start()

	@classmethod
	def tearDownClass(cls):
		cls._commit.stop()
		frappe.flags.mute_emails = cls._mute_emails
		frappe.set_user("Administrator")
		super().tearDownClass()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.request = None
		frappe.local.request_ip = None

	# ------------------------------------------------------------------ fixtures

	def make_template(self, signing_order: str = "Company first", otp_method: str = "None") -> str:
		"""The shared test contract, with the client's text, checkbox, initials and e-mail by box."""

		def boxed(label, field_type, page, x, y, w, h, required=1):
			return {
				"field_label": label,
				"field_type": field_type,
				"filled_by": "Counterparty",
				"page": page,
				"pos_x": x,
				"pos_y": y,
				"width": w,
				"height": h,
				"required": required,
			}

		return make_template(
			"Lead",
			f"Guest Test {frappe.generate_hash(length=8)}",
			signing_order=signing_order,
			otp_method=otp_method,
			company_signer="Administrator",
			channel="Email",
			fields=[
				*TEMPLATE_FIELDS,
				boxed("Job title", "Text", 2, 0.30, 0.885, 0.45, 0.022),
				boxed("I accept the terms", "Checkbox", 2, 0.08, 0.885, 0.03, 0.021),
				boxed("Initials", "Initials", 1, 0.80, 0.93, 0.10, 0.04),
				boxed("Backup e-mail", "Email", 2, 0.30, 0.915, 0.45, 0.022, required=0),
			],
		)

	def make_request(self, signing_order: str = "Company first", otp_method: str = "None"):
		uid = frappe.generate_hash(length=8)
		lead = make_lead(email=f"ayse.{uid}@example.com", last_name=f"Yılmaz {uid}")
		request = requests.create_sign_request(
			lead, self.make_template(signing_order, otp_method), channel="Email"
		)
		request.reload()
		return request

	def link_for(self, request, role: str) -> str:
		"""A fresh token for the signer of `role` (the one in the e-mail is replaced, as on resend)."""
		request.reload()
		row = next(r for r in request.signers if r.signer_role == role)
		url = requests.issue_link(request, row)
		return url.rsplit("/sign/", 1)[1]

	def signer(self, request, role: str):
		return next(r for r in frappe.get_doc("Sign Request", request.name).signers if r.signer_role == role)

	def events(self, request, event: str) -> list:
		return frappe.get_all(
			"Sign Audit Event",
			filters={"sign_request": request.name, "event": event},
			fields=["event", "actor", "ip_address", "user_agent", "document_sha256", "data"],
			order_by="seq asc",
		)

	def counterparty_values(self, request, **overrides) -> dict:
		fields = {f.field_label: f.field_name for f in request.field_values if f.filled_by == "Counterparty"}
		values = {
			fields["Client name"]: "Ayşe Test",
			fields["Job title"]: "Satın Alma Müdürü",
			fields["I accept the terms"]: "1",
			fields["Initials"]: signature_data_url("AT"),
			fields["Backup e-mail"]: "",
		}
		for label, value in overrides.items():
			values[fields[label]] = value
		return values

	def sign(self, guest: Guest, token: str, values: dict | None = None, signature: str | None = None):
		"""Sign the document the link shows now, as the page does (it sends that document's hash)."""
		request, _row = requests.find_signer_by_token(token)
		shown = requests.current_document_sha256(request) if request else ""
		return guest.call(
			"sign",
			token=token,
			signature=signature or signature_data_url(),
			values=frappe.as_json(values or {}),
			consent="1",
			document_sha256=shown,
		)

	def sign_as_company(self, request) -> None:
		token = self.link_for(request, "Company")
		user = self.signer(request, "Company").user
		self.sign(Guest(user_agent="Mozilla/5.0 (X11; Linux x86_64) desk", user=user), token)

	# ------------------------------------------------------------------ tests

	def test_guessed_or_truncated_token_gives_404_then_429(self):
		"""Unknown and malformed tokens look alike; after the limit the IP gets 429, even for a real link."""
		request = self.make_request()
		real = self.link_for(request, "Company")
		guesser = Guest()

		status, html = guesser.page(tokens.new_token())
		self.assertEqual(status, 404)
		self.assertIn("This link is not valid", html)
		self.assertNotIn("Traceback", html)

		status, _html = guesser.page(real[:-3])
		self.assertEqual(status, 404)
		with self.assertRaises(frappe.DoesNotExistError):
			guesser.call("open_document", token=real[:20])
		with self.assertRaises(frappe.DoesNotExistError):
			guesser.call("document", http_method="GET", token="not-a-token")

		for _ in range(FAILED_LOOKUP_LIMIT - 4):
			status, _html = guesser.page(tokens.new_token())
			self.assertEqual(status, 404)

		status, html = guesser.page(tokens.new_token())
		self.assertEqual(status, 429)
		self.assertIn("Too many attempts", html)
		status, _html = guesser.page(real)
		self.assertEqual(status, 429, "a blocked IP learns nothing, not even about a real token")
		with self.assertRaises(frappe.RateLimitExceededError):
			guesser.call("open_document", token=real)

		# another IP still opens the real link (the company's: it asks for the company's login)
		status, html = Guest().page(real)
		self.assertEqual(status, 200)
		self.assertIn('data-state="login"', html)

	def test_the_token_is_exchanged_for_a_cookie(self):
		"""Finding 13.5: the token stayed in the address bar and in the page's data."""
		request = self.make_request(signing_order="Parallel")
		token = self.link_for(request, "Counterparty")
		guest = Guest()
		status, html = guest.page(token)
		self.assertEqual(status, 200)
		self.assertNotIn(token, html)
		link = signer_session.link_id(token)
		self.assertEqual(guest.cookies.get(signer_session.LINK_COOKIE.format(link)), token)
		self.assertIn(f'"link": "{link}"', html)
		self.assertEqual(guest.call("open_document", link=link)["state"], "open")
		with self.assertRaises(frappe.DoesNotExistError):
			Guest().call("open_document", link=link)  # the name alone opens nothing

	def test_viewed_is_recorded_once_with_ip_and_user_agent(self):
		request = self.make_request(signing_order="Counterparty first")
		token = self.link_for(request, "Counterparty")
		guest = Guest()

		status, _html = guest.page(token)
		self.assertEqual(status, 200)
		self.assertFalse(self.events(request, "viewed"), "rendering the page (a GET) records nothing")

		data = guest.call("open_document", token=token)
		self.assertEqual(data["state"], "open")
		self.assertEqual({f["label"] for f in data["fields"]} >= {"Client signature", "Job title"}, True)
		self.assertFalse(any(f["label"].startswith("Company") for f in data["fields"]))
		guest.call("open_document", token=token)

		viewed = self.events(request, "viewed")
		self.assertEqual(len(viewed), 1)
		self.assertEqual(viewed[0].ip_address, guest.ip)
		self.assertEqual(viewed[0].user_agent, PHONE_UA)
		self.assertEqual(self.signer(request, "Counterparty").status, "Viewed")
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Viewed")

	def test_one_time_code_send_verify_and_failures(self):
		request = self.make_request(signing_order="Counterparty first", otp_method="Email")
		token = self.link_for(request, "Counterparty")
		guest = Guest()

		data = guest.call("open_document", token=token)
		self.assertTrue(data["code_required"])
		self.assertEqual(data["fields"], [], "nothing of the document before the code")
		self.assertFalse(self.events(request, "viewed"))
		with self.assertRaises(frappe.PermissionError):
			guest.call("document", http_method="GET", token=token)
		with self.assertRaises(frappe.PermissionError):
			self.sign(guest, token, self.counterparty_values(request))

		codes: list[str] = []
		real_issue = tokens.issue_code

		def capture(*args, **kwargs):
			code, state = real_issue(*args, **kwargs)
			codes.append(code)
			return code, state

		with patch("crm_sign.signing.signer_session.tokens.issue_code", side_effect=capture):
			sent = guest.call("send_code", token=token)
		self.assertEqual(len(codes), 1)
		self.assertIn("@", sent["sent_to"])
		self.assertNotIn(self.signer(request, "Counterparty").email, sent["sent_to"], "the address is masked")
		self.assertTrue(frappe.get_all("Email Queue", filters={"reference_name": request.name}))

		wrong = "000000" if codes[0] != "000000" else "111111"
		with self.assertRaises(frappe.ValidationError) as failure:
			guest.call("verify_code", token=token, code=wrong)
		self.assertIn("4", str(failure.exception))
		self.assertEqual(guest.call("open_document", token=token)["code_attempts_left"], 4)

		data = guest.call("verify_code", token=token, code=codes[0])
		self.assertFalse(data["code_required"])
		self.assertTrue(data["fields"])
		self.assertEqual(
			[
				e.event
				for e in frappe.get_all(
					"Sign Audit Event",
					filters={"sign_request": request.name},
					fields=["event"],
					order_by="seq asc",
				)
				if e.event.startswith("code")
			],
			["code_sent", "code_failed", "code_verified"],
		)
		self.assertEqual(len(self.events(request, "viewed")), 1)
		guest.call("document", http_method="GET", token=token)
		request.reload()
		self.assertEqual(frappe.local.response.filecontent, files.current_document(request))

	def test_five_wrong_codes_lock_the_link(self):
		request = self.make_request(signing_order="Counterparty first", otp_method="Email")
		token = self.link_for(request, "Counterparty")
		guest = Guest()
		codes: list[str] = []
		real_issue = tokens.issue_code

		def capture(*args, **kwargs):
			code, state = real_issue(*args, **kwargs)
			codes.append(code)
			return code, state

		with patch("crm_sign.signing.signer_session.tokens.issue_code", side_effect=capture):
			guest.call("send_code", token=token)
		wrong = "000000" if codes[0] != "000000" else "111111"
		for attempt in range(tokens.CODE_MAX_ATTEMPTS):
			with self.assertRaises(frappe.ValidationError):
				guest.call("verify_code", token=token, code=wrong)
			left = guest.call("open_document", token=token)["code_attempts_left"]
			self.assertEqual(left, tokens.CODE_MAX_ATTEMPTS - attempt - 1)

		data = guest.call("open_document", token=token)
		self.assertTrue(data["code_locked"])
		with self.assertRaises(frappe.ValidationError) as locked:
			guest.call("verify_code", token=token, code=codes[0])
		self.assertIn("locked", str(locked.exception))
		with self.assertRaises(frappe.ValidationError):
			guest.call("send_code", token=token)
		# a locked link checks nothing, so it logs nothing more
		self.assertEqual(len(self.events(request, "code_failed")), tokens.CODE_MAX_ATTEMPTS)
		self.assertFalse(self.events(request, "code_verified"))

	def test_sign_completes_seals_and_link_then_shows_completed(self):
		request = self.make_request()  # Company first
		self.sign_as_company(request)
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Partially Signed")

		token = self.link_for(request, "Counterparty")
		guest = Guest()
		self.assertEqual(guest.call("open_document", token=token)["state"], "open")
		values = self.counterparty_values(request)
		signature = signature_data_url("Ayşe Test")
		result = self.sign(guest, token, values, signature)
		self.assertEqual(result, {"status": "Completed", "state": "completed"})

		request.reload()
		self.assertEqual(request.status, "Completed")
		row = self.signer(request, "Counterparty")
		self.assertEqual(row.status, "Signed")
		self.assertEqual(row.ip_address, guest.ip)
		self.assertEqual(row.user_agent, PHONE_UA)
		self.assertEqual(row.signature_image, signature)
		stored = {f.field_label: f.value for f in request.field_values if f.filled_by == "Counterparty"}
		self.assertEqual(stored["Job title"], "Satın Alma Müdürü")
		self.assertEqual(stored["I accept the terms"], "1")
		self.assertEqual(stored["Client signature"], signature)
		self.assertEqual(stored["Client date"], frappe.utils.formatdate(frappe.utils.nowdate()))

		signed = [e for e in self.events(request, "signed") if '"Counterparty"' in e.data]
		self.assertEqual(len(signed), 1)
		self.assertEqual(signed[0].ip_address, guest.ip)
		self.assertEqual(signed[0].user_agent, PHONE_UA)
		# the counterparty was shown, and signed, the document with the company's values stamped in
		self.assertEqual(signed[0].document_sha256, request.current_sha256 or request.original_sha256)
		self.assertIn("signature_sha256", signed[0].data)

		self.assertTrue(request.signed_pdf)
		sealed = files.signed_document(request)
		verdict = verify_pdf(sealed, certificate_pem(site_seal_certificate()))
		self.assertTrue(verdict.ok, verdict)
		self.assertTrue(frappe.db.exists("File", {"file_url": request.signed_pdf, "is_private": 1}))
		self.assertTrue(self.events(request, "completed"))

		# the link now shows the completed state and serves the sealed copy
		status, html = guest.page(token)
		self.assertEqual(status, 200)
		self.assertIn('data-state="completed"', html)
		self.assertIn("Everyone has signed", html)
		self.assertEqual(guest.call("open_document", token=token)["state"], "completed")
		guest.call("document", http_method="GET", token=token, download="1")
		self.assertEqual(frappe.local.response.filecontent, sealed)
		self.assertEqual(frappe.local.response.display_content_as, "attachment")
		with self.assertRaises(frappe.ValidationError):
			self.sign(guest, token, values, signature)
		with self.assertRaises(frappe.ValidationError):
			guest.call("decline", token=token, reason="changed my mind")
		self.assertEqual(len([e for e in self.events(request, "signed") if '"Counterparty"' in e.data]), 1)

	def test_pages_are_images_of_the_document_the_signer_is_shown(self):
		request = self.make_request()  # Company first
		self.sign_as_company(request)
		token = self.link_for(request, "Counterparty")
		guest = Guest()
		opened = guest.call("open_document", token=token)
		self.assertEqual(opened["pages"], [[595.28, 841.89], [595.28, 841.89]])
		guest.call("page", http_method="GET", token=token, n="1", w="700")
		response = frappe.local.response
		self.assertEqual((response.content_type, response.display_content_as), ("image/webp", "inline"))
		image = Image.open(io.BytesIO(response.filecontent))
		self.assertEqual(image.size[0], 800)
		# The image is of the current document: the company's signature is in it, cached by its hash.
		request.reload()
		current = files.current_document(request)
		self.assertEqual(response.filecontent, render_page(current, 0, 800))
		with self.assertRaises(frappe.DoesNotExistError):
			guest.call("page", http_method="GET", token=token, n="9", w="700")
		with self.assertRaises(frappe.DoesNotExistError):  # no token, no page
			Guest().call("page", http_method="GET", token="x" * 43, n="1", w="700")
		# Once signed, the page images are closed like the document.
		self.sign(guest, token, self.counterparty_values(request), signature_data_url("Ayşe Test"))
		with self.assertRaises(frappe.PermissionError):
			guest.call("page", http_method="GET", token=token, n="1", w="700")

	def test_company_signs_first_when_the_order_says_so(self):
		request = self.make_request(signing_order="Company first")
		counterparty = self.link_for(request, "Counterparty")
		guest = Guest()
		self.assertEqual(guest.call("open_document", token=counterparty)["state"], "waiting")
		_status, html = guest.page(counterparty)
		self.assertIn('data-state="waiting"', html)
		with self.assertRaises(frappe.ValidationError) as early:
			self.sign(guest, counterparty, self.counterparty_values(request))
		self.assertIn("not your turn", str(early.exception))
		self.assertFalse(self.events(request, "signed"))

		self.sign_as_company(request)
		# the invitation carries a fresh link; the one issued before the turn came no longer works
		with self.assertRaises(frappe.DoesNotExistError):
			guest.call("open_document", token=counterparty)
		invited = emailed_token(request.name, self.signer(request, "Counterparty").email)
		self.assertEqual(guest.call("open_document", token=invited)["state"], "open")

	def test_decline_needs_a_reason_and_closes_the_request(self):
		request = self.make_request(signing_order="Parallel")
		token = self.link_for(request, "Counterparty")
		guest = Guest()
		with self.assertRaises(frappe.ValidationError):
			guest.call("decline", token=token, reason="   ")
		guest.call("decline", token=token, reason="Fiyat yüksek / price too high")

		request.reload()
		self.assertEqual(request.status, "Declined")
		self.assertEqual(request.declined_reason, "Fiyat yüksek / price too high")
		declined = self.events(request, "declined")
		self.assertEqual(len(declined), 1)
		self.assertEqual(declined[0].ip_address, guest.ip)
		data = guest.call("open_document", token=token)
		self.assertEqual(data["state"], "declined")
		self.assertEqual(data["declined_reason"], "Fiyat yüksek / price too high")
		with self.assertRaises(frappe.ValidationError):
			self.sign(guest, token, self.counterparty_values(request))
		company = self.link_for(request, "Company")
		self.assertEqual(guest.call("open_document", token=company)["state"], "declined")
		comment = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Lead",
				"reference_name": request.reference_name,
				"content": ("like", "%declined%"),
			},
			pluck="content",
		)
		self.assertTrue(any("price too high" in c for c in comment))

	def test_two_submissions_of_one_signer_give_one_signature(self):
		"""Both submissions hold the state read before either wrote; the row lock lets one through."""
		request = self.make_request(signing_order="Parallel")
		first = frappe.get_doc("Sign Request", request.name)
		second = frappe.get_doc("Sign Request", request.name)
		row_1 = next(r for r in first.signers if r.signer_role == "Counterparty")
		row_2 = next(r for r in second.signers if r.signer_role == "Counterparty")
		values = self.counterparty_values(request)
		requests.record_signature(first, row_1, values, signature_data_url())
		with self.assertRaises(frappe.ValidationError):
			requests.record_signature(second, row_2, values, signature_data_url("Other"))
		signed = [e for e in self.events(request, "signed") if '"Counterparty"' in e.data]
		self.assertEqual(len(signed), 1)
		self.assertEqual(self.signer(request, "Counterparty").signature_image, signature_data_url())

	def test_script_payloads_are_escaped_on_page_pdf_certificate_and_timeline(self):
		request = self.make_request(signing_order="Company first")
		request.db_set("title", f"Contract {PAYLOAD}")
		counterparty = self.signer(request, "Counterparty")
		counterparty.db_set("signer_name", f"Ayşe {PAYLOAD}")
		self.sign_as_company(request)
		token = self.link_for(request, "Counterparty")

		status, html = Guest().page(token)
		self.assertEqual(status, 200)
		self.assertNotIn(PAYLOAD, html)
		self.assertIn(ESCAPED, html)
		self.assertIn("\\u003cscript\\u003e", html, "the page data for sign.js is escaped JSON")

		values = self.counterparty_values(request, **{"Job title": PAYLOAD, "Client name": PAYLOAD})
		self.sign(Guest(), token, values)
		request.reload()
		self.assertEqual(request.status, "Completed")
		stored = {f.field_label: f.value for f in request.field_values}
		self.assertEqual(stored["Job title"], PAYLOAD, "stored as typed, escaped where shown")

		reader = read_pdf(files.signed_document(request))
		pages = ["".join(page.extract_text().split()) for page in reader.pages]
		document_text = "".join(pages[:2])
		certificate_text = "".join(pages[2:])
		self.assertIn(PAYLOAD, document_text, "the typed text is stamped literally")
		self.assertIn(PAYLOAD, certificate_text, "the signer's name is printed literally on the certificate")
		self.assertNotIn("&lt;", certificate_text)

		comments = frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Lead", "reference_name": request.reference_name},
			pluck="content",
		)
		self.assertTrue(comments)
		for content in comments:
			self.assertNotIn(PAYLOAD, content or "")
		self.assertTrue(any(ESCAPED in (c or "") for c in comments))

		status, html = Guest().page(token)
		self.assertIn('data-state="completed"', html)
		self.assertNotIn(PAYLOAD, html)

	def test_the_certificate_speaks_each_signers_language(self):
		"""The company signs in English in the desk, the customer in Turkish on the page: the certificate
		is printed in both, with translated event names and every time carrying its offset."""
		request = self.make_request(signing_order="Company first")
		self.sign_as_company(request)
		token = self.link_for(request, "Counterparty")
		self.sign(Guest(lang="tr"), token, self.counterparty_values(request))
		request.reload()
		self.assertEqual(request.status, "Completed")
		self.assertEqual(self.signer(request, "Counterparty").language, "tr")
		self.assertEqual(self.signer(request, "Company").language, "en")
		pages = [page.extract_text() for page in read_pdf(files.signed_document(request)).pages]
		first_tr = next(i for i, text in enumerate(pages) if "Tamamlanma Sertifikası" in text)
		first_en = next(i for i, text in enumerate(pages) if "Certificate of Completion" in text)
		# One section per language (in the order of the signer rows); a section may take several pages.
		turkish = "\n".join(pages[first_tr : first_en if first_tr < first_en else None])
		english = "\n".join(pages[first_en : first_tr if first_en < first_tr else None])
		self.assertIn("İmzalandı", turkish)  # the "signed" events, in Turkish
		self.assertIn("Signed", english)
		self.assertRegex(turkish, r"\d\d:\d\d:\d\d UTC[+-]\d\d:\d\d")
		self.assertIn(frappe.utils.get_system_timezone(), english.replace("\n", ""))

	def test_bad_signature_images_are_refused_clearly(self):
		from PIL import Image

		request = self.make_request(signing_order="Parallel")
		token = self.link_for(request, "Counterparty")
		values = self.counterparty_values(request)
		guest = Guest()

		jpeg = io.BytesIO()
		Image.new("RGB", (40, 20), "white").save(jpeg, format="JPEG")
		noise = io.BytesIO()
		Image.frombytes("RGB", (700, 700), random.randbytes(700 * 700 * 3)).save(noise, format="PNG")
		self.assertGreater(len(noise.getvalue()), 500_000)
		cases = {
			"data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode(): "PNG",
			"data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode(): "not usable",
			"data:image/png;base64,!!!notbase64": "damaged",
			"data:image/png;base64," + base64.b64encode(noise.getvalue()).decode(): "too large",
			"javascript:alert(1)": "PNG",
		}
		for signature, message in cases.items():
			with self.assertRaises(frappe.ValidationError) as refused:
				self.sign(guest, token, values, signature)
			self.assertIn(message, str(refused.exception), signature[:40])
		bad_initials = self.counterparty_values(
			request, Initials="data:image/gif;base64,R0lGODlhAQABAAAAACw="
		)
		with self.assertRaises(frappe.ValidationError):
			self.sign(guest, token, bad_initials)
		self.assertFalse(self.events(request, "signed"))
		self.assertEqual(self.signer(request, "Counterparty").status, "Pending")

	def test_expired_link_shows_expired(self):
		request = self.make_request(signing_order="Parallel")
		token = self.link_for(request, "Counterparty")
		row = self.signer(request, "Counterparty")
		row.db_set("token_expires_on", add_days(now_datetime(), -1))
		guest = Guest()
		status, html = guest.page(token)
		self.assertEqual(status, 200)
		self.assertIn('data-state="expired"', html)
		self.assertEqual(guest.call("open_document", token=token)["state"], "expired")
		with self.assertRaises(frappe.ValidationError):
			self.sign(guest, token, self.counterparty_values(request))

	def test_state_changes_need_post(self):
		request = self.make_request(signing_order="Parallel")
		token = self.link_for(request, "Counterparty")
		with self.assertRaises(frappe.PermissionError):
			Guest().call("decline", http_method="GET", token=token, reason="x")
		self.assertEqual(frappe.db.get_value("Sign Request", request.name, "status"), "Sent")

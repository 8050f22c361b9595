"""An adversary's view, through real HTTP against the running bench (`bench serve` plus a worker).

Three kinds of caller: a guest holding a link, a Sign User who may read one Lead (a User Permission),
and a Sign Manager. Fixtures are committed, because the web server reads them on its own connection;
every name is unique, so reruns on the same site do not collide. Where concurrency matters the
requests really run at the same time (threads released together by a barrier).

The web server's address is the site's own URL (host_name), or $CRM_SIGN_URL. It must be running:
.ci/bench starts it before the tests, and a missing server fails the suite with one clear line.
"""

from __future__ import annotations

import email
import hashlib
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import frappe
import requests as http
from frappe.installer import update_site_config
from frappe.utils.password import update_password

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.engine.seal import certificate_pem, verify_pdf
from crm_sign.signing import requests
from crm_sign.signing.audit_log import verify_request_chain
from crm_sign.signing.client import counter_key
from crm_sign.signing.seal_certificate import site_seal_certificate
from crm_sign.signing.signer_session import FAILED_LOOKUPS
from crm_sign.tests.fixtures import (
	TEMPLATE_FIELDS,
	contract_file,
	ensure_outgoing_email_account,
	make_lead,
	sign_everyone,
	signature_data_url,
)

PASSWORD = "Adversary-Test-9!"
GUEST_API = "/api/method/crm_sign.api.guest."
LINK = re.compile(r"(https?://[^\s\"'<>]*)/sign/([A-Za-z0-9_-]{43})")


SERVER = {}  # the server's URL and the site, read once: the test threads have no frappe.local


def base_url() -> str:
	return SERVER["url"]


class Browser:
	"""One browser session: cookies, optional desk login, calls as a browser makes them."""

	def __init__(self, user: str | None = None, headers: dict | None = None):
		self.session = http.Session()
		self.session.headers["X-Frappe-Site-Name"] = SERVER["site"]
		self.session.headers.update(headers or {})
		if user:
			response = self.session.post(
				base_url() + "/api/method/login", data={"usr": user, "pwd": PASSWORD}, timeout=30
			)
			assert response.status_code == 200, (
				f"login as {user}: {response.status_code} {response.text[:200]}"
			)

	def post(self, path: str, **data) -> http.Response:
		return self.session.post(base_url() + path, data=data, timeout=60)

	def get(self, path: str, **params) -> http.Response:
		return self.session.get(base_url() + path, params=params, timeout=60)

	def put(self, path: str, json: dict) -> http.Response:
		return self.session.put(base_url() + path, json=json, timeout=60)

	def guest(self, method: str, **data) -> http.Response:
		return self.post(GUEST_API + method, **data)


def make_http_user(email_id: str, roles: list[str]) -> str:
	if not frappe.db.exists("User", email_id):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email_id,
				"first_name": email_id.split("@")[0],
				"send_welcome_email": 0,
			}
		)
		user.insert(ignore_permissions=True)
		user.add_roles(*roles)
	update_password(email_id, PASSWORD)
	return email_id


def fresh_db() -> None:
	"""End this connection's snapshot, so rows the web server committed are visible."""
	frappe.db.commit()  # nosemgrep: the fixtures and the server's writes must be shared


def queued_messages(request_name: str, recipient: str) -> list[str]:
	"""Decoded bodies of the request's queued e-mails to `recipient`, newest first."""
	fresh_db()
	bodies = []
	for queue in frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Sign Request", "reference_name": request_name},
		fields=["name", "message"],
		order_by="creation desc",
	):
		if recipient not in frappe.get_all(
			"Email Queue Recipient", {"parent": queue.name}, pluck="recipient"
		):
			continue
		parsed = email.message_from_string(queue.message)
		parts = parsed.walk() if parsed.is_multipart() else [parsed]
		bodies.append(
			"".join(
				(part.get_payload(decode=True) or b"").decode("utf-8", "replace")
				for part in parts
				if part.get_content_maintype() == "text"
			)
		)
	return bodies


class TestAdversaryHTTP(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		SERVER.update(
			url=(os.environ.get("CRM_SIGN_URL") or frappe.utils.get_url()).rstrip("/"), site=frappe.local.site
		)
		try:
			http.get(base_url() + "/api/method/ping", timeout=10).raise_for_status()
		except Exception as e:
			raise AssertionError(
				f"crm_sign adversary suite: no web server answers at {base_url()} ({e}); start `bench serve` "
				"and a worker first (.ci/bench does)"
			)
		ensure_outgoing_email_account()
		uid = frappe.generate_hash(length=6)
		cls.company_user = make_http_user(f"adv-company-{uid}@example.com", ["Sign User", "Sales User"])
		cls.sign_user = make_http_user(f"adv-user-{uid}@example.com", ["Sign User", "Sales User"])
		cls.manager = make_http_user(f"adv-manager-{uid}@example.com", ["Sign Manager", "Sales User"])
		cls.lead_a = make_lead(email=f"adv-a-{uid}@example.com", mobile=None, last_name=f"A {uid}")
		cls.lead_b = make_lead(email=f"adv-b-{uid}@example.com", mobile=None, last_name=f"B {uid}")
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": cls.sign_user,
				"allow": "Lead",
				"for_value": cls.lead_a.name,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		cls.templates = {}
		for order in ("Company first", "Parallel", "Counterparty first"):
			for otp in ("None", "Email"):
				cls.templates[order, otp] = (
					frappe.get_doc(
						{
							"doctype": "Sign Template",
							"template_name": f"Adversary {order} {otp} {uid}",
							"reference_doctype": "Lead",
							"source_type": "Uploaded PDF",
							"pdf_file": contract_file(),
							"signing_order": order,
							"otp_method": otp,
							"company_signer": cls.company_user,
							"fields": TEMPLATE_FIELDS,
						}
					)
					.insert(ignore_permissions=True)
					.name
				)
		fresh_db()

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.cache.delete_value(counter_key(FAILED_LOOKUPS, "127.0.0.1"))

	def make_request(self, lead=None, order: str = "Company first", otp: str = "None"):
		request = requests.create_sign_request(
			lead or self.lead_a, self.templates[order, otp], channel="Email"
		)
		fresh_db()
		return frappe.get_doc("Sign Request", request.name)

	def token_for(self, request, role: str) -> str:
		request.reload()
		row = next(r for r in request.signers if r.signer_role == role)
		token = requests.issue_link(request, row).rsplit("/sign/", 1)[1]
		fresh_db()
		return token

	def values_for(self, request) -> dict:
		"""The counterparty's own values: its name (the signature and the date fill themselves)."""
		names = {f.field_label: f.field_name for f in request.field_values if f.filled_by == "Counterparty"}
		return {names["Client name"]: "Adversary Test"}

	def sign(self, browser: Browser, token: str, request, **extra) -> http.Response:
		"""Sign as the page does: with the hash of the document shown now, unless a test gives one."""
		if "document_sha256" not in extra:
			fresh_db()
			current, original = frappe.db.get_value(
				"Sign Request", request.name, ["current_sha256", "original_sha256"]
			)
			extra["document_sha256"] = current or original
		return browser.guest(
			"sign",
			token=token,
			signature=signature_data_url("Adversary"),
			values=frappe.as_json(self.values_for(request) if extra.pop("counterparty", True) else {}),
			consent="1",
			**extra,
		)

	def wait_for_status(self, name: str, status: str, seconds: int = 120) -> str:
		deadline = time.monotonic() + seconds
		current = None
		while time.monotonic() < deadline:
			fresh_db()
			current = frappe.db.get_value("Sign Request", name, "status")
			if current == status:
				return current
			time.sleep(1)
		self.fail(f"{name} stayed {current}, expected {status} (is a worker running?)")

	# ------------------------------------------------------------------ immutable after send

	def test_nobody_rewrites_a_sent_request_through_rest(self):
		"""Finding 8.1: a Sign User (and a Sign Manager) edited signer e-mails, values and files."""
		request = self.make_request()
		before = frappe.get_doc("Sign Request", request.name).as_dict()
		counterparty = next(r for r in before.signers if r.signer_role == "Counterparty")
		for user in (self.sign_user, self.manager):
			browser = Browser(user)
			doc = browser.get(f"/api/resource/Sign Request/{request.name}").json()["data"]
			for row in doc["signers"]:
				if row["signer_role"] == "Counterparty":
					row["email"] = "attacker@example.com"
			for row in doc["field_values"]:
				row["value"] = "tampered"
				row["page"] = 2
			doc["unsigned_pdf"] = "/private/files/other.pdf"
			response = browser.put(f"/api/resource/Sign Request/{request.name}", json=doc)
			self.assertIn(response.status_code, (403, 417), response.text[:300])
			response = browser.post(
				"/api/method/frappe.client.set_value",
				doctype="Sign Request Signer",
				name=counterparty.name,
				fieldname="email",
				value="attacker@example.com",
			)
			self.assertNotEqual(response.status_code, 200, response.text[:300])
		fresh_db()
		after = frappe.get_doc("Sign Request", request.name)
		self.assertEqual(
			next(r for r in after.signers if r.signer_role == "Counterparty").email, counterparty.email
		)
		self.assertEqual(after.unsigned_pdf, before.unsigned_pdf)
		self.assertEqual(
			[(r.value, r.page) for r in after.field_values], [(r.value, r.page) for r in before.field_values]
		)
		self.assertFalse(frappe.has_permission("Sign Request", "write", after, user=self.manager))

	def test_child_rows_follow_the_record(self):
		"""Finding 13.2: a Sign User restricted to one Lead listed every request's signers and values."""
		mine = self.make_request(self.lead_a)
		other = self.make_request(self.lead_b)
		browser = Browser(self.sign_user)
		for doctype in ("Sign Request Signer", "Sign Request Value"):
			response = browser.get(
				f"/api/resource/{doctype}",
				fields='["parent", "name"]',
				parent="Sign Request",
				limit_page_length=0,
			)
			self.assertEqual(response.status_code, 200, response.text[:300])
			parents = {row["parent"] for row in response.json()["data"]}
			self.assertIn(mine.name, parents, doctype)
			self.assertNotIn(other.name, parents, doctype)
		self.assertEqual(browser.get(f"/api/resource/Sign Request/{other.name}").status_code, 403)

	# ------------------------------------------------------------------ envelopes

	def make_envelope(self, lead):
		"""A request of two documents (the class's template twice over, as two templates), signed by
		both parties in-process and sealed inline (run-tests sets in_test)."""
		if not getattr(type(self), "second_template", None):
			type(self).second_template = (
				frappe.get_doc(
					{
						"doctype": "Sign Template",
						"template_name": f"Adversary envelope NDA {frappe.generate_hash(length=6)}",
						"reference_doctype": "Lead",
						"source_type": "Uploaded PDF",
						"pdf_file": contract_file(),
						"fields": [f for f in TEMPLATE_FIELDS if f["filled_by"] != "Company"],
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		request = requests.create_sign_request(
			lead,
			self.templates["Counterparty first", "None"],
			channel="Email",
			documents=[{"template": self.second_template}],
		)
		sign_everyone(request)
		fresh_db()
		request = frappe.get_doc("Sign Request", request.name)
		self.assertEqual(request.status, "Completed", request.last_error)
		self.assertEqual(len(request.documents), 2)
		return request

	def test_an_envelope_through_every_callers_eyes(self):
		"""A guest's link serves only its own envelope's sealed documents, whatever `part` it asks for;
		a Sign User restricted to one Lead sees only that Lead's envelope rows and cannot put another
		Lead's file into an envelope; a Sign Manager cannot rewrite an envelope's rows."""
		mine = self.make_envelope(self.lead_a)
		other = self.make_envelope(self.lead_b)
		mine_sealed = [row.final_sha256 for row in mine.documents]
		other_sealed = {row.final_sha256 for row in other.documents} | {other.final_sha256}

		# A guest holding the client's link of `mine`.
		token = self.token_for(mine, "Counterparty")
		guest = Browser()
		for part, expected in (("1", 0), ("2", 1), ("0", 0), ("99", 1), ("-3", 0), ("x", 0)):
			response = guest.get(GUEST_API + "document", token=token, part=part, download=1)
			self.assertEqual(response.status_code, 200, f"part={part}: {response.text[:200]}")
			digest = hashlib.sha256(response.content).hexdigest()
			self.assertEqual(digest, mine_sealed[expected], f"part={part}")
			self.assertNotIn(digest, other_sealed)

		# A Sign User who may read lead_a only.
		user = Browser(self.sign_user)
		response = user.get(
			"/api/resource/Sign Request Document",
			fields='["parent", "name"]',
			parent="Sign Request",
			limit_page_length=0,
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		parents = {row["parent"] for row in response.json()["data"]}
		self.assertIn(mine.name, parents)
		self.assertNotIn(other.name, parents)
		other_file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"lead-b-{frappe.generate_hash(length=6)}.pdf",
				"content": (b"%PDF-1.4 lead b " + frappe.generate_hash().encode()),
				"is_private": 1,
				"attached_to_doctype": "Lead",
				"attached_to_name": self.lead_b.name,
			}
		).insert(ignore_permissions=True)
		fresh_db()
		before = frappe.db.count("Sign Request", {"reference_name": self.lead_a.name})
		response = user.post(
			"/api/method/crm_sign.api.desk.send",
			doctype="Lead",
			name=self.lead_a.name,
			template=self.templates["Counterparty first", "None"],
			documents=frappe.as_json([{"file_url": other_file.file_url}]),
		)
		self.assertEqual(response.status_code, 403, response.text[:300])
		fresh_db()
		self.assertEqual(frappe.db.count("Sign Request", {"reference_name": self.lead_a.name}), before)

		# A Sign Manager: the rows of a sealed envelope stay as sealing wrote them.
		manager = Browser(self.manager)
		row = mine.documents[1]
		for fieldname, value in (("signed_pdf", other.documents[0].signed_pdf), ("first_page", "1")):
			response = manager.post(
				"/api/method/frappe.client.set_value",
				doctype="Sign Request Document",
				name=row.name,
				fieldname=fieldname,
				value=value,
			)
			self.assertNotEqual(response.status_code, 200, response.text[:300])
		doc = manager.get(f"/api/resource/Sign Request/{mine.name}").json()["data"]
		doc["documents"][1]["final_sha256"] = other.documents[1].final_sha256
		response = manager.put(f"/api/resource/Sign Request/{mine.name}", json=doc)
		self.assertIn(response.status_code, (403, 417), response.text[:300])
		fresh_db()
		after = frappe.get_doc("Sign Request", mine.name)
		self.assertEqual(
			[(r.signed_pdf, r.first_page, r.final_sha256) for r in after.documents],
			[(r.signed_pdf, r.first_page, r.final_sha256) for r in mine.documents],
		)

	def test_a_template_cannot_borrow_a_private_file(self):
		"""Finding 8.2: a template pointed at any private file, then served it through the designer."""
		secret = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"secret-{frappe.generate_hash(length=6)}.pdf",
				# unique bytes: Frappe shares one file among Files of equal content
				"content": b"%PDF-1.4 secret " + frappe.generate_hash().encode(),
				"is_private": 1,
			}
		).insert(ignore_permissions=True)
		fresh_db()
		browser = Browser(self.manager)
		response = browser.post(
			"/api/resource/Sign Template",
			data=frappe.as_json(
				{
					"template_name": f"Borrowed {frappe.generate_hash(length=6)}",
					"reference_doctype": "Lead",
					"source_type": "Uploaded PDF",
					"pdf_file": secret.file_url,
					"fields": TEMPLATE_FIELDS,
				}
			),
		)
		self.assertIn(response.status_code, (403, 417), response.text[:300])
		fresh_db()
		self.assertFalse(
			frappe.db.exists("File", {"file_url": secret.file_url, "attached_to_doctype": "Sign Template"})
		)

	def test_the_signing_page_keeps_its_link_to_itself(self):
		"""Finding 13.5: website scripts ran on /sign/<token>, the token stayed in the page, and no
		Referrer-Policy header was sent."""
		request = self.make_request(order="Parallel")
		token = self.token_for(request, "Counterparty")
		browser = Browser()
		page = browser.get(f"/sign/{token}")
		self.assertEqual(page.status_code, 200)
		self.assertEqual(page.headers.get("Referrer-Policy"), "no-referrer")
		self.assertNotIn(token, page.text)
		self.assertNotIn("frappe-web", page.text, "no website bundle, no Website Settings scripts")
		cookie = page.headers.get("Set-Cookie", "")
		self.assertIn("HttpOnly", cookie)
		self.assertIn("SameSite=Strict", cookie)
		link = re.search(r'"link": "(\w+)"', page.text).group(1)
		opened = browser.guest("open_document", link=link)
		self.assertEqual(opened.json()["message"]["state"], "open")
		self.assertEqual(opened.headers.get("Referrer-Policy"), "no-referrer")
		self.assertEqual(Browser().guest("open_document", link=link).status_code, 404)

	# ------------------------------------------------------------------ one signature, whatever happens

	def test_simultaneous_submissions_give_exactly_one_signature(self):
		"""Finding 8.3: two parallel `sign` POSTs both answered 200 and forked the audit chain."""
		request = self.make_request(order="Parallel")
		token = self.token_for(request, "Counterparty")
		shown = request.current_sha256 or request.original_sha256  # read here: threads have no db
		barrier = threading.Barrier(4)

		def submit(_):
			browser = Browser()
			barrier.wait()
			return self.sign(browser, token, request, document_sha256=shown).status_code

		with ThreadPoolExecutor(4) as pool:
			codes = list(pool.map(submit, range(4)))
		self.assertEqual(codes.count(200), 1, codes)
		fresh_db()
		signed = frappe.get_all(
			"Sign Audit Event", filters={"sign_request": request.name, "event": "signed"}, pluck="name"
		)
		self.assertEqual(len(signed), 1)
		verify_request_chain(request.name)  # raises when two entries share a sequence number

	def test_a_signature_names_the_document_it_was_shown(self):
		"""A signature without the hash of the document the signer saw is refused: the server cannot
		tell what they were shown, and another signer may have signed since."""
		request = self.make_request(order="Counterparty first")
		token = self.token_for(request, "Counterparty")
		response = self.sign(Browser(), token, request, document_sha256="")
		self.assertEqual(response.status_code, 409, response.text)
		fresh_db()
		self.assertFalse(
			frappe.get_all("Sign Audit Event", filters={"sign_request": request.name, "event": "signed"})
		)
		self.assertEqual(self.sign(Browser(), token, request).status_code, 200)

	def test_parallel_signers_at_the_same_instant_each_sign_what_they_saw(self):
		"""Two parallel signers submitting together: the one served second had been shown the
		document before the first signature was stamped into it. It must be asked to look again
		(409), not recorded against the older document, which left the request unsealable."""
		request = self.make_request(order="Parallel")
		tokens = {
			"Counterparty": self.token_for(request, "Counterparty"),
			"Company": self.token_for(request, "Company"),
		}
		browsers = {"Counterparty": Browser(), "Company": Browser(self.company_user)}

		def shown(role: str) -> str:
			opened = browsers[role].guest("open_document", token=tokens[role]).json()["message"]
			return opened["document_sha256"]

		def submit(role: str, document_sha256: str) -> int:
			return self.sign(
				browsers[role],
				tokens[role],
				request,
				counterparty=role == "Counterparty",
				document_sha256=document_sha256,
			).status_code

		seen = {role: shown(role) for role in tokens}
		barrier = threading.Barrier(2)

		def together(role: str) -> int:
			barrier.wait()
			return submit(role, seen[role])

		with ThreadPoolExecutor(2) as pool:
			codes = dict(zip(tokens, pool.map(together, tokens), strict=True))
		self.assertEqual(sorted(codes.values()), [200, 409], codes)
		late = next(role for role, code in codes.items() if code == 409)
		newer = shown(late)
		self.assertNotEqual(newer, seen[late])  # the first signature is in what the late signer sees
		self.assertEqual(submit(late, newer), 200)
		self.wait_for_status(request.name, "Completed")
		fresh_db()
		rows = frappe.get_all(
			"Sign Request Signer",
			filters={"parent": request.name},
			fields=["signer_role", "document_sha256"],
		)
		self.assertEqual({r.signer_role: r.document_sha256 for r in rows}[late], newer)

	# ------------------------------------------------------------------ codes belong to a browser

	def test_the_code_is_bound_to_the_browser_that_entered_it(self):
		"""Finding 8.4: once any browser verified the code, anyone holding the link could sign."""
		request = self.make_request(order="Counterparty first", otp="Email")
		token = self.token_for(request, "Counterparty")
		signer_email = next(r for r in request.signers if r.signer_role == "Counterparty").email
		first, second = Browser(), Browser()
		self.assertEqual(first.guest("send_code", token=token).status_code, 200)
		body = queued_messages(request.name, signer_email)[0]
		found = re.search(r"\bis (\d{6})\b", body) or re.search(r"\b(\d{6})\b", body)
		code = found.group(1)
		self.assertEqual(first.guest("verify_code", token=token, code=code).status_code, 200)
		self.assertEqual(first.get(GUEST_API + "document", token=token).status_code, 200)

		data = second.guest("open_document", token=token).json()["message"]
		self.assertTrue(data["code_required"])
		self.assertEqual(data["fields"], [])
		self.assertEqual(second.get(GUEST_API + "document", token=token).status_code, 403)
		self.assertEqual(self.sign(second, token, request).status_code, 403)
		self.assertEqual(second.guest("decline", token=token, reason="not me").status_code, 403)

		requests.cancel_request(request)
		fresh_db()
		self.assertEqual(first.get(GUEST_API + "document", token=token).status_code, 403)

	def test_wrong_codes_lock_until_a_resend(self):
		"""Finding 8.4: five wrong codes locked a signer for good, even after Resend."""
		request = self.make_request(order="Counterparty first", otp="Email")
		token = self.token_for(request, "Counterparty")
		browser = Browser()
		self.assertEqual(browser.guest("send_code", token=token).status_code, 200)
		for _ in range(5):
			self.assertNotEqual(browser.guest("verify_code", token=token, code="000000").status_code, 200)
		self.assertTrue(browser.guest("open_document", token=token).json()["message"]["code_locked"])
		frappe.set_user("Administrator")
		requests.resend(frappe.get_doc("Sign Request", request.name))
		new_token = self.token_for(request, "Counterparty")
		data = browser.guest("open_document", token=new_token).json()["message"]
		self.assertFalse(data["code_locked"])
		self.assertEqual(data["code_attempts_left"], 5)

	# ------------------------------------------------------------------ who signs for the company

	def test_the_company_signs_only_in_its_own_session_and_links_ignore_the_host_header(self):
		"""Findings 8.5 and 8.6: the company link worked with no session; the next invitation took
		its host from the request; the counterparty never saw the company's values."""
		request = self.make_request(order="Company first")
		token = self.token_for(request, "Company")
		anonymous = Browser()
		self.assertEqual(anonymous.guest("open_document", token=token).json()["message"]["state"], "login")
		self.assertEqual(self.sign(anonymous, token, request, counterparty=False).status_code, 403)
		self.assertEqual(
			self.sign(Browser(self.sign_user), token, request, counterparty=False).status_code, 403
		)

		# Without host_name in the site config, Frappe's get_url takes the host from the request.
		hostile = {"Host": "evil.example.com", "X-Forwarded-Proto": "https"}
		company = Browser(self.company_user, headers=hostile)
		host_name = frappe.conf.get("host_name")
		update_site_config("host_name", "None")
		try:
			response = self.sign(company, token, request, counterparty=False)
		finally:
			update_site_config("host_name", host_name or "None")
			frappe.local.conf.host_name = host_name
		self.assertEqual(response.status_code, 200, response.text[:300])

		signer_email = next(r for r in request.signers if r.signer_role == "Counterparty").email
		links = LINK.findall(queued_messages(request.name, signer_email)[0])
		self.assertTrue(links)
		for host, _token in links:
			self.assertNotIn("evil", host)

		counterparty_token = self.token_for(request, "Counterparty")
		counterparty = Browser()
		page = counterparty.guest("open_document", token=counterparty_token).json()["message"]
		shown = counterparty.get(GUEST_API + "document", token=counterparty_token).content
		request.reload()
		self.assertNotEqual(
			request.current_sha256, request.original_sha256, "the company's values are stamped"
		)
		self.assertEqual(hashlib.sha256(shown).hexdigest(), request.current_sha256)
		self.assertEqual(page["document_sha256"], request.current_sha256)

		stale = self.sign(counterparty, counterparty_token, request, document_sha256=request.original_sha256)
		self.assertEqual(stale.status_code, 409, stale.text[:300])
		response = self.sign(
			counterparty, counterparty_token, request, document_sha256=page["document_sha256"]
		)
		self.assertEqual(response.status_code, 200, response.text[:300])

		self.wait_for_status(request.name, "Completed")
		request.reload()
		signed = frappe.get_all(
			"Sign Audit Event",
			filters={"sign_request": request.name, "event": "signed"},
			fields=["document_sha256"],
			order_by="seq asc",
		)
		self.assertEqual(
			[e.document_sha256 for e in signed], [request.original_sha256, request.current_sha256]
		)
		sealed = counterparty.get(GUEST_API + "document", token=counterparty_token).content
		self.assertTrue(verify_pdf(sealed, certificate_pem(site_seal_certificate())).ok)

"""Guest signing under load: N customers open their link and sign at the same time (issue 11, item 6).

What is measured. N Sign Requests (an uploaded-PDF Sign Template for Lead whose only signer is the
counterparty, N Leads with e-mail addresses) are made in-process with the app's own services
(create_sign_request, then issue_link for the token the e-mail carries). Then N guest clients (threads,
at most --concurrency at a time, all on loopback) each do what the signing page does:
  GET  /sign/<token>                                  the page; its JSON holds the link id and the
                                                      shown document's hash, the token goes into an
                                                      HttpOnly cookie
  GET  /api/method/crm_sign.api.guest.document        the PDF (link + cookie), checked against the hash
  POST /api/method/crm_sign.api.guest.open_document   "viewed" (sign_page.js renderDocument)
  POST /api/method/crm_sign.api.guest.sign            signature PNG data URL, the signer's values as
                                                      JSON, consent, the shown document's hash
  POST /api/method/crm_sign.api.guest.open_document   the page's refresh after signing
Guests send no CSRF token (the page's is empty for Guest, as in sign_page.js). The server is a
production-style gunicorn started by this script (see benchkit.py: the command `bench setup supervisor`
writes, --gunicorn-workers, default 2 x cores + 1, on 127.0.0.1:--port) and one RQ worker seals the
completed requests (the finalize jobs) while the clients sign. Latency per request kind (p50, p95, max)
and throughput are printed against a baseline measured in the same run at the same concurrency:
GET /api/method/ping, as many requests per client as a signer makes, once before and once after the
signing (both rounds pooled). Before measuring, every server process is warmed with the same routes
(unknown tokens, from addresses of their own); a server in production is warm.

Client addresses. The guest endpoints are rate-limited per link and per client address
(crm_sign/signing/client.py), and N clients on loopback share one address. The site is run the way it is
behind one reverse proxy instead: the site config key crm_sign_trusted_proxies is set to 1 for the run
(and put back afterwards), and every client sends its own X-Forwarded-For address (10.x.y.z, new for
every run). The rate limits stay on; the check at the end also asserts that each signature recorded its
client's address.

Checks (exit status 1 when one fails): every response is the expected one; exactly N counterparty rows
(Sign Request Signer) are Signed; every request is sealed (Completed, no finalize error) within
--finalize-timeout. Target (issue 11): p95 under 1 s for every signing request kind.

Run with the bench's Python from anywhere (it commits records and deletes them afterwards; use a site of
your own, whose web server and workers are not shared with somebody's tests):
    /root/bench2/env/bin/python benchmarks/guest_load.py --site load.localhost --bench /root/bench2
A CI smoke: add --signers 5. Options: --port, --gunicorn-workers, --concurrency (default: --signers),
--url (use a server that is already running instead of starting gunicorn; then its workers must run too),
--timeout (seconds per HTTP request), --finalize-timeout, --seal-after (start the sealing worker only
once the clients are done and the baseline measured: the web latency without the seals' CPU, for a
diagnosis), --keep (leave the records).
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import os
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchkit

TARGET_P95 = 1.0
GUEST_API = "/api/method/crm_sign.api.guest."
QUEUES = ["long", "default", "short"]
KINDS = {
	"page": "GET /sign/<token>",
	"document": "GET guest.document (PDF)",
	"open": "POST guest.open_document",
	"sign": "POST guest.sign",
	"reopen": "POST guest.open_document after",
}
BOOT = re.compile(r'<script type="application/json" id="crm-sign-data">(.*?)</script>', re.S)
TEXT_TYPES = ("Text", "Long Text", "Full Name", "Email", "Phone")  # sign_page.js TEXT_TYPES
FIELDS = [
	{
		"field_label": "Customer",
		"field_type": "Text",
		"filled_by": "Prefilled",
		"source": "lead_name",
		"page": 1,
		"pos_x": 0.35,
		"pos_y": 0.80,
		"width": 0.5,
		"height": 0.03,
	},
	{
		"field_label": "Client name",
		"field_type": "Full Name",
		"filled_by": "Counterparty",
		"anchor": "{{name:client}}",
	},
	{
		"field_label": "Client signature",
		"field_type": "Signature",
		"filled_by": "Counterparty",
		"anchor": "{{sign:client}}",
	},
	{
		"field_label": "Client date",
		"field_type": "Date",
		"filled_by": "Counterparty",
		"anchor": "{{date:client}}",
	},
]


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--bench", default=os.environ.get("CRM_SIGN_BENCH", "/opt/frappe-bench"))
	parser.add_argument("--signers", type=int, default=50)
	parser.add_argument("--concurrency", type=int, default=0, help="clients at a time (default: --signers)")
	parser.add_argument("--port", type=int, default=8011)
	parser.add_argument("--gunicorn-workers", type=int, default=benchkit.default_web_workers())
	parser.add_argument("--url", help="a running server of this site (default: start gunicorn on --port)")
	parser.add_argument("--timeout", type=float, default=30.0, help="seconds per HTTP request")
	parser.add_argument("--finalize-timeout", type=float, default=600.0)
	parser.add_argument(
		"--seal-after",
		action="store_true",
		help="start the sealing worker only after the clients (web latency without its CPU)",
	)
	parser.add_argument("--keep", action="store_true")
	args = parser.parse_args()
	args.bench = os.path.abspath(args.bench)
	args.concurrency = args.concurrency or args.signers
	return args


@dataclass
class Client:
	request: str
	token: str
	address: str
	name: str
	signature: str = ""
	timings: list[tuple[str, float]] = field(default_factory=list)
	errors: list[str] = field(default_factory=list)


def main() -> int:
	args = parse_args()
	os.chdir(os.path.join(args.bench, "sites"))
	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	benchkit.quiet_css_parser()
	run = frappe.generate_hash(length=8)
	made: dict[str, list[str]] = {"Lead": [], "Sign Template": [], "File": []}
	failures: list[str] = []
	try:
		with benchkit.LoadMonitor() as load, trusted_proxies(frappe):
			clients, create_seconds = make_requests(args, run, made)
			with benchkit.Processes(args.bench) as processes:
				url = start_servers(args, processes)
				warm_up(args, url, run)
				baseline = [run_clients(args, url, ping_flow, baseline_clients(args, run, 0))]
				results = run_clients(args, url, sign_flow, clients)
				baseline.append(run_clients(args, url, ping_flow, baseline_clients(args, run, 1)))
				if args.seal_after:
					start_worker(args, processes)
				sealed = wait_for_seals(args, [c.request for c in clients])
			failures += check(args, clients, sealed)
			report(args, results, baseline, sealed, create_seconds, failures, load)
	finally:
		if not args.keep:
			cleanup(made)
		frappe.destroy()
	return 1 if failures else 0


# -- setup -------------------------------------------------------------------------------------------


class trusted_proxies:
	"""crm_sign_trusted_proxies = 1 in the site config for the run, then as it was."""

	KEY = "crm_sign_trusted_proxies"

	def __init__(self, frappe):
		self.frappe = frappe

	def __enter__(self):
		from frappe.installer import update_site_config

		self.before = self.frappe.get_site_config().get(self.KEY)
		if self.before is None:
			update_site_config(self.KEY, 1)
		elif int(self.before) != 1:
			sys.exit(f"{self.KEY} is {self.before} on this site; the benchmark simulates exactly one proxy")
		return self

	def __exit__(self, *exc):
		from frappe.installer import update_site_config

		if self.before is None:
			update_site_config(self.KEY, "None")  # removes the key


def make_requests(args, run: str, made: dict[str, list[str]]) -> tuple[list[Client], float]:
	"""The template, N Leads and their sent requests, committed; the counterparty's token of each."""
	import frappe

	from crm_sign.signing.requests import create_sign_request, issue_link
	from crm_sign.tests.fixtures import make_lead, signature_data_url

	benchkit.outgoing_email_account()
	source = benchkit.contract_file(f"crm-sign-load-{run}.pdf", made)
	template = frappe.get_doc(
		{
			"doctype": "Sign Template",
			"template_name": f"crm_sign guest load {run}",
			"reference_doctype": "Lead",
			"source_type": "Uploaded PDF",
			"pdf_file": source.file_url,
			"signing_order": "Counterparty first",
			"roles": [{"signer_role": "Counterparty", "signing_step": 1}],
			"otp_method": "None",
			"channel": "Email",
			"fields": FIELDS,
		}
	).insert(ignore_permissions=True)
	made["Sign Template"].append(template.name)
	frappe.db.commit()  # nosemgrep: the web server reads these on its own connections
	addresses = client_addresses(run, "sign", args.signers)
	clients = []
	seconds = 0.0
	for i in range(args.signers):
		lead = make_lead(
			email=f"load.{run}.{i}@example.com", mobile=None, first_name="Load", last_name=f"Signer {i} {run}"
		)
		made["Lead"].append(lead.name)
		start = time.perf_counter()
		request = create_sign_request(lead, template.name, channel="Email")
		seconds += time.perf_counter() - start
		row = next(r for r in request.signers if r.signer_role == "Counterparty")
		token = issue_link(request, row).rsplit("/sign/", 1)[1]
		clients.append(
			Client(request.name, token, addresses[i], lead.lead_name, signature_data_url(lead.lead_name))
		)
		frappe.db.commit()  # nosemgrep: as a desk request would
	return clients, seconds / max(args.signers, 1)


def client_addresses(run: str, purpose: str, count: int) -> list[str]:
	"""Addresses in 10.0.0.0/8, a block of its own for each run and purpose (rate-limit counters of an
	earlier run do not carry over)."""
	if count >= 0xFFF:
		sys.exit("at most 4094 clients")
	start = random.Random(f"{run}:{purpose}").randrange(0, (1 << 24) - 0x1000) & ~0xFFF
	base = int(ipaddress.IPv4Address("10.0.0.0"))
	return [str(ipaddress.IPv4Address(base + start + i + 1)) for i in range(count)]


def start_servers(args, processes: benchkit.Processes) -> str:
	import frappe

	web = None
	if args.url:
		url = args.url.rstrip("/")
	else:
		url = f"http://127.0.0.1:{args.port}"
		if benchkit.answers(url, args.site):
			sys.exit(f"something already answers at {url}; choose another --port or pass --url")
		web = processes.start(
			"gunicorn", benchkit.gunicorn_command(args.bench, args.port, args.gunicorn_workers)
		)
	benchkit.wait_until_up(url, args.site, web)
	if benchkit.queued_jobs(QUEUES):
		print(f"warning: {benchkit.queued_jobs(QUEUES)} jobs of this bench were already queued", flush=True)
	if not args.url and not args.seal_after:
		start_worker(args, processes)
	elif args.url and not benchkit.listening_workers(["long"]):
		sys.exit("no worker of this bench listens on the long queue; the requests would not be sealed")
	frappe.db.rollback()
	return url


def start_worker(args, processes: benchkit.Processes) -> None:
	worker = processes.start("worker", benchkit.worker_command(args.bench, QUEUES))
	benchkit.wait_for_workers(1, QUEUES, [worker])


# -- the clients -------------------------------------------------------------------------------------


class Browser:
	"""One guest's browser: its cookies, its address behind the proxy, the page's headers."""

	def __init__(self, url: str, site: str, address: str, timeout: float, client: Client | None):
		import requests

		self.url = url
		self.timeout = timeout
		self.client = client
		self.session = requests.Session()
		self.session.headers.update(
			{
				"X-Frappe-Site-Name": site,
				"X-Forwarded-For": address,
				"User-Agent": "crm_sign guest_load benchmark",
				"Accept-Language": "en",
			}
		)

	def call(self, kind: str, method: str, path: str, **kwargs):
		start = time.perf_counter()
		response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
		response.content  # the whole body, as the browser waits for it
		if self.client is not None:
			self.client.timings.append((kind, time.perf_counter() - start))
		return response

	def api(self, kind: str, name: str, data: dict) -> dict:
		response = self.call(
			kind,
			"POST",
			GUEST_API + name,
			data=data,
			headers={"Accept": "application/json", "X-Frappe-CSRF-Token": ""},
		)
		if response.status_code != 200:
			raise Failure(f"{name}: HTTP {response.status_code} {response.text[:200]}")
		return response.json()["message"]


class Failure(Exception):
	pass


def sign_flow(args, url: str, client: Client) -> None:
	browser = Browser(url, args.site, client.address, args.timeout, client)
	page = browser.call("page", "GET", f"/sign/{client.token}")
	if page.status_code != 200:
		raise Failure(f"page: HTTP {page.status_code}")
	found = BOOT.search(page.text)
	if not found:
		raise Failure("page: no crm-sign-data")
	boot = json.loads(found.group(1))
	data = boot["page"]
	if data["state"] != "open" or client.token in page.text:
		raise Failure(f"page: state {data['state']}, token in page: {client.token in page.text}")
	link = boot["link"]
	document = browser.call(
		"document", "GET", GUEST_API + "document", params={"link": link, "_lang": boot["lang"]}
	)
	if document.status_code != 200 or not document.content.startswith(b"%PDF"):
		raise Failure(f"document: HTTP {document.status_code} {document.headers.get('Content-Type')}")
	if hashlib.sha256(document.content).hexdigest() != data["document_sha256"]:
		raise Failure("document: not the document whose hash the page shows")
	opened = browser.api("open", "open_document", {"link": link, "_lang": boot["lang"]})
	if opened["state"] != "open":
		raise Failure(f"open_document: state {opened['state']}")
	values = {}
	for f in data["fields"]:  # sign_page.js prefill() and submit()
		if f["type"] == "Full Name":
			values[f["name"]] = f["value"] or data["signer_name"] or ""
		elif f["type"] in TEXT_TYPES:
			values[f["name"]] = f["value"] or ""
		elif f["type"] == "Checkbox":
			values[f["name"]] = "1" if f["value"] == "1" else "0"
	signed = browser.api(
		"sign",
		"sign",
		{
			"link": link,
			"_lang": boot["lang"],
			"signature": client.signature,
			"values": json.dumps(values),
			"consent": "1",
			"document_sha256": data["document_sha256"],
		},
	)
	if signed.get("state") != "signed":
		raise Failure(f"sign: {signed}")
	after = browser.api("reopen", "open_document", {"link": link, "_lang": boot["lang"]})
	if after["state"] not in ("signed", "completed"):
		raise Failure(f"open_document after signing: state {after['state']}")


def ping_flow(args, url: str, client: Client) -> None:
	browser = Browser(url, args.site, client.address, args.timeout, client)
	for _ in KINDS:  # as many requests as a signer makes
		response = browser.call("ping", "GET", "/api/method/ping")
		if response.status_code != 200 or response.json().get("message") != "pong":
			raise Failure(f"ping: HTTP {response.status_code}")


def baseline_clients(args, run: str, round_no: int) -> list[Client]:
	addresses = client_addresses(run, f"baseline{round_no}", args.signers)
	return [Client("", "", address, "") for address in addresses]


def run_clients(args, url: str, flow, clients: list[Client]) -> tuple[list[Client], float]:
	"""Every client's flow, at most --concurrency at a time, released together; and the wall time."""
	gate = threading.Event()

	def one(client: Client) -> None:
		gate.wait()
		try:
			flow(args, url, client)
		except Failure as e:
			client.errors.append(str(e))
		except Exception as e:
			client.errors.append(f"{type(e).__name__}: {e}")

	with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
		futures = [pool.submit(one, client) for client in clients]
		start = time.perf_counter()
		gate.set()
		budget = args.timeout * (len(KINDS) + 1) * max(len(clients) / args.concurrency, 1) + 30
		_, pending = wait(futures, timeout=budget)
		if pending:
			for future in pending:
				future.cancel()
			raise RuntimeError(f"{len(pending)} clients did not finish within {budget:.0f} s")
		wall = time.perf_counter() - start
	return clients, wall


def warm_up(args, url: str, run: str) -> None:
	"""Every server process has served each route once (unknown tokens, 404; addresses of their own)."""
	count = max(args.gunicorn_workers, 1) * 3
	addresses = client_addresses(run, "warm-up", count)

	def one(i: int) -> None:
		browser = Browser(url, args.site, addresses[i], args.timeout, None)
		bogus = frappe_hash(43)
		browser.call("", "GET", "/api/method/ping")
		browser.call("", "GET", f"/sign/{bogus}")
		browser.call("", "POST", GUEST_API + "open_document", data={"token": bogus})

	with ThreadPoolExecutor(max_workers=count) as pool:
		list(pool.map(one, range(count)))


def frappe_hash(length: int) -> str:
	alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	return "".join(random.SystemRandom().choice(alphabet) for _ in range(length))


# -- results ---------------------------------------------------------------------------------------


def wait_for_seals(args, requests: list[str]) -> dict:
	"""Until every request is Completed (or failed to seal, or the time is up)."""
	import frappe

	start = time.perf_counter()
	while True:
		frappe.db.rollback()  # a fresh snapshot
		rows = frappe.get_all(
			"Sign Request",
			filters={"name": ("in", requests)},
			fields=["name", "status", "completed_on", "last_error", "finalize_attempts"],
		)
		done = [r for r in rows if r.status == "Completed"]
		failed = [r for r in rows if r.last_error]
		if len(done) + len(failed) >= len(requests) or time.perf_counter() - start > args.finalize_timeout:
			break
		time.sleep(1)
	signed_on = frappe.get_all(
		"Sign Request Signer",
		filters={"parent": ("in", requests), "signer_role": "Counterparty"},
		fields=["parent", "status", "signed_on", "ip_address"],
	)
	return {"rows": rows, "done": done, "failed": failed, "signers": signed_on}


def check(args, clients: list[Client], sealed: dict) -> list[str]:
	failures = [f"{c.request}: {e}" for c in clients for e in c.errors]
	signed = [s for s in sealed["signers"] if s.status == "Signed"]
	if len(signed) != args.signers:
		failures.append(f"{len(signed)} counterparty signatures recorded, expected {args.signers}")
	by_request = {c.request: c.address for c in clients}
	wrong = [s.parent for s in signed if s.ip_address != by_request.get(s.parent)]
	if wrong:
		failures.append(f"{len(wrong)} signatures did not record their client's address (e.g. {wrong[0]})")
	if len(sealed["done"]) != args.signers:
		failures.append(
			f"{len(sealed['done'])} of {args.signers} requests sealed"
			+ (f"; finalize errors: {sealed['failed'][0].last_error}" if sealed["failed"] else "")
		)
	return failures


def report(args, results, baseline, sealed, create_seconds, failures, load) -> None:
	from frappe.utils import get_datetime

	results, wall = results
	timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
	for client in results:
		for kind, seconds in client.timings:
			timings[kind].append(seconds)
	base = [seconds for round_, _ in baseline for client in round_ for _, seconds in client.timings]
	base_errors = sum(len(c.errors) for round_, _ in baseline for c in round_)
	base_rate = len(base) / sum(seconds for _, seconds in baseline)
	pct = benchkit.percentile
	b50, b95, bmax = pct(base, 50), pct(base, 95), max(base, default=float("nan"))
	server = args.url or f"gunicorn -w {args.gunicorn_workers} on 127.0.0.1:{args.port}"
	sealing = "started after the clients" if args.seal_after else "sealing while they sign"
	print(
		f"\nGuest signing load: {args.signers} signers, {args.concurrency} clients at a time, "
		f"{server}, 1 RQ worker {sealing}"
	)
	print(
		f"{'request':32} {'n':>4} {'err':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
		f"{'p50/base':>9} {'p95/base':>9} {'max/base':>9} {'p95<1s':>7}"
	)
	all_signing: list[float] = []
	for kind, label in KINDS.items():
		values = timings[kind]
		all_signing += values
		_row(label, values, 0, (b50, b95, bmax), pct(values, 95) < TARGET_P95)
	errors = sum(len(c.errors) for c in results)
	_row("all signing requests", all_signing, errors, (b50, b95, bmax), pct(all_signing, 95) < TARGET_P95)
	_row("baseline GET ping (2 rounds)", base, base_errors, (b50, b95, bmax), None)
	signing_rate = len(all_signing) / wall if wall else 0
	print(
		f"throughput: {signing_rate:.1f} signing requests/s, {args.signers / wall:.2f} signatures/s "
		f"({args.signers} flows in {wall:.2f} s)"
	)
	print(f"baseline:   {base_rate:.1f} ping requests/s (signing/ping {signing_rate / base_rate:.3f})")
	signed = [s for s in sealed["signers"] if s.signed_on]
	completed = [r for r in sealed["done"] if r.completed_on]
	if signed and completed:
		first = min(get_datetime(s.signed_on) for s in signed)
		last = max(get_datetime(r.completed_on) for r in completed)
		span = (last - first).total_seconds()
		delays = {s.parent: get_datetime(s.signed_on) for s in signed}
		waits = [
			(get_datetime(r.completed_on) - delays[r.name]).total_seconds()
			for r in completed
			if r.name in delays
		]
		done_at = sorted(get_datetime(r.completed_on) for r in completed)
		each = (done_at[-1] - done_at[0]).total_seconds() / max(len(done_at) - 1, 1)
		print(
			f"sealing (1 RQ worker, queue long): {len(completed)} of {args.signers} Completed, the last "
			f"{span:.1f} s after the first signature; {each:.2f} s per request between the first and "
			f"the last seal; signature to sealed: p50 {pct(waits, 50):.1f} s, max {max(waits):.1f} s"
		)
	print(f"making the requests in-process: {create_seconds * 1000:.0f} ms per create_sign_request")
	print(f"counterparty signatures recorded: {len([s for s in sealed['signers'] if s.status == 'Signed'])}")
	print(load.summary())
	slow = [KINDS[k] for k in KINDS if pct(timings[k], 95) >= TARGET_P95]
	print(f"target p95 < {TARGET_P95:.0f} s: " + ("PASS" if not slow else "FAIL (" + ", ".join(slow) + ")"))
	print("checks: " + ("PASS" if not failures else "FAIL"))
	for failure in failures[:20]:
		print(f"  {failure}")


def _row(label: str, values: list[float], errors: int, base: tuple[float, float, float], ok) -> None:
	pct = benchkit.percentile
	p50, p95, top = pct(values, 50), pct(values, 95), max(values, default=float("nan"))
	verdict = "" if ok is None else ("yes" if ok else "NO")
	print(
		f"{label:32} {len(values):4d} {errors:4d} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {top * 1000:8.1f} "
		f"{p50 / base[0]:9.2f} {p95 / base[1]:9.2f} {top / base[2]:9.2f} {verdict:>7}"
	)


def cleanup(made: dict[str, list[str]]) -> None:

	benchkit.delete_sign_requests("Lead", made["Lead"])
	benchkit.delete_template_files(made)
	benchkit.delete_records("Sign Template", made["Sign Template"])
	benchkit.delete_records("Lead", made["Lead"])


if __name__ == "__main__":
	sys.exit(main())

"""Bulk stage moves on a real bench: how long until every Sign Request is Sent (issue 11, item 1).

What is measured. For each template kind (an uploaded PDF, and a Print Format rendered by Frappe with
wkhtmltopdf) and each worker count (1, then 2): --records new Opportunities are moved into a sales
stage watched by a Sign Automation Rule with the desk's own bulk edit, called over HTTP as the list
view calls it (POST frappe.desk.doctype.bulk_update.bulk_update.submit_cancel_or_update_docs, logged in;
from 20 records on Frappe queues the saves as one background job). Timed from the desk call until every
request is Sent (the rule's drain jobs on queue "default", automation/stage_queue.py), with the call
itself, the moment all saves are done, and for 1 worker the worker time per request: (all Sent - saves
done) / records, since one worker first does the saves and then the drains. Each job is Frappe's forking RQ worker:
a fresh fork per job (benchkit.py). Also printed: the time inside each job's Sign Automation Run
(created before the request is made, finished after it is sent).

Before that, in this process, the per-request breakdown of create_sign_request (plus the job's commit)
for each kind, each record in a fresh frappe.local with the engine's caches emptied, as in a forked job:
--profile records timed with low-overhead wall-clock wrappers on the functions of each bucket, and
--profile more under cProfile (its call graph grouped the same way; cProfile roughly doubles pypdf's
call-heavy text extraction). Buckets, by what create_sign_request calls: render (frappe.get_print, or
reading the uploaded PDF), the PDF check (crm_sign/engine/pdf.py prepare_pdf: qpdf/pyhanko structure
check, the trial stamp + seal + verify), anchors (place_fields), prefilled values, stamp (values and
verification footer), Sign Request insert, File save, audit log, sending (Email Queue; link, status),
commit, other; then the top entries by cumulative time. A fresh process measures the one-time cost of
the first create_sign_request in a process (imports, caches): what every forked job pays again.

Needs a site whose ERPNext setup is complete (a Company, the Sales Stages; on a test site
`bench --site S execute crm_sign.install.before_tests` does it), no Opportunity automation of its own,
the Administrator's password (--password, default $CRM_SIGN_PASSWORD or "admin", as the browser tests),
and wkhtmltopdf. This script starts what it needs and stops it at the end: gunicorn on --port for the
desk call (the command `bench setup supervisor` writes), the site's own web server (`frappe serve`) at
its host_name when nothing answers there (wkhtmltopdf fetches the print CSS from it), and the workers.

Run with the bench's Python from anywhere (it commits records and deletes them afterwards; use a site of
your own):
    /root/bench2/env/bin/python benchmarks/bulk.py --site load.localhost --bench /root/bench2
A CI smoke: --records 10 --profile 3. Options: --kinds pdf,print, --workers 1,2, --timeout (seconds
to wait for a phase), --port, --gunicorn-workers, --top (profile entries printed), --keep, --preload
(the workers import crm_sign's signing modules and the PDF and e-mail libraries before they fork, as a
crm_sign/commands.py could make every `bench worker` do: what the per-job imports cost).

Targets (issue 11): uploaded PDF at most 0.15 s worker time per request, Print Format at most 0.8 s;
300 requests from one bulk stage move all Sent within 5 minutes; the desk call under 2 s.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchkit

STAGE_START, STAGE_WATCHED = "Prospecting", "Proposal/Price Quote"
QUEUES = ["short", "default"]  # the bulk edit's job, the rules' jobs
KIND_LABELS = {"pdf": "uploaded PDF", "print": "Print Format"}
TARGET_WORKER_SECONDS = {"pdf": 0.15, "print": 0.8}
TARGET_ALL_SENT, TARGET_RECORDS, TARGET_DESK_CALL = 300.0, 300, 2.0
# What a stage rule's job imports on its way (with --preload the workers import these first).
PRELOAD = [
	"crm_sign.automation.rules",
	"crm_sign.signing.requests",
	"crm_sign.signing.delivery",
	"crm_sign.signing.documents",
	"crm_sign.engine.seal",
	"crm_sign.engine.anchors",
	"pikepdf",
	"pyhanko.sign.signers",
	"pyhanko.sign.validation",
	"frappe.email.queue",
	"frappe.email.doctype.email_queue.email_queue",
]
BULK_EDIT = "/api/method/frappe.desk.doctype.bulk_update.bulk_update.submit_cancel_or_update_docs"

# A two-party agreement about as long as the uploaded sample, with the tags the fixture's fields use.
PRINT_FORMAT_HTML = """
<h2 style="text-align:center">Service Agreement / Hizmet Sözleşmesi</h2>
<p style="text-align:center">{{ doc.name }} &middot; {{ frappe.utils.formatdate(doc.transaction_date) }}</p>
<table class="table table-bordered">
  <tr><th>Provider</th><td>{{ doc.company }}</td></tr>
  <tr><th>Client</th><td>{{ doc.customer_name or doc.party_name }}</td></tr>
  <tr><th>Stage</th><td>{{ doc.sales_stage }}</td></tr>
  <tr><th>Amount</th><td>{{ doc.get_formatted("opportunity_amount") }}</td></tr>
</table>
{% for n in range(1, 13) %}
<p><b>{{ n }}.</b> The Provider delivers the services described in the order with due care and skill,
within the agreed time, and informs the Client without delay of anything that could affect them. The
Client provides the information and access the Provider needs. Fees are invoiced monthly and are due
thirty days after the invoice date; either party may end this agreement with thirty days' notice.</p>
{% endfor %}
<table style="width:100%; margin-top:40px">
  <tr>
    <td style="width:50%">For the Provider<br><br>{% raw %}{{sign:company}}{% endraw %}<br>
      Date: {% raw %}{{date:company}}{% endraw %}</td>
    <td>For the Client<br>{% raw %}{{name:client}}{% endraw %}<br><br>{% raw %}{{sign:client}}{% endraw %}<br>
      Date: {% raw %}{{date:client}}{% endraw %}</td>
  </tr>
</table>
"""

# Functions of the profile, as (file name ending, function name).
CSR = ("crm_sign/signing/requests.py", "create_sign_request")
RENDER = ("crm_sign/signing/documents.py", "render_template_pdf")
CHECK = ("crm_sign/signing/documents.py", "check_pdf")
PREPARE = ("crm_sign/engine/pdf.py", "prepare_pdf")
SEND = ("crm_sign/signing/requests.py", "send_request")
JOB = ("benchmarks/bulk.py", "_profiled_job")


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--bench", default=os.environ.get("CRM_SIGN_BENCH", "/opt/frappe-bench"))
	parser.add_argument("--records", type=int, default=300)
	parser.add_argument("--kinds", default="pdf,print")
	parser.add_argument("--workers", default="1,2")
	parser.add_argument("--profile", type=int, default=20, help="records profiled in-process per kind")
	parser.add_argument("--top", type=int, default=25)
	parser.add_argument("--timeout", type=float, default=1200.0, help="seconds to wait for one phase")
	parser.add_argument("--port", type=int, default=8011)
	parser.add_argument("--gunicorn-workers", type=int, default=benchkit.default_web_workers())
	parser.add_argument("--user", default=os.environ.get("CRM_SIGN_USER", "Administrator"))
	parser.add_argument("--password", default=os.environ.get("CRM_SIGN_PASSWORD", "admin"))
	parser.add_argument(
		"--preload",
		action="store_true",
		help="workers import crm_sign's signing modules before forking (measures the per-job imports)",
	)
	parser.add_argument("--keep", action="store_true")
	parser.add_argument("--cold-probe", nargs=3, help=argparse.SUPPRESS)
	args = parser.parse_args()
	args.bench = os.path.abspath(args.bench)
	args.kinds = [k for k in args.kinds.split(",") if k]
	args.workers = [int(w) for w in args.workers.split(",") if w]
	if set(args.kinds) - set(KIND_LABELS):
		parser.error(f"--kinds: {', '.join(KIND_LABELS)}")
	return args


def main() -> int:
	args = parse_args()
	os.chdir(os.path.join(args.bench, "sites"))
	import frappe

	connect(args.site)
	if args.cold_probe:
		return cold_probe(*args.cold_probe)
	preflight()
	run = frappe.generate_hash(length=8)
	made: dict[str, list[str]] = {"Opportunity": [], "Lead": [], "Sign Template": [], "Print Format": []}
	made.update({"File": [], "Sign Automation Rule": []})
	phases, profiles, colds = [], {}, {}
	try:
		with benchkit.LoadMonitor() as load, benchkit.Processes(args.bench) as processes:
			url = start_web(args, processes)
			desk = desk_session(args, url, run)
			lead, templates = setup(args, run, made)
			for kind in args.kinds:
				profiles[kind] = profile(args, kind, lead, templates[kind], made)
				colds[kind] = cold_cost(args, kind, lead, templates[kind], made)
			for kind in args.kinds:
				rule = make_rule(run, kind, templates[kind], made)
				for workers in args.workers:
					phases.append(phase(args, url, desk, processes, kind, workers, lead, made))
				frappe.db.set_value("Sign Automation Rule", rule, "enabled", 0)
				frappe.db.commit()  # nosemgrep: the next kind's rule alone watches the stage
				clear_index()
			desk.get(url + "/api/method/logout", timeout=60)
		report(args, phases, profiles, colds, load)
	finally:
		if not args.keep:
			cleanup(made)
			forget_session(args, run)
		clear_index()
		frappe.destroy()
	failed = [p for p in phases if p["sent"] < args.records]
	return 1 if failed or len(phases) < len(args.kinds) * len(args.workers) else 0


def connect(site: str) -> None:
	import frappe

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	benchkit.quiet_css_parser()


def clear_index() -> None:
	from crm_sign.automation.index import clear_index

	clear_index()


def preflight() -> None:
	import frappe

	missing = [s for s in (STAGE_START, STAGE_WATCHED) if not frappe.db.exists("Sales Stage", s)]
	if missing or not frappe.get_all("Company", limit=1):
		sys.exit(
			"ERPNext's setup is not complete on this site (no Company or no Sales Stages "
			f"{', '.join(missing)}); on a test site run `bench --site {frappe.local.site} execute "
			"crm_sign.install.before_tests`"
		)
	existing = frappe.get_all(
		"Sign Automation Rule", filters={"reference_doctype": "Opportunity", "enabled": 1}, pluck="name"
	)
	if existing or frappe.db.exists("Workflow", {"document_type": "Opportunity", "is_active": 1}):
		sys.exit(
			f"Opportunity already has automation ({', '.join(existing) or 'a workflow'}); use a clean site"
		)


def start_web(args, processes: benchkit.Processes) -> str:
	"""gunicorn for the desk call, and the site's own server at host_name for wkhtmltopdf's CSS."""
	import frappe

	url = f"http://127.0.0.1:{args.port}"
	if benchkit.answers(url, args.site):
		sys.exit(f"something already answers at {url}; choose another --port")
	web = processes.start("gunicorn", benchkit.gunicorn_command(args.bench, args.port, args.gunicorn_workers))
	benchkit.wait_until_up(url, args.site, web)
	host = frappe.utils.get_url()
	if "print" in args.kinds and not benchkit.answers(host, args.site):
		port = urlparse(host).port or 80
		serve = processes.start(
			"serve",
			[
				os.path.join(args.bench, "env", "bin", "python"),
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				args.site,
				"serve",
				"--port",
				str(port),
				"--noreload",
			],
		)
		benchkit.wait_until_up(host, args.site, serve)
	return url


def setup(args, run: str, made: dict[str, list[str]]):
	import frappe

	from crm_sign.tests.fixtures import TEMPLATE_FIELDS, make_lead

	benchkit.outgoing_email_account()
	lead = make_lead(email=f"bulk.{run}@example.com", mobile=None, last_name=f"Bulk {run}")
	made["Lead"].append(lead.name)
	source = benchkit.contract_file(f"crm-sign-bulk-{run}.pdf", made)
	print_format = frappe.get_doc(
		{
			"doctype": "Print Format",
			"name": f"crm_sign bench {run}",
			"doc_type": "Opportunity",
			"module": "CRM Sign",
			"standard": "No",
			"custom_format": 1,
			"print_format_type": "Jinja",
			"html": PRINT_FORMAT_HTML,
		}
	).insert(ignore_permissions=True)
	made["Print Format"].append(print_format.name)
	sources = {
		"pdf": {"source_type": "Uploaded PDF", "pdf_file": source.file_url},
		"print": {"source_type": "Print Format", "print_format": print_format.name},
	}
	templates = {}
	for kind in args.kinds:
		template = frappe.get_doc(
			{
				"doctype": "Sign Template",
				"template_name": f"crm_sign bench bulk {kind} {run}",
				"reference_doctype": "Opportunity",
				"signing_order": "Counterparty first",
				"fields": TEMPLATE_FIELDS,
				**sources[kind],
			}
		).insert(ignore_permissions=True)
		templates[kind] = template.name
		made["Sign Template"].append(template.name)
	frappe.db.commit()  # nosemgrep: the workers read them on their own connections
	return lead, templates


def make_opportunities(lead, count: int, made: dict[str, list[str]]) -> list[str]:
	import frappe

	from crm_sign.tests.fixtures import make_opportunity

	names = []
	for _ in range(count):
		names.append(make_opportunity(lead, sales_stage=STAGE_START).name)
		made["Opportunity"].append(names[-1])
	frappe.db.commit()  # nosemgrep: the web server and the workers must see them
	return names


def make_rule(run: str, kind: str, template: str, made: dict[str, list[str]]) -> str:
	import frappe

	rule = frappe.get_doc(
		{
			"doctype": "Sign Automation Rule",
			"title": f"bench bulk {kind} {run}",
			"rule_kind": "Rule",
			"reference_doctype": "Opportunity",
			"stage_type": "Field",
			"stage_field": "sales_stage",
			"stage_value": STAGE_WATCHED,
			"template": template,
		}
	).insert()
	made["Sign Automation Rule"].append(rule.name)
	frappe.db.commit()  # nosemgrep: the workers must see the rule
	clear_index()
	return rule.name


# -- the timed phases --------------------------------------------------------------------------------


def phase(args, url: str, desk, processes, kind: str, workers: int, lead, made) -> dict:
	import frappe

	names = make_opportunities(lead, args.records, made)
	if benchkit.queued_jobs(QUEUES):
		print(f"warning: {benchkit.queued_jobs(QUEUES)} jobs were already queued", flush=True)
	preload = PRELOAD if args.preload else None
	started = [
		processes.start(f"worker-{i + 1}", benchkit.worker_command(args.bench, QUEUES, preload))
		for i in range(workers)
	]
	benchkit.wait_for_workers(workers, QUEUES, started)
	start = time.perf_counter()
	response = desk.post(
		url + BULK_EDIT,
		data={
			"doctype": "Opportunity",
			"action": "update",
			"docnames": json.dumps(names),
			"data": json.dumps({"sales_stage": STAGE_WATCHED}),
		},
		headers={"Accept": "application/json"},
		timeout=600,
	)
	desk_call = time.perf_counter() - start
	if response.status_code != 200:
		sys.exit(f"the bulk edit failed: {response.status_code} {response.text[:300]}")
	saves_done = all_sent = None
	sent = failed = moved = 0
	while time.perf_counter() - start < args.timeout:
		frappe.db.rollback()  # a fresh snapshot
		now = time.perf_counter() - start
		if saves_done is None:
			moved = count_in("Opportunity", names, {"sales_stage": STAGE_WATCHED}, "name")
			if moved >= len(names):
				saves_done = now
		sent = count_in("Sign Request", names, {"reference_doctype": "Opportunity", "status": "Sent"})
		failed = count_in(
			"Sign Automation Run", names, {"reference_doctype": "Opportunity", "status": "Failed"}
		)
		if sent + failed >= len(names):
			all_sent = now
			break
		if any(p.poll() is not None for p in started):
			print("a worker exited", flush=True)
			break
		time.sleep(0.5)
	for process in started:
		processes.stop(process)
	left = benchkit.queued_jobs(QUEUES)
	if left:
		print(f"{left} jobs still queued: emptying this bench's queues {', '.join(QUEUES)}", flush=True)
		benchkit.empty_queues(QUEUES)
	runs = []
	for part in benchkit.chunks(names):
		runs += frappe.get_all(
			"Sign Automation Run",
			filters={"reference_doctype": "Opportunity", "reference_name": ("in", part)},
			fields=["status", "creation", "modified"],
		)
	in_job = [(r.modified - r.creation).total_seconds() for r in runs if r.status == "Sent"]
	result = {
		"kind": kind,
		"workers": workers,
		"records": len(names),
		"desk_call": desk_call,
		"saves_done": saves_done,
		"all_sent": all_sent,
		"sent": sent,
		"failed": failed,
		"moved": moved,
		"in_job": in_job,
	}
	print(
		f"{KIND_LABELS[kind]}, {workers} worker(s): desk call {desk_call:.2f} s, {sent} Sent, "
		f"{failed} failed, all in {_s(all_sent)} s",
		flush=True,
	)
	return result


def desk_address(run: str) -> str:
	"""The desk session's own address (sent as X-Forwarded-For), so its login records can be found."""
	return f"192.0.2.{int(run, 16) % 250 + 1}"  # TEST-NET-1


def desk_session(args, url: str, run: str):
	"""A logged-in desk session, as the list view has it."""
	import requests

	desk = requests.Session()
	desk.headers.update({"X-Frappe-Site-Name": args.site, "X-Forwarded-For": desk_address(run)})
	login = desk.post(url + "/api/method/login", data={"usr": args.user, "pwd": args.password}, timeout=60)
	if login.status_code != 200:
		sys.exit(f"login as {args.user} failed ({login.status_code}); pass --password")
	return desk


def forget_session(args, run: str) -> None:
	"""The login and logout records of the benchmark's desk session."""
	import frappe

	frappe.db.delete(
		"Activity Log",
		{"user": args.user, "ip_address": desk_address(run), "operation": ("in", ["Login", "Logout"])},
	)
	frappe.db.commit()  # nosemgrep: the benchmark's traces are gone again


def count_in(doctype: str, names: list[str], filters: dict, field: str = "reference_name") -> int:
	import frappe

	return sum(frappe.db.count(doctype, {**filters, field: ("in", part)}) for part in benchkit.chunks(names))


# -- the profile -----------------------------------------------------------------------------------


def profile(args, kind: str, lead, template: str, made) -> dict:
	"""create_sign_request (and the commit a job does) over --profile records timed with wrappers on
	the functions of each bucket, and over --profile more records under cProfile; each record in a
	fresh frappe.local with empty engine caches (fresh_context). One record first warms the servers."""
	import frappe

	if not args.profile:
		return {}
	names = make_opportunities(lead, 2 * args.profile + 1, made)
	profiler = cProfile.Profile()
	timers = Timers()
	walls: dict[str, list[float]] = {"timed": [], "cProfile": []}
	for i, name in enumerate(names):
		fresh_context(frappe.local.site)
		doc = frappe.get_doc("Opportunity", name)
		mode = "warm-up" if i == 0 else "timed" if i <= args.profile else "cProfile"
		start = time.perf_counter()
		if mode == "timed":
			with timers:
				timers.add("commit", _profiled_job(doc, template))
		elif mode == "cProfile":
			profiler.enable()
			_profiled_job(doc, template)
			profiler.disable()
		else:
			_profiled_job(doc, template)
		if mode != "warm-up":
			walls[mode].append(time.perf_counter() - start)
	path = os.path.join(tempfile.gettempdir(), f"crm_sign_bulk_{kind}.prof")
	profiler.dump_stats(path)
	stats = pstats.Stats(path)
	return {
		"walls": walls,
		"timed": timers.buckets(sum(walls["timed"]), len(walls["timed"])),
		"cProfile": profile_buckets(stats, len(walls["cProfile"])),
		"path": path,
		"stats": stats,
	}


def _profiled_job(doc, template: str) -> float:
	"""What a stage rule's job does for one record, minus the run bookkeeping; returns the commit's time."""
	import frappe

	from crm_sign.signing.requests import create_sign_request

	create_sign_request(doc, template)
	start = time.perf_counter()
	frappe.db.commit()  # nosemgrep: as the job does when it ends
	return time.perf_counter() - start


def fresh_context(site: str) -> None:
	"""A new frappe.local and empty engine caches: what a forked RQ job starts with."""
	import frappe

	from crm_sign.engine import seal
	from crm_sign.signing import text_templates

	frappe.db.commit()  # nosemgrep: nothing is pending; the connection is replaced
	frappe.destroy()
	connect(site)
	for cached in (
		seal.trial_seal,
		seal._trial_certificate,
		seal._trial_page,
		seal._signer,
		seal._bundle_certificate_der,
		text_templates._environment,
		text_templates._compile,
	):
		cached.cache_clear()


BUCKETS = (
	"render: frappe.get_print / the template's PDF",
	"check: qpdf/pyhanko structure",
	"check: trial stamp + seal + verify",
	"check: the rest of prepare_pdf",
	"anchors (place_fields)",
	"prefilled values",
	"stamp (values + footer)",
	"Sign Request insert",
	"file save (File insert)",
	"audit log (log_event)",
	"send: e-mail queue (frappe.sendmail)",
	"send: link, status, the rest",
	"commit",
	"other",
	"total",
)


class Timers:
	"""Wall-clock time spent in the functions that make the buckets (wrappers patched in while active):
	little overhead, unlike cProfile's on pypdf's many small calls."""

	TARGETS = (  # (module, attribute, key); the module's own name, so only calls through it count
		("crm_sign.signing.requests", "render_template_pdf", "render"),
		("crm_sign.signing.documents", "check_pdf", "check"),
		("crm_sign.engine.pdf", "_structure_problem", "structure"),
		("crm_sign.engine.pdf", "_trial_seal_problem", "trial"),
		("crm_sign.signing.requests", "place_fields", "anchors"),
		("crm_sign.signing.requests", "prefilled_values", "prefilled"),
		("crm_sign.signing.requests", "stamp", "stamp"),
		("crm_sign.signing.requests", "verification_footer", "stamp"),
		("crm_sign.crm_sign.doctype.sign_request.sign_request", "SignRequest.insert", "insert"),
		("crm_sign.signing.requests", "save_private_file", "file"),
		("crm_sign.signing.requests", "log_event", "audit"),
		("crm_sign.signing.requests", "send_request", "send"),
		("frappe", "sendmail", "mail"),
	)

	def __init__(self):
		self.seconds: dict[str, float] = {}
		self.saved: list = []

	def add(self, key: str, seconds: float) -> None:
		self.seconds[key] = self.seconds.get(key, 0.0) + seconds

	def __enter__(self):
		import importlib

		for module_name, attribute, key in self.TARGETS:
			owner = importlib.import_module(module_name)
			if "." in attribute:
				class_name, attribute = attribute.split(".")
				owner = getattr(owner, class_name)
			original = owner.__dict__.get(attribute, getattr(owner, attribute))
			self.saved.append((owner, attribute, original, attribute in owner.__dict__))
			setattr(owner, attribute, self._timed(getattr(owner, attribute), key))
		return self

	def __exit__(self, *exc):
		for owner, attribute, original, own in reversed(self.saved):
			if own:
				setattr(owner, attribute, original)
			else:
				delattr(owner, attribute)
		self.saved.clear()

	def _timed(self, fn, key: str):
		def timed(*args, **kwargs):
			start = time.perf_counter()
			try:
				return fn(*args, **kwargs)
			finally:
				self.add(key, time.perf_counter() - start)

		return timed

	def buckets(self, wall: float, count: int) -> dict[str, float]:
		t = self.seconds.get
		values = [
			t("render", 0) - t("check", 0),
			t("structure", 0),
			t("trial", 0),
			t("check", 0) - t("structure", 0) - t("trial", 0),
			t("anchors", 0),
			t("prefilled", 0),
			t("stamp", 0),
			t("insert", 0),
			t("file", 0),
			t("audit", 0),
			t("mail", 0),
			t("send", 0) - t("mail", 0),
			t("commit", 0),
		]
		values += [wall - sum(values), wall]
		return {label: value / max(count, 1) for label, value in zip(BUCKETS, values, strict=True)}


def profile_buckets(stats: pstats.Stats, count: int) -> dict[str, float]:
	"""The same buckets from cProfile's call graph: a callee's cumulative time from one caller."""
	table = stats.stats

	def keys(ref):
		suffix, func = ref
		return [k for k in table if k[2] == func and k[0].endswith(suffix)]

	def edge(caller, callee) -> float:
		total = 0.0
		for callee_key in keys(callee):
			callers = table[callee_key][4]
			for caller_key in keys(caller):
				if caller_key in callers:
					total += callers[caller_key][3]
		return total

	pdf, requests = "crm_sign/engine/pdf.py", "crm_sign/signing/requests.py"
	structure = edge(PREPARE, (pdf, "_structure_problem"))
	trial = edge(PREPARE, (pdf, "_trial_seal_problem"))
	mail = sum(table[k][3] for k in keys(("frappe/__init__.py", "sendmail")))
	values = [
		edge(CSR, RENDER) - edge(RENDER, CHECK),
		structure,
		trial,
		edge(RENDER, CHECK) - structure - trial,
		edge(CSR, ("crm_sign/signing/documents.py", "place_fields")),
		edge(CSR, ("crm_sign/signing/documents.py", "prefilled_values")),
		edge(CSR, (pdf, "stamp")) + edge(CSR, ("crm_sign/signing/verification.py", "verification_footer")),
		edge(CSR, ("frappe/model/document.py", "insert")),
		edge(CSR, (requests, "save_private_file")),
		edge(CSR, ("crm_sign/signing/audit_log.py", "log_event")),
		mail,
		edge(CSR, SEND) - mail,
		edge(JOB, ("frappe/database/database.py", "commit")),
	]
	total = sum(table[k][3] for k in keys(JOB))
	values += [total - sum(values), total]
	return {label: value / max(count, 1) for label, value in zip(BUCKETS, values, strict=True)}


def cold_cost(args, kind: str, lead, template: str, made) -> dict:
	"""The first and the second create_sign_request in a fresh process (see cold_probe)."""
	names = make_opportunities(lead, 2, made)
	command = [sys.executable, os.path.abspath(__file__), "--site", args.site, "--bench", args.bench]
	command += ["--cold-probe", template, *names]
	env = {k: v for k, v in os.environ.items() if k != "CI"}
	done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
	if done.returncode:
		print(f"cold probe failed: {done.stderr[-2000:]}", flush=True)
		return {}
	return json.loads(done.stdout.strip().splitlines()[-1])


def cold_probe(template: str, first: str, second: str) -> int:
	"""In a process that has only connected (as a forked job after frappe.init/connect): the time of
	create_sign_request for `first` (cold) and for `second` (warm), each committed."""
	import frappe

	timings = []
	for name in (first, second):
		doc = frappe.get_doc("Opportunity", name)
		start = time.perf_counter()
		_profiled_job(doc, template)
		timings.append(time.perf_counter() - start)
	print(json.dumps({"cold": timings[0], "warm": timings[1], "modules": len(sys.modules)}))
	frappe.destroy()
	return 0


# -- report ----------------------------------------------------------------------------------------


def report(args, phases: list[dict], profiles: dict, colds: dict, load) -> None:
	pct = benchkit.percentile
	print(
		f"\nBulk stage move of {args.records} Opportunities into a watched stage (desk bulk edit over HTTP, "
		f"gunicorn -w {args.gunicorn_workers}); Frappe's forking RQ workers on {','.join(QUEUES)}"
		+ (", the workers preloading crm_sign's modules (--preload)" if args.preload else "")
	)
	print(
		f"{'template':14} {'workers':>7} {'desk call s':>11} {'saves done s':>12} {'all Sent s':>10} "
		f"{'sent':>5} {'failed':>6} {'req/s':>6} {'worker s/req':>12} {'in job p50':>10} {'in job p95':>10}"
	)
	verdicts = []
	for p in phases:
		rate = p["sent"] / p["all_sent"] if p["all_sent"] else 0.0
		per_request = None
		if p["workers"] == 1 and p["all_sent"] is not None and p["saves_done"] is not None:
			per_request = (p["all_sent"] - p["saves_done"]) / p["records"]
		print(
			f"{KIND_LABELS[p['kind']]:14} {p['workers']:7d} {p['desk_call']:11.2f} {_s(p['saves_done']):>12} "
			f"{_s(p['all_sent']):>10} {p['sent']:5d} {p['failed']:6d} {rate:6.2f} "
			f"{_s(per_request, 3):>12} {pct(p['in_job'], 50):10.3f} {pct(p['in_job'], 95):10.3f}"
		)
		if per_request is not None:
			limit = TARGET_WORKER_SECONDS[p["kind"]]
			verdicts.append(
				f"{KIND_LABELS[p['kind']]} worker time per request <= {limit} s: "
				f"{'PASS' if per_request <= limit else 'FAIL'} ({per_request:.3f} s, {per_request / limit:.1f}x)"
			)
		projected = p["all_sent"] * TARGET_RECORDS / p["records"] if p["all_sent"] and p["sent"] else None
		verdicts.append(
			f"{KIND_LABELS[p['kind']]}, {p['workers']} worker(s): {TARGET_RECORDS} all Sent within "
			f"{TARGET_ALL_SENT:.0f} s: "
			+ (
				f"{'PASS' if projected <= TARGET_ALL_SENT else 'FAIL'} ({projected:.0f} s"
				+ (")" if p["records"] == TARGET_RECORDS else f", projected linearly from {p['records']})")
				if projected
				else "FAIL (not all Sent)"
			)
		)
		verdicts.append(
			f"{KIND_LABELS[p['kind']]}, {p['workers']} worker(s): desk call < {TARGET_DESK_CALL:.0f} s: "
			f"{'PASS' if p['desk_call'] < TARGET_DESK_CALL else 'FAIL'} ({p['desk_call']:.2f} s)"
		)
	print(
		"worker s/req: (all Sent - saves done) / records with one worker, which does the saves first and "
		"then the jobs; in job: the Sign Automation Run's life (made before the request, finished after "
		"it is sent)"
	)
	for kind, prof in profiles.items():
		if not prof:
			continue
		timed, profiled = prof["timed"], prof["cProfile"]
		print(
			f"\nPer-request breakdown, {KIND_LABELS[kind]}: create_sign_request + the job's commit, in this "
			f"process, each record with a fresh frappe.local and empty engine caches (as a forked job); "
			f"{len(prof['walls']['timed'])} records timed (wall clock in the functions of each bucket), "
			f"{len(prof['walls']['cProfile'])} under cProfile (its overhead inflates call-heavy code)"
		)
		print(f"  {'':46} {'timed ms':>9} {'share':>6} {'cProfile ms':>12} {'share':>6}")
		for label in BUCKETS:
			print(
				f"  {label:46} {timed[label] * 1000:9.1f} {timed[label] / timed['total']:6.1%} "
				f"{profiled[label] * 1000:12.1f} {profiled[label] / profiled['total']:6.1%}"
			)
		cold = colds.get(kind)
		if cold:
			print(
				f"  first create_sign_request in a fresh process {cold['cold'] * 1000:.0f} ms, the second "
				f"{cold['warm'] * 1000:.0f} ms: {(cold['cold'] - cold['warm']) * 1000:.0f} ms of one-time cost "
				"(imports, caches) that every forked job pays"
			)
	for kind, prof in profiles.items():
		if not prof:
			continue
		print(f"\nTop {args.top} by cumulative time, {KIND_LABELS[kind]} ({prof['path']}):")
		prof["stats"].stream = sys.stdout
		prof["stats"].strip_dirs().sort_stats("cumulative").print_stats(args.top)
	print("\n".join(verdicts))
	print(load.summary())


def _s(value, digits: int = 1) -> str:
	return "-" if value is None else f"{value:.{digits}f}"


def cleanup(made: dict[str, list[str]]) -> None:
	import frappe

	frappe.db.rollback()
	benchkit.delete_sign_requests("Opportunity", made["Opportunity"])
	benchkit.delete_records("Opportunity", made["Opportunity"])
	for part in benchkit.chunks(made["Opportunity"]):
		frappe.db.delete("Access Log", {"export_from": "Opportunity", "reference_document": ("in", part)})
	benchkit.delete_template_files(made)
	for doctype in ("Sign Automation Rule", "Sign Template", "Print Format", "Lead"):
		benchkit.delete_records(doctype, made[doctype])


if __name__ == "__main__":
	sys.exit(main())

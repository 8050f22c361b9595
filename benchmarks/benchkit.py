"""Processes, figures and clean-up shared by the bench benchmarks (guest_load.py, bulk.py); not a
benchmark itself.

- A production-style web server: gunicorn as `bench setup supervisor` writes it
  (bench/config/templates/supervisor.conf: `env/bin/gunicorn -b 127.0.0.1:PORT -w N --max-requests 5000
  --max-requests-jitter 500 -t 120 --graceful-timeout 30 frappe.app:application --preload`, run from the
  sites folder), bound to loopback only.
- RQ workers as `bench worker --queue ...` runs them (`env/bin/python -m frappe.utils.bench_helper frappe
  worker`), i.e. Frappe's forking rq.Worker: every job runs in a fresh fork of the worker process.
- The machine's load average, sampled while a benchmark runs (the machine may be shared).
- Deleting what a run made: its Sign Requests and everything they wrote (files on disk included).

Children get the caller's environment without CI: Frappe runs jobs as tests when CI is set
(execute_job sets frappe.flags.in_test), which would change what the workers do.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import threading
import time
import urllib.request


def gunicorn_command(bench: str, port: int, workers: int, timeout: int = 120) -> list[str]:
	max_requests = 5000 if workers > 1 else 0  # bench's get_default_max_requests
	return [
		os.path.join(bench, "env", "bin", "gunicorn"),
		"-b",
		f"127.0.0.1:{port}",
		"-w",
		str(workers),
		"--max-requests",
		str(max_requests),
		"--max-requests-jitter",
		str(int(max_requests * 0.1)),
		"-t",
		str(timeout),
		"--graceful-timeout",
		"30",
		"frappe.app:application",
		"--preload",
	]


def worker_command(bench: str, queues: list[str], preload: list[str] | None = None) -> list[str]:
	"""`bench worker --queue ...`; with `preload`, the worker process imports those modules first, so
	every forked job inherits them (as an app's `commands` module would: bench_helper imports it)."""
	python = os.path.join(bench, "env", "bin", "python")
	arguments = ["frappe", "worker", "--queue", ",".join(queues)]
	if not preload:
		return [python, "-m", "frappe.utils.bench_helper", *arguments]
	code = (
		f"import sys, {', '.join(preload)}\n"
		"from frappe.utils.bench_helper import main\n"
		f"sys.argv = ['frappe.utils.bench_helper', *{arguments!r}]\n"
		"main()\n"
	)
	return [python, "-c", code]


def default_web_workers() -> int:
	return (os.cpu_count() or 1) * 2 + 1  # bench's get_gunicorn_workers


class Processes:
	"""Starts commands in the bench's sites folder, each in a session of its own, and stops every one
	of them (the whole process group: gunicorn's workers, an RQ worker's work horse) on exit."""

	def __init__(self, bench: str, verbose: bool = True):
		self.bench = bench
		self.sites = os.path.join(bench, "sites")
		self.verbose = verbose
		self.started: list[tuple[str, subprocess.Popen]] = []

	def __enter__(self) -> Processes:
		return self

	def __exit__(self, *exc) -> None:
		self.stop_all()

	def start(self, name: str, command: list[str]) -> subprocess.Popen:
		env = {k: v for k, v in os.environ.items() if k != "CI"}
		log_path = os.path.join(self.bench, "logs", f"benchmark-{name}.log")
		os.makedirs(os.path.dirname(log_path), exist_ok=True)
		with open(log_path, "ab") as log:
			process = subprocess.Popen(
				command,
				cwd=self.sites,
				env=env,
				stdout=log,
				stderr=subprocess.STDOUT,
				stdin=subprocess.DEVNULL,
				start_new_session=True,
			)
		self.started.append((name, process))
		if self.verbose:
			print(f"started {name}: pid {process.pid} (log {log_path})", flush=True)
		return process

	def stop(self, process: subprocess.Popen, timeout: float = 40) -> None:
		if process.poll() is None:
			_signal_group(process, signal.SIGTERM)
			try:
				process.wait(timeout=timeout)
			except subprocess.TimeoutExpired:
				_signal_group(process, signal.SIGKILL)
				process.wait(timeout=10)
		_signal_group(process, signal.SIGKILL)  # a work horse or gunicorn worker left behind
		self.started = [(n, p) for n, p in self.started if p is not process]

	def stop_all(self) -> None:
		for name, process in list(reversed(self.started)):
			self.stop(process)
			if self.verbose:
				print(f"stopped {name}: pid {process.pid}", flush=True)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
	try:
		os.killpg(process.pid, sig)  # the session leader's pid is its group's id
	except ProcessLookupError:
		pass


def wait_until_up(url: str, site: str, process: subprocess.Popen | None, timeout: float = 90) -> None:
	"""Until GET /api/method/ping answers 200 (raises when the server died or never answered)."""
	deadline = time.monotonic() + timeout
	last = ""
	while time.monotonic() < deadline:
		if process is not None and process.poll() is not None:
			raise RuntimeError(f"the web server exited with {process.returncode}")
		try:
			request = urllib.request.Request(url + "/api/method/ping", headers={"X-Frappe-Site-Name": site})
			with urllib.request.urlopen(request, timeout=5) as response:
				if response.status == 200:
					return
				last = str(response.status)
		except Exception as e:
			last = str(e)
		time.sleep(0.5)
	raise RuntimeError(f"no answer from {url}/api/method/ping within {timeout:.0f} s ({last})")


def answers(url: str, site: str) -> bool:
	try:
		request = urllib.request.Request(url + "/api/method/ping", headers={"X-Frappe-Site-Name": site})
		with urllib.request.urlopen(request, timeout=5) as response:
			return response.status == 200
	except Exception:
		return False


def listening_workers(queues: list[str]) -> int:
	"""RQ workers of this bench that listen on any of `queues` (other benches on the same Redis use
	other queue names: Frappe prefixes them with get_bench_id())."""
	from frappe.utils.background_jobs import generate_qname, get_redis_conn
	from rq import Worker

	names = {generate_qname(q) for q in queues}
	return sum(1 for w in Worker.all(connection=get_redis_conn()) if names & set(w.queue_names()))


def wait_for_workers(count: int, queues: list[str], processes: list[subprocess.Popen], timeout: float = 60):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if any(p.poll() is not None for p in processes):
			raise RuntimeError("a worker exited while starting")
		if listening_workers(queues) >= count:
			return
		time.sleep(0.3)
	raise RuntimeError(f"{count} workers did not register within {timeout:.0f} s")


def queued_jobs(queues: list[str]) -> int:
	from frappe.utils.background_jobs import get_queue

	return sum(len(get_queue(q)) for q in queues)


def empty_queues(queues: list[str]) -> None:
	from frappe.utils.background_jobs import get_queue

	for q in queues:
		get_queue(q).empty()


class LoadMonitor:
	"""Samples the 1-minute load average every `interval` seconds in a thread."""

	def __init__(self, interval: float = 2.0):
		self.interval = interval
		self.samples: list[float] = []
		self._stop = threading.Event()
		self._thread = threading.Thread(target=self._run, daemon=True)

	def __enter__(self) -> LoadMonitor:
		self._thread.start()
		return self

	def __exit__(self, *exc) -> None:
		self._stop.set()
		self._thread.join(timeout=5)

	def _run(self) -> None:
		while True:
			self.samples.append(os.getloadavg()[0])
			if self._stop.wait(self.interval):
				return

	def summary(self) -> str:
		one, five, fifteen = os.getloadavg()
		if not self.samples:
			return f"load average now {one:.2f} {five:.2f} {fifteen:.2f}"
		return (
			f"1-min load average during the run: start {self.samples[0]:.2f}, "
			f"max {max(self.samples):.2f}, end {self.samples[-1]:.2f} "
			f"(now {one:.2f} {five:.2f} {fifteen:.2f}; {os.cpu_count()} cores)"
		)


def quiet_css_parser() -> None:
	"""cssutils (Frappe inlines the e-mails' CSS with it) logs every CSS3 value it does not know."""
	import logging

	try:
		import cssutils

		cssutils.log.setLevel(logging.CRITICAL)  # it sets its logger's level when first imported
	except ImportError:
		pass
	logging.getLogger("CSSUTILS").setLevel(logging.CRITICAL)


def percentile(values: list[float], q: float) -> float:
	"""Nearest-rank percentile (q in 0..100) of `values`; nan when empty."""
	if not values:
		return math.nan
	ordered = sorted(values)
	rank = max(math.ceil(q / 100 * len(ordered)), 1)
	return ordered[rank - 1]


def chunks(items: list, size: int = 500):
	for start in range(0, len(items), size):
		yield items[start : start + size]


def delete_sign_requests(reference_doctype: str, names: list[str]) -> int:
	"""Delete the Sign Requests made for `names` of `reference_doctype` and what they left: their rows,
	audit events, ToDos and queued e-mails, the Files attached to them or to the records (their bytes on
	disk too), the automation runs, comments, versions and error logs
	of both. The records themselves are left to the caller. Commits; returns the number of requests."""
	import frappe

	frappe.db.rollback()  # a fresh snapshot: the workers' and the web server's commits
	requests: list[str] = []
	for part in chunks(names):
		requests += frappe.get_all(
			"Sign Request",
			filters={"reference_doctype": reference_doctype, "reference_name": ("in", part)},
			pluck="name",
		)
	files: list[str] = []
	for doctype, targets in (("Sign Request", requests), (reference_doctype, names)):
		for part in chunks(targets):
			files += frappe.get_all(
				"File",
				filters={"attached_to_doctype": doctype, "attached_to_name": ("in", part)},
				pluck="name",
			)
	delete_files(files)
	for part in chunks(requests):
		queued = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Sign Request", "reference_name": ("in", part)},
			pluck="name",
		)
		if queued:
			frappe.db.delete("Email Queue Recipient", {"parent": ("in", queued)})
			frappe.db.delete("Email Queue", {"name": ("in", queued)})
		frappe.db.delete("Sign Audit Event", {"sign_request": ("in", part)})
		frappe.db.delete("Sign Request Signer", {"parent": ("in", part)})
		frappe.db.delete("Sign Request Value", {"parent": ("in", part)})
		frappe.db.delete("ToDo", {"reference_type": "Sign Request", "reference_name": ("in", part)})
		frappe.db.delete("Sign Request", {"name": ("in", part)})
	for part in chunks(names):
		frappe.db.delete(
			"Sign Automation Run", {"reference_doctype": reference_doctype, "reference_name": ("in", part)}
		)
	for part in chunks(requests + names):
		frappe.db.delete("Comment", {"reference_name": ("in", part)})
		frappe.db.delete("Version", {"docname": ("in", part)})
		frappe.db.delete("Error Log", {"reference_name": ("in", part)})
	frappe.db.commit()  # nosemgrep: the benchmark's records are gone again
	return len(requests)


def delete_records(doctype: str, names: list[str]) -> None:
	"""Delete records with their child rows, and the Contacts ERPNext made for them (a Lead gets one)
	that link to nothing else, without Frappe's "Deleted Document" copies and "Deleted" feed comments
	(delete_doc would leave them behind). Only for records a benchmark made itself. Commits."""
	import frappe

	for part in chunks(names):
		links = frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Contact", "link_doctype": doctype, "link_name": ("in", part)},
			pluck="parent",
		)
		contacts = [
			contact
			for contact in set(links)
			if not frappe.db.exists(
				"Dynamic Link",
				{"parenttype": "Contact", "parent": contact, "link_name": ("not in", part)},
			)
		]
		for target, targets in ((doctype, part), ("Contact", contacts)):
			if not targets:
				continue
			for table in frappe.get_meta(target).get_table_fields():
				frappe.db.delete(table.options, {"parenttype": target, "parent": ("in", targets)})
			frappe.db.delete(target, {"name": ("in", targets)})
			frappe.db.delete("Version", {"ref_doctype": target, "docname": ("in", targets)})
			frappe.db.delete("Comment", {"reference_doctype": target, "reference_name": ("in", targets)})
	frappe.db.commit()  # nosemgrep: the benchmark's records are gone again


def delete_files(names: list[str]) -> None:
	"""Files and their bytes on disk (unless another File shares them), as File.on_trash does, but
	without delete_doc: it would queue a delete_dynamic_links job per file, which the next benchmark's
	workers would run, and keep a "Deleted Document" copy. Commits."""
	import frappe

	gone = set(names)
	for name in names:
		file = frappe.db.get_value("File", name, ["content_hash", "is_folder"], as_dict=True)
		if not file or file.is_folder:
			continue
		shared = file.content_hash and frappe.get_all(
			"File", filters={"content_hash": file.content_hash, "name": ("not in", list(gone))}, limit=1
		)
		if file.content_hash and not shared:
			path = frappe.get_doc("File", name).get_full_path()
			if os.path.isfile(path):
				os.remove(path)
	for part in chunks(names):
		frappe.db.delete("File", {"name": ("in", part)})
	frappe.db.commit()  # nosemgrep: the benchmark's files are gone again


def delete_template_files(made: dict[str, list[str]]) -> None:
	"""The files of the benchmark's Sign Templates and the other files it made."""
	import frappe

	delete_files(
		frappe.get_all(
			"File",
			filters={
				"attached_to_doctype": "Sign Template",
				"attached_to_name": ("in", made["Sign Template"]),
			},
			pluck="name",
		)
		+ made["File"]
	)


def outgoing_email_account() -> None:
	"""The test fixtures' outgoing account, made without an SMTP check: mail is only queued."""
	import frappe

	from crm_sign.tests.fixtures import ensure_outgoing_email_account

	in_test = frappe.flags.in_test
	frappe.flags.in_test = True
	try:
		ensure_outgoing_email_account()
	finally:
		frappe.flags.in_test = in_test


def contract_file(file_name: str, made: dict[str, list[str]]):
	"""A private File of the sample two-page contract, noted in `made` for deletion."""
	import frappe

	from crm_sign.engine.samples import sample_contract_pdf

	source = frappe.get_doc(
		{"doctype": "File", "file_name": file_name, "content": sample_contract_pdf(pages=2), "is_private": 1}
	).insert(ignore_permissions=True)
	made["File"].append(source.name)
	return source

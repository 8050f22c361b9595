"""Stage automation benchmarks on a real bench.

1. Save-time overhead of the doc_events hook on an Opportunity save, as ratios measured in the same run:
   no hook at all, the hook with no rule on the doctype, with a rule the save does not match, and with a
   rule the save matches (the job is only registered for after-commit; everything is rolled back).
   Before each save the index is dropped from the request-local cache, so every save pays the Redis
   lookup a fresh web request pays.
2. Bulk: 300 Opportunities moved to a watched stage the way list-view bulk edit does it (get_doc,
   update, save, commit per record), the time that takes against the same moves without a rule, and
   the time until background workers have produced the 300 Sign Requests.

Run with the bench's Python from anywhere:
    /opt/frappe-bench/env/bin/python benchmarks/automation.py --site auto.localhost
Options: --bench PATH, --iterations N (saves per configuration and round), --rounds N, --calls N
(direct hook calls per configuration), --bulk N,
--workers N (burst workers started for the bulk part; 0 to skip it), --keep (leave the bulk records).
The bulk part commits records and deletes them afterwards; use a site of your own.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchkit

TARGET_OVERHEAD = 0.10
STAGE_A, STAGE_B = "Proposal/Price Quote", "Negotiation/Review"


def main() -> None:
	args = parse_args()
	os.chdir(os.path.join(args.bench, "sites"))
	import frappe

	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		save_overhead(args)
		if args.bulk and args.workers:
			bulk_moves(args)
	finally:
		from crm_sign.automation.index import clear_index

		frappe.db.rollback()
		clear_index()
		frappe.destroy()


def parse_args() -> argparse.Namespace:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--bench", default=os.environ.get("CRM_SIGN_BENCH", "/opt/frappe-bench"))
	parser.add_argument("--iterations", type=int, default=10)
	parser.add_argument("--rounds", type=int, default=30)
	parser.add_argument("--calls", type=int, default=2000)
	parser.add_argument("--bulk", type=int, default=300)
	parser.add_argument("--workers", type=int, default=4)
	parser.add_argument("--keep", action="store_true")
	return parser.parse_args()


# -- 1. save-time overhead -----------------------------------------------------------------------


def save_overhead(args: argparse.Namespace) -> None:
	import frappe

	from crm_sign.automation import rules as automation_rules
	from crm_sign.automation.index import CACHE_KEY, clear_index, get_index
	from crm_sign.tests.fixtures import make_lead, make_opportunity, make_template

	existing = frappe.get_all(
		"Sign Automation Rule", filters={"reference_doctype": "Opportunity", "enabled": 1}, pluck="name"
	)
	if existing or frappe.db.exists("Workflow", {"document_type": "Opportunity", "is_active": 1}):
		sys.exit(
			f"Opportunity already has automation ({', '.join(existing) or 'a workflow'}); use a clean site"
		)
	benchkit.outgoing_email_account()
	template = make_template("Opportunity")
	lead = make_lead(email=f"bench.{frappe.generate_hash(length=8)}@example.com", mobile=None)
	opp = make_opportunity(lead)
	local_key = frappe.cache.make_key(CACHE_KEY)
	real_hook = automation_rules.on_record_saved

	def save_loop(n: int, move_stage: bool) -> float:
		start = time.perf_counter()
		for i in range(n):
			frappe.local.cache.pop(local_key, None)  # a fresh request reads the index from Redis
			if move_stage:
				opp.sales_stage = STAGE_B if opp.sales_stage == STAGE_A else STAGE_A
			else:
				opp.probability = 40 + i % 2
			opp.save()
		return (time.perf_counter() - start) / n

	rule_names: list[str] = []

	def set_rules(stages: list[str]) -> None:
		for name in rule_names:
			frappe.delete_doc("Sign Automation Rule", name, force=True)
		rule_names.clear()
		for stage in stages:
			rule = frappe.get_doc(
				{
					"doctype": "Sign Automation Rule",
					"title": f"bench {stage}",
					"rule_kind": "Rule",
					"reference_doctype": "Opportunity",
					"stage_type": "Field",
					"stage_field": "sales_stage",
					"stage_value": stage,
					"condition": "probability >= 0",
					"template": template,
				}
			).insert()
			rule_names.append(rule.name)
		clear_index()
		get_index("Opportunity")

	configs = {
		"no hook": ([], False, True),
		"hook, no rule": ([], False, False),
		"hook, rule not matched": ([STAGE_B], False, False),
		"hook, rule matched": ([STAGE_A, STAGE_B], True, False),
	}
	timings: dict[str, list[float]] = {name: [] for name in configs}
	hook_cost: dict[str, float] = {}
	flags = frappe.flags
	in_test = flags.in_test
	flags.in_test = False  # the real path: enqueue after commit (which the rollback discards)
	try:
		save_loop(20, False)  # warm up caches and code paths
		order = list(configs)
		for round_no in range(args.rounds):
			random.Random(round_no).shuffle(order)  # interleaved blocks: machine load hits all alike
			for name in order:
				stages, move_stage, no_hook = configs[name]
				set_rules(stages)
				with _hook_replaced(automation_rules, _no_hook if no_hook else None):
					timings[name].append(save_loop(args.iterations, move_stage))
		for name, (stages, move_stage, no_hook) in configs.items():
			if not no_hook:
				set_rules(stages)
				save_loop(1, move_stage)  # leaves the doc as the hook sees it after such a save
				hook_cost[name] = hook_call_cost(opp, real_hook, local_key, args.calls)
	finally:
		flags.in_test = in_test
		automation_rules.on_record_saved = real_hook
		frappe.db.rollback()
		clear_index()

	base = statistics.median(timings["no hook"])
	print(
		f"\nSave-time overhead of the hook on Opportunity.save(): {args.rounds} interleaved rounds "
		f"x {args.iterations} saves per configuration; the hook alone timed over {args.calls} calls"
	)
	print(f"{'configuration':24} {'ms/save':>9} {'ratio':>7} {'hook us/call':>13} {'hook/save':>10}")
	for name, values in timings.items():
		median = statistics.median(values)
		cost = hook_cost.get(name, 0.0)
		print(f"{name:24} {median * 1000:9.2f} {median / base:7.3f} {cost * 1e6:13.1f} {cost / base:10.3%}")
	plain = max(hook_cost["hook, no rule"], hook_cost["hook, rule not matched"]) / base
	verdict = "PASS" if plain < TARGET_OVERHEAD else "FAIL"
	print(
		f"target: hook under {TARGET_OVERHEAD:.0%} of a plain save -> {verdict} ({plain:.3%}); "
		"the ms/save ratios include the machine's noise"
	)


def hook_call_cost(doc, hook, local_key: str, calls: int) -> float:
	"""Seconds per hook call on an already saved doc, each call reading the index as a new request."""
	import frappe

	start = time.perf_counter()
	for _ in range(calls):
		frappe.local.cache.pop(local_key, None)
		doc.flags.crm_sign_stage_entries = None
		hook(doc, "on_update")
	return (time.perf_counter() - start) / calls


def _no_hook(doc, method: str | None = None) -> None:
	return None


@contextmanager
def _hook_replaced(module, replacement):
	original = module.on_record_saved
	if replacement is not None:
		module.on_record_saved = replacement  # doc_events resolve the dotted path on every call
	try:
		yield
	finally:
		module.on_record_saved = original


# -- 2. bulk stage moves ---------------------------------------------------------------------------


def bulk_moves(args: argparse.Namespace) -> None:
	import frappe
	from frappe.desk.doctype.bulk_update.bulk_update import _bulk_action

	from crm_sign.automation.index import clear_index
	from crm_sign.tests.fixtures import make_lead, make_opportunity, make_template

	count = args.bulk
	benchkit.outgoing_email_account()
	template = make_template("Opportunity")
	lead = make_lead(email=f"bulk.{frappe.generate_hash(length=8)}@example.com", mobile=None)
	watched = [make_opportunity(lead).name for _ in range(count)]
	unwatched = [make_opportunity(lead).name for _ in range(count)]
	rule = frappe.get_doc(
		{
			"doctype": "Sign Automation Rule",
			"title": "bench bulk",
			"rule_kind": "Rule",
			"reference_doctype": "Opportunity",
			"stage_type": "Field",
			"stage_field": "sales_stage",
			"stage_value": STAGE_A,
			"template": template,
		}
	).insert()
	frappe.db.commit()  # nosemgrep: the workers must see the records and the rule
	clear_index()
	try:
		listening = _listening_workers()
		plain = watched_time = 0.0
		failed: list[str] = []
		chunk = 25  # interleaved, so the workers already busy with the jobs slow both alike
		for i in range(0, count, chunk):
			start = time.perf_counter()
			failed += _bulk_action(
				"Opportunity", unwatched[i : i + chunk], "update", {"sales_stage": STAGE_B}
			)
			plain += time.perf_counter() - start
			start = time.perf_counter()
			failed += _bulk_action("Opportunity", watched[i : i + chunk], "update", {"sales_stage": STAGE_A})
			watched_time += time.perf_counter() - start
		print(f"\nBulk edit of {count} Opportunities (get_doc, update, save, commit per record)")
		print(f"moves to a stage without a rule: {plain:7.2f} s ({plain / count * 1000:.1f} ms/record)")
		print(
			f"moves to a watched stage:        {watched_time:7.2f} s ({watched_time / count * 1000:.1f} ms/record, "
			f"{watched_time / plain:.2f}x); {len(failed)} failed; {_queued_jobs()} jobs still queued "
			f"({listening} workers of the bench were already listening)"
		)
		workers = [
			subprocess.Popen(
				["bench", "worker", "--queue", "default,short", "--burst"],
				cwd=args.bench,
				stdout=subprocess.DEVNULL,
				stderr=subprocess.DEVNULL,
				env={**os.environ, "PATH": f"/opt/bench-cli/bin:{os.environ.get('PATH', '')}"},
			)
			for _ in range(args.workers)
		]
		start = time.perf_counter()
		made = 0
		while time.perf_counter() - start < 1800:
			frappe.db.rollback()  # a fresh snapshot
			made = frappe.db.count(
				"Sign Request", {"reference_doctype": "Opportunity", "reference_name": ("in", watched)}
			)
			if made >= count or all(w.poll() is not None for w in workers):
				break
			time.sleep(1)
		elapsed = time.perf_counter() - start
		for worker in workers:
			worker.wait(timeout=600)
		print(
			f"{made} of {count} Sign Requests made by {args.workers} burst workers in {elapsed:.1f} s "
			f"({made / elapsed if elapsed else 0:.1f} requests/s)"
		)
	finally:
		if not args.keep:
			_cleanup(watched + unwatched, lead.name, rule.name)


def _listening_workers() -> int:
	from frappe.utils.background_jobs import get_redis_conn
	from rq import Worker

	return len(Worker.all(connection=get_redis_conn()))


def _queued_jobs() -> int:
	from frappe.utils.background_jobs import get_queue

	return sum(len(get_queue(name)) for name in ("default", "short"))


def _cleanup(opportunities: list[str], lead: str, rule: str) -> None:
	import frappe

	frappe.db.rollback()
	requests = frappe.get_all(
		"Sign Request",
		filters={"reference_doctype": "Opportunity", "reference_name": ("in", opportunities)},
		pluck="name",
	)
	for doctype, filters in (
		("Sign Audit Event", {"sign_request": ("in", requests)}),
		("Sign Request Signer", {"parent": ("in", requests)}),
		("Sign Request Value", {"parent": ("in", requests)}),
		("File", {"attached_to_name": ("in", requests)}),
		("Email Queue", {"reference_name": ("in", requests)}),
		("ToDo", {"reference_name": ("in", requests)}),
		("Sign Request", {"name": ("in", requests)}),
		("Sign Automation Run", {"reference_name": ("in", opportunities)}),
		("Comment", {"reference_name": ("in", opportunities)}),
		("Version", {"docname": ("in", opportunities)}),
		("Opportunity", {"name": ("in", opportunities)}),
		("Sign Automation Rule", {"name": rule}),
	):
		if requests or doctype not in ("Sign Audit Event", "Sign Request Signer", "Sign Request Value"):
			frappe.db.delete(doctype, filters)
	frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)
	frappe.db.commit()  # nosemgrep: the benchmark's records are gone again


if __name__ == "__main__":
	sys.exit(main())

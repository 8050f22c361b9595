"""Stage entries wait in a work queue (signing/work_queue.py) and are sent by drain jobs.

A bulk edit that moves 300 deals into a watched stage makes 300 stage entries; with one forked job
each, the fork and imports cost about 1.7 s of the 1.8 s each request took (benchmarks/bulk.py).
"""

from __future__ import annotations

import frappe
from frappe import _

from crm_sign.signing.work_queue import WorkQueue

STAGE_ENTRIES = WorkQueue("stage_entries", "crm_sign.automation.stage_queue.drain")


def queue(entry: dict) -> None:
	"""Queue a stage entry for when the current save commits."""
	STAGE_ENTRIES.queue(entry)


def start_drains() -> None:
	"""Scheduler: stage entries a dead drain left waiting."""
	STAGE_ENTRIES.start_drains()


def drain(slot: int) -> int:
	"""Background job: send the queued stage entries' requests. Returns how many entries ran."""
	from crm_sign.automation.rules import run_stage_entry

	return STAGE_ENTRIES.drain(slot, lambda entry: run_stage_entry(**entry), _log_failure)


def _log_failure(entry: dict) -> None:
	frappe.log_error(
		title=_("Stage automation for {0} {1} failed").format(entry.get("doctype"), entry.get("name")),
		reference_doctype=entry.get("doctype"),
		reference_name=entry.get("name"),
	)

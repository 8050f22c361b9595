"""Stage entries wait in a Redis list and are worked off by a few long jobs, not one job each.

A bulk edit that moves 300 deals into a watched stage makes 300 stage entries. Frappe's RQ worker
forks a fresh process for every job, which then imports the signing stack and warms its caches again:
with one job per entry that cost about 1.7 s of the 1.8 s each request took (benchmarks/bulk.py).
A drain job takes entries off the list until it is empty, so those costs are paid once per drain.

At most SLOTS drains run at a time; each holds a slot flag in Redis while it works. An entry is
pushed after its transaction commits, then a drain is started if a slot is free. A drain that finds
the list empty frees its slot and looks once more, so an entry pushed in between is never stranded;
a drain that dies leaves its flag to expire, and the scheduler's sweep starts a new one.
"""

from __future__ import annotations

import json
from functools import partial

import frappe
from frappe import _

LIST = "crm_sign:stage_entries"
SLOT = "crm_sign:stage_drain:{0}"
SLOTS = 2  # a second drain only for a backlog, so two workers share a bulk move
BACKLOG = 20  # entries waiting before the second drain starts
SLOT_SECONDS = 15 * 60  # a drain renews its flag with every entry; a dead one's flag runs out


def queue(entry: dict) -> None:
	"""Queue a stage entry for when the current transaction commits (nothing if it rolls back)."""
	frappe.db.after_commit.add(partial(push, entry))


def push(entry: dict) -> None:
	frappe.cache.rpush(LIST, json.dumps(entry))
	start_drains()


def start_drains() -> None:
	"""Start a drain for every free slot the backlog calls for (scheduler: every five minutes)."""
	waiting = frappe.cache.llen(LIST)
	for slot in range(SLOTS):
		if not waiting or (slot and waiting <= BACKLOG * slot):
			return
		if _take_slot(slot):
			frappe.enqueue(
				"crm_sign.automation.stage_queue.drain", queue="default", timeout=SLOT_SECONDS, slot=slot
			)


def drain(slot: int) -> int:
	"""Background job: run queued stage entries until the list is empty. Returns how many ran."""
	from crm_sign.automation.rules import run_stage_entry

	done = 0
	while True:
		raw = frappe.cache.lpop(LIST)
		if raw is None:
			frappe.cache.delete(_slot_key(slot))
			# An entry pushed after the last pop saw this slot taken and started nothing.
			if frappe.cache.llen(LIST) and _take_slot(slot):
				continue
			return done
		frappe.cache.expire(_slot_key(slot), SLOT_SECONDS)
		entry = json.loads(raw)
		try:
			run_stage_entry(**entry)
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(
				title=_("Stage automation for {0} {1} failed").format(
					entry.get("doctype"), entry.get("name")
				),
				reference_doctype=entry.get("doctype"),
				reference_name=entry.get("name"),
			)
		done += 1


def _slot_key(slot: int) -> str:
	return frappe.cache.make_key(SLOT.format(slot))


def _take_slot(slot: int) -> bool:
	return bool(frappe.cache.set(_slot_key(slot), 1, nx=True, ex=SLOT_SECONDS))

"""Work items wait in a Redis list and are worked off by a few long jobs, not one job each.

Frappe's RQ worker forks a fresh process for every job, which then imports the signing stack (pypdf,
pikepdf, pyHanko, reportlab, the e-mail stack) and warms its caches again: about 1 s per job, measured
by benchmarks/bulk.py, against 0.1 s for making a request from an uploaded PDF once warm. A drain job
takes items off the list until it is empty, so a bulk stage move or a burst of signatures pays that
once per drain.

At most `slots` drains of a queue run at a time; each holds a slot flag in Redis while it works and
renews it with every item. An item is pushed after its transaction commits, then a drain is started if
a slot is free (a second one only for a backlog). A drain that finds the list empty frees its slot and
looks once more, so an item pushed in between is never stranded; a drain hands over to a fresh job
after a while, and one that dies leaves its flag to expire and the scheduler's sweep starts another.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from functools import partial

import frappe


class WorkQueue:
	def __init__(
		self,
		name: str,
		drain_method: str,
		*,
		job_queue: str = "default",
		slots: int = 2,
		backlog: int = 20,
		slot_seconds: int = 15 * 60,
		drain_seconds: int = 10 * 60,
		nice: int = 0,
	) -> None:
		self.list = f"crm_sign:queue:{name}"
		self.slot = f"crm_sign:queue:{name}:drain:{{0}}"
		self.drain_method = drain_method  # the module function that calls drain() for this queue
		self.job_queue = job_queue
		self.slots = slots
		self.backlog = backlog  # items waiting before each further drain starts
		self.slot_seconds = slot_seconds  # a dead drain's flag runs out after this
		self.drain_seconds = drain_seconds  # then a drain hands over to a fresh job
		self.nice = nice  # a drain's CPU priority below the web server's (its forked job only)

	def queue(self, item: dict) -> None:
		"""Queue `item` for when the current transaction commits (nothing if it rolls back)."""
		frappe.db.after_commit.add(partial(self.push, item))

	def push(self, item: dict) -> None:
		frappe.cache.rpush(self.list, json.dumps(item))
		self.start_drains()

	def waiting(self) -> int:
		return frappe.cache.llen(self.list)

	def start_drains(self) -> None:
		"""Start a drain for every free slot the backlog calls for (also the scheduler's sweep)."""
		waiting = self.waiting()
		for slot in range(self.slots):
			if not waiting or (slot and waiting <= self.backlog * slot):
				return
			if self.take_slot(slot):
				frappe.enqueue(self.drain_method, queue=self.job_queue, timeout=3600, slot=slot)

	def drain(self, slot: int, handle: Callable[[dict], None], failed: Callable[[dict], None]) -> int:
		"""Run `handle` on items until the list is empty, each committed on its own; `failed` logs an
		item whose handling raised (its writes are rolled back). Returns how many were handled."""
		done, started = 0, time.monotonic()
		if self.nice and not frappe.flags.in_test:
			os.nice(self.nice)
		while True:
			if time.monotonic() - started > self.drain_seconds:
				self.free_slot(slot)
				self.start_drains()  # a fresh job goes on, with fresh memory
				return done
			raw = frappe.cache.lpop(self.list)
			if raw is None:
				self.free_slot(slot)
				# An item pushed after the last pop saw this slot taken and started nothing.
				if self.waiting() and self.take_slot(slot):
					continue
				return done
			frappe.cache.expire(self._slot_key(slot), self.slot_seconds)
			item = json.loads(raw)
			try:
				handle(item)
				frappe.db.commit()
			except Exception:
				frappe.db.rollback()
				failed(item)
			done += 1

	def take_slot(self, slot: int) -> bool:
		return bool(frappe.cache.set(self._slot_key(slot), 1, nx=True, ex=self.slot_seconds))

	def free_slot(self, slot: int) -> None:
		frappe.cache.delete(self._slot_key(slot))

	def slot_taken(self, slot: int) -> bool:
		return bool(frappe.cache.get(self._slot_key(slot)))

	def clear(self) -> None:
		frappe.cache.delete(frappe.cache.make_key(self.list))
		for slot in range(self.slots):
			self.free_slot(slot)

	def _slot_key(self, slot: int) -> str:
		return frappe.cache.make_key(self.slot.format(slot))

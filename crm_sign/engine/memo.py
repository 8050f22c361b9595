"""A small bounded cache for work that depends only on a document's bytes (anchors, cut-out tags).

A worker making a hundred requests from one uploaded PDF finds its tags once, not a hundred times.
Keys are SHA-256 digests, never the documents themselves, so the cache holds results, not files.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class BoundedCache:
	"""Least recently used first out; safe to share between a web server's threads."""

	def __init__(self, size: int) -> None:
		self.size = size
		self._items: OrderedDict[Hashable, Any] = OrderedDict()
		self._lock = threading.Lock()

	def get_or_make(self, key: Hashable, make: Callable[[], Any]) -> Any:
		with self._lock:
			if key in self._items:
				self._items.move_to_end(key)
				return self._items[key]
		value = make()  # outside the lock: two threads may both make it, one result is kept
		with self._lock:
			self._items[key] = value
			self._items.move_to_end(key)
			while len(self._items) > self.size:
				self._items.popitem(last=False)
		return value

	def clear(self) -> None:
		with self._lock:
			self._items.clear()

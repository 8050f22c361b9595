"""The hash-chained audit log.

Each entry carries the hash of the previous one; its own hash is SHA-256 over the canonical JSON of
its content (sorted keys, no spaces, UTF-8). Verifying recomputes every hash and link, so an edited,
removed, inserted or reordered entry is found and named by its position.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import AuditChainError

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> bytes:
	return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@dataclass
class AuditEntry:
	chain_id: str  # the Sign Request the chain belongs to, so entries cannot move between chains
	seq: int
	event: str
	at: str  # ISO timestamp
	actor: str = ""
	ip: str = ""
	user_agent: str = ""
	document_sha256: str = ""
	data: dict[str, Any] = field(default_factory=dict)
	prev_hash: str = GENESIS_HASH
	hash: str = ""

	def content(self) -> dict[str, Any]:
		content = asdict(self)
		content.pop("hash")
		return content

	def compute_hash(self) -> str:
		return hashlib.sha256(canonical_json(self.content())).hexdigest()

	@classmethod
	def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
		known = cls.__dataclass_fields__
		return cls(**{k: v for k, v in data.items() if k in known})


def append_event(
	previous: AuditEntry | None,
	*,
	chain_id: str,
	event: str,
	at: str,
	actor: str = "",
	ip: str = "",
	user_agent: str = "",
	document_sha256: str = "",
	data: Mapping[str, Any] | None = None,
) -> AuditEntry:
	"""The next entry of the chain whose last entry is `previous` (None for the first)."""
	entry = AuditEntry(
		chain_id=chain_id,
		seq=previous.seq + 1 if previous else 1,
		event=event,
		at=at,
		actor=actor or "",
		ip=ip or "",
		user_agent=user_agent or "",
		document_sha256=document_sha256 or "",
		data=json.loads(canonical_json(dict(data or {}))),  # store exactly what was hashed
		prev_hash=previous.hash if previous else GENESIS_HASH,
	)
	entry.hash = entry.compute_hash()
	return entry


def verify_chain(entries: Iterable[AuditEntry], chain_id: str | None = None) -> str:
	"""Recompute the chain; returns the head hash or raises AuditChainError naming the first bad entry."""
	expected_prev = GENESIS_HASH
	expected_seq = 1
	for position, entry in enumerate(entries, start=1):
		if chain_id is not None and entry.chain_id != chain_id:
			raise AuditChainError(f"Entry {position} belongs to another chain ({entry.chain_id})")
		if entry.seq != expected_seq:
			raise AuditChainError(f"Entry {position} has sequence {entry.seq}, expected {expected_seq}")
		if entry.prev_hash != expected_prev:
			raise AuditChainError(
				f"Entry {position} does not follow the previous entry (removed or reordered)"
			)
		if entry.compute_hash() != entry.hash:
			raise AuditChainError(f"Entry {position} ({entry.event}) was edited after it was written")
		expected_prev = entry.hash
		expected_seq += 1
	return expected_prev

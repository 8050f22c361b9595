"""The hash-chained audit log.

Each entry carries the hash of the previous one; its own hash is HMAC-SHA256 over the canonical JSON
of its content (sorted keys, no spaces, UTF-8), keyed by a secret kept outside the database. A plain
hash would let anyone with write access to the table edit an entry and recompute the chain; without
the key they cannot. Verifying recomputes every hash and link, so an edited, removed, inserted or
reordered entry is found and named by its position.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import AuditChainError

GENESIS_HASH = "0" * 64
# A shorter secret is guessable offline from any entry; 32 random bytes is what callers should use.
MIN_KEY_BYTES = 16


def canonical_json(value: Any) -> bytes:
	return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _check_key(key: bytes) -> bytes:
	"""Refuse a missing or weak key loudly: an unkeyed chain would verify and prove nothing."""
	if not isinstance(key, (bytes, bytearray)):
		raise TypeError(f"The audit key must be bytes, not {type(key).__name__}")
	if len(key) < MIN_KEY_BYTES:
		raise ValueError(f"The audit key must be at least {MIN_KEY_BYTES} bytes")
	return bytes(key)


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

	def compute_hash(self, key: bytes) -> str:
		"""HMAC-SHA256 of the entry's content (hex), keyed by the site's audit secret."""
		return hmac.new(_check_key(key), canonical_json(self.content()), hashlib.sha256).hexdigest()

	@classmethod
	def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
		known = cls.__dataclass_fields__
		return cls(**{k: v for k, v in data.items() if k in known})


def append_event(
	previous: AuditEntry | None,
	*,
	key: bytes,
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
	entry.hash = entry.compute_hash(key)
	return entry


def verify_chain(entries: Iterable[AuditEntry], chain_id: str | None = None, *, key: bytes) -> str:
	"""Recompute the chain; returns the head hash or raises AuditChainError naming the first bad entry."""
	key = _check_key(key)
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
		# Constant time: the comparison must not tell a forger how many leading digits were right.
		if not hmac.compare_digest(entry.compute_hash(key), entry.hash or ""):
			raise AuditChainError(f"Entry {position} ({entry.event}) was edited after it was written")
		expected_prev = entry.hash
		expected_seq += 1
	return expected_prev


def rekey_chain(
	entries: Iterable[AuditEntry],
	chain_id: str | None = None,
	*,
	key: bytes,
	old_key: bytes | None,
) -> list[AuditEntry]:
	"""The chain re-hashed with `key`, after verifying it as it stands; for migrations and key rotation.

	`old_key=None` reads a chain written before entries were keyed (plain SHA-256). This is the only
	place the unkeyed form is accepted, and only to convert it: it is verified first, so a chain that
	was already tampered with raises AuditChainError instead of being blessed with a valid HMAC.
	"""
	entries = list(entries)
	if old_key is None:
		_verify_unkeyed(entries, chain_id)
	else:
		verify_chain(entries, chain_id, key=old_key)
	rekeyed: list[AuditEntry] = []
	for entry in entries:
		new = replace(entry, prev_hash=rekeyed[-1].hash if rekeyed else GENESIS_HASH, hash="")
		new.hash = new.compute_hash(key)
		rekeyed.append(new)
	return rekeyed


def _verify_unkeyed(entries: list[AuditEntry], chain_id: str | None) -> None:
	expected_prev = GENESIS_HASH
	for position, entry in enumerate(entries, start=1):
		if chain_id is not None and entry.chain_id != chain_id:
			raise AuditChainError(f"Entry {position} belongs to another chain ({entry.chain_id})")
		if entry.seq != position or entry.prev_hash != expected_prev:
			raise AuditChainError(
				f"Entry {position} does not follow the previous entry (removed or reordered)"
			)
		if hashlib.sha256(canonical_json(entry.content())).hexdigest() != entry.hash:
			raise AuditChainError(f"Entry {position} ({entry.event}) was edited after it was written")
		expected_prev = entry.hash

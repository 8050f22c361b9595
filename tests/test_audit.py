import dataclasses
import itertools

import pytest

from crm_sign.engine.audit import GENESIS_HASH, AuditEntry, append_event, canonical_json, verify_chain
from crm_sign.engine.errors import AuditChainError


def make_chain(n=5, chain_id="SIGN-1"):
	chain = []
	for i in range(n):
		chain.append(
			append_event(
				chain[-1] if chain else None,
				chain_id=chain_id,
				event=f"event{i}",
				at=f"2026-03-14T10:0{i}:00",
				actor="a@example.com",
				ip="203.0.113.1",
				data={"i": i, "name": "Ağaoğlu"},
			)
		)
	return chain


def test_chain_links_and_verifies():
	chain = make_chain()
	assert chain[0].prev_hash == GENESIS_HASH
	assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
	assert verify_chain(chain, "SIGN-1") == chain[-1].hash
	assert verify_chain([]) == GENESIS_HASH


def test_roundtrip_through_dicts():
	chain = [AuditEntry.from_dict(dataclasses.asdict(e)) for e in make_chain()]
	verify_chain(chain)


def test_canonical_json_is_stable():
	assert (
		canonical_json({"b": 1, "a": "ş"}) == canonical_json({"a": "ş", "b": 1}) == '{"a":"ş","b":1}'.encode()
	)


def test_edited_entry_found():
	chain = make_chain()
	chain[2].data = {"i": 99, "name": "Ağaoğlu"}
	with pytest.raises(AuditChainError, match="Entry 3"):
		verify_chain(chain)


def test_edited_entry_rehashed_breaks_next_link():
	chain = make_chain()
	chain[2].actor = "mallory"
	chain[2].hash = chain[2].compute_hash()
	with pytest.raises(AuditChainError, match="Entry 4"):
		verify_chain(chain)


def test_removed_entry_found():
	chain = make_chain()
	del chain[1]
	with pytest.raises(AuditChainError, match="Entry 2"):
		verify_chain(chain)


def test_reordered_entries_found():
	chain = make_chain()
	chain[1], chain[2] = chain[2], chain[1]
	with pytest.raises(AuditChainError, match="Entry 2"):
		verify_chain(chain)


def test_entry_from_another_chain_found():
	chain = make_chain()
	with pytest.raises(AuditChainError, match="another chain"):
		verify_chain(chain, "SIGN-2")

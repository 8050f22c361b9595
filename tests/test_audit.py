import dataclasses
import hashlib
import itertools

import pytest

from crm_sign.engine.audit import (
	GENESIS_HASH,
	AuditEntry,
	append_event,
	canonical_json,
	rekey_chain,
	verify_chain,
)
from crm_sign.engine.errors import AuditChainError

KEY = b"k" * 32
OTHER_KEY = b"o" * 32


def make_chain(n=5, chain_id="SIGN-1", key=KEY):
	chain = []
	for i in range(n):
		chain.append(
			append_event(
				chain[-1] if chain else None,
				key=key,
				chain_id=chain_id,
				event=f"event{i}",
				at=f"2026-03-14T10:0{i}:00",
				actor="a@example.com",
				ip="203.0.113.1",
				data={"i": i, "name": "Ağaoğlu"},
			)
		)
	return chain


def plain_sha256_chain(chain):
	"""What a forger with database access but without the key can compute: the old unkeyed hashes."""
	previous = GENESIS_HASH
	for entry in chain:
		entry.prev_hash = previous
		entry.hash = previous = hashlib.sha256(canonical_json(entry.content())).hexdigest()
	return chain


def test_chain_links_and_verifies():
	chain = make_chain()
	assert chain[0].prev_hash == GENESIS_HASH
	assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(chain))
	assert verify_chain(chain, "SIGN-1", key=KEY) == chain[-1].hash
	assert verify_chain([], key=KEY) == GENESIS_HASH


def test_roundtrip_through_dicts():
	chain = [AuditEntry.from_dict(dataclasses.asdict(e)) for e in make_chain()]
	verify_chain(chain, key=KEY)


def test_canonical_json_is_stable():
	assert (
		canonical_json({"b": 1, "a": "ş"}) == canonical_json({"a": "ş", "b": 1}) == '{"a":"ş","b":1}'.encode()
	)


def test_hash_is_keyed():
	entry = make_chain(1)[0]
	assert entry.hash == entry.compute_hash(KEY) != entry.compute_hash(OTHER_KEY)
	assert entry.hash != hashlib.sha256(canonical_json(entry.content())).hexdigest()


def test_key_is_required():
	with pytest.raises(TypeError):
		append_event(None, chain_id="SIGN-1", event="created", at="2026-03-14T10:00:00")
	with pytest.raises(TypeError):
		verify_chain(make_chain())
	with pytest.raises(TypeError):
		make_chain()[0].compute_hash()
	for weak in (b"", b"short", None, "k" * 32):
		with pytest.raises((TypeError, ValueError)):
			make_chain(1, key=weak)
		with pytest.raises((TypeError, ValueError)):
			verify_chain([], key=weak)


def test_wrong_key_fails():
	with pytest.raises(AuditChainError, match="Entry 1"):
		verify_chain(make_chain(), key=OTHER_KEY)
	# A whole chain rebuilt with a key of the forger's choosing does not verify either.
	with pytest.raises(AuditChainError, match="Entry 1"):
		verify_chain(make_chain(key=OTHER_KEY), key=KEY)


def test_edit_rehashed_with_plain_sha256_fails():
	chain = make_chain()
	chain[2].actor = "mallory"
	plain_sha256_chain(chain)  # every link consistent again, as the unkeyed chain allowed
	with pytest.raises(AuditChainError, match="Entry 1"):
		verify_chain(chain, key=KEY)
	chain = make_chain()
	chain[2].actor = "mallory"
	plain_sha256_chain(chain[2:])  # only from the edit onwards, relinked to the untouched prefix
	chain[2].prev_hash = chain[1].hash
	with pytest.raises(AuditChainError, match="Entry 3"):
		verify_chain(chain, key=KEY)


def test_edited_entry_found():
	chain = make_chain()
	chain[2].data = {"i": 99, "name": "Ağaoğlu"}
	with pytest.raises(AuditChainError, match="Entry 3"):
		verify_chain(chain, key=KEY)


def test_edited_entry_rehashed_breaks_next_link():
	chain = make_chain()
	chain[2].actor = "mallory"
	chain[2].hash = chain[2].compute_hash(KEY)  # only someone holding the key can do this
	with pytest.raises(AuditChainError, match="Entry 4"):
		verify_chain(chain, key=KEY)


def test_removed_entry_found():
	chain = make_chain()
	del chain[1]
	with pytest.raises(AuditChainError, match="Entry 2"):
		verify_chain(chain, key=KEY)


def test_reordered_entries_found():
	chain = make_chain()
	chain[1], chain[2] = chain[2], chain[1]
	with pytest.raises(AuditChainError, match="Entry 2"):
		verify_chain(chain, key=KEY)


def test_entry_from_another_chain_found():
	chain = make_chain()
	with pytest.raises(AuditChainError, match="another chain"):
		verify_chain(chain, "SIGN-2", key=KEY)


def test_rekey_a_legacy_chain_and_rotate():
	legacy = plain_sha256_chain(make_chain())
	keyed = rekey_chain(legacy, "SIGN-1", key=KEY, old_key=None)
	assert verify_chain(keyed, "SIGN-1", key=KEY) == keyed[-1].hash
	assert [e.content() | {"prev_hash": ""} for e in keyed] == [
		e.content() | {"prev_hash": ""} for e in legacy
	]
	rotated = rekey_chain(keyed, "SIGN-1", key=OTHER_KEY, old_key=KEY)
	verify_chain(rotated, key=OTHER_KEY)
	with pytest.raises(AuditChainError):
		verify_chain(rotated, key=KEY)


def test_rekey_refuses_a_tampered_chain():
	legacy = plain_sha256_chain(make_chain())
	legacy[1].actor = "mallory"
	with pytest.raises(AuditChainError, match="Entry 2"):
		rekey_chain(legacy, key=KEY, old_key=None)
	keyed = make_chain()
	del keyed[2]
	with pytest.raises(AuditChainError, match="Entry 3"):
		rekey_chain(keyed, key=OTHER_KEY, old_key=KEY)

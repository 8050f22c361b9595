import datetime as dt

import pytest

from crm_sign.engine import tokens
from crm_sign.engine.errors import OneTimeCodeError, TokenError, TokenExpiredError

SECRET = "site-secret"
NOW = dt.datetime(2026, 3, 14, 12, 0)


def test_token_is_256_bits_and_stored_hashed():
	token = tokens.new_token()
	assert tokens.is_well_formed(token) and len(token) == 43
	assert tokens.new_token() != token
	stored = tokens.hash_token(token, SECRET)
	assert token not in stored and len(stored) == 64
	assert tokens.hash_token(token, "other-secret") != stored
	tokens.check_token(token, stored, SECRET, NOW + dt.timedelta(days=1), NOW)


def test_token_rejections():
	token = tokens.new_token()
	stored = tokens.hash_token(token, SECRET)
	with pytest.raises(TokenError, match="Malformed"):
		tokens.check_token(token[:-1], stored, SECRET)
	with pytest.raises(TokenError, match="Unknown"):
		tokens.check_token(tokens.new_token(), stored, SECRET)
	with pytest.raises(TokenExpiredError):
		tokens.check_token(token, stored, SECRET, NOW, NOW)
	with pytest.raises(TokenError):
		tokens.hash_token(token, "")


def test_code_roundtrip():
	code, state = tokens.issue_code(tokens.OneTimeCode(), SECRET, "signer-1", NOW)
	assert len(code) == 6 and code.isdigit() and code not in state.code_hash
	state = tokens.verify_code(state, code, SECRET, "signer-1", NOW + dt.timedelta(minutes=4))
	assert state.verified and not state.code_hash
	with pytest.raises(OneTimeCodeError):  # single use
		tokens.verify_code(state, code, SECRET, "signer-1", NOW)


def test_code_salted_per_signer():
	code, state = tokens.issue_code(tokens.OneTimeCode(), SECRET, "signer-1", NOW)
	with pytest.raises(OneTimeCodeError):
		tokens.verify_code(state, code, SECRET, "signer-2", NOW)


def test_code_expires_after_five_minutes():
	code, state = tokens.issue_code(tokens.OneTimeCode(), SECRET, "s", NOW)
	with pytest.raises(OneTimeCodeError, match="expired"):
		tokens.verify_code(state, code, SECRET, "s", NOW + dt.timedelta(minutes=5))


def test_five_wrong_codes_lock():
	code, state = tokens.issue_code(tokens.OneTimeCode(), SECRET, "s", NOW)
	wrong = f"{(int(code) + 1) % 1_000_000:06d}"
	lefts = []
	for _ in range(5):
		with pytest.raises(OneTimeCodeError) as info:
			tokens.verify_code(state, wrong, SECRET, "s", NOW)
		lefts.append(info.value.attempts_left)
	assert lefts == [4, 3, 2, 1, 0] and state.locked
	with pytest.raises(OneTimeCodeError, match="locked"):
		tokens.verify_code(state, code, SECRET, "s", NOW)  # even the right code
	with pytest.raises(OneTimeCodeError, match="locked"):
		tokens.issue_code(state, SECRET, "s", NOW + dt.timedelta(hours=1))


def test_resend_limits():
	_, state = tokens.issue_code(tokens.OneTimeCode(), SECRET, "s", NOW)
	with pytest.raises(OneTimeCodeError, match="wait"):
		tokens.issue_code(state, SECRET, "s", NOW + dt.timedelta(seconds=10))
	at = NOW
	for _ in range(4):
		at += dt.timedelta(minutes=2)
		_, state = tokens.issue_code(state, SECRET, "s", at)
	with pytest.raises(OneTimeCodeError, match="Too many codes"):
		tokens.issue_code(state, SECRET, "s", at + dt.timedelta(minutes=2))

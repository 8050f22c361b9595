"""What a guest holding a link token may see and do."""

from __future__ import annotations

import hashlib

import frappe
from frappe import _
from frappe.utils import formatdate, get_datetime, now_datetime, nowdate

from crm_sign.engine import tokens
from crm_sign.engine.errors import OneTimeCodeError
from crm_sign.signing import requests, signers
from crm_sign.signing.audit_log import log_event
from crm_sign.signing.client import TooManyRequestsError, add_hit, client_ip, hits
from crm_sign.signing.settings import token_secret

# Failed token lookups per IP, shared by the signing page and the guest endpoints. The endpoints'
# own rate limits count per IP and token, which a guesser trying a new token each time never hits.
FAILED_LOOKUP_LIMIT = 10
FAILED_LOOKUP_WINDOW = 10 * 60
FAILED_LOOKUPS = "failed_token_lookups"


LINK_COOKIE = "crm_sign_link_{0}"


def link_id(token: str) -> str:
	"""A short, non-secret name for a link: the page keeps it in its address and its calls, and the
	browser keeps the token itself in an HttpOnly cookie of that name."""
	return hashlib.sha256(f"crm_sign link:{token}".encode()).hexdigest()[:20]


def remember_link(token: str, request, row) -> str:
	"""Exchange the token in /sign/<token> for a cookie, so the page can drop it from the address bar
	(and from history, screenshots and shared screens). One cookie per link: two links in two tabs do
	not mix."""
	name = link_id(token)
	_set_private_cookie(
		LINK_COOKIE.format(name), token, get_datetime(row.token_expires_on or request.expires_on)
	)
	return name


def _set_private_cookie(key: str, value: str, expires) -> None:
	"""An HttpOnly, SameSite=Strict cookie (Secure over https); outside a request there is none to set."""
	cookie_manager = getattr(frappe.local, "cookie_manager", None)
	if cookie_manager is not None:
		cookie_manager.set_cookie(key, value, expires=expires, httponly=True, samesite="Strict")


def token_from(token: str | None = None, link: str | None = None) -> str:
	"""The caller's token: given outright, or from the cookie named by `link`."""
	if token:
		return token
	request = getattr(frappe.local, "request", None)
	if link and request is not None and link.isalnum():
		return request.cookies.get(LINK_COOKIE.format(link)) or ""
	return ""


def resolve(token: str | None, link: str | None = None):
	"""(request, signer row) or a 404 that says nothing about why (unknown and malformed look alike).

	After FAILED_LOOKUP_LIMIT unknown tokens from one IP within the window, every lookup from that
	IP is refused with 429 until the window has passed."""
	ip = client_ip()
	if lookups_blocked(ip):
		frappe.throw(_("Too many attempts. Please wait a few minutes and try again."), TooManyRequestsError)
	request, row = requests.find_signer_by_token(token_from(token, link))
	if request is None:
		record_failed_lookup(ip)
		frappe.throw(_("This signing link is not valid."), frappe.DoesNotExistError)
	return request, row


def lookups_blocked(ip: str) -> bool:
	return hits(FAILED_LOOKUPS, ip) >= FAILED_LOOKUP_LIMIT


def record_failed_lookup(ip: str) -> int:
	"""Count one unknown token from `ip`; the window starts with the first failure."""
	return add_hit(FAILED_LOOKUPS, ip, FAILED_LOOKUP_WINDOW)


def is_company_signer_elsewhere(row) -> bool:
	"""A company row signs only in the desk session of its user: the evidence says "desk login"."""
	return row.signer_role == "Company" and frappe.session.user != row.user


def require_signer_identity(row) -> None:
	if is_company_signer_elsewhere(row):
		frappe.throw(
			_("Log in as {0} to sign for the company.").format(row.user),
			frappe.PermissionError,
			title=_("Log in required"),
		)


def page_data(request, row, mark_viewed: bool = False) -> dict:
	state = requests.link_state(request, row)
	if state == "open" and is_company_signer_elsewhere(row):
		state = "login"
	if state == "open" and mark_viewed and not code_required(request, row):
		requests.mark_viewed(request, row)
	fields = [
		{
			"name": f.field_name,
			"label": f.field_label,
			"type": f.field_type,
			"page": f.page,
			"x": f.pos_x,
			"y": f.pos_y,
			"w": f.width,
			"h": f.height,
			"required": bool(f.required),
			"value": f.value if f.field_type not in ("Signature", "Initials", "Image") else "",
		}
		for f in signers.fields_of(request, row)
	]
	code_state = _code_state(row)
	return {
		"state": state,
		"status": request.status,
		"title": request.title,
		"sender": frappe.utils.get_fullname(request.owner),
		"company": frappe.defaults.get_global_default("company") or "",
		"signer_name": row.signer_name,
		"role": row.signer_role,
		"role_label": row.get("role_label") or row.signer_role,
		# Nothing of the document before the one-time code is confirmed.
		"fields": fields if state == "open" and not code_required(request, row) else [],
		"code_required": code_required(request, row),
		"code_channel": request.otp_method,
		"code_sent": bool(code_state.code_hash),
		"code_attempts_left": max(tokens.CODE_MAX_ATTEMPTS - code_state.attempts, 0),
		"code_locked": code_state.locked,
		"today": formatdate(nowdate()),
		"expires_on": str(row.token_expires_on or request.expires_on or ""),
		"declined_reason": request.declined_reason if state == "declined" else "",
		"waiting_for_others": any(r.status != "Signed" for r in requests.signing_rows(request)),
		# The page sends it back with the signature: what was shown is what gets signed.
		"document_sha256": requests.current_document_sha256(request) if state == "open" else "",
		"pages": page_sizes(request) if state in ("open", "copy") and not code_required(request, row) else [],
		# An envelope: each document's title and pages, to head its first page and to download it.
		"documents": [
			{"title": d.document_title, "first_page": d.first_page, "page_count": d.page_count}
			for d in request.get("documents") or []
		],
	}


CODE_SESSION_COOKIE = "crm_sign_code_{0}"


def code_required(request, row) -> bool:
	"""True until this browser confirmed the one-time code: the proof sits in an HttpOnly cookie of
	the browser that entered the code, not on the row, so a second holder of the link must enter it too."""
	if request.otp_method not in ("SMS", "Email") or row.signer_role == "Company":
		return False
	return not has_code_session(row)


def has_code_session(row) -> bool:
	if frappe.flags.crm_sign_code_session == row.name:
		return True  # confirmed in this very request; the cookie arrives with the next one
	if not row.get("otp_session_hash") or not row.get("otp_session_expires_on"):
		return False
	if get_datetime(row.otp_session_expires_on) <= now_datetime():
		return False
	request = getattr(frappe.local, "request", None)
	secret = request.cookies.get(CODE_SESSION_COOKIE.format(row.name)) if request else None
	return bool(secret) and tokens.hash_token(secret, token_secret()) == row.otp_session_hash


def start_code_session(request, row) -> None:
	"""After a correct code: an HttpOnly, SameSite=Strict cookie for this browser, stored hashed, living
	as long as the link does."""
	secret = tokens.new_token()
	expires = get_datetime(row.token_expires_on or request.expires_on)
	requests.set_row(
		row,
		{"otp_session_hash": tokens.hash_token(secret, token_secret()), "otp_session_expires_on": expires},
	)
	frappe.flags.crm_sign_code_session = row.name
	_set_private_cookie(CODE_SESSION_COOKIE.format(row.name), secret, expires)


def require_code(request, row) -> None:
	"""Whatever the link's state: a request with a code shows and accepts nothing without it."""
	if code_required(request, row):
		frappe.throw(
			_("Please enter the code we sent you first."), frappe.PermissionError, title=_("Code required")
		)


def document_bytes(request, row, part: int = 0) -> tuple[bytes, str]:
	"""The document while the link is open, the sealed copy once completed (an envelope's document
	number `part`, from 1; the first by default), nothing otherwise."""
	from crm_sign.signing import files

	state = requests.link_state(request, row)
	if state == "completed" and request.signed_pdf:
		count = len(request.get("documents") or [])
		if not count:
			return files.signed_document(request), f"{request.name}-signed.pdf"
		number = min(max(int(part or 1), 1), count)
		return files.signed_document(request, number), f"{request.name}-{number}-signed.pdf"
	if state not in ("open", "copy"):
		frappe.throw(_("This link can no longer be used."), frappe.PermissionError, title=_("Link closed"))
	return files.current_document(request), f"{request.name}-document.pdf"


PAGE_CACHE_SECONDS = 24 * 3600


def page_sizes(request) -> list[list[float]]:
	"""[[width, height], ...] in points of the document the signer is shown, for laying the page out
	before any image arrives (cached by the document's hash)."""
	from crm_sign.engine.render import page_sizes as sizes_of
	from crm_sign.signing import files

	key = f"crm_sign:page_sizes:{requests.current_document_sha256(request)}"
	cached = frappe.cache.get_value(key, expires=True)
	if cached is None:
		cached = [[round(s.width, 2), round(s.height, 2)] for s in sizes_of(files.current_document(request))]
		frappe.cache.set_value(key, cached, expires_in_sec=PAGE_CACHE_SECONDS)
	return cached


def page_image(request, row, page: int, width: int) -> bytes:
	"""Page `page` (1-based) of the document the signer is shown, as an image; the same rules as the
	document itself. Rendered once per document, page and width (cached by the document's hash)."""
	from crm_sign.engine.render import page_width_for, render_page
	from crm_sign.signing import files

	if requests.link_state(request, row) not in ("open", "copy"):
		frappe.throw(_("This link can no longer be used."), frappe.PermissionError, title=_("Link closed"))
	width = page_width_for(max(int(width or 0), 1))
	key = f"crm_sign:page_image:{requests.current_document_sha256(request)}:{int(page)}:{width}"
	image = frappe.cache.get_value(key, expires=True)
	if image is None:
		try:
			image = render_page(files.current_document(request), int(page) - 1, width)
		except IndexError:
			frappe.throw(_("The document has no page {0}.").format(page), frappe.DoesNotExistError)
		frappe.cache.set_value(key, image, expires_in_sec=PAGE_CACHE_SECONDS)
	return image


def _code_state(row) -> tokens.OneTimeCode:
	return tokens.OneTimeCode(
		code_hash=row.otp_hash or "",
		expires_at=get_datetime(row.otp_expires_on) if row.otp_expires_on else None,
		attempts=row.otp_attempts or 0,
		sends=row.otp_sends or 0,
		last_sent_at=get_datetime(row.otp_last_sent_on) if row.otp_last_sent_on else None,
		verified=bool(row.otp_verified),
	)


def _store_code_state(row, state: tokens.OneTimeCode) -> None:
	requests.set_row(
		row,
		{
			"otp_hash": state.code_hash,
			"otp_expires_on": state.expires_at,
			"otp_attempts": state.attempts,
			"otp_sends": state.sends,
			"otp_last_sent_on": state.last_sent_at,
			"otp_verified": int(state.verified),
		},
	)


def send_code(request, row) -> dict:
	from crm_sign.signing import delivery

	request, row = requests.locked_signer(request, row)
	if requests.link_state(request, row) != "open" or not code_required(request, row):
		frappe.throw(_("No code is needed for this link."))
	try:
		code, state = tokens.issue_code(_code_state(row), token_secret(), row.name, now_datetime())
	except OneTimeCodeError as e:
		frappe.throw(_(e.reason), title=_("Code not sent"))
	_store_code_state(row, state)
	delivery.send_code(request, row, code)
	who = row.mobile if request.otp_method == "SMS" else row.email
	log_event(request, "code_sent", actor=who, data={"channel": request.otp_method})
	return {"sent_to": _masked(who, request.otp_method)}


def verify_code(request, row, code: str) -> dict:
	request, row = requests.locked_signer(request, row)
	if requests.link_state(request, row) != "open" or not code_required(request, row):
		frappe.throw(_("No code is needed for this link."))
	state = _code_state(row)
	if state.locked or not state.code_hash:
		# Nothing to check: no audit entry, so a guesser cannot fill the log.
		frappe.throw(
			_("Too many wrong codes. This link is locked; please contact the sender.")
			if state.locked
			else _("Please ask for a code first."),
			title=_("Wrong code"),
		)
	try:
		state = tokens.verify_code(state, code, token_secret(), row.name, now_datetime())
	except OneTimeCodeError as e:
		_store_code_state(row, state)
		log_event(
			request, "code_failed", actor=row.email or row.mobile, data={"attempts_left": e.attempts_left}
		)
		frappe.db.commit()  # nosemgrep: a wrong code must count even though the call fails
		frappe.throw(
			_("{0}. {1} tries left.").format(_(e.reason), e.attempts_left)
			if e.attempts_left
			else _(e.reason),
			title=_("Wrong code"),
		)
	_store_code_state(row, state)
	start_code_session(request, row)
	log_event(request, "code_verified", actor=row.email or row.mobile)
	requests.mark_viewed(request, row)
	return page_data(request, row)


def _masked(value: str, method: str) -> str:
	from crm_sign.engine.certificate import mask_email, mask_phone

	return mask_phone(value or "") if method == "SMS" else mask_email(value or "")

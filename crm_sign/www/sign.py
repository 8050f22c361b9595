"""The public signing page, /sign/<token> (hooks: website_route_rules).

The page is rendered for every link state; the open state hands its data to sign.js, which talks to
crm_sign.api.guest. Nothing is written on this GET: "viewed" is recorded by the page's first POST, so
link scanners in mail filters do not count as the signer opening the document.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.sessions import get_csrf_token
from frappe.translate import get_all_translations

from crm_sign.engine.render import WIDTHS
from crm_sign.signing import requests, signer_session
from crm_sign.signing.client import client_ip
from crm_sign.signing.settings import get_settings

no_cache = 1
sitemap = 0

LANGUAGES = ("en", "tr")

# Every text the page shows, in English; sign.js translates them with __() from the dicts below.
PAGE_STRINGS = (
	"Secure e-signature",
	"Language",
	"{0} from {1} asks you to sign this document.",
	"{0} asks you to sign this document.",
	"Signing as {0}",
	"{0} sends you this document for your information.",
	"Copy for {0}",
	"You receive a copy",
	"You do not need to sign. We will e-mail you the signed copy when everyone has signed.",
	"View the document",
	"Link valid until {0}",
	"This link is not valid",
	"Check that you opened the whole link from your e-mail or SMS. If it still does not work, ask the sender for a new one.",
	"Too many attempts",
	"Please wait a few minutes and try again.",
	"This link has expired",
	"Ask the sender to send you a new link.",
	"This request was cancelled",
	"The sender cancelled this signature request. Nothing more is needed from you.",
	"This document was declined",
	"Reason given: {0}",
	"Thank you, you have signed",
	"We will e-mail you the signed copy as soon as everyone has signed.",
	"Everyone has signed",
	"The document is signed and sealed. You can download the signed copy.",
	"Download signed PDF",
	"Download {0}",
	"Document {0} of {1}: {2}",
	"It is not your turn yet",
	"Another party signs first. We will send you a message when it is your turn.",
	"Sealing the document…",
	"All signatures are in. The signed copy will be ready in a moment.",
	"Confirm it's you",
	"We will send a 6-digit code to your e-mail address.",
	"We will send a 6-digit code to your mobile phone.",
	"Send code",
	"Send a new code",
	"Code sent to {0}.",
	"6-digit code",
	"Continue",
	"Enter the 6 digits from the message.",
	"{0} tries left",
	"Too many wrong codes. This link is locked; please contact the sender.",
	"Loading the document…",
	"The document could not be loaded. Check your connection and reload the page.",
	"Page {0} of {1}",
	"{0} of {1} fields done",
	"Start",
	"Next field",
	"Review and sign",
	"Sign here",
	"Initials here",
	"Signature",
	"Initials",
	"Date",
	"Text",
	"Long Text",
	"Checkbox",
	"Full Name",
	"Email",
	"Phone",
	"Image",
	"Required",
	"Please fill in {0}",
	"Please tick {0}",
	"Enter a valid e-mail address",
	"Enter a valid phone number",
	"Done",
	"Cancel",
	"Clear",
	"Next",
	"Your signature",
	"Your initials",
	"Draw",
	"Type",
	"Sign with your finger or mouse in the box",
	"Type your name",
	"Adopt and sign",
	"Draw or type your signature first.",
	"Agreement to sign electronically",
	"I agree that my electronic signature is the legal equivalent of my handwritten signature on this document, and I consent to do business electronically.",
	"I have read and agree to the above",
	"Sign",
	"Signing…",
	"Decline",
	"Decline to sign",
	"Why do you decline? (required)",
	"Please give a reason.",
	"You declined to sign",
	"The sender has been told. Nothing more is needed from you.",
	"Fill in all required fields first ({0} left).",
	"Please accept the agreement to sign electronically.",
	"Something went wrong. Please try again.",
	"Too many requests. Please wait a few minutes.",
	"Dated automatically",
	"Style {0}",
	"Log in to sign for the company",
	"This link signs for the company as {0}. Log in with that account first.",
	"Log in",
)


def get_context(context) -> dict:
	context.no_cache = 1
	context.no_header = 1
	context.no_breadcrumbs = 1
	lang = frappe.local.lang if frappe.local.lang in LANGUAGES else "en"
	# /sign/<token> from the e-mail or SMS; the page then moves to /sign?link=<id> and the token
	# lives on in an HttpOnly cookie (signer_session.remember_link).
	token = signer_session.token_from(frappe.form_dict.get("token"), frappe.form_dict.get("link"))
	data, link = _page_data(token, context)
	context.lang = lang
	context.title = data.get("title") or _("Secure e-signature")
	context.data = data
	# The first page's image starts loading with the HTML's head, alongside the CSS and the script.
	context.first_page_srcset = (
		page_srcset(link, 1) if data.get("pages") and data.get("state") == "open" else ""
	)
	context.page_sizes = PAGE_IMAGE_SIZES
	context.data_json = _script_json(
		{
			"link": link,
			"lang": lang,
			"languages": list(LANGUAGES),
			"page": data,
			"messages": {code: _messages(code) for code in LANGUAGES},
			"consent_text": get_settings().consent_text or "",
			"page_widths": list(WIDTHS),
			"page_sizes": PAGE_IMAGE_SIZES,
			# A company signer signs in their desk session, whose POSTs need the CSRF token.
			"csrf_token": get_csrf_token() if frappe.session.user != "Guest" else "",
		}
	)
	return context


# How wide a page is drawn (.cs-main: 920px at most, 10px padding each side), for the browser to pick
# an image from the srcset before any CSS or script has loaded.
PAGE_IMAGE_SIZES = "(max-width: 920px) calc(100vw - 20px), 900px"


def page_srcset(link: str, page: int) -> str:
	"""The srcset of a page's image; sign_page.js builds the same URLs (link, n, w in this order)."""
	return ", ".join(
		f"/api/method/crm_sign.api.guest.page?{urlencode({'link': link, 'n': page, 'w': width})} {width}w"
		for width in WIDTHS
	)


def _page_data(token: str, context) -> tuple[dict, str]:
	ip = client_ip()
	if signer_session.lookups_blocked(ip):
		context.http_status_code = 429
		return {"state": "throttled"}, ""
	request, row = requests.find_signer_by_token(token)
	if request is None:
		signer_session.record_failed_lookup(ip)
		context.http_status_code = 404
		return {"state": "invalid"}, ""
	return signer_session.page_data(request, row), signer_session.remember_link(token, request, row)


def _messages(lang: str) -> dict[str, str]:
	"""PAGE_STRINGS and the consent text translated to `lang` (English keeps the source text)."""
	if lang == "en":
		return {}
	translations = get_all_translations(lang)
	texts = (*PAGE_STRINGS, get_settings().consent_text or "")
	# Rows with the context "crm_sign_page" hold page wording that would be wrong across the desk
	# (e.g. "Type" as the verb on the signature pad); Frappe stores them as "source:context".
	found = {text: translations.get(f"{text}:crm_sign_page") or translations.get(text) for text in texts}
	return {text: value for text, value in found.items() if value}


def _script_json(value) -> str:
	"""JSON that is safe inside <script type="application/json">: no tag or entity can be formed."""
	text = json.dumps(value, ensure_ascii=False, default=str)
	return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

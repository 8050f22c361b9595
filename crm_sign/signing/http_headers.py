"""Response headers for the public signing page and its guest endpoints (hooks: after_request).

The page's address carries a signing link until the page replaces it, and the document endpoint
serves the contract: no Referer may carry either to another site, no cache may keep them.
"""

from __future__ import annotations

GUEST_PATHS = (
	"/sign/",
	"/sign?",
	"/api/method/crm_sign.api.guest.",
	"/api/method/crm_sign.api.verify.",
	"/api/method/crm_sign.api.public.",
)


def is_signing_path(path: str) -> bool:
	return path == "/sign" or path.startswith(GUEST_PATHS)


def after_request(response, request) -> None:
	if not is_signing_path(request.path or ""):
		return
	response.headers["Referrer-Policy"] = "no-referrer"
	response.headers["Cache-Control"] = "no-store, private"
	response.headers["X-Robots-Tag"] = "noindex, nofollow"
	response.headers["X-Content-Type-Options"] = "nosniff"

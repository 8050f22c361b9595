"""Exceptions raised by the signing engine.

Every failure the engine can foresee is one of these, so callers (the Frappe layer, the CLI)
can turn it into a clear, translated message instead of a raw library traceback.
"""


class SignEngineError(Exception):
	"""Base class of every engine error.

	The message is our own sentence, never a library's exception text (that goes to `detail`, for
	logs); `code` names the problem so the Frappe layer can show a translated message for it.
	"""

	def __init__(self, message: str = "", *, code: str = "", detail: str = ""):
		super().__init__(message)
		self.code = code
		self.detail = detail


class InvalidPDFError(SignEngineError):
	"""The bytes are not a readable PDF."""


class EncryptedPDFError(InvalidPDFError):
	"""The PDF is encrypted; we refuse to fill or seal it."""


class EmptyPDFError(InvalidPDFError):
	"""The PDF has no pages."""


class InvalidImageError(SignEngineError):
	"""A signature or stamp image is not a usable PNG/JPEG (or data URL of one)."""


class FieldPathError(SignEngineError):
	"""A field map names a path that the record does not have."""

	def __init__(self, path: str, message: str | None = None):
		self.path = path
		super().__init__(message or f"Field path not found in record: {path}")


class ExpressionError(SignEngineError):
	"""A field-map or rule expression is not allowed or cannot be evaluated."""


class AnchorNotFoundError(SignEngineError):
	"""An anchor tag such as {{sign:client}} is not in the document."""

	def __init__(self, tag: str):
		self.tag = tag
		super().__init__(f"Anchor tag not found in document: {tag}")


class FieldPlacementError(SignEngineError):
	"""A field points at a page that does not exist or has an invalid box."""


class SealError(SignEngineError):
	"""The PDF could not be sealed (bad certificate, bad password, signing failure)."""


class CertificateError(SealError):
	"""A PKCS#12 bundle or PEM certificate could not be loaded."""


class AuditChainError(SignEngineError):
	"""An audit chain does not verify."""


class TokenError(SignEngineError):
	"""A link token is malformed, unknown or expired."""


class TokenExpiredError(TokenError):
	"""The link token is past its expiry."""


class OneTimeCodeError(SignEngineError):
	"""A one-time code is wrong, expired or locked."""

	def __init__(self, reason: str, attempts_left: int = 0):
		self.reason = reason
		self.attempts_left = attempts_left
		super().__init__(reason)

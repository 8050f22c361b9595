"""The field model shared by templates, the designer, the signing page and the stamper."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from .errors import FieldPlacementError


class FieldType(str, Enum):
	TEXT = "text"
	LONG_TEXT = "long_text"
	DATE = "date"
	CHECKBOX = "checkbox"
	SIGNATURE = "signature"
	INITIALS = "initials"
	FULL_NAME = "full_name"
	EMAIL = "email"
	PHONE = "phone"
	IMAGE = "image"  # company stamp or any picture

	@property
	def is_image(self) -> bool:
		return self in (FieldType.SIGNATURE, FieldType.INITIALS, FieldType.IMAGE)


class FillerRole(str, Enum):
	"""Who supplies a field's value."""

	PREFILLED = "prefilled"  # from the record, a constant or a variable, before sending
	COMPANY = "company"  # the company's responsible signer
	COUNTERPARTY = "counterparty"  # the customer


@dataclass(frozen=True)
class Box:
	"""A rectangle relative to the page's visible area: 0..1 from the top-left corner."""

	x: float
	y: float
	w: float
	h: float

	def __post_init__(self) -> None:
		for name in ("x", "y", "w", "h"):
			value = getattr(self, name)
			if not isinstance(value, (int, float)) or value != value:  # NaN check
				raise FieldPlacementError(f"Box {name} must be a number, got {value!r}")
		if self.w <= 0 or self.h <= 0:
			raise FieldPlacementError("Box width and height must be positive")
		if self.x < 0 or self.y < 0 or self.x + self.w > 1.0001 or self.y + self.h > 1.0001:
			raise FieldPlacementError(f"Box {self} lies outside the page (coordinates are 0..1)")


@dataclass
class Field:
	"""One field placed on a document.

	Either `page` + `box` place it, or `anchor` names a tag such as ``{{sign:client}}`` printed in the
	document; anchors are resolved to a page and box before stamping.
	`source` says where a prefilled value comes from: a record path (``customer.email_id``), a constant
	(``const:...``), a variable (``var:...``) or an expression (``=...``); see fieldmap.resolve_source.
	"""

	name: str
	type: FieldType = FieldType.TEXT
	role: FillerRole = FillerRole.PREFILLED
	page: int | None = None  # 0-based
	box: Box | None = None
	anchor: str | None = None
	font_size: float = 10.0
	required: bool = True
	source: str | None = None
	label: str | None = None
	format: str | None = None  # e.g. a date or money format

	def __post_init__(self) -> None:
		self.type = FieldType(self.type)
		self.role = FillerRole(self.role)
		if isinstance(self.box, dict):
			self.box = Box(**self.box)
		elif isinstance(self.box, (list, tuple)):
			self.box = Box(*self.box)
		if self.box is None and not self.anchor:
			raise FieldPlacementError(f"Field {self.name!r} needs a page and box or an anchor tag")
		if self.box is not None and (self.page is None or self.page < 0):
			raise FieldPlacementError(f"Field {self.name!r} has a box but no valid page")
		if self.font_size <= 0:
			raise FieldPlacementError(f"Field {self.name!r} has a non-positive font size")

	@property
	def is_placed(self) -> bool:
		return self.box is not None and self.page is not None

	def placed(self, page: int, box: Box) -> Field:
		"""A copy of this field placed at `page` and `box` (used when an anchor is resolved)."""
		data = self.to_dict()
		data.update(page=page, box=asdict(box))
		return Field.from_dict(data)

	def to_dict(self) -> dict[str, Any]:
		data = asdict(self)
		data["type"] = self.type.value
		data["role"] = self.role.value
		return data

	@classmethod
	def from_dict(cls, data: dict[str, Any]) -> Field:
		known = {f for f in cls.__dataclass_fields__}
		return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class FieldValue:
	"""A value to stamp: text for text-like fields, True/False for checkboxes, image bytes for images."""

	field: Field
	value: Any


@dataclass
class StampPlan:
	"""Everything the stamper needs: the fields with their values, grouped by page on demand."""

	values: list[FieldValue] = field(default_factory=list)

	def by_page(self) -> dict[int, list[FieldValue]]:
		pages: dict[int, list[FieldValue]] = {}
		for item in self.values:
			if not item.field.is_placed:
				raise FieldPlacementError(f"Field {item.field.name!r} is not placed on a page")
			pages.setdefault(item.field.page, []).append(item)
		return pages

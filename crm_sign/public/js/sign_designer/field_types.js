// The field types of the palette, and who fills a field (its role).

// Default box per type, relative to an A4 page (width, height); the checkbox is kept square on drop.
export const TYPE_DEFAULTS = {
	Text: { w: 0.3, h: 0.025, filled_by: "Prefilled", abbr: "T" },
	"Long Text": { w: 0.5, h: 0.08, filled_by: "Prefilled", abbr: "¶" },
	Date: { w: 0.18, h: 0.025, filled_by: "Prefilled", abbr: "D" },
	Checkbox: { w: 0.025, h: 0.018, filled_by: "Counterparty", abbr: "☑" },
	Signature: { w: 0.25, h: 0.06, filled_by: "Counterparty", abbr: "✍" },
	Initials: { w: 0.1, h: 0.045, filled_by: "Counterparty", abbr: "In" },
	"Full Name": { w: 0.3, h: 0.025, filled_by: "Counterparty", abbr: "N" },
	Email: { w: 0.3, h: 0.025, filled_by: "Counterparty", abbr: "@" },
	Phone: { w: 0.2, h: 0.025, filled_by: "Counterparty", abbr: "☎" },
	Image: { w: 0.2, h: 0.1, filled_by: "Company", abbr: "▣" },
};
// Role labels and legend lines are translated where they are shown (__(LEGEND[role])).
export const ROLE_LABELS = {
	Prefilled: "Prefilled",
	Company: "Company signer",
	Counterparty: "Counterparty",
};
export const LEGEND = {
	Prefilled: "Prefilled from the record before sending",
	Company: "Filled in by the company signer",
	Counterparty: "Filled in by the counterparty",
};
// The smallest box side a drag or an edit leaves, as a fraction of the page.
export const MIN_SIZE = 0.008;

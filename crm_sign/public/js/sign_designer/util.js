export const API = "crm_sign.api.designer.";

// Everything the designer writes into HTML goes through esc: labels, paths and tags are user text.
export const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));
export const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
// Positions are fractions of the page, kept to four decimals (a tenth of a point on A4).
export const round4 = (value) => Math.round(value * 10000) / 10000;

// Where a prefilled field's value comes from, written in one string (Sign Template Field.source):
// "customer_name" (a field of the record), "const:text", "var:name" (Sign Settings) or "=expression".
export const SOURCE_KINDS = [
	{ value: "path", label: "Record field" },
	{ value: "const", label: "Constant" },
	{ value: "var", label: "Variable" },
	{ value: "expr", label: "Expression" },
];

export function source_kind(source) {
	const s = (source || "").trim();
	if (s.startsWith("const:")) return { kind: "const", value: s.slice(6) };
	if (s.startsWith("var:")) return { kind: "var", value: s.slice(4).trim() };
	if (s.startsWith("=")) return { kind: "expr", value: s.slice(1) };
	return { kind: "path", value: s };
}

export function make_source(kind, value) {
	value = value || "";
	if (kind === "const") return "const:" + value;
	if (kind === "var") return value ? "var:" + value : "";
	if (kind === "expr") return value.trim() ? "=" + value.trim() : "";
	return value.trim();
}

"""Every user-facing string of the app has a Turkish translation, with the same placeholders.

Collects the literals Frappe's own extractors would find - `_("...")` in Python (and inside Jinja
strings kept in Python constants), `__("...")` in the desk scripts and the bundles' modules (the
signing page's included), `{{ _("...") }}` in templates, and the labels, descriptions, options and
names in the DocType, Page, Workspace and Number Card JSON - and checks them against crm_sign/translations/tr.csv (read by v15)
and crm_sign/locale/tr.po (read by v16). Plain Python: no Frappe needed.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "crm_sign"
TR_CSV = APP / "translations" / "tr.csv"
TR_PO = APP / "locale" / "tr.po"
POT = APP / "locale" / "main.pot"

# Select options that are data, not words (Frappe's doctype extractor skips these fieldnames too).
EXCLUDE_SELECT_FIELDS = {"naming_series", "number_format", "float_precision", "currency_precision"}
# Roles and doctypes that belong to Frappe/ERPNext and are translated there.
FOREIGN_NAMES = {"System Manager", "Sales Manager", "Sales User", "Administrator", "All", "Guest"}

# Jinja `_("...")` inside Python strings (e-mail bodies) and .html templates.
JINJA_CALL = re.compile(r"""(?<![\w.])_\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*[,)]""", re.S)
PLACEHOLDER = re.compile(r"\{\d*\}|\{[a-z_]+\}|\{\{.*?\}\}|%\(\w+\)s|%s|%d")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def _is_test_file(path: Path) -> bool:
	return path.name.startswith("test_") or "tests" in path.relative_to(APP).parts


# ---------------------------------------------------------------------------------------- Python


def _call_name(node: ast.Call) -> str:
	func = node.func
	if isinstance(func, ast.Name):
		return func.id
	if isinstance(func, ast.Attribute):
		return func.attr
	return ""


def python_messages(path: Path) -> dict[str, str | None]:
	"""{message: context} for `_("...")` / `_lt("...")` with a literal first argument, and Jinja
	`_("...")` inside Python string constants (templates rendered with frappe.render_template)."""
	tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
	found: dict[str, str | None] = {}
	for node in ast.walk(tree):
		if isinstance(node, ast.Call) and _call_name(node) in ("_", "_lt") and node.args:
			first = node.args[0]
			if isinstance(first, ast.Constant) and isinstance(first.value, str):
				context = None
				for kw in node.keywords:
					if kw.arg == "context" and isinstance(kw.value, ast.Constant):
						context = kw.value.value
				found.setdefault(first.value, context)
		elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "_(" in node.value:
			if "{{" in node.value or "{%" in node.value:
				for m in JINJA_CALL.finditer(node.value):
					found.setdefault(_unescape(m.group("text")), None)
	return found


# Texts that reach _() / __() through a variable: (file, constant or exception class) whose string
# values are translated where they are used (audit_log: _(TIMELINE_MESSAGES[event]), signer_session:
# _(e.reason) of OneTimeCodeError, designer: __(LEGEND[r]), ...).
PY_CONSTANTS = {
	"crm_sign/signing/audit_log.py": ("TIMELINE_MESSAGES",),
	"crm_sign/signing/delivery.py": ("DEFAULT_EMAIL_SUBJECT",),
	"crm_sign/automation/triggers.py": ("EVENT_LABELS",),
	"crm_sign/automation/board.py": ("BOARD_NAME",),
}
PY_MESSAGE_CALLS = ("OneTimeCodeError",)
JS_CONSTANTS = {
	"crm_sign/public/js/sign_designer/field_types.js": ("ROLE_LABELS", "LEGEND"),
	"crm_sign/public/js/sign_designer/sources.js": ("SOURCE_KINDS",),
}


def _strings_in(node: ast.AST) -> list[str]:
	if isinstance(node, ast.Constant) and isinstance(node.value, str):
		return [node.value]
	if isinstance(node, ast.Dict):
		return [text for value in node.values for text in _strings_in(value)]
	if isinstance(node, ast.List | ast.Tuple | ast.Set):
		return [text for elt in node.elts for text in _strings_in(elt)]
	if isinstance(node, ast.IfExp):
		return _strings_in(node.body) + _strings_in(node.orelse)
	return []


def python_indirect_messages(path: Path) -> dict[str, str | None]:
	"""Texts translated through a variable (PY_CONSTANTS, PY_MESSAGE_CALLS) and the labels,
	descriptions and Select options of field definitions kept in Python (custom fields)."""
	tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
	rel = str(path.relative_to(ROOT))
	found: dict[str, str | None] = {}
	for node in ast.walk(tree):
		if isinstance(node, ast.Assign | ast.AnnAssign):
			targets = node.targets if isinstance(node, ast.Assign) else [node.target]
			names = {t.id for t in targets if isinstance(t, ast.Name)}
			if names & set(PY_CONSTANTS.get(rel, ())) and node.value is not None:
				for text in _strings_in(node.value):
					found.setdefault(text, None)
		elif isinstance(node, ast.Call) and _call_name(node) in PY_MESSAGE_CALLS and node.args:
			for text in _strings_in(node.args[0]):
				found.setdefault(text, None)
		elif isinstance(node, ast.Dict):
			keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
			if "fieldtype" not in keys or "fieldname" not in keys:
				continue
			values = dict(zip(keys, node.values, strict=True))
			for key in ("label", "description"):
				for text in _strings_in(values.get(key) or ast.Constant(None)):
					found.setdefault(text, None)
			fieldtype = _strings_in(values["fieldtype"])
			if fieldtype == ["Select"] and "options" in values:
				for text in _strings_in(values["options"]):
					for option in text.split("\n"):
						if option:
							found.setdefault(option, None)
	return found


# ------------------------------------------------------------------------------------ JavaScript

_JS_STRING = re.compile(
	r"""(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)|`(?P<tpl>(?:\\.|[^`\\$]|\$(?!\{))*)`""", re.S
)
_JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


def _unescape(text: str) -> str:
	def repl(m: re.Match) -> str:
		ch = m.group(1)
		if ch.startswith("u"):
			return chr(int(ch[1:], 16))
		return _JS_ESCAPES.get(ch, ch)

	return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", repl, text, flags=re.S)


def _regex_can_start(before: str) -> bool:
	"""A `/` starts a regular expression (not a division) after an operator, a bracket or `return`."""
	before = before.rstrip()
	return not before or before[-1] in "=(,:!&|?;{}[+-*%<>~^" or before.endswith("return")


def _strip_js_comments(code: str) -> str:
	"""Blank out // and /* */ comments, keeping strings, template literals and line numbers."""
	out, i, n = [], 0, len(code)
	while i < n:
		ch = code[i]
		if ch in "\"'`":
			j = i + 1
			while j < n and code[j] != ch:
				j += 2 if code[j] == "\\" else 1
			out.append(code[i : j + 1])
			i = j + 1
		elif code.startswith("//", i):
			j = code.find("\n", i)
			j = n if j < 0 else j
			i = j
		elif code.startswith("/*", i):
			j = code.find("*/", i + 2)
			j = n if j < 0 else j + 2
			out.append(re.sub(r"[^\n]", " ", code[i:j]))
			i = j
		elif ch == "/" and _regex_can_start("".join(out[-40:])):
			# a regular expression literal: copy it whole so quotes inside it are not strings
			j = i + 1
			in_class = False
			while j < n and code[j] != "\n":
				if code[j] == "\\":
					j += 2
					continue
				if code[j] == "[":
					in_class = True
				elif code[j] == "]":
					in_class = False
				elif code[j] == "/" and not in_class:
					break
				j += 1
			out.append(code[i : j + 1])
			i = j + 1
		else:
			out.append(ch)
			i += 1
	return "".join(out)


def js_messages(code: str, functions: tuple[str, ...] = ("__",)) -> tuple[dict[str, str | None], list[str]]:
	"""({message: context}, [dynamic call snippets]) for calls like __("text", [args], "context").

	A message is one string literal or literals joined with `+`; a template literal counts only
	without `${}`. Anything else in the first argument is reported as dynamic."""
	code = _strip_js_comments(code)
	names = "|".join(re.escape(f) for f in functions)
	found: dict[str, str | None] = {}
	dynamic: list[str] = []
	for call in re.finditer(rf"(?<![\w$.])(?:{names})\(\s*", code):
		pos = call.end()
		parts = []
		while True:
			m = _JS_STRING.match(code, pos)
			if not m:
				break
			parts.append(_unescape(m.group("text") if m.group("tpl") is None else m.group("tpl")))
			pos = m.end()
			plus = re.match(r"\s*\+\s*", code[pos:])
			if plus and _JS_STRING.match(code, pos + plus.end()):
				pos += plus.end()
				continue
			break
		rest = code[pos:]
		if not parts or not re.match(r"\s*[,)]", rest):
			dynamic.append(code[call.start() : call.end() + 60].split("\n")[0])
			continue
		context = None
		ctx = re.match(
			r"""\s*,\s*(?:null|undefined|\[[^\]]*\]|\{[^}]*\}|[\w.$]+)\s*,\s*(["'])((?:\\.|(?!\1).)*)\1\s*\)""",
			rest,
			re.S,
		)
		if ctx:
			context = _unescape(ctx.group(2))
		found.setdefault("".join(parts), context)
	return found, dynamic


def js_constant_messages(code: str, names: tuple[str, ...]) -> dict[str, str | None]:
	"""String values of `const NAME = {...}` / `[...]` objects: their `label:` values when they have
	any, otherwise every property value."""
	found: dict[str, str | None] = {}
	for name in names:
		m = re.search(rf"\bconst\s+{re.escape(name)}\s*=\s*([\[{{])", code)
		if not m:
			continue
		depth, i = 0, m.start(1)
		for i in range(m.start(1), len(code)):
			depth += code[i] in "[{"
			depth -= code[i] in "]}"
			if depth == 0:
				break
		body = code[m.start(1) : i + 1]
		values = re.findall(r"""\blabel\s*:\s*(["'])((?:\\.|(?!\1).)*)\1""", body)
		if not values:
			values = re.findall(r""":\s*(["'])((?:\\.|(?!\1).)*)\1""", body)
		for _quote, text in values:
			found.setdefault(_unescape(text), None)
	return found


# ---------------------------------------------------------------------------------------- Jinja


def template_messages(code: str) -> dict[str, str | None]:
	found: dict[str, str | None] = {}
	for block in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", code, re.S):
		for m in JINJA_CALL.finditer(block.group(0)):
			found.setdefault(_unescape(m.group("text")), None)
	for m in re.finditer(r'data-i18n="([^"]+)"', code):
		found.setdefault(m.group(1), None)
	return found


# ----------------------------------------------------------------------------------------- JSON


def doctype_messages(data: dict) -> dict[str, str | None]:
	"""What frappe.gettext.extractors.doctype finds; labels and options have the doctype as context
	in the desk (__(df.label, null, df.parent)) but are looked up without it as a fallback."""
	found: dict[str, str | None] = {data["name"]: None}
	if data.get("description"):
		found.setdefault(data["description"], None)
	for df in data.get("fields", []):
		if df.get("label"):
			found.setdefault(df["label"], None)
		if df.get("description"):
			found.setdefault(df["description"], None)
		options = df.get("options") or ""
		if df.get("fieldtype") == "HTML" and options:
			found.setdefault(options, None)
		if df.get("fieldname") == "consent_text" and df.get("default"):
			found.setdefault(df["default"], None)  # www/sign.py shows it translated
		if df.get("fieldtype") == "Select" and df.get("fieldname") not in EXCLUDE_SELECT_FIELDS:
			for option in options.split("\n"):
				if option and not option.isdigit() and re.search("[A-Za-z]", option):
					found.setdefault(option, None)
	for link in data.get("links", []):
		if link.get("group"):
			found.setdefault(link["group"], None)
	for perm in data.get("permissions", []):
		if perm.get("role") and perm["role"] not in FOREIGN_NAMES:
			found.setdefault(perm["role"], None)
	return found


def workspace_messages(data: dict) -> dict[str, str | None]:
	found: dict[str, str | None] = {}
	texts = [data.get("label"), data.get("title")]
	texts += [c.get("label") for c in data.get("charts", [])]
	texts += [c.get("label") for c in data.get("number_cards", [])]
	texts += [link.get("label") for link in data.get("links", [])]
	texts += [link.get("description") for link in data.get("links", [])]
	texts += [s.get("label") for s in data.get("shortcuts", [])]
	texts += [s.get("format") for s in data.get("shortcuts", [])]
	for item in json.loads(data.get("content") or "[]"):
		if item.get("type") in ("header", "paragraph"):
			texts.append(item.get("data", {}).get("text"))
	for text in texts:
		if text:
			found.setdefault(text, None)
	return found


def json_messages(path: Path) -> dict[str, str | None]:
	data = json.loads(path.read_text(encoding="utf-8"))
	if not isinstance(data, dict):
		return {}
	kind = data.get("doctype")
	if kind == "DocType":
		return doctype_messages(data)
	if kind == "Workspace":
		return workspace_messages(data)
	if kind == "Page":
		found = {data["title"]: None} if data.get("title") else {}
		for role in data.get("roles", []):
			if role.get("role") and role["role"] not in FOREIGN_NAMES:
				found.setdefault(role["role"], None)
		return found
	if kind in ("Number Card", "Dashboard Chart"):
		return {text: None for text in (data.get("label"), data.get("chart_name")) if text}
	return {}


# ------------------------------------------------------------------------------------ all files


def source_files() -> dict[str, list[Path]]:
	py = [p for p in APP.rglob("*.py") if not _is_test_file(p)]
	# the bundles' sources, not their build output (public/dist) or installed packages
	js = [p for p in (APP / "public" / "js").rglob("*.js") if "node_modules" not in p.parts]
	js += list((APP / "crm_sign").rglob("*.js"))
	js += [p for p in (APP / "www").glob("*.js")]
	html = [p for p in APP.rglob("*.html") if "public" not in p.relative_to(APP).parts[:1]]
	desk_json = [
		p
		for p in (APP / "crm_sign").rglob("*.json")
		if p.parent.parent.name in ("doctype", "page", "workspace", "number_card", "dashboard_chart")
		and p.stem == p.parent.name
	]
	return {"py": sorted(py), "js": sorted(set(js)), "html": sorted(html), "json": sorted(desk_json)}


def collect_messages() -> dict[str, dict[str, str | None]]:
	"""{message: {relative path: context}} for every translatable literal of the app."""
	messages: dict[str, dict[str, str | None]] = {}

	def add(found: dict[str, str | None], path: Path) -> None:
		rel = str(path.relative_to(ROOT))
		for text, context in found.items():
			if text and text.strip() and re.search("[A-Za-z]", text):
				messages.setdefault(text, {})[rel] = context

	files = source_files()
	for path in files["py"]:
		add(python_messages(path), path)
		add(python_indirect_messages(path), path)
	for path in files["js"]:
		code = path.read_text(encoding="utf-8")
		add(js_messages(code)[0], path)
		add(js_constant_messages(code, JS_CONSTANTS.get(str(path.relative_to(ROOT)), ())), path)
	for path in files["html"]:
		code = path.read_text(encoding="utf-8")
		add(template_messages(code), path)
		for script in re.findall(r"<script\b[^>]*>(.*?)</script>", code, re.S):  # inline __() calls
			add(js_messages(script)[0], path)
	for path in files["json"]:
		add(json_messages(path), path)
	return messages


# -------------------------------------------------------------------------------- translations


def read_csv(path: Path = TR_CSV) -> dict[tuple[str, str | None], str]:
	"""{(source, context or None): translation}, as frappe.translate.get_translation_dict_from_file."""
	rows = {}
	with open(path, encoding="utf-8", newline="") as f:
		for row in csv.reader(f):
			if not row:
				continue
			assert len(row) in (2, 3), f"bad row in {path.name}: {row}"
			rows[(row[0], row[2] if len(row) == 3 and row[2] else None)] = row[1].strip()
	return rows


def _po_unquote(chunk: str) -> str:
	return "".join(json.loads(part) for part in re.findall(r'"(?:\\.|[^"\\])*"', chunk))


def read_po(path: Path) -> dict[tuple[str, str | None], str]:
	"""{(msgid, msgctxt or None): msgstr} of a .po/.pot file (no plural forms are used)."""
	entries = {}
	text = path.read_text(encoding="utf-8")
	for block in re.split(r"\n\s*\n", text):
		lines = [line for line in block.splitlines() if not line.startswith("#")]
		fields: dict[str, str] = {}
		key = None
		for line in lines:
			m = re.match(r"(msgctxt|msgid|msgstr)\s+(.*)", line)
			if m:
				key = m.group(1)
				fields[key] = m.group(2)
			elif key and line.startswith('"'):
				fields[key] += line
		if "msgid" in fields:
			msgid = _po_unquote(fields["msgid"])
			if msgid:
				context = _po_unquote(fields["msgctxt"]) if "msgctxt" in fields else None
				entries[(msgid, context)] = _po_unquote(fields.get("msgstr", '""'))
	return entries


def placeholders(text: str) -> list[str]:
	return sorted(PLACEHOLDER.findall(text))


def html_tags(text: str) -> list[str]:
	return sorted(re.sub(r"\s+", " ", tag) for tag in HTML_TAG.findall(text))


# ----------------------------------------------------------------------------------------- tests

MESSAGES = collect_messages()


def test_messages_were_found():
	assert len(MESSAGES) > 300
	for sample in ("Sign Request", "Secure e-signature", "Send for Signature", "Signature"):
		assert sample in MESSAGES


def test_every_message_has_a_turkish_csv_entry():
	csv_rows = read_csv()
	missing = sorted(
		f"{text!r} ({', '.join(MESSAGES[text])})"
		for text in MESSAGES
		if not csv_rows.get((text, None), "").strip()
	)
	assert not missing, "no Turkish translation in tr.csv for:\n" + "\n".join(missing)


def test_every_message_is_in_the_po_files():
	po = read_po(TR_PO)
	pot = read_po(POT)
	missing_po = sorted(text for text in MESSAGES if not po.get((text, None), "").strip())
	missing_pot = sorted(text for text in MESSAGES if (text, None) not in pot)
	assert not missing_po, "no translation in tr.po for:\n" + "\n".join(missing_po)
	assert not missing_pot, "not in main.pot:\n" + "\n".join(missing_pot)


def test_csv_and_po_agree():
	csv_rows = read_csv()
	po = read_po(TR_PO)
	assert set(po) == set(csv_rows)
	different = [key for key, value in csv_rows.items() if po[key] != value]
	assert not different, different
	assert set(read_po(POT)) == set(po)


@pytest.mark.parametrize("source", ["csv", "po"])
def test_placeholders_and_tags_are_kept(source):
	rows = read_csv() if source == "csv" else read_po(TR_PO)
	wrong = []
	for (text, _context), translated in rows.items():
		if placeholders(text) != placeholders(translated):
			wrong.append(f"{text!r} -> {translated!r}: {placeholders(text)} != {placeholders(translated)}")
		elif html_tags(text) != html_tags(translated):
			wrong.append(f"{text!r} -> {translated!r}: HTML tags differ")
	assert not wrong, "\n".join(wrong)


def test_no_untranslated_or_english_leftovers():
	rows = read_csv()
	# Words that are the same in Turkish, names, and technical terms.
	same = {"PDF", "SMS", "Twilio", "CRM Sign", "Jinja", "HTML", "IP", "URL", "Token", "SHA-256", "ID"}
	suspicious = [
		text
		for (text, _context), translated in rows.items()
		if translated == text and text not in same and re.search("[a-z]{3}", PLACEHOLDER.sub("", text))
	]
	assert not suspicious, suspicious


def test_turkish_text_is_well_formed():
	for (text, _context), translated in read_csv().items():
		assert translated == translated.strip(), text
		assert "\ufffd" not in translated, text
		# no ASCII look-alikes of Turkish letters in common words
		for wrong in ("Imza", "Sablon", "sablon", "Sozlesme", "Musteri", "Iptal", "Islem"):
			assert wrong not in translated, (text, translated)


def test_signing_page_strings_are_all_translated():
	"""www/sign.py hands PAGE_STRINGS to the page; each needs a context-free translation."""
	tree = ast.parse((APP / "www" / "sign.py").read_text(encoding="utf-8"))
	page_strings = next(
		node.value
		for node in ast.walk(tree)
		if isinstance(node, ast.Assign)
		and any(isinstance(t, ast.Name) and t.id == "PAGE_STRINGS" for t in node.targets)
	)
	texts = [elt.value for elt in page_strings.elts]
	rows = read_csv()
	assert [text for text in texts if not rows.get((text, None))] == []
	# and every __("...") of the signing page's modules is one of them
	used: dict[str, str | None] = {}
	for path in sorted((APP / "public" / "js" / "sign_page").glob("*.js")):
		used.update(js_messages(path.read_text(encoding="utf-8"))[0])
	assert len(used) > 50
	assert sorted(set(used) - set(texts)) == []

"""The sandbox for user-written texts (crm_sign.signing.text_templates), without a site.

Plain unittest (no frappe import), so it runs under `bench run-tests` and under plain pytest where
Jinja is installed: `python -m pytest crm_sign/signing/test_text_templates.py`.
"""

from __future__ import annotations

import time
import unittest

from crm_sign.signing.text_templates import MAX_OUTPUT_LENGTH, TextTemplateError, check, plain, render

CONTEXT = {
	"doc": {"name": "CRM-OPP-1", "items": [{"qty": 1}, {"qty": 2}], "notes": "<b>bold</b>"},
	"title": "Contract & <i>Co</i>",
	"signer_name": "<script>alert(1)</script>",
	"link": "https://example.com/sign/abc_DEF-123",
	"_": lambda message, context=None: message,
}


class TestTextSandbox(unittest.TestCase):
	def assertRefused(self, source: str, html: bool = False) -> str:
		started = time.monotonic()
		with self.assertRaises(TextTemplateError) as caught:
			render(source, CONTEXT, html=html)
		self.assertLess(time.monotonic() - started, 2, source)
		return str(caught.exception)

	def test_values_render_and_html_escapes_them(self):
		self.assertEqual(render("Hi {{ signer_name }}", CONTEXT, html=False), "Hi <script>alert(1)</script>")
		self.assertEqual(
			render("Hi {{ signer_name }}", CONTEXT, html=True), "Hi &lt;script&gt;alert(1)&lt;/script&gt;"
		)
		self.assertEqual(
			render("{{ _('{0} asks you to sign {1}.').format(signer_name, title) }}", CONTEXT, html=True),
			"&lt;script&gt;alert(1)&lt;/script&gt; asks you to sign Contract &amp; &lt;i&gt;Co&lt;/i&gt;.",
		)
		self.assertEqual(
			render('<a href="{{ link }}">x</a>', CONTEXT, html=True), f'<a href="{CONTEXT["link"]}">x</a>'
		)

	def test_record_data_loops_and_filters_work(self):
		self.assertEqual(
			render("{% for r in doc.items %}{{ r.qty }};{% endfor %}", CONTEXT, html=True), "1;2;"
		)
		self.assertEqual(render("{{ doc.items|sum(attribute='qty') }}", CONTEXT, html=False), "3")
		self.assertEqual(render("{{ doc.items|map(attribute='qty')|join('-') }}", CONTEXT, html=False), "1-2")
		self.assertEqual(
			render("{{ doc.name|lower }} {{ doc.get('name') }}", CONTEXT, html=False), "crm-opp-1 CRM-OPP-1"
		)
		self.assertEqual(render("{{ 'a' * 3 ~ '!' }}", CONTEXT, html=False), "aaa!")

	def test_undefined_names_render_empty(self):
		self.assertEqual(
			render("[{{ nothing }}|{{ doc.missing.deeper }}|{{ frappe.session.user }}]", CONTEXT, html=False),
			"[||]",
		)

	def test_frappe_and_python_internals_are_out_of_reach(self):
		self.assertIn(
			"frappe", self.assertRefused("{{ frappe.get_doc('User', 'a@b.c').add_roles('System Manager') }}")
		)
		self.assertRefused("{{ frappe.db.sql('select 1') }}")
		self.assertEqual(render("{{ ''.__class__.__mro__ }}{{ doc.__class__ }}", CONTEXT, html=False), "")
		self.assertRefused("{{ (1).to_bytes(8, 'big') }}")
		self.assertRefused("{% include 'templates/includes/footer.html' %}")
		self.assertRefused("{% import 'macros.html' as m %}")

	def test_costly_texts_are_refused_at_once(self):
		for source in (
			"{{ 'a' * 2000000000 }}",
			"{{ [0] * 2000000000 }}",
			"{{ 10 ** 10 ** 10 }}",
			"{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
			"{% for c in doc.notes * 100000 %}{% for d in doc.notes * 100000 %}{% endfor %}{% endfor %}",
			"{{ 'x'|center(1000000000) }}",
			"{{ 'x'.ljust(1000000000) }}",
			"{{ '{:>999999999}'.format(1) }}",
			"{{ '{0:{1}}'.format(1, 999999999) }}",
			"{{ '%999999999d' % 1 }}",
			"{{ lipsum(1000000000) }}",
			"{{ ([range(10000)|list] * 10000)|string }}",
			"{% set ns = namespace(l=[range(10000)|list]) %}"
			"{% for i in range(20) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
			"{{ 'a'|replace('', 'b' * 900000) }}",
			"{{ 5|round(-1000000000) }}",
			"{{ ([[0] * 10000] * 10)|sum(start=[]) }}",
			"{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
			"{% for i in range(100000) %}{{ 'xxxxxxxxxx' }}{% endfor %}",
		):
			with self.subTest(source=source):
				self.assertRefused(source)

	def test_output_is_bounded(self):
		self.assertRefused("{% for i in range(30000) %}{{ 'xxxxxxxxxx' }}{% endfor %}")
		self.assertEqual(len(render("{{ 'x' * 1000 }}", CONTEXT, html=False)), 1000)
		self.assertGreater(MAX_OUTPUT_LENGTH, 100_000)

	def test_errors_are_reported_in_words(self):
		self.assertIn("line 1", self.assertRefused("{{ unclosed"))
		self.assertIn("reserved", self.assertRefused("{{ crm_sign_iterate }}"))
		with self.assertRaises(TextTemplateError):
			check("{% for %}")
		check("Hello {{ signer_name }}")

	def test_plain_keeps_data_only(self):
		import datetime as dt

		value = plain(
			{"a": dt.date(2024, 3, 14), "f": len, "_private": 1, "rows": [{"x": object()}], "s": "t"}
		)
		self.assertEqual(value, {"a": "2024-03-14", "rows": [{"x": None}], "s": "t"})


if __name__ == "__main__":
	unittest.main()

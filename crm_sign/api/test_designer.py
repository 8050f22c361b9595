"""The template designer's endpoints: what the page loads, the PDF it renders, and saving rows."""

from __future__ import annotations

import json
from unittest.mock import patch

import frappe

try:
	from frappe.tests import IntegrationTestCase
except ImportError:
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from crm_sign.api import designer
from crm_sign.engine.samples import sample_contract_pdf
from crm_sign.tests.fixtures import TEMPLATE_FIELDS, make_lead, make_template, make_user

TEMPLATE = "Designer Test Contract"


class TestDesigner(IntegrationTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.template = make_template("Lead", TEMPLATE)

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_designer_data_has_rows_anchors_and_the_field_tree(self):
		"""Rows come back with the anchored ones placed; every tag in the document is a suggestion."""
		data = designer.get_designer_data(self.template)

		self.assertEqual(len(data["fields"]), len(TEMPLATE_FIELDS))
		anchored = [row for row in data["fields"] if row["anchor"]]
		self.assertTrue(anchored)
		for row in anchored:
			self.assertNotIn("anchor_missing", row)
			placement = row["placement"]
			self.assertGreaterEqual(placement["page"], 1)
			self.assertTrue(0 < placement["width"] <= 1 and 0 < placement["height"] <= 1)

		keys = {s["key"] for s in data["suggestions"]}
		self.assertIn("sign:client", keys)
		self.assertTrue(all(s["accepted"] for s in data["suggestions"] if s["key"] == "sign:client"))
		client = next(s for s in data["suggestions"] if s["key"] == "sign:client")
		self.assertEqual((client["field_type"], client["filled_by"]), ("Signature", "Counterparty"))
		company = next(s for s in data["suggestions"] if s["key"] == "sign:company")
		self.assertEqual(company["filled_by"], "Company")

		self.assertIn("designer_pdf", data["pdf_url"])
		self.assertTrue(data["can_write"])
		tree = {node["path"]: node for node in data["field_tree"]}
		self.assertIn("email_id", tree)
		self.assertIn("customer.customer_name", {c["path"] for c in tree["customer"]["children"]})
		self.assertTrue(any(c["path"].startswith("notes[0].") for c in tree["notes"]["children"]))
		self.assertFalse(any(n["fieldtype"] in ("Section Break", "Column Break") for n in data["field_tree"]))

	def test_unused_anchor_is_offered_again(self):
		"""Removing the row of an anchor turns its tag back into an open suggestion."""
		doc = frappe.get_doc("Sign Template", self.template)
		rows = [row.as_dict() for row in doc.fields if (row.anchor or "") != "{{date:client}}"]
		designer.save_fields(self.template, rows)  # a list works as well as its JSON
		data = designer.get_designer_data(self.template)
		date_client = [s for s in data["suggestions"] if s["key"] == "date:client"]
		self.assertTrue(date_client)
		self.assertFalse(any(s["accepted"] for s in date_client))

	def test_designer_pdf_streams_the_document(self):
		designer.designer_pdf(self.template)
		self.assertEqual(frappe.local.response.type, "pdf")
		self.assertTrue(frappe.local.response.filecontent.startswith(b"%PDF"))

	def test_save_fields_replaces_the_rows(self):
		data = designer.get_designer_data(self.template)
		rows = [*data["fields"][:2]]
		rows.append(
			{
				"field_label": "Start date",
				"field_type": "Date",
				"filled_by": "Prefilled",
				"source": "=date(creation)",
				"page": 1,
				"pos_x": 0.123456,
				"pos_y": 0.5,
				"width": 0.2,
				"height": 0.03,
				"anchor": "{{ignored:because_boxed}}",
				"font_size": 9,
				"required": 0,
				"placement": {"page": 1},  # display-only keys are dropped
			}
		)
		self.assertEqual(
			designer.save_fields(self.template, json.dumps(rows), data["template"]["modified"]), 3
		)

		doc = frappe.get_doc("Sign Template", self.template)
		self.assertEqual([row.field_label for row in doc.fields], [r["field_label"] for r in rows])
		added = doc.fields[2]
		self.assertEqual((added.pos_x, added.anchor, added.required), (0.1235, "", 0))
		self.assertEqual(added.source, "=date(creation)")

	def test_a_fields_signer_role_survives_the_designer(self):
		"""With two client roles, the designer offers them and saving keeps which one signs where."""
		name = make_template(
			"Lead",
			"Designer Two Clients",
			roles=[
				{"signer_role": "Counterparty", "label": "Client", "signing_step": 1},
				{"signer_role": "Counterparty", "label": "Client 2", "signing_step": 1},
				{"signer_role": "Company", "label": "Company", "signing_step": 2},
			],
		)
		data = designer.get_designer_data(name)
		self.assertEqual(data["roles"], {"Counterparty": ["Client", "Client 2"], "Company": ["Company"]})
		rows = data["fields"]
		second = next(row for row in rows if row["filled_by"] == "Counterparty")
		second["signer_label"] = "Client 2"
		designer.save_fields(name, json.dumps(rows), data["template"]["modified"])
		saved = designer.get_designer_data(name)["fields"]
		self.assertEqual(
			[row["signer_label"] for row in saved if row["field_label"] == second["field_label"]],
			["Client 2"],
		)

	def test_save_fields_is_validated_by_the_template(self):
		"""A prefilled field without a source, or a box off the page, is refused with the row named."""
		for row in (
			{"field_label": "No source", "field_type": "Text", "filled_by": "Prefilled", "page": 1}
			| {"pos_x": 0.1, "pos_y": 0.1, "width": 0.2, "height": 0.03},
			{"field_label": "Off page", "field_type": "Signature", "filled_by": "Counterparty", "page": 1}
			| {"pos_x": 0.9, "pos_y": 0.1, "width": 0.2, "height": 0.03},
			{"field_label": "Nowhere", "field_type": "Signature", "filled_by": "Counterparty", "page": 1},
			{"field_label": "Odd", "field_type": "Barcode", "filled_by": "Counterparty", "anchor": "x:y"},
		):
			with self.subTest(row=row["field_label"]), self.assertRaises(frappe.ValidationError):
				designer.save_fields(self.template, json.dumps([row]))
		self.assertEqual(len(frappe.get_doc("Sign Template", self.template).fields), len(TEMPLATE_FIELDS))

	def test_save_fields_refuses_a_stale_designer(self):
		with self.assertRaises(frappe.TimestampMismatchError):
			designer.save_fields(self.template, "[]", "2000-01-01 00:00:00")

	def test_only_writers_save_and_only_readers_load(self):
		reader = make_user("sign.reader@example.com", ["Sign User"])
		outsider = make_user("sign.outsider@example.com", ["Blogger"])
		frappe.set_user(reader)
		self.assertFalse(designer.get_designer_data(self.template)["can_write"])
		with self.assertRaises(frappe.PermissionError):
			designer.save_fields(self.template, "[]")
		frappe.set_user(outsider)
		with self.assertRaises(frappe.PermissionError):
			designer.get_designer_data(self.template)
		with self.assertRaises(frappe.PermissionError):
			designer.designer_pdf(self.template)

	def test_print_format_template_is_rendered_for_the_latest_record(self):
		lead = make_lead(email="designer.latest@example.com", mobile=None)
		frappe.db.set_value("Lead", lead.name, "modified", frappe.utils.add_days(frappe.utils.now(), 1))
		if not frappe.db.exists("Print Format", "Designer Test Lead"):
			frappe.get_doc(
				{
					"doctype": "Print Format",
					"name": "Designer Test Lead",
					"doc_type": "Lead",
					"module": "CRM Sign",
					"standard": "No",
					"custom_format": 1,
					"print_format_type": "Jinja",
					"html": "<p>{{ doc.lead_name }}</p><p>{% raw %}{{sign:client}}{% endraw %}</p>",
				}
			).insert(ignore_permissions=True)
		name = make_template(
			"Lead",
			"Designer Test Print Format",
			source_type="Print Format",
			print_format="Designer Test Lead",
			pdf_file=None,
		)
		with patch.object(designer, "render_template_pdf", return_value=sample_contract_pdf()) as render:
			data = designer.get_designer_data(name)
			designer.get_designer_data(name)  # served from the cache
		self.assertEqual(data["record"], lead.name)
		self.assertEqual(render.call_count, 1)
		self.assertEqual(render.call_args.args[1].name, lead.name)

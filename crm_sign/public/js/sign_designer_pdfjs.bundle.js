// pdf.js for the designer: a bundle of its own, so the designer fetches it only when it shows a
// document (sign_designer/pdf_pages.js). The worker is copied by scripts/copy_pdf_worker.mjs.
import * as pdfjs from "pdfjs-dist";

frappe.provide("crm_sign.designer");
crm_sign.designer.pdfjs = pdfjs;

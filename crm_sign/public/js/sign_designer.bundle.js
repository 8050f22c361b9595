// The Sign Template designer (desk page /app/sign-designer), loaded by its page file
// crm_sign/crm_sign/page/sign_designer/sign_designer.js with frappe.require.
import { Designer } from "./sign_designer/designer.js";

frappe.provide("crm_sign.designer");
crm_sign.designer.Designer = Designer;

"""Finalize (stamp + certificate + seal) against the bare minimum, measured in the same run.

Baseline: one reportlab overlay page per page (a single canvas), merged into the document with
pypdf, written once, plus one pyhanko signature - the least any stamping-and-sealing tool must do.
Ours: crm_sign.engine.finalize with 3 fields a page (text, date, initials image), the certificate of
completion and the PAdES seal. Each measurement runs in a fresh process so peak RSS is its own.

    python benchmarks/finalize.py [--sizes 1,10,100,300] [--repeat 3]

Targets (shared/DESIGN.md): ratio <= 1.5 at every size; 300 pages under 250 MB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prepare(pages: int):
	from crm_sign.engine.fields import Box, Field, FieldType, FieldValue, FillerRole
	from crm_sign.engine.samples import many_pages_pdf, sample_signature_png
	from crm_sign.engine.seal import generate_self_signed

	document = many_pages_pdf(pages)
	initials = sample_signature_png("AY", width=200, height=100)
	values = []
	for page in range(pages):
		values += [
			FieldValue(
				Field(f"t{page}", FieldType.TEXT, page=page, box=Box(0.1, 0.1, 0.5, 0.03)),
				"Ağaoğlu Şirin A.Ş.",
			),
			FieldValue(
				Field(f"d{page}", FieldType.DATE, page=page, box=Box(0.1, 0.2, 0.2, 0.03)), "14.03.2026"
			),
			FieldValue(
				Field(
					f"i{page}",
					FieldType.INITIALS,
					FillerRole.COUNTERPARTY,
					page=page,
					box=Box(0.8, 0.9, 0.1, 0.05),
				),
				initials,
			),
		]
	return document, values, generate_self_signed("Benchmark Seal", "crm_sign")


def run_baseline(document: bytes, values, seal) -> bytes:
	import io

	from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
	from pyhanko.sign import fields, signers
	from pypdf import PdfReader, PdfWriter
	from reportlab.lib.utils import ImageReader
	from reportlab.pdfgen.canvas import Canvas

	from crm_sign.engine.seal import SEAL_FIELD, _signer

	reader = PdfReader(io.BytesIO(document))
	overlay_buffer = io.BytesIO()
	canvas = Canvas(overlay_buffer)
	by_page: dict[int, list] = {}
	for item in values:
		by_page.setdefault(item.field.page, []).append(item)
	image = ImageReader(io.BytesIO(values[2].value))
	for index, page in enumerate(reader.pages):
		width, height = float(page.mediabox.width), float(page.mediabox.height)
		canvas.setPageSize((width, height))
		for item in by_page.get(index, []):
			box = item.field.box
			x, y = box.x * width, height - (box.y + box.h) * height
			if isinstance(item.value, bytes):
				canvas.drawImage(image, x, y, box.w * width, box.h * height, mask="auto")
			else:
				canvas.setFont("Helvetica", 10)
				canvas.drawString(x, y + 2, item.value)
		canvas.showPage()
	canvas.save()
	overlay = PdfReader(io.BytesIO(overlay_buffer.getvalue()))
	writer = PdfWriter()
	for index, page in enumerate(reader.pages):
		target = writer.add_page(page)
		target.merge_page(overlay.pages[index])
	out = io.BytesIO()
	writer.write(out)
	meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES)
	incremental = IncrementalPdfFileWriter(io.BytesIO(out.getvalue()), strict=False)
	return signers.PdfSigner(meta, signer=_signer(seal.p12, seal.password)).sign_pdf(incremental).getvalue()


def run_ours(document: bytes, values, seal) -> bytes:
	from crm_sign.engine.certificate import CertificateInfo, SignerEvidence
	from crm_sign.engine.finalize import finalize

	info = CertificateInfo(
		title="Benchmark",
		request_id="SIGN-BENCH",
		original_sha256="",
		signed_sha256="",
		signers=[SignerEvidence(name="Ayşe Yılmaz", role="counterparty", email="ayse@example.com")],
		audit=[],
	)
	return finalize(document, values, info, seal).pdf


def child(case: str, pages: int, repeat: int) -> None:
	import resource

	document, values, seal = prepare(pages)
	run = run_baseline if case == "baseline" else run_ours
	run(document, values, seal)  # warm-up: imports, font registration
	times = []
	for _ in range(repeat):
		started = time.perf_counter()
		run(document, values, seal)
		times.append(time.perf_counter() - started)
	peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
	print(json.dumps({"seconds": min(times), "peak_mb": peak_mb}))


def measure(case: str, pages: int, repeat: int) -> dict:
	out = subprocess.run(
		[sys.executable, __file__, "--child", case, "--pages", str(pages), "--repeat", str(repeat)],
		check=True,
		capture_output=True,
		text=True,
		cwd=ROOT,
		env={**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")},
	)
	return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
	parser = argparse.ArgumentParser()
	parser.add_argument("--sizes", default="1,10,100,300")
	parser.add_argument("--repeat", type=int, default=3)
	parser.add_argument("--child")
	parser.add_argument("--pages", type=int)
	args = parser.parse_args()
	if args.child:
		child(args.child, args.pages, args.repeat)
		return 0
	print(f"{'pages':>6} {'baseline s':>11} {'ours s':>9} {'ratio':>6} {'base MB':>8} {'ours MB':>8}")
	missed = []
	for pages in [int(s) for s in args.sizes.split(",")]:
		base = measure("baseline", pages, args.repeat)
		ours = measure("ours", pages, args.repeat)
		ratio = ours["seconds"] / base["seconds"]
		print(
			f"{pages:>6} {base['seconds']:>11.3f} {ours['seconds']:>9.3f} {ratio:>6.2f} "
			f"{base['peak_mb']:>8.0f} {ours['peak_mb']:>8.0f}"
		)
		if ratio > 1.5:
			missed.append(f"{pages} pages: ratio {ratio:.2f} > 1.5")
		if pages >= 300 and ours["peak_mb"] > 250:
			missed.append(f"{pages} pages: peak {ours['peak_mb']:.0f} MB > 250 MB")
	print("targets met" if not missed else "targets missed: " + "; ".join(missed))
	return 0


if __name__ == "__main__":
	sys.exit(main())

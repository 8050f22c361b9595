"""Finalize every PDF nobody here wrote, and judge each result with tools that are not ours.

The corpus is the test files shipped in the sdists of pypdf, pikepdf and pyhanko (pinned versions,
cached). For each PDF, in a subprocess with a time limit: prepare, stamp a text field and a signature on
the first and last page, add the certificate and seal (crm_sign.engine.finalize). Then each output is
judged by
  - the engine's own verify against the seal certificate,
  - `qpdf --check` (no error, and no warning the input did not already have),
  - poppler's `pdfsig` (every signature valid in the input is still valid, plus ours),
  - poppler's rendering (the stamped boxes are inked on the first and last page),
  - pyHanko's validator from a separate venv (every signature intact and valid).
A result is good when it passes all of them, or when the engine refused the file with one of its own
errors (a known code, a sentence of ours rather than a library's exception text). Anything else is bad.

    python tests/corpus/corpus.py run --cache DIR --judge-python PY [--jobs 2] [--limit N]
    python tests/corpus/corpus.py finalize IN OUT          (one file; prints a JSON line)
    python tests/corpus/corpus.py judge-pyhanko LIST       (run by PY: one JSON line per file)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDISTS = ("pypdf==7.1.1", "pikepdf==10.18.0", "pyhanko==0.38.0")
FINALIZE_TIMEOUT = 120
TEXT_BOX = (0.08, 0.06, 0.5, 0.05)  # x, y, w, h relative to the visible page, from the top-left
SIGN_BOX = (0.55, 0.80, 0.35, 0.12)
# What a library's own exception text looks like; our refusals must never read like this.
LIBRARY_WORDS = re.compile(r"\b\w*(Error|Exception)\b|NoneType|object has no attribute|Traceback")


# ------------------------------------------------------------------------------------------ worker


def finalize_one(source: str, target: str) -> dict:
	"""Finalize one file with the engine (run in its own process)."""
	sys.path.insert(0, str(ROOT))
	from crm_sign.engine import finalize as engine_finalize
	from crm_sign.engine.certificate import AuditLine, CertificateInfo, SignerEvidence
	from crm_sign.engine.errors import SignEngineError
	from crm_sign.engine.fields import Box, Field, FieldType, FieldValue, FillerRole
	from crm_sign.engine.pdf import page_count, prepare_pdf
	from crm_sign.engine.samples import sample_signature_png
	from crm_sign.engine.seal import generate_self_signed, verify_pdf

	data = Path(source).read_bytes()
	seal = generate_self_signed("Corpus Seal", "crm_sign")
	try:
		prepared = prepare_pdf(data)
		last = page_count(prepared) - 1
		signature = sample_signature_png("Ayşe Yılmaz")
		values = []
		for page in sorted({0, last}):
			values.append(
				FieldValue(
					Field(f"text{page}", FieldType.TEXT, page=page, box=Box(*TEXT_BOX)), "Ağaoğlu Şirin A.Ş."
				)
			)
			values.append(
				FieldValue(
					Field(
						f"sign{page}",
						FieldType.SIGNATURE,
						FillerRole.COUNTERPARTY,
						page=page,
						box=Box(*SIGN_BOX),
					),
					signature,
				)
			)
		info = CertificateInfo(
			title=Path(source).name,
			request_id="SIGN-CORPUS",
			original_sha256="",
			signed_sha256="",
			signers=[SignerEvidence(name="Ayşe Yılmaz", role="Client", email="ayse@example.com")],
			audit=[AuditLine(at="2026-12-01T10:00:00+00:00", event="signed", actor="ayse@example.com")],
			language="tr",
		)
		result = engine_finalize.finalize(prepared, values, info, seal)
	except SignEngineError as exc:
		message = str(exc)
		clear = bool(getattr(exc, "code", "")) and not LIBRARY_WORDS.search(message)
		return {
			"outcome": "refused" if clear else "opaque",
			"code": getattr(exc, "code", ""),
			"message": message,
		}
	Path(target).write_bytes(result.pdf)
	verdict = verify_pdf(result.pdf, seal)
	return {
		"outcome": "finalized",
		"repaired": prepared != data,
		"prefix": result.pdf.startswith(prepared),
		"pages": [0, last],
		"verify_ok": verdict.ok,
		"verify": verdict.message,
	}


# ------------------------------------------------------------------------------------------ judges


def judge_pyhanko(paths: list[str]) -> None:
	"""Print one JSON line per file: each signature's field name and pyHanko's intact/valid verdict."""
	import io
	import logging

	from pyhanko.pdf_utils.reader import PdfFileReader
	from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp

	logging.disable(logging.CRITICAL)

	def timeout(*_):
		raise TimeoutError

	signal.signal(signal.SIGALRM, timeout)
	for path in paths:
		signal.alarm(60)
		try:
			reader = PdfFileReader(io.BytesIO(Path(path).read_bytes()), strict=False)
			found = []
			for signature in reader.embedded_signatures:
				try:
					if signature.sig_object_type == "/DocTimeStamp":
						status = validate_pdf_timestamp(signature, skip_diff=True)
					else:
						status = validate_pdf_signature(signature, skip_diff=True)
					found.append([signature.field_name, bool(status.intact and status.valid)])
				except Exception as exc:
					found.append([signature.field_name, False, type(exc).__name__])
			line = {"path": path, "signatures": found}
		except Exception as exc:
			line = {"path": path, "error": f"{type(exc).__name__}: {exc}"[:200]}
		finally:
			signal.alarm(0)
		print(json.dumps(line), flush=True)


def pdfsig_valid(path: str) -> list[str] | None:
	"""Names of the signatures pdfsig finds valid (None when pdfsig cannot read the file)."""
	try:
		out = subprocess.run(
			["pdfsig", "-nocert", "-no-ocsp", path],
			capture_output=True,
			text=True,
			timeout=60,
			errors="replace",
		)
	except subprocess.TimeoutExpired:
		return None
	valid = []
	name = None
	for line in out.stdout.splitlines():
		match = re.match(r"\s*- Signature Field Name: (.*)", line)
		if match:
			name = match.group(1).strip()
		elif "Signature Validation: Signature is Valid" in line and name is not None:
			valid.append(name)
	return valid


def qpdf_check(path: str) -> tuple[int, set[str]]:
	"""qpdf --check's exit status and its warning lines (offsets removed, so input and output compare)."""
	try:
		out = subprocess.run(
			["qpdf", "--check", path], capture_output=True, text=True, timeout=60, errors="replace"
		)
	except subprocess.TimeoutExpired:
		return 2, {"timeout"}
	lines = {
		re.sub(r"\(.*?offset \d+\)|offset \d+|object \d+ \d+", "", line.replace(path, "")).strip()
		for line in (out.stdout + out.stderr).splitlines()
		if "WARNING" in line or "error" in line.lower()
	}
	return out.returncode, lines


def rendered(path: str, page: int) -> tuple[int, int, bytes] | None:
	"""Page `page` as poppler draws it, longest side 800 px: width, height and 8-bit grey pixels."""
	try:
		out = subprocess.run(
			["pdftoppm", "-scale-to", "800", "-gray", "-f", str(page + 1), "-l", str(page + 1), path],
			capture_output=True,
			timeout=60,
		)
	except subprocess.TimeoutExpired:
		return None
	match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", out.stdout)
	if out.returncode != 0 or not match:
		return None
	return int(match.group(1)), int(match.group(2)), out.stdout[match.end() :]


def without_overlays(path: str, target: str) -> None:
	"""A copy of `path` whose crm_sign overlays draw nothing: what poppler shows without our stamp."""
	import warnings

	import pikepdf

	warnings.simplefilter("ignore")  # pikepdf's notes on forms it copies; the copy is only rendered
	with pikepdf.open(path) as pdf:
		for page in pdf.pages:
			xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
			for name in list(xobjects.keys()):
				if name.startswith("/CrmSignOverlay"):
					xobjects[name].write(b"")
		pdf.save(target)


def changed_pixels(before, after, box: tuple[float, float, float, float]) -> int:
	"""Pixels inside `box` that our overlay changed."""
	width, height, pixels = after
	x, y, w, h = box
	count = 0
	for row in range(int(y * height), min(height, int((y + h) * height) + 1)):
		for column in range(int(x * width), min(width, int((x + w) * width) + 1)):
			old = before[2][row * width + column] if before and before[:2] == after[:2] else 255
			count += abs(pixels[row * width + column] - old) > 8
	return count


def judge(source: str, target: str, report: dict) -> list[str]:
	"""Problems with one finalized output (empty when it is good)."""
	problems = []
	if not report.get("verify_ok"):
		problems.append(f"engine verify: {report.get('verify')}")
	if not report.get("repaired") and not report.get("prefix"):
		problems.append("the original bytes are not a prefix of the sealed file")
	status, warnings = qpdf_check(target)
	_, in_warnings = qpdf_check(source)
	if status == 2:
		problems.append("qpdf --check: errors " + "; ".join(sorted(warnings))[:300])
	elif status == 3 and warnings - in_warnings:
		problems.append("qpdf --check: new warnings " + "; ".join(sorted(warnings - in_warnings))[:300])
	before = pdfsig_valid(source) or []
	after = pdfsig_valid(target)
	report["prior_signatures"] = len(before)
	if after is None or set(before) - set(after):
		problems.append(f"pdfsig: valid before {before}, after {after}")
	elif len(after) != len(before) + 1:
		problems.append(f"pdfsig: our seal is not valid ({after})")
	blank = target + ".no-overlay.pdf"
	without_overlays(target, blank)
	for page in report.get("pages", []):
		after = rendered(target, page)
		before = rendered(blank, page)
		for box in (TEXT_BOX, SIGN_BOX):
			if after is None or changed_pixels(before, after, box) < 5:
				problems.append(f"poppler: the stamp in {box} on page {page + 1} is not visible")
	os.unlink(blank)
	return problems


# ------------------------------------------------------------------------------------------ driver


def fetch_corpus(cache: Path) -> list[Path]:
	"""Download (once) and unpack the pinned sdists; return every PDF inside them."""
	cache.mkdir(parents=True, exist_ok=True)
	for spec in SDISTS:
		name, version = spec.split("==")
		archive = cache / f"{name}-{version}.tar.gz"
		if not archive.exists():
			subprocess.run(
				[
					sys.executable,
					"-m",
					"pip",
					"download",
					"-q",
					"--no-deps",
					"--no-binary",
					":all:",
					spec,
					"-d",
					str(cache),
				],
				check=True,
			)
		unpacked = cache / f"{name}-{version}"
		if not unpacked.exists():
			with tarfile.open(archive) as tar:
				tar.extractall(cache, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(
					cache
				)
	return sorted(
		p
		for spec in SDISTS
		for p in (cache / spec.replace("==", "-")).rglob("*")
		if p.suffix.lower() == ".pdf" and p.is_file()
	)


def run(args: argparse.Namespace) -> int:
	cache = Path(args.cache)
	files = fetch_corpus(cache)
	if args.limit:
		files = files[: args.limit]
	out_dir = cache / "out"
	out_dir.mkdir(exist_ok=True)
	started = time.time()

	def one(index_path: tuple[int, Path]) -> dict:
		index, path = index_path
		target = out_dir / f"{index:04d}.pdf"
		target.unlink(missing_ok=True)
		report = {"file": str(path.relative_to(cache)), "output": str(target)}
		try:
			proc = subprocess.run(
				[sys.executable, __file__, "finalize", str(path), str(target)],
				capture_output=True,
				text=True,
				timeout=FINALIZE_TIMEOUT,
			)
			lines = proc.stdout.strip().splitlines()
			report.update(
				json.loads(lines[-1])
				if proc.returncode == 0 and lines
				else {"outcome": "crashed", "message": proc.stderr[-500:]}
			)
		except subprocess.TimeoutExpired:
			report.update({"outcome": "timeout"})
		if report["outcome"] == "finalized":
			report["problems"] = judge(str(path), str(target), report)
		return report

	with ThreadPoolExecutor(max_workers=args.jobs) as pool:
		reports = list(pool.map(one, enumerate(files)))

	finalized = [r for r in reports if r["outcome"] == "finalized"]
	if finalized:
		proc = subprocess.run(
			[args.judge_python, __file__, "judge-pyhanko", *[r["output"] for r in finalized]],
			capture_output=True,
			text=True,
			timeout=60 * len(finalized) + 60,
		)
		by_path = {}
		for line in proc.stdout.splitlines():
			item = json.loads(line)
			by_path[item["path"]] = item
		for report in finalized:
			item = by_path.get(report["output"], {"error": "no answer from the pyHanko judge"})
			bad = [s for s in item.get("signatures", []) if not s[1]]
			if "error" in item:
				report["problems"].append(f"pyHanko: {item['error']}")
			elif bad or not item.get("signatures"):
				report["problems"].append(f"pyHanko: not intact/valid {bad or 'no signatures'}")

	good = [r for r in finalized if not r["problems"]]
	refused = [r for r in reports if r["outcome"] == "refused"]
	bad = [r for r in reports if r not in good and r not in refused]
	signed = [r for r in finalized if r.get("prior_signatures")]
	(cache / "report.json").write_text(json.dumps(reports, indent=1, ensure_ascii=False))
	print(f"corpus: {len(reports)} PDFs from {', '.join(SDISTS)} in {time.time() - started:.0f}s")
	print(
		f"  finalized and valid: {len(good)} ({sum(1 for r in good if r.get('repaired'))} repaired by qpdf first)"
	)
	print(f"  refused with a clear error: {len(refused)}")
	for code in sorted({r["code"] for r in refused}):
		print(f"    {code}: {sum(1 for r in refused if r['code'] == code)}")
	print(
		f"  with signatures before ours: {len(signed)}, all still valid in: {sum(1 for r in signed if r in good)}"
	)
	print(f"  bad outputs: {len(bad)}")
	for r in bad:
		detail = r.get("problems") or r.get("message", "")
		print(f"    {r['file']}: {r['outcome']}: {json.dumps(detail, ensure_ascii=False)[:400]}")
	return 1 if bad else 0


def main() -> int:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	sub = parser.add_subparsers(dest="command", required=True)
	p = sub.add_parser("run")
	p.add_argument("--cache", default=os.path.expanduser("~/.cache/crm_sign/corpus"))
	p.add_argument("--judge-python", required=True)
	p.add_argument("--jobs", type=int, default=2)
	p.add_argument("--limit", type=int, default=0)
	p = sub.add_parser("finalize")
	p.add_argument("source")
	p.add_argument("target")
	p = sub.add_parser("judge-pyhanko")
	p.add_argument("paths", nargs="*")
	args = parser.parse_args()
	if args.command == "run":
		return run(args)
	if args.command == "finalize":
		print(json.dumps(finalize_one(args.source, args.target), ensure_ascii=False))
		return 0
	judge_pyhanko(args.paths)
	return 0


if __name__ == "__main__":
	sys.exit(main())

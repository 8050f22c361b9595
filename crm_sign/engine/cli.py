"""The `crm-sign` console command: a bench-free demo of the whole signing flow, verify and fingerprint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import CertificateError, SignEngineError
from .seal import SealCertificate, TrustAnchor, certificate_fingerprint, verify_pdf


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(prog="crm-sign", description="crm_sign signing engine")
	commands = parser.add_subparsers(dest="command", required=True)

	demo = commands.add_parser("demo", help="build, fill, sign, certify and seal a sample contract")
	demo.add_argument("output", type=Path, help="where to write the sealed PDF")
	demo.add_argument("--language", choices=("en", "tr"), default="tr", help="certificate language")

	verify = commands.add_parser("verify", help="check every signature and the seal of a signed PDF")
	verify.add_argument("file", type=Path)
	anchor = verify.add_mutually_exclusive_group()
	anchor.add_argument(
		"--cert", type=Path, help="the site's seal certificate (PEM or DER; a PKCS#12 bundle also works)"
	)
	anchor.add_argument("--fingerprint", help="SHA-256 of the site's seal certificate (hex, colons allowed)")
	verify.add_argument("--password", default="", help="password of a PKCS#12 --cert")

	fingerprint = commands.add_parser("fingerprint", help="print the SHA-256 of a seal certificate")
	fingerprint.add_argument("cert", type=Path, help="PEM, DER or PKCS#12")
	fingerprint.add_argument("--password", default="", help="password of a PKCS#12 bundle")

	args = parser.parse_args(argv)
	try:
		if args.command == "demo":
			return run_demo(args.output, args.language)
		if args.command == "fingerprint":
			print(certificate_fingerprint(load_anchor(args.cert, args.password)))
			return 0
		trust: TrustAnchor | None = args.fingerprint
		if args.cert is not None:
			trust = load_anchor(args.cert, args.password)
		return run_verify(args.file, trust)
	except SignEngineError as e:
		print(f"crm-sign: {e}", file=sys.stderr)
		return 2
	except OSError as e:
		print(f"crm-sign: {e.strerror}: {e.filename}", file=sys.stderr)
		return 2


def load_anchor(path: Path, password: str = "") -> TrustAnchor:
	"""A certificate file as a trust anchor: PEM or DER first, then a PKCS#12 bundle (older usage)."""
	data = path.read_bytes()
	try:
		certificate_fingerprint(data)
		return data
	except CertificateError:
		pass
	bundle = SealCertificate(data, password.encode())
	try:
		bundle.subject  # opens the bundle; expiry does not matter, old files were sealed while it was valid
	except CertificateError as e:
		raise CertificateError(f"{path} is not a PEM, DER or PKCS#12 certificate ({e})")
	return bundle


def run_demo(output: Path, language: str = "tr") -> int:
	from .demo import build_demo

	result = build_demo(language=language)
	output.write_bytes(result.pdf)
	print(f"Wrote {output} ({len(result.pdf):,} bytes)")
	print(f"  original SHA-256: {result.original_sha256}")
	print(f"  signed   SHA-256: {result.signed_sha256}")
	print(f"  sealed   SHA-256: {result.sealed_sha256}")
	verdict = verify_pdf(result.pdf)
	print(f"  verify: {verdict.message}")
	return 0 if verdict.ok else 1


def run_verify(path: Path, trust: TrustAnchor | None = None) -> int:
	"""Exit 0 only when the seal is ok (and made with `trust` when given); the first line says why not."""
	verdict = verify_pdf(path.read_bytes(), trust)
	print(f"{path}: {verdict.message}")
	if verdict.sealed:
		print(f"  sealed by: {verdict.signer or '?'}")
		print(f"  seal certificate SHA-256: {verdict.fingerprint or '?'}")
		if verdict.signed_at:
			print(f"  sealed at: {verdict.signed_at.isoformat()}")
		print(f"  signatures: {verdict.signatures}", end="")
		print(f"  all intact: {_yes(verdict.intact)}  all valid: {_yes(verdict.valid)}", end="")
		print(f"  nothing added after the seal: {_yes(verdict.covers_whole_file)}", end="")
		print(f"  timestamped: {_yes(verdict.timestamped)}", end="")
		print(f"  trusted: {_yes(verdict.trusted)}" if verdict.anchored else "")
	elif verdict.signatures:
		print(f"  signatures: {verdict.signatures}")
	return 0 if verdict.ok else 1


def _yes(flag: bool) -> str:
	return "yes" if flag else "NO"


if __name__ == "__main__":
	sys.exit(main())

"""The `crm-sign` console command: a bench-free demo of the whole signing flow, and verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import SignEngineError
from .seal import SealCertificate, verify_pdf


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(prog="crm-sign", description="crm_sign signing engine")
	commands = parser.add_subparsers(dest="command", required=True)

	demo = commands.add_parser("demo", help="build, fill, sign, certify and seal a sample contract")
	demo.add_argument("output", type=Path, help="where to write the sealed PDF")
	demo.add_argument("--language", choices=("en", "tr"), default="tr", help="certificate language")

	verify = commands.add_parser("verify", help="check the seal of a signed PDF")
	verify.add_argument("file", type=Path)
	verify.add_argument("--cert", type=Path, help="trusted PKCS#12 bundle (the site's seal)")
	verify.add_argument("--password", default="", help="password of --cert")

	args = parser.parse_args(argv)
	try:
		if args.command == "demo":
			return run_demo(args.output, args.language)
		return run_verify(args.file, args.cert, args.password)
	except SignEngineError as e:
		print(f"crm-sign: {e}", file=sys.stderr)
		return 2
	except OSError as e:
		print(f"crm-sign: {e.strerror}: {e.filename}", file=sys.stderr)
		return 2


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


def run_verify(path: Path, cert: Path | None, password: str) -> int:
	trusted = SealCertificate(cert.read_bytes(), password.encode()) if cert else None
	verdict = verify_pdf(path.read_bytes(), trusted)
	print(f"{path}: {verdict.message}")
	if verdict.sealed:
		print(f"  sealed by: {verdict.signer or '?'}")
		if verdict.signed_at:
			print(f"  sealed at: {verdict.signed_at.isoformat()}")
		print(f"  intact: {_yes(verdict.intact)}  signature valid: {_yes(verdict.valid)}", end="")
		print(f"  nothing appended: {_yes(verdict.covers_whole_file)}", end="")
		print(f"  timestamped: {_yes(verdict.timestamped)}", end="")
		print(f"  trusted: {_yes(verdict.trusted)}" if trusted else "")
	return 0 if verdict.ok and (verdict.trusted or trusted is None) else 1


def _yes(flag: bool) -> str:
	return "yes" if flag else "NO"


if __name__ == "__main__":
	sys.exit(main())

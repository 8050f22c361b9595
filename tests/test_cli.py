import io

import pytest
from pypdf import PdfReader

from crm_sign.engine.cli import main
from crm_sign.engine.samples import many_pages_pdf
from crm_sign.engine.seal import certificate_fingerprint, certificate_pem, generate_self_signed, seal_pdf
from tests.pdf_signing import forge_after_seal, sign_as_other


@pytest.fixture(scope="module")
def site():
	return generate_self_signed("Site Seal", password="pw")


@pytest.fixture
def files(tmp_path, site):
	"""A sealed file and the site's public certificate as PEM and DER, written to disk."""
	from cryptography import x509
	from cryptography.hazmat.primitives import serialization

	sealed = tmp_path / "sealed.pdf"
	sealed.write_bytes(seal_pdf(many_pages_pdf(1), site))
	pem = tmp_path / "site.pem"
	pem.write_bytes(certificate_pem(site))
	der = tmp_path / "site.cer"
	der.write_bytes(x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(serialization.Encoding.DER))
	p12 = tmp_path / "site.p12"
	p12.write_bytes(site.p12)
	return sealed, pem, der, p12


def test_demo_then_verify(tmp_path, capsys):
	out = tmp_path / "demo.pdf"
	assert main(["demo", str(out), "--language", "en"]) == 0
	reader = PdfReader(io.BytesIO(out.read_bytes()))
	text = "".join(page.extract_text() for page in reader.pages)
	assert "Certificate of Completion" in text and "Ağaoğlu Şirin Yılmaz" in text
	assert main(["verify", str(out)]) == 0
	assert "unchanged" in capsys.readouterr().out


def test_verify_fails_on_a_changed_file(files, capsys):
	sealed = files[0]
	data = bytearray(sealed.read_bytes())
	data[data.index(b"stream") + 30] ^= 0x01
	sealed.write_bytes(bytes(data))
	assert main(["verify", str(sealed)]) == 1
	assert "changed after it was sealed" in capsys.readouterr().out


def test_verify_missing_file(tmp_path, capsys):
	assert main(["verify", str(tmp_path / "nope.pdf")]) == 2
	assert "No such file" in capsys.readouterr().err


def test_verify_against_the_site_certificate(files, site, capsys):
	sealed, pem, der, p12 = files
	fingerprint = certificate_fingerprint(site)
	colons = ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)).upper()
	for anchor in (
		["--cert", str(pem)],
		["--cert", str(der)],
		["--fingerprint", fingerprint],
		["--fingerprint", colons],
		["--cert", str(p12), "--password", "pw"],  # the PKCS#12 bundle, as before
	):
		assert main(["verify", str(sealed), *anchor]) == 0, anchor
		out = capsys.readouterr().out
		assert "unchanged" in out and "trusted: yes" in out and fingerprint in out


def test_verify_against_another_certificate_fails(files, tmp_path, capsys):
	sealed = files[0]
	other = generate_self_signed("Someone Else")
	other_pem = tmp_path / "other.pem"
	other_pem.write_bytes(certificate_pem(other))
	for anchor in (["--cert", str(other_pem)], ["--fingerprint", certificate_fingerprint(other)]):
		assert main(["verify", str(sealed), *anchor]) == 1
		first, *_ = capsys.readouterr().out.splitlines()
		assert "not made with the trusted certificate" in first


def test_verify_rejects_forgeries_and_foreign_signatures(files, site, tmp_path, capsys):
	sealed, pem, _, _ = files
	forger = generate_self_signed("Site Seal")
	cases = {
		"forged.pdf": (forge_after_seal(sealed.read_bytes(), forger, "replace-value"), "replaced"),
		"later.pdf": (sign_as_other(sealed.read_bytes(), forger), "later signature"),
		"foreign.pdf": (sign_as_other(many_pages_pdf(1), forger), "not sealed by crm_sign"),
	}
	for name, (data, reason) in cases.items():
		path = tmp_path / name
		path.write_bytes(data)
		for anchor in ([], ["--cert", str(pem)]):
			assert main(["verify", str(path), *anchor]) == 1, name
			assert reason in capsys.readouterr().out.splitlines()[0], name


def test_bad_anchors_exit_2(files, tmp_path, capsys):
	sealed, _, _, p12 = files
	assert main(["verify", str(sealed), "--fingerprint", "not-hex"]) == 2
	assert "fingerprint" in capsys.readouterr().err
	assert main(["verify", str(sealed), "--cert", str(p12), "--password", "wrong"]) == 2
	assert "PKCS#12" in capsys.readouterr().err
	junk = tmp_path / "junk.pem"
	junk.write_bytes(b"hello")
	assert main(["verify", str(sealed), "--cert", str(junk)]) == 2
	with pytest.raises(SystemExit):  # one anchor at a time
		main(["verify", str(sealed), "--cert", str(junk), "--fingerprint", "00" * 32])


def test_fingerprint_command(files, site, capsys):
	_, pem, der, p12 = files
	expected = certificate_fingerprint(site)
	for args in ([str(pem)], [str(der)], [str(p12), "--password", "pw"]):
		assert main(["fingerprint", *args]) == 0
		assert capsys.readouterr().out.strip() == expected

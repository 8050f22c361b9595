import io

from pypdf import PdfReader

from crm_sign.engine.cli import main


def test_demo_then_verify(tmp_path, capsys):
	out = tmp_path / "demo.pdf"
	assert main(["demo", str(out), "--language", "en"]) == 0
	reader = PdfReader(io.BytesIO(out.read_bytes()))
	text = "".join(page.extract_text() for page in reader.pages)
	assert "Certificate of Completion" in text and "Ağaoğlu Şirin Yılmaz" in text
	assert main(["verify", str(out)]) == 0
	assert "unchanged" in capsys.readouterr().out


def test_verify_fails_on_a_changed_file(tmp_path, capsys):
	out = tmp_path / "demo.pdf"
	main(["demo", str(out)])
	capsys.readouterr()
	data = bytearray(out.read_bytes())
	data[data.index(b"stream") + 30] ^= 0x01
	out.write_bytes(bytes(data))
	assert main(["verify", str(out)]) == 1
	assert "changed after it was sealed" in capsys.readouterr().out


def test_verify_missing_file(tmp_path, capsys):
	assert main(["verify", str(tmp_path / "nope.pdf")]) == 2
	assert "No such file" in capsys.readouterr().err

"""A loopback HTTP server that answers like Twilio's Messages API and records what it received."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackTwilio:
	def __init__(self, fail_times: int = 0, status: int = 503):
		self.received: list[dict] = []
		self.fail_times = fail_times
		self.status = status
		outer = self

		class Handler(BaseHTTPRequestHandler):
			def do_POST(self):
				length = int(self.headers.get("Content-Length") or 0)
				form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
				outer.received.append(
					{"path": self.path, "form": form, "auth": self.headers.get("Authorization")}
				)
				if outer.fail_times > 0:
					outer.fail_times -= 1
					self._reply(
						outer.status, {"code": 30001, "message": "Queue overflow", "status": outer.status}
					)
					return
				sid = f"SM{len(outer.received):032d}"
				self._reply(
					201, {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}
				)

			def _reply(self, status, payload):
				data = json.dumps(payload).encode()
				self.send_response(status)
				self.send_header("Content-Type", "application/json")
				self.send_header("Content-Length", str(len(data)))
				self.end_headers()
				self.wfile.write(data)

			def log_message(self, *args):
				pass

		self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
		self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

	def __enter__(self):
		self.thread.start()
		return self

	def __exit__(self, *exc):
		self.server.shutdown()
		self.server.server_close()

"""Python's own http.server, speaking HTTP/1.0, for Klavier's conformance tests.

Usage: http10_server.py PORT DIRECTORY

Serves static files from DIRECTORY as http.server does (HTTP/1.0, Content-Length, a
new connection per request), and GET /text/N: N bytes of text ending in "END"
with no Content-Length, so the body ends where the server closes the connection.
Every answered request is logged on stderr once its body is written, as
  127.0.0.1 - - [date] "GET /text/100 HTTP/1.1" 200 100
(request line, status, body bytes), the line the tests count.
"""

import functools
import http.server
import sys
import time


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        if self.path.startswith("/text/"):
            self.send_text(int(self.path[len("/text/"):]))
        else:
            super().do_GET()
            # Error pages are written by send_error, past copyfile: their size is unknown here.
            size = self.sent if self.last_status == 200 else "-"
            self.log_message('"%s" %s %s', self.requestline, self.last_status, size)

    def send_text(self, n):
        body = (b"x" * max(0, n - 3) + b"END")[-n:] if n else b""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        # The body goes out in a few writes with pauses, as a slow application would.
        third = max(1, len(body) // 3)
        for start in range(0, len(body), third):
            self.wfile.write(body[start:start + third])
            self.wfile.flush()
            time.sleep(0.002)
        self.log_message('"%s" %s %s', self.requestline, 200, len(body))

    # http.server logs every response when its status line is sent, before the body;
    # the lines above log it once the body is written, with its size.
    def log_request(self, code="-", size="-"):
        self.last_status = getattr(code, "value", code)

    def copyfile(self, source, outputfile):
        before = source.tell()
        super().copyfile(source, outputfile)
        self.sent = source.tell() - before

    sent = 0
    last_status = "-"


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    handler = functools.partial(Handler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()

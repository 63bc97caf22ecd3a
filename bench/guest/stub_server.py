"""A stand-in single-user server: answers 200 to every GET on the port the
hub gave (--port=N, or JUPYTERHUB_SERVICE_URL), or on argv[1] when run bare."""
import http.server
import os
import sys
import urllib.parse


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def port():
    for arg in sys.argv[1:]:
        if arg.startswith("--port="):
            return int(arg.split("=", 1)[1])
        if arg.isdigit():
            return int(arg)
    url = os.environ.get("JUPYTERHUB_SERVICE_URL")
    if url:
        return urllib.parse.urlsplit(url).port
    sys.exit("stub_server: no port: give --port=N or set JUPYTERHUB_SERVICE_URL")


if __name__ == "__main__":
    http.server.HTTPServer(("127.0.0.1", port()), Handler).serve_forever()

#!/usr/bin/python3
"""A small HTTPS server on a loopback port for MTA-STS tests: it serves the files under
ROOT (the policy at ROOT/.well-known/mta-sts.txt) with the certificate and key in PEM
(one file), and logs each request line, as a web server for mta-sts.D would.

usage: https_server.py PORT PEM ROOT [--redirect URL] [--content-type TYPE]
  --redirect URL        answer every request 301 to URL
  --content-type TYPE   serve files as TYPE instead of text/plain
"""
import http.server
import os
import ssl
import sys


def main():
    port, pem, root = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    options = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    redirect = options.get("--redirect")
    content_type = options.get("--content-type", "text/plain")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            print("request", self.command, self.path, self.headers.get("Host"), flush=True)
            if redirect:
                self.send_response(301)
                self.send_header("Location", redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path = os.path.join(root, self.path.lstrip("/"))
            if ".." in self.path or not os.path.isfile(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

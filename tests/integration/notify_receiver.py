#!/usr/bin/env python3
"""A webhook receiver on loopback for the notification test: appends one JSON line per POST to
argv[2] ({"header": Bootgate-Event-Id, "body": the parsed body}), answers 204, serves on
127.0.0.1:argv[1] until killed. Can be restarted on the same port."""
import http.server
import json
import os
import sys

port, log = int(sys.argv[1]), sys.argv[2]


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        record = {"header": self.headers.get("Bootgate-Event-Id"), "path": self.path,
                  "body": json.loads(body)}
        with open(log, "a") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()

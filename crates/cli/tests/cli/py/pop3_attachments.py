"""Fetch every message of a mailbox over POP3 with STLS (Dovecot peer) and print, as JSON, the
messages whose header X-Test-Id matches, with the SHA-256 of each attachment. Python's email
package is the independent MIME oracle here.

usage: pop3_attachments.py HOST PORT CAFILE USER PASSWORD TEST_ID
"""
import hashlib
import json
import sys

from pop3_mailbox import messages

host, port, cafile, user, password, test_id = sys.argv[1:7]
found = []
for msg in messages(host, port, cafile, user, password):
    if msg.get("X-Test-Id") != test_id:
        continue
    atts = {}
    for part in msg.iter_attachments():
        atts[part.get_filename()] = hashlib.sha256(part.get_payload(decode=True)).hexdigest()
    found.append({"from": str(msg.get("From")), "reply_to": str(msg.get("Reply-To") or ""),
                  "subject": str(msg.get("Subject")), "attachments": atts})
print(json.dumps(found))

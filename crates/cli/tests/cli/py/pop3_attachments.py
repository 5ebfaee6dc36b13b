"""Fetch every message of a mailbox over POP3 with STLS (Dovecot peer) and print, as JSON, the
messages whose header X-Test-Id matches, with the SHA-256 of each attachment. Python's email
package is the independent MIME oracle here.

usage: pop3_attachments.py HOST PORT CAFILE USER PASSWORD TEST_ID
"""
import email
import email.policy
import hashlib
import json
import poplib
import ssl
import sys

host, port, cafile, user, password, test_id = sys.argv[1:7]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False  # the peer certificate names localhost; we dial 127.0.0.1
pop = poplib.POP3(host, int(port), timeout=20)
pop.stls(context=ctx)
pop.user(user)
pop.pass_(password)
found = []
count, _ = pop.stat()
for n in range(1, count + 1):
    _, lines, _ = pop.retr(n)
    msg = email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default)
    if msg.get("X-Test-Id") != test_id:
        continue
    atts = {}
    for part in msg.iter_attachments():
        atts[part.get_filename()] = hashlib.sha256(part.get_payload(decode=True)).hexdigest()
    found.append({"from": str(msg.get("From")), "reply_to": str(msg.get("Reply-To") or ""),
                  "subject": str(msg.get("Subject")), "attachments": atts})
pop.quit()
print(json.dumps(found))

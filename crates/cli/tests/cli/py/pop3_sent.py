"""Read a mailbox over POP3 with STLS (the Dovecot peer) and print, as JSON, every message
whose Subject contains TOKEN, decoded with Python's email package (the independent MIME
oracle for `scanrelay send`): subject, From, To, Cc, Bcc, Date, Message-ID, the MIME defects
Python found, and each attachment's file name, content type and SHA-256.

usage: pop3_sent.py HOST PORT CAFILE USER PASSWORD TOKEN
"""
import email
import email.policy
import hashlib
import json
import poplib
import ssl
import sys

host, port, cafile, user, password, token = sys.argv[1:7]
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
    subject = str(msg.get("Subject", ""))
    if token not in subject:
        continue
    atts = []
    defects = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        defects += [type(d).__name__ for d in part.defects]
    for part in msg.iter_attachments():
        payload = part.get_payload(decode=True)
        atts.append({"name": part.get_filename(), "content_type": part.get_content_type(),
                     "size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()})
    body = msg.get_body(preferencelist=("plain",))
    found.append({"subject": subject, "from": str(msg.get("From", "")),
                  "to": str(msg.get("To", "")), "cc": str(msg.get("Cc", "")),
                  "bcc": msg.get("Bcc"), "date": str(msg.get("Date", "")),
                  "message_id": str(msg.get("Message-ID", "")),
                  "body": body.get_content() if body is not None else None,
                  "defects": defects, "attachments": atts})
pop.quit()
found.sort(key=lambda m: m["subject"])
print(json.dumps(found, ensure_ascii=False))

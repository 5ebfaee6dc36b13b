"""Read a mailbox over POP3 with STLS (the Dovecot peer) and print, as JSON, every message
whose Subject contains TOKEN, decoded with Python's email package (the independent MIME
oracle for `scanrelay send`): subject, From, To, Cc, Bcc, Date, Message-ID, the MIME defects
Python found, and each attachment's file name, content type and SHA-256.

usage: pop3_sent.py HOST PORT CAFILE USER PASSWORD TOKEN
"""
import hashlib
import json
import sys

from pop3_mailbox import messages

host, port, cafile, user, password, token = sys.argv[1:7]
found = []
for msg in messages(host, port, cafile, user, password):
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
found.sort(key=lambda m: m["subject"])
print(json.dumps(found, ensure_ascii=False))

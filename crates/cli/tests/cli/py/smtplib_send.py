"""Play an MFP with Python's smtplib: send one scan (a PDF attachment) through the gateway.

usage: smtplib_send.py HOST PORT FROM TO TEST_ID ATTACHMENT_PATH [USER PASSWORD_ENV]
With USER, the device logs in (AUTH LOGIN/PLAIN) after STARTTLS (certificate not verified,
as devices do with a self-signed gateway certificate).
"""
import os
import smtplib
import ssl
import sys
from email.message import EmailMessage

host, port, sender, rcpt, test_id, path = sys.argv[1:7]
msg = EmailMessage()
msg["From"] = sender
msg["To"] = rcpt
msg["Subject"] = "Scan from smtplib"
msg["X-Test-Id"] = test_id
msg.set_content("Scanned document attached.")
with open(path, "rb") as f:
    msg.add_attachment(f.read(), maintype="application", subtype="pdf",
                       filename=os.path.basename(path))
with smtplib.SMTP(host, int(port), local_hostname="mfp-python.example.test", timeout=30) as s:
    if len(sys.argv) > 7:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.login(sys.argv[7], os.environ[sys.argv[8]])
    s.send_message(msg)
print("sent")

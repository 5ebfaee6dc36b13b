# A device with an old TLS stack, for the tests of `[listen] tls_min_version`:
#   python3 old_tls_device.py HOST PORT starttls|implicit 1.0|1.1|1.2|1.3
# pins the client to that one TLS version (at OpenSSL security level 0 for 1.0/1.1, as old
# devices need), sends one message, and prints the negotiated version and cipher (OpenSSL's
# names, e.g. "TLSv1 ECDHE-ECDSA-AES256-SHA"). A refused handshake exits non-zero with
# Python's SSLError.
import smtplib, ssl, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
host, port, mode, version = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
versions = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1,
            "1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ctx.maximum_version = versions[version]
if version in ("1.0", "1.1"):
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
if mode == "implicit":
    s = smtplib.SMTP_SSL(host, port, context=ctx, timeout=20)
else:
    s = smtplib.SMTP(host, port, timeout=20)
    s.ehlo("olddevice.test")
    s.starttls(context=ctx)
print(s.sock.version(), s.sock.cipher()[0])
s.ehlo("olddevice.test")
s.sendmail("mfp@device.test", ["office@example.test"],
           "From: mfp@device.test\r\nTo: office@example.test\r\nSubject: old TLS "
           + version + "\r\n\r\nscan\r\n")
s.quit()

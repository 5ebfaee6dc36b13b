"""The tests' one POP3 reader: every message of a mailbox on the Dovecot peer, over POP3 with
STLS, parsed by Python's email package (the independent MIME oracle). Imported by the scripts
beside it; nothing is deleted.
"""
import email
import email.policy
import poplib
import ssl


def messages(host, port, cafile, user, password):
    """Returns the mailbox's messages as email.message.EmailMessage objects, oldest first."""
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
        found.append(email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default))
    pop.quit()
    return found

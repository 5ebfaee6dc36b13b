//! A device mailbox survives `kill -9` of the real `scanrelay serve`: every message answered
//! `250` is there after the restart, served over POP3 byte for byte (Python's smtplib and
//! poplib as the devices).

use crate::gateway_support::{Gateway, free_port, run_tool};

const MAILBOX: &str = "ifax-3f@gw.test";

#[tokio::test]
async fn mailbox_mail_answered_250_survives_kill_9_and_is_served_after_restart() {
    let pop3 = free_port();
    let mut gw = Gateway::start_raw(|port, _| {
        format!(
            "[listen]\nsmtp = \"127.0.0.1:{port}\"\npop3 = \"127.0.0.1:{pop3}\"\nweb = \"\"\n\
             allow_plaintext_auth = true\n\n\
             [[device]]\nusername = \"mfp-3f\"\npassword = \"pw-3f\"\nmailbox_address = \"{MAILBOX}\"\n"
        )
    })
    .await;
    let smtp = gw.port.to_string();
    // Send 20 faxes; print each Message-ID once its 250 came back. Then kill -9 at once.
    let send = format!(
        "import smtplib, sys\ns = smtplib.SMTP('127.0.0.1', {smtp})\n\
         for i in range(20):\n    \
         m = 'Message-ID: <fax-%d@office.test>\\r\\nSubject: fax %d\\r\\n\\r\\n' % (i, i) + '.page line\\r\\n' * 200\n    \
         s.sendmail('fax@office.test', ['{MAILBOX}'], m)\n    print('fax-%d' % i, flush=True)\n"
    );
    let (code, acked, err) = run_tool("python3", &["-c", &send], &[]).await;
    assert_eq!(code, 0, "smtplib: {err}");
    gw.kill9().await;
    assert_eq!(acked.lines().count(), 20, "{acked}");
    gw.restart().await;
    let read = format!(
        "import poplib, hashlib\np = poplib.POP3('127.0.0.1', {pop3})\n\
         p.user('mfp-3f'); p.pass_('pw-3f')\n\
         print(p.stat()[0])\n\
         for n in range(1, p.stat()[0] + 1):\n    \
         lines = p.retr(n)[1]\n    \
         mid = [l for l in lines if l.startswith(b'Message-ID:')][0]\n    \
         body = lines[lines.index(b'') + 1:]\n    \
         print(mid.decode(), len(body), set(body) == {{b'.page line'}})\n\
         p.quit()\n"
    );
    let (code, out, err) = run_tool("python3", &["-c", &read], &[]).await;
    assert_eq!(code, 0, "poplib: {err}");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("20"), "{out}");
    for (i, line) in lines.enumerate() {
        assert_eq!(line, format!("Message-ID: <fax-{i}@office.test> 200 True"));
    }
    let queue = gw.queue_json().await;
    assert!(
        queue.is_empty(),
        "mailbox mail is not in the delivery queue: {queue:?}"
    );
}

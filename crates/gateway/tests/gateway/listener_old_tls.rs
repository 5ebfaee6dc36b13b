//! Old devices whose TLS stops at 1.0/1.1 (issue 9, item 1), played by real clients: Python's
//! `ssl` pinned to one version at `@SECLEVEL=0`, and `openssl s_client -tls1`/`-tls1_1`. With
//! the default `tls_min_version = "1.2"` (rustls) their handshake is refused; with `"1.0"`/`"1.1"` (OpenSSL at security level 0) a message goes through over
//! STARTTLS and implicit TLS, its envelope records the version and cipher, the `Received:`
//! trace says it, and the devices list shows it. A modern client on the opted-in listeners
//! still gets TLS 1.3.

use std::process::Stdio;
use std::time::Duration;

use scanrelay_gateway::settings::TlsMinVersion;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use scanrelay_test_support::OLD_TLS_DEVICE_PY;

use crate::listener_support::{TestGateway, run, text};
use crate::log_capture::Logs;

#[derive(Clone, Copy, Debug)]
enum Mode {
    StartTls,
    Implicit,
}

impl Mode {
    fn arg(self) -> &'static str {
        match self {
            Mode::StartTls => "starttls",
            Mode::Implicit => "implicit",
        }
    }

    fn port(self, t: &TestGateway) -> u16 {
        match self {
            Mode::StartTls => t.smtp().port(),
            Mode::Implicit => t.smtps().port(),
        }
    }
}

async fn gateway(min: TlsMinVersion) -> TestGateway {
    TestGateway::start(|s| s.listen.tls_min_version = min).await
}

/// Runs the Python device; returns (success, its output).
async fn python_device(t: &TestGateway, mode: Mode, version: &str) -> (bool, String) {
    let port = mode.port(t).to_string();
    let out = run(
        "python3",
        &[
            "-c",
            OLD_TLS_DEVICE_PY,
            "127.0.0.1",
            &port,
            mode.arg(),
            version,
        ],
    )
    .await;
    (out.status.success(), text(&out))
}

/// The one queued message's TLS as stored, and its `Received:` field.
async fn stored_tls(t: &TestGateway) -> (String, String, String) {
    let (entry, body) = t.only_message().await;
    let tls = entry.envelope.tls.expect("the envelope records the TLS");
    let received = String::from_utf8_lossy(&body[..body.len().min(300)]).to_string();
    (tls.version, tls.cipher, received)
}

/// rustls answers a TLS 1.0/1.1-only hello with a `handshake_failure` alert and logs why.
#[tokio::test]
async fn python_tls_1_0_and_1_1_devices_are_refused_by_default() {
    let logs = Logs::start();
    let t = gateway(TlsMinVersion::default()).await;
    assert_eq!(
        logs.count("accepts TLS"),
        0,
        "no old-TLS warning by default"
    );
    for mode in [Mode::StartTls, Mode::Implicit] {
        for version in ["1.0", "1.1"] {
            let (ok, out) = python_device(&t, mode, version).await;
            assert!(!ok, "{mode:?} TLS {version} was accepted: {out}");
            assert!(
                out.contains("HANDSHAKE_FAILURE"),
                "{mode:?} TLS {version}: refused for another reason: {out}"
            );
        }
        // The same client with TLS 1.2 gets through: only the version was refused.
        let (ok, out) = python_device(&t, mode, "1.2").await;
        assert!(ok, "{mode:?}: {out}");
    }
    assert_eq!(t.messages().await.len(), 2, "only the TLS 1.2 messages");
    let failed = logs.count("handshake failed");
    assert_eq!(failed, 4, "{}", logs.text());
    assert_eq!(logs.count("peer is incompatible"), 4, "{}", logs.text());
}

#[tokio::test]
async fn python_tls_1_0_device_sends_over_starttls_and_implicit_tls_when_opted_in() {
    for mode in [Mode::StartTls, Mode::Implicit] {
        let logs = Logs::start();
        let t = gateway(TlsMinVersion::Tls1_0).await;
        for (name, addr) in [("smtp", t.smtp()), ("smtps", t.smtps())] {
            let warning = format!("listener {name} on {addr} (");
            assert_eq!(logs.count(&warning), 1, "{}", logs.text());
        }
        assert_eq!(logs.count("accepts TLS 1.0 and later"), 2);
        let (ok, out) = python_device(&t, mode, "1.0").await;
        assert!(ok, "{mode:?}: {out}");
        assert!(out.starts_with("TLSv1 "), "{mode:?}: {out}");
        let (version, cipher, received) = stored_tls(&t).await;
        assert_eq!(version, "TLSv1.0", "{mode:?}");
        // TLS 1.0 has no AEAD suites: a CBC suite with SHA-1, by its IANA name.
        assert!(
            cipher.starts_with("TLS_") && cipher.ends_with("_CBC_SHA"),
            "{mode:?}: {cipher}"
        );
        let using = format!("(using TLSv1.0 with cipher {cipher})");
        assert!(received.contains(&using), "{mode:?}: {received}");
        let devices = t.gw.handle().devices();
        assert_eq!(
            devices[0].tls.as_deref(),
            Some(format!("TLSv1.0 {cipher}").as_str())
        );
        let session = format!("version=TLSv1.0 cipher={cipher}");
        let line = logs
            .text()
            .lines()
            .find(|l| l.contains(&session))
            .map(str::to_string);
        let line = line.unwrap_or_else(|| panic!("no session line: {}", logs.text()));
        assert!(
            line.starts_with("WARN "),
            "old TLS is logged as a warning: {line}"
        );
    }
}

#[tokio::test]
async fn python_tls_1_1_device_is_accepted_at_1_1_and_tls_1_0_is_not() {
    let t = gateway(TlsMinVersion::Tls1_1).await;
    let (ok, out) = python_device(&t, Mode::StartTls, "1.0").await;
    assert!(!ok, "TLS 1.0 accepted with tls_min_version 1.1: {out}");
    assert!(t.messages().await.is_empty());
    for mode in [Mode::StartTls, Mode::Implicit] {
        let (ok, out) = python_device(&t, mode, "1.1").await;
        assert!(ok, "{mode:?}: {out}");
        assert!(out.starts_with("TLSv1.1 "), "{mode:?}: {out}");
    }
    let messages = t.messages().await;
    assert_eq!(messages.len(), 2);
    for (entry, _) in messages {
        assert_eq!(entry.envelope.tls.unwrap().version, "TLSv1.1");
    }
}

/// The opt-in weakens nothing for modern clients: they still negotiate TLS 1.3 (and 1.2 with
/// an ECDHE AEAD suite, the server's preference).
#[tokio::test]
async fn modern_clients_still_get_tls_1_3_on_an_opted_in_listener() {
    let t = gateway(TlsMinVersion::Tls1_0).await;
    for mode in [Mode::StartTls, Mode::Implicit] {
        let (ok, out) = python_device(&t, mode, "1.3").await;
        assert!(ok, "{mode:?}: {out}");
        assert!(out.starts_with("TLSv1.3 TLS_AES_"), "{mode:?}: {out}");
        let (ok, out) = python_device(&t, mode, "1.2").await;
        assert!(ok, "{mode:?}: {out}");
        assert!(out.starts_with("TLSv1.2 ECDHE-"), "{mode:?}: {out}");
        assert!(out.contains("GCM") || out.contains("CHACHA20"), "{out}");
    }
    let versions: Vec<String> = t
        .messages()
        .await
        .into_iter()
        .map(|(e, _)| e.envelope.tls.unwrap().to_string())
        .collect();
    assert_eq!(versions.len(), 4);
    assert!(versions[0].starts_with("TLSv1.3 TLS_AES_"), "{versions:?}");
    assert!(
        versions[1].starts_with("TLSv1.2 TLS_ECDHE_"),
        "{versions:?}"
    );
}

/// `openssl s_client` as the device: it speaks the dialogue line by line (`-nocommands`, so
/// `RCPT` is not taken as "renegotiate") and each step waits for its reply code.
async fn s_client(port: u16, starttls: bool, version_flag: &str) -> (bool, String) {
    let port = format!("127.0.0.1:{port}");
    let mut args = vec!["s_client", "-connect", &port, version_flag];
    args.extend(["-cipher", "DEFAULT@SECLEVEL=0", "-crlf", "-nocommands"]);
    if starttls {
        args.extend(["-starttls", "smtp"]);
    }
    let mut child = Command::new("openssl")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("openssl s_client runs");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut transcript = String::new();
    let dialogue = [
        ("EHLO olddevice.test", "250 "),
        ("MAIL FROM:<mfp@device.test>", "250 "),
        ("RCPT TO:<office@example.test>", "250 "),
        ("DATA", "354 "),
        ("Subject: s_client\n\nscan\n.", "250 "),
        ("QUIT", "221 "),
    ];
    let mut completed = true;
    for (send, want) in dialogue {
        if stdin
            .write_all(format!("{send}\n").as_bytes())
            .await
            .is_err()
        {
            completed = false;
            break;
        }
        let _ = stdin.flush().await;
        if !read_until_reply(&mut lines, want, &mut transcript).await {
            completed = false;
            break;
        }
    }
    drop(stdin);
    let mut rest = String::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push_str(&line);
            rest.push('\n');
        }
    })
    .await;
    transcript.push_str(&rest);
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    (completed, format!("{transcript}{stderr}"))
}

/// Reads lines into `transcript` until one starts with `code`; false at EOF or after 20 s.
async fn read_until_reply(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    code: &str,
    transcript: &mut String,
) -> bool {
    let wait = async {
        while let Ok(Some(line)) = lines.next_line().await {
            transcript.push_str(&line);
            transcript.push('\n');
            if line.starts_with(code) {
                return true;
            }
        }
        false
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or(false)
}

#[tokio::test]
async fn openssl_s_client_tls1_is_refused_by_default() {
    let t = gateway(TlsMinVersion::default()).await;
    for (port, starttls) in [(t.smtp().port(), true), (t.smtps().port(), false)] {
        for flag in ["-tls1", "-tls1_1"] {
            let (completed, out) = s_client(port, starttls, flag).await;
            assert!(!completed, "{flag} starttls={starttls} got through: {out}");
            assert!(out.contains("alert handshake failure"), "{flag}: {out}");
        }
    }
    assert!(t.messages().await.is_empty());
}

#[tokio::test]
async fn openssl_s_client_tls1_sends_a_message_when_opted_in() {
    let t = gateway(TlsMinVersion::Tls1_0).await;
    for (port, starttls) in [(t.smtp().port(), true), (t.smtps().port(), false)] {
        let (completed, out) = s_client(port, starttls, "-tls1").await;
        assert!(completed, "starttls={starttls}: {out}");
        assert!(out.contains("Protocol  : TLSv1\n"), "{out}");
        assert!(out.contains("250 2.0.0 OK: queued as"), "{out}");
    }
    let (completed, out) = s_client(t.smtp().port(), true, "-tls1_1").await;
    assert!(completed, "{out}");
    assert!(out.contains("Protocol  : TLSv1.1\n"), "{out}");
    let versions: Vec<String> = t
        .messages()
        .await
        .into_iter()
        .map(|(e, _)| e.envelope.tls.unwrap().version)
        .collect();
    assert_eq!(versions, ["TLSv1.0", "TLSv1.0", "TLSv1.1"]);
}

/// A change of `tls_min_version` needs a restart (the listeners' TLS is built at start): a
/// reload reports it, keeps the running value, and old devices stay refused until then.
#[tokio::test]
async fn a_reload_reports_tls_min_version_as_needing_a_restart() {
    let t = gateway(TlsMinVersion::default()).await;
    let handle = t.gw.handle();
    let mut new = (*handle.settings()).clone();
    new.listen.tls_min_version = TlsMinVersion::Tls1_0;
    let report = handle.reload(new).await.expect("reload");
    assert_eq!(report.needs_restart, ["listen.tls_min_version"]);
    assert!(report.applied.is_empty(), "{report:?}");
    assert_eq!(
        handle.settings().listen.tls_min_version,
        TlsMinVersion::Tls1_2
    );
    let (ok, out) = python_device(&t, Mode::StartTls, "1.0").await;
    assert!(!ok, "TLS 1.0 accepted after a reload: {out}");
}

//! The benchmark's cloud process (`scanrelay-test-cloud`) and what it is built on: the
//! authority's in-process token check, and draining the fake Graph's sent messages.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use scanrelay_test_support::graph_server::{GraphServer, GraphServerConfig};
use scanrelay_test_support::oauth_authority::{ClientSpec, OAuthAuthority};
use serde_json::Value;

const GRAPH_DEFAULT: &str = "https://graph.microsoft.com/.default";

#[test]
fn token_info_knows_live_tokens_of_any_audience_only() {
    let authority = OAuthAuthority::start();
    authority.add_client(ClientSpec::public("live", "kim@example.test"));
    authority
        .add_client(ClientSpec::public("expired", "kim@example.test").access_ttl(Duration::ZERO));
    let graph = authority.mint_access_token("live", "https://graph.microsoft.com/Mail.Send");
    let info = authority
        .inspector()
        .token_info(&graph)
        .expect("a live token");
    assert_eq!(info.aud, "https://graph.microsoft.com");
    assert_eq!(info.client_id, "live");
    assert_eq!(info.user, "kim@example.test");
    assert_eq!(info.scope, "https://graph.microsoft.com/Mail.Send");
    let dead = authority.mint_access_token("expired", "https://graph.microsoft.com/Mail.Send");
    assert_eq!(authority.token_info(&dead), None, "expired");
    assert_eq!(authority.token_info("at-made-up"), None, "never issued");
}

#[tokio::test]
async fn take_sent_empties_the_sent_list() {
    let server = GraphServer::start(GraphServerConfig::with_token("tok", &["Mail.Send"]));
    let (status, _) = send_mail(&server.base_url(), "tok", "one").await;
    assert_eq!(status, 202);
    let taken = server.take_sent();
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].subject.as_deref(), Some("one"));
    assert!(server.take_sent().is_empty());
    assert!(server.sent("scanner@contoso.example").is_empty());
}

/// The cloud process, killed when dropped.
struct Cloud {
    child: Child,
    vars: Vec<(String, String)>,
    stdout: BufReader<ChildStdout>,
    _dir: tempfile::TempDir,
    sent_log: std::path::PathBuf,
}

impl Cloud {
    fn start() -> Cloud {
        let dir = tempfile::tempdir().expect("temp dir");
        let sent_log = dir.path().join("sent.jsonl");
        let mut child = Command::new(env!("CARGO_BIN_EXE_scanrelay-test-cloud"))
            .args(["--oauth-port", "0", "--smtp-user", "scanner@example.test"])
            .arg("--sent-log")
            .arg(&sent_log)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scanrelay-test-cloud");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut vars = Vec::new();
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).expect("read") > 0, "no READY");
            let line = line.trim_end();
            if line == "READY" {
                break;
            }
            let (k, v) = line.split_once('=').expect("KEY=VALUE");
            vars.push((k.to_string(), v.to_string()));
        }
        Cloud {
            child,
            vars,
            stdout,
            _dir: dir,
            sent_log,
        }
    }

    fn var(&self, key: &str) -> &str {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{key} not printed: {:?}", self.vars))
    }

    async fn token(&self, form: &[(&str, &str)]) -> Value {
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.var("AUTHORITY_URL"),
            self.var("TENANT")
        );
        let answer = reqwest::Client::new()
            .post(url)
            .form(form)
            .send()
            .await
            .expect("token request");
        answer.json().await.expect("token JSON")
    }

    /// SIGTERM, then the `STATS=` line's JSON.
    fn stop(mut self) -> Value {
        let status = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read STATS");
        assert!(self.child.wait().expect("wait").success());
        let json = line.trim_end().strip_prefix("STATS=").expect("STATS line");
        serde_json::from_str(json).expect("STATS JSON")
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send_mail(graph_url: &str, token: &str, subject: &str) -> (u16, String) {
    let mime = format!(
        "To: kim@example.test\r\nSubject: {subject}\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n\
         --XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=\"scan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         Zm9vYmFy\r\n--XX--\r\n"
    );
    let answer = reqwest::Client::new()
        .post(format!(
            "{graph_url}/v1.0/users/scanner@contoso.example/sendMail"
        ))
        .bearer_auth(token)
        .header("content-type", "text/plain")
        .body(base64::engine::general_purpose::STANDARD.encode(mime))
        .send()
        .await
        .expect("sendMail");
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap_or_default())
}

#[tokio::test]
async fn the_cloud_serves_tokens_a_graph_that_takes_them_and_a_sent_log() {
    let cloud = Cloud::start();
    let app = cloud
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", cloud.var("GRAPH_CLIENT_ID")),
            ("client_secret", cloud.var("GRAPH_CLIENT_SECRET")),
            ("scope", GRAPH_DEFAULT),
        ])
        .await;
    let app_token = app["access_token"].as_str().expect("app-only token");
    let graph = cloud.var("GRAPH_URL").to_string();
    assert_eq!(
        send_mail(&graph, app_token, "scanrelay bench r-1").await.0,
        202
    );
    // The SMTP grant's token has Exchange's audience: Graph refuses it.
    let smtp = cloud
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", cloud.var("SMTP_CLIENT_ID")),
            ("refresh_token", cloud.var("SMTP_REFRESH_TOKEN")),
        ])
        .await;
    let smtp_token = smtp["access_token"].as_str().expect("SMTP token");
    let (status, body) = send_mail(&graph, smtp_token, "refused").await;
    assert_eq!(status, 401, "{body}");
    // A delegated Graph grant gives its scopes' permissions: Mail.Send is enough for sendMail.
    let delegated = cloud
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", cloud.var("GRAPH_CLIENT_ID")),
            ("client_secret", cloud.var("GRAPH_CLIENT_SECRET")),
            ("refresh_token", cloud.var("GRAPH_REFRESH_TOKEN")),
        ])
        .await;
    let delegated = delegated["access_token"].as_str().expect("delegated token");
    assert_eq!(
        send_mail(&graph, delegated, "scanrelay bench r-2").await.0,
        202
    );
    // A freshly minted SMTP refresh token works (each benchmark case imports its own).
    let control = cloud.var("CONTROL_URL").to_string();
    let client = reqwest::Client::new();
    let minted = client
        .post(format!("{control}/mint/smtp"))
        .send()
        .await
        .expect("mint")
        .text()
        .await
        .expect("token");
    let again = cloud
        .token(&[
            ("grant_type", "refresh_token"),
            ("client_id", cloud.var("SMTP_CLIENT_ID")),
            ("refresh_token", minted.trim()),
        ])
        .await;
    assert!(again["access_token"].is_string(), "{again}");
    let stats: Value = client
        .get(format!("{control}/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats JSON");
    assert_eq!(stats["oauth"]["smtp_refreshes"], 2, "{stats}");
    // The cloud looks for sent messages every 5 ms: wait for both lines.
    let mut log = String::new();
    for _ in 0..500 {
        log = std::fs::read_to_string(&cloud.sent_log).unwrap_or_default();
        if log.lines().count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["subject"], "scanrelay bench r-1");
    assert_eq!(lines[0]["via"], "sendMail");
    assert_eq!(lines[0]["attachments"][0]["bytes"], 6);
    assert_eq!(lines[0]["attachments"][0]["fnv1a64"], "85944171f73967e8");
    let last = cloud.stop();
    assert_eq!(last["graph"]["messages"], 2, "{last}");
    assert_eq!(last["graph"]["requests_refused"], 1, "{last}");
}

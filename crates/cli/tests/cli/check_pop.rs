//! `scanrelay check --pop` against the real Dovecot peer: POP3S and STLS pass, and the
//! failures get `check`'s cause codes and exit statuses (wrong password 14, no CA 12, an SMTP
//! port 13, STLS against the POP3S port 12, nothing listening 11).

use crate::fetch_support::{PASSWORD_VAR, account};
use crate::{Run, closed_port, scanrelay};

async fn check_pop(args: &[String], password: &str) -> Run {
    let mut all = vec![
        "check".to_string(),
        "--pop".to_string(),
        "--json".to_string(),
    ];
    all.extend(args.iter().cloned());
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let run = scanrelay(&all, &[(PASSWORD_VAR, password)]).await;
    run.assert_no_secrets(&[password]);
    run
}

fn steps(run: &Run) -> Vec<String> {
    run.json()["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn pop3s_and_stls_pass_with_every_step() {
    let Some(acct) = account() else { return };
    let run = check_pop(&acct.endpoint_args(true), &acct.password).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        steps(&run),
        [
            "dns", "connect", "tls", "greeting", "capa", "auth", "stat", "quit"
        ]
    );
    assert_eq!(run.json()["tls"]["verified"], true);
    let run = check_pop(&acct.endpoint_args(false), &acct.password).await;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        steps(&run),
        [
            "dns", "connect", "greeting", "capa", "stls", "tls", "capa", "auth", "stat", "quit"
        ]
    );
    let auth = &run.json()["steps"][7]["exchange"];
    assert_eq!(auth[2], "C: PASS <redacted>");
}

#[tokio::test]
async fn failures_get_checks_causes_and_exit_statuses() {
    let Some(acct) = account() else { return };
    let wrong = check_pop(&acct.endpoint_args(true), "not-the-password").await;
    assert_eq!(
        (wrong.cause(), wrong.code),
        ("auth.bad_credentials".into(), 14)
    );
    assert!(wrong.json()["fix"].as_str().unwrap().contains("--user"));

    let mut no_ca = acct.endpoint_args(true);
    no_ca.truncate(no_ca.len() - 2);
    let run = check_pop(&no_ca, &acct.password).await;
    assert_eq!(
        (run.cause(), run.code),
        ("tls.certificate_untrusted".into(), 12)
    );

    let mut smtp = acct.endpoint_args(false);
    smtp[3] = acct.peers.submission_port.to_string();
    let run = check_pop(&smtp, &acct.password).await;
    assert_eq!(
        (run.cause(), run.code),
        ("connect.not_pop3".into(), 13),
        "{}",
        run.stdout
    );

    let mut stls_on_pop3s = acct.endpoint_args(false);
    stls_on_pop3s[3] = acct.peers.pop3s_port.to_string();
    stls_on_pop3s.extend(["--timeout".into(), "2".into()]);
    let run = check_pop(&stls_on_pop3s, &acct.password).await;
    assert_eq!(
        (run.cause(), run.code),
        ("tls.mode_mismatch".into(), 12),
        "{}",
        run.stdout
    );
    assert!(run.json()["fix"].as_str().unwrap().contains("995"));

    let mut closed = acct.endpoint_args(true);
    closed[3] = closed_port().to_string();
    let run = check_pop(&closed, &acct.password).await;
    assert_eq!((run.cause(), run.code), ("connect.refused".into(), 11));
}

#[tokio::test]
async fn the_korean_report_and_usage_errors() {
    let Some(acct) = account() else { return };
    let mut args = vec![
        "check".to_string(),
        "--pop".to_string(),
        "--lang".into(),
        "ko".into(),
    ];
    args.extend(acct.endpoint_args(true));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = scanrelay(&args, &[(PASSWORD_VAR, "wrong")]).await;
    assert_eq!(run.code, 14);
    assert!(
        run.stdout
            .contains("사용자 이름이나 비밀번호를 거부했습니다"),
        "{}",
        run.stdout
    );
    let run = scanrelay(&["check", "--pop", "--json"], &[]).await;
    assert_eq!(run.code, 2);
    assert!(run.json()["error"].as_str().unwrap().contains("--server"));
    let run = scanrelay(&["check", "--pop", "--provider", "gmail"], &[]).await;
    assert_eq!(run.code, 2, "--pop is not for the SMTP presets");
}

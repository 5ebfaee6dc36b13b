//! `scanrelay admin set-password` and the console `serve` starts: the hash stored from a
//! password file (0600, Argon2), bad passwords refused without a change, no prompt without a
//! terminal, the console URL and one-time setup link in the log, a password set while the
//! gateway runs taking effect at once, and a LAN console refused until a password is set.

use std::path::Path;
use std::time::Duration;

use scanrelay_web::auth::password;

use crate::gateway_support::{Gateway, free_port, run_tool};
use crate::scanrelay;

const PASSWORD: &str = "console pw from file 7";

async fn set_password(data_dir: &Path, line: &str) -> crate::Run {
    let file = data_dir.join("pw.txt");
    std::fs::write(&file, line).unwrap();
    let f = file.to_str().unwrap();
    let d = data_dir.to_str().unwrap();
    let run = scanrelay(
        &[
            "admin",
            "set-password",
            "--password-file",
            f,
            "--data-dir",
            d,
        ],
        &[],
    )
    .await;
    std::fs::remove_file(&file).unwrap();
    run
}

#[tokio::test]
async fn set_password_from_a_file_stores_a_private_argon2_hash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let run = set_password(&data, &format!("{PASSWORD}\nthe second line is ignored\n")).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let file = data.join("admin.password");
    assert!(
        run.stdout.contains(&file.display().to_string()),
        "{}",
        run.stdout
    );
    run.assert_no_secrets(&[PASSWORD]);
    let hash = password::load(&data).unwrap().expect("stored");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(password::verify(PASSWORD, &hash));
    assert!(!password::verify("the second line is ignored", &hash));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn bad_passwords_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    assert_eq!(set_password(data, &format!("{PASSWORD}\n")).await.code, 0);
    let before = password::load(data).unwrap();
    for (line, want) in [
        ("short\n", "at least 8 characters"),
        ("\nsecond\n", "is empty"),
    ] {
        let run = set_password(data, line).await;
        assert_eq!(run.code, 2, "{line:?}");
        assert!(run.stderr.contains(want), "{line:?}: {}", run.stderr);
        assert!(run.stderr.contains("the password was not changed") || want == "is empty");
    }
    assert_eq!(password::load(data).unwrap(), before);
    let d = data.to_str().unwrap();
    let missing = scanrelay(
        &[
            "admin",
            "set-password",
            "--password-file",
            "/nonexistent/pw",
            "--data-dir",
            d,
        ],
        &[],
    )
    .await;
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/pw"),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn without_a_terminal_it_asks_for_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let run = scanrelay(&["admin", "set-password", "--data-dir", d], &[]).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--password-file"), "{}", run.stderr);
    assert!(!dir.path().join("admin.password").exists());
}

/// `curl` with a cookie jar in `jar`; returns (status line code, body).
async fn curl(jar: &Path, url: &str, form: Option<&str>) -> (String, String) {
    let jar = jar.to_str().unwrap();
    let mut args = vec![
        "-s",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "-c",
        jar,
        "-b",
        jar,
        url,
    ];
    if let Some(form) = form {
        args.extend(["--data", form]);
    }
    let (code, out, err) = run_tool("curl", &args, &[]).await;
    assert_eq!(code, 0, "curl {url}: {err}");
    let (body, status) = out.rsplit_once('\n').unwrap();
    (status.to_string(), body.to_string())
}

fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..at + page[at..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn serve_logs_the_console_and_a_setup_link_a_set_password_kills() {
    let web = free_port();
    let gw = Gateway::start_raw(|port, _| {
        format!("[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"127.0.0.1:{web}\"\n")
    })
    .await;
    let base = format!("http://127.0.0.1:{web}");
    let mut logs = String::new();
    for _ in 0..100 {
        logs = gw.logs();
        if logs.contains("/setup/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(logs.contains(&format!("console: {base}/ ")), "{logs}");
    let at = logs.find(&format!("{base}/setup/")).expect("a setup link");
    let link: String = logs[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let jar = gw.dir.path().join("cookies");
    let (status, page) = curl(&jar, &link, None).await;
    assert_eq!(status, "200", "{page}");
    assert!(page.contains("Set the admin password"), "{page}");

    // A password set with the CLI while the gateway runs: the link dies, the password works.
    assert_eq!(set_password(gw.dir.path(), PASSWORD).await.code, 0);
    let (status, _) = curl(&jar, &link, None).await;
    assert_eq!(status, "404");
    let (_, login) = curl(&jar, &format!("{base}/login"), None).await;
    let form = format!(
        "csrf={}&password={}",
        csrf(&login),
        PASSWORD.replace(' ', "+")
    );
    let (status, _) = curl(&jar, &format!("{base}/login"), Some(&form)).await;
    assert_eq!(status, "303", "logged in");
    let (status, dash) = curl(&jar, &format!("{base}/"), None).await;
    assert_eq!(status, "200");
    assert!(dash.contains("Dashboard"), "{dash}");
    scanrelay_test_support::assert_no_secrets(&gw.logs(), &[PASSWORD]);
}

#[tokio::test]
async fn a_lan_console_is_refused_until_a_password_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("scanrelay.toml");
    std::fs::write(
        &config,
        "[listen]\nsmtp = \"127.0.0.1:2525\"\nweb = \"0.0.0.0:8025\"\n",
    )
    .unwrap();
    let (c, d) = (config.to_str().unwrap(), dir.path().to_str().unwrap());
    let check = ["serve", "--check-config", "--config", c, "--data-dir", d];
    let run = scanrelay(&check, &[]).await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("listen.web: refusing to start"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("scanrelay admin set-password"),
        "{}",
        run.stderr
    );
    assert_eq!(set_password(dir.path(), PASSWORD).await.code, 0);
    let run = scanrelay(&check, &[]).await;
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("config OK"));
}

/// `web_tls = true`: the console speaks HTTPS with the gateway's (generated) certificate, and
/// its session cookie is `Secure`.
#[tokio::test]
async fn the_console_over_tls_uses_the_gateways_certificate() {
    let web = free_port();
    let gw = Gateway::start_raw(|port, _| {
        format!(
            "[listen]\nsmtp = \"127.0.0.1:{port}\"\nweb = \"127.0.0.1:{web}\"\nweb_tls = true\n"
        )
    })
    .await;
    let base = format!("https://127.0.0.1:{web}");
    for _ in 0..100 {
        if gw.logs().contains("/setup/") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gw.logs().contains(&format!("console: {base}/ ")),
        "{}",
        gw.logs()
    );
    let cert = gw.dir.path().join("tls/cert.pem");
    let url = format!("{base}/login");
    let args = [
        "-s",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("localhost:{web}:127.0.0.1"),
        "-k",
        &url,
    ];
    let (code, head, err) = run_tool("curl", &args, &[]).await;
    assert_eq!(code, 0, "{err}");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let cookie = head
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: scanrelay_session=")
        })
        .expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    // The certificate is the gateway's: curl verifies it by its CA file under the name the
    // gateway generated it for.
    let strict = format!("https://localhost:{web}/login");
    let args = [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        cert.to_str().unwrap(),
        "--resolve",
        &format!("localhost:{web}:127.0.0.1"),
        &strict,
    ];
    let (code, status, err) = run_tool("curl", &args, &[]).await;
    assert_eq!((code, status.as_str()), (0, "200"), "{err}");
    let plain = format!("http://127.0.0.1:{web}/login");
    let (code, _, _) = run_tool("curl", &["-s", "-m", "5", &plain], &[]).await;
    assert_ne!(code, 0, "no plain HTTP on the TLS port");
}

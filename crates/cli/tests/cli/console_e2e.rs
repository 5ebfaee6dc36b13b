//! The web console end to end, in headless Chromium, against the real peers (issue 8, item 8;
//! the metrics of item 6), as a newcomer would use it: `scanrelay serve` from the packaged
//! default config (no upstream, no device account; devices only with an account) with its
//! console on loopback. The browser logs in (a wrong admin password first), runs the setup
//! wizard for "Other SMTP server" against the Postfix submission port (STARTTLS + SASL
//! through Dovecot): Check connection with a wrong password shows `auth.bad_credentials` and
//! its fix in the page; Back keeps the form, the right password passes the check; Save writes
//! the upstream and a generated device account and shows the device sheet. A device (swaks)
//! sends a scan with the values of that sheet; the queue page shows it delivered (and it is
//! read back from the Dovecot mailbox), the dashboard counts it, the devices page shows the
//! device; the language switch turns the pages Korean; `/metrics`, scraped from loopback
//! without a login, counts what was sent.
//!
//! The peer's certificate is issued by the peers' test CA, which the wizard has no field for:
//! the gateway runs with `SSL_CERT_FILE` naming that CA, as an office that trusts its own CA
//! system-wide would.
//!
//! Every page is saved as a PNG in the test's temporary directory (kept when the test fails).
//! `SCANRELAY_UPDATE_SCREENSHOTS=1` also copies them to `docs/screenshots/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use scanrelay_diagnose::{Cause, Lang, advise};
use scanrelay_test_support::{Peers, peers};
use scanrelay_web::i18n::{EN, KO, setup_texts};

use crate::console_browser::Browser;
use crate::gateway_support::{Gateway, free_port, run_tool, swaks, wait_delivered};

const ADMIN_PASSWORD: &str = "e2e console admin pw 42";
const WRONG_ADMIN_PASSWORD: &str = "not the admin password";
const WRONG_UPSTREAM_PASSWORD: &str = "wrong-upstream-pw-e2e";
const DEVICE_LABEL: &str = "3F";
const DEVICE_HELO: &str = "mfp-3f.example.test";
const LOGIN_BUTTON: &str = "form[action='/login'] button[type=submit]";
/// The wizard's form for "Other SMTP server" with a password.
const WIZARD_FORM: &str = "/wizard/other/password";
/// How long a connection check may take in the page.
const CHECK_SECS: u64 = 60;
/// Every page the test saves (`docs/screenshots/<name>.png`).
const SHOTS: [&str; 10] = [
    "wizard",
    "wizard-gmail",
    "wizard-form",
    "check-failed",
    "check-passed",
    "device-sheet",
    "queue",
    "dashboard",
    "devices",
    "dashboard-ko",
];
/// The screenshots README.md shows.
const README_SHOTS: [&str; 6] = [
    "wizard-gmail",
    "check-failed",
    "device-sheet",
    "dashboard",
    "queue",
    "dashboard-ko",
];
/// The most a committed screenshot may weigh.
const MAX_SHOT_BYTES: u64 = 200 * 1024;

/// Deletes the test's directory unless the test failed (then it says where it is).
struct WorkDir(tempfile::TempDir);

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.disable_cleanup(true);
            eprintln!(
                "console e2e: screenshots kept in {}",
                self.0.path().display()
            );
        }
    }
}

/// The packaged default config with the test's ports, and no network allowed without a
/// device account.
fn config(smtp: u16, web: u16) -> String {
    let text = scanrelay_gateway::config::DEFAULT_CONFIG;
    let mut out = text
        .replace(
            "\nsmtp = \"127.0.0.1:2525\"\n",
            &format!("\nsmtp = \"127.0.0.1:{smtp}\"\n"),
        )
        .replace(
            "\nweb = \"127.0.0.1:8025\"\n",
            &format!("\nweb = \"127.0.0.1:{web}\"\n"),
        )
        .replace(
            "\nallow_networks = [\"127.0.0.0/8\", \"::1/128\"]\n",
            "\nallow_networks = []\n",
        );
    assert!(
        out.contains(&format!(":{smtp}\"")) && out.contains(&format!(":{web}\"")),
        "the default config's listeners moved:\n{text}"
    );
    assert!(out.contains("\nallow_networks = []\n"), "{text}");
    out.push('\n');
    out
}

async fn start_gateway(p: &Peers, web: u16) -> Gateway {
    let ca = p.ca.to_string_lossy().into_owned();
    let gw = Gateway::start_with_env(|smtp, _| config(smtp, web), &[("SSL_CERT_FILE", &ca)]).await;
    let pw = gw.dir.path().join("admin-pw.txt");
    std::fs::write(&pw, format!("{ADMIN_PASSWORD}\n")).expect("write the admin password file");
    let (cfg, dir) = (gw.config.to_str().unwrap(), gw.dir.path().to_str().unwrap());
    let args = [
        "admin",
        "set-password",
        "--password-file",
        pw.to_str().unwrap(),
        "--config",
        cfg,
        "--data-dir",
        dir,
    ];
    let run = crate::scanrelay(&args, &[]).await;
    assert_eq!(run.code, 0, "set-password: {}{}", run.stdout, run.stderr);
    std::fs::remove_file(&pw).expect("remove the admin password file");
    gw
}

/// The console refuses a wrong admin password with its message, then logs in.
async fn log_in(b: &mut Browser) {
    b.open("/").await;
    assert_eq!(b.path().await, "/login", "the dashboard needs a login");
    b.fill("#password", WRONG_ADMIN_PASSWORD).await;
    b.click(LOGIN_BUTTON).await;
    assert_eq!(b.text("p.error[role=alert]").await, EN.login_wrong);
    assert_eq!(b.path().await, "/login");
    b.fill("#password", ADMIN_PASSWORD).await;
    b.click(LOGIN_BUTTON).await;
    assert_eq!(b.path().await, "/");
    assert_eq!(b.text("main h1").await, EN.dash_title);
    assert_eq!(b.text("p.warning").await, EN.dash_no_upstream);
}

/// `s` with every run of whitespace made one space (rendered text wraps and tabs).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The wizard's first page, a provider's own steps (Gmail), then the form for "Other SMTP
/// server" filled in from the account's address and typed in.
async fn wizard_form(b: &mut Browser, p: &Peers) {
    let st = setup_texts(Lang::En);
    b.click("nav a[href='/wizard']").await;
    assert_eq!(b.text("main h1").await, st.wizard_title);
    let choices = b.text("ul.choices").await;
    for name in ["Gmail", "Microsoft 365", "Naver", "Other SMTP server"] {
        assert!(choices.contains(name), "{name} in {choices}");
    }
    b.shot("wizard", true).await;
    b.click("a[href='/wizard/gmail/app-password']").await;
    b.fill("main form[method=get] input[name=address]", &p.user)
        .await;
    b.click("main form[method=get] button").await;
    let steps = b.text("ol.steps").await;
    assert!(steps.contains("2-Step Verification"), "{steps}");
    assert_eq!(b.value("#w-server").await, "smtp.gmail.com");
    assert_eq!(b.value("#w-username").await, p.user);
    b.shot("wizard-gmail", true).await;

    b.open("/wizard").await;
    b.click(&format!("a[href='{WIZARD_FORM}']")).await;
    b.fill("main form[method=get] input[name=address]", &p.user)
        .await;
    b.click("main form[method=get] button").await;
    assert_eq!(
        b.value("#w-username").await,
        p.user,
        "filled from the address"
    );
    assert_eq!(
        b.value("#w-sender").await,
        p.user,
        "filled from the address"
    );
    let port = p.submission_port.to_string();
    for (input, value) in [
        ("#w-name", "office"),
        ("#w-server", p.host.as_str()),
        ("#w-port", port.as_str()),
        ("#w-tls", "starttls"),
        ("#w-device_label", DEVICE_LABEL),
        ("#w-to", p.user2.as_str()),
    ] {
        b.fill(input, value).await;
    }
}

/// Check connection: waits for the page's script to show the finished check; its steps.
async fn check(b: &mut Browser, password: &str) -> Vec<String> {
    b.fill("#w-password", password).await;
    b.click("button[name=action][value=check]").await;
    assert!(b.path().await.starts_with("/wizard/check/"));
    b.wait("div.result[role=status]", CHECK_SECS).await;
    b.texts("ol.check > li").await
}

/// A check with the wrong password: the page shows `auth.bad_credentials` and its fix; Back
/// keeps the form (not the password); the right password passes.
async fn failing_then_passing_check(b: &mut Browser, p: &Peers) {
    let st = setup_texts(Lang::En);
    b.shot("wizard-form", true).await;
    let steps = check(b, WRONG_UPSTREAM_PASSWORD).await;
    assert!(steps.len() >= 3, "connect, STARTTLS, AUTH: {steps:?}");
    let result = b.text("div.result.failed").await;
    assert_eq!(b.text("div.result code").await, "auth.bad_credentials");
    assert!(result.contains(st.check_failed), "{result}");
    let fix = squash(&advise(Cause::AuthBadCredentials, None, Lang::En).fix);
    assert!(
        squash(&result).contains(&fix),
        "the fix {fix:?} in the page:\n{result}"
    );
    assert!(!b.source().await.contains(WRONG_UPSTREAM_PASSWORD));
    b.shot("check-failed", true).await;

    b.click("a.back").await;
    assert_eq!(b.value("#w-server").await, p.host, "Back keeps the form");
    assert_eq!(b.value("#w-port").await, p.submission_port.to_string());
    assert_eq!(b.value("#w-password").await, "", "never the password");
    let steps = check(b, &p.password).await;
    assert!(
        steps.iter().any(|s| s.starts_with("auth "))
            && steps.iter().any(|s| s.starts_with("rcpt ")),
        "AUTH and the RCPT TO dry run: {steps:?}"
    );
    assert_eq!(b.texts("ol.check > li.failed").await, Vec::<String>::new());
    let result = b.text("div.result.ok").await;
    assert!(result.contains(st.check_ok), "{result}");
    assert!(!b.source().await.contains(p.password.as_str()));
    b.shot("check-passed", true).await;
}

/// What the device sheet says: user name, password, port, sender.
struct Sheet {
    user: String,
    password: String,
    port: String,
    sender: String,
}

/// Save on the passing check: the device sheet with a generated device account.
async fn save(b: &mut Browser, gw: &Gateway, p: &Peers) -> Sheet {
    let st = setup_texts(Lang::En);
    b.click("form[action$='/save'] button").await;
    assert!(
        b.text("main h1").await.starts_with(st.sheet_title),
        "{}",
        b.text("main").await
    );
    let rows: BTreeMap<String, String> = b
        .cells("table.sheet tbody tr")
        .await
        .into_iter()
        .filter_map(|r| Some((r.first()?.clone(), r.get(1)?.clone())))
        .collect();
    let row = |label: &str| {
        rows.get(label)
            .unwrap_or_else(|| panic!("no {label:?} on the sheet: {rows:?}"))
            .clone()
    };
    let sheet = Sheet {
        user: row("User name"),
        password: row("Password"),
        port: row("Port number (SMTP send)"),
        sender: row("E-mail address (sender)"),
    };
    assert_eq!(b.text("main h1 code").await, sheet.user);
    assert!(
        sheet.user.contains(&DEVICE_LABEL.to_lowercase()),
        "{}",
        sheet.user
    );
    assert!(sheet.password.len() >= 12, "a generated password");
    assert_eq!(sheet.port, gw.port.to_string());
    assert_eq!(sheet.sender, p.user);
    assert!(row("SMTP authentication (SMTP AUTH)").starts_with("On"));
    b.shot("device-sheet", true).await;
    let cfg = std::fs::read_to_string(&gw.config).expect("read the config");
    assert!(
        cfg.contains(&format!("username = \"{}\"", sheet.user)),
        "{cfg}"
    );
    assert!(cfg.contains("name = \"office\""), "{cfg}");
    sheet
}

/// The device sends a scan with the sheet's values; it reaches the mailbox.
async fn send_scan(gw: &Gateway, p: &Peers, sheet: &Sheet, test_id: &str) {
    let auth = [
        "--helo",
        DEVICE_HELO,
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        &sheet.user,
        "--auth-password",
        &sheet.password,
    ];
    let (code, out) = swaks(gw, &sheet.sender, &p.user2, test_id, &auth).await;
    assert_eq!(code, 0, "the scan is accepted: {out}");
    assert!(
        wait_delivered(p, test_id, 60).await,
        "{test_id} reached the mailbox\n{}",
        gw.logs()
    );
}

/// The queue page shows the message delivered, from the device, through the wizard's upstream.
async fn queue_shows_it_delivered(b: &mut Browser, sheet: &Sheet) {
    b.click("nav a[href='/queue']").await;
    b.wait_text("main", EN.queue_delivered, 30).await;
    let rows = b.cells("table.delivered tbody tr").await;
    let [row] = &rows[..] else {
        panic!("one delivered message: {rows:?}")
    };
    assert_eq!(row[2], format!("127.0.0.1 ({})", sheet.user), "{row:?}");
    assert_eq!(row[3], "office", "{row:?}");
    assert!(
        b.text("main").await.contains(EN.queue_empty),
        "none waiting"
    );
    b.shot("queue", true).await;
}

/// The count in the row labelled `label` of a dashboard card.
async fn dashboard_count(b: &mut Browser, card: &str, label: &str) -> String {
    let rows = b.cells(&format!("{card} table.counts tr")).await;
    rows.iter()
        .find(|r| r.first().map(|c| c.trim()) == Some(label))
        .and_then(|r| r.get(1).cloned())
        .unwrap_or_else(|| panic!("no row {label:?} in {rows:?}"))
}

/// The dashboard's queue card (counts by state).
const QUEUE_CARD: &str = ".cards section.card:nth-child(1)";
/// The dashboard's card of today's counts.
const TODAY_CARD: &str = ".cards section.card:nth-child(2)";

/// The dashboard counts the scan: accepted 1, delivered 1, nothing waiting or failed.
async fn dashboard(b: &mut Browser) {
    b.click("nav a[href='/']").await;
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_accepted).await, "1");
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_delivered).await, "1");
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_failed).await, "0");
    assert_eq!(dashboard_count(b, QUEUE_CARD, EN.dash_total).await, "0");
    assert_eq!(
        b.css_value("table.counts th.num", "text-align").await,
        "right",
        "the total lines up with the counts"
    );
    let upstreams = b.text("table.upstreams").await;
    assert!(upstreams.contains("office"), "{upstreams}");
    assert!(b.text("main").await.contains(EN.dash_no_failures));
    b.shot("dashboard", true).await;
}

/// The devices page shows the device: address, HELO name, TLS, AUTH, account, one message.
async fn devices(b: &mut Browser, sheet: &Sheet) {
    b.click("nav a[href='/devices']").await;
    let rows = b.cells("table.devices tbody tr").await;
    let [cells] = &rows[..] else {
        panic!("one device: {rows:?}")
    };
    assert_eq!(cells.len(), 9, "{cells:?}");
    assert_eq!(
        (cells[0].as_str(), cells[1].as_str()),
        ("127.0.0.1", DEVICE_HELO)
    );
    assert!(
        cells[4].starts_with("TLSv1."),
        "TLS version and cipher: {cells:?}"
    );
    assert_eq!(
        (cells[5].as_str(), cells[6].as_str()),
        ("PLAIN", sheet.user.as_str())
    );
    assert_eq!(cells[7], "1", "messages sent: {cells:?}");
    b.shot("devices", true).await;
}

/// The language switch turns the console Korean, and the choice sticks on the next page.
async fn korean(b: &mut Browser) {
    b.open("/").await;
    assert_eq!(b.text("header a.lang").await, EN.switch_to_label);
    b.click("header a.lang").await;
    assert_eq!(b.path().await, "/");
    assert_eq!(b.text("main h1").await, KO.dash_title);
    let nav = b.text("header nav").await;
    assert!(
        nav.contains(KO.nav_queue) && nav.contains(KO.nav_devices),
        "{nav}"
    );
    assert_eq!(dashboard_count(b, TODAY_CARD, KO.dash_delivered).await, "1");
    b.shot("dashboard-ko", true).await;
    b.click("nav a[href='/queue']").await;
    assert_eq!(b.text("main h1").await, KO.queue_title);
    assert!(b.text("main").await.contains(KO.queue_delivered));
}

/// `/metrics` from loopback without a login: `name{labels}` -> value.
async fn scrape(web: u16) -> BTreeMap<String, f64> {
    let url = format!("http://127.0.0.1:{web}/metrics");
    let (code, out, err) = run_tool("curl", &["-sS", "-f", &url], &[]).await;
    assert_eq!(code, 0, "scrape {url}: {err}");
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// The value of `key`; every series of the metric is summed when `key` has no labels.
fn metric(m: &BTreeMap<String, f64>, key: &str) -> f64 {
    if key.contains('{') {
        return *m.get(key).unwrap_or_else(|| panic!("no {key} in {m:?}"));
    }
    let series = m.iter().filter(|(k, _)| k.split('{').next() == Some(key));
    series.map(|(_, v)| v).sum()
}

/// What `/metrics` says after the one scan from the wizard's device account, delivered
/// through the wizard's upstream `office` at the first try.
fn check_metrics(m: &BTreeMap<String, f64>, device: &str) {
    let accepted = format!("scanrelay_messages_accepted_total{{device=\"{device}\"}}");
    for (key, want) in [
        (accepted.as_str(), 1.0),
        ("scanrelay_messages_accepted_total", 1.0),
        (
            "scanrelay_deliveries_total{upstream=\"office\",result=\"delivered\"}",
            1.0,
        ),
        ("scanrelay_deliveries_total", 1.0),
        ("scanrelay_auth_failures_total", 0.0),
        ("scanrelay_queue_messages", 0.0),
        (
            "scanrelay_upstream_latency_seconds_count{upstream=\"office\"}",
            1.0,
        ),
        ("scanrelay_reloads_total{result=\"applied\"}", 1.0),
    ] {
        assert_eq!(metric(m, key), want, "{key}");
    }
}

/// Copies the screenshots to `docs/screenshots/` (`SCANRELAY_UPDATE_SCREENSHOTS=1`).
fn publish(shots: &Path) {
    if std::env::var("SCANRELAY_UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let docs = repo_screenshots();
    std::fs::create_dir_all(&docs).expect("create docs/screenshots");
    for name in SHOTS {
        let (from, to) = (
            shots.join(format!("{name}.png")),
            docs.join(format!("{name}.png")),
        );
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy to {}: {e}", to.display()));
        check_committed(&to);
        eprintln!("console e2e: updated {}", to.display());
    }
}

fn repo_screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

/// A committed screenshot: a PNG of the console's width, small enough to commit.
fn check_committed(path: &Path) {
    let (w, _) = crate::console_browser::png_size(path);
    assert_eq!(w, crate::console_browser::WIDTH, "{}", path.display());
    let len = std::fs::metadata(path).expect("stat").len();
    assert!(len < MAX_SHOT_BYTES, "{} is {len} bytes", path.display());
}

#[tokio::test]
async fn the_console_in_chromium_sets_up_an_upstream_with_the_wizard_and_follows_a_scan() {
    let Some(p) = peers() else { return };
    if let Err(missing) = crate::console_browser::available() {
        let required = std::env::var("SCANRELAY_REQUIRE_PEERS").as_deref() == Ok("1");
        assert!(
            !required,
            "SCANRELAY_REQUIRE_PEERS=1 but {missing} (scripts/peers install installs them)"
        );
        eprintln!("console e2e skipped: {missing} (scripts/peers install installs them)");
        return;
    }
    let started = Instant::now();
    let work = WorkDir(tempfile::tempdir().expect("tempdir"));
    let web = free_port();
    let mut gw = start_gateway(&p, web).await;
    let test_id = format!("console-e2e-{}", gw.port);
    let mut b = Browser::start(work.0.path(), &format!("http://127.0.0.1:{web}")).await;
    log_in(&mut b).await;
    wizard_form(&mut b, &p).await;
    failing_then_passing_check(&mut b, &p).await;
    let sheet = save(&mut b, &gw, &p).await;
    send_scan(&gw, &p, &sheet, &test_id).await;
    queue_shows_it_delivered(&mut b, &sheet).await;
    dashboard(&mut b).await;
    devices(&mut b, &sheet).await;
    korean(&mut b).await;
    check_metrics(&scrape(web).await, &sheet.user);
    let shots = b.shots().to_path_buf();
    b.close().await;
    gw.kill9().await;
    let secrets = [
        p.password.as_str(),
        WRONG_UPSTREAM_PASSWORD,
        ADMIN_PASSWORD,
        WRONG_ADMIN_PASSWORD,
        sheet.password.as_str(),
    ];
    scanrelay_test_support::assert_no_secrets(&gw.logs(), &secrets);
    publish(&shots);
    eprintln!("console e2e: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn readme_shows_the_console_screenshots() {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(readme).expect("read README.md");
    for name in README_SHOTS {
        let rel = format!("docs/screenshots/{name}.png");
        assert!(readme.contains(&format!("]({rel})")), "README shows {rel}");
    }
    for name in SHOTS {
        check_committed(&repo_screenshots().join(format!("{name}.png")));
    }
}

//! The web console end to end, in headless Chromium, against the real peers (issue 8, item 8;
//! the metrics of item 6): `scanrelay serve` with its console on loopback and an upstream on
//! the Postfix submission port (STARTTLS + SASL through Dovecot) set up with a WRONG password.
//! The admin password comes from `scanrelay admin set-password --password-file`; the browser
//! logs in (a wrong admin password first), a device (swaks, STARTTLS + AUTH PLAIN as a device
//! account) sends a scan, the dashboard, the queue and the message show the deferral with
//! `auth.bad_credentials` and its fix; the password is fixed in the config and the gateway
//! reloaded with SIGHUP; the Retry button sends the message, which leaves the queue and is
//! read back from the Dovecot mailbox; the devices and events pages show the device and the
//! delivery; the language switch turns the pages Korean; `/metrics`, scraped from loopback
//! without a login, counts what the test did.
//!
//! Every page is saved as a PNG in the test's temporary directory (kept when the test fails).
//! `SCANRELAY_UPDATE_SCREENSHOTS=1` also copies the README's set to `docs/screenshots/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use scanrelay_diagnose::{Cause, Lang, advise};
use scanrelay_test_support::{Peers, peers};
use scanrelay_web::i18n::{EN, KO};

use crate::console_browser::Browser;
use crate::gateway_support::{Gateway, free_port, run_tool, swaks, wait_delivered};

const ADMIN_PASSWORD: &str = "e2e console admin pw 42";
const WRONG_ADMIN_PASSWORD: &str = "not the admin password";
const WRONG_UPSTREAM_PASSWORD: &str = "wrong-upstream-pw-e2e";
const DEVICE_USER: &str = "mfp-3f";
const DEVICE_PASSWORD: &str = "Scan-3F-e2e-pass";
const WRONG_DEVICE_PASSWORD: &str = "Wrong-3F-e2e-pass";
const DEVICE_HELO: &str = "mfp-3f.example.test";
const LOGIN_BUTTON: &str = "form[action='/login'] button[type=submit]";
/// The screenshots README.md shows (`docs/screenshots/<name>.png`).
const README_SHOTS: [&str; 4] = ["dashboard", "message", "devices", "dashboard-ko"];
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

/// The gateway's config: the device-facing listener (device accounts only), the console on
/// loopback, the upstream with its password in `password_file`, and a first retry ten
/// minutes away so only the console's Retry button sends the message within the test.
fn config(p: &Peers, smtp: u16, web: u16, password_file: &Path) -> String {
    format!(
        "[listen]\nsmtp = \"127.0.0.1:{smtp}\"\nweb = \"127.0.0.1:{web}\"\n\
         allow_networks = []\n\n\
         [upstream]\nserver = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\n\
         username = \"{}\"\npassword_file = \"{}\"\nca_file = \"{}\"\n\n\
         [delivery]\nretry_min = \"10m\"\nretry_max = \"20m\"\n\n\
         [[device]]\nusername = \"{DEVICE_USER}\"\npassword = \"{DEVICE_PASSWORD}\"\n",
        p.submission_port,
        p.user,
        password_file.display(),
        p.ca.display()
    )
}

async fn start_gateway(p: &Peers, web: u16) -> Gateway {
    let gw = Gateway::start_raw(|smtp, dir| {
        let wrong = dir.join("upstream-password");
        std::fs::write(&wrong, WRONG_UPSTREAM_PASSWORD).expect("write the password file");
        config(p, smtp, web, &wrong)
    })
    .await;
    let pw = gw.dir.path().join("admin-pw.txt");
    std::fs::write(&pw, format!("{ADMIN_PASSWORD}\n")).expect("write the admin password file");
    let (cfg, dir) = (gw.config.to_str().unwrap(), gw.dir.path().to_str().unwrap());
    let args = ["admin", "set-password", "--password-file"];
    let args = [
        &args[..],
        &[pw.to_str().unwrap(), "--config", cfg, "--data-dir", dir],
    ]
    .concat();
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
    b.shot("login", false).await;
    b.fill("#password", ADMIN_PASSWORD).await;
    b.click(LOGIN_BUTTON).await;
    assert_eq!(b.path().await, "/");
    assert_eq!(b.text("main h1").await, EN.dash_title);
}

/// One AUTH with a wrong device password (refused, counted), then the scan with the right one.
async fn send_scan(gw: &Gateway, p: &Peers, test_id: &str) {
    let auth = |pw: &'static str| {
        [
            "--helo",
            DEVICE_HELO,
            "--tls",
            "--auth",
            "PLAIN",
            "--auth-user",
            DEVICE_USER,
            "--auth-password",
            pw,
        ]
    };
    let refused = format!("{test_id}-refused");
    let (code, out) = swaks(
        gw,
        "mfp@office.example",
        &p.user2,
        &refused,
        &auth(WRONG_DEVICE_PASSWORD),
    )
    .await;
    assert_ne!(code, 0, "a wrong device password is refused: {out}");
    assert!(out.contains("535"), "{out}");
    let (code, out) = swaks(
        gw,
        "mfp@office.example",
        &p.user2,
        test_id,
        &auth(DEVICE_PASSWORD),
    )
    .await;
    assert_eq!(code, 0, "the scan is accepted: {out}");
}

/// Waits until the queue holds one message deferred by the wrong upstream password; its id.
async fn deferred_id(gw: &Gateway) -> String {
    for _ in 0..150 {
        let q = gw.queue_json().await;
        if let [e] = &q[..]
            && e["delivery"]["state"] == "deferred"
        {
            assert_eq!(e["delivery"]["last_cause"], "auth.bad_credentials", "{e}");
            return e["id"].as_str().expect("an id").to_string();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "no deferred message: {:?}\n{}",
        gw.queue_json().await,
        gw.logs()
    );
}

/// `s` with every run of whitespace made one space (rendered text wraps and tabs).
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The dashboard's queue card (counts by state).
const QUEUE_CARD: &str = ".cards section.card:nth-child(1)";
/// The dashboard's card of today's counts.
const TODAY_CARD: &str = ".cards section.card:nth-child(2)";

/// The count in the row labelled `label` of a dashboard card.
async fn dashboard_count(b: &mut Browser, card: &str, label: &str) -> String {
    let rows = b.texts(&format!("{card} table.counts tr")).await;
    rows.iter()
        .find_map(|r| {
            let (name, n) = r.trim().rsplit_once(char::is_whitespace)?;
            (name.trim() == label).then(|| n.to_string())
        })
        .unwrap_or_else(|| panic!("no row {label:?} in {rows:?}"))
}

/// The dashboard, the queue and the message show the failure, its cause and its fix.
async fn failure_is_shown(b: &mut Browser, id: &str) {
    let fix = squash(&advise(Cause::AuthBadCredentials, None, Lang::En).fix);
    b.open("/").await;
    let failures = b.wait_text("table.failures", id, 30).await;
    assert!(failures.contains("auth.bad_credentials"), "{failures}");
    assert!(
        squash(&failures).contains(&fix),
        "the fix {fix:?} in {failures}"
    );
    assert_eq!(dashboard_count(b, QUEUE_CARD, EN.state_deferred).await, "1");
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_accepted).await, "1");
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_delivered).await, "0");
    assert_eq!(
        b.css_value("table.counts th.num", "text-align").await,
        "right",
        "the total lines up with the counts"
    );
    b.shot("dashboard", true).await;

    b.click("nav a[href='/queue']").await;
    let queue = b.text("table.queue").await;
    assert!(
        queue.contains(id) && queue.contains(EN.state_deferred),
        "{queue}"
    );
    assert!(queue.contains("auth.bad_credentials"), "{queue}");
    assert!(queue.contains(DEVICE_HELO), "the device column: {queue}");
    b.shot("queue", false).await;

    b.click(&format!("table.queue a[href='/queue/{id}']")).await;
    assert_eq!(b.path().await, format!("/queue/{id}"));
    assert!(b.text("p.cause").await.starts_with("auth.bad_credentials"));
    assert_eq!(squash(&b.text("p.fix").await), fix);
    let reply = b.text("pre.reply").await;
    assert!(
        reply.starts_with("535 5.7.8"),
        "the upstream's exact reply: {reply}"
    );
    let fields = b.text("dl.fields").await;
    assert!(
        fields.contains(EN.state_deferred) && fields.contains(DEVICE_USER),
        "{fields}"
    );
    b.shot("message", false).await;
}

/// `kill -HUP` to the gateway, then waits for the reload in its log.
async fn reload(gw: &Gateway) {
    let pid = gw.child.id().expect("the gateway runs").to_string();
    let (code, _, err) = run_tool("kill", &["-HUP", &pid], &[]).await;
    assert_eq!(code, 0, "kill -HUP: {err}");
    for _ in 0..100 {
        if gw.logs().contains("settings reloaded") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the gateway did not reload:\n{}", gw.logs());
}

/// Puts the right upstream password in a new file, points the config at it and reloads.
async fn fix_upstream(gw: &Gateway, p: &Peers, web: u16) {
    let right = gw.dir.path().join("upstream-password-fixed");
    std::fs::write(&right, &p.password).expect("write the password file");
    std::fs::write(&gw.config, config(p, gw.port, web, &right)).expect("rewrite the config");
    reload(gw).await;
    // The reload alone sends nothing: the next try is still ten minutes away.
    let q = gw.queue_json().await;
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0]["delivery"]["state"], "deferred", "{q:?}");
    assert_eq!(q[0]["delivery"]["attempts"], 1, "{q:?}");
}

/// The Retry button sends the message now: it leaves the queue and reaches the mailbox.
async fn retry_delivers(b: &mut Browser, p: &Peers, id: &str, test_id: &str) {
    b.open(&format!("/queue/{id}")).await;
    b.click(&format!("form[action='/queue/{id}/retry'] button"))
        .await;
    assert_eq!(b.path().await, format!("/queue/{id}?done=retried"));
    let main = b.text("main").await;
    // Delivered before the page loaded, the message is gone already.
    assert!(
        main.contains(EN.retry_done) || main.contains(EN.not_found),
        "{main}"
    );
    b.open("/queue").await;
    b.wait_text("main", EN.queue_empty, 60).await;
    assert!(
        wait_delivered(p, test_id, 60).await,
        "{test_id} reached the mailbox"
    );
    b.open("/").await;
    assert_eq!(dashboard_count(b, TODAY_CARD, EN.dash_delivered).await, "1");
    assert_eq!(dashboard_count(b, QUEUE_CARD, EN.state_deferred).await, "0");
}

/// `template` with `{name}` placeholders filled, cut before the first one left.
fn filled(template: &str, values: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in values {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s.split('{')
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_string()
}

/// The devices page shows the device (name, TLS, AUTH, account, count); the events page the
/// refused AUTH, the deferral, the reload and the delivery.
async fn devices_and_events(b: &mut Browser, id: &str) {
    b.click("nav a[href='/devices']").await;
    let cells = b.texts("table.devices tbody tr:first-child td").await;
    assert_eq!(cells.len(), 9, "{cells:?}");
    assert_eq!(cells[0], "127.0.0.1");
    assert_eq!(cells[1], DEVICE_HELO);
    assert!(
        cells[4].starts_with("TLSv1."),
        "TLS version and cipher: {cells:?}"
    );
    assert_eq!(
        (cells[5].as_str(), cells[6].as_str()),
        ("PLAIN", DEVICE_USER)
    );
    assert_eq!(cells[7], "1", "messages sent: {cells:?}");
    b.shot("devices", false).await;

    b.click("nav a[href='/events']").await;
    let events = b.text("#events").await;
    let up = ("upstream", "default");
    for want in [
        filled(
            EN.ev_auth_failed,
            &[("client", "127.0.0.1"), ("device", DEVICE_USER)],
        ),
        filled(
            EN.ev_deferred,
            &[("id", id), up, ("cause", "auth.bad_credentials")],
        ),
        filled(EN.ev_reloaded, &[]),
        filled(EN.ev_delivered, &[("id", id), up]),
    ] {
        assert!(events.contains(&want), "{want:?} in the events:\n{events}");
    }
    b.shot("events", false).await;
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
    assert!(b.text("main").await.contains(KO.queue_empty));
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

/// What `/metrics` says after one refused device AUTH, one scan accepted and deferred once
/// by the wrong upstream password, and (`delivered`) its delivery after the fix and Retry.
fn check_metrics(m: &BTreeMap<String, f64>, delivered: bool) {
    let d = f64::from(u8::from(delivered));
    for (key, want) in [
        ("scanrelay_messages_accepted_total", 1.0),
        ("scanrelay_auth_failures_total{listener=\"smtp\"}", 1.0),
        (
            "scanrelay_deliveries_total{upstream=\"default\",result=\"deferred\"}",
            1.0,
        ),
        (
            "scanrelay_deliveries_total{upstream=\"default\",result=\"delivered\"}",
            d,
        ),
        (
            "scanrelay_deliveries_total{upstream=\"default\",result=\"failed\"}",
            0.0,
        ),
        ("scanrelay_queue_messages{state=\"deferred\"}", 1.0 - d),
        (
            "scanrelay_upstream_latency_seconds_count{upstream=\"default\"}",
            d,
        ),
        ("scanrelay_reloads_total{result=\"applied\"}", d),
    ] {
        assert_eq!(metric(m, key), want, "{key} (delivered: {delivered})");
    }
    let device = "scanrelay_messages_accepted_total{device=\"mfp-3f\"}";
    assert_eq!(metric(m, device), 1.0, "counted for the device account");
}

/// Copies the README's screenshots to `docs/screenshots/` (`SCANRELAY_UPDATE_SCREENSHOTS=1`).
fn publish(shots: &Path) {
    if std::env::var("SCANRELAY_UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    let docs = repo_screenshots();
    std::fs::create_dir_all(&docs).expect("create docs/screenshots");
    for name in README_SHOTS {
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

/// A README screenshot: a PNG of the console's width, small enough to commit.
fn check_committed(path: &Path) {
    let (w, _) = crate::console_browser::png_size(path);
    assert_eq!(w, crate::console_browser::WIDTH, "{}", path.display());
    let len = std::fs::metadata(path).expect("stat").len();
    assert!(len < MAX_SHOT_BYTES, "{} is {len} bytes", path.display());
}

#[tokio::test]
async fn the_console_in_chromium_follows_a_scan_from_failure_to_delivery() {
    let Some(p) = peers() else { return };
    let started = Instant::now();
    let work = WorkDir(tempfile::tempdir().expect("tempdir"));
    let web = free_port();
    let mut gw = start_gateway(&p, web).await;
    let test_id = format!("console-e2e-{}", gw.port);
    let mut b = Browser::start(work.0.path(), &format!("http://127.0.0.1:{web}")).await;
    log_in(&mut b).await;
    send_scan(&gw, &p, &test_id).await;
    let id = deferred_id(&gw).await;
    failure_is_shown(&mut b, &id).await;
    check_metrics(&scrape(web).await, false);
    fix_upstream(&gw, &p, web).await;
    retry_delivers(&mut b, &p, &id, &test_id).await;
    devices_and_events(&mut b, &id).await;
    korean(&mut b).await;
    check_metrics(&scrape(web).await, true);
    let shots = b.shots().to_path_buf();
    b.close().await;
    gw.kill9().await;
    let secrets = [
        p.password.as_str(),
        WRONG_UPSTREAM_PASSWORD,
        ADMIN_PASSWORD,
        WRONG_ADMIN_PASSWORD,
        DEVICE_PASSWORD,
        WRONG_DEVICE_PASSWORD,
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
        check_committed(&repo_screenshots().join(format!("{name}.png")));
    }
}

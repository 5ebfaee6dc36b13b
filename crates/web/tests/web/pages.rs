//! The dashboard, devices and events pages over the fake backend, in both languages.

use axum::http::StatusCode;
use scanrelay_diagnose::{Cause, Lang, advise, provider};
use scanrelay_gateway::control::{
    DeviceSeen, EventKind, GatewayEvent, OAuthStatus, UpstreamStatus,
};
use scanrelay_web::i18n::{EN, KO};

use crate::queue::esc;
use crate::support::{Harness, now};

fn event(at: u64, kind: EventKind) -> GatewayEvent {
    GatewayEvent { at, kind }
}

fn upstream(name: &str, needs_login: bool, paused_until: Option<u64>) -> UpstreamStatus {
    UpstreamStatus {
        name: name.into(),
        summary: format!("smtp.{name}.example:587 (starttls)"),
        needs_login,
        paused_until,
        in_flight: 0,
        oauth: None,
    }
}

async fn busy_harness() -> Harness {
    let h = Harness::with_password().await;
    let a = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    h.spool_message("192.0.2.7:51235", "b@example.com").await;
    crate::support::fail_message(&h.backend.spool, &a, "a@example.com", "535 5.7.8 no").await;
    let t = now();
    *h.backend.events.lock().unwrap() = vec![
        event(
            t - 50,
            EventKind::Accepted {
                id: a.to_string(),
                client: "192.0.2.7".parse().unwrap(),
                helo: "<b>MFP</b>".into(),
                auth_user: Some("mfp-3f".into()),
                size: 28,
                rcpts: 1,
            },
        ),
        event(
            t - 40,
            EventKind::Failed {
                id: a.to_string(),
                upstream: "default".into(),
                cause: "auth.bad_credentials".into(),
                reply: "535 5.7.8 Username and Password not accepted".into(),
            },
        ),
        event(
            t - 30,
            EventKind::AuthFailed {
                client: "192.0.2.66".parse().unwrap(),
                device: None,
                listener: "smtp".into(),
            },
        ),
    ];
    let mut office = upstream("office", false, None);
    office.oauth = Some(OAuthStatus {
        account: "m365".into(),
        state: "needs_login".into(),
        reason: Some("invalid_grant".into()),
        access_expires_unix: Some(t + 1800),
    });
    *h.backend.upstreams.lock().unwrap() = vec![
        upstream("default", false, None),
        upstream("backup", true, None),
        upstream("slow", false, Some(t + 600)),
        office,
    ];
    *h.backend.devices.lock().unwrap() = vec![DeviceSeen {
        addr: "192.0.2.7".parse().unwrap(),
        helo: Some("MFP-3F".into()),
        first_seen: t - 3600,
        last_seen: t - 50,
        tls: Some("TLSv1.3 TLS13_AES_256_GCM_SHA384".into()),
        auth_mechanism: Some("PLAIN".into()),
        auth_user: Some("mfp-3f".into()),
        messages: 2,
        last_error: Some("535 5.7.8 authentication failed".into()),
    }];
    h
}

#[tokio::test]
async fn the_dashboard_shows_queue_today_upstreams_and_failures() {
    let h = busy_harness().await;
    let mut c = h.admin().await;
    let gmail = provider("gmail");
    for (lang, accept, t) in [(Lang::En, "en", &EN), (Lang::Ko, "ko", &KO)] {
        c.accept_language = Some(accept.into());
        let page = c.get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        let advice = advise(Cause::AuthBadCredentials, gmail, lang);
        for want in [
            format!("{}</span></a></td><td class=\"num\">1</td>", t.state_failed),
            format!("{}</span></a></td><td class=\"num\">1</td>", t.state_queued),
            format!("<th>{}</th><th class=\"num\">2</th>", t.dash_total),
            format!("<td>{}</td><td class=\"num big\">1</td>", t.dash_accepted),
            format!("<td>{}</td><td class=\"num big\">1</td>", t.dash_failed),
            format!("class=\"health-ok\">{}<", t.upstream_ok),
            format!("class=\"health-bad\">{}<", t.upstream_needs_login),
            t.upstream_paused.split('{').next().unwrap().to_string(),
            "smtp.slow.example:587 (starttls)".into(),
            "m365: ".into(),
            "needs_login (invalid_grant)".into(),
            "<code>auth.bad_credentials</code>".into(),
            esc(&advice.summary),
            esc(&advice.fix),
            "535 5.7.8 Username and Password not accepted".into(),
        ] {
            assert!(body.contains(&want), "{accept}: {want}\n{body}");
        }
    }
}

#[tokio::test]
async fn an_empty_gateway_says_so() {
    let h = Harness::with_password().await;
    let mut c = h.admin().await;
    let body = c.get("/").await.body;
    assert!(body.contains(EN.dash_no_upstream), "{body}");
    assert!(body.contains(EN.dash_no_failures));
    assert!(c.get("/devices").await.body.contains(EN.devices_none));
    assert!(c.get("/events").await.body.contains(EN.events_none));
}

#[tokio::test]
async fn the_devices_page_lists_every_client() {
    let h = busy_harness().await;
    let mut c = h.admin().await;
    let body = c.get("/devices").await.body;
    for want in [
        "<code>192.0.2.7</code>",
        "MFP-3F",
        "TLSv1.3 TLS13_AES_256_GCM_SHA384",
        "PLAIN",
        "mfp-3f",
        "<td class=\"num\">2</td>",
        "535 5.7.8 authentication failed",
        "href=\"/queue?device=192.0.2.7\"",
    ] {
        assert!(body.contains(want), "{want}\n{body}");
    }
    c.accept_language = Some("ko".into());
    assert!(c.get("/devices").await.body.contains(KO.col_last_seen));
}

#[tokio::test]
async fn events_are_newest_first_and_escaped_on_the_page_and_in_json() {
    let h = busy_harness().await;
    let mut c = h.admin().await;
    let page = c.get("/events").await.body;
    assert!(page.contains("<script src=\"/static/console.js\" defer></script>"));
    let auth = page
        .find("with an unknown user name")
        .expect("auth failure line");
    let failed = page.find("failed 0").expect("failure line");
    let accepted = page.find("accepted 0").expect("accepted line");
    assert!(auth < failed && failed < accepted, "newest first");
    assert!(page.contains("&#60;b&#62;MFP&#60;/b&#62;"), "HELO escaped");
    assert!(!page.contains("<b>MFP</b>"));

    let res = c.get("/events.json").await;
    assert_eq!(res.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&res.body).unwrap();
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["kind"], "auth_failed");
    assert_eq!(events[2]["kind"], "accepted");
    assert!(
        events[2]["text"].as_str().unwrap().contains("<b>MFP</b>"),
        "raw text: the script uses textContent"
    );
    c.accept_language = Some("ko".into());
    let json: serde_json::Value = serde_json::from_str(&c.get("/events.json").await.body).unwrap();
    assert!(
        json["events"][0]["text"]
            .as_str()
            .unwrap()
            .contains("알 수 없는 사용자 이름")
    );
}

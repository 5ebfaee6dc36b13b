//! The queue pages over a fake backend whose queue is a real spool: list and filters, a
//! message's detail (envelope, replies, cause, summary, fix in both languages), retry, delete.

use axum::http::StatusCode;
use scanrelay_diagnose::{Cause, Lang, advise, provider};
use scanrelay_gateway::control::{EventKind, GatewayEvent};
use scanrelay_spool::State;
use scanrelay_web::i18n::{EN, KO};

use crate::support::{Harness, fail_message};

/// A Gmail refusal with a line break and characters HTML must escape.
pub const REPLY: &str = "535-5.7.8 Username and Password not accepted. <Learn more> at\n\
                         535 5.7.8  https://support.google.com/mail/?p=BadCredentials x&y";

/// `text` as askama escapes it in HTML.
pub fn esc(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn the_list_filters_by_state_and_device() {
    let h = Harness::with_password().await;
    let a = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    let b = h.spool_message("192.0.2.8:40000", "b@example.com").await;
    fail_message(&h.backend.spool, &b, "b@example.com", REPLY).await;
    let mut c = h.admin().await;
    let all = c.get("/queue").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains(a.as_str()) && all.body.contains(b.as_str()));
    assert!(all.body.contains("192.0.2.7 (MFP-3F)"), "device column");
    let failed = c.get("/queue?state=failed").await.body;
    assert!(failed.contains(b.as_str()) && !failed.contains(&format!("/queue/{a}")));
    assert!(
        failed.contains("auth.bad_credentials"),
        "the cause under the row"
    );
    let queued = c.get("/queue?state=queued").await.body;
    assert!(queued.contains(&format!("/queue/{a}")) && !queued.contains(&format!("/queue/{b}")));
    let device = c.get("/queue?device=192.0.2.7").await.body;
    assert!(device.contains(&format!("/queue/{a}")) && !device.contains(&format!("/queue/{b}")));
    assert!(
        device.contains("<option value=\"192.0.2.7\" selected>"),
        "the filter is kept"
    );
    let none = c.get("/queue?device=192.0.2.99").await.body;
    assert!(none.contains(EN.queue_empty));
}

#[tokio::test]
async fn a_message_shows_its_replies_cause_and_fix_in_both_languages() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    fail_message(&h.backend.spool, &id, "a@example.com", REPLY).await;
    let mut c = h.admin().await;
    let gmail = provider("gmail");
    for (lang, accept, t) in [(Lang::En, "en", &EN), (Lang::Ko, "ko", &KO)] {
        c.accept_language = Some(accept.into());
        let page = c.get(&format!("/queue/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        let advice = advise(Cause::AuthBadCredentials, gmail, lang);
        for want in [
            id.as_str().to_string(),
            "mfp@office.example".into(),
            "a@example.com".into(),
            "192.0.2.7:51234 (HELO MFP-3F)".into(),
            "mfp-3f".into(),
            format!("auth.bad_credentials: {}", esc(&advice.summary)),
            esc(&advice.fix),
            esc(REPLY),
            t.state_failed.to_string(),
            t.next_never.to_string(),
        ] {
            assert!(body.contains(&want), "{accept}: {want} in {body}");
        }
        assert!(!body.contains("<Learn more>"), "replies are escaped");
        assert!(body.contains(&format!("action=\"/queue/{id}/retry\"")));
        assert!(body.contains(&format!("href=\"/queue/{id}/delete\"")));
    }
}

#[tokio::test]
async fn retry_queues_a_failed_message_again() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    fail_message(&h.backend.spool, &id, "a@example.com", REPLY).await;
    let mut c = h.admin().await;
    let page = format!("/queue/{id}");
    let res = c.submit(&page, &format!("/queue/{id}/retry"), &[]).await;
    res.assert_redirect(&format!("/queue/{id}?done=retried"));
    let entry = h.backend.spool.load(&id).await.unwrap();
    assert_eq!(entry.delivery.state, State::Queued);
    assert!(entry.delivery.retried_at.is_some());
    assert!(c.get(res.location()).await.body.contains(EN.retry_done));
}

#[tokio::test]
async fn delete_asks_first_then_removes_the_message() {
    let h = Harness::with_password().await;
    let id = h.spool_message("192.0.2.7:51234", "a@example.com").await;
    let mut c = h.admin().await;
    let confirm = c.get(&format!("/queue/{id}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains(EN.delete_warning));
    assert!(
        confirm
            .body
            .contains(&format!("action=\"/queue/{id}/delete\""))
    );
    h.backend
        .spool
        .load(&id)
        .await
        .expect("GET deletes nothing");
    let csrf = confirm.csrf();
    let res = c
        .post(&format!("/queue/{id}/delete"), &[("csrf", &csrf)])
        .await;
    res.assert_redirect(&format!("/queue?deleted={id}"));
    let gone = h.backend.spool.load(&id).await.unwrap_err();
    assert!(gone.is_not_found(), "{gone}");
    let list = c.get(res.location()).await.body;
    assert!(list.contains(&format!("The message {id} was deleted.")));
    let again = c
        .post(&format!("/queue/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let h = Harness::with_password().await;
    let mut c = h.admin().await;
    for path in [
        "/queue/0000000000000000-0000000000000000",
        "/queue/..%2F..%2Fetc%2Fpasswd",
        "/queue/not-an-id/delete",
    ] {
        let res = c.get(path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}");
        assert!(res.body.contains(EN.not_found), "{path}");
    }
}

/// A device's `Accepted` event then its `Delivered` event, `at` seconds ago.
fn delivered_events(id: &str, client: &str, account: Option<&str>, ago: u64) -> Vec<GatewayEvent> {
    let at = crate::support::now() - ago;
    vec![
        GatewayEvent {
            at,
            kind: EventKind::Accepted {
                id: id.into(),
                client: client.parse().unwrap(),
                helo: "<b>MFP</b>".into(),
                auth_user: account.map(str::to_string),
                size: 28,
                rcpts: 1,
            },
        },
        GatewayEvent {
            at: at + 1,
            kind: EventKind::Delivered {
                id: id.into(),
                upstream: "office".into(),
                latency_ms: 1234,
            },
        },
    ]
}

#[tokio::test]
async fn the_queue_lists_what_was_delivered_recently_with_its_device() {
    let h = Harness::with_password().await;
    let waiting = h.spool_message("192.0.2.9:40000", "c@example.com").await;
    let (a, b) = ("20261205-a1b2c3", "20261205-d4e5f6");
    let mut events = delivered_events(a, "192.0.2.7", Some("mfp-3f"), 60);
    events.extend(delivered_events(b, "192.0.2.8", None, 30));
    *h.backend.events.lock().unwrap() = events;
    let mut c = h.admin().await;
    let all = c.get("/queue").await.body;
    let table = &all[all.find("<table class=\"delivered\">").expect(&all)..];
    assert!(
        all.contains(&format!("/queue/{waiting}")),
        "the queue is listed too"
    );
    assert!(all.contains(&format!("<h2>{}</h2>", EN.queue_delivered)));
    let (at_a, at_b) = (table.find(a).unwrap(), table.find(b).unwrap());
    assert!(at_b < at_a, "newest first: {table}");
    assert!(
        table.contains("192.0.2.7 (mfp-3f)"),
        "the device account: {table}"
    );
    assert!(
        table.contains(&format!("192.0.2.8 ({})", esc("<b>MFP</b>"))),
        "else the HELO name, escaped: {table}"
    );
    assert!(table.contains("office") && table.contains("1.2"), "{table}");
    let only = c.get("/queue?state=delivered").await.body;
    assert!(only.contains(a) && only.contains(b) && !only.contains(&format!("/queue/{waiting}")));
    let failed = c.get("/queue?state=failed").await.body;
    assert!(!failed.contains(a) && !failed.contains(EN.queue_delivered));
    let device = c.get("/queue?device=192.0.2.7").await.body;
    assert!(device.contains(a) && !device.contains(b), "{device}");
    c.accept_language = Some("ko".into());
    let ko = c.get("/queue").await.body;
    assert!(
        ko.contains(KO.queue_delivered) && ko.contains(KO.col_took),
        "{ko}"
    );
}

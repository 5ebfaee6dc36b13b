//! `/metrics`: open to `metrics_allow` (loopback by default) and to logged-in sessions only.

use axum::http::{StatusCode, header};

use crate::support::{Harness, METRICS};

#[tokio::test]
async fn loopback_reads_metrics_without_login() {
    let h = Harness::new().await;
    for addr in ["127.0.0.1:9000", "[::1]:9000", "[::ffff:127.0.0.1]:9000"] {
        let res = h.client_from(addr).get("/metrics").await;
        assert_eq!(res.status, StatusCode::OK, "{addr}");
        assert_eq!(res.body, METRICS);
        let kind = res.headers[header::CONTENT_TYPE].to_str().unwrap();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    }
}

#[tokio::test]
async fn other_addresses_need_a_login() {
    let h = Harness::with_password().await;
    let mut c = h.client_from("192.0.2.9:9000");
    let res = c.get("/metrics").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(!res.body.contains("scanrelay_test_total"));
    assert!(res.body.contains("metrics_allow"), "{}", res.body);
    c.login(crate::support::ADMIN_PASSWORD)
        .await
        .assert_redirect("/");
    let res = c.get("/metrics").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body, METRICS);
}

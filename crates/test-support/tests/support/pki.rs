//! The test PKI, as a rustls client sees it.

use std::path::Path;

use rustls::CertificateError;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use scanrelay_test_support::{CertChoice, Script, ScriptedSmtpServer, TestPki};
use tokio::net::TcpStream;

use crate::client::*;

async fn handshake_error(cert: CertChoice, name: &str) -> rustls::Error {
    let server = ScriptedSmtpServer::start(Script::tls_rejected(cert)).await;
    let tcp = TcpStream::connect(server.addr()).await.expect("connect");
    let err = tls_connect(tcp, server.pki().client_config(), name)
        .await
        .expect_err("the client must refuse this certificate");
    let log = server
        .finish()
        .await
        .expect("the server expected the abort");
    assert!(
        log.transcript
            .iter()
            .any(|l| l.contains("aborted by the client")),
        "{log:?}"
    );
    rustls_error(&err)
}

#[tokio::test]
async fn the_expired_leaf_is_refused_as_expired() {
    let err = handshake_error(CertChoice::Expired, "localhost").await;
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. }
            )
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_wrong_host_leaf_is_refused_as_not_valid_for_the_name() {
    for name in ["localhost", "127.0.0.1"] {
        let err = handshake_error(CertChoice::WrongHost, name).await;
        assert!(
            matches!(
                err,
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                        | CertificateError::NotValidForNameContext { .. }
                )
            ),
            "{name}: {err:?}"
        );
    }
}

#[tokio::test]
async fn the_self_signed_leaf_is_refused_as_unknown_issuer() {
    let err = handshake_error(CertChoice::Untrusted, "localhost").await;
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn expect_tls_abort_fails_when_the_client_accepts_the_certificate() {
    let server = ScriptedSmtpServer::start(Script::tls_rejected(CertChoice::Valid)).await;
    let _client =
        Client::connect_tls(server.addr(), server.pki().client_config(), "localhost").await;
    let err = server
        .finish()
        .await
        .expect_err("the valid certificate was accepted");
    assert!(err.contains("should have refused the certificate"), "{err}");
}

#[test]
fn pki_files_are_pem_and_load_with_rustls() {
    let pki = TestPki::new();
    let ca = CertificateDer::from_pem_file(pki.ca_pem_path()).expect("CA PEM");
    assert_eq!(ca, pki.ca_der());
    let leaves = [
        pki.leaf().clone(),
        pki.leaf_for(&["other.example"]),
        pki.expired_leaf(),
        pki.self_signed_untrusted(),
    ];
    for leaf in &leaves {
        assert!(leaf.cert_pem_path().starts_with(pki.dir()));
        let cert = CertificateDer::from_pem_file(leaf.cert_pem_path()).expect("leaf PEM");
        assert_eq!(cert, leaf.cert_der());
        PrivateKeyDer::from_pem_file(leaf.key_pem_path()).expect("key PEM");
        leaf.server_config();
    }
    assert_eq!(pki.leaf().names(), ["localhost", "127.0.0.1"]);
    assert_eq!(leaves[1].names(), ["other.example"]);
    let paths: std::collections::HashSet<&Path> =
        leaves.iter().map(|l| l.cert_pem_path()).collect();
    assert_eq!(paths.len(), leaves.len(), "every leaf has its own file");
}

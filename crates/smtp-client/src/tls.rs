//! TLS for the client: trust roots, a verifier that records the peer chain and its verdict, and
//! the facts a check reports (version, cipher, chain).

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::Serialize;

use crate::error::{ClientError, TlsFailure};

/// One certificate of the peer's chain, decoded for people.
#[derive(Debug, Clone, Serialize)]
pub struct CertInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// DNS names and IP addresses from subjectAltName.
    pub sans: Vec<String>,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
}

/// What the TLS handshake established or failed on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsInfo {
    /// e.g. `TLSv1.3`.
    pub version: Option<String>,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: Option<String>,
    /// The name sent in SNI and verified.
    pub server_name: String,
    /// The peer's chain, leaf first, as presented (recorded even when verification failed).
    pub chain: Vec<CertInfo>,
    /// Whether the chain verified against the trust roots for `server_name`.
    pub verified: bool,
    /// Why verification failed.
    pub verify_error: Option<String>,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn system_roots() -> &'static Vec<CertificateDer<'static>> {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| rustls_native_certs::load_native_certs().certs)
}

/// Builds the root store: the system store (or the Mozilla bundle when the system has none)
/// plus the certificates in `ca_file`.
pub fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, ClientError> {
    let mut store = RootCertStore::empty();
    let system = system_roots();
    if system.is_empty() {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        store.add_parsable_certificates(system.iter().cloned());
    }
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| ClientError::Tls {
                kind: TlsFailure::Untrusted,
                detail: format!("cannot read CA file `{}`: {e}", path.display()),
            })?;
        if certs.is_empty() {
            return Err(ClientError::Tls {
                kind: TlsFailure::Untrusted,
                detail: format!("CA file `{}` holds no certificate", path.display()),
            });
        }
        store.add_parsable_certificates(certs);
    }
    Ok(store)
}

/// What the recording verifier saw.
#[derive(Debug, Default, Clone)]
pub(crate) struct VerifyRecord {
    pub chain: Vec<CertInfo>,
    pub error: Option<rustls::Error>,
}

/// A verifier that delegates to webpki and records the chain and the verdict before
/// returning, so a failed verification still shows what the server presented.
#[derive(Debug)]
pub(crate) struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    record: Arc<Mutex<VerifyRecord>>,
    accept_all: bool,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        let mut rec = self.record.lock().expect("verify record lock");
        rec.chain = std::iter::once(end_entity)
            .chain(intermediates.iter())
            .filter_map(|c| cert_info(c))
            .collect();
        rec.error = result.as_ref().err().cloned();
        if self.accept_all {
            return Ok(ServerCertVerified::assertion());
        }
        result
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Trust roots read once: the system store (or the Mozilla bundle when the system has none)
/// plus an optional CA file. Cheap to clone; a delivering gateway loads them at start (and on
/// reload) instead of re-reading files on a runtime thread for every connection.
#[derive(Clone)]
pub struct TrustRoots(pub(crate) Arc<RootCertStore>);

impl TrustRoots {
    /// Reads the system store and `ca_file` (PEM). Fails when the CA file cannot be read or
    /// holds no certificate.
    pub fn load(ca_file: Option<&Path>) -> Result<TrustRoots, ClientError> {
        Ok(TrustRoots(Arc::new(root_store(ca_file)?)))
    }

    /// How many trust anchors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustRoots({} anchors)", self.0.len())
    }
}

/// A TLS client config for one connection, with the record its verifier keeps.
pub struct ConnTls {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) record: Arc<Mutex<VerifyRecord>>,
}

impl ConnTls {
    /// A verifying config over the system roots plus `ca_file`.
    pub fn new(ca_file: Option<&Path>) -> Result<ConnTls, ClientError> {
        conn_tls(Arc::new(root_store(ca_file)?), false)
    }

    /// A verifying config over roots loaded earlier.
    pub fn with_roots(roots: &TrustRoots) -> Result<ConnTls, ClientError> {
        conn_tls(roots.0.clone(), false)
    }
}

/// Builds a TLS client config over `roots`. `accept_all` is only for the mode probe, which
/// sends nothing after the handshake.
pub(crate) fn conn_tls(
    roots: Arc<RootCertStore>,
    accept_all: bool,
) -> Result<ConnTls, ClientError> {
    let tls_err = |e: rustls::Error| ClientError::Tls {
        kind: TlsFailure::Handshake,
        detail: e.to_string(),
    };
    let inner = WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| ClientError::Tls {
            kind: TlsFailure::Untrusted,
            detail: e.to_string(),
        })?;
    let record = Arc::new(Mutex::new(VerifyRecord::default()));
    let verifier = RecordingVerifier {
        inner,
        record: record.clone(),
        accept_all,
    };
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(ConnTls {
        config: Arc::new(config),
        record,
    })
}

/// Decodes a certificate for the report.
pub fn cert_info(der: &CertificateDer<'_>) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => sans.push(format!("DNS:{d}")),
                x509_parser::extensions::GeneralName::IPAddress(ip) => sans.push(ip_text(ip)),
                _ => {}
            }
        }
    }
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
    })
}

fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => format!(
            "IP:{}",
            std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])
        ),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            format!("IP:{}", std::net::Ipv6Addr::from(a))
        }
        _ => "IP:?".to_string(),
    }
}

/// Classifies a rustls error.
pub(crate) fn classify(err: &rustls::Error) -> TlsFailure {
    use rustls::Error as E;
    match err {
        E::InvalidCertificate(c) => match c {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsFailure::HostnameMismatch
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => TlsFailure::Expired,
            _ => TlsFailure::Untrusted,
        },
        E::AlertReceived(rustls::AlertDescription::ProtocolVersion) | E::PeerIncompatible(_) => {
            TlsFailure::VersionRejected
        }
        _ => TlsFailure::Handshake,
    }
}

/// The rustls error inside an I/O error from tokio-rustls, if there is one.
pub(crate) fn rustls_error(err: &std::io::Error) -> Option<&rustls::Error> {
    err.get_ref()?.downcast_ref::<rustls::Error>()
}

/// Whether the handshake failed because the server's bytes are not TLS at all (a plaintext
/// SMTP banner where a TLS record was expected).
pub(crate) fn is_not_tls(err: &std::io::Error) -> bool {
    matches!(rustls_error(err), Some(rustls::Error::InvalidMessage(_)))
}

/// Runs a TLS handshake over `stream` as step `tls`, recording the facts either way.
pub(crate) async fn handshake<S>(
    stream: S,
    tls: &ConnTls,
    server_name: &str,
    limit: std::time::Duration,
    facts: &mut crate::transcript::Facts,
) -> Result<tokio_rustls::client::TlsStream<S>, ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let index = facts.begin(crate::transcript::StepName::Tls);
    let started = tokio::time::Instant::now();
    let result = handshake_step(stream, tls, server_name, limit, facts).await;
    facts.finish(index, result.is_ok(), started);
    result
}

/// The handshake of a `tls` step the caller has begun and will finish (after a closer look
/// at a failure, say): the step's note and the TLS facts are recorded either way.
pub(crate) async fn handshake_step<S>(
    stream: S,
    tls: &ConnTls,
    server_name: &str,
    limit: std::time::Duration,
    facts: &mut crate::transcript::Facts,
) -> Result<tokio_rustls::client::TlsStream<S>, ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (result, info) = client_handshake(stream, tls, server_name, limit).await;
    match &result {
        Ok(_) => facts.note(format!(
            "{} {}",
            info.version.as_deref().unwrap_or("?"),
            info.cipher.as_deref().unwrap_or("?")
        )),
        Err(e) => facts.note(e.to_string()),
    }
    facts.tls = Some(info);
    result
}

/// A client TLS handshake over `stream` within `limit`, verifying `server_name` with `tls`'s
/// verifier, and what it established or failed on (version, cipher, the chain even when it did
/// not verify). The one handshake of every scanrelay client: SMTP here, POP3 in
/// `scanrelay-pop3-client`, so `check`, `send`, `fetch` and the gateway verify servers alike.
pub async fn client_handshake<S>(
    stream: S,
    tls: &ConnTls,
    server_name: &str,
    limit: std::time::Duration,
) -> (
    Result<tokio_rustls::client::TlsStream<S>, ClientError>,
    TlsInfo,
)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let result = run_handshake(stream, tls, server_name, limit).await;
    let record = tls.record.lock().expect("verify record lock").clone();
    let mut info = TlsInfo {
        server_name: server_name.to_string(),
        chain: record.chain,
        verified: record.error.is_none(),
        verify_error: record.error.as_ref().map(ToString::to_string),
        ..TlsInfo::default()
    };
    match &result {
        Ok(stream) => {
            let (_, conn) = stream.get_ref();
            info.version = conn.protocol_version().map(version_name);
            info.cipher = conn
                .negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()));
        }
        Err(_) if info.chain.is_empty() => info.verified = false,
        Err(_) => {}
    }
    let result = result.map_err(|e| with_record_kind(e, record.error.as_ref()));
    (result, info)
}

fn with_record_kind(err: ClientError, verify: Option<&rustls::Error>) -> ClientError {
    match (err, verify) {
        (ClientError::Tls { detail, .. }, Some(v)) => ClientError::Tls {
            kind: classify(v),
            detail,
        },
        (other, _) => other,
    }
}

async fn run_handshake<S>(
    stream: S,
    tls: &ConnTls,
    server_name: &str,
    limit: std::time::Duration,
) -> Result<tokio_rustls::client::TlsStream<S>, ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use crate::transcript::StepName;
    let name = ServerName::try_from(server_name.to_string()).map_err(|e| ClientError::Tls {
        kind: TlsFailure::Handshake,
        detail: format!("`{server_name}` is not a valid TLS server name: {e}"),
    })?;
    let connector = tokio_rustls::TlsConnector::from(tls.config.clone());
    match tokio::time::timeout(limit, connector.connect(name, stream)).await {
        Err(_) => Err(ClientError::Timeout {
            step: StepName::Tls,
            secs: limit.as_secs(),
        }),
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e)) if is_not_tls(&e) => Err(ClientError::TlsModeMismatch {
            configured: scanrelay_proto::TlsMode::Implicit,
            evidence: "the server's first bytes are not a TLS record".to_string(),
        }),
        Ok(Err(e)) => Err(match rustls_error(&e) {
            Some(r) => ClientError::Tls {
                kind: classify(r),
                detail: r.to_string(),
            },
            None => ClientError::Tls {
                kind: TlsFailure::Handshake,
                detail: e.to_string(),
            },
        }),
    }
}

pub(crate) fn version_name(v: rustls::ProtocolVersion) -> String {
    match v {
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
        other => format!("{other:?}"),
    }
}

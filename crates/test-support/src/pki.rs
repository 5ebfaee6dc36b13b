//! A throw-away test CA and leaf certificates, written as PEM files into a temporary directory.
//!
//! Keys are ECDSA P-256 made by rcgen over aws-lc-rs. Every rustls config built here names the
//! aws-lc-rs provider explicitly, so no process-level `CryptoProvider` has to be installed.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The names the default leaf is valid for.
const LOCAL_NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// A test CA plus the files of everything it issued. The directory is deleted on drop.
pub struct TestPki {
    dir: tempfile::TempDir,
    ca: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    ca_pem_path: PathBuf,
    leaf: Leaf,
    serial: AtomicUsize,
}

/// A server certificate and its key: PEM files on disk and DER in memory.
///
/// The DER copy keeps [`Leaf::server_config`] working after the [`TestPki`] (and its
/// directory) is gone; the file paths do not.
#[derive(Clone)]
pub struct Leaf {
    names: Vec<String>,
    cert_pem_path: PathBuf,
    key_pem_path: PathBuf,
    cert_der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl TestPki {
    /// A new CA and a leaf for `localhost` and `127.0.0.1`, valid from yesterday for a year.
    ///
    /// # Panics
    /// When key generation or writing the temporary files fails.
    pub fn new() -> TestPki {
        let dir = tempfile::Builder::new()
            .prefix("scanrelay-pki-")
            .tempdir()
            .expect("create a temporary directory for the test PKI");
        let (ca, ca_der) = new_ca();
        let ca_pem_path = dir.path().join("ca.pem");
        write_file(&ca_pem_path, &pem("CERTIFICATE", &ca_der));
        let mut pki = TestPki {
            dir,
            ca,
            ca_der,
            ca_pem_path,
            leaf: Leaf::placeholder(),
            serial: AtomicUsize::new(0),
        };
        pki.leaf = pki.leaf_for(&LOCAL_NAMES);
        pki
    }

    /// The temporary directory holding every PEM file.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CA certificate (PEM), for a client's `--ca-file`.
    pub fn ca_pem_path(&self) -> &Path {
        &self.ca_pem_path
    }

    /// The CA certificate (DER).
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.ca_der.clone()
    }

    /// The leaf for `localhost` and `127.0.0.1`, valid now, signed by the CA.
    pub fn leaf(&self) -> &Leaf {
        &self.leaf
    }

    /// A leaf valid now, signed by the CA, for exactly `names` (DNS names or IP addresses);
    /// `leaf_for(&["other.example"])` provokes a hostname mismatch.
    pub fn leaf_for(&self, names: &[&str]) -> Leaf {
        self.signed_leaf(names, (-1, 365))
    }

    /// A leaf for `localhost` and `127.0.0.1`, signed by the CA, that expired 30 days ago.
    pub fn expired_leaf(&self) -> Leaf {
        self.signed_leaf(&LOCAL_NAMES, (-60, -30))
    }

    /// A self-signed leaf for `localhost` and `127.0.0.1` that no CA vouches for.
    ///
    /// Its subject (and so its issuer) is a distinctive name, not `CN=localhost`: Debian's
    /// `ssl-cert-snakeoil` root in the system store is called `localhost`, and a verifier that
    /// also loads system roots would otherwise try that root and report a signature error
    /// instead of an unknown issuer.
    pub fn self_signed_untrusted(&self) -> Leaf {
        let key = KeyPair::generate().expect("generate a key pair");
        let mut params = leaf_params(&LOCAL_NAMES, (-1, 365));
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(
            DnType::CommonName,
            "scanrelay untrusted self-signed test certificate",
        );
        let cert = params.self_signed(&key).expect("self-sign a leaf");
        self.store_leaf(&LOCAL_NAMES, cert.der().clone(), &key)
    }

    /// Roots containing only the test CA.
    pub fn root_store(&self) -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.ca_der())
            .expect("add the test CA to a root store");
        roots
    }

    /// A rustls client config (aws-lc-rs) that trusts only the test CA.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default protocol versions")
            .with_root_certificates(self.root_store())
            .with_no_client_auth();
        Arc::new(config)
    }

    fn signed_leaf(&self, names: &[&str], valid_days: (i64, i64)) -> Leaf {
        let key = KeyPair::generate().expect("generate a key pair");
        let cert = leaf_params(names, valid_days)
            .signed_by(&key, &self.ca)
            .expect("sign a leaf with the test CA");
        self.store_leaf(names, cert.der().clone(), &key)
    }

    fn store_leaf(&self, names: &[&str], cert_der: CertificateDer<'static>, key: &KeyPair) -> Leaf {
        let n = self.serial.fetch_add(1, Ordering::Relaxed);
        let cert_pem_path = self.dir.path().join(format!("leaf-{n}.pem"));
        let key_pem_path = self.dir.path().join(format!("leaf-{n}.key"));
        write_file(&cert_pem_path, &pem("CERTIFICATE", &cert_der));
        write_file(&key_pem_path, &key.serialize_pem());
        Leaf {
            names: names.iter().map(|s| s.to_string()).collect(),
            cert_pem_path,
            key_pem_path,
            cert_der,
            key_der: key.serialize_der(),
        }
    }
}

impl Default for TestPki {
    fn default() -> Self {
        TestPki::new()
    }
}

impl fmt::Debug for TestPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPki")
            .field("dir", &self.dir.path())
            .field("leaf", &self.leaf)
            .finish_non_exhaustive()
    }
}

impl Leaf {
    fn placeholder() -> Leaf {
        Leaf {
            names: Vec::new(),
            cert_pem_path: PathBuf::new(),
            key_pem_path: PathBuf::new(),
            cert_der: CertificateDer::from(Vec::new()),
            key_der: Vec::new(),
        }
    }

    /// The names (DNS or IP) in the certificate's subjectAltName.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The certificate (PEM file).
    pub fn cert_pem_path(&self) -> &Path {
        &self.cert_pem_path
    }

    /// The private key (PKCS#8 PEM file).
    pub fn key_pem_path(&self) -> &Path {
        &self.key_pem_path
    }

    /// The certificate (DER).
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.cert_der.clone()
    }

    /// A rustls server config (aws-lc-rs, TLS 1.2 and 1.3) presenting this leaf alone.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der()], key)
            .expect("the leaf's key matches its certificate");
        Arc::new(config)
    }
}

impl fmt::Debug for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf")
            .field("names", &self.names)
            .field("cert_pem_path", &self.cert_pem_path)
            .field("key_pem_path", &self.key_pem_path)
            .finish_non_exhaustive()
    }
}

pub(crate) fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn new_ca() -> (Issuer<'static, KeyPair>, CertificateDer<'static>) {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "scanrelay test CA");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "scanrelay tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, (-1, 3650));
    let key = KeyPair::generate().expect("generate the CA key pair");
    let cert = params.self_signed(&key).expect("self-sign the test CA");
    (Issuer::new(params, key), cert.der().clone())
}

/// Parameters for a server leaf valid from `valid_days.0` to `valid_days.1` days from now.
fn leaf_params(names: &[&str], valid_days: (i64, i64)) -> CertificateParams {
    let owned: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(owned).expect("valid certificate names");
    params.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, valid_days);
    params
}

/// Sets `not_before` / `not_after` to the given whole days from now (negative: in the past).
/// Works in `std::time::Duration` since the Unix epoch, so this crate needs no `time` dependency.
fn set_validity(params: &mut CertificateParams, (from, to): (i64, i64)) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970");
    let at = |days: i64| {
        let shift = DAY * u32::try_from(days.unsigned_abs()).expect("a sane number of days");
        let since_epoch = if days < 0 { now - shift } else { now + shift };
        rcgen::date_time_ymd(1970, 1, 1) + since_epoch
    };
    params.not_before = at(from);
    params.not_after = at(to);
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn write_file(path: &Path, contents: &str) {
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("failed to write `{}`: {e}", path.display()));
}

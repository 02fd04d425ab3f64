//! The built-in target behind TLS: a throwaway CA (rcgen) signs a certificate for
//! `localhost` and `127.0.0.1`, and a tokio-rustls acceptor (ring) hands each
//! decrypted connection to `klavier_testbed::serve_connection`.

use std::collections::BTreeMap;
use std::sync::Arc;

use klavier_testbed::{serve_connection, TargetState};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::loopback::Loopback;

/// An HTTPS built-in target; stops when dropped.
pub struct TlsTarget {
    server: Loopback,
    state: Arc<TargetState>,
    ca_pem: String,
    client: (String, String),
}

/// How a [`TlsTarget`]'s certificate and handshake differ from the plain case.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Names the server certificate is for.
    pub names: Vec<String>,
    /// The certificate expired yesterday.
    pub expired: bool,
    /// The server asks for a client certificate signed by the same CA, and refuses
    /// clients without one.
    pub client_auth: bool,
    /// The server offers only HTTP/1.1 in ALPN (else HTTP/2 first, then HTTP/1.1).
    pub http1_only: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            names: vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
            expired: false,
            client_auth: false,
            http1_only: false,
        }
    }
}

impl TlsTarget {
    pub fn start() -> Self {
        Self::start_with(Setup::default())
    }

    pub fn start_with(setup: Setup) -> Self {
        let pki = Pki::new(&setup);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions");
        let builder = if setup.client_auth {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(pki.ca_der.clone())
                .expect("the CA is a valid root");
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .expect("a client verifier from one root");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(pki.chain, pki.key)
            .expect("the generated key matches its certificate");
        config.alpn_protocols = if setup.http1_only {
            vec![b"http/1.1".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let state = Arc::new(TargetState::new());
        let served = state.clone();
        let server = Loopback::start("tls", move |stream, _stop| {
            let (acceptor, state) = (acceptor.clone(), served.clone());
            async move {
                // A client that rejects the certificate aborts the handshake: nothing to serve.
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_connection(tls, state).await;
                }
            }
        });
        Self {
            server,
            state,
            ca_pem: pki.ca_pem,
            client: pki.client,
        }
    }

    /// A client certificate and its key (PEM) signed by the CA, for mutual TLS.
    pub fn client_pem(&self) -> (&str, &str) {
        (&self.client.0, &self.client.1)
    }

    /// `https://127.0.0.1:PORT` (the certificate names the IP address too).
    pub fn base_url(&self) -> String {
        format!("https://{}", self.server.addr())
    }

    /// The PEM certificate of the CA that signed the server's certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// What the target counted, keyed `"GET /api/health"`: only requests that made it
    /// through the handshake.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.state.counts()
    }

    /// TCP connections accepted, handshake or not.
    pub fn accepted(&self) -> u64 {
        self.server.accepted()
    }
}

/// A throwaway PKI: a CA, a server certificate and a client certificate it signed.
struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// Client certificate and key, PEM.
    client: (String, String),
}

impl Pki {
    fn new(setup: &Setup) -> Self {
        let ca_key = KeyPair::generate().expect("ring generates a key");
        let mut ca_params =
            CertificateParams::new(Vec::<String>::new()).expect("no names is valid");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Klavier integration-test CA");
        let ca = ca_params.self_signed(&ca_key).expect("the CA signs itself");

        let server_key = KeyPair::generate().expect("ring generates a key");
        let mut server_params =
            CertificateParams::new(setup.names.clone()).expect("valid subject alternative names");
        if setup.expired {
            server_params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            server_params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let server = server_params
            .signed_by(&server_key, &ca, &ca_key)
            .expect("the CA signs the server certificate");

        let client_key = KeyPair::generate().expect("ring generates a key");
        let mut client_params =
            CertificateParams::new(vec!["client.test".to_owned()]).expect("a valid name");
        client_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let client = client_params
            .signed_by(&client_key, &ca, &ca_key)
            .expect("the CA signs the client certificate");

        let key = PrivatePkcs8KeyDer::from(server_key.serialize_der());
        Self {
            ca_pem: ca.pem(),
            ca_der: ca.der().clone(),
            chain: vec![server.der().clone()],
            key: key.into(),
            client: (client.pem(), client_key.serialize_pem()),
        }
    }
}

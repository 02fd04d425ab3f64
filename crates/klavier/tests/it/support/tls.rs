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
}

impl TlsTarget {
    pub fn start() -> Self {
        let (ca_pem, chain, key) = certificates();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("the generated key matches its certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
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
            ca_pem,
        }
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

/// A CA, and a server certificate it signed: (CA PEM, server chain, server key).
fn certificates() -> (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let ca_key = KeyPair::generate().expect("ring generates a key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("no names is valid");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Klavier integration-test CA");
    let ca = ca_params.self_signed(&ca_key).expect("the CA signs itself");

    let server_key = KeyPair::generate().expect("ring generates a key");
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let server_params = CertificateParams::new(names).expect("valid subject alternative names");
    let server = server_params
        .signed_by(&server_key, &ca, &ca_key)
        .expect("the CA signs the server certificate");

    let key = PrivatePkcs8KeyDer::from(server_key.serialize_der());
    (ca.pem(), vec![server.der().clone()], key.into())
}

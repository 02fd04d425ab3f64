//! TLS client configuration: webpki roots plus an optional CA file, or no
//! verification at all when the profile says `insecure = true`; an optional client
//! certificate (mutual TLS) and a minimum version. One configuration per run, so its
//! session cache lets reconnecting users resume their TLS sessions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use klavier_plan::{HttpVersion, Target, TlsVersion};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// Why a TLS client configuration could not be built (bad `ca_file` and the like).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The CA file could not be read.
    #[error("cannot read ca_file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The CA file holds no usable PEM certificate.
    #[error("ca_file {path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// A certificate in the CA file was rejected.
    #[error("ca_file {path}: {reason}")]
    BadCertificate {
        /// The file.
        path: PathBuf,
        /// What rustls said.
        reason: String,
    },
    /// The client certificate or key could not be read or used.
    #[error("client certificate {path}: {reason}")]
    ClientCert {
        /// The certificate or key file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Builds the client configuration for a target.
pub fn client_config(target: &Target) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = Arc::new(ring::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = match target.client.min_tls_version {
        TlsVersion::Tls12 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::Tls13 => &[&rustls::version::TLS13],
    };
    let builder =
        ClientConfig::builder_with_provider(provider.clone()).with_protocol_versions(versions)?;
    let builder = if target.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        builder.with_root_certificates(root_store(target.ca_file.as_deref())?)
    };
    let mut config = match &target.client.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = read_client_chain(cert)?;
            let key_der = read_client_key(key)?;
            builder.with_client_auth_cert(chain, key_der).map_err(|e| {
                TlsSetupError::ClientCert {
                    path: key.clone(),
                    reason: format!("the key does not fit the certificate: {e}"),
                }
            })?
        }
    };
    config.alpn_protocols = match target.client.http {
        HttpVersion::Http1 | HttpVersion::H2c => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2 => vec![b"h2".to_vec()],
        HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
    };
    Ok(Arc::new(config))
}

fn read_client_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let problem = |reason: String| TlsSetupError::ClientCert {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| problem(format!("cannot read it: {e}")))?;
    let chain: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| problem(e.to_string()))?;
    if chain.is_empty() {
        return Err(problem(
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    Ok(chain)
}

fn read_client_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsSetupError> {
    let problem = |reason: String| TlsSetupError::ClientCert {
        path: path.to_owned(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| problem(format!("cannot read it: {e}")))?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        problem(format!(
            "no PEM private key in it (expected -----BEGIN PRIVATE KEY-----): {e}"
        ))
    })
}

fn root_store(ca_file: Option<&Path>) -> Result<RootCertStore, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        for cert in read_pem_certificates(path)? {
            roots.add(cert).map_err(|e| TlsSetupError::BadCertificate {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        }
    }
    Ok(roots)
}

fn read_pem_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem = std::fs::read(path).map_err(|source| TlsSetupError::Read {
        path: path.to_owned(),
        source,
    })?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsSetupError::BadCertificate {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// `insecure = true`: accept any certificate, but still check handshake signatures
/// so the connection is at least internally consistent.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a failed unwrap is a failed test
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    fn read(contents: &str) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, contents).unwrap();
        read_pem_certificates(&path)
    }

    #[test]
    fn ca_files_yield_their_certificates_and_skip_other_blocks() {
        let (a, b) = (ca_pem(), ca_pem());
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let certs = read(&format!("comment\n{a}{key}{b}")).unwrap();
        assert_eq!(certs.len(), 2);
        assert!(
            root_store(None).unwrap().len() > 100,
            "webpki roots are trusted"
        );
    }

    #[test]
    fn bad_ca_files_say_why() {
        let no_cert = read("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assert!(
            matches!(no_cert, Err(TlsSetupError::NoCertificate { .. })),
            "{no_cert:?}"
        );
        let broken = read("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n");
        assert!(
            matches!(broken, Err(TlsSetupError::BadCertificate { .. })),
            "{broken:?}"
        );
        let missing = read_pem_certificates(Path::new("/nonexistent/ca.pem"));
        assert!(
            matches!(missing, Err(TlsSetupError::Read { .. })),
            "{missing:?}"
        );
    }
}

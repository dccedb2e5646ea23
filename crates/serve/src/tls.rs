//! TLS: the certificate and key loaded once at start — a file that does not load stops the
//! server, never a fallback to plaintext — and the certificate's hash for SCRAM channel binding
//! (`tls-server-end-point`, RFC 5929 §4.1).

use std::{path::Path, sync::Arc};

use datafusion_postgres::pgwire::tokio::{
    TlsAcceptor,
    tokio_rustls::rustls::{
        self, ServerConfig,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
    },
};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_certificate::{CapturedX509Certificate, SignatureAlgorithm};

use crate::{ServeError, config};

/// A loaded certificate and key.
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    /// The hash of the server's certificate that a SCRAM-SHA-256-PLUS client binds to.
    pub(crate) end_point: Vec<u8>,
}

impl Tls {
    /// Load the PEM files of the config.
    pub(crate) fn load(files: &config::Tls) -> Result<Self, ServeError> {
        let error = |path: &Path, message: String| ServeError::Tls {
            path: path.display().to_string(),
            message,
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
            .and_then(Iterator::collect)
            .map_err(|source| error(&files.cert, source.to_string()))?;
        let Some(own) = chain.first() else {
            return Err(error(&files.cert, "no certificate in the file".into()));
        };
        let end_point = end_point(own).map_err(|message| error(&files.cert, message))?;
        let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|source| {
            error(
                &files.key,
                format!("{source} (expected a PKCS#8, PKCS#1 or SEC1 private key in PEM)"),
            )
        })?;
        let mut server = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|source| error(&files.key, source.to_string()))?;
        // Direct TLS (PostgreSQL 17's sslnegotiation=direct) is recognised by this protocol name.
        server.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            end_point,
        })
    }
}

/// The certificate hashed with its signature's hash function, SHA-256 for MD5 and SHA-1.
fn end_point(certificate: &CertificateDer<'_>) -> Result<Vec<u8>, String> {
    let parsed = CapturedX509Certificate::from_der(certificate.as_ref().to_vec()).map_err(|error| error.to_string())?;
    let der = certificate.as_ref();
    Ok(match parsed.signature_algorithm() {
        Some(SignatureAlgorithm::RsaSha384 | SignatureAlgorithm::EcdsaSha384) => Sha384::digest(der).to_vec(),
        Some(SignatureAlgorithm::RsaSha512) => Sha512::digest(der).to_vec(),
        Some(SignatureAlgorithm::Ed25519) | None => {
            return Err(
                "channel binding needs an RSA or ECDSA certificate (RFC 5929 defines no hash for others)".into(),
            );
        }
        Some(_) => Sha256::digest(der).to_vec(),
    })
}

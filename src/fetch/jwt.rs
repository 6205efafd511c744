//! The OAuth 2.0 JWT bearer assertion: RS256 over the standard claims, signed with the
//! connected app's private key (PEM, PKCS#8 or PKCS#1), using ring (already rustls' provider).

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

/// How long an assertion is valid; Salesforce accepts up to a few minutes.
const LIFETIME_SECONDS: i64 = 180;

/// An RSA private key read from a PEM file.
pub struct SigningKey(RsaKeyPair);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(redacted)")
    }
}

impl SigningKey {
    /// Reads `-----BEGIN PRIVATE KEY-----` (PKCS#8) or `-----BEGIN RSA PRIVATE KEY-----`
    /// (PKCS#1). The error says what to do; it never quotes the key.
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        if pem.contains("ENCRYPTED") {
            return Err(
                "the key is encrypted; write an unencrypted copy readable only by the \
                        job (`openssl pkey -in KEY -out job.key`) and pass that"
                    .into(),
            );
        }
        let parsed = if let Some(der) = pem_block(pem, "PRIVATE KEY") {
            RsaKeyPair::from_pkcs8(&der)
        } else if let Some(der) = pem_block(pem, "RSA PRIVATE KEY") {
            RsaKeyPair::from_der(&der)
        } else {
            return Err(
                "no \"BEGIN PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\" block; give the \
                        PEM private key whose certificate is on the connected app"
                    .into(),
            );
        };
        parsed
            .map(SigningKey)
            .map_err(|e| format!("not an RSA private key of 2048 bits or more ({e})"))
    }

    /// The signed assertion for `client_id` acting as `username`, for the token endpoint at
    /// `audience` (the login URL), valid from `now` (Unix seconds) for three minutes.
    pub fn assertion(
        &self,
        client_id: &str,
        username: &str,
        audience: &str,
        now: i64,
    ) -> Result<String, String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": username,
            "aud": audience,
            "exp": now + LIFETIME_SECONDS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| "signing the JWT assertion failed".to_string())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The DER bytes of the first `-----BEGIN {label}-----` block.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_decoded_and_others_refused() {
        let pem = "x\n-----BEGIN PRIVATE KEY-----\nAAEC\nAw==\n-----END PRIVATE KEY-----\n";
        assert_eq!(pem_block(pem, "PRIVATE KEY"), Some(vec![0, 1, 2, 3]));
        assert_eq!(pem_block(pem, "RSA PRIVATE KEY"), None);
        assert!(SigningKey::from_pem("hello")
            .unwrap_err()
            .contains("BEGIN PRIVATE KEY"));
        let enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----";
        assert!(SigningKey::from_pem(enc).unwrap_err().contains("encrypted"));
        assert!(SigningKey::from_pem(pem)
            .unwrap_err()
            .contains("not an RSA private key"));
    }
}

//! Web Push message encryption (RFC 8291: the `aes128gcm` content coding of RFC 8188 with keys
//! agreed over P-256). A message for one device is encrypted to the device's public key and
//! auth secret with a fresh key pair and salt, as one record; only that device can read it,
//! not the push service that carries it. And the VAPID `Authorization` header (RFC 8292) that
//! tells the push service which server sends it.

use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::Sha256;

/// The record size written in the header: one record holds the whole message.
const RECORD_SIZE: u32 = 4096;
/// Header (86) and tag (16) and the padding delimiter (1) leave this much for the message.
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 86 - 16 - 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptError {
    #[error("the message is {0} bytes; a push holds at most {MAX_PLAINTEXT}")]
    TooLong(usize),
    #[error("the device's key is not a P-256 public key")]
    DeviceKey,
    #[error("the device's auth secret is not 16 bytes")]
    AuthSecret,
    #[error("no randomness: {0}")]
    Random(String),
    #[error("encryption failed")]
    Cipher,
}

/// `plaintext` encrypted for the device whose key is `device_key` (65 bytes, uncompressed) and
/// auth secret `auth` (16 bytes): the body of a push request.
pub fn encrypt(plaintext: &[u8], device_key: &[u8], auth: &[u8]) -> Result<Vec<u8>, EncryptError> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| EncryptError::Random("salt".into()))?;
    encrypt_with(plaintext, device_key, auth, &random_key()?, salt)
}

/// A random P-256 private key from the system's randomness (a scalar out of range, about one
/// draw in 2^32, is drawn again): each message's sender key, and the server's VAPID key.
pub fn random_key() -> Result<SecretKey, EncryptError> {
    let random = SystemRandom::new();
    (0..8)
        .find_map(|_| {
            let mut bytes = [0u8; 32];
            random.fill(&mut bytes).ok()?;
            SecretKey::from_slice(&bytes).ok()
        })
        .ok_or_else(|| EncryptError::Random("key".into()))
}

/// The encryption itself, with the sender's key and salt given (the RFC's example fixes both).
fn encrypt_with(
    plaintext: &[u8],
    device_key: &[u8],
    auth: &[u8],
    sender: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, EncryptError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EncryptError::TooLong(plaintext.len()));
    }
    if auth.len() != 16 {
        return Err(EncryptError::AuthSecret);
    }
    let device = PublicKey::from_sec1_bytes(device_key).map_err(|_| EncryptError::DeviceKey)?;
    let device_point = device.to_encoded_point(false);
    let sender_point = sender.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), device.as_affine());

    // The input keying material: the shared secret combined with the auth secret and both keys.
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(device_point.as_bytes());
    key_info.extend_from_slice(sender_point.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EncryptError::Cipher)?;
    // The content encryption key and nonce, from the salt.
    let content = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    content
        .expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .and_then(|()| content.expand(b"Content-Encoding: nonce\0", &mut nonce))
        .map_err(|_| EncryptError::Cipher)?;

    // One record: the message, the last-record delimiter, then the tag.
    let mut record = plaintext.to_vec();
    record.push(2);
    let key = UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| EncryptError::Cipher)?;
    LessSafeKey::new(key)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut record,
        )
        .map_err(|_| EncryptError::Cipher)?;

    let mut body = Vec::with_capacity(86 + record.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(sender_point.as_bytes());
    body.extend_from_slice(&record);
    Ok(body)
}

/// How long a VAPID token is good for; push services refuse more than a day.
pub const VAPID_VALIDITY: chrono::Duration = chrono::Duration::hours(12);

/// `vapid t=<ES256 JWT>, k=<public key>` for a push to `endpoint_origin`
/// (`https://push.example:443` style: scheme, host and any port), signed with the server's key
/// (`key_der`: PKCS#8 DER; `public`: its uncompressed point, base64url). `subject` is how the
/// push service's operator can reach ours (`mailto:` or `https:`).
pub fn vapid_authorization(
    key_der: &[u8],
    public: &str,
    endpoint_origin: &str,
    subject: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, jsonwebtoken::errors::Error> {
    let claims = serde_json::json!({
        "aud": endpoint_origin,
        "exp": (now + VAPID_VALIDITY).timestamp(),
        "sub": subject,
    });
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    let key = jsonwebtoken::EncodingKey::from_ec_der(key_der);
    let token = jsonwebtoken::encode(&header, &claims, &key)?;
    Ok(format!("vapid t={token}, k={public}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kept_core::push::from_base64url;

    fn b64(text: &str) -> Vec<u8> {
        let joined: String = text.split_whitespace().collect();
        from_base64url(&joined).unwrap()
    }

    /// The worked example of RFC 8291 (its Appendix A): the same keys, salt and message give
    /// exactly the body the RFC shows.
    #[test]
    fn the_rfc_example_encrypts_to_the_rfc_body() {
        let sender =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        let device = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx aOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let message = b"When I grow up, I want to be a watermelon";
        let body = encrypt_with(message, &device, &auth, &sender, salt).unwrap();
        let header = b64(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z 9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml \
             mlMoZIIgDll6e3vCYLocInmYWAmS6Tlz AC8wEqKK6PBru3jl7A8",
        );
        let ciphertext =
            b64("8pfeW0KbunFT06SuDKoJH9Ql87S1QUrd irN6GcG7sFz1y1sqLgVi1VhjVkHsUoEs bI_0LpXMuGvnzQ");
        assert_eq!(&body[..86], header.as_slice());
        assert_eq!(&body[86..], ciphertext.as_slice());
    }

    #[test]
    fn fresh_keys_each_time_and_bad_input_is_refused() {
        let device = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx aOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = [7u8; 16];
        let first = encrypt(b"hello", &device, &auth).unwrap();
        let second = encrypt(b"hello", &device, &auth).unwrap();
        assert_eq!(first.len(), 86 + 5 + 1 + 16);
        assert_ne!(first, second, "a new salt and key for every message");
        assert_eq!(
            encrypt(&[0; MAX_PLAINTEXT + 1], &device, &auth),
            Err(EncryptError::TooLong(MAX_PLAINTEXT + 1))
        );
        assert!(encrypt(&[0; MAX_PLAINTEXT], &device, &auth).is_ok_and(|b| b.len() == 4096));
        assert_eq!(encrypt(b"x", &[4; 65], &auth), Err(EncryptError::DeviceKey));
        assert_eq!(
            encrypt(b"x", &device, &[0; 15]),
            Err(EncryptError::AuthSecret)
        );
    }

    /// The token is checked the way a push service does: the signature over `header.payload`
    /// against the key in `k=`, with p256's own verifier; then its claims.
    #[test]
    fn the_vapid_header_is_an_es256_token_the_public_key_verifies() {
        use p256::ecdsa::signature::Verifier;
        use p256::ecdsa::{Signature, VerifyingKey};
        use p256::pkcs8::EncodePrivateKey;
        let key = SecretKey::from_slice(&[9u8; 32]).unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let public =
            kept_core::push::base64url(key.public_key().to_encoded_point(false).as_bytes());
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let header = vapid_authorization(
            der.as_bytes(),
            &public,
            "http://127.0.0.1:8099",
            "mailto:ops@kept.example",
            now,
        )
        .unwrap();
        let (token, k) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(k, public);
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let verifier = VerifyingKey::from_sec1_bytes(&from_base64url(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&from_base64url(signature).unwrap()).unwrap();
        assert!(verifier.verify(signed.as_bytes(), &signature).is_ok());
        let (head, claims) = signed.split_once('.').unwrap();
        let head: serde_json::Value =
            serde_json::from_slice(&from_base64url(head).unwrap()).unwrap();
        assert_eq!(
            (head["alg"].as_str(), head["typ"].as_str()),
            (Some("ES256"), Some("JWT"))
        );
        let claims: serde_json::Value =
            serde_json::from_slice(&from_base64url(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "http://127.0.0.1:8099");
        assert_eq!(claims["exp"], 1_800_000_000 + 12 * 3600);
        assert_eq!(claims["sub"], "mailto:ops@kept.example");
    }
}

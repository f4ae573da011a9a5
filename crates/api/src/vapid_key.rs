//! The server's VAPID key (RFC 8292), which signs every Web Push it sends: from the
//! configuration, or on the embedded default a P-256 key generated once into
//! `data.dir/vapid.pem` (PKCS#8, readable by the service only). Browsers subscribe with its
//! public half, so it must survive restarts: a new key orphans every subscription. And the
//! sender of pushes that signs with it.

use crate::config::Config;
use crate::signing_key::write_private;
use kept_core::push::base64url;
use kept_notify::{PushOptions, Pusher};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};

/// The key pair, and its public half as browsers want it.
#[derive(Clone)]
pub struct VapidKey {
    secret: SecretKey,
    /// The uncompressed public point (65 bytes), base64url without padding: the web app's
    /// `applicationServerKey`, and the `k=` of every push's `Authorization` header.
    pub public: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    fn from_secret(secret: SecretKey) -> Self {
        let point = secret.public_key().to_encoded_point(false);
        VapidKey {
            public: base64url(point.as_bytes()),
            secret,
        }
    }

    /// The private key as PKCS#8 DER, for signing the VAPID token.
    pub fn pkcs8_der(&self) -> Result<Vec<u8>, String> {
        self.secret
            .to_pkcs8_der()
            .map(|der| der.as_bytes().to_vec())
            .map_err(|e| e.to_string())
    }
}

/// The key from `push.vapid_private_key`, or the one kept in `data.dir/vapid.pem` (made on
/// first start). The error says why in a line.
pub fn vapid_key(config: &Config) -> Result<VapidKey, String> {
    let configured = config.push.vapid_private_key.expose();
    if !configured.trim().is_empty() {
        return from_pem(configured, "push.vapid_private_key");
    }
    let path = config.data.dir.join("vapid.pem");
    match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate(&path),
        read => parse_file(&path, read),
    }
}

/// The key in the file at `path`, as read.
fn parse_file(path: &std::path::Path, read: std::io::Result<String>) -> Result<VapidKey, String> {
    let pem = read.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    from_pem(&pem, &path.display().to_string())
}

/// The key in `pem`, which came from `source` (named in the error).
fn from_pem(pem: &str, source: &str) -> Result<VapidKey, String> {
    SecretKey::from_pkcs8_pem(pem.trim())
        .map(VapidKey::from_secret)
        .map_err(|e| format!("{source} is not a PKCS#8 P-256 key ({e})"))
}

/// Makes the key and publishes it at `path` in one step: written whole to a file of this
/// instance, then linked into place, which fails if another instance sharing the data dir got
/// there first. Then that instance's key is used, so every instance signs with the same one.
fn generate(path: &std::path::Path) -> Result<VapidKey, String> {
    let secret = kept_notify::web_push::random_key().map_err(|e| e.to_string())?;
    let pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| e.to_string())?;
    // A name no other instance uses (containers may share a process id).
    let draft = path.with_extension(format!("pem.{}", uuid::Uuid::new_v4().simple()));
    write_private(&draft, &pem).map_err(|e| format!("cannot write {}: {e}", draft.display()))?;
    let published = match std::fs::hard_link(&draft, path) {
        // A file system without hard links: moved into place instead (two instances starting
        // at the same moment could then each keep their own key until restarted).
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => std::fs::rename(&draft, path),
        linked => linked,
    };
    let _ = std::fs::remove_file(&draft);
    match published {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated a new Web Push (VAPID) key");
            Ok(VapidKey::from_secret(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_file(path, std::fs::read_to_string(path))
        }
        Err(e) => Err(format!("cannot write {}: {e}", path.display())),
    }
}

/// The sender of the outbox's pushes, signing with `key`. The VAPID subject tells a push
/// service's operator how to reach this server's: its public address when that is https, else
/// the mail sender's address.
pub fn pusher(config: &Config, key: &VapidKey) -> Result<Pusher, String> {
    let public_url = config.public_url();
    let subject = if public_url.starts_with("https://") {
        public_url.to_owned()
    } else {
        let from = config.mail.from.as_str();
        let address = from
            .rsplit_once('<')
            .map_or(from, |(_, rest)| rest.trim_end_matches('>'));
        format!("mailto:{}", address.trim())
    };
    Pusher::new(PushOptions {
        vapid_der: key.pkcs8_der()?,
        vapid_public: key.public.clone(),
        subject,
        allow_private: config.push.allow_private_endpoints,
        timeout: std::time::Duration::from_secs(config.mail.timeout_secs),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_embedded_default_generates_a_key_once_and_reuses_it() {
        let dir = std::env::temp_dir().join(format!("kept-vapid-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let env = [("KEPT__DATA__DIR".to_owned(), dir.display().to_string())];
        let config = Config::load(None, env).unwrap();
        let first = vapid_key(&config).unwrap();
        assert_eq!(first.public.len(), 87, "65 bytes, base64url");
        assert!(
            first.public.starts_with('B'),
            "an uncompressed point starts with 0x04"
        );
        assert_eq!(vapid_key(&config).unwrap().public, first.public);
        let pem = std::fs::read_to_string(dir.join("vapid.pem")).unwrap();
        let configured = [("KEPT__PUSH__VAPID_PRIVATE_KEY".to_owned(), pem)];
        let from_config = vapid_key(&Config::load(None, configured).unwrap()).unwrap();
        assert_eq!(from_config.public, first.public);
        let broken = [(
            "KEPT__PUSH__VAPID_PRIVATE_KEY".to_owned(),
            "nonsense".to_owned(),
        )];
        assert!(vapid_key(&Config::load(None, broken).unwrap()).is_err());
        // Instances starting together on one data dir end up with one key between them.
        std::fs::remove_file(dir.join("vapid.pem")).unwrap();
        let racing: Vec<String> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| vapid_key(&config).unwrap().public))
                .collect();
            starts.into_iter().map(|s| s.join().unwrap()).collect()
        });
        assert!(
            racing.iter().all(|public| *public == racing[0]),
            "{racing:?}"
        );
        assert_eq!(vapid_key(&config).unwrap().public, racing[0]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

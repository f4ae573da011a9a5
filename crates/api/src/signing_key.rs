//! The access-token signing key: from the configuration, or on the embedded default a random
//! key generated once into `data.dir/jwt.key` (readable by the service only).

use crate::auth::random_secret;
use crate::config::Config;
use std::path::Path;

/// The access-token key: from config, or on the embedded default a random one kept in
/// `data.dir/jwt.key` so that sessions survive a restart. The error says why in a line.
pub fn signing_key(config: &Config) -> Result<String, String> {
    let configured = config.auth.jwt_secret.expose();
    if !configured.is_empty() {
        return Ok(configured.to_owned());
    }
    let path = config.data.dir.join("jwt.key");
    match std::fs::read_to_string(&path) {
        Ok(key) if key.trim().len() >= 32 => Ok(key.trim().to_owned()),
        Ok(_) => Err(format!(
            "{} is too short; delete it to generate a new key",
            path.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_secret(32).map_err(|e| e.to_string())?;
            write_private(&path, &key)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(path = %path.display(), "generated a new access-token signing key");
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes a new file readable by the service only; never over an existing one.
pub(crate) fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    std::io::Write::write_all(&mut file, contents.as_bytes())?;
    // On disk before anyone relies on it: a key lost to a crash would orphan what it signed.
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_embedded_default_generates_a_key_once_and_reuses_it() {
        let dir = std::env::temp_dir().join(format!("kept-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let env = [("KEPT__DATA__DIR".to_owned(), dir.display().to_string())];
        let config = Config::load(None, env).unwrap();
        let first = signing_key(&config).unwrap();
        assert_eq!(first.len(), 64, "256 bits as hex");
        assert_eq!(
            signing_key(&config).unwrap(),
            first,
            "reused across restarts"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("jwt.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "readable by the service only");
        }
        let configured = [("KEPT__AUTH__JWT_SECRET".to_owned(), "x".repeat(40))];
        assert_eq!(
            signing_key(&Config::load(None, configured).unwrap()).unwrap(),
            "x".repeat(40)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

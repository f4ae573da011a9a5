//! Loading, layering, checking and masking the configuration.
#![allow(clippy::unwrap_used)]

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn the_defaults_run_on_sqlite_with_no_setup() {
    let config = Config::defaults().unwrap();
    assert_eq!(config.server.bind, "127.0.0.1:8080");
    assert_eq!(config.database.url.expose(), "sqlite://data/kept.db");
    assert!(config.mail.smtp_url.expose().is_empty());
}

#[test]
fn a_file_then_the_environment_override_the_defaults() {
    let dir = std::env::temp_dir().join(format!("kept-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("kept.toml");
    std::fs::write(
        &file,
        "[server]\nworkers = 3\n[database]\nurl = \"postgres://kept:pw@db/kept\"\n",
    )
    .unwrap();
    let config = Config::load(
        Some(&file),
        env(&[
            ("KEPT__SERVER__WORKERS", "5"),
            ("KEPT__AUTH__JWT_SECRET", "12345678901234567890123456789012"),
        ]),
    )
    .unwrap();
    assert_eq!(config.server.workers, 5);
    assert_eq!(config.database.url.expose(), "postgres://kept:pw@db/kept");
    assert_eq!(
        config.auth.jwt_secret.expose(),
        "12345678901234567890123456789012"
    );
}

#[test]
fn errors_name_the_key() {
    let err = |pairs: &[(&str, &str)]| Config::load(None, env(pairs)).unwrap_err().to_string();
    assert!(err(&[("KEPT__SERVER__WORKERS", "many")]).contains("server.workers"));
    assert!(err(&[("KEPT__SERVER__NOPE", "1")]).contains("server.nope"));
    assert!(err(&[("KEPT__DATABASE__URL", "mysql://x")]).contains("database.url"));
    assert!(err(&[("KEPT__SERVER__BIND", "here")]).contains("server.bind"));
    assert!(err(&[("KEPT__AUTH__JWT_SECRET", "short")]).contains("auth.jwt_secret"));
}

#[test]
fn a_file_with_a_mistyped_key_is_refused_by_name() {
    let file = std::env::temp_dir().join(format!("kept-config-typo-{}.toml", std::process::id()));
    std::fs::write(&file, "[server]\nbnid = \"0.0.0.0:1\"\n").unwrap();
    let message = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
    assert!(
        message.contains("server") && message.contains("bnid"),
        "{message}"
    );
    std::fs::write(&file, "[server]\nworkers = \"two\"\n").unwrap();
    let message = Config::load(Some(&file), env(&[])).unwrap_err().to_string();
    assert!(message.contains("server.workers"), "{message}");
}

#[test]
fn secrets_are_masked_when_shown() {
    let config = Config::load(
        None,
        env(&[
            (
                "KEPT__DATABASE__URL",
                "postgres://kept:hunter2hunter2@db/kept",
            ),
            (
                "KEPT__AUTH__JWT_SECRET",
                "a-very-long-secret-that-must-not-leak-1234",
            ),
        ]),
    )
    .unwrap();
    let shown = config.to_masked_toml();
    assert!(
        !shown.contains("hunter2") && !shown.contains("must-not-leak"),
        "{shown}"
    );
    assert!(shown.contains("postgres://kept:********@db/kept"));
    assert!(!format!("{config:?}").contains("hunter2"));
}

//! Turning an outbox row into a message and sending it: the templates (subject, text and HTML
//! parts under `templates/`, compiled in), the headers (a `Message-ID` derived from the dedupe
//! key, RFC 8058 one-click unsubscribe), and the transport: pooled SMTP (`smtp.rs`), or `.eml` files in a
//! directory for the embedded default.

use crate::smtp::{SmtpPool, SmtpServer};
use crate::template::Templates;
use kept_core::UserId;
use kept_core::mail::MailKind;
use kept_store::outbox::ClaimedDelivery;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Declares the templates a mail can be written with (each has a subject, a text and an HTML
/// part under `templates/`, compiled in): their names, and the files with the layouts.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        const NAMES: &[&str] = &[$($name),*];

        const SOURCES: &[(&str, &str)] = &[
            $(
                (concat!($name, ".subject.txt"), include_str!(concat!("../templates/", $name, ".subject.txt"))),
                (concat!($name, ".txt"), include_str!(concat!("../templates/", $name, ".txt"))),
                (concat!($name, ".html"), include_str!(concat!("../templates/", $name, ".html"))),
            )*
            ("layout.txt", include_str!("../templates/layout.txt")),
            ("layout.html", include_str!("../templates/layout.html")),
            ("activity_what.txt", include_str!("../templates/activity_what.txt")),
        ];
    };
}

templates![
    "verify_email",
    "password_reset",
    "invite",
    "activity",
    "missed_notice",
    "reminder",
    "weekly_summary",
    "weekly",
];

/// Parsed once: by `Mailer::new`, so that a broken template stops the start rather than failing
/// every mail later.
static TEMPLATES: LazyLock<Result<Templates, String>> =
    LazyLock::new(|| Templates::new(SOURCES).map_err(|e| e.to_string()));

/// The names of every template (for tests that render each one).
pub fn template_names() -> impl Iterator<Item = &'static str> {
    NAMES.iter().copied()
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no template named `{0}`")]
    UnknownTemplate(String),
    #[error("template: {0}")]
    Render(#[from] minijinja::Error),
    #[error("templates: {0}")]
    Templates(String),
    #[error("address: {0}")]
    Address(String),
    #[error("message: {0}")]
    Build(String),
    #[error("sending: {0}")]
    Send(String),
    #[error("mail transport: {0}")]
    Config(String),
}

impl MailError {
    /// Whether trying again later may help (a server down) or not (a broken template or address).
    pub fn is_permanent(&self) -> bool {
        !matches!(self, MailError::Send(_))
    }
}

/// A rendered mail, before it gets its headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders template `name` with `data`, which must hold `base_url` and `unsubscribe_url` (`null`
/// for mail one cannot unsubscribe from).
pub fn compose(name: &str, data: &Value) -> Result<Rendered, MailError> {
    if !NAMES.contains(&name) {
        return Err(MailError::UnknownTemplate(name.to_owned()));
    }
    let templates = TEMPLATES
        .as_ref()
        .map_err(|e| MailError::Templates(e.clone()))?;
    let subject = templates
        .render(&format!("{name}.subject.txt"), data)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let text = templates.render(&format!("{name}.txt"), data)?;
    let html = templates.render(&format!("{name}.html"), data)?;
    Ok(Rendered {
        subject,
        text: templates.render_layout("layout.txt", data, text)?,
        html: templates.render_layout("layout.html", data, html)?,
    })
}

/// `List-Unsubscribe: <url>` (RFC 2369).
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim_matches(['<', '>']).to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// Makes the one-click unsubscribe URL for a person and a kind of mail (a signed token, so it
/// works without signing in).
pub type UnsubscribeLinks = Arc<dyn Fn(UserId, MailKind) -> Result<String, String> + Send + Sync>;

/// Where mail goes.
#[derive(Clone)]
enum Transport {
    /// An SMTP server; connections kept for reuse (none with `pool_size = 0`).
    Smtp(Arc<SmtpPool>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Settings for [`Mailer::new`].
#[derive(Debug, Clone)]
pub struct MailerOptions {
    /// Empty: write `.eml` files into `outbox_dir`.
    pub smtp_url: String,
    pub outbox_dir: PathBuf,
    pub from: String,
    /// Links start with this (`server.public_url`).
    pub base_url: String,
    /// Open SMTP connections kept for reuse; 0 opens one connection per mail.
    pub pool_size: u32,
    /// Mails in flight at once. With a pool, no more than its size: a send beyond it would
    /// open (and then drop) a connection of its own.
    pub concurrency: usize,
    pub timeout: Duration,
}

/// Renders and sends deliveries.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
    base_url: String,
    unsubscribe: UnsubscribeLinks,
    in_flight: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let transport = match self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Files(_) => "files",
        };
        f.debug_struct("Mailer")
            .field("transport", &transport)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(options: &MailerOptions, unsubscribe: UnsubscribeLinks) -> Result<Self, MailError> {
        TEMPLATES
            .as_ref()
            .map_err(|e| MailError::Templates(e.clone()))?;
        let from: Mailbox = options
            .from
            .parse()
            .map_err(|e| MailError::Config(format!("mail.from: {e}")))?;
        let transport = if options.smtp_url.is_empty() {
            std::fs::create_dir_all(&options.outbox_dir)
                .map_err(|e| MailError::Config(format!("{}: {e}", options.outbox_dir.display())))?;
            Transport::Files(AsyncFileTransport::new(&options.outbox_dir))
        } else {
            let server = SmtpServer::from_url(&options.smtp_url, options.timeout)
                .map_err(|e| MailError::Config(format!("mail.smtp_url: {e}")))?;
            Transport::Smtp(SmtpPool::new(server, options.pool_size as usize))
        };
        let message_id_domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport,
            from,
            message_id_domain,
            base_url: options.base_url.trim_end_matches('/').to_owned(),
            unsubscribe,
            in_flight: Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1))),
        })
    }

    /// The stable `Message-ID` of the mail with `dedupe_key`: a resend after a crash is
    /// recognisably the same message.
    pub fn message_id(&self, dedupe_key: &str) -> String {
        let digest = Sha256::digest(dedupe_key.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("<{hex}@{}>", self.message_id_domain)
    }

    /// Renders `delivery` into a complete message.
    pub fn message(&self, delivery: &ClaimedDelivery) -> Result<Message, MailError> {
        let mut data = delivery.data.clone();
        let unsubscribe = match (delivery.recipient, delivery.kind) {
            // A mail that must carry an unsubscribe link is not sent without one.
            (Some(user), Some(kind)) => {
                Some((self.unsubscribe)(user, kind).map_err(MailError::Build)?)
            }
            _ => None,
        };
        if let Some(fields) = data.as_object_mut() {
            fields.insert("base_url".to_owned(), Value::from(self.base_url.clone()));
            // Present either way: the templates are strict about values they do not get.
            fields.insert(
                "unsubscribe_url".to_owned(),
                Value::from(unsubscribe.clone()),
            );
        }
        let rendered = compose(&delivery.template, &data)?;
        let to: Mailbox = delivery
            .to_address
            .parse()
            .map_err(|e| MailError::Address(format!("{}: {e}", delivery.to_address)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(self.message_id(&delivery.dedupe_key)));
        if let Some(url) = unsubscribe {
            builder = builder
                .header(ListUnsubscribe(url))
                .header(ListUnsubscribePost);
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| MailError::Build(e.to_string()))
    }

    /// Renders and sends one delivery.
    pub async fn send(&self, delivery: &ClaimedDelivery) -> Result<(), MailError> {
        let message = self.message(delivery)?;
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|e| MailError::Send(e.to_string()))?;
        let failure = match &self.transport {
            Transport::Smtp(smtp) => smtp
                .send(message.envelope(), &message.formatted())
                .await
                .err(),
            Transport::Files(files) => files.send(message).await.err().map(|e| e.to_string()),
        };
        failure.map_or(Ok(()), |error| Err(MailError::Send(error)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_template_renders_with_its_data() {
        let samples = json!({
            "verify_email": {"link": "/verify-email?token=t"},
            "password_reset": {"link": "/reset-password?token=t"},
            "invite": {"inviter": "Ada", "link": "/join/c", "expires_on": "2026-12-03"},
            "activity": {"actor": "Ben", "activity": "commitment_created", "link": "/spaces/s", "quote": "x"},
            "missed_notice": {"link": "/spaces/s/commitments/c"},
            "reminder": {"reminder": "talk", "lead_minutes": 1440, "link": "/spaces/s"},
            "weekly_summary": {"week": "2026-11-23", "kept": 5, "missed": 1, "talks_held": 1, "requests_acknowledged": 2, "link": "/spaces/s"},
            "weekly": {"weekly": "opened", "open_days": 3, "link": "/spaces/s/weekly"},
        });
        for name in template_names() {
            let mut data = samples[name].clone();
            data["name"] = json!("Ada & co");
            data["base_url"] = json!("https://kept.example");
            data["unsubscribe_url"] = json!(null);
            let rendered = compose(name, &data).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!rendered.subject.is_empty() && !rendered.subject.contains('\n'));
            assert!(rendered.text.contains("https://kept.example/"), "{name}");
            assert!(
                rendered.html.contains("href=\"https://kept.example/"),
                "{name}"
            );
            assert!(!rendered.text.contains("unsubscribe") && !rendered.html.contains("Stop this"));
            if name != "invite" {
                assert!(
                    rendered.html.contains("Ada &amp; co"),
                    "{name} escapes HTML"
                );
            }
        }
    }

    #[test]
    fn a_reminder_says_what_and_how_soon() {
        let text = |reminder: &str, lead_minutes: i64| {
            let data = json!({"reminder": reminder, "lead_minutes": lead_minutes, "link": "/x",
                "name": "Ada", "base_url": "https://kept.example", "unsubscribe_url": null});
            let mail = compose("reminder", &data).unwrap_or_else(|e| panic!("{reminder}: {e}"));
            (mail.subject, mail.text)
        };
        let (subject, body) = text("talk", 1440);
        assert_eq!(subject, "Reminder: Your talk");
        assert!(body.contains("Your talk starts in 24 hours."), "{body}");
        assert!(text("talk", 60).1.contains("starts in 1 hour."));
        assert!(text("talk", 30).1.contains("starts in 30 minutes."));
        let (subject, body) = text("commitment", 60);
        assert_eq!(subject, "Reminder: A commitment of yours");
        assert!(body.contains("is due in 1 hour."), "{body}");
        assert!(text("talk", 0).1.contains("Your talk starts now."));
        let (subject, body) = text("check_in", 0);
        assert_eq!(subject, "Reminder: Time for a check-in");
        assert!(body.contains("time for a check-in"), "{body}");
    }

    #[test]
    fn a_weekly_check_in_mail_says_it_opened_or_closes_soon_and_nothing_of_the_partner() {
        let mail = |mut data: serde_json::Value| {
            for (key, value) in [
                ("name", json!("Ada")),
                ("base_url", json!("https://k.example")),
            ] {
                data[key] = value;
            }
            data["unsubscribe_url"] = json!(null);
            compose("weekly", &data).unwrap_or_else(|e| panic!("weekly: {e}"))
        };
        let opened = mail(json!({"weekly": "opened", "open_days": 3, "link": "/s/weekly"}));
        assert_eq!(opened.subject, "Your weekly check-in is open");
        assert!(opened.text.contains("open for 3 days."), "{}", opened.text);
        let closing = mail(json!({"weekly": "closing", "hours_left": 1, "link": "/s/weekly"}));
        assert_eq!(closing.subject, "Your weekly check-in closes soon");
        assert!(
            closing.text.contains("closes in about 1 hour.") && !closing.text.contains("partner")
        );
    }

    #[test]
    fn an_activity_mail_says_what_happened() {
        let mail = |activity: &str, actor: serde_json::Value| {
            let data = json!({"activity": activity, "actor": actor, "quote": null, "link": "/x",
                "name": "Ada", "base_url": "https://kept.example", "unsubscribe_url": null});
            compose("activity", &data).unwrap_or_else(|e| panic!("{activity}: {e}"))
        };
        let made = mail("commitment_created", json!("Ben"));
        assert_eq!(made.subject, "Ben made you a commitment");
        assert!(
            made.text.contains("Ben made you a commitment.\n"),
            "{}",
            made.text
        );
        assert!(
            made.html.contains("<p>Ben made you a commitment.</p>"),
            "{}",
            made.html
        );
        let ready = mail("weekly_partner_ready", json!("Ben")).subject;
        assert_eq!(ready, "Ben has answered this week's check-in");
        let revealed = mail("weekly_revealed", json!(null)).subject;
        assert_eq!(
            revealed,
            "You have both answered: your weekly check-in is revealed."
        );
        let missed = mail("occurrence_missed", json!(null));
        assert_eq!(missed.subject, "A commitment made to you was missed.");
        assert!(
            mail("space_closed", json!(null))
                .text
                .contains("Your shared space was closed.")
        );
    }

    #[test]
    fn mail_queued_by_an_earlier_version_still_renders() {
        let base = |mut data: serde_json::Value| {
            data["name"] = json!("Ada");
            data["base_url"] = json!("https://kept.example");
            data["unsubscribe_url"] = json!(null);
            data
        };
        let reminder = base(json!({"what": "Your talk", "when": "starts in 1 hour", "link": "/x"}));
        let mail = compose("reminder", &reminder).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mail.subject, "Reminder: Your talk");
        assert!(
            mail.text.contains("Your talk, starts in 1 hour."),
            "{}",
            mail.text
        );
        let activity = base(json!({"actor": "Ben", "what": "made you a commitment", "link": "/x"}));
        let mail = compose("activity", &activity).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(mail.subject, "Ben made you a commitment");
    }

    #[test]
    fn missing_data_is_an_error_not_a_blank() {
        assert!(matches!(
            compose("reminder", &json!({"name": "Ada", "base_url": "x"})),
            Err(MailError::Render(e)) if e.kind() == minijinja::ErrorKind::UndefinedError
        ));
        assert!(matches!(
            compose("nope", &json!({})),
            Err(MailError::UnknownTemplate(_))
        ));
    }
}

//! A real SMTP server on loopback for the tests: Python's aiosmtpd, started per test on its own
//! port, storing what it receives in a maildir that the test reads back and parses. It can be
//! stopped and started again on the same port, as a mail server that goes down for a while.

use mail_parser::MessageParser;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python interpreter that has aiosmtpd (`KEPT_TEST_PYTHON`, else `python3`).
fn python() -> String {
    std::env::var("KEPT_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// One received message, parsed.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope recipient.
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    pub content_type: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    pub raw: String,
}

impl ReceivedMail {
    fn parse(raw: &[u8]) -> ReceivedMail {
        let message = MessageParser::default()
            .parse(raw)
            .expect("a parsable message");
        let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
        ReceivedMail {
            to: header("X-RcptTo").unwrap_or_default(),
            subject: message.subject().unwrap_or_default().to_owned(),
            message_id: message.message_id().unwrap_or_default().to_owned(),
            text: message.body_text(0).unwrap_or_default().into_owned(),
            html: message.body_html(0).unwrap_or_default().into_owned(),
            content_type: header("Content-Type").unwrap_or_default(),
            list_unsubscribe: header("List-Unsubscribe"),
            list_unsubscribe_post: header("List-Unsubscribe-Post"),
            raw: String::from_utf8_lossy(raw).into_owned(),
        }
    }

    /// The first link in the text part that contains `fragment`.
    pub fn link_with(&self, fragment: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|word| word.starts_with("http") && word.contains(fragment))
            .map(str::to_owned)
    }
}

/// The SMTP server; killed when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    maildir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpSink {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    pub fn start() -> SmtpSink {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut sink = SmtpSink {
            port,
            maildir: tempfile::tempdir().expect("maildir"),
            child: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server: connections are refused until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and maildir.
    pub fn resume(&mut self) {
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // aiosmtpd creates the maildir itself, but only where nothing exists yet.
            .arg(self.maildir.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start the test SMTP server ({}): {e}. Install it with \
                     `python3 -m pip install aiosmtpd` (or set KEPT_TEST_PYTHON)",
                    python()
                )
            });
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "the test SMTP server exited ({status}); is aiosmtpd installed for {}? \
                     `python3 -m pip install aiosmtpd`",
                    python()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the test SMTP server did not start"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        let dir: PathBuf = self.maildir.path().join("maildir").join("new");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).collect();
        files.sort_by_key(|entry| {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH)
        });
        files
            .iter()
            .filter_map(|entry| std::fs::read(entry.path()).ok())
            .map(|raw| ReceivedMail::parse(&raw))
            .collect()
    }

    /// Waits (up to `timeout`) until `count` messages matching `wanted` have arrived; returns them.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
        wanted: impl Fn(&ReceivedMail) -> bool,
    ) -> Vec<ReceivedMail> {
        let started = Instant::now();
        loop {
            let matching: Vec<_> = self.received().into_iter().filter(&wanted).collect();
            if matching.len() >= count || started.elapsed() > timeout {
                return matching;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The one message to `to` whose subject contains `subject`, waiting up to 10 s for it.
    pub async fn expect(&self, to: &str, subject: &str) -> ReceivedMail {
        let found = self
            .wait_for(1, Duration::from_secs(10), |m| {
                m.to == to && m.subject.contains(subject)
            })
            .await;
        let received: Vec<_> = self
            .received()
            .into_iter()
            .map(|m| (m.to, m.subject))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "one mail to {to} about {subject:?}; received: {received:?}"
        );
        found.into_iter().next().expect("checked above")
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

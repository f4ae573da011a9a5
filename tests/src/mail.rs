//! A real SMTP server on loopback for the tests: Python's aiosmtpd, started per test on its own
//! port, storing what it receives in a maildir that the test reads back and parses. It can be
//! stopped and started again on the same port, as a mail server that goes down for a while.
//!
//! The server binds port 0 itself and says which port it got, so no other process can take the
//! port between its choice and its use.

use crate::python_server::PythonServer;
use mail_parser::MessageParser;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// aiosmtpd's Mailbox handler on `127.0.0.1:<argv[1]>` (0: any free port), writing to the
/// maildir `argv[2]`; prints the port it listens on once it accepts connections.
const SERVER: &str = r#"
import asyncio, sys
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import SMTP

async def main():
    handler = Mailbox(sys.argv[2])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", int(sys.argv[1]))
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

asyncio.run(main())
"#;

/// The SMTP server; killed when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    maildir: tempfile::TempDir,
    server: Option<PythonServer>,
}

impl SmtpSink {
    /// Starts a server on a free loopback port and waits until it accepts connections.
    pub fn start() -> SmtpSink {
        let mut sink = SmtpSink {
            port: 0,
            maildir: tempfile::tempdir().expect("maildir"),
            server: None,
        };
        sink.resume();
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server: connections are refused until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// Starts the server (again): on a port of its choosing the first time, then on the same
    /// port and maildir.
    pub fn resume(&mut self) {
        let args = [
            self.port.to_string(),
            // aiosmtpd creates the maildir itself, but only where nothing exists yet.
            self.maildir.path().join("maildir").display().to_string(),
        ];
        let install =
            "Install aiosmtpd with `python3 -m pip install aiosmtpd` (or set KEPT_TEST_PYTHON)";
        let server = PythonServer::start(SERVER, &args, "the test SMTP server", install);
        self.port = server.port;
        self.server = Some(server);
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

//! SMTP connections that Kept opens itself, with `TCP_NODELAY`, and keeps for reuse.
//!
//! lettre writes a message and its closing `.` in two writes and opens its own sockets without
//! `TCP_NODELAY`, so the `.` waited for the server's delayed ACK (about 40 ms on Linux): one
//! mail per connection per 40 ms, whatever the machine. Here the socket is ours; lettre still
//! speaks the protocol (EHLO, STARTTLS, AUTH, the envelope) on it.
//!
//! The URL is read as lettre reads it: `smtp://[user:pass@]host[:port][/hello-name]` (plain,
//! port 25), `?tls=required` or `?tls=opportunistic` (STARTTLS, port 587), `smtps://` (TLS from
//! the first byte, port 465).

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How TLS is used on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Plain,
    StartTls { required: bool },
    Implicit,
}

/// Where and how to reach the SMTP server, read from `mail.smtp_url`.
#[derive(Debug, Clone)]
pub struct SmtpServer {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

impl SmtpServer {
    pub fn from_url(url: &str, timeout: Duration) -> Result<Self, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = url.host_str().ok_or("no host")?.to_owned();
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Security::StartTls { required: false }, 587),
            ("smtps", None) => (Security::Implicit, 465),
            (scheme, tls) => {
                return Err(format!(
                    "scheme {scheme:?} with tls={tls:?}: use smtp://, smtp://…?tls=required, \
                     smtp://…?tls=opportunistic or smtps://"
                ));
            }
        };
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|e| e.to_string())
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            timeout,
        })
    }

    /// A new connection, greeted, encrypted as configured and signed in.
    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        tokio::time::timeout(self.timeout, self.open())
            .await
            .map_err(|_| format!("no answer from {}:{} in time", self.host, self.port))?
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, String> {
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| format!("connecting to {}:{}: {e}", self.host, self.port))?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let stream: Box<dyn AsyncTokioStream> = match self.security {
            Security::Implicit => Box::new(tls::wrap(tcp, &self.host).await?),
            _ => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| e.to_string())?;
        if let Security::StartTls { required } = self.security {
            let offered = conn
                .server_info()
                .supports_feature(lettre::transport::smtp::extension::Extension::StartTls);
            if offered || required {
                let parameters =
                    TlsParameters::new(self.host.clone()).map_err(|e| e.to_string())?;
                conn.starttls(parameters, &self.hello)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(conn)
    }
}

/// An idle connection older than this is asked `NOOP` before it carries a mail (servers close
/// idle connections after a while; a mail sent into a closed one would fail needlessly).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Up to `keep` open connections for reuse; 0 opens one per mail.
pub struct SmtpPool {
    server: SmtpServer,
    keep: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpPool")
            .field("server", &self.server)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

impl SmtpPool {
    pub fn new(server: SmtpServer, keep: usize) -> Arc<Self> {
        Arc::new(Self {
            server,
            keep,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one message; on success the connection goes back for the next one.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), String> {
        let mut conn = self.checkout().await?;
        let sent = tokio::time::timeout(self.server.timeout, conn.send(envelope, message)).await;
        match sent {
            Ok(Ok(_)) => {
                self.give_back(conn).await;
                Ok(())
            }
            Ok(Err(error)) => {
                // A refusal leaves the connection usable; a broken one is dropped.
                if !error.is_permanent() && !error.is_transient() {
                    conn.abort().await;
                } else {
                    self.give_back(conn).await;
                }
                Err(error.to_string())
            }
            Err(_) => {
                conn.abort().await;
                Err("the SMTP server did not answer in time".to_owned())
            }
        }
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, String> {
        loop {
            let next = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match next {
                None => return self.server.connect().await,
                Some((conn, since)) if since.elapsed() < CHECK_AFTER_IDLE => return Ok(conn),
                Some((mut conn, _)) => {
                    if conn.test_connected().await {
                        return Ok(conn);
                    }
                    conn.abort().await;
                }
            }
        }
    }

    async fn give_back(&self, conn: AsyncSmtpConnection) {
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.keep {
                idle.push((conn, Instant::now()));
                None
            } else {
                Some(conn)
            }
        };
        if let Some(mut conn) = surplus {
            // Polite, not needed: the mail is already accepted.
            let _ = conn.quit().await;
        }
    }
}

/// TLS from the first byte (`smtps://`), checked against the Mozilla roots lettre also uses.
mod tls {
    use lettre::transport::smtp::client::AsyncTokioStream;
    use std::sync::{Arc, LazyLock};
    use tokio::net::TcpStream;
    use tokio_rustls::TlsConnector;
    use tokio_rustls::client::TlsStream;
    use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

    /// A client TLS stream that lettre can speak SMTP over.
    #[derive(Debug)]
    pub struct Wrapped(TlsStream<TcpStream>);

    impl AsyncTokioStream for Wrapped {
        fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
            self.0.get_ref().0.peer_addr()
        }
    }

    impl tokio::io::AsyncRead for Wrapped {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl tokio::io::AsyncWrite for Wrapped {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
        }
        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_flush(cx)
        }
        fn poll_shutdown(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }

    static CONFIG: LazyLock<Result<Arc<ClientConfig>, String>> = LazyLock::new(|| {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| Arc::new(builder.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|e| e.to_string())
    });

    pub async fn wrap(tcp: TcpStream, host: &str) -> Result<Wrapped, String> {
        let config = CONFIG.as_ref().map_err(Clone::clone)?;
        let name = ServerName::try_from(host.to_owned()).map_err(|e| e.to_string())?;
        TlsConnector::from(Arc::clone(config))
            .connect(name, tcp)
            .await
            .map(Wrapped)
            .map_err(|e| format!("TLS with {host}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn urls_read_as_lettre_reads_them() {
        let timeout = Duration::from_secs(1);
        let plain = SmtpServer::from_url("smtp://127.0.0.1:2525", timeout).unwrap();
        assert_eq!((plain.port, plain.security), (2525, Security::Plain));
        assert!(plain.credentials.is_none());
        let starttls =
            SmtpServer::from_url("smtp://kept:p%40ss@mail.example.org?tls=required", timeout)
                .unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls { required: true })
        );
        assert_eq!(
            starttls.credentials,
            Some(Credentials::new("kept".into(), "p@ss".into()))
        );
        let implicit =
            SmtpServer::from_url("smtps://mail.example.org/kept.example", timeout).unwrap();
        assert_eq!(
            (implicit.port, implicit.security),
            (465, Security::Implicit)
        );
        assert_eq!(implicit.hello, ClientId::Domain("kept.example".into()));
        assert!(SmtpServer::from_url("smtp://h?tls=sometimes", timeout).is_err());
        assert!(SmtpServer::from_url("imap://h", timeout).is_err());
        assert!(SmtpServer::from_url("not a url", timeout).is_err());
    }
}

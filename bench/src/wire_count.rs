//! A loopback proxy in front of PostgreSQL that counts round trips: every `Sync` (the end of an
//! extended-protocol exchange, which libpq sends once per statement) and every simple `Query`
//! a client sends is one wait for the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The running proxy: its port, and the round trips counted so far.
pub struct WireCount {
    pub port: u16,
    round_trips: Arc<AtomicU64>,
}

impl WireCount {
    /// Listens on loopback and forwards every connection to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let round_trips = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&round_trips);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                tokio::spawn(relay(client, server, Arc::clone(&counted)));
            }
        });
        Self { port, round_trips }
    }

    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::SeqCst)
    }
}

async fn relay(client: TcpStream, server: TcpStream, round_trips: Arc<AtomicU64>) {
    client.set_nodelay(true).unwrap();
    server.set_nodelay(true).unwrap();
    let (mut from_client, mut to_server) = (client, server);
    let (mut server_read, mut server_write) = to_server.split();
    let (mut client_read, mut client_write) = from_client.split();
    let upstream = async {
        let mut parser = Parser::default();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = client_read.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                let _ = server_write.shutdown().await;
                return;
            }
            round_trips.fetch_add(parser.feed(&buf[..n]), Ordering::SeqCst);
            if server_write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    };
    let downstream = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

/// Splits the client's byte stream into protocol messages. The first messages (an SSL or
/// GSS request, then the startup message) carry no type byte.
#[derive(Default)]
struct Parser {
    started: bool,
    pending: Vec<u8>,
}

impl Parser {
    /// Takes the next bytes; returns the round trips they complete.
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        self.pending.extend_from_slice(bytes);
        let mut counted = 0;
        loop {
            let header = if self.started { 5 } else { 4 };
            if self.pending.len() < header {
                return counted;
            }
            let at = header - 4;
            let length = u32::from_be_bytes(self.pending[at..at + 4].try_into().unwrap()) as usize;
            let total = at + length;
            if self.pending.len() < total {
                return counted;
            }
            if self.started {
                if matches!(self.pending[0], b'S' | b'Q') {
                    counted += 1;
                }
            } else {
                // 80877103 / 80877104 ask for SSL / GSS encryption; anything else starts.
                let code = u32::from_be_bytes(self.pending[4..8].try_into().unwrap());
                self.started = !matches!(code, 80_877_103 | 80_877_104);
            }
            self.pending.drain(..total);
        }
    }
}

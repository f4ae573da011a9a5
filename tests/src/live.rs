//! A real websocket client for the live stream (tokio-tungstenite), as a browser would use it.

use crate::{Person, TestApp, expect_json};
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, client_async, connect_async};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One open live stream.
#[derive(Debug)]
pub struct LiveSocket {
    socket: Socket,
}

/// What the server answered instead of upgrading.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub problem: Value,
}

impl TestApp {
    pub async fn live_ticket(&self, person: &Person, space: &str) -> String {
        let response = self
            .post(
                &format!("/api/v1/spaces/{space}/live-ticket"),
                &person.access,
                serde_json::json!({}),
            )
            .await;
        expect_json(response, StatusCode::CREATED).await["ticket"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn live_url(&self, space: &str, ticket: &str, after: i64) -> String {
        format!(
            "ws://{}/api/v1/spaces/{space}/live?ticket={ticket}&after={after}",
            self.base.trim_start_matches("http://")
        )
    }

    /// Opens `person`'s stream of `space` from `after`.
    pub async fn live(&self, person: &Person, space: &str, after: i64) -> LiveSocket {
        let ticket = self.live_ticket(person, space).await;
        self.live_with_ticket(space, &ticket, after)
            .await
            .expect("live stream opens")
    }

    pub async fn live_with_ticket(
        &self,
        space: &str,
        ticket: &str,
        after: i64,
    ) -> Result<LiveSocket, Refused> {
        match connect_async(self.live_url(space, ticket, after)).await {
            Ok((socket, _)) => Ok(LiveSocket { socket }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
                let content_type = response
                    .headers()
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned());
                assert_eq!(content_type.as_deref(), Some("application/problem+json"));
                let body = response.body().clone().unwrap_or_default();
                Err(Refused {
                    status,
                    problem: serde_json::from_slice(&body).unwrap(),
                })
            }
            Err(other) => panic!("live stream failed unexpectedly: {other}"),
        }
    }

    /// A stream whose client never reads, with a tiny receive buffer so that the server's
    /// sends back up quickly: a phone on a dead network, as far as the server can tell.
    pub async fn live_not_reading(&self, person: &Person, space: &str) -> Socket {
        let ticket = self.live_ticket(person, space).await;
        let address = self.base.trim_start_matches("http://").parse().unwrap();
        let tcp = TcpSocket::new_v4().unwrap();
        tcp.set_recv_buffer_size(4096).unwrap();
        let stream = tcp.connect(address).await.unwrap();
        let (socket, _) = client_async(
            self.live_url(space, &ticket, 0),
            MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        socket
    }
}

impl LiveSocket {
    /// The next event, within `within`; fails on a close or a timeout.
    pub async fn next_event(&mut self, within: Duration) -> Value {
        loop {
            let message = tokio::time::timeout(within, self.socket.next())
                .await
                .expect("an event arrives in time")
                .expect("the stream is open")
                .expect("a valid frame");
            match message {
                Message::Text(text) => {
                    let event = serde_json::from_str(&text).unwrap();
                    crate::contract::contract().check_event(&event);
                    return event;
                }
                Message::Close(frame) => panic!("closed while waiting for an event: {frame:?}"),
                _ => {}
            }
        }
    }

    /// The next `n` events.
    pub async fn events(&mut self, n: usize, within: Duration) -> Vec<Value> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.next_event(within).await);
        }
        out
    }

    /// Nothing arrives for `quiet` (pings and pongs aside).
    pub async fn expect_silence(&mut self, quiet: Duration) {
        let deadline = tokio::time::Instant::now() + quiet;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return,
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(other) => panic!("expected silence, got {other:?}"),
            }
        }
    }

    /// The close frame's code and reason, skipping any events before it.
    pub async fn expect_close(&mut self, within: Duration) -> (u16, String) {
        loop {
            let message = tokio::time::timeout(within, self.socket.next())
                .await
                .expect("closed in time");
            match message {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) | None => {
                    return (u16::from(CloseCode::Status), String::new());
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("stream failed before its close frame: {error}"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Sends a ping, as a client checking the connection would.
    pub async fn ping(&mut self) {
        self.socket
            .send(Message::Ping(Vec::new().into()))
            .await
            .unwrap();
    }
}

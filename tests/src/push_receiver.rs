//! A Web Push receiver on loopback for the tests, independent of our code: Python's `http_ece`
//! (which decrypts the `aes128gcm` body with the device's private key) and `py-vapid` (which
//! checks the VAPID token's ES256 signature against the server's public key), in a small HTTP
//! server started per test. It plays both the push service and the devices: each device it
//! hands out has its own key pair and auth secret, and answers pushes as the test tells it
//! (201, 410, 503 with `Retry-After`). It can be stopped and started again on the same port.
//!
//! Every push it receives is written to `received.jsonl` in its state directory: the device,
//! the `TTL` and `Urgency` headers, the decrypted payload and the answer given, or why it was
//! rejected (a bad signature, a wrong key, a body it could not decrypt).

use crate::python_server::PythonServer;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The receiver. `argv`: port (0: any), state directory, the server's VAPID public key.
const RECEIVER: &str = r#"
import base64, json, os, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
import http_ece
from py_vapid import jwt as vapid_jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

state, server_key = sys.argv[2], sys.argv[3]
lock = threading.Lock()

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

def device_path(name):
    return os.path.join(state, "device-" + name + ".json")

def device(name):
    with lock:
        if not os.path.exists(device_path(name)):
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
            with open(device_path(name), "w") as f:
                json.dump({"key": pem, "auth": b64(os.urandom(16)), "answer": "201"}, f)
        with open(device_path(name)) as f:
            return json.load(f)

def check_vapid(headers, origin):
    auth = headers.get("Authorization", "")
    if not auth.startswith("vapid "):
        raise ValueError("no vapid authorization: " + auth)
    parts = dict(part.strip().split("=", 1) for part in auth[len("vapid "):].split(","))
    if parts.get("k") != server_key:
        raise ValueError("k is not the server's public key")
    claims = vapid_jwt.decode(parts["t"], parts["k"])
    if claims.get("aud") != origin:
        raise ValueError("aud is %r, not %r" % (claims.get("aud"), origin))
    now = time.time()
    if not now < claims["exp"] <= now + 24 * 3600:
        raise ValueError("exp is not within the next day")
    if not claims.get("sub", "").startswith(("mailto:", "https://")):
        raise ValueError("sub is %r" % claims.get("sub"))

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def name(self):
        return self.path.rsplit("/", 1)[1]

    def do_GET(self):
        # /device/<name>: the subscription a browser would hand to the web app.
        name = self.name()
        key = serialization.load_pem_private_key(device(name)["key"].encode(), None)
        public = key.public_key().public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
        subscription = {"endpoint": "http://127.0.0.1:%d/push/%s" % (port, name),
                        "keys": {"p256dh": b64(public), "auth": device(name)["auth"]}}
        self.reply(200, json.dumps(subscription).encode(), [("Content-Type", "application/json")])

    def do_PUT(self):
        # /answer/<name>, body "201", "410" or "503 600" (a status and a Retry-After).
        name = self.name()
        answer = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        kept = device(name)
        kept["answer"] = answer
        with lock, open(device_path(name), "w") as f:
            json.dump(kept, f)
        self.reply(204)

    def do_POST(self):
        # /push/<name>: a push for the device.
        name = self.name()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        kept = device(name)
        record = {"device": name, "ttl": self.headers.get("TTL"),
                  "urgency": self.headers.get("Urgency"),
                  "encoding": self.headers.get("Content-Encoding")}
        try:
            check_vapid(self.headers, "http://127.0.0.1:%d" % port)
            if record["encoding"] != "aes128gcm":
                raise ValueError("Content-Encoding is %r" % record["encoding"])
            key = serialization.load_pem_private_key(kept["key"].encode(), None)
            plain = http_ece.decrypt(body, private_key=key, auth_secret=unb64(kept["auth"]),
                                     version="aes128gcm")
            record["payload"] = json.loads(plain)
            status, *after = kept["answer"].split()
            record["answered"] = int(status)
        except Exception as error:
            record["rejected"] = "%s: %s" % (type(error).__name__, error)
            status, after = "400", []
        with lock, open(os.path.join(state, "received.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        self.reply(int(status), headers=[("Retry-After", after[0])] if after else [])

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
port = server.server_address[1]
print(port, flush=True)
server.serve_forever()
"#;

/// One push as the receiver saw it.
#[derive(Debug, Clone)]
pub struct ReceivedPush {
    pub device: String,
    pub ttl: Option<String>,
    pub urgency: Option<String>,
    /// The decrypted payload, when the push passed every check.
    pub payload: Option<Value>,
    /// The status it answered (201, 410, 503 …).
    pub answered: Option<u16>,
    /// Why it was refused, when it was.
    pub rejected: Option<String>,
}

/// The receiver; killed when dropped.
#[derive(Debug)]
pub struct PushReceiver {
    port: u16,
    server_key: String,
    state: tempfile::TempDir,
    server: Option<PythonServer>,
    client: reqwest::Client,
}

impl PushReceiver {
    /// Starts a receiver that accepts pushes signed with `server_key` (base64url) only.
    pub fn start(server_key: &str) -> PushReceiver {
        let mut receiver = PushReceiver {
            port: 0,
            server_key: server_key.to_owned(),
            state: tempfile::tempdir().expect("state dir"),
            server: None,
            client: reqwest::Client::new(),
        };
        receiver.resume();
        receiver
    }

    /// The subscription a browser would give for device `name` (made on first ask).
    pub async fn subscription(&self, name: &str) -> Value {
        let url = format!("http://127.0.0.1:{}/device/{name}", self.port);
        let answer = self.client.get(url).send().await.expect("receiver");
        answer.json().await.expect("a subscription")
    }

    /// How device `name` answers from now on: "201", "410", "503 600" (with `Retry-After`).
    pub async fn answer_with(&self, name: &str, answer: &str) {
        let url = format!("http://127.0.0.1:{}/answer/{name}", self.port);
        let sent = self.client.put(url).body(answer.to_owned()).send().await;
        assert!(sent.expect("receiver").status().is_success());
    }

    /// Stops the receiver: connections are refused until [`PushReceiver::resume`].
    pub fn stop(&mut self) {
        self.server = None;
    }

    /// Starts the receiver (again): on a free port the first time, then on the same one.
    pub fn resume(&mut self) {
        let args = [
            self.port.to_string(),
            self.state.path().display().to_string(),
            self.server_key.clone(),
        ];
        let install = "Install its packages with \
                       `python3 -m pip install http-ece==1.2.1 py-vapid==1.9.6`";
        let server = PythonServer::start(RECEIVER, &args, "the test push receiver", install);
        self.port = server.port;
        self.server = Some(server);
    }

    /// Every push received so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedPush> {
        let Ok(log) = std::fs::read_to_string(self.state.path().join("received.jsonl")) else {
            return Vec::new();
        };
        log.lines()
            .map(|line| {
                let record: Value = serde_json::from_str(line).expect("a received record");
                let text = |field: &str| record[field].as_str().map(str::to_owned);
                ReceivedPush {
                    device: text("device").unwrap_or_default(),
                    ttl: text("ttl"),
                    urgency: text("urgency"),
                    payload: record.get("payload").cloned(),
                    answered: record["answered"].as_u64().map(|s| s as u16),
                    rejected: text("rejected"),
                }
            })
            .collect()
    }

    /// The pushes device `name` accepted (answered 201), waiting up to 10 s for `count` of them.
    pub async fn delivered_to(&self, name: &str, count: usize) -> Vec<ReceivedPush> {
        let started = Instant::now();
        loop {
            let all = self.received();
            let rejected: Vec<_> = all.iter().filter_map(|p| p.rejected.clone()).collect();
            assert!(rejected.is_empty(), "pushes were refused: {rejected:?}");
            let accepted: Vec<_> = all
                .into_iter()
                .filter(|p| p.device == name && p.answered == Some(201))
                .collect();
            if accepted.len() >= count || started.elapsed() > Duration::from_secs(10) {
                return accepted;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

//! A test server written in Python (the SMTP server, the push receiver), started as a child
//! process that binds its own port and prints it once it listens, so no other process can take
//! the port between its choice and its use.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The Python interpreter with the tests' packages (`KEPT_TEST_PYTHON`, else `python3`).
pub fn python() -> String {
    std::env::var("KEPT_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// A Python server, killed when stopped or dropped.
#[derive(Debug)]
pub struct PythonServer {
    pub port: u16,
    child: Child,
}

impl PythonServer {
    /// Runs `script` with `args` (the first is the port to bind, 0 for any) and waits until it
    /// prints the port it listens on. `what` and `install` name the server in a failure.
    pub fn start(script: &str, args: &[String], what: &str, install: &str) -> PythonServer {
        let mut child = Command::new(python())
            .args(["-c", script])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({}): {e}. {install}", python()));
        // The first line is the port, written once the server listens; nothing (end of file)
        // means it exited. A server that hangs before listening is killed by the timeout.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(15)).unwrap_or_default();
        let Ok(port) = line.trim().parse::<u16>() else {
            let _ = child.kill();
            let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
            panic!(
                "{what} did not start ({status}) with {}. {install}",
                python()
            );
        };
        PythonServer { port, child }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! A `zoufang serve` started as a child process on loopback, and a plain
//! HTTP/1.1 client for it: what the benchmark measures the page's server
//! with, and what the tests probe it with (with the page's cookie, Host and
//! Origin, or with any head a stranger would send).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running server, stopped when dropped.
pub struct Served {
    pub child: Child,
    pub port: u16,
    pub token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `program serve FOLDER --no-browser` on a port the system
    /// picks; the address is the first line it prints (20 s at most).
    pub fn start(program: &Path, folder: &Path) -> Result<Served, String> {
        let mut command = Command::new(program);
        command.arg("serve").arg(folder).arg("--no-browser");
        Served::start_command(command, Duration::from_secs(20))
    }

    /// Starts the server as `command` says (another program that starts
    /// zoufang, such as Wine, or no arguments at all, as a double click
    /// does); the address is the first line it prints (`wait` at most).
    pub fn start_command(mut command: Command, wait: Duration) -> Result<Served, String> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("zoufang serve did not start: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = send.send(line);
            // Keep reading so that the server never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let mut served = Served {
            child,
            port: 0,
            token: String::new(),
        };
        let line = receive
            .recv_timeout(wait)
            .map_err(|_| format!("zoufang serve said nothing in {} s", wait.as_secs()))?;
        let url = line.trim();
        let (port, token) = url
            .strip_prefix("http://127.0.0.1:")
            .and_then(|rest| rest.split_once("/?token="))
            .ok_or_else(|| format!("not a loopback address with a token: {url:?}"))?;
        served.port = port.parse().map_err(|_| format!("not a port: {url:?}"))?;
        served.token = token.to_string();
        Ok(served)
    }

    /// The server's own address, as a browser puts it in `Host`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A request as the page makes it: the cookie, the server's own Host
    /// and Origin.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Answer {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nCookie: zoufang_token_{port}={token}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            host = self.host(),
            port = self.port,
            token = self.token,
            len = body.len()
        );
        send(self.port, &head, body)
    }
}

/// An answer: status, headers (lower-case names), body. Status 0 when the
/// server did not answer in HTTP.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; `null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Sends one request (its head as written, then the body) over a fresh
/// connection, waiting at most a minute for each read or write.
pub fn send(port: u16, head: &str, body: &[u8]) -> Answer {
    let mut raw = Vec::new();
    if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(60)));
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
        let _ = stream.read_to_end(&mut raw);
    }
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Answer {
            status: 0,
            headers: Vec::new(),
            body: raw,
        };
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    // The server closes each connection after its answer, whose length it
    // declares.
    let mut body = raw[split + 4..].to_vec();
    if let Some(length) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Answer {
        status,
        headers,
        body,
    }
}

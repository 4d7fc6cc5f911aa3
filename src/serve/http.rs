//! The page's HTTP/1.1: a thread per connection and one request per
//! connection (every answer says `Connection: close`), with bounded heads,
//! bodies read no further than their declared length, and timeouts, so that
//! no client can hold the server or make it wait for ever.
//!
//! Why not a crate's server: tiny_http's connection pool can leave a new
//! connection queued behind the browser's kept-alive ones (two connections
//! arriving while one worker waits: the second waits for a worker to free,
//! which a kept-alive connection never does) — on the page, one preview image
//! in five never loaded. Closing after each answer keeps nothing waiting;
//! on loopback a connection costs next to nothing.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A request's line and headers may take this much, no more.
const MAX_HEAD: u64 = 64 << 10;
/// How many connections are answered at once; more wait in the system's
/// queue. Each is a thread that idles cheaply while it waits; a connection
/// that sends no whole request is dropped after `HEAD_DEADLINE`, so idle
/// ones never keep a clerk's request waiting.
const MAX_CONNECTIONS: usize = 2048;
/// How long a request's line and headers may take, all of them.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long a read or a write of a body may stall before the connection is
/// dropped.
const STALL: Duration = Duration::from_secs(60);

/// A request as the handler sees it.
pub(crate) struct Request<'a> {
    pub method: String,
    /// The path with its query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The body, ending at its declared length.
    pub body: &'a mut dyn Read,
}

/// An answer: the status, its headers, the whole body.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn plain(status: u16, message: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: message.as_bytes().to_vec(),
        }
    }
}

/// Answers every connection to `listener` with `handler`, for as long as
/// the process runs.
pub(crate) fn serve<H>(listener: TcpListener, handler: H)
where
    H: Fn(Request) -> Response + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    let busy = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            // A connection that failed before it was accepted (reset by
            // the client, out of descriptors for a moment): the next one.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        while busy.load(Ordering::Acquire) >= MAX_CONNECTIONS {
            std::thread::sleep(Duration::from_millis(5));
        }
        busy.fetch_add(1, Ordering::AcqRel);
        let handler = Arc::clone(&handler);
        let done = Arc::clone(&busy);
        let spawned = std::thread::Builder::new().spawn(move || {
            connection(stream, handler.as_ref());
            done.fetch_sub(1, Ordering::AcqRel);
        });
        if spawned.is_err() {
            // No thread to be had: the connection was dropped with it.
            busy.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads one request from `stream`, answers it and closes the connection.
fn connection<H>(stream: TcpStream, handler: &H)
where
    H: Fn(Request) -> Response,
{
    let _ = stream.set_read_timeout(Some(STALL));
    let _ = stream.set_write_timeout(Some(STALL));
    let _ = stream.set_nodelay(true);
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let head = read_head(&mut reader, Instant::now() + HEAD_DEADLINE);
    let _ = reader.get_ref().set_read_timeout(Some(STALL));
    let (response, head_only) = match head {
        Err(Some(refusal)) => (refusal, false),
        // The client went away, or stalled, before its request was whole.
        Err(None) => return,
        Ok(head) => {
            let head_only = head.method == "HEAD";
            (answer(head, &mut reader, &write_half, handler), head_only)
        }
    };
    let mut out = write_half;
    let _ = write_response(&mut out, &response, head_only);
    let _ = out.shutdown(Shutdown::Write);
    // What the client still sends (a body that was refused unread) is
    // read and dropped for a moment, so that closing does not reset the
    // connection before the client has read the answer.
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_secs(1)));
    let _ = std::io::copy(&mut (&mut reader).take(8 << 20), &mut std::io::sink());
}

/// A request's line and headers.
struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads the request line and the headers: `Err(Some(answer))` for a
/// request that cannot be taken, `Err(None)` when the connection ended.
fn read_head(
    reader: &mut BufReader<TcpStream>,
    deadline: Instant,
) -> Result<Head, Option<Response>> {
    let mut left = MAX_HEAD as usize;
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        match read_line_by(reader, &mut line, &mut left, deadline) {
            Err(_) => return Err(None),
            Ok(()) if !line.ends_with(b"\n") => {
                return Err(if left == 0 {
                    Some(Response::plain(431, "请求头太长"))
                } else {
                    None
                });
            }
            Ok(()) => {}
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.is_empty() {
            if lines.is_empty() {
                // Blank lines before a request line are allowed.
                continue;
            }
            break;
        }
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    let bad = || Some(Response::plain(400, "请求格式不对"));
    let mut parts = lines[0].split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return Err(Some(Response::plain(505, "只支持 HTTP/1.1")));
    }
    if method.is_empty() || !target.starts_with('/') {
        return Err(bad());
    }
    let mut headers = Vec::new();
    for line in &lines[1..] {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad());
        };
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(bad());
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    })
}

/// Reads up to and with the next `\n` into `line`, taking at most `left`
/// bytes (counted down), and only until `deadline`: a client that trickles
/// its head a byte at a time is cut off there, as one that sends nothing.
fn read_line_by(
    reader: &mut BufReader<TcpStream>,
    line: &mut Vec<u8>,
    left: &mut usize,
    deadline: Instant,
) -> std::io::Result<()> {
    while *left > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        reader.get_ref().set_read_timeout(Some(wait))?;
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        let take = buf.len().min(*left);
        let (n, done) = match memchr::memchr(b'\n', &buf[..take]) {
            Some(i) => (i + 1, true),
            None => (take, false),
        };
        line.extend_from_slice(&buf[..n]);
        reader.consume(n);
        *left -= n;
        if done {
            return Ok(());
        }
    }
    Ok(())
}

/// Hands a request to the handler with its body, bounded by its declared
/// length.
fn answer<H>(
    head: Head,
    reader: &mut BufReader<TcpStream>,
    out: &TcpStream,
    handler: &H,
) -> Response
where
    H: Fn(Request) -> Response,
{
    if head.header("Transfer-Encoding").is_some() {
        return Response::plain(411, "上传时要注明大小（Content-Length）");
    }
    let length = match head.header("Content-Length") {
        None => 0,
        Some(value) => match value.parse::<u64>() {
            Ok(length) => length,
            Err(_) => return Response::plain(400, "请求格式不对：Content-Length 不是数"),
        },
    };
    if length > 0
        && head
            .header("Expect")
            .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        let mut out = out;
        let _ = out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = reader.take(length);
    handler(Request {
        method: head.method,
        target: head.target,
        headers: head.headers,
        body: &mut body,
    })
}

/// Writes the status line, the headers and the body, closing.
fn write_response(
    out: &mut TcpStream,
    response: &Response,
    head_only: bool,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        response.status,
        reason(response.status)
    );
    for (name, value) in &response.headers {
        // A header can hold no line break (it would start a header of the
        // value's choosing).
        if name.contains(['\r', '\n']) || value.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    let mut buffered = std::io::BufWriter::new(out);
    buffered.write_all(head.as_bytes())?;
    if !head_only {
        buffered.write_all(&response.body)?;
    }
    buffered.flush()
}

/// The reason phrase of the statuses the page answers with.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        303 => "See Other",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Content Too Large",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server with `handler` on a port the system picks, answering in a
    /// thread of its own (ended with the test process).
    fn start(handler: impl Fn(Request) -> Response + Send + Sync + 'static) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || serve(listener, handler));
        port
    }

    fn exchange(port: u16, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(raw).unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn echo(request: Request) -> Response {
        let mut body = Vec::new();
        let _ = request.body.read_to_end(&mut body);
        Response {
            status: 200,
            headers: vec![("X-Method".into(), request.method)],
            body: format!("{} {}", request.target, String::from_utf8_lossy(&body)).into_bytes(),
        }
    }

    #[test]
    fn a_request_is_answered_and_the_connection_closed() {
        let port = start(echo);
        let answer = exchange(
            port,
            b"POST /api/x?a=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello and more",
        );
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(answer.contains("X-Method: POST\r\n"), "{answer}");
        assert!(answer.contains("Connection: close\r\n"), "{answer}");
        // The body ends at its declared length.
        assert!(answer.ends_with("\r\n\r\n/api/x?a=1 hello"), "{answer}");
    }

    #[test]
    fn broken_and_oversized_heads_are_refused() {
        let port = start(echo);
        assert!(exchange(port, b"GET\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(exchange(port, b"GET / HTTP/2.0\r\n\r\n").starts_with("HTTP/1.1 505 "));
        assert!(exchange(port, b"GET / HTTP/1.1\r\nno colon\r\n\r\n").starts_with("HTTP/1.1 400 "));
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(70_000));
        assert!(exchange(port, long.as_bytes()).starts_with("HTTP/1.1 431 "));
        assert!(
            exchange(
                port,
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            )
            .starts_with("HTTP/1.1 411 ")
        );
    }

    #[test]
    fn many_connections_at_once_are_all_answered() {
        let port = start(|request| {
            std::thread::sleep(Duration::from_millis(50));
            echo(request)
        });
        let clients: Vec<_> = (0..40)
            .map(|i| {
                std::thread::spawn(move || {
                    exchange(port, format!("GET /{i} HTTP/1.1\r\n\r\n").as_bytes())
                })
            })
            .collect();
        for (i, client) in clients.into_iter().enumerate() {
            let answer = client.join().unwrap();
            assert!(answer.ends_with(&format!("/{i} ")), "{answer}");
        }
    }

    #[test]
    fn a_header_value_cannot_add_a_header() {
        let port = start(|_| Response {
            status: 200,
            headers: vec![("Location".into(), "/\r\nSet-Cookie: x=1".into())],
            body: Vec::new(),
        });
        let answer = exchange(port, b"GET / HTTP/1.1\r\n\r\n");
        assert!(!answer.contains("Set-Cookie"), "{answer}");
    }
}

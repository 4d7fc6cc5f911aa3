//! The page's HTTP/1.1, on hyper: a task per connection on a small tokio
//! runtime, the handler on a blocking thread with the request's body as a
//! `Read`, one request per connection (keep-alive off: a browser never
//! sends a request on a connection the server is just closing, so no
//! upload fails on a race). Every limit is the server's, not the client's:
//! the head must arrive whole within `HEAD_DEADLINE` (an idle connection
//! costs a parked task, then is closed), heads are bounded, bodies end at
//! their declared length and may stall `STALL` at most, and so may a
//! client that does not read its answer.

use std::future::Future;
use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Semaphore, mpsc};

/// A request's line and headers may take this much, no more.
const MAX_HEAD: usize = 64 << 10;
/// How many connections are open at once; more wait in the system's queue.
/// An open connection is a parked task, and one that sends no whole request
/// is closed after `HEAD_DEADLINE`, so idle ones never keep a clerk waiting.
const MAX_CONNECTIONS: usize = 4096;
/// How long a request's line and headers may take, all of them.
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
/// How long a read of a body, or a write of an answer, may stall before the
/// connection is dropped.
const STALL: Duration = Duration::from_secs(60);
/// What is still read of a body the handler answered without reading (a
/// refused upload), so that closing does not reset the connection before
/// the client has read the answer.
const DRAIN_BYTES: usize = 8 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(1);

/// A request as the handler sees it.
pub(crate) struct Request<'a> {
    pub method: String,
    /// The path with its query, as sent.
    pub target: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body, ending at its declared length.
    pub body: &'a mut dyn Read,
}

/// An answer: the status, its headers, the body.
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// An answer's body: bytes at hand, or a file sent as it is read (never
/// held whole: a city's print-shop zip is a gigabyte).
pub(crate) enum Body {
    Bytes(Vec<u8>),
    File {
        file: std::fs::File,
        length: u64,
        /// Removed once sent (a file made for this answer only).
        then_remove: Option<PathBuf>,
    },
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::Bytes(bytes)
    }
}

/// How much of a file is read at a time while it is sent.
const FILE_CHUNK: usize = 256 << 10;

/// A body as hyper sends it.
enum Out {
    Whole(Option<Bytes>),
    /// Pieces read on a blocking thread; `left` bytes still to come.
    Read {
        pieces: mpsc::Receiver<std::io::Result<Bytes>>,
        left: u64,
    },
}

impl Out {
    /// Starts reading a file body on a blocking thread (inside the runtime).
    fn of(body: Body) -> Out {
        let (mut file, length, then_remove) = match body {
            Body::Bytes(bytes) => return Out::Whole(Some(Bytes::from(bytes))),
            Body::File {
                file,
                length,
                then_remove,
            } => (file, length, then_remove),
        };
        let (sender, pieces) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let mut left = length;
            while left > 0 {
                let mut piece = vec![0u8; FILE_CHUNK.min(left as usize)];
                let read = match file.read(&mut piece) {
                    Ok(0) => Err(std::io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        piece.truncate(n);
                        left -= n as u64;
                        Ok(Bytes::from(piece))
                    }
                    Err(e) => Err(e),
                };
                let failed = read.is_err();
                // The client went away (or a HEAD request): nothing more.
                if sender.blocking_send(read).is_err() || failed {
                    break;
                }
            }
            drop(file);
            if let Some(path) = then_remove {
                let _ = std::fs::remove_file(path);
            }
        });
        Out::Read {
            pieces,
            left: length,
        }
    }
}

impl hyper::body::Body for Out {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            Out::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(hyper::body::Frame::data(b)))),
            Out::Read { pieces, left } => match pieces.poll_recv(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(piece))) => {
                    *left = left.saturating_sub(piece.len() as u64);
                    Poll::Ready(Some(Ok(hyper::body::Frame::data(piece))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Out::Whole(bytes) => bytes.is_none(),
            Out::Read { left, .. } => *left == 0,
        }
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(match self {
            Out::Whole(bytes) => bytes.as_ref().map_or(0, |b| b.len() as u64),
            Out::Read { left, .. } => *left,
        })
    }
}

impl Response {
    fn plain(status: u16, message: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: message.as_bytes().to_vec().into(),
        }
    }

    fn into_hyper(self) -> hyper::Response<Out> {
        let mut answer = hyper::Response::new(Out::of(self.body));
        *answer.status_mut() = hyper::StatusCode::from_u16(self.status)
            .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            // A header can hold no line break (it would start a header of
            // the value's choosing): such a header is left out.
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) else {
                continue;
            };
            answer.headers_mut().append(name, value);
        }
        answer
    }
}

/// Answers every connection to `listener` with `handler`, for as long as
/// the process runs; `Err` with a sentence when the server cannot start.
pub(crate) fn serve<H>(listener: TcpListener, handler: H) -> Result<(), String>
where
    H: Fn(Request) -> Response + Send + Sync + 'static,
{
    let cannot = |e: std::io::Error| format!("网页服务启动不了（{e}）");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("zoufang-http")
        .enable_io()
        .enable_time()
        .build()
        .map_err(cannot)?;
    listener.set_nonblocking(true).map_err(cannot)?;
    let handler = Arc::new(handler);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(cannot)?;
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
                return Ok(());
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // A connection that failed before it was accepted (reset
                    // by the client, out of descriptors for a moment): the
                    // next one.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let handler = Arc::clone(&handler);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let handler = Arc::clone(&handler);
                    async move { Ok::<_, std::convert::Infallible>(answer(request, handler).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEAD_DEADLINE)
                    .max_buf_size(MAX_HEAD)
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(WriteStall::new(stream)), service)
                    .await;
                drop(slot);
            });
        }
    })
}

/// Hands a request to the handler on a blocking thread, its body fed to it
/// as it arrives.
async fn answer<H>(request: hyper::Request<Incoming>, handler: Arc<H>) -> hyper::Response<Out>
where
    H: Fn(Request) -> Response + Send + Sync + 'static,
{
    let (parts, body) = request.into_parts();
    if parts.headers.contains_key(hyper::header::TRANSFER_ENCODING) {
        return Response::plain(411, "上传时要注明大小（Content-Length）").into_hyper();
    }
    let target = match parts.uri.path_and_query() {
        Some(target) if target.as_str().starts_with('/') => target.as_str().to_string(),
        _ => return Response::plain(400, "请求格式不对").into_hyper(),
    };
    // hyper bounds its buffer near `MAX_HEAD`; a head that fitted in it
    // but is longer still is refused as the old limit said.
    let head_size: usize = target.len()
        + parts
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if head_size > MAX_HEAD {
        return Response::plain(431, "请求头太长").into_hyper();
    }
    let method = parts.method.as_str().to_string();
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let (sender, receiver) = mpsc::channel(4);
    tokio::spawn(pump(body, sender));
    let handled = tokio::task::spawn_blocking(move || {
        let mut body = Fed {
            receiver,
            chunk: Bytes::new(),
        };
        handler(Request {
            method,
            target,
            headers,
            body: &mut body,
        })
    })
    .await;
    handled
        .unwrap_or_else(|_| {
            Response::plain(500, "出了内部错误，请把这个页面和当时的操作告诉技术人员")
        })
        .into_hyper()
}

/// Passes a body's data on to the handler, as it arrives; then reads on a
/// moment what the handler left unread.
async fn pump(mut body: Incoming, sender: mpsc::Sender<std::io::Result<Bytes>>) {
    loop {
        let frame = match tokio::time::timeout(STALL, body.frame()).await {
            Ok(None) => return,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                let _ = sender.send(Err(std::io::Error::other(e))).await;
                return;
            }
            Err(_) => {
                let _ = sender.send(Err(std::io::ErrorKind::TimedOut.into())).await;
                return;
            }
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        if sender.send(Ok(data)).await.is_err() {
            break;
        }
    }
    let drain = async {
        let mut left = DRAIN_BYTES;
        while let Some(Ok(frame)) = body.frame().await {
            let read = frame.data_ref().map_or(0, Bytes::len);
            left = left.saturating_sub(read);
            if left == 0 {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
}

/// A body as the handler reads it: the pieces `pump` passes on.
struct Fed {
    receiver: mpsc::Receiver<std::io::Result<Bytes>>,
    chunk: Bytes,
}

impl Read for Fed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.receiver.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(e),
                Some(Ok(chunk)) => self.chunk = chunk,
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Ok(n)
    }
}

/// A connection whose writes may stall `STALL` at most: a client that
/// does not read its answer is dropped then.
struct WriteStall {
    stream: tokio::net::TcpStream,
    stalled_since: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteStall {
    fn new(stream: tokio::net::TcpStream) -> WriteStall {
        WriteStall {
            stream,
            stalled_since: None,
        }
    }

    /// What a write came to: progress clears the stall, waiting counts it.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if written.is_ready() {
            self.stalled_since = None;
            return written;
        }
        let timer = self
            .stalled_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(STALL)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::ErrorKind::TimedOut.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for WriteStall {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteStall {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch(cx, written)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let flushed = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch(cx, flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpStream;

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
        let _ = stream.write_all(raw);
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
            body: format!("{} {}", request.target, String::from_utf8_lossy(&body))
                .into_bytes()
                .into(),
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
        assert!(answer.contains("x-method: POST\r\n"), "{answer}");
        assert!(answer.contains("connection: close\r\n"), "{answer}");
        // The body ends at its declared length.
        assert!(answer.ends_with("\r\n\r\n/api/x?a=1 hello"), "{answer}");
    }

    #[test]
    fn broken_and_oversized_heads_are_refused() {
        let port = start(echo);
        assert!(exchange(port, b"GET\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(exchange(port, b"GET / HTTP/1.1\r\nno colon\r\n\r\n").starts_with("HTTP/1.1 400 "));
        assert!(
            exchange(port, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").starts_with("HTTP/1.1 400 ")
        );
        for size in [70_000, 1_000_000] {
            let long = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(size));
            let answer = exchange(port, long.as_bytes());
            assert!(answer.starts_with("HTTP/1.1 431 "), "{size}: {answer}");
        }
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
            body: Vec::new().into(),
        });
        let answer = exchange(port, b"GET / HTTP/1.1\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("set-cookie"),
            "{answer}"
        );
    }

    /// An upload refused before a byte of it is read (too large): the
    /// client still gets the answer, not a reset connection.
    #[test]
    fn an_upload_refused_unread_still_gets_its_answer() {
        let port = start(|_| Response::plain(413, "太大"));
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let body = vec![b'x'; 4 << 20];
        stream
            .write_all(
                format!(
                    "POST /api/roster HTTP/1.1\r\nHost: h\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            )
            .unwrap();
        let _ = stream.write_all(&body);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        assert!(answer.ends_with("太大"), "{answer}");
    }

    /// A file answer is sent as it is read, whole, with its length; a
    /// file made for the answer is removed once sent.
    #[test]
    fn a_file_is_sent_as_read_then_removed() {
        let dir = std::env::temp_dir().join(format!("zoufang-http-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.bin");
        let bytes: Vec<u8> = (0..3_000_001u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let made = path.clone();
        let port = start(move |_| Response {
            status: 200,
            headers: Vec::new(),
            body: Body::File {
                file: std::fs::File::open(&made).unwrap(),
                length: std::fs::metadata(&made).unwrap().len(),
                then_remove: Some(made.clone()),
            },
        });
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&answer[..split]).to_string();
        assert!(head.contains("content-length: 3000001"), "{head}");
        assert!(answer[split + 4..] == bytes[..], "the body differs");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while path.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!path.exists(), "removed once sent");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A handler that fails answers 500; the server goes on.
    #[test]
    fn a_handler_panic_is_an_answer() {
        let port = start(|_| panic!("handler fails"));
        let answer = exchange(port, b"GET / HTTP/1.1\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 500 "), "{answer}");
        assert!(exchange(port, b"GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 500 "));
    }
}

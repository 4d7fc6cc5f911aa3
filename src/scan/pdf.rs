//! PDF files read by seeking, never whole: the cross-reference table says
//! where each object lies, only the objects a page needs are read, and a
//! page's image only when the page is handed over. Memory holds the table
//! and one page's image, whatever the file's size (a department's stack is
//! hundreds of megabytes). A file whose table is missing or damaged is
//! walked once, a megabyte at a time, for its objects.
//!
//! Objects come out as `lopdf` objects; a stream's data is not read with
//! it (`start_position` says where it begins), but by `Pdf::content`.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};

use lopdf::{Dictionary, Object, Stream, StringFormat};

use super::filters;

/// Where an object is: at an offset of the file, or inside an object
/// stream (its container's number and its place there), or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    At(u64),
    InStream { container: u32, index: u32 },
    Free,
}

/// The most objects a file may list (a stack of 100,000 pages needs some
/// 300,000): a table claiming more is not believed.
const MAX_OBJECTS: usize = 4_000_000;

/// The most bytes a table, an object stream or a cross-reference stream may
/// inflate to.
const MAX_TABLE_BYTES: u64 = 64 << 20;

/// The most bytes read to parse one object (a stream's data excepted).
const MAX_OBJECT_WINDOW: usize = 8 << 20;

/// Nesting deeper than this is not a scanner's PDF.
const MAX_DEPTH: u32 = 64;

/// Why something could not be read: in words for the clerk.
pub(crate) type Why = String;

fn damaged() -> Why {
    "PDF 文件已损坏，读不出来".into()
}

/// An open PDF.
pub(crate) struct Pdf<R> {
    file: R,
    len: u64,
    xref: HashMap<u32, Entry>,
    trailer: Dictionary,
    /// The object stream read last: its number, its objects' numbers and
    /// offsets, its bytes.
    container: Option<Container>,
}

/// An object stream, decoded: its number, its objects' numbers and
/// offsets, where the first object starts, its bytes.
struct Container {
    number: u32,
    objects: Vec<(u32, usize)>,
    first: usize,
    data: Vec<u8>,
}

impl<R: Read + Seek> Pdf<R> {
    /// Opens the PDF: its cross-reference table, or the objects found by
    /// walking the file when the table cannot be read.
    pub(crate) fn open(mut file: R) -> Result<Pdf<R>, Why> {
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| format!("打不开这个文件（{e}）"))?;
        let mut pdf = Pdf {
            file,
            len,
            xref: HashMap::new(),
            trailer: Dictionary::new(),
            container: None,
        };
        let from_table = pdf
            .start_of_table()
            .and_then(|start| pdf.read_tables(start));
        if from_table.is_err() || pdf.trailer.get(b"Root").is_err() {
            pdf.xref.clear();
            pdf.trailer = Dictionary::new();
            pdf.walk()?;
        }
        if pdf.trailer.get(b"Encrypt").is_ok() {
            return Err("PDF 文件有密码保护，请去掉密码后再扫描或导出".into());
        }
        Ok(pdf)
    }

    /// Up to `len` bytes from `at` (fewer at the end of the file).
    fn window(&mut self, at: u64, len: usize) -> Result<Vec<u8>, Why> {
        if at >= self.len {
            return Err(damaged());
        }
        let len = len.min((self.len - at) as usize);
        let mut buf = vec![0; len];
        self.file
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.file.read_exact(&mut buf))
            .map_err(|e| format!("读文件时出错（{e}）"))?;
        Ok(buf)
    }

    /// Parses what `parse` reads at `at`, reading more of the file while
    /// the object runs past what was read.
    fn parse_at<T>(
        &mut self,
        at: u64,
        parse: &mut dyn FnMut(&mut Lexer) -> Parsed<T>,
    ) -> Result<(T, usize), Why> {
        let mut size = 16 << 10;
        loop {
            let buf = self.window(at, size)?;
            let whole = buf.len() < size;
            let mut lexer = Lexer { s: &buf, i: 0 };
            match parse(&mut lexer) {
                Ok(value) => return Ok((value, lexer.i)),
                Err(Bad::Eof) if !whole && size < MAX_OBJECT_WINDOW => size *= 4,
                Err(_) => return Err(damaged()),
            }
        }
    }

    /// The offset `startxref` gives, from the file's last kilobytes.
    fn start_of_table(&mut self) -> Result<u64, Why> {
        let tail = 4096.min(self.len);
        let buf = self.window(self.len - tail, tail as usize)?;
        let at = find_last(&buf, b"startxref").ok_or_else(damaged)?;
        let mut lexer = Lexer {
            s: &buf,
            i: at + b"startxref".len(),
        };
        let start = lexer.integer().map_err(|_| damaged())?;
        u64::try_from(start).map_err(|_| damaged())
    }

    /// Every cross-reference section from `start` back along `/Prev`; a
    /// later section's entry wins over an earlier one's.
    fn read_tables(&mut self, start: u64) -> Result<(), Why> {
        let mut seen = HashSet::new();
        let mut next = vec![start];
        let mut first = true;
        while let Some(at) = next.pop() {
            if !seen.insert(at) || seen.len() > 1000 {
                continue;
            }
            let head = self.window(at, 32)?;
            let mut lexer = Lexer { s: &head, i: 0 };
            lexer.skip_space();
            let trailer = if head[lexer.i..].starts_with(b"xref") {
                self.table(at + (lexer.i + 4) as u64)?
            } else {
                self.table_stream(at)?
            };
            let offset = |key: &[u8]| {
                trailer
                    .get(key)
                    .ok()
                    .and_then(|o| o.as_i64().ok())
                    .and_then(|o| u64::try_from(o).ok())
            };
            if let Some(prev) = offset(b"Prev") {
                next.push(prev);
            }
            // A hybrid file's stream section belongs with this table.
            if let Some(stream) = offset(b"XRefStm") {
                next.push(stream);
            }
            if first {
                self.trailer = trailer;
                first = false;
            }
        }
        Ok(())
    }

    fn note(&mut self, number: u32, entry: Entry) -> Result<(), Why> {
        if self.xref.len() >= MAX_OBJECTS {
            return Err("PDF 文件的对象太多，不像是扫描件".into());
        }
        self.xref.entry(number).or_insert(entry);
        Ok(())
    }

    /// A classic table starting at `at` (after `xref`); its trailer.
    fn table(&mut self, mut at: u64) -> Result<Dictionary, Why> {
        loop {
            let (head, used) = self.parse_at(at, &mut |l| {
                l.skip_space();
                if l.keyword(b"trailer") {
                    return Ok(None);
                }
                let first = l.integer()?;
                let count = l.integer()?;
                Ok(Some((first, count)))
            })?;
            at += used as u64;
            let Some((first, count)) = head else {
                let (trailer, _) = self.parse_at(at, &mut |l| l.object(0))?;
                return match trailer {
                    Object::Dictionary(d) => Ok(d),
                    _ => Err(damaged()),
                };
            };
            let (Ok(first), Ok(count)) = (u32::try_from(first), usize::try_from(count)) else {
                return Err(damaged());
            };
            if count > MAX_OBJECTS {
                return Err(damaged());
            }
            // Entries are 20 bytes; some writers use 19 or 21.
            let buf = self.window(at, count * 21 + 64)?;
            let mut lexer = Lexer { s: &buf, i: 0 };
            for k in 0..count {
                let offset = lexer.integer().map_err(|_| damaged())?;
                let _generation = lexer.integer().map_err(|_| damaged())?;
                lexer.skip_space();
                let entry = match lexer.s.get(lexer.i) {
                    Some(b'n') => Entry::At(u64::try_from(offset).map_err(|_| damaged())?),
                    Some(b'f') => Entry::Free,
                    _ => return Err(damaged()),
                };
                lexer.i += 1;
                let number = first.checked_add(k as u32).ok_or_else(damaged)?;
                self.note(number, entry)?;
            }
            at += lexer.i as u64;
        }
    }

    /// A cross-reference stream at `at`; its dictionary (the trailer).
    fn table_stream(&mut self, at: u64) -> Result<Dictionary, Why> {
        let (_, object) = self.object_at(at)?;
        let Object::Stream(stream) = object else {
            return Err(damaged());
        };
        let data = self.decoded(&stream, MAX_TABLE_BYTES)?;
        let dict = stream.dict;
        let ints = |key: &[u8]| -> Option<Vec<i64>> {
            dict.get(key)
                .ok()?
                .as_array()
                .ok()?
                .iter()
                .map(|o| o.as_i64().ok())
                .collect()
        };
        let widths = ints(b"W").ok_or_else(damaged)?;
        let [w0, w1, w2] = widths[..] else {
            return Err(damaged());
        };
        let widths = [w0, w1, w2].map(|w| usize::try_from(w).unwrap_or(99));
        if widths.iter().any(|&w| w > 8) {
            return Err(damaged());
        }
        let row: usize = widths.iter().sum();
        if row == 0 {
            return Err(damaged());
        }
        let size = dict.get(b"Size").and_then(|o| o.as_i64()).unwrap_or(0);
        let index = ints(b"Index").unwrap_or_else(|| vec![0, size]);
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (Ok(first), Ok(count)) = (u32::try_from(pair[0]), u64::try_from(pair[1])) else {
                return Err(damaged());
            };
            for k in 0..count {
                let Some(bytes) = rows.next() else {
                    return Ok(dict);
                };
                let field = |n: usize, default: u64| {
                    let start: usize = widths[..n].iter().sum();
                    if widths[n] == 0 {
                        return default;
                    }
                    bytes[start..start + widths[n]]
                        .iter()
                        .fold(0u64, |v, &b| (v << 8) | u64::from(b))
                };
                let entry = match field(0, 1) {
                    0 => Entry::Free,
                    1 => Entry::At(field(1, 0)),
                    2 => Entry::InStream {
                        container: u32::try_from(field(1, 0)).map_err(|_| damaged())?,
                        index: u32::try_from(field(2, 0)).map_err(|_| damaged())?,
                    },
                    _ => continue,
                };
                let number = u32::try_from(u64::from(first) + k).map_err(|_| damaged())?;
                self.note(number, entry)?;
            }
        }
        Ok(dict)
    }

    /// Finds the objects by walking the file (its table being unreadable):
    /// every `N G obj`, the last of a number winning; the trailer is the
    /// last one with a `/Root`, else the catalog found among the objects.
    fn walk(&mut self) -> Result<(), Why> {
        const CHUNK: usize = 1 << 20;
        const OVERLAP: usize = 64;
        let mut at = 0u64;
        let mut trailers = Vec::new();
        while at < self.len {
            let buf = self.window(at, CHUNK + OVERLAP)?;
            let end = if buf.len() == CHUNK + OVERLAP {
                CHUNK
            } else {
                buf.len()
            };
            let mut i = 0;
            while let Some(found) = find(&buf[i..end], b"obj") {
                let k = i + found;
                i = k + 3;
                if let Some((number, start)) = object_head(&buf, k) {
                    self.xref.insert(number, Entry::At(at + start as u64));
                    if self.xref.len() > MAX_OBJECTS {
                        return Err("PDF 文件的对象太多，不像是扫描件".into());
                    }
                }
            }
            let mut i = 0;
            while let Some(found) = find(&buf[i..end], b"trailer") {
                trailers.push(at + (i + found + b"trailer".len()) as u64);
                i += found + 1;
            }
            at += end as u64;
            if end < CHUNK {
                break;
            }
        }
        for t in trailers.into_iter().rev() {
            if let Ok((Object::Dictionary(d), _)) = self.parse_at(t, &mut |l| l.object(0))
                && d.get(b"Root").is_ok()
            {
                self.trailer = d;
                return Ok(());
            }
        }
        let mut numbers: Vec<u32> = self.xref.keys().copied().collect();
        numbers.sort_unstable();
        for number in numbers {
            if let Ok(Object::Dictionary(d)) = self.object(number)
                && matches!(d.get(b"Type").and_then(|t| t.as_name()), Ok(b"Catalog"))
            {
                self.trailer.set("Root", Object::Reference((number, 0)));
                return Ok(());
            }
        }
        Err(damaged())
    }

    /// The object `N G obj … endobj` at `at`: its number and the object (a
    /// stream without its data).
    fn object_at(&mut self, at: u64) -> Result<(u32, Object), Why> {
        let ((number, object, data), _) = self.parse_at(at, &mut |l| {
            let number = l.integer()?;
            let _generation = l.integer()?;
            l.skip_space();
            if !l.keyword(b"obj") {
                return Err(Bad::Syntax);
            }
            let object = l.object(0)?;
            l.skip_space();
            // `stream` or `endobj` follows: read on when they are cut off.
            if l.s.len() - l.i < 16 {
                return Err(Bad::Eof);
            }
            let mut data = None;
            if l.keyword(b"stream") {
                if l.s.get(l.i) == Some(&b'\r') {
                    l.i += 1;
                }
                if l.s.get(l.i) == Some(&b'\n') {
                    l.i += 1;
                }
                data = Some(l.i);
            }
            Ok((number, object, data))
        })?;
        let number = u32::try_from(number).map_err(|_| damaged())?;
        let object = match (object, data) {
            (Object::Dictionary(dict), Some(data)) => Object::Stream(Stream {
                dict,
                content: Vec::new(),
                allows_compression: false,
                start_position: Some((at + data as u64) as usize),
            }),
            (_, Some(_)) => return Err(damaged()),
            (object, None) => object,
        };
        Ok((number, object))
    }

    /// Object `number`, as the table says where it is.
    pub(crate) fn object(&mut self, number: u32) -> Result<Object, Why> {
        match self.xref.get(&number).copied() {
            Some(Entry::At(at)) => self.object_at(at).map(|(_, o)| o),
            Some(Entry::InStream { container, index }) => self.in_stream(container, index),
            Some(Entry::Free) | None => Ok(Object::Null),
        }
    }

    /// Object `index` of the object stream `container`.
    fn in_stream(&mut self, container: u32, index: u32) -> Result<Object, Why> {
        if self
            .container
            .as_ref()
            .is_none_or(|c| c.number != container)
        {
            let Some(Entry::At(at)) = self.xref.get(&container).copied() else {
                return Err(damaged());
            };
            let (_, Object::Stream(stream)) = self.object_at(at)? else {
                return Err(damaged());
            };
            let data = self.decoded(&stream, MAX_TABLE_BYTES)?;
            let int = |key: &[u8]| stream.dict.get(key).and_then(|o| o.as_i64()).ok();
            let (Some(n), Some(first)) = (int(b"N"), int(b"First")) else {
                return Err(damaged());
            };
            let first = usize::try_from(first).map_err(|_| damaged())?;
            let mut lexer = Lexer { s: &data, i: 0 };
            let mut pairs = Vec::new();
            for _ in 0..n.clamp(0, 1 << 20) {
                let (Ok(number), Ok(offset)) = (lexer.integer(), lexer.integer()) else {
                    break;
                };
                let (Ok(number), Ok(offset)) = (u32::try_from(number), usize::try_from(offset))
                else {
                    return Err(damaged());
                };
                pairs.push((number, offset));
            }
            self.container = Some(Container {
                number: container,
                objects: pairs,
                first,
                data,
            });
        }
        let Some(c) = &self.container else {
            return Err(damaged());
        };
        let (_, offset) = c.objects.get(index as usize).ok_or_else(damaged)?;
        let mut lexer = Lexer {
            s: &c.data,
            i: c.first.saturating_add(*offset),
        };
        lexer.object(0).map_err(|_| damaged())
    }

    /// `object` itself, or what it refers to (followed a few times).
    pub(crate) fn resolve(&mut self, object: &Object) -> Result<Object, Why> {
        let mut object = object.clone();
        for _ in 0..8 {
            match object {
                Object::Reference((number, _)) => object = self.object(number)?,
                other => return Ok(other),
            }
        }
        Err(damaged())
    }

    /// The value of `key` in `dict`, resolved.
    pub(crate) fn get(&mut self, dict: &Dictionary, key: &[u8]) -> Option<Object> {
        dict.get(key).ok().and_then(|o| self.resolve(o).ok())
    }

    /// A stream's data as the file holds it (still compressed), no more
    /// than `limit` bytes.
    pub(crate) fn content(&mut self, stream: &Stream, limit: u64) -> Result<Vec<u8>, Why> {
        let start = stream.start_position.ok_or_else(damaged)? as u64;
        if start > self.len {
            return Err(damaged());
        }
        let left = self.len - start;
        let length = self
            .get(&stream.dict, b"Length")
            .and_then(|o| o.as_i64().ok())
            .and_then(|l| u64::try_from(l).ok())
            .filter(|&l| l <= left);
        let length = match length {
            Some(l) => l,
            // No usable length: the data runs to `endstream`.
            None => self.find_from(start, b"endstream", limit.min(left))?,
        };
        if length > limit {
            return Err("这一页的图像数据太大，为防止电脑卡死，没有读取这一页".into());
        }
        if length == 0 {
            return Ok(Vec::new());
        }
        self.window(start, length as usize)
    }

    /// How far after `start` `needle` first appears, looking no further
    /// than `limit` bytes.
    fn find_from(&mut self, start: u64, needle: &[u8], limit: u64) -> Result<u64, Why> {
        const CHUNK: u64 = 1 << 20;
        let mut at = start;
        while at < start + limit {
            let buf = self.window(at, (CHUNK + needle.len() as u64) as usize)?;
            if let Some(k) = find(&buf, needle) {
                return Ok(at - start + k as u64);
            }
            if (buf.len() as u64) < CHUNK {
                break;
            }
            at += CHUNK;
        }
        Err(damaged())
    }

    /// A stream's data with its byte filters undone (tables, object
    /// streams, palettes, JBIG2's shared segments), within `limit` bytes;
    /// a stream ending in an image codec is refused.
    pub(crate) fn decoded(&mut self, stream: &Stream, limit: u64) -> Result<Vec<u8>, Why> {
        let raw = self.content(stream, limit)?;
        let filter = self.get(&stream.dict, b"Filter");
        let parms = self.get(&stream.dict, b"DecodeParms");
        let chain = filters::chain(filter.as_ref(), parms.as_ref());
        match filters::unfilter(raw, &chain, limit) {
            Ok(out) if out.codec.is_none() => Ok(out.data),
            _ => Err(damaged()),
        }
    }

    /// Every page's dictionary, in order, with the resources it inherits
    /// from the page tree (when it has none of its own).
    pub(crate) fn pages(&mut self) -> Result<Vec<(Dictionary, Option<Object>)>, Why> {
        let root = self
            .get(&self.trailer.clone(), b"Root")
            .ok_or_else(damaged)?;
        let root = root.as_dict().map_err(|_| damaged())?.clone();
        let tree = root.get(b"Pages").map_err(|_| damaged())?.clone();
        let mut pages = Vec::new();
        let mut seen = HashSet::new();
        self.collect(&tree, None, 0, &mut seen, &mut pages)?;
        Ok(pages)
    }

    fn collect(
        &mut self,
        node: &Object,
        inherited: Option<Object>,
        depth: u32,
        seen: &mut HashSet<u32>,
        pages: &mut Vec<(Dictionary, Option<Object>)>,
    ) -> Result<(), Why> {
        if depth > MAX_DEPTH || pages.len() >= 1_000_000 {
            return Err(damaged());
        }
        if let Object::Reference((number, _)) = node
            && !seen.insert(*number)
        {
            return Err(damaged());
        }
        let Object::Dictionary(dict) = self.resolve(node)? else {
            return Err(damaged());
        };
        let resources = dict.get(b"Resources").ok().cloned().or(inherited);
        match dict.get(b"Kids").ok().map(|k| self.resolve(k)) {
            Some(Ok(Object::Array(kids))) => {
                for kid in &kids {
                    self.collect(kid, resources.clone(), depth + 1, seen, pages)?;
                }
                Ok(())
            }
            Some(_) => Err(damaged()),
            None => {
                pages.push((dict, resources));
                Ok(())
            }
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_last(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The object number and the start of `N G obj` when `obj` at `k` ends
/// one (a whole word, after two numbers at the start of a line or after
/// white space).
fn object_head(buf: &[u8], k: usize) -> Option<(u32, usize)> {
    if buf
        .get(k + 3)
        .is_some_and(|&c| !is_space(c) && !is_delimiter(c))
    {
        return None;
    }
    let digits_before = |end: usize| {
        let mut start = end;
        while start > 0 && buf[start - 1].is_ascii_digit() {
            start -= 1;
        }
        (start < end).then_some(start)
    };
    let spaces_before = |end: usize| {
        let mut start = end;
        while start > 0 && is_space(buf[start - 1]) {
            start -= 1;
        }
        (start < end).then_some(start)
    };
    let generation = digits_before(spaces_before(k)?)?;
    let number_end = spaces_before(generation)?;
    let start = digits_before(number_end)?;
    if start > 0 && !is_space(buf[start - 1]) && !is_delimiter(buf[start - 1]) {
        return None;
    }
    let number = std::str::from_utf8(&buf[start..number_end])
        .ok()?
        .parse()
        .ok()?;
    Some((number, start))
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// Why parsing stopped: the bytes ran out (read more), or they are not PDF.
#[derive(Debug, PartialEq, Eq)]
enum Bad {
    Eof,
    Syntax,
}

type Parsed<T> = Result<T, Bad>;

/// PDF objects read from bytes.
struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn skip_space(&mut self) {
        loop {
            while self.i < self.s.len() && is_space(self.s[self.i]) {
                self.i += 1;
            }
            if self.s.get(self.i) == Some(&b'%') {
                while self.i < self.s.len() && !matches!(self.s[self.i], b'\r' | b'\n') {
                    self.i += 1;
                }
            } else {
                return;
            }
        }
    }

    fn peek(&self) -> Parsed<u8> {
        self.s.get(self.i).copied().ok_or(Bad::Eof)
    }

    /// Whether `word` comes next (as a whole word); taken when it does.
    fn keyword(&mut self, word: &[u8]) -> bool {
        let rest = &self.s[self.i.min(self.s.len())..];
        let whole = rest.starts_with(word)
            && rest
                .get(word.len())
                .is_none_or(|&c| is_space(c) || is_delimiter(c));
        if whole {
            self.i += word.len();
        }
        whole
    }

    fn integer(&mut self) -> Parsed<i64> {
        self.skip_space();
        match self.number()? {
            Object::Integer(n) => Ok(n),
            _ => Err(Bad::Syntax),
        }
    }

    fn number(&mut self) -> Parsed<Object> {
        let start = self.i;
        while self.i < self.s.len() && matches!(self.s[self.i], b'0'..=b'9' | b'+' | b'-' | b'.') {
            self.i += 1;
        }
        if self.i == self.s.len() {
            return Err(Bad::Eof);
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| Bad::Syntax)?;
        if let Ok(n) = text.parse::<i64>() {
            return Ok(Object::Integer(n));
        }
        // Reals as writers write them: `.5`, `-0.25`, even `5.`.
        text.parse::<f32>()
            .map(Object::Real)
            .map_err(|_| Bad::Syntax)
    }

    fn object(&mut self, depth: u32) -> Parsed<Object> {
        if depth > MAX_DEPTH {
            return Err(Bad::Syntax);
        }
        self.skip_space();
        match self.peek()? {
            b'/' => self.name().map(Object::Name),
            b'<' if self.s.get(self.i + 1) == Some(&b'<') => {
                self.i += 2;
                let mut dict = Dictionary::new();
                loop {
                    self.skip_space();
                    if self.peek()? == b'>' {
                        if self.s.get(self.i + 1).ok_or(Bad::Eof)? != &b'>' {
                            return Err(Bad::Syntax);
                        }
                        self.i += 2;
                        return Ok(Object::Dictionary(dict));
                    }
                    if self.peek()? != b'/' {
                        return Err(Bad::Syntax);
                    }
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    dict.set(key, value);
                }
            }
            b'<' => self.hex_string(),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.peek()? == b']' {
                        self.i += 1;
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'(' => self.literal_string(),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let number = self.number()?;
                let Object::Integer(n) = number else {
                    return Ok(number);
                };
                // `12 0 R` is a reference.
                let back = self.i;
                self.skip_space();
                if self.peek()?.is_ascii_digit() {
                    let generation = self.number()?;
                    self.skip_space();
                    if let (Object::Integer(g), Ok(b'R')) = (generation, self.peek()) {
                        let after = self.s.get(self.i + 1).ok_or(Bad::Eof)?;
                        if is_space(*after) || is_delimiter(*after) {
                            self.i += 1;
                            let id = (
                                u32::try_from(n).map_err(|_| Bad::Syntax)?,
                                u16::try_from(g).map_err(|_| Bad::Syntax)?,
                            );
                            return Ok(Object::Reference(id));
                        }
                    }
                }
                self.i = back;
                Ok(Object::Integer(n))
            }
            _ => {
                if self.keyword(b"true") {
                    Ok(Object::Boolean(true))
                } else if self.keyword(b"false") {
                    Ok(Object::Boolean(false))
                } else if self.keyword(b"null") {
                    Ok(Object::Null)
                } else if self.s.len() - self.i < 5 {
                    Err(Bad::Eof)
                } else {
                    Err(Bad::Syntax)
                }
            }
        }
    }

    fn name(&mut self) -> Parsed<Vec<u8>> {
        self.i += 1;
        let mut name = Vec::new();
        loop {
            let c = self.peek()?;
            if is_space(c) || is_delimiter(c) {
                return Ok(name);
            }
            if c == b'#' {
                let hex = self.s.get(self.i + 1..self.i + 3).ok_or(Bad::Eof)?;
                let text = std::str::from_utf8(hex).map_err(|_| Bad::Syntax)?;
                name.push(u8::from_str_radix(text, 16).map_err(|_| Bad::Syntax)?);
                self.i += 3;
            } else {
                name.push(c);
                self.i += 1;
            }
        }
    }

    fn hex_string(&mut self) -> Parsed<Object> {
        self.i += 1;
        let mut digits = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'>' => break,
                c if is_space(c) => {}
                c => digits.push((c as char).to_digit(16).ok_or(Bad::Syntax)? as u8),
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(0);
        }
        let bytes = digits.chunks(2).map(|p| p[0] * 16 + p[1]).collect();
        Ok(Object::String(bytes, StringFormat::Hexadecimal))
    }

    fn literal_string(&mut self) -> Parsed<Object> {
        self.i += 1;
        let mut bytes = Vec::new();
        let mut open = 1;
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'(' => {
                    open += 1;
                    bytes.push(c);
                }
                b')' => {
                    open -= 1;
                    if open == 0 {
                        return Ok(Object::String(bytes, StringFormat::Literal));
                    }
                    bytes.push(c);
                }
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    match e {
                        b'n' => bytes.push(b'\n'),
                        b'r' => bytes.push(b'\r'),
                        b't' => bytes.push(b'\t'),
                        b'b' => bytes.push(8),
                        b'f' => bytes.push(12),
                        b'\r' => {
                            if self.s.get(self.i) == Some(&b'\n') {
                                self.i += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek()? {
                                    d @ b'0'..=b'7' => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.i += 1;
                                    }
                                    _ => break,
                                }
                            }
                            bytes.push(v as u8);
                        }
                        other => bytes.push(other),
                    }
                }
                c => bytes.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A PDF with a classic table: catalog, pages, one page whose image is
    /// drawn; `tail` is what follows the objects.
    fn classic(image: &[u8]) -> Vec<u8> {
        let mut pdf = crate::scan::archive::PdfWriter::new();
        let objects: Vec<Vec<u8>> = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /XObject << /Im1 4 0 R >> >> >>"
                .to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Note (a (nested) string\\051) /H <48 65 6C6C 6F> >>"
                .to_vec(),
            [
                b"<< /Type /XObject /Subtype /Image /Width 2 /Height 1 /Length 5 0 R /Na#6De /x >>\nstream\n"
                    .to_vec(),
                image.to_vec(),
                b"\nendstream".to_vec(),
            ]
            .concat(),
            image.len().to_string().into_bytes(),
        ];
        for body in &objects {
            pdf.object(body);
        }
        pdf.finish()
    }

    fn image_of(bytes: Vec<u8>) -> Vec<u8> {
        let mut pdf = Pdf::open(Cursor::new(bytes)).unwrap();
        let pages = pdf.pages().unwrap();
        assert_eq!(pages.len(), 1);
        let (page, resources) = &pages[0];
        assert_eq!(
            page.get(b"Note").unwrap(),
            &Object::String(b"a (nested) string)".to_vec(), StringFormat::Literal)
        );
        assert_eq!(page.get(b"H").unwrap().as_str().unwrap(), b"Hello");
        let resources = pdf.resolve(resources.as_ref().unwrap()).unwrap();
        let xobjects = resources
            .as_dict()
            .unwrap()
            .get(b"XObject")
            .unwrap()
            .clone();
        let image = pdf
            .resolve(xobjects.as_dict().unwrap().get(b"Im1").unwrap())
            .unwrap();
        let stream = image.as_stream().unwrap();
        assert_eq!(stream.dict.get(b"Name").unwrap().as_name().unwrap(), b"x");
        pdf.content(stream, 1 << 20).unwrap()
    }

    #[test]
    fn a_page_image_is_found_through_the_table_and_read_by_its_length() {
        let data = b"\x00\xff endstream inside";
        assert_eq!(image_of(classic(data)), data);
    }

    #[test]
    fn a_file_whose_table_is_gone_is_walked_for_its_objects() {
        let data = b"\x01\x02\x03";
        let mut bytes = classic(data);
        // The table's offsets all wrong, and startxref pointing nowhere.
        let at = find(&bytes, b"xref\n").unwrap();
        bytes.truncate(at);
        bytes.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\nstartxref\n999999\n%%EOF\n");
        assert_eq!(image_of(bytes), data);
    }

    #[test]
    fn a_cross_reference_stream_with_an_object_stream_is_read() {
        // Objects 1 and 2 in an object stream (3), the image (4) at an
        // offset; the table a Flate stream with the PNG Up predictor.
        let mut out = b"%PDF-1.5\n".to_vec();
        let catalog = "<< /Type /Catalog /Pages 2 0 R >> ";
        let header = format!("1 0 2 {} ", catalog.len());
        let first = header.len();
        let inner =
            format!("{header}{catalog}<< /Type /Pages /Kids [5 0 R] /Count 1 >>").into_bytes();
        let objstm_at = out.len();
        out.extend_from_slice(
            format!(
                "3 0 obj\n<< /Type /ObjStm /N 2 /First {first} /Length {} >>\nstream\n",
                inner.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&inner);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        let image_at = out.len();
        out.extend_from_slice(b"4 0 obj\n<< /Subtype /Image /Width 1 /Height 1 /Length 1 >>\nstream\n\x7f\nendstream\nendobj\n");
        let page_at = out.len();
        out.extend_from_slice(
            b"5 0 obj\n<< /Type /Page /Resources << /XObject << /Im 4 0 R >> >> >>\nendobj\n",
        );
        // Rows: type, offset (4 bytes), index.
        let rows: Vec<[u8; 6]> = [
            (0u8, 0u32, 0u8),
            (2, 3, 0),
            (2, 3, 1),
            (1, objstm_at as u32, 0),
            (1, image_at as u32, 0),
            (1, page_at as u32, 0),
        ]
        .iter()
        .map(|&(t, o, i)| {
            let o = o.to_be_bytes();
            [t, o[0], o[1], o[2], o[3], i]
        })
        .collect();
        let mut filtered = Vec::new();
        let mut previous = [0u8; 6];
        for row in &rows {
            filtered.push(2);
            filtered.extend(row.iter().zip(previous).map(|(a, b)| a.wrapping_sub(b)));
            previous = *row;
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut z, &filtered).unwrap();
        let table = z.finish().unwrap();
        let xref = out.len();
        out.extend_from_slice(
            format!(
                "6 0 obj\n<< /Type /XRef /Size 6 /W [1 4 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 6 >> /Length {} >>\nstream\n",
                table.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&table);
        out.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
        );
        let mut pdf = Pdf::open(Cursor::new(out)).unwrap();
        let pages = pdf.pages().unwrap();
        assert_eq!(pages.len(), 1);
        let resources = pages[0]
            .0
            .get(b"Resources")
            .unwrap()
            .as_dict()
            .unwrap()
            .clone();
        let xobjects = resources
            .get(b"XObject")
            .unwrap()
            .as_dict()
            .unwrap()
            .clone();
        let image = pdf.resolve(xobjects.get(b"Im").unwrap()).unwrap();
        assert_eq!(pdf.content(image.as_stream().unwrap(), 10).unwrap(), [0x7f]);
    }

    #[test]
    fn nonsense_and_loops_are_refused_without_a_panic() {
        for bytes in [
            b"%PDF-1.4\n".to_vec(),
            b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [2 0 R] >> endobj\ntrailer << /Root 1 0 R >>\n".to_vec(),
            [b"%PDF-1.4\n1 0 obj ".to_vec(), vec![b'['; 10_000], b" endobj trailer << /Root 1 0 R >>".to_vec()].concat(),
        ] {
            let opened = Pdf::open(Cursor::new(bytes));
            assert!(opened.is_err() || opened.unwrap().pages().is_err());
        }
    }
}

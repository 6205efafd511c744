//! A mock Salesforce REST API on 127.0.0.1 for the fetch tests: std `TcpListener`, one thread
//! per connection, HTTP/1.1 with `Connection: close`. It serves the Organization and
//! EventLogFile queries (paged through `nextRecordsUrl`), LogFile bodies (plain or gzip),
//! `/limits`, the OAuth token endpoint (JWT bearer, checked against the test's public key, and
//! client credentials), and faults injected per request path.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

pub const TOKEN: &str = "00DMOCKTOKEN!AQ4AQsecret-session-value-1234567890";
pub const API: &str = "/services/data/v62.0";

/// A fault served instead of the normal reply, once.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status and body.
    Status(u16, String),
    /// Headers with the full Content-Length, half the body, then the connection closes.
    ResetMidBody,
    /// A complete HTTP reply whose body is shorter than the record's LogFileLength.
    Short,
}

impl Fault {
    pub fn unavailable() -> Fault {
        Fault::Status(503, "Service Unavailable".into())
    }
    pub fn invalid_session() -> Fault {
        Fault::Status(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#.into(),
        )
    }
    pub fn limit_exceeded() -> Fault {
        Fault::Status(
            403,
            r#"[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]"#.into(),
        )
    }
}

/// One EventLogFile the mock holds.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub id: String,
    pub event_type: String,
    pub interval: String,
    pub log_date: String,
    pub sequence: i64,
    pub created_date: String,
    pub body: Vec<u8>,
    /// Served gzip-encoded when the client accepts it.
    pub gzip: bool,
}

impl LogFile {
    pub fn daily(id: &str, event_type: &str, day: &str, body: &[u8]) -> LogFile {
        LogFile {
            id: id.into(),
            event_type: event_type.into(),
            interval: "Daily".into(),
            log_date: format!("{day}T00:00:00.000+0000"),
            sequence: 0,
            created_date: format!("{day}T03:10:00.000+0000"),
            body: body.to_vec(),
            gzip: false,
        }
    }

    fn record(&self) -> Value {
        json!({
            "attributes": {"type": "EventLogFile", "url": format!("{API}/sobjects/EventLogFile/{}", self.id)},
            "Id": self.id,
            "EventType": self.event_type,
            "Interval": self.interval,
            "LogDate": self.log_date,
            "Sequence": self.sequence,
            "CreatedDate": self.created_date,
            "LogFileLength": self.body.len() as f64,
        })
    }
}

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// What the token endpoint accepts.
#[derive(Debug, Clone, Default)]
pub struct OAuth {
    pub client_id: String,
    pub username: String,
    /// RSAPublicKey DER of the test key.
    pub public_key: Vec<u8>,
    pub client_secret: String,
    /// Why the last assertion was refused, if it was.
    pub refused: Option<String>,
}

#[derive(Debug, Default)]
pub struct State {
    pub org_id: String,
    pub org_name: String,
    pub files: Vec<LogFile>,
    pub page_size: usize,
    pub limits: Value,
    pub faults: HashMap<String, VecDeque<Fault>>,
    pub seen: Vec<Seen>,
    pub oauth: OAuth,
    /// Status and body for every EventLogFile query (not queryable).
    pub event_log_query_error: Option<(u16, String)>,
}

/// The running mock.
pub struct Mock {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

impl Mock {
    pub fn start(org_id: &str, files: Vec<LogFile>) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            org_id: org_id.into(),
            org_name: "Globex Production".into(),
            files,
            page_size: 2,
            limits: json!({
                "DailyApiRequests": {"Max": 25000, "Remaining": 24000, "Workbench": {"Max": 0, "Remaining": 0}},
                "DailyBulkApiBatches": {"Max": 15000, "Remaining": 15000}
            }),
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        let own_base = base.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = Arc::clone(&shared);
                let b = own_base.clone();
                thread::spawn(move || {
                    let _ = serve(stream, &s, &b);
                });
            }
        });
        Mock { base, state }
    }

    pub fn fault(&self, path: &str, faults: &[Fault]) {
        let mut s = self.state.lock().unwrap();
        s.faults
            .entry(path.into())
            .or_default()
            .extend(faults.iter().cloned());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn clear_seen(&self) {
        self.state.lock().unwrap().seen.clear();
    }

    /// LogFile downloads received.
    pub fn downloads(&self) -> usize {
        self.seen()
            .iter()
            .filter(|r| r.path.ends_with("/LogFile"))
            .count()
    }

    /// REST API requests received (everything but the token endpoint).
    pub fn api_requests(&self) -> usize {
        self.seen()
            .iter()
            .filter(|r| r.path.starts_with("/services/data/"))
            .count()
    }

    pub fn log_file_path(id: &str) -> String {
        format!("{API}/sobjects/EventLogFile/{id}/LogFile")
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, base: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    let seen = Seen {
        method,
        path: path.clone(),
        query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let reply = {
        let mut s = state.lock().unwrap();
        s.seen.push(seen.clone());
        let fault = s.faults.get_mut(&path).and_then(VecDeque::pop_front);
        route(&mut s, &seen, fault, base)
    };
    let mut out = stream;
    reply.write(&mut out)
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Bytes of the body actually sent before the connection closes.
    cut_at: Option<usize>,
}

impl Reply {
    fn json(status: u16, v: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
            cut_at: None,
        }
    }
    fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            cut_at: None,
        }
    }
    fn write(self, out: &mut TcpStream) -> std::io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
            self.status,
            self.body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes())?;
        let n = self.cut_at.unwrap_or(self.body.len());
        out.write_all(&self.body[..n])?;
        out.flush()?;
        let _ = out.shutdown(std::net::Shutdown::Both);
        Ok(())
    }
}

fn route(s: &mut State, r: &Seen, fault: Option<Fault>, base: &str) -> Reply {
    if r.path == "/services/oauth2/token" {
        return token(s, r, base);
    }
    let authorized = r.headers.get("authorization").map(String::as_str) == Some(&format!("Bearer {TOKEN}"));
    if !authorized {
        return Reply::text(
            401,
            r#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#,
        );
    }
    if let Some(Fault::Status(code, body)) = &fault {
        return Reply::text(*code, body);
    }
    let mut reply = if r.path == format!("{API}/limits") {
        Reply::json(200, &s.limits)
    } else if r.path == format!("{API}/query") {
        let q = decode(r.query.strip_prefix("q=").unwrap_or(""));
        if q.contains("FROM Organization") {
            let rec = json!({"Id": s.org_id, "Name": s.org_name});
            Reply::json(200, &json!({"totalSize": 1, "done": true, "records": [rec]}))
        } else if let Some((code, body)) = &s.event_log_query_error {
            Reply::text(*code, body)
        } else {
            page(s, 0)
        }
    } else if let Some(n) = r.path.strip_prefix(&format!("{API}/query/01gMOCK-")) {
        page(s, n.parse().unwrap_or(usize::MAX))
    } else if let Some(id) = r
        .path
        .strip_prefix(&format!("{API}/sobjects/EventLogFile/"))
        .and_then(|p| p.strip_suffix("/LogFile"))
    {
        match s.files.iter().find(|f| f.id == id) {
            Some(f) => log_file(f, r),
            None => Reply::text(
                404,
                r#"[{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]"#,
            ),
        }
    } else {
        Reply::text(404, r#"[{"errorCode":"NOT_FOUND","message":"no such resource"}]"#)
    };
    match fault {
        Some(Fault::ResetMidBody) => reply.cut_at = Some(reply.body.len() / 2),
        Some(Fault::Short) => {
            let keep = reply.body.len() / 2;
            reply.body.truncate(keep);
            reply.headers.retain(|(k, _)| k != "Content-Encoding");
        }
        _ => {}
    }
    reply
}

fn page(s: &State, n: usize) -> Reply {
    let size = s.page_size.max(1);
    let records: Vec<Value> = s
        .files
        .iter()
        .skip(n * size)
        .take(size)
        .map(LogFile::record)
        .collect();
    let done = (n + 1) * size >= s.files.len();
    let mut v = json!({"totalSize": s.files.len(), "done": done, "records": records});
    if !done {
        v["nextRecordsUrl"] = json!(format!("{API}/query/01gMOCK-{}", n + 1));
    }
    Reply::json(200, &v)
}

fn log_file(f: &LogFile, r: &Seen) -> Reply {
    let accepts_gzip = r
        .headers
        .get("accept-encoding")
        .is_some_and(|v| v.contains("gzip"));
    let mut reply = Reply {
        status: 200,
        headers: vec![("Content-Type".into(), "application/octetstream".into())],
        body: f.body.clone(),
        cut_at: None,
    };
    if f.gzip && accepts_gzip {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&f.body).unwrap();
        reply.body = enc.finish().unwrap();
        reply.headers.push(("Content-Encoding".into(), "gzip".into()));
    }
    reply
}

fn token(s: &mut State, r: &Seen, base: &str) -> Reply {
    let form: HashMap<String, String> = r
        .body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let ok = || {
        Reply::json(
            200,
            &json!({"access_token": TOKEN, "instance_url": base, "token_type": "Bearer"}),
        )
    };
    let refuse = |why: &str| Reply::json(400, &json!({"error": "invalid_grant", "error_description": why}));
    match form.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            match check_assertion(
                &s.oauth,
                form.get("assertion").map(String::as_str).unwrap_or(""),
                base,
            ) {
                Ok(()) => ok(),
                Err(why) => {
                    s.oauth.refused = Some(why.clone());
                    refuse(&why)
                }
            }
        }
        Some("client_credentials") => {
            let good = form.get("client_id") == Some(&s.oauth.client_id)
                && form.get("client_secret") == Some(&s.oauth.client_secret);
            if good {
                ok()
            } else {
                refuse("invalid client credentials")
            }
        }
        _ => refuse("unsupported grant type"),
    }
}

/// Checks the JWT's header, claims and RS256 signature against the test's public key.
fn check_assertion(o: &OAuth, jwt: &str, audience: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not three parts".into());
    };
    let decode_json = |p: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD.decode(p).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let h = decode_json(header)?;
    let c = decode_json(claims)?;
    if h["alg"] != "RS256" {
        return Err(format!("alg {}", h["alg"]));
    }
    if c["iss"] != o.client_id.as_str() || c["sub"] != o.username.as_str() || c["aud"] != audience {
        return Err(format!("claims {c}"));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let exp = c["exp"].as_i64().ok_or("no exp")?;
    if exp <= now || exp > now + 600 {
        return Err(format!("exp {exp} vs now {now}"));
    }
    let sig = URL_SAFE_NO_PAD.decode(signature).map_err(|e| e.to_string())?;
    let key =
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &o.public_key);
    key.verify(format!("{header}.{claims}").as_bytes(), &sig)
        .map_err(|_| "bad signature".to_string())
}

/// Percent-decoding (and `+` as space) for query strings and forms.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

//! `apiusage fetch` against a mock Salesforce REST API on 127.0.0.1: layout, paging, gzip,
//! atomic writes, the state file, retries, faults and their messages, the three ways to
//! authenticate, the call budget, and `report` on the fetched folder.

mod common;
mod fetch_support;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::{apiusage, atu_csv, Call};
use fetch_support::{Fault, LogFile, Mock, OAuth, TOKEN};

const ORG18: &str = "00D5j000000VI3nEAG";
const ORG: &str = "00D5j000000VI3n";

fn body(day: &str, rid: &str) -> Vec<u8> {
    atu_csv(&[
        Call::at(&format!("{day}T10:00:00.000Z"), &format!("{rid}-1")),
        Call::at(&format!("{day}T11:00:00.000Z"), &format!("{rid}-2")),
    ])
    .into_bytes()
}

/// Three daily files (one served gzip-encoded) and one hourly, paged two per page.
fn files() -> Vec<LogFile> {
    let mut gz = LogFile::daily(
        "0AT000000000002AAA",
        "ApiTotalUsage",
        "2026-11-03",
        &body("2026-11-03", "b"),
    );
    gz.gzip = true;
    let mut hourly = LogFile::daily(
        "0AT000000000004AAA",
        "ApiTotalUsage",
        "2026-11-04",
        &body("2026-11-04", "d"),
    );
    hourly.interval = "Hourly".into();
    hourly.log_date = "2026-11-04T10:00:00.000+0000".into();
    hourly.sequence = 2;
    vec![
        LogFile::daily(
            "0AT000000000001AAA",
            "ApiTotalUsage",
            "2026-11-02",
            &body("2026-11-02", "a"),
        ),
        gz,
        LogFile::daily(
            "0AT000000000003AAA",
            "Login",
            "2026-11-02",
            b"\"EVENT_TYPE\"\n\"Login\"\n",
        ),
        hourly,
    ]
}

/// `fetch` with a token from the environment, tiny retry delays and no progress.
fn fetch(mock: &Mock, out: &Path) -> Command {
    let mut cmd = apiusage();
    cmd.arg("fetch")
        .arg("--out")
        .arg(out)
        .args(["--interval", "both", "--retry-delay-ms", "1", "--quiet"])
        .env("SF_ACCESS_TOKEN", TOKEN)
        .env("SF_INSTANCE_URL", &mock.base);
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn daily(day: &str) -> PathBuf {
    PathBuf::from(format!("{ORG}/ApiTotalUsage/{day}_Daily.csv"))
}

#[test]
fn fetch_writes_every_page_and_file_into_the_layout() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("logs");
    let (code, stdout, stderr) = run(&mut fetch(&mock, &out));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        tree(&out),
        [
            ".apiusage/fetch-state.json",
            ".apiusage/marker.json",
            "00D5j000000VI3n/ApiTotalUsage/2026-11-02_Daily.csv",
            "00D5j000000VI3n/ApiTotalUsage/2026-11-03_Daily.csv",
            "00D5j000000VI3n/ApiTotalUsage/2026-11-04_Hourly_10_seq2.csv",
            "00D5j000000VI3n/Login/2026-11-02_Daily.csv",
            "00D5j000000VI3n/limits.json",
            "00D5j000000VI3n/org.json",
        ]
    );
    // The gzip-encoded file is stored decoded, byte for byte.
    assert_eq!(
        fs::read(out.join(daily("2026-11-03"))).unwrap(),
        body("2026-11-03", "b")
    );
    assert_eq!(
        fs::read(out.join(daily("2026-11-02"))).unwrap(),
        body("2026-11-02", "a")
    );
    let gz_request = mock
        .seen()
        .into_iter()
        .find(|r| r.path == Mock::log_file_path("0AT000000000002AAA"))
        .unwrap();
    assert!(gz_request.headers["accept-encoding"].contains("gzip"));
    let marker: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(".apiusage/marker.json")).unwrap()).unwrap();
    assert_eq!(marker["kind"], "fetch");
    let org: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(ORG).join("org.json")).unwrap()).unwrap();
    assert_eq!(
        (org["org_id"].as_str(), org["name"].as_str()),
        (Some(ORG18), Some("Globex Production"))
    );
    let limits: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join(ORG).join("limits.json")).unwrap()).unwrap();
    assert_eq!(limits["DailyApiRequests"]["Max"], 25000);
    assert!(limits["apiusage"]["fetched_at"].as_str().unwrap().ends_with('Z'));
    // Organization 1 + /limits 1 + 2 query pages + 4 downloads.
    assert_eq!(mock.api_requests(), 8);
    assert!(stdout.contains("4 file(s) downloaded"), "{stdout}");
    assert!(stdout.ends_with("fetch used 8 API calls\n"), "{stdout}");
}

#[test]
fn a_second_fetch_downloads_nothing_and_queries_from_the_last_created_date() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&mut fetch(&mock, dir.path())).0, 0);
    mock.clear_seen();
    let (code, stdout, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mock.downloads(), 0);
    assert!(
        stdout.contains("0 file(s) downloaded (0 kB), 4 already up to date"),
        "{stdout}"
    );
    let query = mock
        .seen()
        .into_iter()
        .map(|r| fetch_support::decode(&r.query))
        .find(|q| q.contains("FROM EventLogFile"))
        .unwrap();
    assert!(
        query.contains(
            "(EventType = 'ApiTotalUsage' AND Interval = 'Daily' AND CreatedDate >= 2026-11-03T03:10:00Z)"
        ),
        "{query}"
    );
    assert!(
        query.contains("(EventType = 'API' AND Interval = 'Daily')"),
        "{query}"
    );
}

#[test]
fn a_regenerated_file_replaces_the_older_copy() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&mut fetch(&mock, dir.path())).0, 0);
    let newer = body("2026-11-02", "regenerated");
    {
        let mut s = mock.state.lock().unwrap();
        let f = &mut s.files[0];
        f.id = "0AT000000000009AAA".into();
        f.created_date = "2026-11-05T03:10:00.000+0000".into();
        f.body = newer.clone();
    }
    mock.clear_seen();
    let (code, stdout, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mock.downloads(), 1, "{stdout}");
    assert_eq!(fs::read(dir.path().join(daily("2026-11-02"))).unwrap(), newer);
}

#[test]
fn a_503_a_429_and_a_connection_reset_mid_body_are_retried() {
    let mock = Mock::start(ORG18, files());
    mock.fault(&format!("{}/query", fetch_support::API), &[Fault::unavailable()]);
    mock.fault(
        &format!("{}/limits", fetch_support::API),
        &[Fault::Status(429, "slow down".into())],
    );
    mock.fault(
        &Mock::log_file_path("0AT000000000001AAA"),
        &[Fault::ResetMidBody, Fault::unavailable()],
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        fs::read(dir.path().join(daily("2026-11-02"))).unwrap(),
        body("2026-11-02", "a")
    );
    // Every attempt is a call: 8 + the 503 on the first query + the 429 + the reset and the 503.
    assert!(stdout.ends_with("fetch used 12 API calls\n"), "{stdout}");
}

#[test]
fn a_body_shorter_than_log_file_length_is_retried_and_never_kept() {
    let mock = Mock::start(ORG18, files());
    let short = Mock::log_file_path("0AT000000000001AAA");
    mock.fault(&short, &[Fault::Short, Fault::Short]);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(fetch(&mock, dir.path()).args(["--attempts", "3"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        fs::read(dir.path().join(daily("2026-11-02"))).unwrap(),
        body("2026-11-02", "a")
    );

    let mock = Mock::start(ORG18, files());
    mock.fault(&short, &[Fault::Short, Fault::Short, Fault::Short]);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(fetch(&mock, dir.path()).args(["--attempts", "3"]));
    assert_eq!(code, 2, "{stdout}");
    let n = body("2026-11-02", "a").len();
    let expected = format!(
        "still failed after 3 attempts: the body ended after {} of {n} bytes (LogFileLength)",
        n / 2
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!dir.path().join(daily("2026-11-02")).exists());
    // The other files are complete and stay; nothing partial is left.
    assert!(dir.path().join(daily("2026-11-03")).exists());
    assert!(
        tree(dir.path()).iter().all(|p| !p.contains("partial")),
        "{:?}",
        tree(dir.path())
    );
    assert!(stdout.contains("fetch used"), "{stdout}");
}

#[test]
fn an_interrupted_fetch_is_finished_by_a_rerun_without_partial_files() {
    let mock = Mock::start(ORG18, files());
    let cut = Mock::log_file_path("0AT000000000002AAA");
    mock.fault(&cut, &[Fault::ResetMidBody, Fault::ResetMidBody]);
    let dir = tempfile::tempdir().unwrap();
    // What a killed run leaves behind: a half-written download under fetch's own suffix.
    let stale = dir
        .path()
        .join(ORG)
        .join("Login/2026-11-02_Daily.csv.apiusage-partial");
    fs::create_dir_all(stale.parent().unwrap()).unwrap();
    fs::write(&stale, "\"EVENT_TY").unwrap();
    let (code, _, stderr) = run(fetch(&mock, dir.path()).args(["--attempts", "2"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("connection dropped mid-body"), "{stderr}");
    assert!(!dir.path().join(daily("2026-11-03")).exists());
    mock.clear_seen();
    let (code, stdout, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mock.downloads(), 1, "{stdout}");
    assert_eq!(
        fs::read(dir.path().join(daily("2026-11-03"))).unwrap(),
        body("2026-11-03", "b")
    );
    let files = tree(dir.path());
    assert_eq!(
        files.iter().filter(|p| p.ends_with(".csv")).count(),
        4,
        "{files:?}"
    );
    assert!(files.iter().all(|p| !p.contains("partial")), "{files:?}");
}

#[test]
fn an_invalid_session_says_how_to_authenticate_again_and_never_shows_the_token() {
    let mock = Mock::start(ORG18, files());
    mock.fault(
        &format!("{}/query", fetch_support::API),
        &[Fault::invalid_session()],
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "apiusage: error: {}: Salesforce refused the session (INVALID_SESSION_ID)",
            mock.base.trim_start_matches("http://")
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("set SF_ACCESS_TOKEN to it and re-run"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));
    assert_eq!(mock.api_requests(), 1, "no retry of a refused session");
}

#[test]
fn request_limit_exceeded_stops_at_once() {
    let mock = Mock::start(ORG18, files());
    mock.fault(
        &Mock::log_file_path("0AT000000000001AAA"),
        &[Fault::limit_exceeded()],
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(fetch(&mock, dir.path()).args(["--jobs", "1"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("REQUEST_LIMIT_EXCEEDED (TotalRequests Limit exceeded.)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("over its rolling 24-hour API allocation"),
        "{stderr}"
    );
    assert!(
        stderr.contains("every query page and download it makes is one more API call"),
        "{stderr}"
    );
    // The refused download was the first: nothing was asked after it.
    assert_eq!(mock.downloads(), 1);
    assert!(stdout.contains("fetch used 5 API calls"), "{stdout}");
}

#[test]
fn event_log_file_not_queryable_names_the_permission() {
    let mock = Mock::start(ORG18, files());
    mock.state.lock().unwrap().event_log_query_error = Some((
        400,
        r#"[{"message":"sObject type 'EventLogFile' is not supported.","errorCode":"INVALID_TYPE"}]"#.into(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("EventLogFile cannot be queried (INVALID_TYPE"),
        "{stderr}"
    );
    assert!(stderr.contains("\"View Event Log Files\""), "{stderr}");
}

#[test]
fn max_calls_stops_before_the_budget_is_exceeded() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(fetch(&mock, dir.path()).args(["--max-calls", "5", "--jobs", "1"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("stopped before exceeding --max-calls 5"),
        "{stderr}"
    );
    assert_eq!(mock.api_requests(), 5);
    assert!(stdout.contains("fetch used 5 API calls"), "{stdout}");
    // The re-run finishes the job.
    let (code, _, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(tree(dir.path()).iter().filter(|p| p.ends_with(".csv")).count(), 4);
}

fn oauth(mock: &Mock) {
    mock.state.lock().unwrap().oauth = OAuth {
        client_id: "3MVGmockConsumerKey".into(),
        username: "integration@globex.example".into(),
        public_key: fs::read(fixture("test_public_key_pkcs1.der")).unwrap(),
        client_secret: "mock-consumer-secret".into(),
        refused: None,
    };
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fetch")
        .join(name)
}

fn jwt_fetch(mock: &Mock, out: &Path, key: &str) -> Command {
    let mut cmd = apiusage();
    cmd.arg("fetch")
        .arg("--out")
        .arg(out)
        .args([
            "--client-id",
            "3MVGmockConsumerKey",
            "--username",
            "integration@globex.example",
        ])
        .arg("--jwt-key-file")
        .arg(fixture(key))
        .args(["--login-url", &mock.base, "--retry-delay-ms", "1"]);
    cmd
}

#[test]
fn the_jwt_bearer_flow_signs_the_claims_with_rs256_pkcs8_and_pkcs1() {
    for key in ["test_key_pkcs8.pem", "test_key_pkcs1.pem"] {
        let mock = Mock::start(ORG18, files());
        oauth(&mock);
        let dir = tempfile::tempdir().unwrap();
        let (code, stdout, stderr) = run(&mut jwt_fetch(&mock, dir.path(), key));
        assert_eq!(
            code,
            0,
            "{key}: {stderr} {:?}",
            mock.state.lock().unwrap().oauth.refused
        );
        assert!(
            stdout.ends_with("fetch used 8 API calls (and 1 OAuth token request(s), which are logins)\n"),
            "{stdout}"
        );
        let disk: Vec<u8> = tree(dir.path())
            .iter()
            .flat_map(|p| fs::read(dir.path().join(p)).unwrap())
            .collect();
        assert!(
            !String::from_utf8_lossy(&disk).contains(TOKEN),
            "the token reached the disk"
        );
    }
}

#[test]
fn a_refused_assertion_says_what_to_check() {
    let mock = Mock::start(ORG18, files());
    oauth(&mock);
    mock.state.lock().unwrap().oauth.username = "someone.else@globex.example".into();
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&mut jwt_fetch(&mock, dir.path(), "test_key_pkcs8.pem"));
    assert_eq!(code, 2);
    assert!(stderr.contains("the JWT bearer flow was refused by"), "{stderr}");
    assert!(stderr.contains("(invalid_grant: claims"), "{stderr}");
    assert!(stderr.contains("pre-authorized"), "{stderr}");
    assert_eq!(mock.api_requests(), 0);
}

#[test]
fn the_client_credentials_flow_uses_sf_client_secret() {
    let mock = Mock::start(ORG18, files());
    oauth(&mock);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = apiusage();
    cmd.arg("fetch")
        .arg("--out")
        .arg(dir.path())
        .args(["--client-id", "3MVGmockConsumerKey", "--login-url", &mock.base])
        .env("SF_CLIENT_SECRET", "mock-consumer-secret")
        // Explicit flags win over the environment's token.
        .env("SF_ACCESS_TOKEN", "not-this-one")
        .env("SF_INSTANCE_URL", "https://unused.example.com");
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: SF_ACCESS_TOKEN ignored: --client-id wins"),
        "{stderr}"
    );
    assert!(stdout.contains("4 file(s) downloaded"), "{stdout}");
    let token_request = mock
        .seen()
        .into_iter()
        .find(|r| r.path == "/services/oauth2/token")
        .unwrap();
    assert!(
        token_request.body.starts_with("grant_type=client_credentials&"),
        "{}",
        token_request.body
    );
}

/// A stub `sf` on PATH that knows the aliases given (alias → instance URL).
fn sf_stub(aliases: &[(&str, &str)]) -> (tempfile::TempDir, String) {
    let bin = tempfile::tempdir().unwrap();
    let mut script = String::from(
        "#!/bin/sh\n[ \"$1 $2 $3 $5\" = \"org display --target-org --json\" ] || exit 3\ncase \"$4\" in\n",
    );
    for (alias, base) in aliases {
        let reply = serde_json::json!({
            "status": 0,
            "result": {"accessToken": TOKEN, "instanceUrl": base, "alias": alias}
        });
        script.push_str(&format!("{alias}) cat <<'EOF'\n{reply}\nEOF\n;;\n"));
    }
    script.push_str(
        "*) echo '{\"status\":1,\"name\":\"NoOrgFound\",\"message\":\"No authorization information found for '\"$4\"'.\"}'; exit 1;;\nesac\n",
    );
    let sf = bin.path().join("sf");
    fs::write(&sf, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&sf, fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.path().display());
    (bin, path)
}

#[test]
fn target_org_asks_the_salesforce_cli_for_each_org() {
    let globex = Mock::start(ORG18, files());
    let initech = Mock::start("00D7Q000000InTcUAK", files()[..1].to_vec());
    initech.state.lock().unwrap().org_name = "Initech EU".into();
    let (_bin, path) = sf_stub(&[("globex", &globex.base), ("initech", &initech.base)]);
    let dir = tempfile::tempdir().unwrap();
    let mut ok = apiusage();
    ok.arg("fetch")
        .arg("--out")
        .arg(dir.path())
        .args(["--target-org", "globex", "--target-org", "initech"])
        .env("PATH", &path);
    let (code, stdout, stderr) = run(&mut ok);
    assert_eq!(code, 0, "{stderr}");
    // No --quiet, but stderr is a pipe: no progress line.
    assert_eq!(stderr, "");
    assert_eq!(
        stdout.lines().take(2).collect::<Vec<_>>(),
        [
            "globex: org 00D5j000000VI3n (Globex Production): 4 file(s) downloaded (3 kB), 0 already up to date",
            "initech: org 00D7Q000000InTc (Initech EU): 1 file(s) downloaded (1 kB), 0 already up to date",
        ]
    );
    // Per org: Organization, /limits, query pages (2 and 1), downloads (4 and 1).
    assert!(stdout.ends_with("fetch used 12 API calls\n"), "{stdout}");
    assert!(dir
        .path()
        .join("00D7Q000000InTc/ApiTotalUsage/2026-11-02_Daily.csv")
        .is_file());

    // An unknown alias fails with the CLI's message and how to log in; the other org still runs.
    let mut unknown = apiusage();
    unknown
        .arg("fetch")
        .arg("--out")
        .arg(dir.path())
        .args(["--target-org", "nope", "--target-org", "initech"])
        .env("PATH", &path);
    let (code, stdout, stderr) = run(&mut unknown);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(
            "nope: `sf org display --target-org nope --json` failed (status 1): No authorization information found for nope."
        ),
        "{stderr}"
    );
    assert!(stderr.contains("sf org login web --alias nope"), "{stderr}");
    assert!(stdout.starts_with("initech: org 00D7Q000000InTc"), "{stdout}");
}

#[test]
fn https_proxy_is_used_for_https_instances() {
    // The mock plays the proxy: it only has to see the CONNECT.
    let proxy = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = apiusage();
    cmd.arg("fetch")
        .arg("--out")
        .arg(dir.path())
        .args(["--attempts", "1"])
        .env("SF_ACCESS_TOKEN", TOKEN)
        .env("SF_INSTANCE_URL", "https://globex.my.salesforce.com")
        .env("HTTPS_PROXY", &proxy.base);
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2, "{stderr}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("CONNECT", "globex.my.salesforce.com:443")
    );
    assert!(!stderr.contains(TOKEN));
}

#[test]
fn only_https_instances_receive_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = apiusage();
    cmd.arg("fetch")
        .arg("--out")
        .arg(dir.path())
        .env("SF_ACCESS_TOKEN", TOKEN)
        .env("SF_INSTANCE_URL", "http://globex.my.salesforce.com");
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("SF_INSTANCE_URL: http://globex.my.salesforce.com: only https:// URLs"),
        "{stderr}"
    );
}

/// The sample's Globex files, served as EventLogFile records (decoded from .gz where needed).
fn globex_files() -> Vec<LogFile> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs/globex-prod");
    let mut names: Vec<_> = fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    names.sort();
    names
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let raw = fs::read(path).unwrap();
            let plain = if name.ends_with(".gz") {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut out).unwrap();
                out
            } else {
                raw
            };
            let mut parts = name.split('_');
            let event_type = parts.next().unwrap();
            let day = parts.next().unwrap();
            let mut f = LogFile::daily(&format!("0AT00000000{i:04}AAA"), event_type, day, &plain);
            f.gzip = i % 2 == 0;
            f
        })
        .collect()
}

#[test]
fn report_on_a_fetched_folder_gives_the_same_numbers_as_on_the_source_files() {
    let mock = Mock::start("00D4x000001GlBxEAK", globex_files());
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let (code, _, stderr) = run(&mut fetch(&mock, &logs));
    assert_eq!(code, 0, "{stderr}");

    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs/globex-prod");
    let limits = dir.path().join("limits.json");
    fs::write(&limits, r#"{"DailyApiRequests":{"Max":25000,"Remaining":24000}}"#).unwrap();
    let limits_flag = limits.display().to_string();
    let (c1, e1, from_source) =
        common::report(&[&source], &dir.path().join("r1"), &["--limits", &limits_flag]);
    let (c2, e2, from_fetch) = common::report(&[&logs], &dir.path().join("r2"), &[]);
    assert_eq!((c1, c2), (0, 0), "{e1}\n{e2}");
    let numbers = |s: &serde_json::Value| {
        let org = &s["orgs"][0];
        serde_json::json!({
            "org": org["org_id"],
            "counted": org["counted_calls"],
            "not_counted": org["not_counted_calls"],
            "peak": org["peak"],
            "allocation": org["allocation"]["calls"],
            "integrations": org["integrations"].as_array().unwrap().iter()
                .map(|i| (i["key"].clone(), i["counted_calls"].clone(), i["peak"].clone()))
                .collect::<Vec<_>>(),
            "rows": s["data_quality"]["rows_read"],
            "used": s["data_quality"]["rows_used"],
        })
    };
    assert_eq!(numbers(&from_source), numbers(&from_fetch));
    assert!(from_fetch["orgs"][0]["counted_calls"].as_u64().unwrap() > 0);
    // Only fetch's bookkeeping is passed over, nothing else.
    let skipped: Vec<String> = from_fetch["data_quality"]["files"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_str()
                .or_else(|| p["path"].as_str())
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        skipped,
        ["limits.json", "org.json"],
        "{}",
        from_fetch["data_quality"]
    );
    // The fetch folder's limits.json is the allocation source and org.json names the org.
    let org = &from_fetch["orgs"][0];
    assert_eq!(org["allocation"]["source"], "limits");
    assert!(
        org["allocation"]["detail"]
            .as_str()
            .unwrap()
            .contains("read by fetch at"),
        "{}",
        org["allocation"]
    );
    assert_eq!(org["name"], "Globex Production");
    // The reading is from now, after the logs end: shown, not compared.
    let meter = &org["allocation"]["meter"];
    assert_eq!(meter["used"], 1000);
    assert!(meter["rebuilt_from_logs"].is_null());
    assert!(
        meter["note"].as_str().unwrap().contains("cannot be compared yet"),
        "{meter}"
    );
    // An explicit --allocation still wins.
    let (_, _, explicit) = common::report(&[&logs], &dir.path().join("r3"), &["--allocation", "9000"]);
    assert_eq!(explicit["orgs"][0]["allocation"]["calls"], 9000);
    // Salesforce's meter is still shown beside it.
    assert_eq!(explicit["orgs"][0]["allocation"]["meter"]["used"], 1000);
}

#[test]
fn the_report_shows_salesforces_meter_beside_the_usage_rebuilt_at_that_instant() {
    // A fetch folder whose /limits reading falls inside the logs: 2 counted calls in the 24 h
    // before 2026-11-02T10:30, Salesforce said 5.
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let org = logs.join(common::ORG);
    fs::create_dir_all(org.join("ApiTotalUsage")).unwrap();
    let calls = [
        Call::at("2026-11-02T10:00:00.000Z", "r1"),
        Call::at("2026-11-02T10:10:00.000Z", "r2"),
        Call::at("2026-11-02T11:00:00.000Z", "r3"),
    ];
    fs::write(
        org.join("ApiTotalUsage/2026-11-02_Hourly_10_seq1.csv"),
        atu_csv(&calls),
    )
    .unwrap();
    fs::write(
        org.join("limits.json"),
        r#"{"DailyApiRequests":{"Max":15000,"Remaining":14995},"apiusage":{"fetched_at":"2026-11-02T10:30:00Z"}}"#,
    )
    .unwrap();
    fs::create_dir_all(logs.join(".apiusage")).unwrap();
    fs::write(
        logs.join(".apiusage/marker.json"),
        r#"{"tool":"apiusage","kind":"fetch","schema_version":1}"#,
    )
    .unwrap();
    let out = dir.path().join("report");
    let (code, stderr, summary) = common::report(&[&logs], &out, &[]);
    assert_eq!(code, 0, "{stderr}");
    let meter = &summary["orgs"][0]["allocation"]["meter"];
    assert_eq!(meter["used"], 5);
    assert_eq!(meter["rebuilt_from_logs"], 2);
    assert_eq!(meter["difference"], 3);
    assert_eq!(meter["at"], "2026-11-02T10:30:00Z");
    let md = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("- Salesforce's meter: Salesforce's meter read 5 calls at 2026-11-02T10:30:00Z (Max − Remaining); the logs give 2 for the same 24 hours, a difference of +3."),
        "{md}"
    );
}

#[test]
fn an_overlapping_fetch_into_the_same_folder_is_refused() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".apiusage")).unwrap();
    // This test process plays the fetch that is still running.
    fs::write(
        dir.path().join(".apiusage/fetch.lock"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let (code, _, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!(
            "another fetch (process {}) is writing",
            std::process::id()
        )),
        "{stderr}"
    );
    assert_eq!(mock.api_requests(), 0);
    // A lock left by a run that is gone is taken over, and released at the end.
    fs::write(dir.path().join(".apiusage/fetch.lock"), "4294967295\n").unwrap();
    let (code, _, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 0, "{stderr}");
    assert!(!dir.path().join(".apiusage/fetch.lock").exists());
}

#[test]
fn fetch_never_takes_over_a_report_folder() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join(".apiusage")).unwrap();
    let marker = r#"{"tool":"apiusage","kind":"report","schema_version":1}"#;
    fs::write(dir.path().join(".apiusage/marker.json"), marker).unwrap();
    let (code, _, stderr) = run(&mut fetch(&mock, dir.path()));
    assert_eq!(code, 2);
    assert!(stderr.contains("is an apiusage report folder"), "{stderr}");
    assert!(stderr.contains("give fetch a folder of its own"), "{stderr}");
    assert_eq!(
        fs::read_to_string(dir.path().join(".apiusage/marker.json")).unwrap(),
        marker
    );
    assert_eq!(mock.api_requests(), 0);
}

#[test]
fn a_session_that_expires_mid_run_is_renewed_once_by_the_jwt_flow() {
    let mock = Mock::start(ORG18, files());
    oauth(&mock);
    mock.fault(
        &Mock::log_file_path("0AT000000000003AAA"),
        &[Fault::invalid_session()],
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        run(jwt_fetch(&mock, dir.path(), "test_key_pkcs8.pem").args(["--jobs", "1"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("(and 2 OAuth token request(s)"), "{stdout}");
    assert_eq!(tree(dir.path()).iter().filter(|p| p.ends_with(".csv")).count(), 4);
    // The files done before the 401 were not downloaded again.
    assert_eq!(mock.downloads(), 5);
}

#[test]
fn files_moved_away_leave_the_state() {
    let mock = Mock::start(ORG18, files());
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run(&mut fetch(&mock, dir.path())).0, 0);
    fs::remove_file(dir.path().join(daily("2026-11-02"))).unwrap();
    let state = |d: &Path| fs::read_to_string(d.join(".apiusage/fetch-state.json")).unwrap();
    assert!(state(dir.path()).contains("2026-11-02_Daily.csv"));
    // The org no longer lists anything new: the removed file leaves the state.
    mock.state.lock().unwrap().files.clear();
    assert_eq!(run(&mut fetch(&mock, dir.path())).0, 0);
    let after = state(dir.path());
    assert!(!after.contains("ApiTotalUsage/2026-11-02_Daily.csv"), "{after}");
    assert!(after.contains("ApiTotalUsage/2026-11-03_Daily.csv"), "{after}");
}

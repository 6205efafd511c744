//! What happens in the three sample orgs over 2026-11-02 .. 2026-11-04 (UTC).
//!
//! Each integration is a small generator with its own PRNG stream, so its traffic is stable
//! when another one is tuned. Volumes are chosen for the planted findings: in Acme Dev the ERP
//! sync alone peaks at ~60 % of 15,000 while the org stays near (not over) the limit.

use super::cast;
use super::ids;
use super::model::{Actor, Call, LoginEvent};
use super::rng::{fnv1a, Rng};
use super::time::{self, midnight_ms, DAY_MS, HOUR_MS, MINUTE_MS};

/// Midnight UTC of the first sample day.
pub(crate) const START_MS: i64 = midnight_ms(2026, 11, 2);
/// Number of sample days.
pub(crate) const DAYS: usize = 3;
const SECOND_MS: i64 = 1_000;

/// Midnight UTC of sample day `day` (0-based).
pub(crate) const fn day_start(day: usize) -> i64 {
    START_MS + day as i64 * DAY_MS
}

/// Everything one org did over the sample days, sorted by time.
#[derive(Debug, Default)]
pub(crate) struct OrgTraffic {
    pub calls: Vec<Call>,
    pub logins: Vec<LoginEvent>,
}

impl OrgTraffic {
    fn sorted(mut self) -> Self {
        // Stable: ties keep generation order, which is itself deterministic.
        self.calls.sort_by_key(|c| c.ts);
        self.logins.sort_by_key(|l| l.ts);
        self
    }
}

/// One actor's generator: its PRNG, request-id counter and session bookkeeping.
struct Stream {
    actor: &'static Actor,
    rng: Rng,
    sequence: u64,
    sessions: u64,
}

impl Stream {
    fn new(actor: &'static Actor) -> Self {
        Self {
            actor,
            rng: Rng::named(actor.key),
            sequence: fnv1a(actor.key),
            sessions: fnv1a(actor.key) << 16,
        }
    }

    fn request_id(&mut self) -> String {
        self.sequence = self.sequence.wrapping_add(1);
        ids::request_id(self.sequence, &mut self.rng)
    }

    /// A session lasting two hours: how long typical integrations keep an access token.
    fn steady_session(&self, ts: i64) -> u64 {
        fnv1a(self.actor.key) ^ (ts / (2 * HOUR_MS)) as u64
    }

    fn new_session(&mut self) -> u64 {
        self.sessions += 1;
        self.sessions
    }

    /// A successful-by-default call from this actor's own user.
    fn call(&mut self, ts: i64, req: Req) -> Call {
        let ip = *self.rng.pick(self.actor.ips);
        Call {
            ts,
            request_id: self.request_id(),
            actor: self.actor,
            user_id: self.actor.user_id,
            user_name: self.actor.user_name,
            ip,
            family: req.family,
            version: req.version,
            method: req.method,
            resource: req.resource,
            entity: req.entity,
            status: req.status,
            counts: self.actor.counts,
            rows: 0,
            query: None,
            session: self.steady_session(ts),
        }
    }

    /// A Login row for this actor (OAuth token request unless `login_type` says otherwise).
    fn login(&mut self, ts: i64, session: u64) -> LoginEvent {
        LoginEvent {
            ts,
            request_id: self.request_id(),
            user_id: self.actor.user_id,
            user_name: self.actor.user_name,
            ip: self.rng.pick::<&str>(self.actor.ips),
            uri: "/services/oauth2/token",
            login_type: "i",
            user_agent: self.actor.user_agent,
            session,
        }
    }

    /// A 15-character record id with the given key prefix in this org's pod.
    fn record(&mut self, prefix: &str, pod: &str) -> String {
        ids::record_id(prefix, pod, &mut self.rng)
    }
}

/// The request part of a call.
struct Req {
    family: &'static str,
    version: &'static str,
    method: &'static str,
    resource: String,
    entity: &'static str,
    status: u16,
}

fn rest(
    version: &'static str,
    method: &'static str,
    resource: String,
    entity: &'static str,
    status: u16,
) -> Req {
    Req {
        family: "REST",
        version,
        method,
        resource,
        entity,
        status,
    }
}

/// SOAP calls are logged with the method name as resource and `POST` as HTTP method.
fn soap(version: &'static str, operation: &str, entity: &'static str) -> Req {
    Req {
        family: "SOAP",
        version,
        method: "POST",
        resource: operation.to_string(),
        entity,
        status: 200,
    }
}

/// Irregular arrival times in `[from, to)` with gaps of `mean_gap` ± 75 % (integer-only, so
/// identical on every platform, unlike an exponential draw through `ln`).
fn arrivals(rng: &mut Rng, from: i64, to: i64, mean_gap: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = from + rng.range(0, mean_gap);
    while t < to {
        out.push(t);
        t += rng.range(mean_gap / 4, mean_gap * 7 / 4);
    }
    out
}

/// Business-hours arrivals on one day.
fn daytime(rng: &mut Rng, day: usize, from_hour: i64, to_hour: i64, mean_gap: i64) -> Vec<i64> {
    let base = day_start(day);
    arrivals(
        rng,
        base + from_hour * HOUR_MS,
        base + to_hour * HOUR_MS,
        mean_gap,
    )
}

/// Splits `total` calls over `parts` runs of uneven size (±25 %), summing exactly to `total`.
fn split_budget(rng: &mut Rng, total: u32, parts: u32) -> Vec<u32> {
    let weights: Vec<u64> = (0..parts).map(|_| rng.range(750, 1_250) as u64).collect();
    let sum: u64 = weights.iter().sum();
    let mut budgets: Vec<u32> = weights
        .iter()
        .map(|w| (u64::from(total) * w / sum) as u32)
        .collect();
    let short = total - budgets.iter().sum::<u32>();
    for budget in budgets.iter_mut().take(short as usize) {
        *budget += 1;
    }
    budgets
}

// ---- Org A -------------------------------------------------------------------------------

const ACME_POD: &str = "8a";
/// ERP calls per day: the middle day is the busy one (~60 % of 15,000).
const ERP_DAILY_CALLS: [u32; DAYS] = [3_200, 9_000, 4_000];
/// One sync run every 15 minutes from 06:00 to 21:45 UTC.
const ERP_RUNS_PER_DAY: u32 = 64;
const ERP_ENTITIES: [(&str, &str); 6] = [
    ("Account", "001"),
    ("Contact", "003"),
    ("Product2", "01t"),
    ("PricebookEntry", "01u"),
    ("Order", "801"),
    ("OrderItem", "802"),
];

/// Acme Dev: the chatty ERP sync plus enough steady traffic to bring the org near its limit.
pub(crate) fn acme() -> OrgTraffic {
    let mut calls = Vec::new();
    erp_sync(&mut calls);
    campaign_pulse(&mut calls);
    cli_deploys(&mut calls);
    dataloader_exports(&mut calls);
    dev_scripts(&mut calls);
    ui_traffic(&cast::ACME_UI, cast::ACME_PEOPLE, ACME_POD, 450, &mut calls);
    mobile_traffic(&cast::ACME_MOBILE, cast::ACME_PEOPLE, ACME_POD, 80, &mut calls);
    OrgTraffic {
        calls,
        logins: Vec::new(),
    }
    .sorted()
}

fn erp_sync(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::ERP);
    for (day, &target) in ERP_DAILY_CALLS.iter().enumerate() {
        let budgets = split_budget(&mut s.rng, target, ERP_RUNS_PER_DAY);
        for (run, budget) in budgets.into_iter().enumerate() {
            let start =
                day_start(day) + 6 * HOUR_MS + run as i64 * 15 * MINUTE_MS + s.rng.range(0, 20 * SECOND_MS);
            erp_run(&mut s, start, budget, out);
        }
    }
}

/// One sync run: record after record, one REST call per record operation, back to back.
fn erp_run(s: &mut Stream, start: i64, budget: u32, out: &mut Vec<Call>) {
    let mut t = start;
    let mut left = budget;
    while left > 0 {
        let (entity, prefix) = *s.rng.pick(&ERP_ENTITIES);
        let op = if left >= 2 {
            s.rng.weighted(&[50, 20, 12, 18])
        } else {
            1 + s.rng.below(3) as usize
        };
        let before = out.len();
        match op {
            0 => erp_read_update(s, &mut t, entity, prefix, left >= 3, out),
            1 => {
                let resource = format!("/v58.0/sobjects/{entity}/{}", s.record(prefix, ACME_POD));
                erp_step(s, &mut t, rest("58.0", "PATCH", resource, entity, 204), out);
            }
            2 => {
                let (field, key) = if entity == "Account" {
                    ("ERP_Customer_Id__c", "C")
                } else {
                    ("ERP_Item_Id__c", "ITM")
                };
                let resource = format!(
                    "/v58.0/sobjects/{entity}/{field}/{key}-{:06}",
                    s.rng.below(1_000_000)
                );
                let status = if s.rng.chance(150) { 201 } else { 204 };
                erp_step(s, &mut t, rest("58.0", "PATCH", resource, entity, status), out);
            }
            _ => {
                let resource = format!("/v58.0/sobjects/{entity}");
                erp_step(s, &mut t, rest("58.0", "POST", resource, entity, 201), out);
            }
        }
        left -= (out.len() - before) as u32;
    }
}

/// GET a record, then PATCH it. Now and then the client tags a follow-up Contact insert with
/// the same `X-SFDC-REQUEST-ID`, so two rows share a REQUEST_ID (it is not a unique key).
fn erp_read_update(
    s: &mut Stream,
    t: &mut i64,
    entity: &'static str,
    prefix: &str,
    room_for_three: bool,
    out: &mut Vec<Call>,
) {
    let id = s.record(prefix, ACME_POD);
    let resource = format!("/v58.0/sobjects/{entity}/{id}");
    let missing = s.rng.chance(15);
    erp_step(
        s,
        t,
        rest(
            "58.0",
            "GET",
            resource.clone(),
            entity,
            if missing { 404 } else { 200 },
        ),
        out,
    );
    let status = if missing { 404 } else { 204 };
    erp_step(s, t, rest("58.0", "PATCH", resource, entity, status), out);
    if room_for_three && entity == "Account" && s.rng.chance(25) {
        let shared = out.last().expect("just pushed").request_id.clone();
        erp_step(
            s,
            t,
            rest("58.0", "POST", "/v58.0/sobjects/Contact".into(), "Contact", 201),
            out,
        );
        out.last_mut().expect("just pushed").request_id = shared;
    }
}

fn erp_step(s: &mut Stream, t: &mut i64, req: Req, out: &mut Vec<Call>) {
    *t += s.rng.range(90, 420);
    let mut call = s.call(*t, req);
    call.rows = u32::from(call.status < 300);
    out.push(call);
}

/// Event-driven marketing syncs around the clock: a query, maybe more pages, maybe a
/// collection update — already efficient, just frequent.
fn campaign_pulse(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::CAMPAIGN);
    for t0 in arrivals(&mut s.rng, START_MS, day_start(DAYS), 80 * SECOND_MS) {
        let entity = *s.rng.pick(&["Lead", "Contact", "CampaignMember"]);
        let mut t = t0;
        let mut first = s.call(t, rest("60.0", "GET", "/v60.0/query".into(), entity, 200));
        first.rows = s.rng.range(0, 2_000) as u32;
        first.query = Some(format!("SELECT Id, Email, HasOptedOutOfEmail, LastModifiedDate FROM {entity} WHERE LastModifiedDate = TODAY"));
        out.push(first);
        if s.rng.chance(450) {
            let locator = ids::to18(&s.record("01g", ACME_POD));
            for page in 1..=s.rng.range(1, 3) {
                t += s.rng.range(400, 1_500);
                let resource = format!("/v60.0/query/{locator}-{}", page * 2_000);
                let mut call = s.call(t, rest("60.0", "GET", resource, entity, 200));
                call.rows = 2_000;
                out.push(call);
            }
        }
        if s.rng.chance(700) {
            for _ in 0..s.rng.range(1, 2) {
                t += s.rng.range(800, 3_000);
                let mut call = s.call(
                    t,
                    rest("60.0", "PATCH", "/v60.0/composite/sobjects".into(), entity, 200),
                );
                call.rows = s.rng.range(20, 200) as u32;
                out.push(call);
            }
        }
    }
}

/// Developers deploying and retrieving metadata, polling the status every couple of seconds.
fn cli_deploys(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::CLI);
    for day in 0..DAYS {
        for t0 in daytime(&mut s.rng, day, 8, 18, 75 * MINUTE_MS) {
            let (start, poll) = if s.rng.chance(700) {
                ("deploy", "checkDeployStatus")
            } else {
                ("retrieve", "checkRetrieveStatus")
            };
            let mut t = t0;
            out.push(s.call(t, soap("60.0", start, "")));
            for _ in 0..s.rng.range(12, 35) {
                t += s.rng.range(2_000, 3_000);
                out.push(s.call(t, soap("60.0", poll, "")));
            }
            for _ in 0..s.rng.range(1, 3) {
                t += s.rng.range(1_000, 9_000);
                out.push(s.call(
                    t,
                    rest("60.0", "GET", "/v60.0/tooling/query".into(), "ApexClass", 200),
                ));
            }
        }
    }
}

/// One or two Data Loader exports a day: `query` then a long run of `queryMore`.
fn dataloader_exports(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::DATALOADER);
    for day in 0..DAYS {
        for t0 in daytime(&mut s.rng, day, 10, 16, 4 * HOUR_MS) {
            let entity = *s.rng.pick(&["Account", "Contact", "Opportunity"]);
            let mut t = t0;
            out.push(s.call(t, soap("60.0", "query", entity)));
            for _ in 0..s.rng.range(60, 180) {
                t += s.rng.range(600, 1_500);
                out.push(s.call(t, soap("60.0", "queryMore", entity)));
            }
        }
    }
}

/// A developer's scripts: no connected app and no client name.
fn dev_scripts(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::DEV_SCRIPT);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 9, 18, 3 * MINUTE_MS) {
            let req = if s.rng.chance(800) {
                rest("62.0", "GET", "/v62.0/query".into(), "Case", 200)
            } else {
                let resource = format!("/v62.0/sobjects/Case/{}", s.record("500", ACME_POD));
                rest("62.0", "GET", resource, "Case", 200)
            };
            out.push(s.call(t, req));
        }
    }
}

// ---- UI traffic (every org) --------------------------------------------------------------

const UI_ENTITIES: [(&str, &str); 5] = [
    ("Account", "001"),
    ("Contact", "003"),
    ("Opportunity", "006"),
    ("Case", "500"),
    ("Lead", "00Q"),
];

/// Lightning Experience record pages: REST ui-api calls that do not count.
fn ui_traffic(
    actor: &'static Actor,
    people: &'static [(&'static str, &'static str)],
    pod: &str,
    per_day: i64,
    out: &mut Vec<Call>,
) {
    let mut s = Stream::new(actor);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 7, 19, 12 * HOUR_MS / per_day) {
            let (entity, prefix) = *s.rng.pick(&UI_ENTITIES);
            let resource = match s.rng.below(3) {
                0 => format!("/v66.0/ui-api/records/{}", s.record(prefix, pod)),
                1 => format!("/v66.0/ui-api/record-ui/{}", s.record(prefix, pod)),
                _ => format!("/v66.0/ui-api/object-info/{entity}"),
            };
            let call = s.call(t, rest("66.0", "GET", resource, entity, 200));
            out.push(as_person(call, &mut s.rng, people));
        }
    }
}

/// The Salesforce mobile app: an internal `888` connected app whose calls do not count.
fn mobile_traffic(
    actor: &'static Actor,
    people: &'static [(&'static str, &'static str)],
    pod: &str,
    per_day: i64,
    out: &mut Vec<Call>,
) {
    let mut s = Stream::new(actor);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 6, 21, 15 * HOUR_MS / per_day) {
            let (entity, prefix) = *s.rng.pick(&UI_ENTITIES);
            let req = if s.rng.chance(850) {
                rest(
                    "64.0",
                    "GET",
                    format!("/v64.0/ui-api/records/{}", s.record(prefix, pod)),
                    entity,
                    200,
                )
            } else {
                rest("64.0", "POST", "/v64.0/sobjects/Task".into(), "Task", 201)
            };
            let call = s.call(t, req);
            out.push(as_person(call, &mut s.rng, people));
        }
    }
}

fn as_person(mut call: Call, rng: &mut Rng, people: &'static [(&'static str, &'static str)]) -> Call {
    let (id, name) = *rng.pick(people);
    call.user_id = id;
    call.user_name = name;
    call
}

// ---- Org B -------------------------------------------------------------------------------

const GLOBEX_POD: &str = "4x";

/// Globex Production: a poller, a token churner, SOAP logins, bulk and composite users.
pub(crate) fn globex() -> OrgTraffic {
    let mut traffic = OrgTraffic::default();
    poller(&mut traffic);
    token_churner(&mut traffic);
    cpq_bridge(&mut traffic.calls);
    bulk_loader(&mut traffic);
    composite_users(&mut traffic);
    ui_traffic(
        &cast::GLOBEX_UI,
        cast::GLOBEX_PEOPLE,
        GLOBEX_POD,
        300,
        &mut traffic.calls,
    );
    mobile_traffic(
        &cast::GLOBEX_MOBILE,
        cast::GLOBEX_PEOPLE,
        GLOBEX_POD,
        60,
        &mut traffic.calls,
    );
    people_logins(&mut traffic.logins);
    traffic.sorted()
}

/// Pushes a Login row whenever `call` starts a new steady session (token refresh).
fn refresh_token(s: &mut Stream, call: &Call, last: &mut Option<u64>, logins: &mut Vec<LoginEvent>) {
    if *last != Some(call.session) {
        let ts = call.ts - s.rng.range(150, 700);
        logins.push(s.login(ts, call.session));
        *last = Some(call.session);
    }
}

/// `GET /v58.0/query` every 60 s (± 3 s) around the clock, almost always returning nothing.
fn poller(traffic: &mut OrgTraffic) {
    let mut s = Stream::new(&cast::POLLER);
    let mut session = None;
    for minute in 0..(DAYS as i64 * 1_440) {
        let t = START_MS + 7 * SECOND_MS + minute * MINUTE_MS + s.rng.range(-3 * SECOND_MS, 3 * SECOND_MS);
        let mut call = s.call(t, rest("58.0", "GET", "/v58.0/query".into(), "Order", 200));
        call.rows = if s.rng.chance(150) {
            s.rng.range(1, 5) as u32
        } else {
            0
        };
        let since = &time::iso(t - MINUTE_MS)[..19];
        call.query = Some(format!(
            "SELECT Id, OrderNumber, Status, LastModifiedDate FROM Order WHERE LastModifiedDate > {since}Z ORDER BY LastModifiedDate ASC LIMIT 200"
        ));
        refresh_token(&mut s, &call, &mut session, &mut traffic.logins);
        traffic.calls.push(call);
    }
}

/// Requests a fresh OAuth token before ~95 % of its calls.
fn token_churner(traffic: &mut OrgTraffic) {
    let mut s = Stream::new(&cast::CHURN);
    let mut session = s.new_session();
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 7, 19, 110 * SECOND_MS) {
            if s.rng.chance(950) {
                session = s.new_session();
                let lead = s.rng.range(150, 900);
                let login = s.login(t - lead, session);
                traffic.logins.push(login);
            }
            let req = match s.rng.weighted(&[45, 35, 20]) {
                0 => rest(
                    "60.0",
                    "GET",
                    format!("/v60.0/sobjects/WorkOrder/{}", s.record("0WO", GLOBEX_POD)),
                    "WorkOrder",
                    200,
                ),
                1 => rest("60.0", "GET", "/v60.0/query".into(), "WorkOrder", 200),
                _ => rest(
                    "60.0",
                    "PATCH",
                    format!(
                        "/v60.0/sobjects/ServiceAppointment/{}",
                        s.record("08p", GLOBEX_POD)
                    ),
                    "ServiceAppointment",
                    204,
                ),
            };
            let mut call = s.call(t, req);
            call.session = session;
            if call.resource.ends_with("/query") {
                call.rows = s.rng.range(1, 25) as u32;
                // Multi-line SOQL: exercises embedded newlines in quoted CSV fields.
                call.query = Some(format!(
                    "SELECT Id, WorkOrderNumber, Status, Subject\n  FROM WorkOrder\n WHERE OwnerId = '{}' AND Status != 'Closed'",
                    cast::CHURN.user_id
                ));
            } else {
                call.rows = 1;
            }
            traffic.calls.push(call);
        }
    }
}

/// SOAP client known only by its client name: `login` before every small batch of queries.
fn cpq_bridge(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::CPQ);
    for day in 0..DAYS {
        for t0 in daytime(&mut s.rng, day, 8, 18, 4 * MINUTE_MS) {
            let mut t = t0;
            out.push(s.call(t, soap("60.0", "login", "")));
            for _ in 0..s.rng.range(1, 2) {
                t += s.rng.range(300, 900);
                out.push(s.call(t, soap("60.0", "query", "Quote")));
            }
            if s.rng.chance(200) {
                t += s.rng.range(300, 900);
                out.push(s.call(t, soap("60.0", "queryMore", "Quote")));
            }
        }
    }
}

/// Bulk API 2.0 ingest jobs at 01:00 and 13:00: create, upload, close, poll, fetch results.
fn bulk_loader(traffic: &mut OrgTraffic) {
    let mut s = Stream::new(&cast::BULK);
    for day in 0..DAYS {
        for (hour, entities) in [(1, ["Account", "Contact"]), (13, ["Opportunity", "Product2"])] {
            let mut t = day_start(day) + hour * HOUR_MS + s.rng.range(0, 120 * SECOND_MS);
            let session = s.new_session();
            let lead = s.rng.range(200, 800);
            traffic.logins.push(s.login(t - lead, session));
            for entity in entities {
                let job = ids::to18(&s.record("750", GLOBEX_POD));
                let records = s.rng.range(8_000, 60_000) as u32;
                let steps = bulk_job_steps(&job, s.rng.range(3, 6) as usize);
                for (method, resource, status) in steps {
                    t += s.rng.range(1_500, 15_000);
                    let mut call = s.call(t, rest("60.0", method, resource, entity, status));
                    call.session = session;
                    call.rows = if call.resource.ends_with("successfulResults") {
                        records
                    } else {
                        0
                    };
                    traffic.calls.push(call);
                }
            }
        }
    }
}

fn bulk_job_steps(job: &str, polls: usize) -> Vec<(&'static str, String, u16)> {
    let base = "/v60.0/jobs/ingest";
    let mut steps = vec![
        ("POST", base.to_string(), 200),
        ("PUT", format!("{base}/{job}/batches"), 201),
        ("PATCH", format!("{base}/{job}"), 200),
    ];
    steps.extend((0..polls).map(|_| ("GET", format!("{base}/{job}"), 200)));
    steps.push(("GET", format!("{base}/{job}/successfulResults"), 200));
    steps.push(("GET", format!("{base}/{job}/failedResults"), 200));
    steps
}

/// ShopFront (composite, sObject Collections) and LeadFlow (`/composite/batch`).
fn composite_users(traffic: &mut OrgTraffic) {
    let mut s = Stream::new(&cast::COMPOSITE);
    let mut session = None;
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 8, 20, 3 * MINUTE_MS) {
            let req = match s.rng.weighted(&[60, 25, 15]) {
                0 => rest(
                    "60.0",
                    "POST",
                    "/v60.0/composite/sobjects".into(),
                    "OrderItem",
                    200,
                ),
                1 => rest("60.0", "POST", "/v60.0/composite".into(), "Order", 200),
                _ => rest("60.0", "PATCH", "/v60.0/composite/sobjects".into(), "Order", 200),
            };
            let mut call = s.call(t, req);
            call.rows = s.rng.range(5, 200) as u32;
            refresh_token(&mut s, &call, &mut session, &mut traffic.logins);
            traffic.calls.push(call);
        }
    }
    let mut s = Stream::new(&cast::COMPOSITE_BATCH);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 9, 17, 16 * MINUTE_MS) {
            let mut call = s.call(
                t,
                rest("60.0", "POST", "/v60.0/composite/batch".into(), "Lead", 200),
            );
            call.rows = s.rng.range(5, 25) as u32;
            traffic.calls.push(call);
        }
    }
}

/// Humans logging in to Lightning once a day, and the mobile app fetching tokens.
fn people_logins(logins: &mut Vec<LoginEvent>) {
    let mut s = Stream::new(&cast::GLOBEX_UI);
    let mut phone = Stream::new(&cast::GLOBEX_MOBILE);
    for day in 0..DAYS {
        for &(id, name) in cast::GLOBEX_PEOPLE {
            let ts = day_start(day) + 7 * HOUR_MS + s.rng.range(0, 2 * HOUR_MS);
            let session = s.new_session();
            let mut login = s.login(ts, session);
            login.user_id = id;
            login.user_name = name;
            login.uri = "/index.jsp";
            login.login_type = "A";
            login.ip = *s.rng.pick(&["198.51.100.7", "198.51.100.9", "203.0.113.18"]);
            logins.push(login);
        }
        for &(id, name) in cast::GLOBEX_PEOPLE.iter().take(2) {
            let ts = day_start(day) + 6 * HOUR_MS + phone.rng.range(0, 12 * HOUR_MS);
            let session = phone.new_session();
            let mut login = phone.login(ts, session);
            login.user_id = id;
            login.user_name = name;
            logins.push(login);
        }
    }
}

// ---- Org C -------------------------------------------------------------------------------

const INITECH_POD: &str = "7Q";
/// The error burst: 2026-11-04 from 14:02 UTC.
pub(crate) const OUTAGE_START_MS: i64 = day_start(2) + 14 * HOUR_MS + 2 * MINUTE_MS;

/// Initech EU: metadata polling, an old-API archiver, an error burst, ad-hoc admin calls.
pub(crate) fn initech() -> OrgTraffic {
    let mut calls = Vec::new();
    metadata_hub(&mut calls);
    archiver(&mut calls);
    billing(&mut calls);
    ops_admin(&mut calls);
    ui_traffic(
        &cast::INITECH_UI,
        cast::INITECH_PEOPLE,
        INITECH_POD,
        200,
        &mut calls,
    );
    mobile_traffic(
        &cast::INITECH_MOBILE,
        cast::INITECH_PEOPLE,
        INITECH_POD,
        30,
        &mut calls,
    );
    OrgTraffic {
        calls,
        logins: Vec::new(),
    }
    .sorted()
}

/// Describes and `/limits` every 5 minutes, `describeSObjects` every 15, the global describe
/// hourly: all cacheable.
fn metadata_hub(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::METADATA);
    for tick in 0..(DAYS as i64 * 288) {
        let mut t = START_MS + tick * 5 * MINUTE_MS + s.rng.range(0, 20 * SECOND_MS);
        out.push(s.call(
            t,
            rest(
                "60.0",
                "GET",
                "/v60.0/sobjects/Account/describe".into(),
                "Account",
                200,
            ),
        ));
        t += s.rng.range(800, 2_000);
        out.push(s.call(t, rest("60.0", "GET", "/v60.0/limits".into(), "", 200)));
        if tick % 3 == 0 {
            t += s.rng.range(800, 2_000);
            out.push(s.call(t, soap("60.0", "describeSObjects", "Account")));
        }
        if tick % 12 == 0 {
            t += s.rng.range(800, 2_000);
            out.push(s.call(t, rest("60.0", "GET", "/v60.0/sobjects".into(), "", 200)));
        }
    }
}

/// Nightly SOAP export on retired-era API versions (v29.0 queries, v30.0 retrieves).
fn archiver(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::ARCHIVER);
    for day in 0..DAYS {
        let mut t = day_start(day) + 2 * HOUR_MS + s.rng.range(0, 10 * MINUTE_MS);
        out.push(s.call(t, soap("29.0", "query", "Contract")));
        for _ in 0..s.rng.range(100, 140) {
            t += s.rng.range(1_000, 3_000);
            out.push(s.call(t, soap("29.0", "queryMore", "Contract")));
        }
        for _ in 0..s.rng.range(30, 50) {
            t += s.rng.range(500, 1_500);
            out.push(s.call(t, soap("30.0", "retrieve", "Contract")));
        }
    }
}

fn invoice_request(s: &mut Stream) -> Req {
    if s.rng.chance(550) {
        rest(
            "60.0",
            "POST",
            "/v60.0/sobjects/Invoice__c".into(),
            "Invoice__c",
            201,
        )
    } else {
        let resource = format!("/v60.0/sobjects/Invoice__c/{}", s.record("a0B", INITECH_POD));
        rest("60.0", "PATCH", resource, "Invoice__c", 204)
    }
}

/// Invoice sync in business hours, plus the outage on the last day.
fn billing(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::BILLING);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 7, 19, 144 * SECOND_MS) {
            let req = invoice_request(&mut s);
            out.push(s.call(t, req));
        }
    }
    billing_outage(&mut s, out);
}

/// 503s retried with 1/2/4 s back-off, then 400s retried immediately (pointlessly).
fn billing_outage(s: &mut Stream, out: &mut Vec<Call>) {
    let mut t = OUTAGE_START_MS + s.rng.range(0, 999);
    for _ in 0..22 {
        let mut backoff = SECOND_MS;
        for _ in 0..s.rng.range(1, 3) {
            out.push(s.call(
                t,
                rest(
                    "60.0",
                    "POST",
                    "/v60.0/sobjects/Invoice__c".into(),
                    "Invoice__c",
                    503,
                ),
            ));
            // Back-off plus the time the failed request itself took.
            t += backoff + s.rng.range(40, 300);
            backoff *= 2;
        }
        let status = if s.rng.chance(700) { 201 } else { 503 };
        out.push(s.call(
            t,
            rest(
                "60.0",
                "POST",
                "/v60.0/sobjects/Invoice__c".into(),
                "Invoice__c",
                status,
            ),
        ));
        t += s.rng.range(5 * SECOND_MS, 25 * SECOND_MS);
    }
    for _ in 0..8 {
        for _ in 0..3 {
            let req = rest(
                "60.0",
                "POST",
                "/v60.0/sobjects/Invoice__c".into(),
                "Invoice__c",
                400,
            );
            out.push(s.call(t, req));
            t += s.rng.range(150, 400);
        }
        t += s.rng.range(10 * SECOND_MS, 40 * SECOND_MS);
    }
}

/// An admin's ad-hoc REST calls: no connected app, no client name.
fn ops_admin(out: &mut Vec<Call>) {
    let mut s = Stream::new(&cast::OPS_ADMIN);
    for day in 0..DAYS {
        for t in daytime(&mut s.rng, day, 8, 17, 13 * MINUTE_MS) {
            let req = if s.rng.chance(700) {
                rest("62.0", "GET", "/v62.0/query".into(), "Contact", 200)
            } else {
                rest(
                    "62.0",
                    "GET",
                    format!("/v62.0/sobjects/Contact/{}", s.record("003", INITECH_POD)),
                    "Contact",
                    200,
                )
            };
            out.push(s.call(t, req));
        }
    }
}

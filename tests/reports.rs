//! The consultant reports as a reader gets them: the Markdown report of each example parsed
//! by a CommonMark parser (structure intact, no raw HTML, every finding present), the HTML
//! report opened in headless Chromium (renders, no console error, no network request), the
//! roadmap's dates following from --as-of, and `merge` combining JSON reports.
//!
//! The Chromium tests need `chromium` on PATH (Debian package `chromium`; `.ci/run`
//! installs it). Without it they print a note and pass, so `cargo test` works anywhere.
// Tests say what they measured or skipped on stderr.
#![allow(clippy::print_stderr, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use redflag::date::parse_iso;
use redflag::report::consultant::ReportMeta;
use redflag::report::{self, Report, Status};

#[path = "support/report_schema.rs"]
mod report_schema;

fn example(name: &str) -> PathBuf {
    assert!(Path::new("examples").join(name).is_dir());
    Path::new("examples").join(name)
}

fn assess(paths: &[PathBuf]) -> Report {
    let settings = redflag::settings::Settings::for_paths(paths, parse_iso("2026-12-01").unwrap());
    redflag::app::assess(&settings).unwrap()
}

fn acme() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| assess(&[example("acme-ai")]))
}

fn northwind() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| assess(&[example("northwind-ml")]))
}

fn meta(client: &str) -> ReportMeta {
    ReportMeta {
        client: Some(client.to_string()),
        assessor: Some("Harbor Assurance Partners (J. Doe, CISA)".into()),
        scope: vec!["confidentiality".into(), "privacy".into()],
        window_start: None,
        target_commits: vec![(
            "examples/acme-ai".into(),
            Some("0123456789abcdef0123456789abcdef01234567".into()),
        )],
        controls: Default::default(),
        show_all: false,
    }
}

fn markdown(r: &Report, m: &ReportMeta) -> String {
    let mut buf = Vec::new();
    report::markdown::render(r, m, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn html(r: &Report, m: &ReportMeta) -> String {
    let mut buf = Vec::new();
    report::html::render(r, m, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// Where rendered samples go, for a person (and the screenshot script) to look at.
fn out_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&d).unwrap();
    d
}

const HOSTILE: &str = "<script>alert(1)</script> **bold** [link](http://evil.example/x) `tick`` | pipe & amp <img src=x onerror=alert(2)>";

/// A report whose repository-controlled text (messages, snippets, labels, paths) is
/// hostile, as a scanned repository can make it.
fn hostile() -> Report {
    let mut r = acme().clone();
    let f = &mut r.findings[0];
    f.message = format!("message {HOSTILE}");
    f.evidence[0].snippet = Some(format!("snippet {HOSTILE}"));
    f.evidence[0].label = Some(format!("label {HOSTILE}"));
    f.evidence[0].path = "dir/<evil>|`x`.py".into();
    r.notes.push(redflag::report::NoteOut {
        target: "examples/acme-ai".into(),
        path: "notes/<b>.yaml".into(),
        message: format!("note {HOSTILE}"),
    });
    r
}

/// The text a Markdown document shows, with the events it is made of.
fn parse_markdown(md: &str) -> (Vec<Event<'_>>, String) {
    let events: Vec<Event<'_>> = Parser::new_ext(md, Options::ENABLE_TABLES).collect();
    let mut text = String::new();
    for e in &events {
        match e {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push('\n'),
            _ => {}
        }
    }
    (events, text)
}

fn headings(events: &[Event<'_>], level: pulldown_cmark::HeadingLevel) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for e in events {
        match e {
            Event::Start(Tag::Heading { level: l, .. }) if *l == level => current = Some(String::new()),
            Event::End(TagEnd::Heading(l)) if *l == level => out.extend(current.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(c) = &mut current {
                    c.push_str(t);
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn markdown_reports_parse_as_commonmark_with_every_section_and_finding() {
    for (r, client) in [(acme(), "Acme AI, Inc."), (northwind(), "Northwind ML")] {
        let md = markdown(r, &meta(client));
        let (events, text) = parse_markdown(&md);
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_))),
            "raw HTML in the Markdown report"
        );
        assert_eq!(
            headings(&events, pulldown_cmark::HeadingLevel::H1),
            ["SOC 2 Type II readiness assessment"]
        );
        let h2 = headings(&events, pulldown_cmark::HeadingLevel::H2);
        let mut expected = vec!["Contents".to_string(), "Executive summary".to_string()];
        expected.extend(
            redflag::report::consultant::red_flags(r)
                .into_iter()
                .map(redflag::report::consultant::red_flag_heading),
        );
        expected.extend(
            [
                "Trust Services Criteria coverage",
                "Manual controls and the evidence the auditor will request",
                "Risk acceptances",
                "Readiness roadmap",
                "Appendix A · All evidence",
            ]
            .map(String::from),
        );
        assert_eq!(h2, expected);
        // Every table is a table: no row left as a paragraph of pipes.
        let tables = events
            .iter()
            .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
            .count();
        assert!(tables >= 8, "{tables} tables");
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("|")),
            "a table did not parse"
        );
        // The cover, every control and every finding, with its evidence.
        assert!(text.contains(client) && text.contains("Harbor Assurance Partners"));
        assert!(text.contains("Confidentiality, Privacy"));
        for c in &r.controls {
            assert!(text.contains(c.id.as_str()), "{}", c.id);
        }
        for f in &r.findings {
            assert!(text.contains(&f.message), "finding missing: {}", f.message);
            for p in f.evidence.iter().take(8) {
                if let Some(snippet) = &p.snippet {
                    assert!(text.contains(snippet.as_str()), "snippet missing: {snippet}");
                }
            }
        }
        assert!(text.contains("Earliest start of the Type II observation window"));
    }
}

#[test]
fn markdown_neutralises_repository_text() {
    let md = markdown(&hostile(), &meta("Acme <AI> | *Inc*"));
    let (events, text) = parse_markdown(&md);
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_))));
    assert!(!events
        .iter()
        .any(|e| matches!(e, Event::Start(Tag::Link { .. } | Tag::Image { .. }))));
    assert!(
        text.contains(&format!("message {HOSTILE}")),
        "message not verbatim"
    );
    assert!(
        text.contains(&format!("snippet {HOSTILE}")),
        "snippet not verbatim"
    );
    assert!(text.contains(&format!("note {HOSTILE}")), "note not verbatim");
    assert!(text.contains("dir/<evil>|`x`.py"));
    assert!(text.contains("Acme <AI> | *Inc*"));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let page = html(&hostile(), &meta("Acme <AI> & Co"));
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        report::html::CSP
    )));
    // Every tag is one the renderer writes: nothing from the repository became markup, and
    // no element can load anything or run script.
    const ALLOWED: &[&str] = &[
        "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section", "article",
        "footer", "div", "p", "h1", "h2", "h3", "h4", "ul", "ol", "li", "table", "thead", "tbody", "tr",
        "th", "td", "code", "span", "strong", "em", "a", "br", "dl", "dt", "dd", "svg", "rect", "circle",
        "text", "line",
    ];
    for (i, _) in page.match_indices('<') {
        let rest = &page[i + 1..];
        if rest.starts_with("!DOCTYPE") {
            continue;
        }
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(
            ALLOWED.contains(&name.as_str()),
            "unexpected tag <{}",
            &rest[..rest.len().min(40)]
        );
        let tag = &rest[..rest.find('>').unwrap()];
        assert!(!tag.contains(" on"), "event handler attribute in <{tag}>");
        assert!(!tag.contains(" src="), "src attribute in <{tag}>");
        if let Some(h) = tag.split(" href=\"").nth(1) {
            assert!(h.starts_with('#'), "link out of the document: <{tag}>");
        }
    }
    for banned in ["@import", "url("] {
        assert!(!page.contains(banned), "{banned} in the HTML report");
    }
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("Acme &lt;AI&gt; &amp; Co"));
    assert_eq!(page.matches("<html").count(), 1);
    assert!(page.trim_end().ends_with("</html>"));
}

#[test]
fn reports_are_deterministic() {
    let m = meta("Acme AI, Inc.");
    assert_eq!(markdown(acme(), &m), markdown(acme(), &m));
    assert_eq!(html(acme(), &m), html(acme(), &m));
}

#[test]
fn samples_are_written() {
    for (name, r, client) in [
        ("acme-ai", acme(), "Acme AI, Inc."),
        ("northwind-ml", northwind(), "Northwind ML"),
    ] {
        let m = meta(client);
        std::fs::write(out_dir().join(format!("{name}.md")), markdown(r, &m)).unwrap();
        std::fs::write(out_dir().join(format!("{name}.html")), html(r, &m)).unwrap();
        let mut buf = Vec::new();
        let road = report::roadmap::plan(r, parse_iso("2026-12-01").unwrap(), None);
        report::roadmap::render_text(&road, &mut buf).unwrap();
        std::fs::write(out_dir().join(format!("{name}.roadmap.txt")), buf).unwrap();
    }
}

// ---- the roadmap ----

fn d(s: &str) -> redflag::date::Date {
    parse_iso(s).unwrap()
}

#[test]
fn roadmap_dates_follow_from_as_of() {
    let r = acme();
    let road = report::roadmap::plan(r, d("2026-12-01"), None);
    // The source's timeline from the as-of date: scoping, two months of implementation,
    // gap assessment, remediation, then "Month 6: Type II audit begins".
    assert_eq!(road.months[0].start, d("2026-12-01"));
    let phase = |k| road.phases.iter().find(|p| p.kind == k).unwrap();
    use report::roadmap::PhaseKind::*;
    assert_eq!(
        (phase(Scoping).start, phase(Scoping).end),
        (d("2026-12-01"), d("2026-12-31"))
    );
    assert_eq!(
        (phase(Implementation).start, phase(Implementation).end),
        (d("2027-01-01"), d("2027-02-28"))
    );
    assert_eq!(
        (phase(GapAssessment).start, phase(GapAssessment).end),
        (d("2027-03-01"), d("2027-03-31"))
    );
    assert_eq!(
        (phase(Remediation).start, phase(Remediation).end),
        (d("2027-04-01"), d("2027-04-30"))
    );
    // The window starts when the work ends (month 6, 2027-05-01): by then each recurring
    // control has operated once — the first tabletop needs the AI playbook (month 1), so it
    // is held in 2027-Q1, the first access review in 2026-Q4. The three consecutive quarters
    // of tabletops are what the client shows by the end of the window (2027-Q1..Q3 by
    // 2027-10-31), not before it starts.
    assert_eq!(road.earliest_start, d("2027-05-01"));
    assert_eq!(road.window.start, d("2027-05-01"));
    assert_eq!(road.window.end_6_months, d("2027-10-31"));
    let binding = &road.constraints[0];
    assert_eq!(binding.date, d("2027-05-01"));
    assert_eq!(binding.control_id, None, "{}", binding.explanation);
    let tabletop = road
        .constraints
        .iter()
        .find(|c| c.control_id.as_deref() == Some("RF4-TABLETOP-CADENCE"))
        .unwrap();
    assert_eq!(tabletop.date, d("2027-04-01"), "{}", tabletop.explanation);
    assert!(
        tabletop
            .explanation
            .contains("operated at least once before the window starts")
            && tabletop
                .explanation
                .contains("the first new one can be held in 2027-Q1"),
        "{}",
        tabletop.explanation
    );
    assert_eq!(
        road.at_window_end,
        [
            "RF1-ACCESS-REVIEW: by 2027-10-31 (the end of a 6-month window), an access review of models, training data and endpoints on record for each of 2026-Q4, 2027-Q1, 2027-Q2 and 2027-Q3 (4 consecutive quarters)",
            "RF4-TABLETOP-CADENCE: by 2027-10-31 (the end of a 6-month window), an AI incident tabletop exercise on record for each of 2027-Q1, 2027-Q2 and 2027-Q3 (3 consecutive quarters)",
        ]
    );
    // The 2027-Q1 tabletop is held before the window; the 2027-Q2 one within it.
    let tabletop_tasks = |q: &str| {
        road.months
            .iter()
            .flat_map(|m| &m.tasks)
            .chain(&road.during_window)
            .filter(|t| t.control_id.as_deref() == Some("RF4-TABLETOP-CADENCE") && t.title.contains(q))
            .count()
    };
    assert_eq!(tabletop_tasks("2027-Q1"), 1);
    assert!(road
        .during_window
        .iter()
        .any(|t| t.control_id.as_deref() == Some("RF4-TABLETOP-CADENCE") && t.title.contains("2027-Q2")));
    // Critical first, and never before a prerequisite.
    let m1: Vec<&str> = road.months[0]
        .tasks
        .iter()
        .filter_map(|t| t.control_id.as_deref())
        .collect();
    assert_eq!(m1.first(), Some(&"RF3-HARDCODED-AI-KEY"), "{m1:?}");
    for month in &road.months {
        let ids: Vec<&str> = month
            .tasks
            .iter()
            .filter_map(|t| t.control_id.as_deref())
            .collect();
        for (i, t) in month.tasks.iter().enumerate() {
            for p in &t.after {
                if let Some(j) = ids.iter().position(|x| x == p) {
                    assert!(j < i, "{:?} listed before its prerequisite {p}", t.control_id);
                }
            }
        }
    }
    for w in road.months.windows(2) {
        assert_eq!(w[0].end.succ_opt().unwrap(), w[1].start, "months are contiguous");
    }

    // A later as-of moves everything.
    let later = report::roadmap::plan(r, d("2027-02-15"), None);
    assert_eq!(later.months[0].start, d("2027-02-15"));
    assert_eq!(later.months[0].end, d("2027-03-14"));
    assert!(later.earliest_start > road.earliest_start);

    let mut text = Vec::new();
    report::roadmap::render_text(&road, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("Earliest start of the Type II observation window: 2027-05-01"),
        "{text}"
    );
    assert!(
        text.contains("Month 1 · December 2026 (2026-12-01 – 2026-12-31)"),
        "{text}"
    );
}

#[test]
fn window_start_is_tested_against_the_cadence() {
    let r = acme();
    // 2027-03-01: the work is not done, no tabletop can be on record for 2026-Q4 (the
    // quarter before it), and a 6-month window ending 2027-08-31 could not show three
    // consecutive quarters.
    let early = report::roadmap::plan(r, d("2026-12-01"), Some(d("2027-03-01")));
    let q = early.requested.as_ref().unwrap();
    assert!(!q.feasible);
    let tabletop: Vec<&String> = q
        .reasons
        .iter()
        .filter(|x| x.starts_with("RF4-TABLETOP-CADENCE"))
        .collect();
    assert_eq!(
        tabletop,
        [
            "RF4-TABLETOP-CADENCE: the control must have operated at least once before the window, so an AI incident tabletop exercise must be on record for 2026-Q4 (the complete quarter before 2027-03-01); none can be on record for 2026-Q4 (the first new one can be held in 2027-Q1, after RF4-IR-SCENARIO-DETAIL, RF4-IR-AI-SCENARIOS)",
            "RF4-TABLETOP-CADENCE: by the end of a 6-month window from 2027-03-01 (2027-08-31) the auditor expects 3 consecutive quarters on record (2026-Q4, 2027-Q1 and 2027-Q2); none can be on record for 2026-Q4 (the first new AI incident tabletop exercise can be held in 2027-Q1, after RF4-IR-SCENARIO-DETAIL, RF4-IR-AI-SCENARIOS)",
        ],
        "{:?}",
        q.reasons
    );
    assert!(q
        .reasons
        .iter()
        .any(|x| x.starts_with("the readiness work ends 2027-04-30")));
    assert_eq!(
        early.window.start,
        d("2027-05-01"),
        "an infeasible start is not planned"
    );

    // Before the first tabletop can even be held.
    let first = report::roadmap::plan(r, d("2026-12-01"), Some(d("2027-01-01")));
    assert!(
        first
            .requested
            .as_ref()
            .unwrap()
            .reasons
            .iter()
            .any(|x| x.starts_with("RF4-TABLETOP-CADENCE")
                && x.contains("the first can be held no earlier than 2027-01-01 (in 2027-Q1")),
        "{:?}",
        first.requested
    );

    // Month 6 itself is feasible, with no margin.
    let month6 = report::roadmap::plan(r, d("2026-12-01"), Some(d("2027-05-01")));
    let q = month6.requested.as_ref().unwrap();
    assert!(q.feasible, "{:?}", q.reasons);
    assert_eq!(q.reasons, ["no margin: this is the earliest feasible start"]);

    let ok = report::roadmap::plan(r, d("2026-12-01"), Some(d("2028-01-01")));
    let q = ok.requested.as_ref().unwrap();
    assert!(q.feasible, "{:?}", q.reasons);
    assert_eq!(
        q.reasons,
        ["245 days after the earliest feasible start (2027-05-01)"]
    );
    assert_eq!(ok.window.start, d("2028-01-01"));

    let past = report::roadmap::plan(r, d("2026-12-01"), Some(d("2026-06-01")));
    assert!(past.requested.unwrap().reasons[0].contains("before the assessment date"));

    // The verdict is in both report formats.
    let mut m = meta("Acme AI, Inc.");
    m.window_start = Some(d("2027-03-01"));
    assert!(markdown(r, &m).contains("Planned start 2027-03-01: not feasible"));
    assert!(html(r, &m).contains("Planned start 2027-03-01: not feasible"));
}

/// `window_prior_quarters` (redflag.yaml `params:`) sets how many complete quarters of
/// records each recurring control needs before the window: 3 asks for the whole
/// three-quarter tabletop record up front (2027-Q1..Q3, so 2027-10-01); 0 lets the window
/// start before the first record, which the end-of-window requirement still bounds.
#[test]
fn window_prior_quarters_moves_the_earliest_start() {
    let r = acme();
    let texts = |n: u32| {
        let opts = redflag::control::LoadOptions {
            params: [("window_prior_quarters".to_string(), n)].into_iter().collect(),
            ..Default::default()
        };
        let loaded = redflag::control::load(&opts);
        assert!(loaded.diags.is_empty(), "{:?}", loaded.diags);
        report::consultant::ControlText::from_set(&loaded.controls)
    };
    let plan = |n: u32| report::roadmap::plan_with(r, d("2026-12-01"), None, &texts(n));
    assert_eq!(plan(1).earliest_start, d("2027-05-01"));
    let three = plan(3);
    assert_eq!(three.earliest_start, d("2027-10-01"));
    assert_eq!(
        three.constraints[0].control_id.as_deref(),
        Some("RF4-TABLETOP-CADENCE")
    );
    assert!(three.constraints[0]
        .explanation
        .contains("in each of the 3 complete quarters before the window starts (window_prior_quarters: 3)"));
    assert_eq!(plan(0).earliest_start, d("2027-05-01"));
    // An absurd value is refused when the pack is compiled, not looped on.
    let opts = redflag::control::LoadOptions {
        params: [("window_prior_quarters".to_string(), 4_000_000)]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    assert!(redflag::control::load(&opts)
        .diags
        .iter()
        .any(|d| d.message.contains("`window_prior_quarters` is 4000000 quarters")));
}

#[test]
fn a_mature_target_can_start_sooner() {
    let road = report::roadmap::plan(northwind(), d("2026-12-01"), None);
    let acme_road = report::roadmap::plan(acme(), d("2026-12-01"), None);
    assert!(road.earliest_start < acme_road.earliest_start);
    // Its quarterly records are on file: only the (shorter) work sets the date — no open
    // gap, so scoping and the gap assessment (a mock audit) end 2027-01-31.
    assert_eq!(road.earliest_start, d("2027-02-01"));
    assert_eq!(road.constraints[0].control_id, None);
    assert!(road
        .at_window_end
        .iter()
        .any(|a| a.starts_with("RF4-TABLETOP-CADENCE: by 2027-07-31")
            && a.contains("2026-Q4, 2027-Q1 and 2027-Q2")));
    // Recurring records keep going: the current quarter's tabletop is scheduled.
    assert!(road
        .months
        .iter()
        .flat_map(|m| &m.tasks)
        .any(|t| t.title.contains("2026-Q4") && t.control_id.as_deref() == Some("RF4-TABLETOP-CADENCE")));
}

// ---- merge ----

fn json(r: &Report) -> String {
    let mut buf = Vec::new();
    report::json::render(r, &mut buf).unwrap();
    report_schema::assert_valid(&serde_json::from_slice(&buf).unwrap());
    String::from_utf8(buf).unwrap()
}

#[test]
fn json_reports_read_back_unchanged() {
    for r in [acme(), northwind()] {
        let text = json(r);
        let back = report::merge::read_json(&text).unwrap();
        assert_eq!(json(&back), text);
    }
    assert!(report::merge::read_json("{}").is_err());
    assert!(report::merge::read_json(
        &json(acme()).replace("\"schema_version\": \"2\"", "\"schema_version\": \"9\"")
    )
    .is_err());
}

#[test]
fn merged_reports_combine_targets_and_render_in_every_format() {
    let a = report::merge::read_json(&json(acme())).unwrap();
    let b = report::merge::read_json(&json(northwind())).unwrap();
    let merged = report::merge::merge(vec![a, b]);
    assert_eq!(merged.targets.len(), 2);
    assert_eq!(
        merged.findings.len(),
        acme().findings.len() + northwind().findings.len()
    );
    assert_eq!(merged.summary.findings, merged.findings.len());
    // A gap in either repository is a gap of the assessment.
    for c in &merged.controls {
        let statuses: Vec<Status> = [acme(), northwind()]
            .iter()
            .filter_map(|r| r.controls.iter().find(|x| x.id == c.id).map(|x| x.status))
            .collect();
        if statuses.contains(&Status::Gap) {
            assert_eq!(c.status, Status::Gap, "{}", c.id);
        }
        assert_eq!(
            c.findings,
            merged.findings.iter().filter(|f| f.control_id == c.id).count()
        );
    }
    assert!(merged.summary.score > acme().summary.score && merged.summary.score < northwind().summary.score);
    assert_eq!(merged.gate.failing_findings, merged.findings.len());
    assert_eq!(merged.gate.exit_code, 1);
    // Several targets: pointers name their target.
    let md = markdown(&merged, &meta("Acme AI, Inc."));
    assert!(
        md.contains("`examples/acme-ai/app/config.py:12`"),
        "multi-target locations"
    );
    let page = html(&merged, &meta("Acme AI, Inc."));
    assert!(page.contains("examples/northwind-ml"));
    let mut sarif = Vec::new();
    report::sarif::render(&merged, &mut sarif).unwrap();
    let mut junit = Vec::new();
    report::junit::render(&merged, &mut junit).unwrap();
    assert!(!sarif.is_empty() && !junit.is_empty());
}

#[test]
fn merging_the_same_scan_twice_keeps_both_targets_apart() {
    // Two CI jobs that both scanned `.` (here: the same report twice).
    let a = report::merge::read_json(&json(acme())).unwrap();
    let merged = report::merge::merge_named(vec![("api.json".into(), a.clone()), ("worker.json".into(), a)]);
    let paths: Vec<&str> = merged.targets.iter().map(|t| t.path.as_str()).collect();
    assert_eq!(paths, ["examples/acme-ai", "worker.json:examples/acme-ai"]);
    assert_eq!(merged.findings.len(), 2 * acme().findings.len());
    assert!(merged
        .findings
        .iter()
        .flat_map(|f| &f.evidence)
        .any(|p| p.target == "worker.json:examples/acme-ai"));
    assert!(report::merge::check_compatible(&[acme().clone(), acme().clone()]).is_empty());
    let mut other = acme().clone();
    other.as_of = redflag::date::parse_iso("2026-11-01").unwrap();
    assert_eq!(report::merge::check_compatible(&[acme().clone(), other]).len(), 1);
}

// ---- headless Chromium: the HTML report as a reader opens it ----

/// The Chromium binary (`REDFLAG_CHROMIUM`, else `chromium`, `chromium-browser`,
/// `google-chrome` on PATH).
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("REDFLAG_CHROMIUM") {
        return Some(p.into());
    }
    let path = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
    .find(|p| p.is_file())
}

fn chromium_or_skip(test: &str) -> Option<PathBuf> {
    let c = chromium();
    if c.is_none() {
        eprintln!("note: {test} skipped: no chromium on PATH (Debian: apt-get install chromium)");
    }
    c
}

struct Opened {
    stdout: String,
    /// Console messages the page produced (errors, CSP violations, warnings).
    console: Vec<String>,
    /// URLs the page tried to load (anything but the file itself).
    page_requests: Vec<String>,
}

/// Opens `file` in headless Chromium with `action` (`--dump-dom`, `--screenshot=…`,
/// `--print-to-pdf=…`). Chromium's own background traffic is sent to a closed local proxy
/// and no host name resolves, so nothing leaves the machine whatever the page does; the
/// net log records what the page asked for.
fn open(bin: &Path, file: &Path, action: &[&str]) -> Opened {
    let profile = tempfile::tempdir().unwrap();
    let netlog = profile.path().join("netlog.json");
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--no-pings",
            "--disable-breakpad",
            "--disable-features=MediaRouter,OptimizationHints,Translate,AutofillServerCommunication,NetworkTimeServiceQuerying,CertificateTransparencyComponentUpdater",
            "--proxy-server=http://127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1200,1600",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().join("profile").display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(action)
        .arg(format!("file://{}", file.canonicalize().unwrap().display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let (stdout, stderr) = {
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let t_out = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut out, &mut s).ok();
            s
        });
        let t_err = std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut err, &mut s).ok();
            s
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if std::time::Instant::now() > deadline {
                child.kill().ok();
                child.wait().ok();
                panic!("chromium did not finish in 120 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        (t_out.join().unwrap(), t_err.join().unwrap())
    };
    let status = child.wait().unwrap();
    assert!(status.success(), "chromium failed: {stderr}");
    let console = stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("CONSOLE("))
        .map(String::from)
        .collect();
    Opened {
        stdout,
        console,
        page_requests: page_requests(&netlog),
    }
}

/// Requests made on behalf of a page loaded from a file: their network isolation key is
/// the file origin (Chromium's own requests have none).
fn page_requests(netlog: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(netlog).expect("net log written");
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("net log is JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("net log constants");
    let mut out = Vec::new();
    for e in log["events"].as_array().unwrap() {
        if e["type"].as_u64() != Some(start_job) {
            continue;
        }
        let p = &e["params"];
        let url = p["url"].as_str().unwrap_or("");
        let key = p["network_isolation_key"].as_str().unwrap_or("");
        if key.contains("file://") && !url.starts_with("file:") && !url.starts_with("data:") {
            out.push(url.to_string());
        }
    }
    out
}

/// DOM serialisation of text: `&`, `<`, `>` escaped.
fn dom_text(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[test]
fn chromium_renders_the_html_reports_offline_without_errors() {
    let Some(bin) = chromium_or_skip("chromium_renders_the_html_reports_offline_without_errors") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, r, client) in [
        ("acme-ai", acme(), "Acme AI, Inc."),
        ("northwind-ml", northwind(), "Northwind ML"),
    ] {
        let file = dir.path().join(format!("{name}.html"));
        std::fs::write(&file, html(r, &meta(client))).unwrap();
        let opened = open(&bin, &file, &["--dump-dom"]);
        assert!(
            opened.console.is_empty(),
            "{name}: console messages: {:#?}",
            opened.console
        );
        assert!(
            opened.page_requests.is_empty(),
            "{name}: network requests: {:#?}",
            opened.page_requests
        );
        // What the browser built is the whole report.
        let dom = &opened.stdout;
        for id in ["summary", "tsc", "manual", "waivers", "roadmap", "appendix"] {
            assert!(
                dom.contains(&format!("id=\"{id}\"")),
                "{name}: section {id} missing"
            );
        }
        for f in &r.findings {
            assert!(
                dom.contains(&dom_text(&f.message)),
                "{name}: finding missing: {}",
                f.message
            );
        }
        assert_eq!(
            dom.matches("<svg").count(),
            4,
            "{name}: score ring, two charts, timeline"
        );
        assert!(dom.trim_end().ends_with("</html>"));
    }
}

#[test]
fn chromium_check_detects_console_errors_and_requests() {
    // The harness itself: a page that logs an error and fetches an image is caught.
    let Some(bin) = chromium_or_skip("chromium_check_detects_console_errors_and_requests") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.html");
    std::fs::write(
        &file,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bad</title></head><body><img src=\"http://127.0.0.1:9/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let opened = open(&bin, &file, &["--dump-dom"]);
    assert!(
        opened.console.iter().any(|l| l.contains("boom")),
        "{:#?}",
        opened.console
    );
    assert_eq!(opened.page_requests, ["http://127.0.0.1:9/x.png"]);
    // With the report's policy the same image is refused before any request.
    let csp = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"{}\"><title>t</title></head><body><img src=\"http://127.0.0.1:9/x.png\"></body></html>",
        report::html::CSP
    );
    std::fs::write(&file, csp).unwrap();
    let opened = open(&bin, &file, &["--dump-dom"]);
    assert!(opened.page_requests.is_empty(), "{:#?}", opened.page_requests);
    assert!(
        opened
            .console
            .iter()
            .any(|l| l.contains("Content Security Policy")),
        "{:#?}",
        opened.console
    );
}

#[test]
fn chromium_prints_the_report_to_pdf_a_page_per_section() {
    let Some(bin) = chromium_or_skip("chromium_prints_the_report_to_pdf_a_page_per_section") else {
        return;
    };
    let file = out_dir().join("acme-ai.print.html");
    std::fs::write(&file, html(acme(), &meta("Acme AI, Inc."))).unwrap();
    let pdf = out_dir().join("acme-ai.pdf");
    let _ = std::fs::remove_file(&pdf);
    let opened = open(&bin, &file, &[&format!("--print-to-pdf={}", pdf.display())]);
    assert!(opened.console.is_empty() && opened.page_requests.is_empty());
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    // The page tree's /Count: at least one page per section (cover, contents, summary, five
    // red flags, coverage, manual, waivers, roadmap, appendix).
    let text = String::from_utf8_lossy(&bytes);
    let pages = text
        .match_indices("/Count ")
        .filter_map(|(i, _)| {
            text[i + 7..]
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    assert!(pages >= 13, "{pages} pages");
}

#[test]
fn risk_acceptances_are_reported_as_such() {
    let mut r = acme().clone();
    let i = r
        .findings
        .iter()
        .position(|f| f.control_id == "RF1-K8S-CLUSTER-ADMIN")
        .unwrap();
    r.findings[i].waiver = Some(redflag::report::WaiverRef {
        source: "config".into(),
        reason: "CI deployer needs cluster-admin until the Helm migration".into(),
        owner: Some("platform@acme.ai".into()),
        expires: Some("2027-03-31".into()),
    });
    r.waivers.push(redflag::report::WaiverOut {
        source: "config".into(),
        control: "RF1-K8S-CLUSTER-ADMIN".into(),
        path: Some("deploy/k8s/rbac.yaml".into()),
        fingerprint: None,
        reason: "CI deployer needs cluster-admin until the Helm migration".into(),
        owner: Some("platform@acme.ai".into()),
        expires: Some("2027-03-31".into()),
        status: redflag::report::WaiverStatus::Active,
        matched: 1,
        location: None,
    });
    let m = meta("Acme AI, Inc.");
    let md = markdown(&r, &m);
    let (_, text) = parse_markdown(&md);
    assert!(
        text.contains("accepted risk: CI deployer needs cluster-admin"),
        "finding marked"
    );
    assert!(text.contains("platform@acme.ai") && text.contains("2027-03-31"));
    let page = html(&r, &m);
    assert!(page.contains("accepted risk: CI deployer needs cluster-admin"));
    // Not scheduled as work; listed as accepted, with its expiry before the window ends.
    let road = report::roadmap::plan(&r, d("2026-12-01"), None);
    assert!(!road
        .months
        .iter()
        .flat_map(|m| &m.tasks)
        .any(|t| t.control_id.as_deref() == Some("RF1-K8S-CLUSTER-ADMIN")));
    assert!(
        road.accepted
            .iter()
            .any(|a| a.starts_with("RF1-K8S-CLUSTER-ADMIN") && a.contains("renew it or fix the gap")),
        "{:?}",
        road.accepted
    );
}

#[test]
fn head_commit_names_the_scanned_revision() {
    let plain = tempfile::tempdir().unwrap();
    assert_eq!(redflag::report::consultant::head_commit(plain.path()), None);
    // A repository of its own: the checkout running the tests may be a linked worktree,
    // whose git directory is outside it (refused, see SECURITY.md).
    let root = plain.path().join("repo");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/a.md"), "# a\n").unwrap();
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(["-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env_remove("GIT_DIR")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if git(&["init", "-q"]).is_none() {
        return; // no git
    }
    git(&["add", "-A"]).unwrap();
    git(&["commit", "-q", "-m", "one"]).unwrap();
    let sha = git(&["rev-parse", "--verify", "HEAD"]).unwrap();
    for dir in [root.clone(), root.join("sub")] {
        let c = redflag::report::consultant::head_commit(&dir).unwrap();
        assert_eq!(c, sha);
    }
}

/// A scan of some controls (`--only`) runs only the patterns and queries they read,
/// directly or through signals and the controls they depend on: every control's verdict,
/// evidence and findings are the full scan's.
#[test]
fn a_selected_control_gets_the_full_scans_verdict() {
    for full in [acme(), northwind()] {
        let target = full.targets[0].path.clone();
        for c in &full.controls {
            let mut settings = redflag::settings::Settings::for_paths(
                &[PathBuf::from(&target)],
                parse_iso("2026-12-01").unwrap(),
            );
            settings.only = vec![c.id.to_string()];
            let one = redflag::app::assess(&settings).unwrap();
            let pick = |r: &Report| {
                let control = r
                    .controls
                    .iter()
                    .find(|x| x.id == c.id)
                    .map(|x| serde_json::to_string(x).unwrap());
                let findings: Vec<String> = r
                    .findings
                    .iter()
                    .filter(|f| f.control_id == c.id)
                    .map(|f| serde_json::to_string(f).unwrap())
                    .collect();
                (control, findings)
            };
            assert_eq!(pick(&one), pick(full), "{target}: --only {}", c.id);
        }
    }
}

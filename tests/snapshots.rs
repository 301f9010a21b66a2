//! One canonical report rendered in every format, each a reviewed snapshot
//! (`tests/snapshots/snapshots__<format>.snap`): `examples/acme-ai` at the examples' fixed
//! date, with waivers (`tests/canonical/redflag.yaml`: active, expired, unused), a note,
//! evidence documents and every consultant option. A change to any format is a diff to
//! review (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test snapshots`).
//! The tool version and the git commit of the checkout are redacted (the test runs in a git
//! checkout, as CI's fresh clone is: outside one the cover says "not a git repository").

mod support;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

const FORMATS: [(&str, &str); 9] = [
    ("table", "report.txt"),
    ("json", "report.json"),
    ("sarif", "report.sarif"),
    ("junit", "report.junit.xml"),
    ("markdown", "report.md"),
    ("html", "report.html"),
    ("csv", "report.csv"),
    ("oscal", "report.oscal.json"),
    ("roadmap", "roadmap.txt"),
];

/// Renders the canonical scan once, in every format (`-o FORMAT=FILE`, never coloured, the
/// table 120 columns wide), into a directory kept for the test run.
fn rendered() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap().keep();
        let mut c = support::redflag();
        c.args(["scan", "examples/acme-ai", "--as-of", support::AS_OF, "--quiet"])
            .args(["--config", "tests/canonical/redflag.yaml", "--fail-on", "high"])
            .args(["--client", "Acme <AI> & Co.", "--assessor", "R&D [Team]"])
            .args(["--scope", "availability,privacy", "--window-start", "2027-03-01"]);
        for (format, file) in FORMATS {
            c.arg("-o").arg(format!("{format}={}", dir.join(file).display()));
        }
        let r = support::run(c, Duration::from_secs(120));
        assert_eq!(r.code, 1, "gaps at or above high fail the run: {}", r.stderr);
        dir
    })
}

fn assert_format(format: &str) {
    let file = FORMATS.iter().find(|(f, _)| *f == format).unwrap().1;
    let text = std::fs::read_to_string(rendered().join(file)).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(env!("CARGO_PKG_VERSION")), "[VERSION]");
    settings.add_filter(r"\b[0-9a-f]{40}\b", "[COMMIT]");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(format, text));
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escape = !c.is_ascii_alphanumeric();
            escape.then_some('\\').into_iter().chain(std::iter::once(c))
        })
        .collect()
}

#[test]
fn table() {
    assert_format("table");
}

#[test]
fn json() {
    assert_format("json");
}

#[test]
fn sarif() {
    assert_format("sarif");
}

#[test]
fn junit() {
    assert_format("junit");
}

#[test]
fn markdown() {
    assert_format("markdown");
}

#[test]
fn html() {
    assert_format("html");
}

#[test]
fn csv() {
    assert_format("csv");
}

#[test]
fn oscal() {
    assert_format("oscal");
}

#[test]
fn roadmap() {
    assert_format("roadmap");
}

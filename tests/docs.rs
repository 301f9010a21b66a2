//! The documentation generated from, or describing, the command line: the man pages
//! (`redflag man`, from clap), the shell completions, and the README's command and option
//! tables, which must name exactly what `--help` lists.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn redflag(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "redflag {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands `--help` lists (without `help`).
fn subcommands(args: &[&str]) -> Vec<String> {
    let help = redflag(&[args, &["--help"]].concat());
    let section = help
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect()
}

/// The long options `--help` lists (without `--help` and `--version`).
fn long_options(args: &[&str]) -> BTreeSet<String> {
    let help = redflag(&[args, &["--help"]].concat());
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            l.split([' ', ',', '='])
                .find(|w| w.starts_with("--"))
                .map(ToString::to_string)
        })
        .filter(|o| o != "--help" && o != "--version")
        .collect()
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The first cells of the table under a README heading.
fn first_cells(readme: &str, heading: &str, after: &str) -> Vec<String> {
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    let rest = &readme[start..];
    let rest = &rest[rest.find(after).unwrap_or(0)..];
    rest.lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.split(" | ")
                .next()
                .unwrap()
                .trim_start_matches("| ")
                .to_string()
        })
        .collect()
}

#[test]
fn readme_command_table_matches_help() {
    let readme = readme();
    let rows = first_cells(&readme, "## Commands", "| command |");
    let commands: BTreeSet<String> = rows
        .iter()
        .map(|c| {
            let words: Vec<&str> = c.trim_matches('`').split_whitespace().collect();
            assert_eq!(words[0], "redflag", "{c}");
            if words[1] == "controls" {
                format!("controls {}", words[2])
            } else {
                words[1].to_string()
            }
        })
        .collect();
    let mut help: BTreeSet<String> = BTreeSet::new();
    for c in subcommands(&[]) {
        if c == "controls" {
            help.extend(
                subcommands(&["controls"])
                    .into_iter()
                    .map(|s| format!("controls {s}")),
            );
        } else {
            help.insert(c);
        }
    }
    assert_eq!(commands, help, "README's command table vs --help");
}

#[test]
fn readme_scan_option_table_matches_help() {
    let readme = readme();
    let rows = first_cells(&readme, "`scan` options:", "| option |");
    let mut documented: BTreeSet<String> = BTreeSet::new();
    for cell in &rows {
        let mut rest = cell.as_str();
        while let Some(i) = rest.find("--") {
            let name: String = rest[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            documented.insert(format!("--{name}"));
            rest = &rest[i + 2 + name.len()..];
        }
    }
    assert_eq!(
        documented,
        long_options(&["scan"]),
        "README's scan options vs scan --help"
    );
}

#[test]
fn man_pages_are_generated_from_the_command_line() {
    let page = redflag(&["man"]);
    assert!(page.contains(".TH redflag 1"), "{page}");
    for c in subcommands(&[]) {
        assert!(page.contains(&c.replace('-', "\\-")), "the man page lacks `{c}`");
    }
    assert!(page.contains("Exit codes"));
    let scan = redflag(&["man", "scan"]);
    assert!(scan.contains(".TH redflag-scan 1"));
    for o in long_options(&["scan"]) {
        assert!(
            scan.contains(&o.replace('-', "\\-")),
            "redflag-scan(1) lacks `{o}`"
        );
    }
    // A roff formatter reads it without a warning.
    if let Ok(out) = Command::new("groff")
        .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(scan.as_bytes())?;
            child.wait_with_output()
        })
    {
        assert!(
            out.stderr.is_empty(),
            "groff: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_redflag"))
        .args(["man", "bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("commands: scan"));
}

#[test]
fn completions_cover_every_command_and_parse() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = redflag(&["completions", shell]);
        for c in subcommands(&[]) {
            assert!(script.contains(&c), "{shell} completion lacks `{c}`");
        }
        for o in ["--fail-on", "--new-since", "--scope", "--window-start"] {
            assert!(
                script.contains(o.trim_start_matches('-')),
                "{shell} completion lacks `{o}`"
            );
        }
    }
    // The bash script is valid bash.
    let script = redflag(&["completions", "bash"]);
    if let Ok(out) = Command::new("bash").args(["-n", "-c", &script]).output() {
        assert!(
            out.status.success(),
            "bash -n: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// docs/controls.md is `redflag controls list --format markdown` of the built-in pack;
/// `REDFLAG_BLESS=1 cargo test --test docs` rewrites it after a control changes.
#[test]
fn the_control_reference_is_current() {
    let generated = redflag(&["controls", "list", "--format", "markdown"]);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/controls.md");
    if std::env::var_os("REDFLAG_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == on_disk,
        "docs/controls.md is stale: run `REDFLAG_BLESS=1 cargo test --test docs` (or \
         `redflag controls list --format markdown > docs/controls.md`)"
    );
    // Every built-in control has its section.
    let loaded = redflag::control::load(&redflag::control::LoadOptions::default());
    for c in &loaded.controls.controls {
        assert!(
            generated.contains(&format!("\n### {}\n", c.id)),
            "{} has no section",
            c.id
        );
    }
}

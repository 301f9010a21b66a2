//! Every evidence site is in the JSON report; the terminal shows the first few and says how
//! many more there are (issue #16, item 4).

mod support;

use std::time::Duration;

use support::*;

#[test]
fn json_lists_every_site_and_the_terminal_says_how_many_more() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    // Cohere imported from 23 modules and no vendor register: one unregistered-vendor
    // finding with 23 sites (the check used to keep 10).
    const FILES: usize = 23;
    for i in 0..FILES {
        write(
            &root,
            format!("app/agents/agent_{i:02}.py"),
            "import cohere\n\nco = cohere.ClientV2()\n",
        );
    }
    write(&root, "requirements.txt", "cohere==5.5.0\n");
    let limit = Duration::from_secs(60);
    let only = ["--only", "RF3-VENDOR-REGISTERED,RF3-AI-INVENTORY"];
    let json = scan(&root, "json", &only, limit).json();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["control_id"] == "RF3-VENDOR-REGISTERED")
        .unwrap_or_else(|| panic!("no unregistered-vendor finding: {json:#}"));
    let cited = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|p| p["path"].as_str().unwrap().starts_with("app/agents/"))
            .count()
    };
    assert_eq!(cited(&finding["evidence"]), FILES, "{finding:#}");
    // The inventory (a pass's evidence) cites every site too.
    let inventory = json["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "RF3-AI-INVENTORY")
        .unwrap();
    assert_eq!(cited(&inventory["evidence"]), FILES, "{inventory:#}");

    // The terminal keeps its cap and says how many more there are.
    let table = scan(&root, "table", &only, limit).stdout_str();
    let shown = table.lines().filter(|l| l.contains("app/agents/agent_")).count();
    assert!(shown < FILES, "the terminal lists every site:\n{table}");
    let more = table
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("… and ")?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no `… and N more`:\n{table}"));
    assert!(more > 0 && more < FILES, "{more}\n{table}");
}

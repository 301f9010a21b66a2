//! Inline SVG charts for the HTML report: plain markup (no script, no external font or
//! image), sized in the viewBox so they scale with the page and print sharply. Every chart
//! has a `<title>` and an `aria-label` with the numbers, so it reads without the picture.

use std::fmt::Write as _;

use super::escape::html as esc;

/// One horizontal bar.
pub struct Bar<'a> {
    pub label: &'a str,
    /// `None`: no value (drawn as a dashed empty track with `value_text`).
    pub value: Option<f64>,
    pub value_text: String,
    /// A CSS colour.
    pub color: &'a str,
}

const WIDTH: f64 = 640.0;
const ROW: f64 = 36.0;
const LABEL_W: f64 = 230.0;
const VALUE_W: f64 = 120.0;

/// Horizontal bars on a common scale `0..=max` (labels left, values right).
pub fn hbars(title: &str, bars: &[Bar<'_>], max: f64) -> String {
    let height = ROW * bars.len() as f64 + 8.0;
    let track = WIDTH - LABEL_W - VALUE_W - 10.0;
    let aria: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.value_text))
        .collect();
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-label="{}: {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title),
        esc(&aria.join("; ")),
        esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let mid = y + ROW / 2.0;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" dominant-baseline="middle" class="chart-label">{}</text>"#,
            LABEL_W - 8.0,
            mid,
            esc(&crate::text::truncate_chars(b.label, 28))
        );
        let _ = write!(
            s,
            r##"<rect x="{LABEL_W}" y="{:.1}" width="{track:.1}" height="{:.1}" rx="3" fill="#eef0f3"/>"##,
            y + 7.0,
            ROW - 14.0
        );
        match b.value {
            Some(v) if max > 0.0 => {
                let w = (v / max).clamp(0.0, 1.0) * track;
                if w > 0.0 {
                    let _ = write!(
                        s,
                        r#"<rect x="{LABEL_W}" y="{:.1}" width="{w:.1}" height="{:.1}" rx="3" fill="{}"/>"#,
                        y + 7.0,
                        ROW - 14.0,
                        esc(b.color)
                    );
                }
            }
            _ => {
                let _ = write!(
                    s,
                    r##"<rect x="{LABEL_W}" y="{:.1}" width="{track:.1}" height="{:.1}" rx="3" fill="none" stroke="#b8bec7" stroke-dasharray="4 3"/>"##,
                    y + 7.0,
                    ROW - 14.0
                );
            }
        }
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" dominant-baseline="middle" class="chart-value">{}</text>"#,
            LABEL_W + track + 8.0,
            mid,
            esc(&b.value_text)
        );
    }
    s.push_str("</svg>");
    s
}

/// A ring showing a 0..=100 score with the number in the middle.
pub fn score_ring(score: f64, color: &str) -> String {
    let r = 52.0;
    let c = 2.0 * std::f64::consts::PI * r;
    let filled = (score / 100.0).clamp(0.0, 1.0) * c;
    format!(
        concat!(
            r#"<svg class="ring" viewBox="0 0 140 140" width="140" height="140" role="img" aria-label="Readiness score {score:.1} out of 100" xmlns="http://www.w3.org/2000/svg">"#,
            r#"<title>Readiness score {score:.1} out of 100</title>"#,
            r##"<circle cx="70" cy="70" r="{r}" fill="none" stroke="#eef0f3" stroke-width="14"/>"##,
            r#"<circle cx="70" cy="70" r="{r}" fill="none" stroke="{color}" stroke-width="14" stroke-linecap="butt" stroke-dasharray="{filled:.2} {c:.2}" transform="rotate(-90 70 70)"/>"#,
            r#"<text x="70" y="66" text-anchor="middle" class="ring-score">{score:.1}</text>"#,
            r#"<text x="70" y="90" text-anchor="middle" class="ring-unit">/ 100</text>"#,
            "</svg>"
        ),
        score = score,
        r = r,
        color = esc(color),
        filled = filled,
        c = c
    )
}

/// One bar of a timeline.
pub struct Span<'a> {
    pub label: &'a str,
    pub start: crate::date::Date,
    /// Inclusive.
    pub end: crate::date::Date,
    pub color: &'a str,
}

/// A timeline (one row per span) over the months from `from` to `to`, with a dashed
/// marker line (the window start).
pub fn timeline(
    title: &str,
    spans: &[Span<'_>],
    from: crate::date::Date,
    to: crate::date::Date,
    marker: Option<(crate::date::Date, &str)>,
) -> String {
    use chrono::Datelike;
    let label_w = 180.0;
    let width = 900.0;
    let track = width - label_w - 10.0;
    let row = 26.0;
    let top = 26.0;
    let height = top + row * spans.len() as f64 + 8.0;
    let days = ((to - from).num_days().max(1)) as f64;
    let x = |d: crate::date::Date| label_w + ((d - from).num_days() as f64 / days).clamp(0.0, 1.0) * track;
    let mut s = String::new();
    let aria: Vec<String> = spans
        .iter()
        .map(|sp| format!("{}: {} to {}", sp.label, sp.start, sp.end))
        .collect();
    let _ = write!(
        s,
        r#"<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{}: {}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        esc(title),
        esc(&aria.join("; ")),
        esc(title)
    );
    // Month ticks: the first of each month, labelled sparsely when the span is long.
    let mut ticks = Vec::new();
    let mut d = from.with_day(1).unwrap_or(from);
    if d < from {
        d = d.checked_add_months(chrono::Months::new(1)).unwrap_or(to);
    }
    while d <= to {
        ticks.push(d);
        match d.checked_add_months(chrono::Months::new(1)) {
            Some(n) => d = n,
            None => break,
        }
    }
    let every = ticks.len().div_ceil(14).max(1);
    for (i, t) in ticks.iter().enumerate() {
        let tx = x(*t);
        let _ = write!(
            s,
            r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#e3e7ec"/>"##,
            top - 6.0,
            height - 4.0
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{tx:.1}" y="{:.1}" class="tl-axis" text-anchor="middle">{}</text>"#,
                top - 10.0,
                t.format("%Y-%m")
            );
        }
    }
    for (i, sp) in spans.iter().enumerate() {
        let y = top + row * i as f64;
        let x0 = x(sp.start);
        let x1 = x(sp.end.succ_opt().unwrap_or(sp.end)).max(x0 + 2.0);
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end" dominant-baseline="middle" class="tl-label">{}</text>"#,
            label_w - 8.0,
            y + row / 2.0,
            esc(sp.label)
        );
        let _ = write!(
            s,
            r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="3" fill="{}"/>"#,
            y + 5.0,
            x1 - x0,
            row - 10.0,
            esc(sp.color)
        );
    }
    if let Some((m, label)) = marker {
        let mx = x(m);
        let _ = write!(
            s,
            r##"<line x1="{mx:.1}" y1="{:.1}" x2="{mx:.1}" y2="{:.1}" stroke="#23395d" stroke-width="2" stroke-dasharray="5 3"/><text x="{:.1}" y="{:.1}" class="tl-axis" text-anchor="end">{}</text>"##,
            top - 4.0,
            height - 2.0,
            mx - 4.0,
            height - 6.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// The colour of a score: red below 50, amber below 80, green from 80.
pub fn score_color(score: f64) -> &'static str {
    if score < 50.0 {
        "#c0392b"
    } else if score < 80.0 {
        "#d68910"
    } else {
        "#1e8449"
    }
}

/// The colour of a severity.
pub fn severity_color(s: crate::control::Severity) -> &'static str {
    use crate::control::Severity;
    match s {
        Severity::Critical => "#7b1fa2",
        Severity::High => "#c0392b",
        Severity::Medium => "#d68910",
        Severity::Low => "#2e86c1",
    }
}

/// A text bar for Markdown (`████░░░░░░`), `width` cells for `max`.
pub fn text_bar(value: f64, max: f64, width: usize) -> String {
    let filled = if max > 0.0 {
        ((value / max).clamp(0.0, 1.0) * width as f64).round() as usize
    } else {
        0
    };
    let mut s = "█".repeat(filled);
    s.push_str(&"░".repeat(width - filled));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_are_well_formed() {
        let svg = hbars(
            "Score <per> flag",
            &[
                Bar {
                    label: "a & <b>",
                    value: Some(50.0),
                    value_text: "50".into(),
                    color: "#000",
                },
                Bar {
                    label: "none",
                    value: None,
                    value_text: "n/a".into(),
                    color: "#000",
                },
            ],
            100.0,
        );
        assert!(svg.contains("a &amp; &lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn text_bars_have_fixed_width() {
        assert_eq!(text_bar(5.0, 10.0, 10), "█████░░░░░");
        assert_eq!(text_bar(0.0, 0.0, 4), "░░░░");
        assert_eq!(text_bar(20.0, 10.0, 4), "████");
    }
}

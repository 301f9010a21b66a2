//! The consultant's document, computed once: every section the Markdown and HTML reports
//! show (cover, executive summary, top risks, one section per red flag, TSC coverage, manual
//! controls and evidence requests, risk acceptances, roadmap, appendix) as plain data. The
//! two renderers only lay it out through their templates (`templates/report.md.j2`,
//! `templates/report.html.j2`), which escape every value by default; nothing here is HTML
//! or Markdown, so a sentence or a count is decided in one place for both.

use std::collections::BTreeSet;

use serde::Serialize;

use super::consultant::{
    self as cx, category_name, controls_sentence, severity_word, status_word, ReportMeta, SEVERITIES,
};
use super::prose::{first_sentence, unwrap_text};
use super::roadmap::{self, PhaseKind, Roadmap};
use super::{location, BaselineState, ControlOut, FindingOut, PointerOut, Report, Status, TargetRole};
use crate::control::Severity;
use crate::text::plural;

/// Evidence lines shown for a passing or manual control, and per finding; the appendix
/// shows all.
const CONTROL_EVIDENCE: usize = 6;
const FINDING_EVIDENCE: usize = 8;
/// How many top risks the summary lists.
const TOP_RISKS: usize = 5;

/// The whole consultant document.
#[derive(Debug, Serialize)]
pub struct Document {
    pub version: &'static str,
    pub as_of: String,
    pub cover: Cover,
    pub summary: SummaryView,
    pub red_flags: Vec<RedFlagView>,
    pub tsc: TscView,
    pub manual: ManualView,
    pub waivers: Vec<WaiverRow>,
    pub roadmap: RoadmapView,
    pub appendix: Appendix,
    /// The plan the roadmap section shows, for charts drawn from its dates.
    #[serde(skip)]
    pub plan: Roadmap,
}

#[derive(Debug, Serialize)]
pub struct Cover {
    pub client: Option<String>,
    /// The client without a trailing period, for "prepared for …".
    pub client_short: Option<String>,
    pub assessor: Option<String>,
    /// The Trust Services categories in scope, by name.
    pub scope: String,
    pub score_text: String,
    /// "31 controls".
    pub controls: String,
    pub pass: usize,
    pub gap: usize,
    pub manual: usize,
    pub not_applicable: usize,
    pub targets: Vec<TargetRow>,
}

#[derive(Debug, Serialize)]
pub struct TargetRow {
    pub path: String,
    pub role: &'static str,
    pub files: u64,
    pub size: String,
    pub commit: Option<String>,
}

/// A status as the client report shows it: its key (`not_applicable`), label (`N/A`) and
/// word (`Not applicable`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StatusView {
    pub key: Status,
    pub label: &'static str,
    pub word: &'static str,
}

impl From<Status> for StatusView {
    fn from(s: Status) -> Self {
        Self {
            key: s,
            label: s.label(),
            word: status_word(s),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct SummaryView {
    pub score: Option<f64>,
    pub score_text: String,
    pub controls_sentence: String,
    pub findings: usize,
    /// Findings by state ([`FindingOut::state`]): open, known from a baseline, waived.
    pub open: usize,
    pub known: usize,
    pub waived: usize,
    pub by_severity: Vec<SeverityRow>,
    /// The largest severity total, at least 1: the scale of the severity bars.
    pub severity_max: usize,
    pub by_red_flag: Vec<RedFlagScore>,
    pub risks: Vec<RiskView>,
}

#[derive(Debug, Serialize)]
pub struct SeverityRow {
    pub severity: Severity,
    pub word: &'static str,
    pub total: usize,
    /// "3", or "3 + 1 accepted" when some are waived.
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct RedFlagScore {
    /// "RF3 · Third-party AI providers are black boxes".
    pub label: String,
    /// "RF3 · AI vendors", for a chart.
    pub short_label: String,
    pub score: Option<f64>,
    /// "14", or "n/a".
    pub text: String,
}

/// One of the top risks: a gap control with open findings, in plain words.
#[derive(Debug, Serialize)]
pub struct RiskView {
    pub control_id: String,
    pub severity: Severity,
    /// What the gap means to the business and the audit.
    pub headline: String,
    /// What was found: the first few finding messages.
    pub found: Vec<String>,
    pub more: usize,
    /// Where, for the first open finding.
    pub at: Option<String>,
    /// The fix, first sentence.
    pub fix: String,
}

#[derive(Debug, Serialize)]
pub struct RedFlagView {
    /// `rf3`, or `rf-other`.
    pub key: String,
    pub heading: String,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Serialize)]
pub struct ControlView {
    pub id: String,
    pub title: String,
    pub status: StatusView,
    pub severity: Severity,
    pub tsc: String,
    pub findings_count: usize,
    /// A gap's findings.
    pub findings: Vec<FindingView>,
    /// A gap's fix and why the auditor cares, unwrapped.
    pub remediation: String,
    pub rationale: Option<String>,
    /// A pass: what the check examined.
    pub examined: Option<String>,
    /// A pass or a manual control: its own evidence.
    pub evidence: Evidence,
    /// Not applicable or blocked: why.
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct FindingView {
    pub message: String,
    /// The reason of the waiver that accepts it.
    pub waiver: Option<String>,
    pub baseline: Option<BaselineState>,
    /// Its evidence is the previous finding's: shown once.
    pub as_above: bool,
    pub evidence: Evidence,
}

/// Evidence pointers, the first few, and how many more there are.
#[derive(Debug, Default, Serialize)]
pub struct Evidence {
    pub items: Vec<PointerView>,
    pub more: usize,
}

#[derive(Debug, Serialize)]
pub struct PointerView {
    pub at: String,
    pub snippet: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TscView {
    pub scope: String,
    pub out_of_scope: Vec<OutOfScopeRow>,
    pub rows: Vec<TscRowView>,
    pub uncovered: Vec<UncoveredRow>,
}

#[derive(Debug, Serialize)]
pub struct OutOfScopeRow {
    pub id: String,
    pub title: String,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct TscRowView {
    pub id: String,
    pub title: String,
    pub status: StatusView,
    /// The criterion's category by name, when it is outside the engagement's scope.
    pub out_of_scope_category: Option<String>,
    pub controls: Vec<TscControl>,
}

#[derive(Debug, Serialize)]
pub struct TscControl {
    pub id: String,
    pub status: StatusView,
}

#[derive(Debug, Serialize)]
pub struct UncoveredRow {
    pub id: String,
    pub category: &'static str,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct ManualView {
    pub controls: Vec<ManualControl>,
    pub requests: Vec<RequestRow>,
}

#[derive(Debug, Serialize)]
pub struct ManualControl {
    pub id: String,
    pub title: String,
    /// The control's explain texts, when known: rationale and evidence requests.
    pub rationale: Option<String>,
    pub asks: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RequestRow {
    pub id: String,
    pub title: String,
    pub status: StatusView,
    pub asks: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct WaiverRow {
    pub control: String,
    pub applies_to: String,
    pub reason: String,
    pub owner: String,
    pub expires: String,
    pub status: String,
    pub matched: usize,
}

#[derive(Debug, Serialize)]
pub struct RoadmapView {
    pub headline: String,
    /// The first constraint, as a sentence (the summary's call-out).
    pub first_reason: String,
    pub constraints: Vec<String>,
    pub requested: Option<RequestedView>,
    pub window_start: String,
    pub window_end_6_months: String,
    pub window_end_12_months: String,
    pub phases: Vec<PhaseRow>,
    pub months: Vec<MonthView>,
    pub observation_goals: &'static [&'static str],
    pub during_window: Vec<TaskView>,
    pub at_window_end: Vec<String>,
    pub accepted: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RequestedView {
    pub date: String,
    pub feasible: bool,
    pub reasons: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PhaseRow {
    pub name: &'static str,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Serialize)]
pub struct MonthView {
    pub title: String,
    pub start: String,
    pub end: String,
    pub phases: String,
    /// Set on the first month of a phase: the goals of its phases.
    pub phase_start: bool,
    pub goals: Vec<&'static str>,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Serialize)]
pub struct TaskView {
    pub severity: Option<Severity>,
    pub control_id: Option<String>,
    pub milestone: bool,
    pub title: String,
    pub due: String,
    pub critical_path: bool,
    pub after: String,
    pub details: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Appendix {
    pub documents: Vec<DocumentRow>,
    pub controls: Vec<AppendixControl>,
    pub notes: Vec<NoteRow>,
}

#[derive(Debug, Serialize)]
pub struct DocumentRow {
    pub title: String,
    pub at: String,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct AppendixControl {
    pub id: String,
    pub title: String,
    pub status: StatusView,
    pub evidence: Evidence,
}

#[derive(Debug, Serialize)]
pub struct NoteRow {
    pub at: String,
    pub message: String,
}

/// Computes the document.
pub fn build(report: &Report, meta: &ReportMeta) -> Document {
    let plan = roadmap::plan_with(report, report.as_of, meta.window_start, &meta.controls);
    let multi = report.targets.len() > 1;
    Document {
        version: report.tool.version,
        as_of: super::iso(report.as_of),
        cover: cover(report, meta),
        summary: summary(report, meta, multi),
        red_flags: cx::red_flags(report)
            .into_iter()
            .map(|rf| red_flag(report, meta, rf, multi))
            .collect(),
        tsc: tsc(report, meta),
        manual: manual(report, meta),
        waivers: waivers(report),
        roadmap: roadmap_view(&plan),
        appendix: appendix(report, multi),
        plan,
    }
}

fn scope_names(meta: &ReportMeta) -> String {
    let names: Vec<&str> = meta.scope_categories().into_iter().map(category_name).collect();
    names.join(", ")
}

fn cover(report: &Report, meta: &ReportMeta) -> Cover {
    let sm = &report.summary;
    let targets = report
        .targets
        .iter()
        .map(|t| TargetRow {
            path: t.path.clone(),
            role: if t.role == TargetRole::Evidence {
                "evidence documents"
            } else {
                "code and configuration"
            },
            files: t.files_scanned,
            size: cx::human_size(t.bytes_scanned),
            commit: meta.commit(&t.path).map(str::to_string),
        })
        .collect();
    Cover {
        client: meta.client.clone(),
        client_short: meta
            .client
            .as_deref()
            .map(|c| c.trim_end_matches('.').to_string()),
        assessor: meta.assessor.clone(),
        scope: scope_names(meta),
        score_text: sm.score_text(),
        controls: plural(sm.controls, "control"),
        pass: sm.pass,
        gap: sm.gap,
        manual: sm.manual,
        not_applicable: sm.not_applicable,
        targets,
    }
}

fn summary(report: &Report, meta: &ReportMeta, multi: bool) -> SummaryView {
    let sm = &report.summary;
    let count = |state: &str| report.findings.iter().filter(|f| f.state() == state).count();
    let by_severity: Vec<SeverityRow> = SEVERITIES
        .iter()
        .map(|&severity| {
            let of: Vec<&FindingOut> = report
                .findings
                .iter()
                .filter(|f| f.severity == severity)
                .collect();
            let mut text = of.iter().filter(|f| f.is_open()).count().to_string();
            for (state, word) in [("known", "known"), ("waived", "accepted")] {
                let n = of.iter().filter(|f| f.state() == state).count();
                if n > 0 {
                    text.push_str(&format!(" + {n} {word}"));
                }
            }
            SeverityRow {
                severity,
                word: severity_word(severity),
                total: of.len(),
                text,
            }
        })
        .collect();
    SummaryView {
        score: sm.score,
        score_text: sm.score_text(),
        controls_sentence: controls_sentence(sm),
        findings: sm.findings,
        open: count("open"),
        known: count("known"),
        waived: count("waived"),
        severity_max: by_severity.iter().map(|r| r.total).max().unwrap_or(0).max(1),
        by_severity,
        by_red_flag: red_flag_scores(report),
        risks: top_risks(report, meta, multi),
    }
}

/// The chart name of a red flag (its title is too long for a bar label).
fn short_title(n: u8) -> &'static str {
    crate::control::red_flags::short(n)
}

fn red_flag_scores(report: &Report) -> Vec<RedFlagScore> {
    cx::red_flags(report)
        .into_iter()
        .map(|rf| {
            let score = super::score(report.controls.iter().filter(|c| c.red_flag == rf));
            let (label, short_label) = match rf {
                Some(n) => (
                    format!("RF{n} · {}", crate::control::red_flag_title(rf)),
                    format!("RF{n} · {}", short_title(n)),
                ),
                None => ("Other controls".to_string(), "Other controls".to_string()),
            };
            RedFlagScore {
                label,
                short_label,
                score,
                text: score.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}")),
            }
        })
        .collect()
}

fn findings_of<'a>(report: &'a Report, id: &'a str) -> impl Iterator<Item = &'a FindingOut> {
    report.findings.iter().filter(move |f| f.control_id == id)
}

/// Every pointer of a control: its evidence, then its findings' evidence, deduplicated.
pub fn all_evidence<'a>(report: &'a Report, c: &'a ControlOut) -> Vec<&'a PointerOut> {
    let mut seen: BTreeSet<&PointerOut> = BTreeSet::new();
    let mut out = Vec::new();
    for p in c
        .evidence
        .iter()
        .chain(findings_of(report, &c.id).flat_map(|f| f.evidence.iter()))
    {
        if seen.insert(p) {
            out.push(p);
        }
    }
    out
}

/// Up to [`TOP_RISKS`] gap controls with open findings, most severe first.
fn top_risks(report: &Report, meta: &ReportMeta, multi: bool) -> Vec<RiskView> {
    let mut gaps: Vec<(&ControlOut, Vec<&FindingOut>)> = report
        .controls
        .iter()
        .filter(|c| c.status == Status::Gap)
        .map(|c| {
            (
                c,
                findings_of(report, &c.id)
                    .filter(|f| f.is_open())
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, open)| !open.is_empty())
        .collect();
    gaps.sort_by(|(a, fa), (b, fb)| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.red_flag.unwrap_or(99).cmp(&b.red_flag.unwrap_or(99)))
            .then_with(|| fb.len().cmp(&fa.len()))
            .then_with(|| a.id.cmp(&b.id))
    });
    gaps.into_iter()
        .take(TOP_RISKS)
        .map(|(c, open)| {
            let found: Vec<String> = open.iter().take(3).map(|f| f.message.clone()).collect();
            RiskView {
                control_id: c.id.to_string(),
                severity: c.severity,
                headline: headline(c, meta),
                more: open.len().saturating_sub(found.len()),
                found,
                at: open
                    .iter()
                    .find_map(|f| f.evidence.first())
                    .map(|p| p.location(multi)),
                fix: first_sentence(&c.remediation),
            }
        })
        .collect()
}

/// What a gap means in plain words: the control's `risk:` text, else its title and the
/// first sentence of why it matters.
fn headline(c: &ControlOut, meta: &ReportMeta) -> String {
    let text = meta.text(&c.id);
    if let Some(risk) = text.and_then(|t| t.risk.as_deref()) {
        return risk.to_string();
    }
    let title = c.title.trim_end_matches('.');
    match text
        .map(|t| first_sentence(&t.rationale))
        .filter(|s| !s.is_empty())
    {
        Some(why) => format!("Not met: {title}. {why}"),
        None => format!("Not met: {title}."),
    }
}

fn evidence(ps: &[&PointerOut], multi: bool, limit: usize) -> Evidence {
    Evidence {
        items: ps
            .iter()
            .take(limit)
            .map(|p| PointerView {
                at: p.location(multi),
                snippet: p.snippet.clone(),
                label: p.label.clone(),
            })
            .collect(),
        more: ps.len().saturating_sub(limit),
    }
}

fn red_flag(report: &Report, meta: &ReportMeta, rf: Option<u8>, multi: bool) -> RedFlagView {
    RedFlagView {
        key: rf.map_or_else(|| "rf-other".to_string(), |n| format!("rf{n}")),
        heading: cx::red_flag_heading(rf),
        controls: report
            .controls
            .iter()
            .filter(|c| c.red_flag == rf)
            .map(|c| control(report, meta, c, multi))
            .collect(),
    }
}

fn control(report: &Report, meta: &ReportMeta, c: &ControlOut, multi: bool) -> ControlView {
    let own: Vec<&PointerOut> = c.evidence.iter().collect();
    let mut view = ControlView {
        id: c.id.to_string(),
        title: c.title.clone(),
        status: c.status.into(),
        severity: c.severity,
        tsc: c.tsc.join(" "),
        findings_count: c.findings,
        findings: Vec::new(),
        remediation: String::new(),
        rationale: None,
        examined: c.examined.clone(),
        evidence: Evidence::default(),
        reason: c.reason.clone().unwrap_or_else(|| "not applicable".to_string()),
    };
    match c.status {
        Status::Gap => {
            let mut previous: Option<&[PointerOut]> = None;
            for f in findings_of(report, &c.id) {
                view.findings.push(finding(f, previous, multi));
                previous = Some(f.evidence.as_slice());
            }
            view.remediation = unwrap_text(&c.remediation);
            view.rationale = meta.text(&c.id).map(|t| unwrap_text(&t.rationale));
        }
        Status::Pass | Status::Manual => view.evidence = evidence(&own, multi, CONTROL_EVIDENCE),
        Status::NotApplicable | Status::Blocked => {}
    }
    view
}

fn finding(f: &FindingOut, previous: Option<&[PointerOut]>, multi: bool) -> FindingView {
    let as_above = !f.evidence.is_empty() && previous == Some(f.evidence.as_slice());
    let own: Vec<&PointerOut> = f.evidence.iter().collect();
    FindingView {
        message: f.message.clone(),
        waiver: f.waiver.as_ref().map(|w| w.reason.clone()),
        baseline: f.baseline,
        as_above,
        evidence: if as_above {
            Evidence::default()
        } else {
            evidence(&own, multi, FINDING_EVIDENCE)
        },
    }
}

fn tsc(report: &Report, meta: &ReportMeta) -> TscView {
    let (rows, uncovered) = cx::tsc_coverage(report, meta);
    TscView {
        scope: scope_names(meta),
        out_of_scope: report
            .out_of_scope
            .iter()
            .map(|o| OutOfScopeRow {
                id: o.id.to_string(),
                title: o.title.clone(),
                reason: o.reason.clone(),
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| TscRowView {
                out_of_scope_category: (!r.in_scope && !r.category.is_empty())
                    .then(|| category_name(&r.category).to_string()),
                id: r.id,
                title: r.title,
                status: r.status.into(),
                controls: r
                    .controls
                    .into_iter()
                    .map(|(id, st)| TscControl {
                        id: id.to_string(),
                        status: st.into(),
                    })
                    .collect(),
            })
            .collect(),
        uncovered: uncovered
            .into_iter()
            .map(|c| UncoveredRow {
                id: c.id.to_string(),
                category: category_name(&c.category),
                title: c.title.clone(),
            })
            .collect(),
    }
}

fn manual(report: &Report, meta: &ReportMeta) -> ManualView {
    let asks = |id: &str| {
        meta.text(id)
            .map(|t| t.auditor_evidence.clone())
            .unwrap_or_default()
    };
    ManualView {
        controls: report
            .controls
            .iter()
            .filter(|c| c.status == Status::Manual)
            .map(|c| ManualControl {
                id: c.id.to_string(),
                title: c.title.clone(),
                rationale: meta.text(&c.id).map(|t| unwrap_text(&t.rationale)),
                asks: asks(&c.id),
            })
            .collect(),
        requests: report
            .controls
            .iter()
            .filter(|c| c.status != Status::NotApplicable)
            .map(|c| RequestRow {
                id: c.id.to_string(),
                title: c.title.clone(),
                status: c.status.into(),
                asks: asks(&c.id),
            })
            .collect(),
    }
}

fn waivers(report: &Report) -> Vec<WaiverRow> {
    report
        .waivers
        .iter()
        .map(|w| WaiverRow {
            control: w.control.clone(),
            applies_to: w
                .location
                .clone()
                .or_else(|| w.path.clone())
                .or_else(|| w.fingerprint.clone())
                .unwrap_or_else(|| "all paths".into()),
            reason: w.reason.clone(),
            owner: w.owner.clone().unwrap_or_else(|| "—".into()),
            expires: w.expires.clone().unwrap_or_else(|| "never".into()),
            status: w.status.to_string(),
            matched: w.matched,
        })
        .collect()
}

/// Ends a clause with a period.
fn sentence(s: &str) -> String {
    if s.is_empty() || s.ends_with('.') {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

fn task(t: &roadmap::Task) -> TaskView {
    TaskView {
        severity: t.severity,
        control_id: t.control_id.as_ref().map(ToString::to_string),
        milestone: t.kind == roadmap::TaskKind::Milestone,
        title: t.title.clone(),
        due: t.due.to_string(),
        critical_path: t.critical_path,
        after: t.after.join(", "),
        details: t.details.clone(),
    }
}

fn roadmap_view(road: &Roadmap) -> RoadmapView {
    let months = roadmap::month_blocks(road)
        .into_iter()
        .map(|b| MonthView {
            title: b.title(),
            start: b.first.start.to_string(),
            end: b.last.end.to_string(),
            phases: b.phases(),
            phase_start: b.phase_start,
            goals: b.first.phases.iter().flat_map(|p| p.goals()).copied().collect(),
            tasks: b.first.tasks.iter().map(task).collect(),
        })
        .collect();
    RoadmapView {
        headline: roadmap::headline(road),
        first_reason: sentence(road.constraints.first().map_or("", |c| c.explanation.as_str())),
        constraints: road.constraints.iter().map(|c| c.explanation.clone()).collect(),
        requested: road.requested.as_ref().map(|q| RequestedView {
            date: q.date.to_string(),
            feasible: q.feasible,
            reasons: q.reasons.clone(),
        }),
        window_start: road.window.start.to_string(),
        window_end_6_months: road.window.end_6_months.to_string(),
        window_end_12_months: road.window.end_12_months.to_string(),
        phases: road
            .phases
            .iter()
            .map(|p| PhaseRow {
                name: p.kind.name(),
                start: p.start.to_string(),
                end: p.end.to_string(),
            })
            .collect(),
        months,
        observation_goals: PhaseKind::Observation.goals(),
        during_window: road.during_window.iter().map(task).collect(),
        at_window_end: road.at_window_end.clone(),
        accepted: road.accepted.clone(),
    }
}

fn appendix(report: &Report, multi: bool) -> Appendix {
    Appendix {
        documents: report
            .documents
            .iter()
            .map(|d| DocumentRow {
                title: d.title.clone(),
                at: location(&d.target, &d.path, None, multi),
                summary: d.summary.clone(),
            })
            .collect(),
        controls: report
            .controls
            .iter()
            .map(|c| AppendixControl {
                id: c.id.to_string(),
                title: c.title.clone(),
                status: c.status.into(),
                evidence: evidence(&all_evidence(report, c), multi, usize::MAX),
            })
            .collect(),
        notes: report
            .notes
            .iter()
            .map(|n| NoteRow {
                at: location(&n.target, &n.path, None, multi),
                message: n.message.clone(),
            })
            .collect(),
    }
}

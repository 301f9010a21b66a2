//! Making a report safe to print: every string of it that comes from a target passes
//! through one [`Redactor`] — messages, evidence lines, labels, notes, paths (of targets,
//! pointers, notes, waivers and baseline entries), waiver reasons, owners and sources,
//! baseline entries — and control characters are escaped. [`build`](super::build()) seals
//! what it builds with the pack's redactor, the scan seals again once waivers and the
//! baseline are applied, and `merge` seals every string of every report it reads, the
//! pack's texts included (a JSON report from elsewhere is untrusted input).
//! Redaction is idempotent, so sealing a sealed report changes nothing. Fingerprints are
//! hex digests of the checks' keys; they are never rewritten.

use super::{PointerOut, Report, WaiverStatus};
use crate::redact::Redactor;
use crate::text::truncate_chars;

/// At most this many characters of an evidence line are shown (as [`crate::redact::snippet`]).
const SNIPPET_CHARS: usize = 200;

/// Redacts and escapes every string of `report` that comes from a target (everything but
/// the control pack's ids, titles, criteria and remediation), in place.
pub fn seal(report: &mut Report, r: &Redactor) {
    let text = |s: &mut String| *s = r.shown(s);
    let path = |s: &mut String| *s = r.path(s);
    let pointer = |p: &mut PointerOut| {
        path(&mut p.target);
        path(&mut p.path);
        if let Some(s) = &mut p.snippet {
            let shown = r.shown(s);
            *s = if shown.chars().count() > SNIPPET_CHARS {
                truncate_chars(&shown, SNIPPET_CHARS)
            } else {
                shown
            };
        }
        if let Some(l) = &mut p.label {
            text(l);
        }
    };
    for t in &mut report.targets {
        path(&mut t.path);
    }
    for c in &mut report.controls {
        c.evidence.iter_mut().for_each(pointer);
        c.examined.iter_mut().for_each(text);
        c.reason.iter_mut().for_each(text);
    }
    for f in &mut report.findings {
        text(&mut f.message);
        text(&mut f.fingerprint);
        f.evidence.iter_mut().for_each(pointer);
        f.context.iter_mut().for_each(pointer);
        if let Some(w) = &mut f.waiver {
            text(&mut w.source);
            text(&mut w.reason);
            w.owner.iter_mut().for_each(text);
            w.expires.iter_mut().for_each(text);
        }
    }
    for n in &mut report.notes {
        path(&mut n.target);
        path(&mut n.path);
        text(&mut n.message);
    }
    for w in &mut report.waivers {
        text(&mut w.source);
        text(&mut w.control);
        w.path.iter_mut().for_each(path);
        w.fingerprint.iter_mut().for_each(text);
        text(&mut w.reason);
        w.owner.iter_mut().for_each(text);
        w.expires.iter_mut().for_each(text);
        if let WaiverStatus::Invalid(why) = &mut w.status {
            text(why);
        }
        w.location.iter_mut().for_each(path);
    }
    if let Some(b) = &mut report.baseline {
        path(&mut b.source);
        for e in &mut b.fixed {
            text(&mut e.fingerprint);
            text(&mut e.control_id);
            path(&mut e.path);
            text(&mut e.message);
            text(&mut e.first_seen);
            e.expires.iter_mut().for_each(text);
        }
    }
}

/// [`seal`], and the control pack's texts too: for a report read from elsewhere (`merge`),
/// where every string is untrusted input.
pub fn seal_untrusted(report: &mut Report, r: &Redactor) {
    seal(report, r);
    let text = |s: &mut String| *s = r.shown(s);
    // Multi-line texts (remediation): line breaks kept.
    let block = |s: &mut String| *s = s.split('\n').map(|l| r.shown(l)).collect::<Vec<_>>().join("\n");
    for c in &mut report.controls {
        c.id = r.shown(&c.id).into();
        text(&mut c.title);
        c.blocked_by.iter_mut().for_each(|id| *id = r.shown(id).into());
        c.tsc.iter_mut().for_each(text);
        block(&mut c.remediation);
    }
    for f in &mut report.findings {
        f.control_id = r.shown(&f.control_id).into();
        text(&mut f.title);
        f.tsc.iter_mut().for_each(text);
        block(&mut f.remediation);
    }
}

//! Secrets never leave redflag. Every line shown as evidence, in every format, passes
//! through [`redact`] when its pointer is built, so a key found in a client's repository
//! cannot end up in a CI log or a consultant's PDF. A redacted secret keeps a short prefix
//! (`sk-ant-…`) so a reader can still tell which key it was.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};

/// Secret shapes, each with the number of leading characters that may be shown.
/// One alternation, so a line is scanned once whatever the number of shapes.
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    // Private key blocks, through the END line when it is on the same line; `\n` escapes
    // (a key inside a JSON string, as in cloud service-account files) are part of it.
    let pem = r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s]|\\[nr])*(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----)?";
    // A secret cut short by an earlier truncation (a hit's line is capped at 400
    // characters, the cut marked `…`) still loses what is left of it.
    let shapes = [
        format!("(?P<pem>{pem})"),
        // Vendor API keys with a distinctive prefix, and JSON web tokens.
        r"(?P<key>(?:sk-ant-(?:api|admin)[0-9]{2}-|sk-(?:proj|svcacct|admin|or-v1)-|sk-|[sr]k_(?:live|test)_|gsk_|hf_|r8_|pplx-|pcsk_|xai-|fw_|AIza|ghp_|gho_|ghs_|ghu_|ghr_|github_pat_|glpat-|xox[abposr]-|sq0csp-|SG\.|AKIA|ASIA|eyJ)(?:[A-Za-z0-9_\-.]{12,}|[A-Za-z0-9_\-.]{1,11}…))".to_string(),
        // Bearer / basic tokens in headers.
        r"(?i:(?P<bearer>(?:bearer|basic)\s+)(?:[A-Za-z0-9_\-.=+/]{12,}|[A-Za-z0-9_\-.=+/]{1,11}…))".to_string(),
        // Passwords inside connection strings: scheme://user:password@host (user may be empty).
        r"(?P<url>[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?:[^\s@/]{3,}@|(?P<urlcut>[^\s@/]{1,}…|…\[redacted\]))".to_string(),
        // key = "value" assignments whose name says secret.
        // (A private key assigned to a name is one value, spaces and all.)
        format!(
            r#"(?i:(?P<assign>(?:api[_-]?key|secret(?:[_-]?access)?[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|secret|token|passwd|password|passphrase|pwd|auth|credentials?)["']?\s*[:=]\s*["']?))(?P<aval>{pem}|…\[redacted\]|[^\s"',;]{{6,}})"#
        ),
    ];
    Regex::new(&shapes.join("|")).expect("redaction regex compiles")
});

/// Passes of [`redact_once`] at most: each pass can uncover a secret the previous one hid
/// (redacting `ANT@ROPIC_` removes an `@` that kept `scheme://user:password@host` from
/// reading as a connection string), so redaction runs until nothing changes.
const MAX_PASSES: usize = 6;

/// Replaces every secret in `line` with a short prefix and `…[redacted]`. Idempotent:
/// redacting the result changes nothing (a report rendered from redacted text shows the
/// same text).
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut out = redact_once(line);
    for _ in 1..MAX_PASSES {
        let next = match redact_once(&out) {
            Cow::Owned(next) if next != *out => next,
            _ => break,
        };
        out = Cow::Owned(next);
    }
    out
}

fn redact_once(line: &str) -> Cow<'_, str> {
    SECRET.replace_all(line, |c: &Captures| {
        // Already redacted (`sk-ant-api03-…[redacted]` reads as a key cut short): keep.
        let rest = &line[c.get(0).map_or(0, |m| m.end())..];
        if rest.starts_with("[redacted]") || rest.starts_with("…[redacted]") {
            return c[0].to_string();
        }
        if c.name("pem").is_some() {
            return "-----BEGIN PRIVATE KEY-----…[redacted]".to_string();
        }
        if let Some(m) = c.name("key") {
            let keep: String = m.as_str().chars().take(prefix_len(m.as_str())).collect();
            return format!("{keep}…[redacted]");
        }
        if let Some(m) = c.name("bearer") {
            return format!("{}…[redacted]", m.as_str());
        }
        if let Some(m) = c.name("url") {
            let at = if c.name("urlcut").is_some() { "" } else { "@" };
            // The user part is shown, but may itself be a token (`https://ghp_…:x@github.com`).
            let (scheme, user) = m.as_str().split_once("://").unwrap_or(("", m.as_str()));
            return format!("{scheme}://{}…[redacted]{at}", redact(user));
        }
        if let Some(m) = c.name("assign") {
            let value = c.name("aval").map_or("", |v| v.as_str());
            if is_reference(value) || is_plain_word(value) {
                return c[0].to_string();
            }
            let n = prefix_len(value);
            let keep: String = if n == 4 {
                String::new()
            } else {
                value.chars().take(n).collect()
            };
            return format!("{}{keep}…[redacted]", m.as_str());
        }
        String::from("…[redacted]")
    })
}

/// A value that names where a secret comes from rather than being one: an environment
/// variable name (`ANTHROPIC_API_KEY`), a dotted or called reference (`settings.api_key`,
/// `os.getenv(`), or a template (`${{ secrets.X }}`, `$TOKEN`).
fn is_reference(value: &str) -> bool {
    let v = value.trim_end_matches([')', ']', '}']);
    let ident = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let all_caps =
        ident(v) && v.chars().any(|c| c.is_ascii_uppercase()) && !v.chars().any(|c| c.is_ascii_lowercase());
    let dotted = v.contains('.') && v.split('.').all(|p| ident(p.trim_end_matches('(')));
    all_caps && v.chars().any(|c| c == '_') && prefix_len(v) == 4
        || dotted
        || v.contains('(')
        || v.starts_with('$')
        || v.starts_with("{{")
        || v.starts_with("process.env")
}

/// A setting's value that is not a secret (`token: required`, `auth: disabled`).
fn is_plain_word(value: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "null", "none", "required", "optional", "enabled", "disabled", "string", "boolean",
        "changeme", "redacted", "example",
    ];
    WORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

/// How much of a key may be shown: its vendor prefix and nothing of the random part.
fn prefix_len(key: &str) -> usize {
    const PREFIXES: &[&str] = &[
        "sk-ant-api03-",
        "sk-ant-admin01-",
        "sk-proj-",
        "sk-svcacct-",
        "sk-admin-",
        "sk-or-v1-",
        "github_pat_",
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "rk_test_",
        "sk-",
        "gsk_",
        "hf_",
        "r8_",
        "pplx-",
        "pcsk_",
        "xai-",
        "fw_",
        "AIza",
        "ghp_",
        "gho_",
        "ghs_",
        "ghu_",
        "ghr_",
        "glpat-",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "xoxs-",
        "xoxo-",
        "xoxr-",
        "sq0csp-",
        "SG.",
        "AKIA",
        "ASIA",
        "eyJ",
    ];
    PREFIXES
        .iter()
        .find(|p| key.starts_with(*p))
        .map_or(4, |p| p.len())
}

/// True when `line` contains something [`redact`] would hide.
pub fn has_secret(line: &str) -> bool {
    SECRET.is_match(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_only_their_prefix() {
        let key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghij";
        let line = format!("client = Anthropic(api_key=\"{key}\")");
        let out = redact(&line);
        assert!(!out.contains("AbCdEfGh"), "{out}");
        assert!(out.contains("sk-ant-api03-…[redacted]"), "{out}");
    }

    #[test]
    fn other_secret_shapes() {
        for (line, secret) in [
            ("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "IOSFODNN7EXAMPLE"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
                "eyJhbGciOiJIUzI1NiJ9",
            ),
            ("DATABASE_URL=postgres://app:s3cretpass@db:5432/x", "s3cretpass"),
            (
                "git clone https://ghp_Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL:x-oauth-basic@github.com/a/b",
                "Zx8Cv6Bn4Mq2Wr9Ty7Ui5Op3As1Df0GhJkL",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY----- MIIEpAIBAAKCAQEA",
                "MIIEpAIBAAKCAQEA",
            ),
            ("password: hunter2hunter2", "hunter2hunter2"),
        ] {
            let out = redact(line);
            assert!(!out.contains(secret), "{line} -> {out}");
        }
    }

    #[test]
    fn references_to_secrets_are_not_secrets() {
        for line in [
            "client = Anthropic(api_key=ANTHROPIC_API_KEY)",
            "token = settings.github_token",
            "password: ${DB_PASSWORD}",
            "api_key = os.getenv(\"OPENAI_API_KEY\")",
        ] {
            assert_eq!(redact(line), line);
        }
        assert!(!redact("password = \"Tr0ub4dor&3xyz\"").contains("Tr0ub4dor"));
    }

    #[test]
    fn ordinary_lines_are_untouched() {
        let line = "import anthropic  # the sk- prefix is documented";
        assert_eq!(redact(line), line);
    }
}

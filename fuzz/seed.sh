#!/usr/bin/env bash
# Builds fuzz/corpus/TARGET/ (not committed) from the repository's own examples, fixtures and
# control pack, so every target starts from real inputs of its format. Targets whose first
# input byte selects a file name or format get that byte prepended.
set -euo pipefail
cd "$(dirname "$0")/.."
C=fuzz/corpus
mkdir -p "$C"/{yaml,json,document,markdown,front_matter,csv,manifest,hcl,controls,config,redact,dates,scan}
files() { find examples tests/fixtures controls "$@" -type f 2>/dev/null | sort; }
n=0
put() { # target, selector byte (or ""), file
  n=$((n + 1))
  if [ -n "$2" ]; then { printf "\\x$(printf %02x "$2")"; cat "$3"; } > "$C/$1/seed-$n"; else cp "$3" "$C/$1/seed-$n"; fi
}
for f in $(files -name '*.yaml' -o -name '*.yml'); do put yaml "" "$f"; put document 1 "$f"; put controls 1 "$f"; done
for f in $(files -name '*.json'); do put json "" "$f"; put document 3 "$f"; put manifest 5 "$f"; done
for f in $(files -name '*.md'); do put markdown "" "$f"; put front_matter "" "$f"; put document 0 "$f"; put dates "" "$f"; done
for f in $(files -name '*.csv'); do put csv 0 "$f"; put document 4 "$f"; done
for f in $(files -name '*.tf'); do put hcl "" "$f"; done
for f in $(files -name 'requirements*.txt'); do put manifest 0 "$f"; done
for f in $(files -name 'pyproject.toml'); do put manifest 2 "$f"; done
for f in $(files -name 'Cargo.toml') Cargo.toml; do put manifest 7 "$f"; done
for f in $(files -name 'go.mod'); do put manifest 6 "$f"; done
for f in $(files -name '*.py'); do put redact "" "$f"; done
for f in $(files -name 'redflag.yaml' -o -name '.redflag.yaml'); do put config "" "$f"; done
printf 'fail_on: high\nevidence: [../policies]\nexclude: ["legacy/**"]\nparams:\n  soc2_report_max_age_days: 365\ndocuments:\n  - id: vendor-register\n    names: ["*vendor*"]\nwaivers:\n  - control: RF3-AI-INVENTORY\n    reason: r\n    owner: o\n    expires: 2027-01-01\n' > "$C/config/seed-handmade"
for f in $(files -path '*vendor-register*'); do put scan 0 "$f"; done
echo "seeded $n inputs into $C"

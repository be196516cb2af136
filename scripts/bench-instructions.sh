#!/usr/bin/env bash
# Matching cost in instructions (valgrind callgrind counts instructions, repeatable whatever else the VM
# is doing, unlike wall time). Compares parse-only and parse + match on FILE, each minus the start-up
# measured on an empty input (loading rulesets and the inventory is start-up, not per flow).
#   scripts/bench-instructions.sh FILE [INVENTORY]     (run `npm run bench` first: it writes the files)
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:?usage: $0 FILE [INVENTORY]}
inv=${2:-bench-data/inventory.yaml}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
empty=$(mktemp); trap 'rm -f "$empty" "$empty".cg*' EXIT
count() { # mode file → instructions
  valgrind --tool=callgrind --callgrind-out-file="$empty.cg" node dist/scripts/bench-worker.js "$1" "$2" "$inv" 2>&1 >/dev/null \
    | sed -n 's/.*I *refs: *//p' | tr -d ,
}
p0=$(count parse "$empty"); m0=$(count match "$empty")
p=$(count parse "$file"); m=$(count match "$file")
node -e '
  const [p0, m0, p, m] = process.argv.slice(1).map(Number);
  const parse = p - p0, match = m - m0;
  console.log(`parse-only ${(parse / 1e9).toFixed(2)} G instructions, parse + match ${(match / 1e9).toFixed(2)} G: matching adds ${((match - parse) / parse * 100).toFixed(1)} %`);
' "$p0" "$m0" "$p" "$m"

#!/usr/bin/env bash
# The GitHub Action's step (action.yml): runs `mlgate check` with every report written, sets the
# step's outputs, and exits with mlgate's exit code (BLOCKED fails the job).
set -uo pipefail
action_path="${GITHUB_ACTION_PATH:?run from action.yml}"
reports="${INPUT_REPORTS_DIR:-mlgate-reports}"
mkdir -p "$reports"
args=(check "${INPUT_PATH:-.}"
  --out "$reports/report.json"
  --report "junit=$reports/junit.xml"
  --report "sarif=$reports/mlgate.sarif"
  --report "md=$reports/report.md")
[[ -n "${INPUT_PROFILE:-}" ]] && args+=(--profile "$INPUT_PROFILE")
# Extra arguments are split on whitespace only: no globbing, no shell evaluation.
if [[ -n "${INPUT_ARGS:-}" ]]; then
  read -r -a extra <<< "$INPUT_ARGS"
  args+=("${extra[@]}")
fi
# An empty server input means the local store: do not pass an empty MLGATE_SERVER on.
[[ -z "${MLGATE_SERVER:-}" ]] && unset MLGATE_SERVER MLGATE_TOKEN
node "$action_path/bin/mlgate.js" "${args[@]}"
code=$?
verdict=""
if [[ -s "$reports/report.json" ]]; then
  verdict=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).verdict.status)' "$reports/report.json" 2>/dev/null || true)
fi
{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  echo "sarif=$reports/mlgate.sarif"
  echo "junit=$reports/junit.xml"
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit "$code"

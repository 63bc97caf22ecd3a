# shellcheck shell=bash
# check-kernel.sh's findings and their two renderings (sourced, not run).
# Each finding: a stable id (listed in kernel-check/README.md; programs key
# on it), a status, the check's name, a message and a fix.

R_ID=()
R_STATUS=()
R_CHECK=()
R_MSG=()
R_FIX=()
n_fail=0
n_warn=0

# result STATUS ID CHECK [MESSAGE [FIX]]: record a finding; in text mode
# print its line at once (a slow check then shows progress).
result() {
  R_STATUS+=("$1")
  R_ID+=("$2")
  R_CHECK+=("$3")
  R_MSG+=("${4:-}")
  R_FIX+=("${5:-}")
  case $1 in
    FAIL) n_fail=$((n_fail + 1)) ;;
    warn) n_warn=$((n_warn + 1)) ;;
  esac
  if ((json == 0)); then
    local line
    case $1 in
      ok) line="ok   $3" ;;
      warn) line="warn $3" ;;
      FAIL) line="FAIL $3" ;;
    esac
    [[ -n ${4:-} ]] && line+=": $4"
    [[ -n ${5:-} ]] && line+="; $5"
    printf '%s\n' "$line"
  fi
}
ok() { result ok "$@"; }
warn() { result warn "$@"; }
fail() { result FAIL "$@"; }

# json_str STRING: REPLY=STRING as a JSON string literal. Escapes the
# quote, the backslash and every control character; other bytes pass through.
# (Results go through REPLY rather than $(...) to save a fork per call.)
json_str() {
  local s=$1 out='' c i code
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      case $c in
        $'\n') out+='\n' ;;
        $'\t') out+='\t' ;;
        $'\r') out+='\r' ;;
        [[:cntrl:]])
          printf -v code '%d' "'$c"
          printf -v c '\\u%04x' "$code"
          out+=$c
          ;;
        *) out+=$c ;;
      esac
    done
    s=$out
  fi
  REPLY="\"$s\""
}

CGROUP_DIR_SHOWN=''

# emit_json VERDICT STATUS [ERROR]: the whole report as one JSON document.
emit_json() {
  local verdict=$1 status=$2 error=${3:-} i sep='' st cgroup=null j_id j_st j_check j_msg
  if [[ -n $CGROUP_DIR_SHOWN ]]; then
    json_str "$CGROUP_DIR_SHOWN"
    cgroup=$REPLY
  fi
  printf '{"verdict": "%s", "exit_status": %d, "cgroup": %s, ' "$verdict" "$status" "$cgroup"
  if [[ -n $error ]]; then
    json_str "$error"
    printf '"error": %s, ' "$REPLY"
  fi
  printf '"checks": ['
  for i in "${!R_STATUS[@]}"; do
    st=${R_STATUS[i]}
    [[ $st == FAIL ]] && st=fail
    json_str "${R_ID[i]}"
    j_id=$REPLY
    json_str "$st"
    j_st=$REPLY
    json_str "${R_CHECK[i]}"
    j_check=$REPLY
    json_str "${R_MSG[i]}"
    j_msg=$REPLY
    json_str "${R_FIX[i]}"
    printf '%s\n  {"id": %s, "status": %s, "check": %s, "message": %s, "fix": %s}' "$sep" \
      "$j_id" "$j_st" "$j_check" "$j_msg" "$REPLY"
    sep=,
  done
  printf '\n]}\n'
}

# die MESSAGE: the check itself cannot run: exit 2, with the findings so far.
die() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  ((json)) && emit_json error 2 "$1"
  DECIDED=1
  exit 2
}

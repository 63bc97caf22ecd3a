# shellcheck shell=bash
# check-kernel.sh: everything that needs the cgroup tree (the cgroup root,
# delegation, controllers, limits, isolation) is judged by `cgspawn check`
# alone; this file finds the binary, runs `cgspawn check --json` and adds
# its findings, ids unchanged, to this report (sourced, not run).
# Id of its own finding: cgspawn.check (did the live check run).

# find_cgspawn: CGSPAWN_BIN=the binary to run, "" when there is none.
# --cgspawn PATH, else $CGSPAWN (set but empty: none), else the cgspawn
# beside this script (the source tree's build is not there; an install puts
# both in sbin), else cgspawn on PATH.
find_cgspawn() {
  if [[ -n $CGSPAWN_ARG ]]; then
    CGSPAWN_BIN=$CGSPAWN_ARG
  elif [[ -n ${CGSPAWN+set} ]]; then
    CGSPAWN_BIN=$CGSPAWN
  elif [[ -x $HERE/cgspawn ]]; then
    CGSPAWN_BIN=$HERE/cgspawn
  else
    CGSPAWN_BIN=$(command -v cgspawn 2>/dev/null || true)
  fi
  if [[ -n $CGSPAWN_BIN && ! -x $CGSPAWN_BIN ]]; then
    die "cgspawn '$CGSPAWN_BIN' is not an executable file (--cgspawn PATH or CGSPAWN=PATH)"
  fi
  return 0
}

# json_unstr LITERAL: REPLY=the text of the JSON string literal LITERAL.
json_unstr() {
  local s=${1:1:${#1}-2} out='' c i=0
  if [[ $s != *\\* ]]; then
    REPLY=$s
    return
  fi
  while ((i < ${#s})); do
    c=${s:i:1}
    i=$((i + 1))
    if [[ $c == \\ ]]; then
      c=${s:i:1}
      i=$((i + 1))
      case $c in
        n) c=$'\n' ;;
        t) c=$'\t' ;;
        r) c=$'\r' ;;
        b) c=$'\b' ;;
        f) c=$'\f' ;;
        u)
          # shellcheck disable=SC2059 # the format is the escape, by design
          printf -v c "\\u${s:i:4}"
          i=$((i + 4))
          ;;
      esac # \" \\ \/ stand for the character itself
    fi
    out+=$c
  done
  REPLY=$out
}

LIVE_CGROUP=''
LIVE_ERROR=''

# live_finding: add the finding in F_* (one object of "checks").
live_finding() {
  local st
  case ${F_[status]:-} in
    ok | warn) st=${F_[status]} ;;
    fail) st=FAIL ;;
    *) die "cgspawn check printed a finding with status '${F_[status]:-}'" ;;
  esac
  result "$st" "${F_[id]:-}" "${F_[check]:-}" "${F_[message]:-}" "${F_[fix]:-}"
}

# parse_live TEXT: the findings of cgspawn check's JSON document, in order;
# LIVE_CGROUP, LIVE_ERROR from its top level. A small tokenizer rather than
# a dependency: the document is one object of scalars and one array of flat
# objects of strings.
parse_live() {
  local rest=$1 tok stack='' key='' want=key value
  local re='^[[:space:]]*("([^"\\]|\\.)*"|[][{}:,]|[^][{}:,[:space:]"]+)'
  declare -gA F_=()
  while [[ $rest =~ $re ]]; do
    tok=${BASH_REMATCH[1]}
    rest=${rest:${#BASH_REMATCH[0]}}
    case $tok in
      '{' | '[')
        [[ $stack == '{' && $key != checks ]] && return 1
        stack+=$tok
        want=key
        [[ $stack == '{[{' ]] && F_=()
        ;;
      '}' | ']')
        [[ $stack == '{[{' ]] && live_finding
        stack=${stack%?}
        ;;
      :) want=value ;;
      ,) want=key ;;
      *)
        value=$tok
        [[ $tok == \"* ]] && json_unstr "$tok" && value=$REPLY
        if [[ $want == key ]]; then
          key=$value
        elif [[ $stack == '{[{' ]]; then
          F_[$key]=$value
        elif [[ $stack == '{' ]]; then
          case $key in
            cgroup) [[ $tok == null ]] || LIVE_CGROUP=$value ;;
            error) LIVE_ERROR=$value ;;
          esac
        fi
        ;;
    esac
  done
  [[ -z $stack && -z ${rest//[[:space:]]/} ]]
}

LIVE_WHAT="cgroup checks"
LIVE_HOW="the cgroup root, its delegation, the controllers, the limits and the isolation"

# check_live: run cgspawn check --json and add what it found. Returns 2
# (after adding the findings) when cgspawn check itself could not run.
check_live() {
  if [[ $MODE == legacy || $MODE == none ]]; then
    warn cgspawn.check "$LIVE_WHAT" "skipped: no cgroup2 hierarchy is mounted (see cgroup mode)" "$HYBRID_FIX"
    return 0
  fi
  if [[ -z $CGSPAWN_BIN ]]; then
    CGROUP_DIR_SHOWN=$DIR_ARG
    warn cgspawn.check "$LIVE_WHAT" "skipped: cgspawn is not installed, so $LIVE_HOW were not checked" \
      "install cgspawn and run this again (or pass --cgspawn PATH), or run \`cgspawn check\` once it is installed"
    return 0
  fi
  local argv=("$CGSPAWN_BIN" check --json) out rc
  [[ -n $DIR_ARG ]] && argv+=(--cgroup-root "$DIR_ARG")
  local err
  err=$(mktemp) || die "cannot create a temporary file (mktemp)"
  out=$("${argv[@]}" 2>"$err")
  rc=$?
  if ((rc > 2)) || ! [[ $out == *'"checks"'* ]]; then
    local first
    first=$(head -n 1 -- "$err")
    rm -f -- "$err"
    die "\`${argv[*]}\` exited $rc without its JSON report${first:+: $first}"
  fi
  rm -f -- "$err"
  ok cgspawn.check "$LIVE_WHAT" "by $CGSPAWN_BIN check"
  parse_live "$out" || die "cannot parse the JSON report of \`${argv[*]}\`"
  CGROUP_DIR_SHOWN=$LIVE_CGROUP
  if ((rc == 2)); then
    LIVE_ERROR="cgspawn check could not run: ${LIVE_ERROR:-exit status 2}"
    return 2
  fi
  return 0
}

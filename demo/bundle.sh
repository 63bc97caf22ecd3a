# shellcheck shell=bash
# What demo.sh and the browser check (tests/browser/run.sh) share to run the
# demo in the systemd guest, so the check tests the demo itself. Sourced
# after tests/guest/lib.sh.
#
#   demo_bundle DIR CGSPAWN PORT   DIR gets the demo's payload: the product
#                                  (guest_payload), demo/, a fresh password
#                                  (DIR/demo/password, 0600), the accounts
#                                  ($CGSPAWN_DEMO_ACCOUNTS), the port, the
#                                  TCG settings and driver.sh
#   demo_console LOG               filter for guest_boot's output: prints the
#                                  guest's "demo: " lines and lib.sh's own,
#                                  appends the hub's journal ("hublog: "
#                                  lines, the hub and every server) to LOG

demo_bundle() {
    local bundle=$1 cgspawn=$2 port=$3 repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    guest_payload "$bundle" "$cgspawn"
    cp -r "$repo/demo" "$bundle/demo"
    # Never in argv or the environment: the hub reads it from a root-only file.
    (umask 077 && /usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(9))' >"$bundle/demo/password")
    # CGSPAWN_DEMO_ACCOUNTS="alice bob": existing Unix accounts instead of
    # dynamic users.
    printf '%s\n' "${CGSPAWN_DEMO_ACCOUNTS:-}" >"$bundle/demo/accounts"
    printf '%s\n' "$port" >"$bundle/demo/port"
    install -m 0755 "$repo/demo/guest-driver.sh" "$bundle/driver.sh"
    cp "$repo/tests/guest/suite/e2e/tcg_config.py" "$bundle/demo/tcg_config.py"
}

demo_console() {
    local log=$1 line
    # A shell loop, not mawk: mawk reads its input in blocks, which held the
    # guest's lines back for minutes.
    while IFS= read -r line; do
        case $line in
            "  guest| "*"hublog: "*) printf '%s\n' "${line#*hublog: }" >>"$log" ;;
            "  guest| "*"demo: "*) printf 'demo: %s\n' "${line#*demo: }" ;;
            "  guest| "*) ;;
            *) printf '%s\n' "$line" ;;
        esac
    done
}

// The launcher's own messages: to journald with structured fields
// (CGSPAWN_UNIT, CGSPAWN_USER) when the journal is there, and warnings and
// errors always to stderr too, so the hub can show them to the user.
#pragma once

#include <string>
#include <string_view>

namespace cgspawn {

enum class LogTarget { Auto, Journal, Stderr };

LogTarget parse_log_target(std::string_view text);  // auto|journal|stderr
bool journal_available() noexcept;
// True when the server's own output should go to a journald stream
// (--log-target only chooses that; launcher records always use the journal
// when it runs).
bool use_journal(LogTarget target) noexcept;

// A policy refusal for the audit trail: journald record with the caller,
// the rule and the request (argv holds no secrets: the environment is on stdin).
void audit_refusal(const std::string& caller, const std::string& rule, const std::string& message,
                   const std::string& request);

// (Re)configure the default spdlog logger for this run.
void setup_logging(const std::string& unit = {}, const std::string& user = {});

}  // namespace cgspawn

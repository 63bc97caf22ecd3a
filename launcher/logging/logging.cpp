#include "launcher/logging/logging.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>

#include "common/error.hpp"
#include "launcher/logging/journald.hpp"

namespace cgspawn {
namespace {

int syslog_priority(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::info:
      return LOG_INFO;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    default:
      return LOG_CRIT;
  }
}

// spdlog's own systemd_sink (1.10) cannot add fields; ours adds the unit and
// user so `journalctl CGSPAWN_UNIT=NAME` finds every record about one server.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  JournalSink(std::string unit, std::string user)
      : unit_(std::move(unit)), user_(std::move(user)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    const std::string priority = std::to_string(syslog_priority(msg.level));
    int err = journald::send({{"MESSAGE", text},
                              {"PRIORITY", priority},
                              {"SYSLOG_IDENTIFIER", "cgspawn"},
                              {"CGSPAWN_UNIT", unit_},
                              {"CGSPAWN_USER", user_}});
    // journald gone since the check at start: stderr, where warnings and
    // errors go anyway.
    if (err != 0 && msg.level < spdlog::level::warn)
      std::fprintf(stderr, "cgspawn: %.*s\n", static_cast<int>(text.size()), text.data());
  }
  void flush_() override {}

 private:
  std::string unit_, user_;
};

}  // namespace

LogTarget parse_log_target(std::string_view text) {
  if (text == "auto") return LogTarget::Auto;
  if (text == "journal") return LogTarget::Journal;
  if (text == "stderr") return LogTarget::Stderr;
  throw_bad_request("parse --log-target", "--log-target '" + std::string(text) +
                                              "' is not valid: use auto, journal or stderr");
}

bool journal_available() noexcept {
  return ::access("/run/systemd/journal/socket", W_OK) == 0 &&
         ::access("/run/systemd/journal/stdout", W_OK) == 0;
}

bool use_journal(LogTarget target) noexcept {
  return target == LogTarget::Journal || (target == LogTarget::Auto && journal_available());
}

void audit_refusal(const std::string& caller, const std::string& rule, const std::string& message,
                   const std::string& request) {
  if (!journal_available()) return;
  const std::string text = message + ": " + request + " (caller " + caller + ")";
  const std::string priority = std::to_string(LOG_WARNING);
  (void)journald::send({{"MESSAGE", text},
                        {"PRIORITY", priority},
                        {"SYSLOG_IDENTIFIER", "cgspawn"},
                        {"CGSPAWN_AUDIT", "refused"},
                        {"CGSPAWN_CALLER", caller},
                        {"CGSPAWN_RULE", rule},
                        {"CGSPAWN_REQUEST", request}});
}

void setup_logging(const std::string& unit, const std::string& user) {
  auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  err->set_pattern("cgspawn: %l: %v");
  std::vector<spdlog::sink_ptr> sinks{err};
  // The launcher's own records go to the journal whenever it runs, whatever
  // --log-target says about the server's output.
  if (journal_available()) {
    err->set_level(spdlog::level::warn);  // info goes to the journal only
    sinks.push_back(std::make_shared<JournalSink>(unit, user));
  }
  auto logger = std::make_shared<spdlog::logger>("cgspawn", sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace cgspawn

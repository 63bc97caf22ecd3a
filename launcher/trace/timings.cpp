#include "launcher/trace/timings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "launcher/trace/fault_point.hpp"

namespace cgspawn {
namespace {

constexpr std::string_view kPrefix = "cgspawn-timing ";
int timings_fd = -1;

}  // namespace

void timings_init() noexcept {
  // secure_getenv: a setuid copy ignores it (its caller's environment is
  // not the admin's word).
  const char* value = ::secure_getenv("CGSPAWN_TIMINGS_FD");
  if (value == nullptr) return;
  std::string_view text(value);
  int fd = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  if (ec != std::errc{} || end != text.data() + text.size() || fd < 0 || ::fcntl(fd, F_GETFD) < 0) {
    std::fprintf(stderr,
                 "cgspawn: warning: CGSPAWN_TIMINGS_FD=%s is not an open file descriptor: "
                 "timings are off (unset it, or open the fd for cgspawn)\n",
                 value);
    return;
  }
  timings_fd = fd;
}

void timing_mark(const char* step) noexcept {
  fault_point(step);
  if (timings_fd < 0) return;
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  char line[128];
  int n = std::snprintf(line, sizeof line, "%.*s%s %lld\n", static_cast<int>(kPrefix.size()),
                        kPrefix.data(), step,
                        static_cast<long long>(now.tv_sec) * 1000000000LL + now.tv_nsec);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof line) return;
  // One write per line: the launcher and its child share the fd.
  ssize_t ignored = ::write(timings_fd, line, static_cast<size_t>(n));
  (void)ignored;
}

std::optional<TimingMark> parse_timing_line(std::string_view line) {
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  auto space = line.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  TimingMark mark{std::string(line.substr(0, space)), 0};
  std::string_view number = line.substr(space + 1);
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), mark.ns);
  if (ec != std::errc{} || end != number.data() + number.size() || number.empty() || mark.ns < 0)
    return std::nullopt;
  return mark;
}

}  // namespace cgspawn

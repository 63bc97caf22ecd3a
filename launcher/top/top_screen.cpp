// `cgspawn top`, the terminal: a table redrawn every interval on the
// alternate screen, keys read in raw mode (termios, ANSI escapes; no curses).
// The terminal is restored by destructors on every way out: q, Ctrl-C (a key
// in raw mode), SIGINT/SIGTERM/SIGHUP from outside, an error.
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "launcher/top/top_model.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_resized = 0;

void on_stop(int /*sig*/) {
  g_stop = 1;
}
void on_resize(int /*sig*/) {
  g_resized = 1;
}

void write_terminal(std::string_view text) {
  if (int err = write_all(STDOUT_FILENO, text)) throw_system("write", "the terminal", err);
}

// Handlers without SA_RESTART, so poll() returns EINTR and the loop can end
// normally (and the destructors run); the previous handlers come back after.
class SignalScope {
 public:
  SignalScope() {
    struct sigaction stop {};
    stop.sa_handler = on_stop;
    struct sigaction resize {};
    resize.sa_handler = on_resize;
    for (size_t i = 0; i < kStop.size(); ++i) ::sigaction(kStop[i], &stop, &saved_[i]);
    ::sigaction(SIGWINCH, &resize, &saved_.back());
  }
  ~SignalScope() {
    for (size_t i = 0; i < kStop.size(); ++i) ::sigaction(kStop[i], &saved_[i], nullptr);
    ::sigaction(SIGWINCH, &saved_.back(), nullptr);
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  static constexpr std::array<int, 3> kStop{SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 4> saved_{};
};

// Raw input (no echo, no line buffering, no signal keys), the alternate
// screen and a hidden cursor; all undone by the destructor.
class RawTerminal {
 public:
  RawTerminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) throw_system("tcgetattr", "stdin", errno);
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) throw_system("tcsetattr", "stdin", errno);
    write_terminal("\x1b[?1049h\x1b[?25l");
  }
  ~RawTerminal() {
    // Best effort: the terminal may be gone (SIGHUP).
    const std::string_view restore = "\x1b[?25h\x1b[?1049l";
    [[maybe_unused]] auto n = ::write(STDOUT_FILENO, restore.data(), restore.size());
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  termios saved_{};
};

std::pair<size_t, size_t> terminal_size() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0)
    return {80, 24};
  return {ws.ws_col, ws.ws_row};
}

std::string header(const top::Sampler& sampler, size_t units, const TopOptions& opt,
                   top::SortKey sort) {
  std::array<char, 64> every{};
  std::snprintf(every.data(), every.size(), "%g", opt.delay_seconds);
  return "cgspawn top  " + sampler.layout().root() + "  " + std::to_string(units) +
         " unit(s)  every " + every.data() + " s  sort: " + top::to_string(sort) +
         "  keys: c cpu, m memory, t tasks, n name, o oom, q quit";
}

void draw(const top::Sampler& sampler, std::vector<top::Row> rows, const TopOptions& opt,
          top::SortKey sort) {
  top::sort_rows(rows, sort);
  auto [cols, lines_max] = terminal_size();
  std::vector<std::string> lines{header(sampler, rows.size(), opt, sort), ""};
  for (auto& l : top::format_table(rows)) lines.push_back(std::move(l));
  std::string screen = "\x1b[H\x1b[2J";
  for (size_t i = 0; i < lines.size() && i < lines_max; ++i) {
    if (i) screen += "\r\n";
    screen += lines[i].substr(0, cols);
  }
  write_terminal(screen);
}

int top_live(top::Sampler& sampler, const TopOptions& opt, top::SortKey sort) {
  SignalScope signals;
  RawTerminal terminal;
  const auto interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.delay_seconds));
  auto rows = sampler.sample(Clock::now());
  auto next = Clock::now() + interval;
  draw(sampler, rows, opt, sort);
  while (g_stop == 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
    pollfd in{STDIN_FILENO, POLLIN, 0};
    int ready = ::poll(&in, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready < 0 && errno != EINTR) throw_system("poll", "stdin", errno);
    bool redraw = g_resized != 0;
    g_resized = 0;
    if (ready > 0) {
      if ((in.revents & (POLLHUP | POLLERR)) != 0) break;  // the terminal is gone
      std::array<char, 64> keys{};
      ssize_t n = ::read(STDIN_FILENO, keys.data(), keys.size());
      for (ssize_t i = 0; i < n; ++i) {
        char k = keys[static_cast<size_t>(i)];
        if (k == 'q' || k == 'Q' || k == 3 /* Ctrl-C */) return 0;
        if (auto key = top::sort_key_for(k)) {
          sort = *key;
          redraw = true;
        }
      }
    }
    if (Clock::now() >= next) {
      rows = sampler.sample(Clock::now());
      next = Clock::now() + interval;
      redraw = true;
    }
    if (redraw) draw(sampler, rows, opt, sort);
  }
  return 0;
}

}  // namespace

int top_units(const cg::Layout& layout, const TopOptions& opt) {
  auto sort = top::parse_sort_key(opt.sort);
  (void)layout.open_users();  // D must be initialised: a clear error if not
  top::Sampler sampler(layout);
  if (!opt.once) {
    if (::isatty(STDOUT_FILENO) == 0 || ::isatty(STDIN_FILENO) == 0)
      throw_bad_request("top",
                        "stdin and stdout must be a terminal for the live view: use "
                        "`cgspawn top --once` in scripts and pipes");
    g_stop = 0;
    return top_live(sampler, opt, sort);
  }
  // Two samples DELAY apart give each unit's CPU % over that interval.
  sampler.sample(Clock::now());
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.delay_seconds));
  auto rows = sampler.sample(Clock::now());
  top::sort_rows(rows, sort);
  for (const auto& line : top::format_table(rows)) std::printf("%s\n", line.c_str());
  return 0;
}

}  // namespace cgspawn

#include "host_fixtures.hpp"

#include <fcntl.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "namespaces/paths.hpp"
#include "tests/support/owner.hpp"

namespace cgspawn::ns::testing {

long create_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  return fd;
}

TempDir::TempDir() {
  std::string tmpl = "/tmp/cgspawn-ns-test-" + cgspawn::testing::owner_tag() + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::mkdir(const std::string& name) const {
  const std::string p = path_ + "/" + name;
  std::filesystem::create_directories(p);
  return p;
}

MountSnapshot::MountSnapshot() {
  std::istringstream in(read_text("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(in, line)) lines[line.substr(0, line.find(' '))] = line;
}

std::vector<std::string> MountSnapshot::changes(const MountSnapshot& before,
                                                const MountSnapshot& after,
                                                const std::vector<std::string>& watched) {
  std::vector<std::string> out;
  for (const auto& [id, line] : before.lines) {
    auto it = after.lines.find(id);
    if (it == after.lines.end())
      out.push_back("gone: " + line);
    else if (it->second != line)
      out.push_back("changed: " + line + " -> " + it->second);
  }
  for (const auto& [id, line] : after.lines) {
    if (before.lines.contains(id)) continue;
    std::istringstream fields(line);
    std::string f, mount_point;
    for (int i = 0; i < 5 && fields >> f; ++i) mount_point = f;
    for (const auto& w : watched)
      if (is_at_or_below(mount_point, w)) {
        out.push_back("new: " + line);
        break;
      }
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace cgspawn::ns::testing

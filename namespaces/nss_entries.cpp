#include "namespaces/nss_entries.hpp"

#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

std::string_view field(std::string_view value, const char* what) {
  if (value.find_first_of(":\n\r") != std::string_view::npos || value.find('\0') != value.npos)
    throw_bad_request("passwd entry", std::string(what) + " '" + std::string(value.substr(0, 80)) +
                                          "' contains ':' or a line break, which passwd cannot "
                                          "hold: pick another");
  return value;
}

}  // namespace

std::string passwd_line(const Identity& who, std::string_view gecos) {
  std::string line;
  line.append(field(who.name, "user name")).append(":x:");
  line.append(std::to_string(who.uid)).append(":").append(std::to_string(who.gid)).append(":");
  line.append(field(gecos, "comment")).append(":");
  line.append(field(who.home, "home directory")).append(":");
  line.append(field(who.shell, "shell")).append("\n");
  return line;
}

std::string group_line(const Identity& who) {
  return std::string(field(who.name, "group name")) + ":x:" + std::to_string(who.gid) + ":\n";
}

}  // namespace cgspawn::ns

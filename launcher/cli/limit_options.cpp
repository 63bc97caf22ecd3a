#include "launcher/cli/limit_options.hpp"

#include <CLI/CLI.hpp>

#include "cgroup/values.hpp"

namespace cgspawn {
namespace {

// "memory.max: hard memory ceiling (...); bytes or K/M/G/T (x1024), or max"
std::string help(const cg::TypedLimit& l) {
  std::string form;
  switch (l.kind) {
    case cg::LimitKind::Size:
      form = "bytes or K/M/G/T (x1024)";
      break;
    case cg::LimitKind::Cpus:
      form = cg::number_text(l.min) + "-" + cg::number_text(l.max) + " CPUs, period " +
             std::to_string(cg::kCpuPeriodUsec / 1000) + " ms";
      break;
    case cg::LimitKind::Weight:
    case cg::LimitKind::Count:
      form = cg::number_text(l.min) + "-" + cg::number_text(l.max);
      break;
  }
  return std::string(l.file) + ": " + l.help + "; " + form + (l.accepts_max ? ", or max" : "");
}

const char* type_name(cg::LimitKind kind) {
  switch (kind) {
    case cg::LimitKind::Size:
      return "SIZE";
    case cg::LimitKind::Cpus:
      return "CPUS";
    default:
      return "N";
  }
}

}  // namespace

void add_limit_options(CLI::App* sub, cg::LimitFlags& flags, const std::string& of_what) {
  const auto* group = "Limits";
  for (const auto& l : cg::kTypedLimits)
    sub->add_option(l.flag, flags.*l.field, help(l))->type_name(type_name(l.kind))->group(group);
  sub->add_option("--property", flags.properties,
                  "FILE=VALUE for any other cgroup interface file " + of_what +
                      " (repeatable), e.g. io.weight=200")
      ->type_name("FILE=VALUE")
      ->group(group);
}

}  // namespace cgspawn

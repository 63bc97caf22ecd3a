// `cgspawn slice set|remove`: aggregate limits over the units of a slice.
// (`slice show` is with the other reports, in report.cpp.)
#include <spdlog/spdlog.h>

#include "cgroup/names.hpp"
#include "cgroup/slices.hpp"
#include "common/error.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {

std::vector<cg::LimitWrite> plan_slice_limits(const cg::LimitFlags& flags) {
  auto writes = cg::plan_limits(flags);
  if (writes.empty()) {
    std::string all;
    for (const auto& l : cg::kTypedLimits) all += std::string(l.flag) + ", ";
    throw_bad_request("parse slice limits",
                      "nothing to set: pass at least one of " + all + "--property");
  }
  return writes;
}

int slice_set(const cg::Layout& layout, const std::string& name,
              const std::vector<cg::LimitWrite>& writes) {
  cg::validate_name(name, "slice");
  // The slice's own files come from the controllers D/users enables.
  cg::CgroupDir users = layout.open_users();
  cg::check_enforceable(writes, users, users);
  cg::set_slice_limits(layout, name, writes);
  for (const auto& w : writes) spdlog::info("slice {}: {} = {}", name, w.file, w.text());
  return 0;
}

int slice_remove(const cg::Layout& layout, const std::string& name) {
  cg::validate_name(name, "slice");
  cg::remove_slice(layout, name);
  spdlog::info("removed slice {}", name);
  return 0;
}

}  // namespace cgspawn

// `cgspawn limits --json` and the limit flags of --help, from the real
// binary, against the C++ table itself: what the Python spawner's table is
// compared with must be what the planner enforces.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroup/limit_table.hpp"
#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
using cgspawn::testing::run;

namespace {

// The contract's spelling of each kind (hD's Python table reads these).
const std::map<cg::LimitKind, std::string> kKindNames = {{cg::LimitKind::Size, "size"},
                                                         {cg::LimitKind::Cpus, "cpus"},
                                                         {cg::LimitKind::Weight, "weight"},
                                                         {cg::LimitKind::Count, "count"}};

nlohmann::json expected_bound(double v) {
  if (std::isinf(v)) return nullptr;
  return v;
}

}  // namespace

TEST(LimitsCommand, JsonIsTheTable) {
  auto r = run({CGSPAWN_BINARY, "limits", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_TRUE(doc.is_array());
  ASSERT_EQ(doc.size(), cg::kTypedLimits.size());
  for (size_t i = 0; i < doc.size(); ++i) {
    const auto& got = doc[i];
    const auto& l = cg::kTypedLimits[i];
    SCOPED_TRACE(l.file);
    std::set<std::string> keys;
    for (const auto& [k, v] : got.items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"file", "flag", "controller", "kind", "min", "max",
                                           "accepts_max", "zero_allowed", "policy_ceiling"}));
    EXPECT_EQ(got["file"], l.file);
    EXPECT_EQ(got["flag"], l.flag);
    EXPECT_EQ(got["controller"], l.controller);
    EXPECT_EQ(got["kind"], kKindNames.at(l.kind));
    EXPECT_EQ(got["min"].get<double>(), l.min);
    EXPECT_EQ(
        got["max"].is_null() ? nlohmann::json(nullptr) : nlohmann::json(got["max"].get<double>()),
        expected_bound(l.max));
    EXPECT_EQ(got["accepts_max"], l.accepts_max);
    EXPECT_EQ(got["zero_allowed"], l.zero_allowed);
    EXPECT_EQ(got["policy_ceiling"],
              l.policy_ceiling ? nlohmann::json(l.policy_ceiling) : nlohmann::json(nullptr));
    // whole units print as integers, so the Python side reads 10000, not 10000.0
    EXPECT_TRUE(l.kind == cg::LimitKind::Cpus || got["min"].is_number_integer()) << got;
  }
}

TEST(LimitsCommand, TextNamesEveryLimit) {
  auto r = run({CGSPAWN_BINARY, "limits"});
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& l : cg::kTypedLimits) {
    EXPECT_NE(r.out.find(l.file), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(l.flag), std::string::npos) << r.out;
  }
}

// The flags are generated from the table, for spawn and slice set alike.
TEST(LimitsCommand, SpawnAndSliceSetOfferEveryTypedFlag) {
  for (std::vector<std::string> sub : {std::vector<std::string>{"spawn"}, {"slice", "set"}}) {
    std::vector<std::string> argv{CGSPAWN_BINARY};
    argv.insert(argv.end(), sub.begin(), sub.end());
    argv.emplace_back("--help");
    auto r = run(argv);
    ASSERT_EQ(r.status, 0) << r.err;
    for (const auto& l : cg::kTypedLimits)
      EXPECT_NE(r.out.find(std::string(l.flag) + " "), std::string::npos) << sub[0] << r.out;
    EXPECT_NE(r.out.find("1-10000"), std::string::npos) << "cpu.weight's bounds in its help";
  }
}
